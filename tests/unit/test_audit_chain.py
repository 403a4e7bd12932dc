"""The audit hash chain: canonical form and verification (pure), and the store on both databases.

The store tests tamper with rows the way a person with database access would (an UPDATE, a
DELETE) and append from two threads at once on separate connections.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from models.plan import Suggestion
from models.review import SuggestionFilter
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.audit_chain import (
    GENESIS,
    ChainRow,
    canonical_form,
    export_csv,
    export_manifest,
    row_hash,
    rows_from_csv,
    rows_from_json,
    verify_chain,
    verify_export,
)

T0 = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)


def _chain(n: int, start_seq: int = 1, prev: str = GENESIS) -> list[ChainRow]:
    rows = []
    for i in range(n):
        seq = start_seq + i
        fields = dict(
            seq=seq,
            at=T0 + timedelta(minutes=seq),
            actor="ann" if seq % 2 else "sam",
            action="suggestion.approve",
            target=f"suggestion {seq}",
            before={"state": "pending", "confidence": 0.7},
            after={"state": "approved", "confidence": 0.7},
            detail="=HYPERLINK(x)" if seq == 2 else ("" if seq == 3 else None),
            address="cli" if seq % 3 else None,
            prev_hash=prev,
        )
        digest = row_hash(**fields)  # type: ignore[arg-type]
        rows.append(ChainRow(id=seq * 2, row_hash=digest, **fields))  # type: ignore[arg-type]
        prev = digest
    return rows


# -- the canonical form and the hash ---------------------------------------------------------


def test_the_canonical_form_is_sorted_compact_utf8_json_in_utc() -> None:
    at = datetime(2026, 11, 3, 10, 30, 15, 5, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    form = canonical_form(
        7, at, "zoë", "user.add", "user zoë", None, {"role": "admin", "a": [1]}, "", "10.0.0.1",
        GENESIS,
    )  # fmt: skip
    assert (
        form
        == (
            '{"action":"user.add","actor":"zoë","address":"10.0.0.1","after":{"a":[1],'
            '"role":"admin"},"at":"2026-11-03T10:30:15.000005Z","before":null,"detail":null,'
            f'"prev_hash":"{GENESIS}","seq":7,"target":"user zoë"}}'
        ).encode()
    )
    assert row_hash(7, at, "zoë", "user.add", "user zoë", None, {"a": [1], "role": "admin"},
                    None, "10.0.0.1", GENESIS) == hashlib.sha256(form).hexdigest()  # fmt: skip


def test_every_hashed_field_changes_the_hash() -> None:
    (row,) = _chain(1)
    changes = dict(
        seq=2, at=row.at + timedelta(microseconds=1), actor="eve", action="x", target="y",
        before={"state": "rejected", "confidence": 0.7}, after=None, detail="why",
        address="1.2.3.4", prev_hash="f" * 64,
    )  # fmt: skip
    for name, value in changes.items():
        assert replace(row, **{name: value}).computed_hash() != row.row_hash, name  # type: ignore[arg-type]
    # The id is not hashed (ids skip numbers); the check of rising ids covers it.
    assert replace(row, id=999).computed_hash() == row.row_hash


# -- verifying a run of rows -----------------------------------------------------------------


def test_an_intact_chain_verifies_with_its_head() -> None:
    rows = _chain(6)
    report = verify_chain(rows, head=(6, rows[-1].row_hash))
    assert report.ok and report.count == 6 and report.last == rows[-1]
    assert verify_chain([], head=(0, GENESIS)).ok


def test_an_edited_row_is_named() -> None:
    rows = _chain(6)
    rows[3] = replace(rows[3], actor="mallory")
    broken = verify_chain(rows).broken
    assert broken is not None and (broken.kind, broken.row) == ("edited", rows[3])
    assert broken.message.startswith("row id 8 (#4, 2026-11-03T09:34:15.123456Z): edited")


def test_an_edited_and_rehashed_row_is_named_through_its_successor() -> None:
    rows = _chain(6)
    forged = replace(rows[2], actor="mallory")
    rows[2] = replace(forged, row_hash=forged.computed_hash())
    broken = verify_chain(rows).broken
    assert broken is not None and (broken.kind, broken.seq) == ("edited", 3)
    assert "row id 6 (#3" in broken.message and "row id 8 (#4" in broken.message


def test_a_deleted_row_leaves_a_missing_predecessor() -> None:
    rows = _chain(6)
    del rows[2]
    broken = verify_chain(rows).broken
    assert broken is not None and broken.kind == "missing predecessor"
    assert broken.row == rows[2]  # #4, whose predecessor #3 is gone
    assert "row #3 is gone" in broken.message


def test_deleted_first_and_newest_rows_are_detected() -> None:
    rows = _chain(6)
    first = verify_chain(rows[2:]).broken
    assert first is not None and first.kind == "missing predecessor"
    assert "rows #1 to #2 are gone" in first.message
    last = verify_chain(rows[:4], head=(6, rows[-1].row_hash)).broken
    assert last is not None and (last.kind, last.seq, last.row) == ("missing", 5, None)
    assert "rows #5 to #6 are gone" in last.message
    rehashed = verify_chain(rows, head=(6, "e" * 64)).broken
    assert rehashed is not None and (rehashed.kind, rehashed.row) == ("edited", rows[-1])


def test_rows_out_of_order_are_reordered() -> None:
    rows = _chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    broken = verify_chain(rows).broken
    assert broken is not None and (broken.kind, broken.row) == ("reordered", rows[1])
    assert "(#3," in broken.message and "before row id 4 (#2," in broken.message
    ids = _chain(5)
    ids[3] = replace(ids[3], id=1)  # an id moved to put the row first in the id order
    broken = verify_chain(ids).broken
    assert broken is not None and (broken.kind, broken.seq) == ("reordered", 4)


def test_a_run_from_the_middle_checks_its_first_link_only_when_told() -> None:
    rows = _chain(6)
    assert verify_chain(rows[2:], start_prev=None).ok
    assert verify_chain(rows[2:], start_prev=rows[1].row_hash).ok
    broken = verify_chain(rows[2:], start_prev=rows[0].row_hash).broken
    assert broken is not None and broken.kind == "missing predecessor"
    # A run from #1 must start at the genesis value, told or not.
    forged = replace(rows[0], prev_hash="a" * 64)
    forged = replace(forged, row_hash=forged.computed_hash())
    broken = verify_chain([forged], start_prev=None).broken
    assert broken is not None and "genesis" in broken.message


# -- exports ---------------------------------------------------------------------------------


def _manifest(rows: list[ChainRow], head: tuple[int, str]) -> dict[str, object]:
    return export_manifest(rows, head, ("2026-11-01", "2026-11-30"), T0)


def test_csv_and_json_exports_round_trip_exactly() -> None:
    rows = _chain(5)
    # An empty detail reads back as none: the canonical form does not tell them apart.
    normalised = [replace(r, detail=r.detail or None) for r in rows]
    assert rows_from_csv(export_csv(rows)) == normalised
    assert "'=HYPERLINK(x)" in export_csv(rows)  # a spreadsheet shows it, does not run it
    tricky = replace(rows[0], target="'quoted", detail="-1", before={"é": [1.5, None]})
    tricky = replace(tricky, row_hash=tricky.computed_hash())
    (back,) = rows_from_csv(export_csv([tricky]))
    assert back == tricky and back.computed_hash() == tricky.row_hash
    records = json.loads(json.dumps([r.to_export() for r in rows]))
    assert rows_from_json(records) == normalised


def test_an_export_verifies_against_its_manifest_and_detects_edits() -> None:
    rows = _chain(8)
    part = rows[2:6]
    manifest = _manifest(part, (8, rows[-1].row_hash))
    assert verify_export(part, manifest).ok
    edited = [*part[:1], replace(part[1], detail="changed"), *part[2:]]
    assert "edited" in (verify_export(edited, manifest).problem or "")
    assert "gone" in (verify_export(part[:3], manifest).problem or "")  # last row cut off
    assert "counts" in (verify_export(part, {**manifest, "count": 5}).problem or "")
    stale = {**manifest, "chain_head": {"seq": 5, "row_hash": rows[4].row_hash}}
    assert "older" in (verify_export(part, stale).problem or "")


def test_malformed_export_rows_are_refused_naming_the_line() -> None:
    text = export_csv(_chain(2)).replace(GENESIS, "not-a-hash", 1)
    with pytest.raises(ValueError, match="line 2"):
        rows_from_csv(text)
    with pytest.raises(ValueError, match="header"):
        rows_from_csv("a,b\n1,2\n")
    with pytest.raises(ValueError, match="row 0: no field"):
        rows_from_json([{"id": 1}])


# -- the store, on SQLite and PostgreSQL ------------------------------------------------------


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    s = SqlReviewStore(SqlLocalCatalog(database_url))
    yield s
    s.catalog.engine.dispose()


def _verify(store: SqlReviewStore):  # type: ignore[no-untyped-def]
    head = store.audit_chain_head()
    assert head is not None
    return verify_chain(store.audit_chain(last_seq=head[0]), head=head)


def _seed(store: SqlReviewStore, n: int) -> None:
    uri = "s3://lake/a.csv"
    store.sync(uri, [Suggestion(uri, "", "tag", f"PII {i}", "PERSON", f"c{i}", 0.6, "low",
                                {"prevalence": 0.5}, "pii=1") for i in range(2)])  # fmt: skip
    ids = [s.id for s in store.page(SuggestionFilter()).items]
    store.decide(ids[:1], True, "ann", address="cli")  # one row per suggestion
    store.decide(ids[1:], False, "sam", reason="a product code, not a name")
    for i in range(n - 2):
        store.audit("ann", "login.ok", "user ann", after={"n": i, "t": (1, 2)}, address="::1")


def test_appends_chain_from_genesis_on_a_fresh_database(store: SqlReviewStore) -> None:
    _seed(store, 6)
    rows = list(store.audit_chain())
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert rows[-1].after == {"n": 3, "t": [1, 2]}  # hashed as it reads back
    report = _verify(store)
    assert report.ok and report.count == 6
    assert store.audit_chain_head() == (6, rows[-1].row_hash)
    # The review views still read the same entries.
    assert [e.id for e in store.audit_entries(limit=None, oldest_first=True)] == [
        r.id for r in rows
    ]


@pytest.mark.parametrize("tamper", ["update", "delete", "delete-newest"])
def test_tampering_in_the_database_names_the_row(store: SqlReviewStore, tamper: str) -> None:
    _seed(store, 7)
    rows = list(store.audit_chain())
    victim = rows[-1] if tamper == "delete-newest" else rows[3]
    sql = {
        "update": "UPDATE audit_log SET actor = 'mallory' WHERE id = :id",
        "delete": "DELETE FROM audit_log WHERE id = :id",
        "delete-newest": "DELETE FROM audit_log WHERE id = :id",
    }[tamper]
    with store.catalog.engine.begin() as conn:
        conn.execute(text(sql), {"id": victim.id})
    broken = _verify(store).broken
    assert broken is not None
    if tamper == "update":
        assert (broken.kind, broken.row and broken.row.id) == ("edited", victim.id)
        assert f"row id {victim.id} (#{victim.seq}," in broken.message
    elif tamper == "delete":
        assert (broken.kind, broken.seq) == ("missing predecessor", victim.seq + 1)
        assert f"row #{victim.seq} is gone" in broken.message
    else:
        assert (broken.kind, broken.seq) == ("missing", victim.seq)
    # Appending goes on after tampering; the break is still found.
    store.audit("ann", "login.ok", "user ann")
    again = _verify(store).broken
    assert again is not None
    if tamper == "update":
        assert again == broken
    else:
        assert f"row #{victim.seq} is gone" in again.message


def test_a_database_without_a_head_row_starts_it_from_the_newest_row(
    store: SqlReviewStore,
) -> None:
    _seed(store, 3)
    with store.catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain"))
    store.audit("ann", "login.ok", "user ann")
    report = _verify(store)
    assert report.ok and report.count == 4


def test_two_threads_appending_at_once_do_not_fork_the_chain(store: SqlReviewStore) -> None:
    per_thread = 150
    _seed(store, 2)  # the head row exists: the threads contend for its lock
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def append(actor: str) -> None:
        other = SqlReviewStore(SqlLocalCatalog(store.catalog.url))  # its own engine and pool
        try:
            for i in range(per_thread):
                if i % 10 == 0:
                    # Meet every 10 appends: the two really contend all along (left alone,
                    # one thread can hold SQLite's write lock for all of its rows).
                    start.wait(timeout=60)
                other.audit(actor, "login.ok", f"user {actor}", after={"i": i})
        except BaseException as exc:  # reported below, with the thread's name
            errors.append(exc)
        finally:
            other.catalog.engine.dispose()

    threads = [threading.Thread(target=append, args=(name,)) for name in ("ann", "sam")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = list(store.audit_chain())
    assert [r.seq for r in rows] == list(range(1, 2 * per_thread + 3))
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    report = _verify(store)
    assert report.ok and report.count == 2 * per_thread + 2
    actors = [r.actor for r in rows[2:]]
    # Both really ran at once: their rows interleave (not one block after the other).
    assert sum(1 for a, b in zip(actors, actors[1:], strict=False) if a != b) > 1
