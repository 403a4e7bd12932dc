"""Memory benchmark: peak RSS of one ``enrich_object`` call per object, hostile and normal.

Builds (under a temporary directory, or ``--data DIR``) the hostile objects of issue 13
(``tests/support/badfiles.py``: a Parquet dictionary bomb, a sparse 256 MiB file claiming a 256 MiB
footer, a header-less CSV, 200,000 nested ``[``, gzip/zstd/bz2 decompression bombs, giant
cells in CSV/JSON Lines/Parquet, thousands of columns, millions of tiny rows) and the
largest normal objects (a 64 MiB CSV, a 1.5M-row Parquet with one large row group and one with
many small ones, a gzip JSON Lines), then measures each in a fresh subprocess:

1. build the real dependencies (:func:`worker.bootstrap.build_deps` on default settings and a
   throwaway SQLite catalog: the PII and business classifiers, spaCy included);
2. load the classifiers and warm them with one small CSV and one small Parquet object;
3. reset the peak (``echo 5 > /proc/self/clear_refs``: VmHWM := VmRSS), note VmRSS;
4. one ``enrich_object`` call (``run_id`` set, so the catalog write is included);
5. read VmHWM: the absolute peak, and its increase over the warmed process.

The target (issue 13) applies to the increase: at most 300 MiB per call whatever the input.
The increase is also printed as a ratio to the largest increase among the normal objects,
measured in the same run. Exit status 1 if a hostile object breaks the target or ends with
another outcome than expected.

Usage: ``python bench/memory.py [--only NAME ...] [--data DIR] [--json FILE]`` (~3 min on
the 2-core box, almost all of it loading the models once per subprocess). Linux only.

``--scan N [N ...]`` measures whole scans instead (issue 17): ``enricher scan DIR --report
FILE`` as a subprocess on N small CSV files (1,000 per directory), ``datasets.enabled`` off so
that every object is sampled, the catalog a throwaway SQLite file (under ``/dev/shm`` when it
exists, so that per-object commits do not wait on the disk). Its peak RSS (``wait4``
``ru_maxrss``) is printed beside the smallest count's, so that growth with the count shows; the
target is at most 500 MiB whatever N. The classifiers are off unless ``--scan-classifiers``
(they add a constant ~250 MiB and ~40 ms per object, which makes 100,000 objects take over an
hour on the 2-core box); ``--scan-root DIR`` runs the ``worker`` package found in DIR (a
``git archive`` of an earlier commit) to measure the code before a change.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
for _name in [n for n in os.environ if n.startswith("ENRICH_")]:
    del os.environ[_name]  # the defaults are what is measured

MIB = 1024 * 1024
TARGET_MIB = 300
SCAN_TARGET_MIB = 500


@dataclass(frozen=True)
class Case:
    """One object: how to build it and what ``enrich_object`` should make of it.

    :param expect: ``classified``, ``skipped`` or ``failed:<kind>``.
    """

    name: str
    build: Callable[[Path], object]  # writes the object at the path; any result is ignored
    expect: str
    hostile: bool
    what: str


def _write(data: Callable[[], bytes]) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data())


def _normal_csv(path: Path) -> None:
    import random

    rng = random.Random(7)
    cities = ["Leeds", "Lyon", "Porto", "Graz", "Turku", "Aarhus", "Gdansk", "Bilbao"]
    with path.open("w", encoding="utf-8") as out:
        out.write("id,first_name,last_name,email,phone,city,amount,created_at,note\n")
        i = 0
        while out.tell() < 64 * MIB:
            first, last = f"Name{rng.randrange(5000)}", f"Family{rng.randrange(9000)}"
            out.write(
                f"{i},{first},{last},{first.lower()}.{last.lower()}@example.com,"
                f"+44 20 7946 {rng.randrange(10000):04d},{rng.choice(cities)},"
                f"{rng.randrange(10**6) / 100},2025-0{1 + i % 9}-1{i % 9}T10:00:00Z,"
                f"order {i} delivered to the front door\n"
            )
            i += 1


def _normal_parquet(row_group: int) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        rng = np.random.default_rng(3)
        rows = 1_500_000
        names = np.array([f"Name{i} Family{i % 977}" for i in range(5000)])
        table = pa.table(
            {
                "id": np.arange(rows),
                "customer": pa.array(names[rng.integers(0, 5000, rows)]),
                "email": pa.array([f"user{i % 200_000}@example.org" for i in range(rows)]),
                "amount": rng.random(rows) * 1000,
                "country": pa.array(
                    np.array(["DE", "FR", "GB", "US", "SG"])[rng.integers(0, 5, rows)]
                ),
                "created": pa.array(
                    rng.integers(16 * 10**17, 17 * 10**17, rows), pa.timestamp("ns")
                ),
            }
        )
        pq.write_table(table, path, row_group_size=row_group)

    return build


def _normal_jsonl_gz(path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        for i in range(400_000):
            out.write(
                json.dumps(
                    {
                        "id": i,
                        "ip": f"10.{i % 250}.{i % 200}.{i % 199}",
                        "user": f"u{i % 9999}",
                        "path": f"/items/{i % 777}",
                        "status": 200 + i % 3,
                        "tags": ["a", "b"],
                    }
                )
                + "\n"
            )


def cases() -> list[Case]:
    from tests.support import badfiles as bad

    return [
        Case(
            "dictionary-bomb.parquet",
            _write(bad.dictionary_bomb),
            "classified",
            True,
            "105 KB: 1M rows of one 1,000-char dictionary value (1 GB decoded)",
        ),
        Case(
            "footer-claim.parquet",
            bad.footer_claim,
            "failed:sample_too_large",
            True,
            "sparse 256 MiB file claiming a 256 MiB footer",
        ),
        Case(
            "headerless.csv",
            _write(bad.headerless_csv),
            "classified",
            True,
            "CSV without header; first row a person, a town, a diagnosis",
        ),
        Case(
            "deep.jsonl",
            _write(bad.deep_json),
            "failed:nesting_too_deep",
            True,
            "JSON Lines record of 200,000 nested [",
        ),
        Case(
            "bomb.csv.gz",
            _write(lambda: bad.gzip_bomb(256)),
            "failed:decompression_bomb",
            True,
            "gzip, 256 MiB of zeros",
        ),
        Case(
            "bomb.csv.zst",
            _write(lambda: bad.zstd_bomb(1024)),
            "failed:decompression_bomb",
            True,
            "zstd, 1 GiB of zeros in 8 KB",
        ),
        Case(
            "bomb.csv.bz2",
            _write(lambda: bad.bz2_bomb(256)),
            "failed:decompression_bomb",
            True,
            "bz2, 256 MiB of zeros",
        ),
        Case(
            "giant-cell.csv",
            _write(lambda: bad.giant_cell_csv(64)),
            "any",
            True,
            "CSV with one 64 MiB cell",
        ),
        Case(
            "giant-cell-8mib.csv",
            _write(lambda: bad.giant_cell_csv(8)[: 8 * MIB]),
            "any",
            True,
            "an 8 MiB CSV that is one cell: read whole and parsed",
        ),
        Case(
            "giant-cell.jsonl",
            _write(lambda: bad.giant_cell_jsonl(64)),
            "any",
            True,
            "JSON Lines with one 64 MiB string",
        ),
        Case(
            "giant-cell.parquet",
            _write(lambda: bad.giant_cell_parquet(256)),
            "classified",
            True,
            "Parquet: a 256 MiB cell (one zstd page) next to an ordinary column",
        ),
        Case(
            "giant-page.parquet",
            _write(lambda: bad.giant_page_parquet(256)),
            "failed:sample_too_large",
            True,
            "Parquet: only the 256 MiB cell's column",
        ),
        Case(
            "wide-5k.parquet",
            _write(lambda: bad.wide_parquet(5000, 200)),
            "classified",
            True,
            "Parquet, 5,000 columns x 200 rows",
        ),
        Case(
            "wide-20k.parquet",
            _write(lambda: bad.wide_parquet(20_000, 100)),
            "classified",
            True,
            "Parquet, 20,000 columns (sampling.max_columns) x 100 rows",
        ),
        Case(
            "wide-30k.parquet",
            _write(lambda: bad.wide_parquet(30_000, 4)),
            "failed:sample_too_large",
            True,
            "Parquet, 30,000 columns",
        ),
        Case(
            "chunks-100k.parquet",
            _write(lambda: bad.many_chunks_parquet(2000, 50)),
            "classified",
            True,
            "footer of 100,000 column chunks (2,000 x 50), ~10 MiB",
        ),
        Case(
            "chunks-300k.parquet",
            _write(lambda: bad.many_chunks_parquet(1000, 300, False)),
            "failed:sample_too_large",
            True,
            "footer of 300,000 minimal column chunks in 14 MiB (~290 MiB decoded)",
        ),
        Case(
            "wide-10k.csv",
            _write(lambda: bad.wide_csv(10_000, 100)),
            "classified",
            True,
            "CSV, 10,000 columns x 100 rows",
        ),
        Case(
            "wide-20k.csv",
            _write(lambda: bad.wide_csv(20_000, 60)),
            "classified",
            True,
            "CSV, 20,000 columns x 60 rows",
        ),
        Case(
            "commas.csv",
            _write(lambda: b",".join([b"ab"] * 1_300_000) + b"\n"),
            "failed:sample_too_large",
            True,
            "one 3.9 MiB line of 1.3 million fields",
        ),
        Case(
            "tiny-rows.csv",
            _write(bad.tiny_rows_csv),
            "classified",
            True,
            "8 MiB of 2-column rows (~1.1M rows)",
        ),
        Case(
            "tiny-rows.jsonl",
            _write(bad.tiny_rows_jsonl),
            "classified",
            True,
            "8 MiB of one-key objects (~1M records)",
        ),
        Case("normal-64mib.csv", _normal_csv, "classified", False, "64 MiB CSV, 9 typical columns"),
        Case(
            "normal-1rg.parquet",
            _normal_parquet(1_500_000),
            "classified",
            False,
            "1.5M rows x 6 columns, one row group",
        ),
        Case(
            "normal-30rg.parquet",
            _normal_parquet(50_000),
            "classified",
            False,
            "1.5M rows x 6 columns, 30 row groups",
        ),
        Case(
            "normal.jsonl.gz",
            _normal_jsonl_gz,
            "classified",
            False,
            "400k JSON Lines records, gzip",
        ),
    ]


# --- the child: one call in a fresh process ---------------------------------------------------


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(path: Path, workdir: Path) -> dict[str, Any]:
    """Measure one call (see the module docstring); returns figures, never sampled values."""
    from models import ObjectRef
    from worker.bootstrap import build_deps
    from worker.core.pipeline import EnrichOptions, enrich_object
    from worker.core.settings import load_settings

    settings = load_settings(database_url=f"sqlite:///{workdir / 'catalog.db'}")
    deps = build_deps(settings)
    for classifier in deps.classifiers:
        classifier.load()
    run_id = deps.catalog.start_run("bench-memory", [str(path)])
    options = EnrichOptions(sampling=settings.sampling.options(), force=True, run_id=run_id)
    for warm in ("warm.csv", "warm.parquet"):
        enrich_object(ObjectRef.parse(str(workdir / warm)), deps, options)
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")
    before = _status("VmRSS")
    started = time.monotonic()
    result = enrich_object(ObjectRef.parse(str(path)), deps, options)
    seconds = time.monotonic() - started
    peak = _status("VmHWM")
    outcome = result.status.value
    if result.error is not None and result.status.value == "failed":
        outcome = f"failed:{result.error.kind}"
    return {
        "outcome": outcome,
        "kind": result.error.kind if result.error else None,
        "baseline_mib": before / MIB,
        "peak_mib": peak / MIB,
        "increase_mib": (peak - before) / MIB,
        "seconds": seconds,
        "bytes_read": result.bytes_read,
        "rows_sampled": result.sample.rows_sampled if result.sample else 0,
        "warnings": len(result.warnings),
    }


def _warmups(workdir: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (workdir / "warm.csv").write_text(
        "id,name,email,amount\n"
        + "".join(f"{i},Ann Lee{i},ann{i}@example.com,{i * 1.5}\n" for i in range(300)),
        encoding="utf-8",
    )
    buf = io.BytesIO()
    pq.write_table(
        pa.table({"id": list(range(300)), "email": [f"a{i}@example.org" for i in range(300)]}),
        buf,
    )
    (workdir / "warm.parquet").write_bytes(buf.getvalue())


# --- whole scans: peak RSS against the object count (issue 17) --------------------------------


def _scan_objects(data: Path, count: int) -> Path:
    """``count`` small CSV files under ``data/scan-<count>`` (kept for the next run)."""
    root = data / f"scan-{count}"
    done = root / ".complete"
    if done.exists():
        return root
    for i in range(count):
        folder = root / f"part-{i // 1000:04d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"orders-{i:06d}.csv").write_text(
            "id,amount,city,created_at\n"
            + "".join(
                f"{i * 10 + r},{(i * 7 + r) % 1000 / 4},Leeds,2025-01-{1 + r % 28:02d}\n"
                for r in range(5)
            ),
            encoding="utf-8",
        )
    done.write_text("", encoding="utf-8")
    return root


def _run_scan(
    objects: Path, count: int, workdir: Path, code_root: Path | None, classifiers: bool
) -> dict[str, Any]:
    """One ``enricher scan`` subprocess; its peak RSS from ``wait4``."""
    shm = Path("/dev/shm")
    db_dir = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else workdir, prefix="bench-scan-"))
    env = dict(os.environ)
    env.update(
        ENRICH_DATABASE_URL=f"sqlite:///{db_dir / 'catalog.db'}",
        ENRICH_DATASETS__ENABLED="false",
    )
    if not classifiers:
        env.update(ENRICH_PII__ENABLED="false", ENRICH_BUSINESS__ENABLED="false")
    if code_root is not None:
        env["PYTHONPATH"] = str(code_root.resolve())
    report = workdir / f"scan-{count}.json"
    started = time.monotonic()
    try:
        with (workdir / f"scan-{count}.err").open("w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "worker.cli", "scan", str(objects), "--report", str(report)],
                env=env,
                cwd=str(workdir),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for leftover in db_dir.iterdir():
            leftover.unlink()
        db_dir.rmdir()
    seconds = time.monotonic() - started
    figures: dict[str, Any] = {
        "objects": count,
        "exit": proc.returncode,
        "peak_mib": usage.ru_maxrss * 1024 / MIB,
        "seconds": seconds,
    }
    if proc.returncode == 0:
        with report.open(encoding="utf-8") as f:
            summary = json.load(f)["summary"]
        figures["reported"] = summary["objects"]
        report.unlink()
    return figures


def scan_main(args: argparse.Namespace) -> int:
    """Measure ``enricher scan`` at each count of ``--scan``; see the module docstring."""
    counts = sorted(set(args.scan))
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-scan-") as tmp:
        data = args.data or Path(tmp) / "data"
        data.mkdir(parents=True, exist_ok=True)
        for count in counts:
            built = time.monotonic()
            objects = _scan_objects(data, count)
            print(
                f"  scan-{count}: objects ready in {time.monotonic() - built:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            figures = _run_scan(objects, count, Path(tmp), args.scan_root, args.scan_classifiers)
            results.append(figures)
            print(f"  scan-{count}: {figures}", file=sys.stderr, flush=True)
    base = results[0]["peak_mib"]
    code = f"the worker package in {args.scan_root}" if args.scan_root else "this checkout"
    print()
    print(
        f"Peak RSS of `enricher scan DIR --report FILE` ({code}; classifiers "
        f"{'on' if args.scan_classifiers else 'off'}; datasets off; target <= "
        f"{SCAN_TARGET_MIB} MiB)"
    )
    print()
    header = (
        f"{'objects':>8} {'exit':>4} {'reported':>8} {'peak MiB':>8} {'+MiB':>6} {'s':>7}  result"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for r in results:
        ok = (
            r["exit"] == 0
            and r.get("reported") == r["objects"]
            and r["peak_mib"] <= SCAN_TARGET_MIB
        )
        failures += not ok
        print(
            f"{r['objects']:>8,} {r['exit']:>4} {r.get('reported', '-'):>8} "
            f"{r['peak_mib']:>8.0f} {r['peak_mib'] - base:>6.0f} {r['seconds']:>7.0f}  "
            + ("PASS" if ok else "FAIL")
        )
    print()
    print(f"+MiB = peak - the peak at {results[0]['objects']:,} objects")
    print(f"total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if failures else 0


# --- the parent ---------------------------------------------------------------------------------


def _run_child(path: Path, workdir: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"outcome": f"crashed (exit {proc.returncode})", "error": proc.stderr[-400:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    parser.add_argument("--data", type=Path, help="keep the built objects here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--scan",
        nargs="+",
        type=int,
        metavar="N",
        help="measure whole scans of N small objects instead (e.g. 1000 10000 100000)",
    )
    parser.add_argument(
        "--scan-root", type=Path, help="with --scan: run the worker package in this directory"
    )
    parser.add_argument(
        "--scan-classifiers", action="store_true", help="with --scan: keep the classifiers on"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.workdir)))
        return 0
    if not Path("/proc/self/clear_refs").exists():
        print("bench/memory.py needs Linux (/proc/self/clear_refs)", file=sys.stderr)
        return 2
    if args.scan:
        return scan_main(args)
    chosen = [c for c in cases() if not args.only or c.name in args.only]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        data = args.data or Path(tmp) / "data"
        data.mkdir(parents=True, exist_ok=True)
        workdir = Path(tmp)
        _warmups(workdir)
        results: dict[str, dict[str, Any]] = {}
        for case in chosen:
            path = data / case.name
            if not path.exists():
                case.build(path)
            figures = _run_child(path, workdir)
            figures["size"] = path.stat().st_size
            results[case.name] = figures
            print(f"  {case.name}: {figures.get('outcome')}", file=sys.stderr, flush=True)
    normal = [
        results[c.name]["increase_mib"]
        for c in chosen
        if not c.hostile and "increase_mib" in results[c.name]
    ]
    reference = max(normal) if normal else None
    print()
    print(
        "Peak RSS of one enrich_object call, fresh process, classifiers loaded and warmed "
        f"(target: increase <= {TARGET_MIB} MiB)"
    )
    print()
    header = (
        f"{'object':<26} {'size':>10} {'outcome':<32} {'warm MiB':>8} {'peak MiB':>8} "
        f"{'+MiB':>6} {'x normal':>8} {'read MiB':>8} {'s':>6}  result"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for case in chosen:
        r = results[case.name]
        if "increase_mib" not in r:
            failures += 1
            print(f"{case.name:<26} {r['size']:>10,} {r['outcome']:<32} FAIL")
            continue
        ok_outcome = case.expect == "any" or r["outcome"] == case.expect
        ok_memory = r["increase_mib"] <= TARGET_MIB
        verdict = "PASS" if ok_outcome and ok_memory else "FAIL"
        if case.hostile and verdict == "FAIL":
            failures += 1
        ratio = f"{r['increase_mib'] / reference:.2f}" if reference else "-"
        print(
            f"{case.name:<26} {r['size']:>10,} {r['outcome']:<32} {r['baseline_mib']:>8.0f} "
            f"{r['peak_mib']:>8.0f} {r['increase_mib']:>6.0f} {ratio:>8} "
            f"{r['bytes_read'] / MIB:>8.2f} {r['seconds']:>6.2f}  {verdict}"
            + ("" if ok_outcome else f" (expected {case.expect})")
        )
    print()
    for case in chosen:
        print(f"  {case.name}: {case.what}")
    print()
    if reference:
        print(
            f"x normal = increase / the largest increase of a normal object ({reference:.0f} MiB)"
        )
    print(f"total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
