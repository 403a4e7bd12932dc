"""S3 → SQS event intake against moto's server on 127.0.0.1 (real boto3, real HTTP).

Checked moto 5.2.5 behaviour (see the assertions): saving a notification configuration sends
an ``s3:TestEvent``; keys arrive ``quote_plus``-encoded including ``/``; records carry no
``sequencer`` and no ``versionId``; a multipart upload sends ``ObjectCreated:Put`` *and*
``ObjectCreated:CompleteMultipartUpload``; removals are only notified on unversioned buckets
(``ObjectRemoved:Delete``, with the removed object's size and eTag, which AWS leaves out).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.polling import wait_until
from tests.support.seaweed import free_ports
from worker.adapters.sqs import SqsEventConsumer, make_sqs_client
from worker.core.errors import ConfigError, StoreUnavailable
from worker.core.s3_events import ObjectEvent

REGION = "us-east-1"
KEY_ID = SECRET = "testing"
UNICODE_KEY = "dir with space/naïve ünïcode €.csv"
PLUS_KEY = "a+b=c&d.csv"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """One moto server (S3 and SQS on one port) for the module, on a free loopback port."""
    (port,) = free_ports(1)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Setup:
    """A fresh bucket whose created/removed notifications go to a fresh queue."""

    endpoint: str
    s3: Any
    sqs: Any
    bucket: str
    queue_url: str

    def consumer(self, handle: Any, **kwargs: Any) -> SqsEventConsumer:
        client = make_sqs_client(self.endpoint, REGION, KEY_ID, SECRET)
        kwargs.setdefault("wait_seconds", 0)
        return SqsEventConsumer(self.queue_url, client, handle, **kwargs)

    def counts(self) -> tuple[int, int]:
        """(visible, in flight) messages on the queue."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )


@pytest.fixture
def setup(moto_endpoint: str) -> Setup:
    options: dict[str, Any] = {
        "endpoint_url": moto_endpoint,
        "region_name": REGION,
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
    }
    s3 = boto3.client("s3", **options)
    sqs = boto3.client("sqs", **options)
    name = f"lake-{uuid.uuid4().hex[:12]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
            ]
        },
    )
    return Setup(moto_endpoint, s3, sqs, name, queue_url)


def drain(consumer: SqsEventConsumer, limit: int = 20) -> int:
    """Poll until a poll receives nothing; return the number of messages received."""
    total = 0
    for _ in range(limit):
        received = consumer.poll_once()
        if not received:
            return total
        total += received
    raise AssertionError("the queue did not drain")


def test_saving_the_configuration_sends_a_test_event_that_is_skipped(setup: Setup) -> None:
    message = setup.sqs.receive_message(QueueUrl=setup.queue_url, VisibilityTimeout=0)["Messages"]
    assert json.loads(message[0]["Body"])["Event"] == "s3:TestEvent"
    calls: list[list[ObjectEvent]] = []
    assert drain(setup.consumer(calls.append)) == 1
    assert calls == []  # nothing to handle
    assert setup.counts() == (0, 0)  # but deleted


def test_uploads_become_created_events_and_messages_are_deleted(setup: Setup) -> None:
    s3, bucket = setup.s3, setup.bucket
    s3.put_object(Bucket=bucket, Key="plain.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket=bucket, Key=UNICODE_KEY, Body=b"x\n1\n")
    s3.put_object(Bucket=bucket, Key=PLUS_KEY, Body=b"y\n2\n")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.parquet")
    part = s3.upload_part(
        Bucket=bucket, Key="big.parquet", UploadId=upload["UploadId"], PartNumber=1, Body=b"p" * 64
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.parquet",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    s3.copy_object(Bucket=bucket, Key="copy.csv", CopySource={"Bucket": bucket, "Key": "plain.csv"})

    calls: list[list[ObjectEvent]] = []
    # TestEvent + 3 puts + 2 for the multipart upload (moto) + copy = 7 messages, one batch.
    assert drain(setup.consumer(calls.append)) == 7
    assert setup.counts() == (0, 0)
    assert len(calls) == 1
    events = {e.key: e for e in calls[0]}
    assert len(calls[0]) == len(events) == 5  # the multipart duplicate collapsed
    assert set(events) == {"plain.csv", UNICODE_KEY, PLUS_KEY, "big.parquet", "copy.csv"}
    for key, event in events.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert event.kind == "created"
        assert event.bucket == bucket
        assert event.etag == head["ETag"].strip('"')
        assert event.size == head["ContentLength"]
        assert event.event_time is not None
        assert event.sequencer is None and event.version_id is None  # moto sends neither
    assert events["big.parquet"].etag is not None and events["big.parquet"].etag.endswith("-1")


def test_deletes_become_removed_events(setup: Setup) -> None:
    s3, bucket = setup.s3, setup.bucket
    for key in ("gone.csv", UNICODE_KEY, "batch/1.csv", "batch/2.csv"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"z\n")
    drain(setup.consumer(lambda events: None))

    s3.delete_object(Bucket=bucket, Key="gone.csv")
    s3.delete_object(Bucket=bucket, Key=UNICODE_KEY)
    s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "batch/1.csv"}, {"Key": "batch/2.csv"}]}
    )
    calls: list[list[ObjectEvent]] = []
    assert drain(setup.consumer(calls.append)) == 4
    assert setup.counts() == (0, 0)
    removed = [event for batch in calls for event in batch]
    assert {e.key for e in removed} == {"gone.csv", UNICODE_KEY, "batch/1.csv", "batch/2.csv"}
    assert {e.kind for e in removed} == {"removed"}


