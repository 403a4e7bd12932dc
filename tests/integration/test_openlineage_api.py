"""``POST /api/v1/lineage``: OpenLineage events as the HTTP transport sends them, in-process.

Who may post (a ``lineage`` token, an admin's write token; not a read token or a steward's
write token; a lineage token may do nothing else), the body limit (plain and gzip), bad
events, duplicate delivery, a run told out of order, a failed run, and the chain the three
fixture jobs build (PostgreSQL → S3 → Snowflake, with column maps) through ``enricher
lineage impact``; then ``enricher lineage load --openlineage`` on a recorded log.
"""

from __future__ import annotations

import gzip
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from starlette.exceptions import StarletteDeprecationWarning

from models.review import Role
from tests.support.cli import run_enricher
from worker.adapters.catalog.schema import (
    LineageEdgeRow,
    OpenLineageEventRow,
    findings,
    objects,
    suggestions,
)
from worker.bootstrap import SqlReviewService, build_lineage, build_review
from worker.core.settings import WebSettings, load_settings
from worker.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"
URL = "/api/v1/lineage"
LIMIT = 64 * 1024


def _log(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class World:
    review: SqlReviewService
    client: TestClient
    tokens: dict[str, str]
    url: str
    folder: Path

    def post(self, body: Any, token: str = "etl", **headers: str) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(
            URL,
            content=data,
            headers={"Authorization": f"Bearer {self.tokens[token]}",
                     "Content-Type": "application/json", **headers},
        )  # fmt: skip

    def edge_rows(self) -> list[tuple[Any, ...]]:
        engine = self.review.store.catalog.engine
        with engine.connect() as conn:
            rows = conn.execute(select(LineageEdgeRow).order_by(LineageEdgeRow.id)).all()
        return [tuple(r) for r in rows]

    def event_count(self) -> int:
        engine = self.review.store.catalog.engine
        with engine.connect() as conn:
            return len(conn.execute(select(OpenLineageEventRow.id)).all())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    review = build_review(load_settings(None, database_url=url))
    tokens = {}
    users = (("etl", Role.VIEWER, "lineage"), ("vic", Role.VIEWER, "read"),
             ("sam", Role.STEWARD, "write"), ("ann", Role.ADMIN, "write"))  # fmt: skip
    for name, role, scope in users:
        review.users.add(name, role, "password123", actor="test")
        tokens[name] = review.users.create_token(name, "test", "test", scope=scope)
    app = create_app(
        None,
        lambda _events: None,
        review=review,
        web_settings=WebSettings(lineage_max_body_bytes=LIMIT),
    )
    yield World(review, TestClient(app), tokens, url, tmp_path)
    review.store.catalog.engine.dispose()


def test_who_may_post_lineage(world: World) -> None:
    start = _log("snowflake_copy.jsonl")[0]
    missing = world.client.post(URL, json=start)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    bad = world.client.post(URL, json=start, headers={"Authorization": "Bearer s3e_nope"})
    assert bad.status_code == 401
    read = world.post(start, token="vic")
    assert read.status_code == 403 and "read-only" in read.json()["message"]
    steward = world.post(start, token="sam")
    assert steward.status_code == 403 and "scope lineage" in steward.json()["message"]
    assert world.event_count() == 0
    assert world.post(start, token="etl").status_code == 201
    assert world.post(_log("snowflake_copy.jsonl")[1], token="ann").status_code == 201
    # A lineage token does nothing else.
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/suggestions")):
        other = world.client.request(
            method, path, headers={"Authorization": f"Bearer {world.tokens['etl']}"}
        )
        assert other.status_code == 403, path
        assert "lineage token" in other.json()["message"]


def test_oversized_bodies_are_refused(world: World) -> None:
    event = _log("airflow_postgres_to_s3.jsonl")[1]
    event["job"]["facets"]["padding"] = {"text": "x" * LIMIT}
    big = world.post(event)
    assert big.status_code == 413
    assert "web.lineage_max_body_bytes" in big.json()["message"]
    # Chunked, with no Content-Length: capped while it streams in.
    data = json.dumps(event).encode()
    chunked = world.client.post(
        URL,
        content=iter([data[:1000], data[1000:]]),
        headers={"Authorization": f"Bearer {world.tokens['etl']}"},
    )
    assert chunked.status_code == 413
    # Small on the wire, too large once decompressed.
    bomb = gzip.compress(json.dumps(event).encode())
    assert len(bomb) < LIMIT
    inflated = world.post(bomb, **{"Content-Encoding": "gzip"})
    assert inflated.status_code == 413 and "decompressed" in inflated.json()["message"]
    assert world.event_count() == 0


def test_gzip_as_the_http_transport_sends_it(world: World) -> None:
    for event in _log("snowflake_copy.jsonl"):
        body = gzip.compress(json.dumps(event).encode(), compresslevel=3)
        done = world.post(body, **{"Content-Encoding": "gzip"})
        assert done.status_code == 201, done.text
    assert done.json()["edges"] == 1
    broken = world.post(b"\x1f\x8b not gzip", **{"Content-Encoding": "gzip"})
    assert broken.status_code == 400 and "not valid gzip" in broken.json()["message"]
    brotli = world.post(b"{}", **{"Content-Encoding": "br"})
    assert brotli.status_code == 400 and "send gzip" in brotli.json()["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b'"an event"', "a JSON object"),
        (json.dumps({**_log("snowflake_copy.jsonl")[0], "run": {}}).encode(), "run.runId"),
        (json.dumps({**_log("snowflake_copy.jsonl")[0], "eventType": "DONE"}).encode(),
         "'DONE' is not one of"),
        (json.dumps([_log("snowflake_copy.jsonl")[0], {"eventType": "START"}]).encode(),
         r"request\[1\]: run.runId is missing"),
    ],
)  # fmt: skip
def test_bad_events_are_refused_and_nothing_is_stored(
    world: World, body: bytes, message: str
) -> None:
    done = world.post(body)
    assert done.status_code == 400, done.text
    assert done.json()["error"] == "invalid_event"
    assert re.search(message, done.json()["message"]), done.json()["message"]
    assert world.event_count() == 0


