"""PII classifier throughput: model load time and a 20-column x 1,000-row table.

Times :class:`classifiers.pii.PiiClassifier` (``--presidio``: the first, cell-by-cell one).

Usage: ``python bench/pii.py [--rows 1000] [--repeat 3] [--integers]``. The table is made
with Faker (fixed seed): 14 PII columns and 6 that are not (company, city, sentence,
timestamp, score, user agent); ``--integers`` times a table of large integers instead (17
columns of random 7-19 digit numbers, epoch milliseconds, a sequential ID, a quantity: the
worst case of the integer checks, which every such value fits several of). Prints load
seconds, classify seconds per repeat (wall and CPU: ``time.process_time``, which other
processes on a shared box do not inflate; one untimed warm-up run first), cells per second
and the entities found per column, so a speed change and a quality change show up together.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from bench.baselines.presidio_classifier import PresidioPiiClassifier  # noqa: E402
from classifiers.pii import PiiClassifier  # noqa: E402
from classifiers.pii.validators import luhn_check_digit  # noqa: E402
from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample  # noqa: E402
from models.samples import CellValue  # noqa: E402


def _luhn(rng: random.Random) -> str:
    payload = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    return payload + str(luhn_check_digit(payload))


def build_table(rows: int, seed: int) -> TableSample:
    """A 20-column table of fake values, ``rows`` rows, reproducible from ``seed``."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    gens: list[tuple[str, str, object]] = [
        ("email", "string", fake.email),
        ("contact_phone", "string", fake.phone_number),
        ("ssn", "string", fake.ssn),
        ("ssn_number", "int64", lambda: int(fake.ssn().replace("-", ""))),
        ("remarks", "string", lambda: "my ssn is " + fake.ssn().replace("-", "")),
        ("card", "string", lambda: _luhn(rng)),
        ("card_int", "int64", lambda: int(_luhn(rng))),
        ("iban", "string", fake.iban),
        ("client_ip", "string", fake.ipv4),
        ("client_ip6", "string", fake.ipv6),
        ("full_name", "string", fake.name),
        ("street_address", "string", fake.street_address),
        ("date_of_birth", "date", fake.date_of_birth),
        ("website", "string", fake.url),
        ("company", "string", fake.company),
        ("city", "string", fake.city),
        ("comment", "string", fake.sentence),
        ("order_ts", "timestamp", fake.date_time),
        ("score", "double", rng.random),
        ("user_agent", "string", fake.user_agent),
    ]
    columns = []
    for name, data_type, gen in gens:
        values: tuple[CellValue, ...] = tuple(gen() for _ in range(rows))  # type: ignore[operator]
        columns.append(ColumnSample(name, data_type, values))
    return TableSample(
        info=ObjectInfo(ref=ObjectRef("s3://bench/pii/table.parquet"), size=1, etag="bench"),
        format="parquet",
        compression=None,
        columns=tuple(columns),
        rows_sampled=rows,
        row_count=rows,
        row_count_estimated=False,
        bytes_read=0,
        sampling=SamplingInfo(method="bench"),
    )


def integer_table(rows: int, seed: int) -> TableSample:
    """20 integer columns: random numbers of 7-19 digits, epoch milliseconds, an ID, a count."""
    rng = random.Random(seed)
    columns = [
        ColumnSample(
            f"n{k}", "int64", tuple(rng.randrange(10 ** (d - 1), 10**d) for _ in range(rows))
        )
        for k, d in enumerate((7, 8, 9, 10, 11, 11, 12, 13, 13, 14, 15, 15, 16, 17, 18, 18, 19))
    ]
    columns.append(
        ColumnSample(
            "epoch_ms",
            "int64",
            tuple(1_700_000_000_000 + rng.randrange(10**9) for _ in range(rows)),
        )  # fmt: skip
    )
    columns.append(ColumnSample("id", "int64", tuple(range(10**12, 10**12 + rows))))
    columns.append(ColumnSample("qty", "int64", tuple(rng.randrange(100) for _ in range(rows))))
    return dataclasses.replace(
        build_table(1, seed), columns=tuple(columns), rows_sampled=rows, row_count=rows
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument(
        "--presidio", action="store_true", help="time the first (Presidio) classifier instead"
    )
    parser.add_argument("--integers", action="store_true", help="time a table of large integers")
    args = parser.parse_args(argv)
    table = (integer_table if args.integers else build_table)(args.rows, args.seed)
    classifier = PresidioPiiClassifier() if args.presidio else PiiClassifier()
    started = time.perf_counter()
    classifier.load()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    cells = args.rows * len(table.columns)
    findings = []
    classifier.classify(table)  # warm-up (lazy imports, compiled patterns) outside the timing
    cpu_times = []
    for i in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        findings = classifier.classify(table)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        cpu_times.append(cpu)
        print(
            f"run {i + 1}: {len(table.columns)} columns x {args.rows:,} rows in {elapsed:.2f} s "
            f"wall, {cpu:.3f} s CPU ({cells / elapsed:,.0f} cells/s, "
            f"{len(table.columns) / cpu:,.1f} columns per CPU second)"
        )
    median, best = statistics.median(cpu_times), min(cpu_times)
    print(f"CPU s per classify: median {median:.3f}, best {best:.3f}")
    for finding in findings:
        found = ", ".join(f"{e.entity} {e.confidence:.2f}" for e in finding.entities) or "-"
        print(f"  {finding.column:<16} {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
