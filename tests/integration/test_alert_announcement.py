"""AtlanAnnouncementNotifier through real pyatlan against the fake Atlan server: the
announcement lands on the dataset's S3Prefix (or S3Object), a person's announcement is left
alone, datasets without an asset are skipped and counted, errors are mapped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.datasets import Alert, AlertKind, AlertState, Severity
from tests.support import atlan_fixtures as _atlan
from tests.support.alert_fakes import candidate, delivered
from tests.support.atlan_server import FakeAtlan
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryAlertStore
from worker.adapters.atlan.announcement import (
    TITLE_PREFIX,
    AtlanAnnouncementNotifier,
    asset_type_name,
)
from worker.core.errors import CatalogPermissionDenied, CatalogUnavailable
from worker.core.settings import AlertSettings
from worker.services.alerts.service import AlertService

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client

CONN = "default/s3/1700000000"
ORDERS = "s3://lake/exports/orders/"
ORDERS_QN = f"{CONN}/lake/exports/orders"
ONE_FILE = "s3://lake/exports/single.csv"
ONE_FILE_QN = f"{CONN}/lake/exports/single.csv"
QNS = {ORDERS: ORDERS_QN, ONE_FILE: ONE_FILE_QN, "s3://lake/gone/": f"{CONN}/lake/gone"}


def _alert(n: int, severity: Severity = Severity.WARNING, dataset: str = ORDERS) -> Alert:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return Alert(
        id=n,
        kind=AlertKind.SCHEMA_DRIFT if n % 2 else AlertKind.NEW_PII,
        severity=severity,
        dataset_uri=dataset,
        subject=f"col{n}",
        message=f"column col{n} changed",
        evidence={"partitions": 3},
        state=AlertState.OPEN,
        first_seen=at,
        last_seen=at,
    )


def _notifier(client: Any) -> AtlanAnnouncementNotifier:
    return AtlanAnnouncementNotifier(QNS.get, lambda: client)


def _prefix(server: FakeAtlan, qn: str = ORDERS_QN, **attributes: Any) -> None:
    server.add_entity(
        "S3Prefix",
        qn,
        {"name": "orders", "connectionQualifiedName": CONN, "s3BucketName": "lake", **attributes},
    )


def test_an_alert_becomes_an_announcement_on_the_prefix(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    _prefix(atlan_server, description="orders export")
    notifier = _notifier(atlan_client)
    notifier.send([_alert(1, Severity.CRITICAL)])
    entity = atlan_server.entity("S3Prefix", ORDERS_QN)
    assert entity is not None
    attrs = entity["attributes"]
    assert attrs["announcementType"] == "issue"
    assert attrs["announcementTitle"] == f"{TITLE_PREFIX}schema_drift (critical)"
    assert attrs["announcementMessage"].startswith("• [critical] schema_drift: column col1 changed")
    assert "(alert 1)" in attrs["announcementMessage"]
    # a partial update: the asset keeps its name and everything else
    assert attrs["name"] == "orders" and attrs["description"] == "orders export"
    puts = [r for r in atlan_server.mutating_requests() if r.method == "PUT"]
    assert len(puts) == 1 and "/entity/uniqueAttribute/type/S3Prefix" in puts[0].path
    assert notifier.counts.announced == 1

    # Ours is replaced by the next alert's; a warning is a warning.
    notifier.send([_alert(2, Severity.WARNING), _alert(4, Severity.INFO)])
    attrs = atlan_server.entity("S3Prefix", ORDERS_QN)["attributes"]  # type: ignore[index]
    assert attrs["announcementType"] == "warning"
    assert attrs["announcementTitle"] == f"{TITLE_PREFIX}2 alerts (new_pii)"
    assert notifier.counts.announced == 2


def test_a_single_object_dataset_is_announced_on_its_s3object(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    atlan_server.add_entity("S3Object", ONE_FILE_QN, {"name": "single.csv"})
    _notifier(atlan_client).send([_alert(3, Severity.INFO, dataset=ONE_FILE)])
    attrs = atlan_server.entity("S3Object", ONE_FILE_QN)["attributes"]  # type: ignore[index]
    assert attrs["announcementType"] == "information" and attrs["name"] == "single.csv"


def test_a_bucket_dataset_is_announced_on_its_s3bucket(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    assert asset_type_name("s3://lake/") == "S3Bucket" == asset_type_name("s3://lake")
    atlan_server.add_entity("S3Bucket", f"{CONN}/lake", {"name": "lake"})
    notifier = AtlanAnnouncementNotifier({"s3://lake/": f"{CONN}/lake"}.get, lambda: atlan_client)
    notifier.send([_alert(5, dataset="s3://lake/")])
    attrs = atlan_server.entity("S3Bucket", f"{CONN}/lake")["attributes"]  # type: ignore[index]
    assert attrs["announcementType"] == "warning" and attrs["name"] == "lake"


def test_datasets_without_an_asset_are_skipped_and_counted(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    notifier = _notifier(atlan_client)
    notifier.send([_alert(1, dataset="s3://lake/unknown/")])  # no qualified name
    notifier.send([_alert(2, dataset="s3://lake/gone/")])  # a name, but no asset in Atlan
    _prefix(atlan_server)
    atlan_server.archive("S3Prefix", ORDERS_QN)
    notifier.send([_alert(3)])  # archived
    assert notifier.counts.no_asset == 3 and notifier.counts.announced == 0
    assert atlan_server.entity("S3Prefix", f"{CONN}/lake/gone") is None  # nothing created
    assert [r for r in atlan_server.mutating_requests() if r.method == "PUT"] == []


def test_a_persons_announcement_is_left_alone(atlan_server: FakeAtlan, atlan_client: Any) -> None:
    _prefix(
        atlan_server,
        announcementType="information",
        announcementTitle="Migrating to the new bucket",
        announcementMessage="ask #data-platform",
    )
    notifier = _notifier(atlan_client)
    notifier.send([_alert(1, Severity.CRITICAL)])
    attrs = atlan_server.entity("S3Prefix", ORDERS_QN)["attributes"]  # type: ignore[index]
    assert attrs["announcementTitle"] == "Migrating to the new bucket"
    assert notifier.counts.kept_person == 1 and notifier.counts.announced == 0


def test_a_digest_is_not_announced(atlan_server: FakeAtlan, atlan_client: Any) -> None:
    _prefix(atlan_server)
    notifier = _notifier(atlan_client)
    notifier.send([_alert(1), _alert(2)], "2 more alerts")
    assert notifier.counts.digested == 2
    assert "announcementTitle" not in atlan_server.entity("S3Prefix", ORDERS_QN)["attributes"]  # type: ignore[index]


def test_errors_are_mapped_and_the_service_keeps_the_alert_undelivered(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    _prefix(atlan_server)
    atlan_server.fail_next(503, times=10)
    with pytest.raises(CatalogUnavailable):
        _notifier(atlan_client).send([_alert(1)])
    atlan_server.reset_faults()

    # A token whose persona may read but not update the prefix.
    atlan_server.add_token("reader", policies={CONN: {"entity-read"}})
    reader = _atlan.make_atlan_client(atlan_server, api_key="reader")
    try:
        with pytest.raises(CatalogPermissionDenied, match="Update"):
            _notifier(reader).send([_alert(1)])
        clock = ManualClock()
        store = InMemoryAlertStore(clock)
        service = AlertService(store, [_notifier(reader)], AlertSettings(), clock=clock)
        opened = service.raise_alerts([candidate(1, dataset=ORDERS)])
        assert len(opened) == 1 and delivered(store, "atlan") == set()
        assert service.last_report.channels["atlan"].failed == 1
    finally:
        _atlan.close_atlan_client(reader)
