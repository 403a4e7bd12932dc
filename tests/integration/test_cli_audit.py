"""``enricher audit verify`` and ``enricher audit export`` as a user runs them, on both databases.

The audit rows are made by the review store (decisions, logins) at set times; tampering is
done in SQL, as someone with database access would.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from models.plan import Suggestion
from models.review import SuggestionFilter
from tests.support.cli import run_enricher
from worker.adapters.catalog import review_store as review_store_module
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.audit_chain import GENESIS

NOV_1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlReviewStore]:
    """A store on a fresh catalog with 12 audit rows; its clock moves 12 h at every reading."""
    times = iter(NOV_1 + timedelta(hours=12 * i) for i in range(1000))
    monkeypatch.setattr(review_store_module, "_now", lambda: next(times))
    s = SqlReviewStore(SqlLocalCatalog(database_url))
    uri = "s3://lake/crm/customers.csv"
    found = [Suggestion(uri, "", "tag", "PII Email", "EMAIL_ADDRESS", f"c{i}", 0.7, "low",
                        {"prevalence": 0.4}, "pii=1") for i in range(4)]  # fmt: skip
    s.sync(uri, found)
    ids = [v.id for v in s.page(SuggestionFilter()).items]
    s.decide(ids[:2], True, "ann", address="cli")
    s.decide(ids[2:], False, "sam", reason='=HYPERLINK("x") is not an e-mail', address="cli")
    for i in range(8):
        s.audit("ann" if i % 2 else "-", "login.ok" if i % 2 else "login.failed", "user ann",
                address="10.0.0.7", detail=None if i % 3 else "")  # fmt: skip
    monkeypatch.undo()
    yield s
    s.catalog.engine.dispose()


def _env(store: SqlReviewStore) -> dict[str, str]:
    return {"ENRICH_DATABASE_URL": store.catalog.url}


def _row(store: SqlReviewStore, seq: int) -> tuple[int, str]:
    (row,) = [r for r in store.audit_chain() if r.seq == seq]
    return row.id, row.at.strftime("%Y-%m-%dT%H:%M:%S")


def test_verify_passes_then_names_an_updated_row(store: SqlReviewStore, tmp_path: Path) -> None:
    ok = run_enricher(["audit", "verify"], _env(store), tmp_path)
    assert ok.returncode == 0, ok.stderr
    head = store.audit_chain_head()
    assert head is not None
    assert f"audit chain OK: 12 rows; head row id {_row(store, 12)[0]} (#12," in ok.stdout
    assert head[1] in ok.stdout
    victim, at = _row(store, 5)
    with store.catalog.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"), {"id": victim})
    bad = run_enricher(["audit", "verify"], _env(store), tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith(f"enricher: error: audit chain broken: row id {victim} (#5, {at}")
    assert "edited: its content does not match its hash" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_verify_names_a_deleted_row(store: SqlReviewStore, tmp_path: Path) -> None:
    victim, _ = _row(store, 7)
    after, at = _row(store, 8)
    with store.catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": victim})
    bad = run_enricher(["audit", "verify"], _env(store), tmp_path)
    assert bad.returncode == 1
    assert f"row id {after} (#8, {at}" in bad.stderr
    assert "missing predecessor: row #7 is gone (deleted between row id" in bad.stderr


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_export_verify_round_trip_and_a_later_export(
    store: SqlReviewStore, tmp_path: Path, output_format: str
) -> None:
    whole = tmp_path / f"all.{output_format}"
    part = tmp_path / f"nov3-4.{output_format}"
    env = _env(store)
    for args in ([], ["--from", "2026-11-03", "--to", "2026-11-04"]):
        out = whole if not args else part
        done = run_enricher(["audit", "export", *args, "--format", output_format, "-o", str(out)],
                            env, tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
    head = store.audit_chain_head()
    assert head is not None
    manifest_of = {
        p: json.loads((p if output_format == "json" else Path(f"{p}.chain.json")).read_text())
        for p in (whole, part)
    }
    assert manifest_of[whole]["chain_head"] == {"seq": 12, "row_hash": head[1]}
    assert manifest_of[whole]["export_head"]["row_hash"] == head[1]
    assert manifest_of[whole]["first_prev_hash"] == GENESIS
    period = [r.seq for r in store.audit_chain() if 3 <= r.at.day <= 4]
    first, last = period[0], period[-1]
    assert first > 1 and period == list(range(first, last + 1))
    assert manifest_of[part]["count"] == len(period)
    assert manifest_of[part]["export_head"]["seq"] == last
    assert [r["seq"] for r in _rows(part, output_format)] == period
    if output_format == "csv":
        all_rows = list(csv.DictReader(whole.open(encoding="utf-8", newline="")))
        assert any(r["detail"].startswith("'=HYPERLINK") for r in all_rows)
    checked = run_enricher(["audit", "verify", "--export", str(whole)], env, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "12 rows #1 to #12; first row links to the genesis value" in checked.stdout
    partial = run_enricher(["audit", "verify", "--export", str(part)], env, tmp_path)
    assert partial.returncode == 0, partial.stderr
    # The auditor links the period to the whole: its first prev_hash is the hash there of
    # the row before it, its export head a row of the whole.
    whole_rows = {r["seq"]: r for r in _rows(whole, output_format)}
    assert f"row #{first - 1}'s hash {whole_rows[first - 1]['row_hash']}" in partial.stdout
    assert f"export head #{last} sha256 {whole_rows[last]['row_hash']}" in partial.stdout

    # Tampering with the export itself is caught, naming the row.
    if output_format == "json":
        doc = json.loads(whole.read_text())
        doc["rows"][2]["actor"] = "mallory"
        whole.write_text(json.dumps(doc))
    else:
        edited = whole.read_text(encoding="utf-8").replace(",ann,", ",eve,", 1)
        whole.write_text(edited, encoding="utf-8")
    bad = run_enricher(["audit", "verify", "--export", str(whole)], env, tmp_path)
    assert bad.returncode == 1
    if output_format == "json":
        assert f"row id {whole_rows[3]['id']} (#3," in bad.stderr and "edited" in bad.stderr
    else:  # the manifest holds the file's sha256
        assert "its sha256 is not the one its manifest records" in bad.stderr


def _rows(path: Path, output_format: str) -> list[dict[str, object]]:
    if output_format == "json":
        rows: list[dict[str, object]] = json.loads(path.read_text())["rows"]
        return rows
    return [{**r, "seq": int(r["seq"]), "id": int(r["id"])}
            for r in csv.DictReader(path.open(encoding="utf-8", newline=""))]  # fmt: skip


def test_export_refuses_bad_dates_and_verify_refuses_a_stranger(
    store: SqlReviewStore, tmp_path: Path
) -> None:
    env = _env(store)
    bad = run_enricher(["audit", "export", "--from", "November", "-o", "x.json"], env, tmp_path)
    assert bad.returncode == 2 and "not an ISO date" in bad.stderr
    stranger = tmp_path / "other.json"
    stranger.write_text('{"rows": []}')
    refused = run_enricher(["audit", "verify", "--export", str(stranger)], env, tmp_path)
    assert refused.returncode == 1 and "not an audit export" in refused.stderr
    lone = tmp_path / "lone.csv"
    lone.write_text("id,seq\n")
    missing = run_enricher(["audit", "verify", "--export", str(lone)], env, tmp_path)
    assert missing.returncode == 1 and "no manifest lone.csv.chain.json" in missing.stderr


def test_verify_reports_a_deleted_chain_head(store: SqlReviewStore, tmp_path: Path) -> None:
    with store.catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain"))
    bad = run_enricher(["audit", "verify"], _env(store), tmp_path)
    assert bad.returncode == 1
    newest, _ = _row(store, 12)
    assert "the chain head is missing (the newest row present is " in bad.stderr
    assert f"row id {newest} (#12," in bad.stderr
