"""The alert store: ``SqlAlertStore`` on SQLite and PostgreSQL and the in-memory fake keep one
contract (deduplication by fingerprint, reopening, filters, states, delivery counts), and two
workers raising the same new alert at once store it once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from models.datasets import Alert, AlertCandidate, AlertKind, AlertState, Severity
from tests.support.catalog_urls import catalog_url
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryAlertStore
from worker.adapters.catalog.alert_store import SqlAlertStore
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.errors import AlertNotFound
from worker.core.ports import AlertStore

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ORDERS = "s3://lake/exports/orders/"


@dataclass
class Subject:
    store: AlertStore
    clock: ManualClock


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    clock = ManualClock(T0)
    if request.param == "memory":
        yield Subject(InMemoryAlertStore(clock), clock)
        return
    url = catalog_url(request, tmp_path)
    catalog = SqlLocalCatalog(url)
    yield Subject(SqlAlertStore(catalog, clock), clock)
    catalog.engine.dispose()


def _c(
    subject: str = "email",
    kind: AlertKind = AlertKind.NULL_SHARE,
    severity: Severity = Severity.WARNING,
    dataset: str = ORDERS,
    share: float = 0.4,
) -> AlertCandidate:
    return AlertCandidate(
        kind, severity, dataset, subject, f"null share of {subject} rose to {share}",
        {"before": 0.01, "after": share, "partition": "dt=2025-01-03/"},
    )  # fmt: skip


def _one(store: AlertStore, alert_id: int) -> Alert:
    alert = store.get(alert_id)
    assert alert is not None
    return alert


def test_a_new_alert_opens_and_a_repeat_counts_an_occurrence(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    (alert,) = store.raise_alerts([_c()])
    assert (alert.kind, alert.severity, alert.state) == (
        AlertKind.NULL_SHARE,
        Severity.WARNING,
        AlertState.OPEN,
    )
    assert (alert.dataset_uri, alert.subject, alert.occurrences) == (ORDERS, "email", 1)
    assert (alert.first_seen, alert.last_seen, alert.actor, alert.note) == (T0, T0, None, None)
    assert alert.evidence == {"before": 0.01, "after": 0.4, "partition": "dt=2025-01-03/"}
    assert store.get(alert.id) == alert

    t1 = clock.tick()
    assert store.raise_alerts([_c(severity=Severity.CRITICAL, share=0.9)]) == []
    again = _one(store, alert.id)
    assert (again.occurrences, again.first_seen, again.last_seen) == (2, T0, t1)
    assert again.severity is Severity.CRITICAL  # refreshed from the latest candidate
    assert again.message == "null share of email rose to 0.9"
    assert again.evidence["after"] == 0.9
    assert store.get(alert.id + 1000) is None


def test_the_same_fingerprint_twice_in_one_batch_opens_once(subject: Subject) -> None:
    store = subject.store
    opened = store.raise_alerts([_c(), _c("phone"), _c(share=0.5)])
    assert [a.subject for a in opened] == ["email", "phone"]
    assert _one(store, opened[0].id).occurrences == 2
    assert _one(store, opened[0].id).evidence["after"] == 0.5


def test_an_acknowledged_alert_stays_acknowledged(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    (alert,) = store.raise_alerts([_c()])
    acked = store.set_state(alert.id, AlertState.ACKNOWLEDGED, "ann", "looking into it")
    assert (acked.state, acked.actor, acked.note) == (
        AlertState.ACKNOWLEDGED,
        "ann",
        "looking into it",
    )
    clock.tick()
    assert store.raise_alerts([_c()]) == []
    now = _one(store, alert.id)
    assert (now.state, now.occurrences, now.actor) == (AlertState.ACKNOWLEDGED, 2, "ann")


def test_a_resolved_alert_firing_again_reopens(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    (alert,) = store.raise_alerts([_c()])
    store.set_state(alert.id, AlertState.RESOLVED, "ann", "backfilled")
    assert _one(store, alert.id).state is AlertState.RESOLVED
    t1 = clock.tick()
    (reopened,) = store.raise_alerts([_c(share=0.7)])
    assert reopened.id == alert.id
    assert (reopened.state, reopened.occurrences) == (AlertState.OPEN, 2)
    assert (reopened.first_seen, reopened.last_seen) == (T0, t1)
    assert (reopened.actor, reopened.note) == (None, None)
    assert reopened.evidence["after"] == 0.7
    assert _one(store, alert.id) == reopened


def test_set_state_of_a_missing_alert_raises(subject: Subject) -> None:
    with pytest.raises(AlertNotFound):
        subject.store.set_state(404, AlertState.RESOLVED, "ann")


def test_alerts_are_listed_newest_first_and_filtered(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    email, phone = store.raise_alerts([_c("email"), _c("phone", severity=Severity.INFO)])
    clock.tick()
    (drift,) = store.raise_alerts(
        [_c("id", AlertKind.SCHEMA_DRIFT, Severity.CRITICAL, "s3://lake/exports/customers/")]
    )
    clock.tick()
    store.raise_alerts([_c("email")])  # email seen last
    store.set_state(phone.id, AlertState.RESOLVED, "ann")

    def ids(**filters: Any) -> list[int]:
        return [a.id for a in store.list_alerts(**filters)]

    assert ids() == [email.id, drift.id, phone.id]
    assert ids(limit=2) == [email.id, drift.id]
    assert ids(state=AlertState.OPEN) == [email.id, drift.id]
    assert ids(state=AlertState.RESOLVED) == [phone.id]
    assert ids(severity=Severity.CRITICAL) == [drift.id]
    assert ids(dataset_uri=ORDERS) == [email.id, phone.id]
    assert ids(kind=AlertKind.SCHEMA_DRIFT) == [drift.id]
    assert ids(kind=AlertKind.NULL_SHARE, severity=Severity.INFO) == [phone.id]
    assert ids(state=AlertState.ACKNOWLEDGED) == []


def test_newest_id_first_among_equal_last_seen(subject: Subject) -> None:
    store = subject.store
    opened = store.raise_alerts([_c("a"), _c("b"), _c("c")])
    assert [a.id for a in store.list_alerts()] == [a.id for a in reversed(opened)]


def test_deliveries_are_counted_per_channel(subject: Subject) -> None:
    store, clock = subject.store, subject.clock
    a, b, c = store.raise_alerts([_c("a"), _c("b"), _c("c")])
    store.mark_delivered([a.id, b.id], "webhook")
    t1 = clock.tick(3600)
    store.mark_delivered([c.id, 999], "webhook")  # an unknown id is skipped
    store.mark_delivered([a.id], "atlan")
    assert store.delivered_since(T0, "webhook") == 3
    assert store.delivered_since(t1, "webhook") == 1
    assert store.delivered_since(t1 + timedelta(seconds=1), "webhook") == 0
    assert store.delivered_since(T0, "atlan") == 1
    # The same instant given in another zone counts the same.
    tokyo = t1.astimezone(timezone(timedelta(hours=9)))
    assert store.delivered_since(tokyo, "webhook") == 1
    with pytest.raises(ValueError, match="channel"):
        store.mark_delivered([a.id], "pager")
    with pytest.raises(ValueError, match="channel"):
        store.delivered_since(T0, "pager")


def test_undelivered_lists_open_alerts_a_channel_never_took_oldest_first(
    subject: Subject,
) -> None:
    store, clock = subject.store, subject.clock
    a = store.raise_alerts([_c("a")])[0]
    clock.tick()
    b, c = store.raise_alerts([_c("b"), _c("c")])
    store.mark_delivered([b.id], "webhook")
    store.set_state(c.id, AlertState.RESOLVED, "sam")
    assert [x.id for x in store.undelivered("webhook")] == [a.id]
    assert [x.id for x in store.undelivered("atlan")] == [a.id, b.id]
    assert [x.id for x in store.undelivered("atlan", limit=1)] == [a.id]
    with pytest.raises(ValueError, match="channel"):
        store.undelivered("pager")


# --- concurrency ----------------------------------------------------------------------------


def test_two_workers_racing_on_new_alerts_store_each_once(database_url: str) -> None:
    """Two threads raise the same new fingerprints at the same moment, round after round."""
    catalogs = [SqlLocalCatalog(database_url), SqlLocalCatalog(database_url)]
    stores = [SqlAlertStore(c) for c in catalogs]
    stores[0].list_alerts()  # migrate once, before the race
    rounds = 15
    barrier = threading.Barrier(2, timeout=30)
    opened: list[list[Alert]] = [[], []]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for r in range(rounds):
                barrier.wait()
                opened[n] += stores[n].raise_alerts([_c(f"column-{r}")])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    stored = stores[0].list_alerts(limit=1000)
    assert sorted(a.subject for a in stored) == sorted(f"column-{r}" for r in range(rounds))
    assert all(a.occurrences == 2 for a in stored)
    # Exactly one of the two workers opened each alert (the one to deliver).
    assert sorted(a.subject for a in opened[0] + opened[1]) == sorted(a.subject for a in stored)
    for c in catalogs:
        c.engine.dispose()


def test_an_insert_that_loses_the_race_counts_an_occurrence(postgres_url: str) -> None:
    """Worker A finds no row, worker B inserts and commits, then A's insert conflicts."""
    a_catalog, b_catalog = SqlLocalCatalog(postgres_url), SqlLocalCatalog(postgres_url)
    a, b = SqlAlertStore(a_catalog), SqlAlertStore(b_catalog)
    a.list_alerts()
    b_opened: list[Alert] = []
    conflicts: list[str] = []

    def b_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO alerts") and not b_opened:
            worker = threading.Thread(target=lambda: b_opened.extend(b.raise_alerts([_c()])))
            worker.start()
            worker.join(timeout=30)

    def on_error(context: Any) -> None:
        conflicts.append(type(context.original_exception).__name__)

    event.listen(a_catalog.engine, "before_cursor_execute", b_first)
    event.listen(a_catalog.engine, "handle_error", on_error)
    try:
        assert a.raise_alerts([_c()]) == []
    finally:
        event.remove(a_catalog.engine, "before_cursor_execute", b_first)
        event.remove(a_catalog.engine, "handle_error", on_error)
    assert len(b_opened) == 1 and conflicts == ["UniqueViolation"]
    (stored,) = a.list_alerts()
    assert stored.id == b_opened[0].id and stored.occurrences == 2
    for c in (a_catalog, b_catalog):
        c.engine.dispose()
