"""Impact analysis on a generated 10,000-edge lineage graph: in-process and through the CLI.

``make bench-lineage`` (or ``python bench/lineage.py --edges 10000``). Loads the graph into
a SQLite local catalog with the lineage store, then times ``enricher lineage impact`` for a
table and for one column: the in-process query (load edges, build the graph, walk, PII) and
the whole command (interpreter start, imports, query, output).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.lineage_graph import generated_edges  # noqa: E402
from worker.bootstrap import build_lineage  # noqa: E402
from worker.core.settings import load_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--openlineage",
        type=int,
        default=10_000,
        help="OpenLineage events to ingest into the grown graph (0: skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/catalog.db"
        service = build_lineage(load_settings(None, database_url=url))
        edges = generated_edges(args.edges)
        started = time.perf_counter()
        service.store.upsert(edges, auto_apply_threshold=0.85)
        load_s = time.perf_counter() - started
        rows = []
        for target in ("postgres:appdb.s3.t3", "postgres:appdb.s3.t3.email"):
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                start, nodes, _ = service.impact(target)
                times.append(time.perf_counter() - t0)
            env = {**os.environ, "ENRICH_DATABASE_URL": url}
            cli = []
            for _ in range(3):
                t0 = time.perf_counter()
                out = subprocess.run(
                    [str(ROOT / ".venv/bin/enricher"), "lineage", "impact", target, "--format",
                     "json"], env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                cli.append(time.perf_counter() - t0)
            reported = json.loads(out.stdout)
            rows.append(
                {
                    "target": target,
                    "downstream": len(nodes),
                    "in_process_median_s": round(statistics.median(times), 4),
                    "in_process_max_s": round(max(times), 4),
                    "cli_query_s": reported["seconds"],
                    "cli_wall_median_s": round(statistics.median(cli), 3),
                }
            )
        # Baseline in the same run: load every applied edge and walk the graph in memory (what
        # the first version did), against the indexed lazy walk; time and peak Python memory.
        from worker.core.lineage.impact import LineageGraph

        start_ds, _ = service.resolve("postgres:appdb.s3.t3", service.graph())

        def full() -> int:
            return len(LineageGraph(service.store.edges()).downstream(start_ds))

        def lazy() -> int:
            return len(service.graph().downstream(start_ds))

        compare = {}
        for name, fn in (("full_graph_baseline", full), ("indexed_lazy_walk", lazy)):
            tracemalloc.start()
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                reached = fn()
            elapsed = (time.perf_counter() - t0) / args.repeat
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            compare[name] = {"reached": reached, "seconds": round(elapsed, 4),
                             "peak_mib": round(peak / 2**20, 2)}  # fmt: skip
        compare["speedup"] = round(
            compare["full_graph_baseline"]["seconds"] / compare["indexed_lazy_walk"]["seconds"], 1
        )
        # A wider walk: everything upstream and downstream of a mart (ten chains fan in).
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            _, up, down, _ = service.show("snowflake:analytics.mart.m3")
            times.append(time.perf_counter() - t0)
        show = {"target": "snowflake:analytics.mart.m3", "upstream": len(up),
                "in_process_median_s": round(statistics.median(times), 4)}  # fmt: skip
        intake = openlineage_intake(service, args.openlineage, args.repeat)
        print(json.dumps({"edges": len(edges), "load_s": round(load_s, 2), "impact": rows,
                          "show": show, "baseline": compare, "openlineage": intake},
                         indent=2))  # fmt: skip
    return 0


def _ol_events(count: int, first: int = 0) -> list[dict[str, Any]]:
    """``count`` events: runs of START then COMPLETE, half PostgreSQL → S3 partition files
    (with a columnLineage facet), half S3 prefix → Snowflake COPYs of those datasets."""
    import uuid

    events: list[dict[str, Any]] = []
    run = first
    while len(events) < count:
        i = run // 2
        if run % 2 == 0:
            job = f"export_t{i}"
            inputs = [{"namespace": "postgres://db:5432", "name": f"appdb.ol.t{i}"}]
            name = f"ol/t{i}/dt=2025-01-01/part-0000.parquet"
            fields = {c: {"inputFields": [{"namespace": "postgres://db:5432",
                                           "name": f"appdb.ol.t{i}", "field": c}]}
                      for c in ("id", "email", "name", "created_at", "amount")}  # fmt: skip
            outputs = [{"namespace": "s3://lake", "name": name,
                        "facets": {"columnLineage": {"fields": fields}}}]  # fmt: skip
        else:
            job = f"copy_t{i}"
            inputs = [{"namespace": "s3://lake", "name": f"ol/t{i}"}]
            outputs = [{"namespace": "snowflake://acme", "name": f"RAW.OL.T{i}"}]
        for second, kind in enumerate(("START", "COMPLETE")):
            events.append({
                "eventType": kind, "eventTime": f"2025-01-01T00:00:0{second}Z",
                "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.26.0/bench",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": str(uuid.UUID(int=run + 1))},
                "job": {"namespace": "bench", "name": job},
                "inputs": inputs, "outputs": outputs,
            })  # fmt: skip
        run += 1
    return events[:count]


def openlineage_intake(service: Any, count: int, repeat: int) -> dict[str, Any]:
    """Ingest ``count`` OpenLineage events into the grown graph: as a recorded log (one
    batch, what ``lineage load --openlineage`` does) and one event per call (what each POST
    /api/v1/lineage does); then impact queries on the grown graph."""
    if count <= 0:
        return {}
    from worker.adapters.catalog.openlineage_events import SqlOpenLineageEvents
    from worker.services.lineage.openlineage import OpenLineageIntake

    intake = OpenLineageIntake(service, SqlOpenLineageEvents(service.store.catalog))
    log = _ol_events(count)
    t0 = time.perf_counter()
    report = intake.ingest((f"bench:{n}", e) for n, e in enumerate(log, 1))
    batch_s = time.perf_counter() - t0
    single = _ol_events(min(count, 1000), first=count)  # new runs, one event per call
    # What one call costs the database: commits (an fsync each on SQLite) and statements.
    from sqlalchemy import event as sa_event

    calls = {"commit": 0, "statement": 0}

    def commit(_conn: Any) -> None:
        calls["commit"] += 1

    def statement(*_args: Any) -> None:
        calls["statement"] += 1

    engine = service.store.catalog.engine
    sa_event.listen(engine, "commit", commit)
    sa_event.listen(engine, "before_cursor_execute", statement)
    t0 = time.perf_counter()
    for n, event in enumerate(single):
        intake.ingest([(f"post:{n}", event)])
    single_s = time.perf_counter() - t0
    sa_event.remove(engine, "commit", commit)
    sa_event.remove(engine, "before_cursor_execute", statement)
    t0 = time.perf_counter()
    again = intake.ingest((f"dup:{n}", e) for n, e in enumerate(log[:1000]))
    dup_s = time.perf_counter() - t0
    impact = {}
    for target in ("postgres:appdb.ol.t7.email", "postgres:appdb.s3.t3.email"):
        times = []
        for _ in range(repeat):
            t1 = time.perf_counter()
            _, nodes, _ = service.impact(target)
            times.append(time.perf_counter() - t1)
        impact[target] = {"downstream": len(nodes),
                          "median_s": round(statistics.median(times), 4),
                          "max_s": round(max(times), 4)}  # fmt: skip
    return {
        "events": len(log),
        "edges": report.edges,
        "edges_new": report.edges_new,
        "problems": len(report.problems),
        "batch_s": round(batch_s, 2),
        "batch_events_per_s": round(len(log) / batch_s),
        "single_events": len(single),
        "single_events_per_s": round(len(single) / single_s),
        "single_commits_per_event": round(calls["commit"] / len(single), 2),
        "single_statements_per_event": round(calls["statement"] / len(single), 2),
        "duplicates_per_s": round(again.duplicates / dup_s),
        "impact_on_grown_graph": impact,
    }


if __name__ == "__main__":
    sys.exit(main())
