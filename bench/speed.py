"""Columns per second: s3-enricher's classifier vs presidio-structured, on the same samples.

Usage::

    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" .venv/bin/python bench/speed.py \\
        [--wide-columns 40] [--long-rows 5000] [--long-columns 6] [--repeat 3] \\
        [--classifier classifiers.pii:PiiClassifier] [--no-structured] [--json FILE]

Two shapes, both built from the benchmark corpus (``bench/corpus.py``, test split):

- wide: the first ``--wide-columns`` columns of the corpus, 1,000 rows each, as one table;
- long: the first ``--long-columns`` columns of the first table, ``--long-rows`` rows.

Model load is timed once per system and reported apart; classification is timed
``--repeat`` times for s3-enricher (best and median wall time, and median CPU time of this
process, reported) and once for presidio-structured
(it takes minutes). presidio-structured runs with its defaults on Presidio's default
``AnalyzerEngine`` with our spaCy model (see ``bench/accuracy.py``). Prints timings only,
never values.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.accuracy import (  # noqa: E402
    EnricherSystem,
    StructuredSystem,
    build_presidio_default_analyzer,
)
from bench.corpus import LabelledColumn, LabelledTable, iter_tables  # noqa: E402


def wide_table(columns: int, split: str = "test") -> LabelledTable:
    """The first ``columns`` columns of the corpus (1,000 rows), renamed to be unique."""
    picked: list[LabelledColumn] = []
    for table in iter_tables(split, real=False):
        for col in table.columns:
            picked.append(
                LabelledColumn(
                    f"{table.name}__{col.name}", col.data_type, col.values, col.entities,
                    col.kind, col.spec,
                )
            )  # fmt: skip
            if len(picked) == columns:
                return LabelledTable("wide", "s3://bench/speed/wide.parquet", "speed",
                                     tuple(picked))  # fmt: skip
    return LabelledTable("wide", "s3://bench/speed/wide.parquet", "speed", tuple(picked))


def long_table(rows: int, columns: int, split: str = "test") -> LabelledTable:
    """The first ``columns`` columns of the corpus's first table, ``rows`` rows."""
    first = next(iter(iter_tables(split, rows=rows, real=False)))
    return LabelledTable("long", "s3://bench/speed/long.parquet", "speed",
                         first.columns[:columns])  # fmt: skip


def _time(fn: Any, repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall seconds of ``repeat`` calls; their CPU seconds (this process) go to ``cpu``."""
    out = []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the speed comparison and print (optionally save) its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wide-columns", type=int, default=40)
    parser.add_argument("--long-rows", type=int, default=5000)
    parser.add_argument("--long-columns", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--classifier", default=None, help="module:Class (default as accuracy)")
    parser.add_argument("--no-structured", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    shapes = {
        "wide": wide_table(args.wide_columns),
        "long": long_table(args.long_rows, args.long_columns),
    }
    results: dict[str, Any] = {"shapes": {}, "load_seconds": {}}
    ours = EnricherSystem(args.classifier, 0.0)
    started = time.perf_counter()
    ours.load()
    results["load_seconds"]["enricher"] = time.perf_counter() - started
    structured = None
    if not args.no_structured:
        structured = StructuredSystem(build_presidio_default_analyzer)
        started = time.perf_counter()
        structured.load()
        results["load_seconds"]["structured"] = time.perf_counter() - started

    print(f"classifier: {ours.title}")
    for system, seconds in results["load_seconds"].items():
        print(f"model load {system}: {seconds:.2f} s")
    for shape, table in shapes.items():
        cols, rows = len(table.columns), table.rows
        entry: dict[str, Any] = {"columns": cols, "rows": rows}
        ours.predict(table)  # warm-up (lazy imports, caches) outside the timing
        cpu: list[float] = []
        times = _time(lambda t=table: ours.predict(t), args.repeat, cpu)
        best, median, cpu_median = min(times), statistics.median(times), statistics.median(cpu)
        entry["enricher"] = {
            "best_s": best,
            "median_s": median,
            "columns_per_s": cols / median,
            "cpu_median_s": cpu_median,
            "columns_per_cpu_s": cols / cpu_median,
        }
        # CPU seconds too: on a shared box wall time mostly measures the other processes.
        line = (
            f"{shape}: {cols} columns x {rows:,} rows | s3-enricher median {median:.2f} s "
            f"(best {best:.2f}) = {cols / median:,.1f} columns/s, "
            f"{cols * rows / median:,.0f} cells/s; CPU {cpu_median:.2f} s = "
            f"{cols / cpu_median:,.1f} columns per CPU second"
        )
        if structured is not None:
            s_time = _time(lambda t=table: structured.predict(t), 1)[0]
            entry["structured"] = {"seconds": s_time, "columns_per_s": cols / s_time}
            entry["speedup"] = s_time / median
            line += (
                f" | presidio-structured {s_time:.1f} s = {cols / s_time:,.2f} columns/s"
                f" | speed-up {s_time / median:,.1f}x"
            )
        print(line, flush=True)
        results["shapes"][shape] = entry
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
