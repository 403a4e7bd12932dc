"""PII under opaque and misleading column names: what the values alone keep.

The held-out lake's synthetic half renames columns: ``c1`` ..., or names of another kind of
table. This probe classifies the 22 Faker table designs of :mod:`bench.category_faker` (8
locales, the same values under each naming) with the PII classifier under its three namings,
and takes what the ``named`` tables are found to hold (dense findings at confidence >= 0.5,
suggestions included) as the reference: per naming, how many of those findings the
``opaque`` and ``misleading`` tables keep, which they lose, and which they add. A name rule
that was wrong under ``named`` (full names under ``driver_id``) shows as an addition.

Prints counts and column names only, no value. A probe, not a target: the reference is the
classifier itself. Usage: ``python bench/pii_naming.py [--rows 300] [--seed 11]``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.category_faker import (  # noqa: E402
    DESIGNS,
    LOCALES,
    NAMINGS,
    build_table,
    fixed_hash_seed,
)
from classifiers.pii import PiiClassifier  # noqa: E402
from models import TableSample  # noqa: E402


def dense(clf: PiiClassifier, sample: TableSample) -> list[set[str]]:
    """Per column, the entities found in most values at confidence 0.5 or more."""
    return [
        {e.entity for e in f.entities if not e.evidence.sparse and e.confidence >= 0.5}
        for f in clf.classify(sample)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    clf = PiiClassifier()
    clf.load()
    kept: Counter[str] = Counter()
    total: Counter[str] = Counter()
    lost: Counter[tuple[str, str, str, str]] = Counter()
    added: Counter[tuple[str, str, str, str]] = Counter()
    index = 0
    for design in DESIGNS:
        for locale in LOCALES:
            found = {}
            for naming in NAMINGS:
                index += 1  # as bench/category_faker.py numbers its tables
                sample = build_table(index, design, locale, naming, args.rows, args.seed)
                found[naming] = dense(clf, sample)
            for naming in NAMINGS[1:]:
                for i, (ref, got) in enumerate(zip(found["named"], found[naming], strict=True)):
                    column = design.columns[i][0]
                    for entity in ref:
                        total[naming] += 1
                        if entity in got:
                            kept[naming] += 1
                        else:
                            lost[naming, design.folder, column, entity] += 1
                    for entity in got - ref:
                        added[naming, design.folder, column, entity] += 1
    for naming in NAMINGS[1:]:
        extra = sum(v for k, v in added.items() if k[0] == naming)
        print(f"{naming}: kept {kept[naming]} of {total[naming]} named findings, {extra} added")
    for (naming, folder, column, entity), n in sorted(lost.items()):
        print(f"  lost  {naming:10} {folder}.{column} {entity} x{n}")
    for (naming, folder, column, entity), n in sorted(added.items()):
        print(f"  added {naming:10} {folder}.{column} {entity} x{n}")
    return 0


if __name__ == "__main__":
    fixed_hash_seed()  # the Italian towns of bench/category_faker.py's tables
    sys.exit(main())
