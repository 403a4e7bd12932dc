"""The Atlan writer through real pyatlan against the fake Atlan server: state after each scenario.

Search lags behind writes here (``atlan_clock``: 5 s of a clock the tests move), as in Atlan.
Scenarios: first scan, unchanged re-scan (no mutating request), changed object, a person's tag
and description left alone, outage then flush, two workers initialising at once, batches of at
most 20 assets. The behaviours a kinder fake used to hide are in ``test_atlan_fidelity.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from models.plan import DesiredObject
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan, FakeClock
from worker.adapters.atlan.preflight import run_preflight
from worker.adapters.atlan.writer import AtlanCatalogWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.errors import CatalogAuthError
from worker.core.settings import AtlanSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client
atlan_clock = _atlan.atlan_clock

SETTINGS = AtlanSettings(enabled=True, batch_size=20)


def _desired(key: str, **kw: Any) -> DesiredObject:
    return _atlan.desired(key, SETTINGS, **kw)


@pytest.fixture
def writer(atlan_client: Any, atlan_clock: FakeClock, tmp_path: Path) -> AtlanCatalogWriter:
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    w = AtlanCatalogWriter(SETTINGS, state, client=atlan_client, clock=atlan_clock.datetime)
    w.init()
    return w


def _later(clock: FakeClock) -> None:
    """Past the writer's lag window: search now shows every write, people's included."""
    clock.advance(SETTINGS.search_lag_s + 1)


def _qn(writer: AtlanCatalogWriter, key: str) -> str:
    return writer.naming().object("lake", key)


def test_init_is_idempotent(writer: AtlanCatalogWriter, atlan_server: FakeAtlan) -> None:
    assert set(writer.tag_names()) <= set(atlan_server.typedef_names("CLASSIFICATION"))
    assert "s3-enricher" in atlan_server.typedef_names("BUSINESS_METADATA")
    before = len(atlan_server.mutating_requests())
    lines = writer.init()
    assert all(line.endswith(("exists", "configured")) for line in lines), lines
    assert len(atlan_server.mutating_requests()) == before
    assert all(r.ok for r in run_preflight(writer)), run_preflight(writer)


def test_first_scan_unchanged_rescan_and_changed_object(
    writer: AtlanCatalogWriter, atlan_server: FakeAtlan
) -> None:
    report = writer.write([_desired("exports/a.csv"), _desired("b.csv", entity="US_SSN")])
    assert report.error is None and report.created == 2
    qn = _qn(writer, "exports/a.csv")
    entity = atlan_server.entity("S3Object", qn)
    assert entity is not None
    attrs = entity["attributes"]
    assert attrs["s3ETag"] == "e1" and attrs["s3ObjectSize"] == 1234
    assert attrs["s3ObjectKey"] == "exports/a.csv"
    assert attrs["description"].startswith("CSV, ~500 rows, 1 columns. PII: col (EMAIL_ADDRESS)")
    assert "userDescription" not in attrs
    assert sorted(atlan_server.tag_names("S3Object", qn)) == ["PII", "PII Email"]
    assert sorted(atlan_server.tag_names("S3Object", _qn(writer, "b.csv"))) == ["PII", "PII SSN"]
    cm = atlan_server.custom_metadata("S3Object", qn, "s3-enricher")
    assert cm["Column findings"] == ["col → EMAIL_ADDRESS 0.98, 95% of 500 sampled"]
    assert atlan_server.entity("S3Bucket", writer.naming().bucket("lake"))

    # Unchanged re-scan: reads only.
    before = len(atlan_server.mutating_requests())
    again = writer.write([_desired("exports/a.csv"), _desired("b.csv", entity="US_SSN")])
    assert again.unchanged == 2 and again.requests == 0
    assert len(atlan_server.mutating_requests()) == before

    # Changed object: one request, only the new ETag.
    changed = writer.write([_desired("exports/a.csv", etag="e2")])
    assert changed.requests == 1 and changed.updated == 1
    sent = atlan_server.mutating_requests()[-1].body["entities"][0]["attributes"]
    assert sent.get("s3ETag") == "e2" and "description" not in sent
    assert atlan_server.entity("S3Object", qn)["attributes"]["s3ETag"] == "e2"  # type: ignore[index]


def test_people_are_left_alone(
    writer: AtlanCatalogWriter, atlan_server: FakeAtlan, atlan_clock: FakeClock
) -> None:
    writer.write([_desired("c.csv")])
    qn = _qn(writer, "c.csv")
    atlan_clock.advance(10)
    atlan_server.define_tag("Finance")
    atlan_server.add_tag("S3Object", qn, "Finance")
    # Another tool (not a person: people edit userDescription) rewrites description.
    atlan_server.add_entity("S3Object", qn, {"description": "Curated by the data team"}, by="etl")
    _later(atlan_clock)
    # The next scan finds an SSN column instead of e-mails.
    report = writer.write([_desired("c.csv", etag="e9", entity="US_SSN")])
    assert report.error is None
    tags = set(atlan_server.tag_names("S3Object", qn))
    assert {"Finance", "PII", "PII Email", "PII SSN"} <= tags  # nothing removed
    attrs = atlan_server.entity("S3Object", qn)["attributes"]  # type: ignore[index]
    assert attrs["description"] == "Curated by the data team"
    assert any("description" in n for n in report.notes)
    assert report.suggestions == 1  # "PII Email" is s3-enricher's and no longer supported


def test_outage_keeps_writes_in_the_outbox_until_flush(
    writer: AtlanCatalogWriter, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(503, times=50, path_contains="entity/bulk")
    report = writer.write([_desired("d.csv"), _desired("e.csv")])
    assert report.queued == 2 and report.error is not None
    assert "unavailable" in report.error
    assert atlan_server.entity("S3Object", _qn(writer, "d.csv")) is None
    total, rows = writer.state.outbox_status()
    assert total == 2 and rows[0][2] == 1
    atlan_server.reset_faults()
    flushed = writer.flush()
    assert flushed.error is None and flushed.created == 2
    assert writer.state.outbox_status()[0] == 0
    assert sorted(atlan_server.tag_names("S3Object", _qn(writer, "e.csv"))) == ["PII", "PII Email"]


def test_batches_hold_at_most_twenty_assets(
    writer: AtlanCatalogWriter, atlan_server: FakeAtlan
) -> None:
    before = len(atlan_server.mutating_requests())
    report = writer.write([_desired(f"many/{i:03d}.csv") for i in range(45)])
    assert report.created == 45
    bulk = [r for r in atlan_server.mutating_requests()[before:] if "entity/bulk" in r.path]
    assert all(len(r.body["entities"]) <= 20 for r in bulk)
    assert len(bulk) == 1 + 3 + 3  # the bucket, objects, tags


def test_rejected_key_is_a_clear_error(atlan_server: FakeAtlan, tmp_path: Path) -> None:
    client = _atlan.make_atlan_client(atlan_server, api_key="wrong")
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    w = AtlanCatalogWriter(SETTINGS, state, client=client)
    (first, *_) = run_preflight(w)
    assert not first.ok and "API key" in first.message
    with pytest.raises(CatalogAuthError):
        w.init()
    _atlan.close_atlan_client(client)


def test_two_workers_initialise_at_once(atlan_server: FakeAtlan, tmp_path: Path) -> None:
    """Both see no connection in search (it lags); the shared catalog makes one create it."""
    atlan_server.reset()
    atlan_server.search_lag_s = 30.0
    errors: list[BaseException] = []
    conns: list[str] = []
    _ = SqlLocalCatalog(f"sqlite:///{tmp_path / 'shared.db'}").engine  # migrate once

    def run(i: int) -> None:
        client = _atlan.make_atlan_client(atlan_server)
        state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'shared.db'}"))
        try:
            w = AtlanCatalogWriter(SETTINGS.model_copy(), state, client=client)
            w.init()
            conns.append(w.connection_qualified_name())
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            _atlan.close_atlan_client(client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    names = atlan_server.typedef_names("CLASSIFICATION")
    assert len(names) == len(set(names))  # no duplicate tag definitions
    assert len(set(conns)) == 1  # both settle on one connection
    assert len(atlan_server.entities("Connection")) == 1


def test_init_adds_attributes_a_newer_version_needs(
    writer: AtlanCatalogWriter, atlan_server: FakeAtlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from worker.core.plan import desired as plan

    extended = {**plan.CM_ATTRIBUTES, "Lineage summary": ("string", False)}
    monkeypatch.setattr(plan, "CM_ATTRIBUTES", extended)
    monkeypatch.setattr("worker.adapters.atlan.writer.CM_ATTRIBUTES", extended)
    lines = writer.init()
    assert "custom metadata 's3-enricher': added Lineage summary" in lines
    assert writer.init()[-2] == "custom metadata 's3-enricher': exists"
    d = _desired("f.csv")
    d.custom_metadata["Lineage summary"] = "pg -> s3"
    assert writer.write([d]).error is None
    qn = _qn(writer, "f.csv")
    assert atlan_server.custom_metadata("S3Object", qn, "s3-enricher")["Lineage summary"] == (
        "pg -> s3"
    )