def test_an_unknown_namespace_is_named_and_the_rest_is_kept(world: World) -> None:
    start, complete = _log("snowflake_copy.jsonl")
    complete["inputs"].append({"namespace": "bigquery", "name": "proj.ds.customers"})
    assert world.post(start).status_code == 201
    done = world.post(complete)
    assert done.status_code == 201
    answer = done.json()
    assert answer["edges"] == 1 and answer["edges_new"] == 1
    (problem,) = answer["problems"]
    assert "unknown namespace 'bigquery'" in problem["reason"]
    assert problem["location"].startswith("request (openlineage: airflow-prod/snowflake_load")


def test_duplicate_delivery_changes_nothing(world: World) -> None:
    for event in _log("airflow_postgres_to_s3.jsonl"):
        assert world.post(event).status_code == 201
    before, events = world.edge_rows(), world.event_count()
    assert len(before) == 1
    for event in _log("airflow_postgres_to_s3.jsonl"):
        again = world.post(event)
        assert again.status_code == 200
        assert again.json() | {"problems": []} == {
            "received": 1, "new": 0, "duplicates": 1, "invalid": 0, "runs": 0, "edges": 0,
            "edges_new": 0, "edges_updated": 0, "edges_unchanged": 0, "schemas": 0,
            "schemas_stored": 0, "problems": [],
        }  # fmt: skip
    assert world.edge_rows() == before  # not even last_seen moved
    assert world.event_count() == events


def test_complete_before_start_ends_in_the_same_edges(world: World, tmp_path: Path) -> None:
    start, running, complete = _log("spark_partitioned_parquet.jsonl")
    first = world.post(complete)
    assert first.status_code == 201 and first.json()["edges_new"] == 1
    edges = world.edge_rows()
    late = world.post(start).json()
    assert (late["new"], late["runs"], late["edges_new"], late["edges_unchanged"]) == (1, 1, 0, 1)
    assert world.post(running).status_code == 201
    assert [r[:3] for r in world.edge_rows()] == [r[:3] for r in edges]
    (row,) = world.edge_rows()
    assert row[2] == "s3://lake/exports/orders/"  # the partition file joined its dataset
    # A START that comes last and names one more output still adds it.
    other = {**start, "eventTime": "2025-01-01T03:00:00.000Z"}
    other["outputs"] = [{"namespace": "s3://lake", "name": "exports/orders_audit/a.parquet"}]
    assert world.post(other).json()["edges_new"] == 1


def test_a_failed_run_gives_no_edges(world: World) -> None:
    start, complete = _log("airflow_postgres_to_s3.jsonl")
    failed = {**complete, "eventType": "FAIL"}
    assert world.post(start).status_code == 201
    done = world.post(failed)
    assert done.status_code == 201 and done.json()["edges"] == 0
    assert world.edge_rows() == []


