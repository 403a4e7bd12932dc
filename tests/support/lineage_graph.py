"""A generated lineage graph of a given size (the impact test and ``bench/lineage.py``).

Shape of a real estate: PostgreSQL tables export to S3 datasets (partitioned), Snowflake
loads them, and marts fan in downstream. Every edge has a column map, so column-level impact
has work to do. Deterministic for a given size.
"""

from __future__ import annotations

from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin

COLUMNS = ("id", "email", "name", "created_at", "amount")


def generated_edges(total: int) -> list[LineageEdge]:
    """``total`` edges: chains pg → s3 → sf (3 per table, counting a mart edge), marts that
    fan in ten staging tables each, until the count is reached."""
    edges: list[LineageEdge] = []
    cols = tuple(ColumnMapping(c, c) for c in COLUMNS)
    upper = tuple(ColumnMapping(c, c.upper(), masked=c == "email") for c in COLUMNS)
    same_upper = tuple(ColumnMapping(c.upper(), c.upper()) for c in COLUMNS)
    i = 0
    while len(edges) < total:
        pg = Dataset.parse(f"postgres:appdb.s{i % 7}.t{i}")
        s3 = Dataset.parse(f"s3://lake/exports/s{i % 7}/t{i}/")
        sf = Dataset.parse(f"snowflake:raw.s{i % 7}.t{i}")
        mart = Dataset.parse(f"snowflake:analytics.mart.m{i // 10}")
        edges.append(LineageEdge(pg, s3, Origin.SQL, columns=cols))
        edges.append(LineageEdge(s3, sf, Origin.SQL, columns=upper))
        edges.append(LineageEdge(sf, mart, Origin.DECLARED, columns=same_upper))
        i += 1
    return edges[:total]
