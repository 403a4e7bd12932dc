"""Fixtures for the integration tests: one real SeaweedFS S3 server per session, and Redis
databases of their own for the tests that need a broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.redis_dbs import RedisDatabaseClaims, RedisDatabases
from tests.support.seaweed import ACCESS_KEY, REGION, SECRET_KEY, SeaweedServer
from tests.support.workers import Worker
from worker.core.settings import S3Settings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedServer]:
    """A running ``weed mini`` on free loopback ports, stopped at the end of the session."""
    saved = {
        name: os.environ.get(name)
        for name in (
            "AWS_EC2_METADATA_DISABLED",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        )
    }
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    os.environ["AWS_DEFAULT_REGION"] = REGION
    server = SeaweedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_settings(seaweed: SeaweedServer) -> S3Settings:
    """Settings pointing at the session server, with its dummy credentials and low timeouts."""
    return seaweed.settings(connect_timeout_s=2.0, read_timeout_s=10.0, max_attempts=2)


@pytest.fixture
def s3_client(seaweed: SeaweedServer) -> S3Client:
    """A plain boto3 client on the session server, for arranging test data."""
    return seaweed.client()


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    """A fresh, uniquely named, empty bucket."""
    name = f"t-{uuid.uuid4().hex[:20]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def redis_claims() -> RedisDatabaseClaims:
    """This test process's claims on the local Redis server's database numbers."""
    return RedisDatabaseClaims()


@pytest.fixture
def redis_dbs(redis_claims: RedisDatabaseClaims) -> Iterator[RedisDatabases]:
    """A broker and a result-backend database claimed for this test alone, empty at the start;
    emptied and released afterwards (see tests/support/redis_dbs.py)."""
    broker_db, backend_db = redis_claims.claim(2)
    try:
        yield RedisDatabases(broker_db, backend_db, redis_claims.host, redis_claims.port)
    finally:
        redis_claims.release([broker_db, backend_db])


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """The Celery workers a test starts (append them): killed when it ends."""
    started: list[Worker] = []
    yield started
    # The test is over: killed at once rather than after a warm shutdown (2-3 s each); each
    # test's Redis databases are its own, so what a killed worker leaves unacked stays there.
    for w in started:
        w.kill_all()
