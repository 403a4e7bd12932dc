"""The OpenLineage intake on SQLite and PostgreSQL: one unit of work per request, concurrent
delivery, and declared schemas (``schema`` facets, newest event wins) shown by
``enricher datasets show`` and ``enricher lineage show``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from models.datasets import DatasetRef, DatasetSummary, GroupingRule, SchemaColumn
from tests.support.cli import run_enricher
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.declared_schemas import SqlDeclaredSchemas
from worker.adapters.catalog.openlineage_events import (
    SqlOpenLineageEvents,
    SqlOpenLineageUnitOfWork,
)
from worker.adapters.catalog.schema import LineageEdgeRow, OpenLineageEventRow
from worker.bootstrap import SqlLineageService, build_lineage
from worker.core.lineage.openlineage import EventKey
from worker.core.settings import load_settings
from worker.services.lineage.openlineage import OpenLineageIntake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"
ORDERS = "s3://lake/exports/orders/"
SPARK_RUN = "0193a6f1-0000-7000-8000-00000000a001"


def _log(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class World:
    url: str
    service: SqlLineageService
    intake: OpenLineageIntake

    def take(self, *events: dict[str, Any]) -> Any:
        return self.intake.ingest([(f"test:{n}", e) for n, e in enumerate(events)])

    def count(self, column: Any) -> int:
        with self.service.store.catalog.engine.connect() as conn:
            return len(conn.execute(select(column)).all())


def _world(url: str) -> World:
    service = build_lineage(load_settings(None, database_url=url))
    return World(
        url, service, OpenLineageIntake(service, SqlOpenLineageEvents(service.store.catalog))
    )


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    made = _world(database_url)
    yield made
    made.service.store.catalog.engine.dispose()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    """The CLI half runs once, on SQLite (the CLI reads the same store on either database)."""
    made = _world(f"sqlite:///{tmp_path / 'cli.db'}")
    yield made
    made.service.store.catalog.engine.dispose()


def test_an_event_and_its_edges_commit_once(world: World) -> None:
    """One event per request is one transaction: the event row and its hops commit together."""
    commits: list[int] = []
    event.listen(world.service.store.catalog.engine, "commit", lambda _conn: commits.append(1))
    start, complete = _log("airflow_postgres_to_s3.jsonl")
    world.take(start)
    assert len(commits) == 1
    report = world.take(complete)
    assert (report.new, report.edges_new) == (1, 1)
    assert len(commits) == 2  # the COMPLETE, its edge and its schemas: one commit
    assert world.count(LineageEdgeRow.id) == 1
    assert world.count(OpenLineageEventRow.id) == 2


class _Racing(SqlOpenLineageEvents):
    """Another request delivers ``event`` (and commits) right after this one read the runs."""

    def __init__(self, world: World, event: dict[str, Any]) -> None:
        super().__init__(world.service.store.catalog)
        self.world, self.event, self.raced = world, event, False
        self.other = OpenLineageIntake(world.service, SqlOpenLineageEvents(self.catalog))

    def unit_of_work(self) -> SqlOpenLineageUnitOfWork:
        racing = self

        class Unit(SqlOpenLineageUnitOfWork):
            def stored(
                self, run_ids: Sequence[str]
            ) -> dict[str, list[tuple[EventKey, Mapping[str, Any]]]]:
                found = super().stored(run_ids)
                if not racing.raced:
                    racing.raced = True
                    assert racing.other.ingest([("other", racing.event)]).new == 1
                return found

        return Unit(self.catalog)


def test_a_concurrent_delivery_of_the_same_event_counts_once(world: World) -> None:
    start, running, complete = _log("spark_partitioned_parquet.jsonl")
    world.take(start, running)
    racing = _Racing(world, complete)
    report = OpenLineageIntake(world.service, racing).ingest([("ours", complete)])
    assert racing.raced
    assert (report.new, report.duplicates, report.edges) == (0, 1, 0)
    assert world.count(OpenLineageEventRow.id) == 3
    assert world.count(LineageEdgeRow.id) == 1


def test_a_spark_complete_declares_the_dataset_schema(world: World) -> None:
    report = world.take(*_log("spark_partitioned_parquet.jsonl"))
    assert (report.schemas, report.schemas_stored) == (2, 2)
    declared = SqlDeclaredSchemas(world.service.store.catalog).declared(
        [ORDERS, "postgres:appdb.public.orders"]
    )
    orders = declared[ORDERS]  # the partition file's declaration belongs to its dataset
    assert [(f.name, f.type) for f in orders.fields] == [
        ("order_id", "long"),
        ("customer_id", "long"),
        ("amount", "decimal(10,2)"),
        ("card_last4", "string"),
    ]
    assert orders.origin == "openlineage"
    assert orders.run_id == SPARK_RUN
    assert orders.event_time == datetime(2025, 1, 1, 3, 1, 5, 900000, tzinfo=UTC)
    again = world.take(*_log("spark_partitioned_parquet.jsonl"))
    assert (again.duplicates, again.schemas_stored) == (3, 0)


def _run(run: int, time: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    *_, complete = _log("spark_partitioned_parquet.jsonl")
    out = copy.deepcopy(complete)
    out["eventTime"] = time
    out["run"]["runId"] = f"0193a6f1-0000-7000-8000-{run:012d}"
    out["outputs"][0]["facets"]["schema"]["fields"] = fields
    return out


def test_an_older_event_does_not_overwrite_a_newer(world: World) -> None:
    store = SqlDeclaredSchemas(world.service.store.catalog)
    first = _run(2, "2025-01-02T00:00:00Z", [{"name": "order_id", "type": "long"}])
    assert world.take(first).schemas_stored == 2
    # 01:00 UTC on 2 January, though its text sorts before the first one's: times compare.
    later = _run(1, "2025-01-01T23:00:00-02:00", [{"name": "new_id", "type": "int"}])
    assert world.take(later).schemas_stored == 2
    assert [f.name for f in store.declared([ORDERS])[ORDERS].fields] == ["new_id"]
    older = _run(3, "2024-12-31T00:00:00Z", [{"name": "ancient", "type": "int"}])
    report = world.take(older)
    assert (report.new, report.schemas, report.schemas_stored) == (1, 2, 0)
    declared = store.declared([ORDERS])[ORDERS]
    assert [f.name for f in declared.fields] == ["new_id"]
    assert declared.run_id == "0193a6f1-0000-7000-8000-000000000001"
    assert declared.event_time == datetime(2025, 1, 2, 1, 0, tzinfo=UTC)


def test_a_bad_schema_facet_is_a_problem_not_a_crash(world: World) -> None:
    bad = _run(4, "2025-01-03T00:00:00Z", [])
    bad["outputs"][0]["facets"]["schema"]["fields"] = "order_id long"
    report = world.take(bad)
    assert report.new == 1 and report.edges_new == 1  # the hop still counts
    assert any("schema facet not stored" in p.reason for p in report.problems)
    declared = SqlDeclaredSchemas(world.service.store.catalog).declared([ORDERS])
    assert ORDERS not in declared


def test_datasets_show_puts_the_declared_schema_beside_the_observed_one(
    sqlite_world: World, tmp_path: Path
) -> None:
    world = sqlite_world
    datasets = SqlDatasetStore(world.service.store.catalog)
    datasets.record_grouping(
        DatasetSummary(
            ref=DatasetRef("lake", "exports/orders/"),
            rule=GroupingRule.HIVE,
            explanation="hive partitions dt",
            object_count=1,
            total_bytes=100,
            marker_count=0,
            partition_columns=("dt",),
            partitions=(),
            formats=(("parquet", 1),),
            newest=None,
        )
    )
    observed = [SchemaColumn("order_id", "int64"), SchemaColumn("amount", "double"),
                SchemaColumn("card_last4", "int64"), SchemaColumn("dt", "string")]  # fmt: skip
    datasets.record_schema(ORDERS, observed, "scan")
    world.take(*_log("spark_partitioned_parquet.jsonl"), *_log("snowflake_copy.jsonl"))
    env = {"ENRICH_DATABASE_URL": world.url}
    out = run_enricher(["datasets", "show", ORDERS, "--format", "json"], env, tmp_path)
    assert out.returncode == 0, out.stderr
    declared = json.loads(out.stdout)["declared_schema"]
    assert (declared["origin"], declared["run_id"]) == ("openlineage", SPARK_RUN)
    status = {c["name"]: c["status"] for c in declared["columns"]}
    assert status == {
        "order_id": "same",
        "customer_id": "declared only",
        "amount": "same",
        "card_last4": "type differs",
        "dt": "observed only",
    }
    assert declared["differing"] == 3
    text = run_enricher(["datasets", "show", ORDERS], env, tmp_path)
    assert "3 columns differ from the scans" in text.stdout
    table = "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"
    shown = run_enricher(["lineage", "show", table, "--format", "json"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    fields = json.loads(shown.stdout)["declared_schema"]["fields"]
    assert [f["name"] for f in fields] == ["ID", "EMAIL_SHA256", "COUNTRY", "CREATED_AT"]