def test_a_failing_handle_leaves_the_message_for_redelivery(setup: Setup) -> None:
    drain(setup.consumer(lambda events: None))  # the TestEvent
    setup.s3.put_object(Bucket=setup.bucket, Key="retry me.csv", Body=b"r\n")

    def fail(events: list[ObjectEvent]) -> None:
        raise RuntimeError("broker down")

    failing = setup.consumer(fail, visibility_timeout=1, wait_seconds=0)
    with pytest.raises(RuntimeError, match="broker down"):
        failing.poll_once()
    assert setup.counts() == (0, 1)  # in flight, not deleted
    assert failing.poll_once() == 0  # invisible until the timeout ends

    # Visible again once its 1 s visibility timeout ends: poll for it, bounded.
    calls: list[list[ObjectEvent]] = []
    again = setup.consumer(calls.append)
    assert wait_until(again.poll_once, 10, "the message was never redelivered") == 1
    assert [(e.kind, e.key) for batch in calls for e in batch] == [("created", "retry me.csv")]
    assert setup.counts() == (0, 0)


def test_invalid_messages_are_logged_and_deleted(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    drain(setup.consumer(lambda events: None))
    sent = setup.sqs.send_message(QueueUrl=setup.queue_url, MessageBody='{"Records": "oops"}')
    calls: list[list[ObjectEvent]] = []
    with caplog.at_level(logging.WARNING, logger="worker.adapters.sqs"):
        assert setup.consumer(calls.append).poll_once() == 1
    assert calls == []
    assert setup.counts() == (0, 0)
    assert sent["MessageId"] in caplog.text
    assert "body.Records: expected an array, got string" in caplog.text


def test_run_handles_events_until_stopped(setup: Setup) -> None:
    drain(setup.consumer(lambda events: None))
    seen: list[ObjectEvent] = []
    arrived = threading.Event()

    def handle(events: list[ObjectEvent]) -> None:
        seen.extend(events)
        arrived.set()

    consumer = setup.consumer(handle, wait_seconds=1)
    stop = threading.Event()
    runner = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    runner.start()
    try:
        started = time.monotonic()
        setup.s3.put_object(Bucket=setup.bucket, Key="live.csv", Body=b"l\n")
        assert arrived.wait(5)
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        runner.join(5)
    assert not runner.is_alive()
    assert [(e.kind, e.key) for e in seen] == [("created", "live.csv")]
    assert setup.counts() == (0, 0)


def test_a_missing_queue_is_store_unavailable(setup: Setup) -> None:
    consumer = SqsEventConsumer(
        setup.queue_url + "-missing",
        make_sqs_client(setup.endpoint, REGION, KEY_ID, SECRET, max_attempts=1),
        lambda events: None,
        wait_seconds=0,
    )
    with pytest.raises(StoreUnavailable, match="receiving messages") as caught:
        consumer.poll_once()
    assert caught.value.__cause__ is not None


def test_credentials_from_the_environment_alone_are_used(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No keys given: the AWS default chain (here its environment variables, as a role would
    provide them) signs the requests; one key without the other is refused."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    client = make_sqs_client(setup.endpoint, REGION)
    credentials = client._request_signer._credentials  # type: ignore[attr-defined]
    assert credentials.access_key == "from-the-environment"
    setup.s3.put_object(Bucket=setup.bucket, Key="env.csv", Body=b"a\n1\n")
    seen: list[ObjectEvent] = []
    consumer = SqsEventConsumer(setup.queue_url, client, seen.extend, wait_seconds=0)
    drain(consumer)
    assert [(e.kind, e.key) for e in seen] == [("created", "env.csv")]
    with pytest.raises(ConfigError, match="given together"):
        make_sqs_client(setup.endpoint, REGION, "only-the-id", None)


def test_events_settings_fall_back_to_the_s3_keys_then_to_the_chain(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from worker.adapters.sqs import sqs_client_from_settings
    from worker.core.settings import load_settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")

    def signer_key(**sections: Any) -> str:
        settings = load_settings(None, events={"sqs_endpoint_url": moto_endpoint}, **sections)
        client = sqs_client_from_settings(settings)
        return str(client._request_signer._credentials.access_key)  # type: ignore[attr-defined]

    assert signer_key() == "from-the-environment"
    s3_keys = {"access_key_id": "s3-id", "secret_access_key": "s3-secret"}
    assert signer_key(s3=s3_keys) == "s3-id"
    events = {"sqs_endpoint_url": moto_endpoint, "access_key_id": "ev-id", "secret_access_key": "x"}
    settings = load_settings(None, s3=s3_keys, events=events)
    assert sqs_client_from_settings(settings)._request_signer._credentials.access_key == "ev-id"  # type: ignore[attr-defined]
