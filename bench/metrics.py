"""What the Prometheus metrics cost: the same objects through ``enrich_object``, on and off.

In one warm process, ``--objects`` local 20-column x 1,000-row CSV objects
(``bench/worker.py``'s) go through the whole ``enrich_object`` (read, sample, PII and
business classifiers, record in a SQLite catalog), each object twice per round: once with
the metrics off (``NoMetrics``) and once on (``PrometheusMetrics`` in multiprocess mode,
file-backed as in a worker), the order alternating per object so drift hits both alike.
``--repeat`` rounds; the medians of the rounds' totals and the overhead ratio are printed.
Because a few microseconds disappear in the classifiers' noise, the metric calls of one
object (one outcome, sample, classify per classifier, record) are also timed alone, over
10,000 objects, and given as a share of an object's time: the bound that noise cannot blur.

Never prints values. Usage: ``python bench/metrics.py [--objects 20] [--repeat 3]
[--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def run(objects: int, repeat: int) -> dict[str, Any]:
    """Seconds with the metrics off and on (medians of ``repeat`` rounds), and the calls alone."""
    from dataclasses import replace

    from bench.worker import typical_csv
    from models import ObjectRef
    from worker.adapters.metrics.prometheus import PrometheusMetrics, use_multiprocess
    from worker.bootstrap import build_deps
    from worker.core.pipeline import EnrichOptions, enrich_object
    from worker.core.ports import NoMetrics
    from worker.core.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        use_multiprocess(str(work / "prom"))
        refs = []
        for i in range(objects):
            path = work / "lake" / f"part-{i:05d}.csv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(typical_csv(i % 10))
            refs.append(ObjectRef.parse(path.as_uri()))
        settings = load_settings(database_url=f"sqlite:///{work / 'c.db'}")
        base = build_deps(settings)
        off = replace(base, metrics=NoMetrics())
        on = replace(base, metrics=PrometheusMetrics())
        run_id = base.catalog.start_run("bench", [])
        options = EnrichOptions(sampling=settings.sampling.options(None), force=True, run_id=run_id)
        enrich_object(refs[0], on, options)  # warm-up: models, files, the catalog
        enrich_object(refs[0], off, options)
        rounds: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(repeat):
            spent = {"off": 0.0, "on": 0.0}
            for i, ref in enumerate(refs):
                order = (("off", off), ("on", on)) if i % 2 == 0 else (("on", on), ("off", off))
                for name, deps in order:
                    started = time.perf_counter()
                    result = enrich_object(ref, deps, options)
                    spent[name] += time.perf_counter() - started
                    if result.status.value != "classified":
                        raise SystemExit(f"{ref.name}: {result.status.value}")
            for name in spent:
                rounds[name].append(spent[name])
        calls = _calls_alone(PrometheusMetrics(), [c.name for c in base.classifiers])
    off_s, on_s = statistics.median(rounds["off"]), statistics.median(rounds["on"])
    per_object = off_s / objects
    return {
        "objects": objects,
        "repeat": repeat,
        "off_s": off_s,
        "on_s": on_s,
        "off_objects_per_s": objects / off_s,
        "on_objects_per_s": objects / on_s,
        "overhead": on_s / off_s - 1,
        "calls_us_per_object": calls * 1e6,
        "calls_share": calls / per_object,
    }


def _calls_alone(metrics: Any, classifiers: list[str], n: int = 10_000) -> float:
    """Seconds of one object's metric calls, the mean over ``n`` objects."""
    started = time.perf_counter()
    for _ in range(n):
        metrics.stage_seconds("sample", 0.01)
        for name in classifiers:
            metrics.stage_seconds("classify", 0.2, name)
        metrics.stage_seconds("record", 0.005)
        metrics.object_done("classified", "csv", "", 123_456)
        metrics.job_object("classified")
    return (time.perf_counter() - started) / n


def main() -> None:
    """Parse the arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = run(args.objects, args.repeat)
    print(f"| measure ({figures['objects']} objects, median of {figures['repeat']}) | value |")
    print("|---|---|")
    print(f"| metrics off | {figures['off_s']:.2f} s ({figures['off_objects_per_s']:.2f} obj/s) |")
    print(f"| metrics on | {figures['on_s']:.2f} s ({figures['on_objects_per_s']:.2f} obj/s) |")
    print(f"| overhead (on / off - 1; target < 2%) | {figures['overhead']:+.2%} |")
    print(
        f"| metric calls alone, per object | {figures['calls_us_per_object']:.1f} us "
        f"({figures['calls_share']:.4%} of an object) |"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
