"""Fixtures for tests against the fake Atlan server (``tests/support/atlan_server.py``).

To use them, import the fixtures into a test module or ``conftest.py``::

    from tests.support import atlan_fixtures as _atlan

    atlan_server = _atlan.atlan_server
    atlan_client = _atlan.atlan_client

pyatlan is imported lazily (it costs ~5 s), so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.plan import DesiredObject
from tests.support.atlan_server import FakeAtlan, FakeClock

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

API_KEY = "test-key"
#: The search lag the write-path tests run with (Atlan's search is near-real-time).
SEARCH_LAG_S = 5.0


def classified(
    key: str,
    etag: str = "e1",
    entity: str = "EMAIL_ADDRESS",
    row_count: int = 500,
    bucket: str = "lake",
) -> EnrichmentResult:
    """A classified CSV object with one column found to hold ``entity`` (0.98 confident)."""
    ref = ObjectRef(f"s3://{bucket}/{key}")
    info = ObjectInfo(ref, 1234, etag, datetime(2025, 5, 1, tzinfo=UTC), "text/csv")
    sample = TableSample(
        info=info,
        format="csv",
        compression=None,
        columns=(ColumnSample("col", "string", ()),),
        rows_sampled=500,
        row_count=row_count,
        row_count_estimated=True,
        bytes_read=10,
        sampling=SamplingInfo(method="text-head"),
    )
    finding = EntityFinding(entity, 0.98, 0.95, Evidence(500, 475, 400, 0.98), "pii")
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=(ColumnFinding("col", "string", (finding,)),),
        classifier_versions={"pii": "2"},
    )


def desired(key: str, settings: Any, **kw: Any) -> DesiredObject:
    """What the writer gets for :func:`classified` ``(key, **kw)`` under ``settings``."""
    from worker.core.plan.desired import desired_object

    found = desired_object(classified(key, **kw), settings, datetime(2026, 1, 2, tzinfo=UTC))
    assert found is not None
    return found


def make_atlan_client(
    server: FakeAtlan,
    *,
    api_key: str = API_KEY,
    read_timeout: float = 10.0,
    total_retries: int = 3,
) -> AtlanClient:
    """A real pyatlan client on the fake server, with short timeouts and fast retries.

    ``proxy=None`` matters: pyatlan passes ``HTTP(S)_PROXY`` to httpx explicitly and ignores
    ``NO_PROXY``, so without it a developer's proxy would receive the 127.0.0.1 requests.
    """
    from httpx_retries import Retry
    from pyatlan.client.atlan import AtlanClient

    return AtlanClient(  # type: ignore[no-untyped-call]
        base_url=server.base_url,
        api_key=api_key,
        proxy=None,
        connect_timeout=5.0,
        read_timeout=read_timeout,
        retry=Retry(
            total=total_retries,
            backoff_factor=0.05,
            respect_retry_after_header=True,
            status_forcelist=[429, 500, 502, 503, 504],
            allowed_methods=["GET", "POST", "PUT", "DELETE"],
        ),
    )


def close_atlan_client(client: AtlanClient) -> None:
    """Close the client's HTTP connection pool (pyatlan has no public close)."""
    session = getattr(client, "_session", None)
    if session is not None:
        session.close()


@pytest.fixture(scope="session")
def atlan_server() -> Iterator[FakeAtlan]:
    """One fake Atlan per session on a free loopback port."""
    with FakeAtlan(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def atlan_client(atlan_server: FakeAtlan) -> Iterator[AtlanClient]:
    """A fresh pyatlan client (empty caches) on a freshly reset fake Atlan."""
    atlan_server.reset()
    client = make_atlan_client(atlan_server)
    try:
        yield client
    finally:
        close_atlan_client(client)


@pytest.fixture
def atlan_clock(atlan_server: FakeAtlan, atlan_client: AtlanClient) -> FakeClock:
    """A clock shared by the fake Atlan and the code under test, with search lag on.

    Writes show up in search ``SEARCH_LAG_S`` seconds (of this clock) after they happen;
    tests move the clock instead of sleeping.
    """
    clock = FakeClock()
    atlan_server.clock = clock
    atlan_server.search_lag_s = SEARCH_LAG_S
    return clock
