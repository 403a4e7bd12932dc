"""Redshift lineage forms: ``UNLOAD ('SELECT ...') TO 's3://...'`` and ``COPY ... FROM 's3://...'``.

``UNLOAD`` gives Redshift → S3, one edge per table the query reads (column mappings from
its select list); ``COPY table [(cols)] FROM 's3://...' IAM_ROLE ...`` gives S3 → Redshift.
Pure.
"""

from __future__ import annotations

from sqlglot import exp

from models.lineage import System
from worker.core.lineage.sql.columns import projection_mappings
from worker.core.lineage.sql.lexer import PUNCT, STRING, WORD, Statement
from worker.core.lineage.sql.results import Collector, Context, NoLineage
from worker.core.lineage.sql.stages import location_dataset
from worker.core.lineage.sql.trees import (
    dialects_for,
    is_physical,
    parse,
    query_tables,
    s3,
    table_dataset,
)


def redshift_copy(
    statement: Statement, url: str, ctx: Context, out: Collector, location: str, sql: str
) -> None:
    """Redshift ``COPY table [(cols)] FROM 's3://...' IAM_ROLE ...``: S3 → Redshift."""
    s3_dataset = s3(url)
    tree = parse(statement.text, dialects_for(ctx, "redshift"))
    if not isinstance(tree, exp.Copy):
        raise NoLineage("sqlglot did not read a COPY statement")
    subject = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(subject, exp.Table) or not is_physical(subject):
        raise NoLineage("COPY names no table")
    out.edge(s3_dataset, table_dataset(System.REDSHIFT, subject, ctx), [], sql, location)


def redshift_unload(statement: Statement, ctx: Context, out: Collector, location: str) -> None:
    """Form 5: ``UNLOAD ('query') TO 's3://...' ...``."""
    sql = statement.text.strip()
    tokens = statement.tokens
    shape = [t.kind if t.kind != PUNCT else t.value for t in tokens[1:6]]
    if shape != ["(", STRING, ")", WORD, STRING] or not tokens[4].is_word("TO"):
        raise NoLineage("not UNLOAD ('query') TO 's3://...'")
    query_text = tokens[2].value
    s3_dataset = location_dataset(tokens[5].value, ctx)
    query = parse(query_text, dialects_for(ctx, "redshift"))
    reported = len(out.problems)
    tables = query_tables(query, System.REDSHIFT, ctx, out, location, sql)
    if not tables and len(out.problems) == reported:
        raise NoLineage("the unloaded query reads no table")
    mappings = projection_mappings(query, System.REDSHIFT, ctx, query_text, "redshift", True)
    for dataset in tables:
        out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)