def test_the_three_jobs_make_one_chain_with_column_maps(world: World) -> None:
    # Out of order across and within runs: the Snowflake COPY first, COMPLETE before START.
    for name in ("snowflake_copy.jsonl", "airflow_postgres_to_s3.jsonl",
                 "spark_partitioned_parquet.jsonl"):  # fmt: skip
        for event in reversed(_log(name)):
            assert world.post(event).status_code == 201
    lineage = build_lineage(load_settings(None, database_url=world.url), world.review.store.catalog)
    by_hop = {(e.source.uri, e.target.uri): e for e in lineage.store.edges()}
    assert set(by_hop) == {
        ("postgres:appdb.public.customers", "s3://lake/exports/customers/"),
        ("s3://lake/exports/customers/", "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"),
        ("postgres:appdb.public.orders", "s3://lake/exports/orders/"),
    }
    export = by_hop["postgres:appdb.public.customers", "s3://lake/exports/customers/"]
    assert {(c.source, c.target, c.masked) for c in export.columns} == {
        ("id", "id", False), ("email", "email_sha256", True), ("country", "country", False),
        ("created_at", "created_at", False),
    }  # fmt: skip
    out = run_enricher(
        ["lineage", "impact", "postgres:appdb.public.customers.email", "--format", "json"],
        {"ENRICH_DATABASE_URL": world.url},
        world.folder,
    )
    assert out.returncode == 0, out.stderr
    downstream = json.loads(out.stdout)["downstream"]
    assert [(n["dataset"], n["columns"], n["origin"]) for n in downstream] == [
        ("s3://lake/exports/customers/", ["email_sha256"], "openlineage"),
        ("snowflake:ANALYTICS.PUBLIC.CUSTOMERS", ["EMAIL_SHA256"], "openlineage"),
    ]


def test_lineage_load_reads_a_recorded_log_with_line_numbers(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in _log("airflow_postgres_to_s3.jsonl")]
    bad = {**_log("snowflake_copy.jsonl")[1], "run": {"runId": "42"}}
    log.write_text("\n".join([lines[0], "{oops", json.dumps(bad), "", lines[1]]) + "\n")
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    out = run_enricher(["lineage", "load", "--openlineage", str(log), "--format", "json"], env,
                       tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (report["edges"], report["new"]) == (1, 1)
    assert [p["location"] for p in report["problems"]] == [f"{log}:2", f"{log}:3"]
    assert "run.runId" in report["problems"][1]["reason"]
    assert "4 OpenLineage events: 2 new, 0 duplicates, 2 invalid" in out.stderr
    again = run_enricher(["lineage", "load", "--openlineage", str(log), "--strict"], env, tmp_path)
    assert again.returncode == 3  # the two bad lines, listed again
    assert "0 edges: 0 new" in again.stdout and "2 duplicates" in again.stderr


def test_a_hop_from_a_scanned_dataset_brings_lineage_evidence(world: World) -> None:
    """PII a scan found in the S3 dataset becomes suggestions on the Snowflake table's columns
    when a COPY reported by OpenLineage links them (unmasked columns only)."""
    now = datetime.now(UTC)
    uri = "s3://lake/exports/customers/customers_2025-01-01.csv"
    with world.review.store.catalog.engine.begin() as conn:
        conn.execute(insert(objects).values(uri=uri, bucket="lake", status="classified",
                                            key="exports/customers/customers_2025-01-01.csv",
                                            scanned_at=now))  # fmt: skip
        conn.execute(insert(findings).values(
            object_uri=uri, column_name="country", entity="LOCATION", classifier="pii",
            confidence=0.97, prevalence=0.99, evidence={}))  # fmt: skip
    for event in _log("snowflake_copy.jsonl"):
        assert world.post(event).status_code == 201
    queued = world.review.store.catalog.engine
    with queued.connect() as conn:
        rows = conn.execute(
            select(suggestions.c.object_uri, suggestions.c.column_name, suggestions.c.entity)
        ).all()
    assert ("snowflake:ANALYTICS.PUBLIC.CUSTOMERS", "COUNTRY", "LOCATION") in {
        tuple(r) for r in rows
    }


def test_a_bad_schema_facet_is_named_and_the_event_is_taken_in(world: World) -> None:
    start, complete = _log("airflow_postgres_to_s3.jsonl")
    complete["outputs"][0]["facets"]["schema"] = {"fields": "id, email_sha256"}
    assert world.post(start).status_code == 201
    answer = world.post(complete)
    assert answer.status_code == 201
    body = answer.json()
    assert body["edges_new"] == 1
    assert body["schemas"] == 1  # the input's declaration still counts
    (problem,) = body["problems"]
    assert "schema facet not stored" in problem["reason"]
    assert "expected a list" in problem["reason"]
