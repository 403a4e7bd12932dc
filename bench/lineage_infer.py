"""Lineage inference accuracy on schemas it was not tuned on, against a name-match baseline.

The tables come from the business corpus's *test* split (``training.corpus``):
generated and plotly tables with the column names as files really carry them (``firstname``,
``TOWN``, ``client_id``). For each one the bench makes the three sides of a pipeline:

* a PostgreSQL table with the columns in snake_case (as a database names them);
* the S3 export under ``s3://lake/exports/<folder>/``, as export jobs write them: a quarter
  of the columns left out (seeded), an ``export_ts`` column added, and names restyled — a
  third camelCase, a third with the usual abbreviations (``amt``, ``qty``, ``no``, ``dt``),
  a third as the database has them;
* a Snowflake table with upper-case names and one extra load column (``LOADED_AT``).

Every table is a candidate for every dataset, so the others are the distractors. A match
counts as right when it picks the true table or one with exactly the same column names (the
corpus has look-alike tables no method could tell apart). The baseline is exact
case-insensitive column-name Jaccard with the same threshold. ``make bench-lineage``.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.lineage import Dataset, System  # noqa: E402
from training.corpus import build_corpus  # noqa: E402
from worker.services.lineage.infer import S3Schema, TableSchema, infer  # noqa: E402

MIN_SCORE = 0.5
_PG_TYPES = {"int64": "bigint", "double": "double precision", "string": "text",
             "bool": "boolean", "date32[day]": "date", "timestamp[us]": "timestamp"}  # fmt: skip
_SF_TYPES = {"int64": "NUMBER", "double": "FLOAT", "string": "TEXT", "bool": "BOOLEAN",
             "date32[day]": "DATE", "timestamp[us]": "TIMESTAMP_NTZ"}  # fmt: skip


def _snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "col"


_ABBREVIATIONS = {"amount": "amt", "quantity": "qty", "number": "no", "date": "dt",
                  "timestamp": "ts", "customer": "cust", "address": "addr"}  # fmt: skip


def _restyle(name: str, style: int) -> str:
    if style == 0:
        head, *rest = name.split("_")
        return head + "".join(w.title() for w in rest)
    if style == 1:
        return "_".join(_ABBREVIATIONS.get(w, w) for w in name.split("_"))
    return name


def _world() -> tuple[list[S3Schema], list[TableSchema], list[TableSchema], dict[str, int]]:
    rng = random.Random(8080)
    s3, pg, sf = [], [], []
    truth: dict[str, int] = {}
    for i, table in enumerate(build_corpus("test")):
        cols = [(_snake(c.name), c.data_type) for c in table.sample.columns]
        folder = table.sample.info.ref.key.rsplit("/", 2)[-2]
        name = f"{_snake(folder)}_{i}"
        ds = Dataset.s3("lake", f"exports/{name}/")
        kept = [c for c in cols if rng.random() >= 0.25] or cols[:2]
        style = i % 3
        exported = [(_restyle(n, style), t) for n, t in kept] + [("export_ts", "timestamp[us]")]
        s3.append(S3Schema(ds, tuple(exported)))
        pg_cols = tuple((n, _PG_TYPES.get(t, "text")) for n, t in cols)
        pg.append(TableSchema(Dataset.table(System.POSTGRES, "appdb", "public", name), pg_cols))
        sf_cols = tuple((n.upper(), _SF_TYPES.get(t, "TEXT")) for n, t in cols)
        sf_cols += (("LOADED_AT", "TIMESTAMP_NTZ"),)
        sf.append(TableSchema(Dataset.table(System.SNOWFLAKE, "raw", "public", name), sf_cols))
        truth[ds.uri] = i
    return s3, pg, sf, truth


def _names(columns: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return frozenset(_snake(n) for n, _ in columns if n != "LOADED_AT")


def _baseline(s3: list[S3Schema], tables: list[TableSchema]) -> dict[str, str]:
    """Best exact-name Jaccard (case-insensitive) at or above the threshold."""
    out = {}
    for ds in s3:
        mine = {n.lower() for n, _ in ds.columns}
        best, best_score = None, 0.0
        for t in tables:
            theirs = {n.lower() for n, _ in t.columns}
            score = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
            if score > best_score:
                best, best_score = t.dataset.uri, score
        if best is not None and best_score >= MIN_SCORE:
            out[ds.dataset.uri] = best
    return out


def _grade(
    found: dict[str, str], tables: list[TableSchema], truth: dict[str, int]
) -> dict[str, float]:
    by_uri = {t.dataset.uri: t for t in tables}
    right = sum(
        1
        for ds, uri in found.items()
        if _names(by_uri[uri].columns) == _names(tables[truth[ds]].columns)
    )
    total = len(truth)
    precision = right / len(found) if found else 0.0
    recall = right / total
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"proposed": len(found), "right": right, "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3)}  # fmt: skip


def main() -> int:
    s3, pg, sf, truth = _world()
    started = time.perf_counter()
    findings = infer(s3, pg, sf, min_score=MIN_SCORE)
    infer_s = time.perf_counter() - started
    ours_pg = {e.target.uri: e.source.uri for e in findings.edges if e.source.is_table}
    ours_sf = {e.source.uri: e.target.uri for e in findings.edges if e.target.is_table}
    started = time.perf_counter()
    base_pg, base_sf = _baseline(s3, pg), _baseline(s3, sf)
    base_s = time.perf_counter() - started
    report = {
        "datasets": len(s3),
        "candidate_tables_per_side": len(pg),
        "postgres_to_s3": {"inference": _grade(ours_pg, pg, truth),
                           "exact_name_baseline": _grade(base_pg, pg, truth)},
        "s3_to_snowflake": {"inference": _grade(ours_sf, sf, truth),
                            "exact_name_baseline": _grade(base_sf, sf, truth)},
        "seconds": {"inference": round(infer_s, 2), "baseline": round(base_s, 2)},
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
