"""Ask the catalog (issue 21): exact-answer accuracy per family, refusals, and latency.

``python bench/ask.py`` (``--skip-latency``, ``--skip-accuracy``, ``--json FILE``).

* **Accuracy**: the questions of ``bench/ask_questions.yaml`` (written by hand, with
  paraphrases and the exact set of expected items) over the sample lake plus the lineage
  fixtures (:mod:`tests.support.ask_lake`). A question is exact when it is understood and its
  items (an item's URI, or its name for columns) are the expected set; a refusal-set
  question is right when it is not understood. "Confident wrong": understood, wrong items.
* **Latency**: p50/p95 per question on a generated catalog of 10,000 datasets (verdicts with
  categories and PII) and 50,000 lineage edges
  (:func:`tests.support.lineage_graph.generated_edges`), through the service (a cold
  service per question, as the CLI is) and through ``enricher ask`` as a subprocess.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.ask_lake import LAKE, build_sample_catalog  # noqa: E402
from tests.support.lineage_graph import COLUMNS, generated_edges  # noqa: E402
from worker.bootstrap import build_ask  # noqa: E402
from worker.core.settings import load_settings  # noqa: E402

QUESTIONS = ROOT / "bench" / "ask_questions.yaml"
#: Questions timed on the generated catalog, one per family (names of the generated graph).
LATENCY_QUESTIONS = [
    "Show me all customer data flowing through S3.",
    "Which datasets have IBANs?",
    "How many datasets have IBANs?",
    "What would break if I change the t42 table schema?",
    "what breaks if I change postgres:appdb.s3.t3?",
    "Which dashboards use snowflake:analytics.mart.m3?",
    "path from appdb.s1.t8 to analytics.mart.m0",
    "Where do IBANs flow unmasked?",
    "Which columns hold SSNs?",
    "open alerts",
    "What is pending review?",
    "Which datasets break their contract?",
    "top 5 datasets by PII",
    "purple elephants dancing quietly",
    "Which reports use Singapore transaction data?",
]
CLI_QUESTIONS = LATENCY_QUESTIONS[:2] + LATENCY_QUESTIONS[3:4]
_CATEGORIES = ("customer", "finance", "employee", "sales", "marketing", "product", "operations")


def _key(item: dict[str, Any]) -> str:
    return str(item["name"] if item["kind"] == "column" else item["uri"])


def _facts(service: Any, facts: dict[str, dict[str, Any]]) -> list[str]:
    """What the scan found that differs from what the expectations assume."""
    drift = []
    for uri, want in facts.items():
        d = service.datasets.get(uri.replace("{L}", LAKE))
        v = d.verdict if d is not None else None
        got_cat = v.category if v else None
        got_ents = sorted(e for e, _ in v.entities) if v else []
        if got_cat != want["category"] or got_ents != sorted(want["entities"]):
            drift.append(f"{uri}: category {got_cat}, entities {got_ents}")
    return drift


def accuracy(url: str) -> dict[str, Any]:
    """Score every question of the set on the catalog at ``url``."""
    spec = yaml.safe_load(QUESTIONS.read_text())
    service = build_ask(load_settings(None, database_url=url))
    out: dict[str, Any] = {"facts_drift": _facts(service, spec["facts"]), "families": {}}
    wrong: list[dict[str, Any]] = []
    confident_wrong_refusals = 0
    total = right = 0
    for family, cases in spec["families"].items():
        n = ok = confident = 0
        for case in cases:
            expected = {i.replace("{L}", LAKE) for i in case.get("items", [])}
            for question in case["ask"]:
                answer = service.ask(question).to_dict()
                items = {_key(i) for i in answer["items"]}
                if case.get("refuse"):
                    good = not answer["understood"]
                    if answer["understood"]:
                        confident += 1
                        confident_wrong_refusals += 1
                else:
                    good = answer["understood"] and items == expected
                    if "count" in case and answer["count"] != case["count"]:
                        good = False
                    if answer["understood"] and not good:
                        confident += 1
                n += 1
                ok += good
                if not good:
                    wrong.append({"family": family, "question": question,
                                  "understood": answer["understood"],
                                  "interpretation": answer["interpretation"][:160],
                                  "missing": sorted(expected - items)[:5],
                                  "extra": sorted(items - expected)[:5]})  # fmt: skip
        total += n
        right += ok
        out["families"][family] = {"questions": n, "exact": round(ok / n, 3),
                                   "confident_wrong": confident}  # fmt: skip
    out["questions"] = total
    out["exact_overall"] = round(right / total, 3)
    out["confident_wrong_on_refusals"] = confident_wrong_refusals
    out["wrong"] = wrong
    return out


def build_big_catalog(url: str, n_datasets: int, n_edges: int) -> None:
    """``n_datasets`` S3 datasets with verdicts (the generated graph's) and ``n_edges`` edges."""
    from sqlalchemy import insert

    from models.datasets import ColumnVerdict, DatasetVerdict
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.schema import datasets

    catalog = SqlLocalCatalog(url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows = []
    for i in range(n_datasets):
        uri = f"s3://lake/exports/s{i % 7}/t{i}/"
        ents = (
            {"EMAIL_ADDRESS": ["email"], "PERSON": ["name"]} if i % 3 else {"IBAN_CODE": ["iban"]}
        )
        cols = tuple(
            ColumnVerdict(c, "string", tuple((e, 1.0) for e, cs in ents.items() if c in cs), 2)
            for c in (*COLUMNS, "iban")
        )
        verdict = DatasetVerdict(uri, 2, 2, cols, _CATEGORIES[i % 7], 0.9, f"dataset {i}",
                                 tuple((e, tuple(c)) for e, c in sorted(ents.items())))  # fmt: skip
        rows.append({"uri": uri, "bucket": "lake", "root": f"exports/s{i % 7}/t{i}/",
                     "rule": "hive", "explanation": "generated", "object_count": 3,
                     "total_bytes": 1000 + i, "marker_count": 0, "partition_columns": [],
                     "partition_count": 1, "formats": {"parquet": 3}, "newest": now,
                     "verdict": verdict.to_dict(), "schema_version": 1, "first_seen": now,
                     "last_seen": now, "last_scanned": now})  # fmt: skip
    # One statement: the store's per-dataset API takes minutes for 10,000 and tests nothing here.
    with catalog.engine.begin() as conn:
        conn.execute(insert(datasets), rows)
    SqlLineageStore(catalog).upsert(generated_edges(n_edges), auto_apply_threshold=0.85)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)


def latency(url: str, repeat: int) -> dict[str, Any]:
    """Per-question wall time (ms): a cold service per question, and the CLI."""
    settings = load_settings(None, database_url=url)
    per_question: dict[str, list[float]] = {}
    times: list[float] = []
    for _ in range(repeat):
        for q in LATENCY_QUESTIONS:
            service = build_ask(settings)  # cold: names read again, as `enricher ask` does
            t0 = time.perf_counter()
            service.ask(q)
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            per_question.setdefault(q, []).append(ms)
    cli: list[float] = []
    env = {**os.environ, "ENRICH_DATABASE_URL": url}
    for q in CLI_QUESTIONS:
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([str(ROOT / ".venv/bin/enricher"), "ask", q, "--format", "json"],
                           env=env, capture_output=True, text=True, check=True)  # fmt: skip
            cli.append((time.perf_counter() - t0) * 1000)
    return {
        "service_ms": {"p50": _pct(times, 0.5), "p95": _pct(times, 0.95), "n": len(times)},
        "per_question_median_ms": {
            q: round(statistics.median(v), 1) for q, v in per_question.items()
        },  # fmt: skip
        "cli_ms": {"p50": _pct(cli, 0.5), "p95": _pct(cli, 0.95), "n": len(cli)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_accuracy:
            url = f"sqlite:///{tmp}/sample.db"
            build_sample_catalog(url, Path(tmp))
            result["accuracy"] = accuracy(url)
        if not args.skip_latency:
            url = f"sqlite:///{tmp}/big.db"
            build_big_catalog(url, args.datasets, args.edges)
            result["latency"] = latency(url, args.repeat)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
