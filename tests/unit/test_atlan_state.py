"""The Atlan writer's memory in the local catalog, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from models.plan import DesiredObject, ObjectPlan, Suggestion, WrittenState
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog, suggestions


def _desired(uri: str = "s3://lake/a.csv") -> DesiredObject:
    return DesiredObject(uri, "lake", uri.split("/", 3)[3], None, {"s3_e_tag": "e"}, "d",
                         frozenset({"PII"}), {"Row count": 3})  # fmt: skip


def test_written_state_round_trip(database_url: str) -> None:
    state = SqlAtlanState(SqlLocalCatalog(database_url))
    assert state.written_states(["q1"]) == {}
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    state.save_written_states([WrittenState("q1", "h", frozenset({"PII"}), "c", written_at=at)])
    latest = WrittenState(
        "q1",
        "h2",
        frozenset({"PII", "X"}),
        "c2",
        guid="g-1",
        written_at=at + timedelta(seconds=5),
        attributes_hash="a1",
        status="DELETED",
        object_uri="s3://lake/a_1.csv",
        prefix_qn="conn/lake/exports",
    )
    state.save_written_states([latest])
    assert state.written_states(["q1", "q2"]) == {"q1": latest}
    assert state.written_by_uri(["s3://lake/a_1.csv", "s3://lake/b.csv"]) == {
        "s3://lake/a_1.csv": latest
    }
    # LIKE wildcards in the prefix match themselves only.
    assert state.written_under("s3://lake/a_") == [latest]
    assert state.written_under("s3://lake/a%") == []
    assert state.written_under("s3://lake/") == [latest]
    state.catalog.engine.dispose()


def test_one_worker_claims_the_connection_the_others_wait_then_read_it(database_url: str) -> None:
    state = SqlAtlanState(SqlLocalCatalog(database_url))
    assert state.known_connection("s3-enricher") is None
    assert state.claim_connection("s3-enricher", "w1", 180) == (True, None)
    assert state.claim_connection("s3-enricher", "w2", 180) == (False, None)
    assert state.claim_connection("s3-enricher", "w1", 180) == (True, None)
    state.set_connection("s3-enricher", "default/s3/1", "w1")
    assert state.claim_connection("s3-enricher", "w2", 180) == (False, "default/s3/1")
    assert state.known_connection("s3-enricher") == "default/s3/1"
    # A claim abandoned by a dead worker is taken over; a failed one is given up.
    assert state.claim_connection("other", "w1", 180) == (True, None)
    assert state.claim_connection("other", "w2", 0) == (True, None)
    state.set_connection("other", None, "w2")
    assert state.claim_connection("other", "w3", 180) == (True, None)
    state.catalog.engine.dispose()


def test_outbox_keeps_one_entry_per_object_with_attempts(database_url: str) -> None:
    state = SqlAtlanState(SqlLocalCatalog(database_url))
    state.outbox_put([_desired(), _desired("s3://lake/b.csv")], "Atlan is unavailable")
    state.outbox_put([_desired()], "still unavailable")
    total, rows = state.outbox_status()
    assert total == 2
    assert ("s3://lake/a.csv", "still unavailable", 2) in rows
    assert [d.object_uri for d in state.outbox_items()] == ["s3://lake/a.csv", "s3://lake/b.csv"]
    assert state.outbox_items()[0] == _desired()
    state.outbox_remove(["s3://lake/a.csv"])
    assert state.outbox_status()[0] == 1
    state.catalog.engine.dispose()


def test_suggestions_are_refreshed_but_decisions_never_overwritten(database_url: str) -> None:
    state = SqlAtlanState(SqlLocalCatalog(database_url))
    s = Suggestion("s3://lake/a.csv", "q", "tag", "PII Email", "EMAIL_ADDRESS", "email", 0.8, "r")
    plan = ObjectPlan("q", "a.csv", "b", "lake", "", suggestions=(s,))
    assert state.save_suggestions([plan]) == 1
    assert state.save_suggestions([plan]) == 0
    with state.catalog.engine.begin() as conn:
        # The ORM table is typed as a FromClause; it is a Table, which update() takes.
        conn.execute(update(suggestions).values(state="rejected"))  # type: ignore[arg-type]
    assert state.save_suggestions([plan]) == 0
    with state.catalog.engine.connect() as conn:
        rows = conn.execute(suggestions.select()).all()
    assert [r.state for r in rows] == ["rejected"]
    state.catalog.engine.dispose()
