"""Snowflake lineage forms: ``COPY INTO`` a table from S3 (load) or S3 from a table (unload).

1. Load: ``COPY INTO table [(c1, c2)] FROM @stage[/path] | 's3://...'`` or
   ``FROM (SELECT $1:email::string, sha2($2) ... FROM @stage/path)`` — S3 → Snowflake. With
   both a column list and a SELECT transform, one column mapping per target column. Also
   the ``COPY INTO`` of ``CREATE PIPE|TASK ... AS COPY INTO ...``.
2. Unload: ``COPY INTO @stage/path | 's3://...' FROM table | (SELECT ...)`` —
   Snowflake → S3 (column mappings from the select list).

Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from models.lineage import ColumnMapping, Dataset, System
from worker.core.lineage.sql.columns import projection_mappings, stage_mappings
from worker.core.lineage.sql.lexer import Statement, depth0, paren_body
from worker.core.lineage.sql.results import Collector, Context, NoLineage
from worker.core.lineage.sql.stages import location_dataset, written_location
from worker.core.lineage.sql.trees import (
    dialects_for,
    first_table,
    is_physical,
    parse,
    query_tables,
    table_dataset,
)


def embedded_copy(statement: Statement) -> int | None:
    """Index of the ``COPY`` of ``CREATE PIPE|TASK ... AS COPY INTO ...``."""
    tokens = statement.tokens
    for index, token in depth0(tokens):
        if token.is_word("AS") and index + 2 < len(tokens):
            if tokens[index + 1].is_word("COPY") and tokens[index + 2].is_word("INTO"):
                return index + 1
    return None


def snowflake_copy(statement: Statement, ctx: Context, out: Collector, location: str) -> None:
    """Forms 1 and 2: ``COPY INTO`` a table from a location, or a location from a table."""
    start = embedded_copy(statement) if statement.tokens[0].is_word("CREATE") else 0
    copy = statement.tail(start or 0)
    tree = parse(copy.text, dialects_for(ctx, "snowflake"))
    if not isinstance(tree, exp.Copy):
        raise NoLineage("sqlglot did not read a COPY statement")
    files = tree.args.get("files") or []
    if len(files) != 1:
        raise NoLineage("COPY INTO has no single FROM source")
    # The subquery as written, to line its select items up with sqlglot's.
    from_index = next((i for i, t in depth0(copy.tokens) if t.is_word("FROM")), None)
    subquery_text = paren_body(copy, from_index + 1) if from_index is not None else None
    target = tree.this
    columns: list[exp.Identifier] = []
    if isinstance(target, exp.Schema):
        columns = [c for c in target.expressions if isinstance(c, exp.Identifier)]
        target = target.this
    sql = statement.text.strip()
    target_location = written_location(target)
    if target_location is not None:
        target_dataset = location_dataset(target_location, ctx)
        _snowflake_unload(files[0], target_dataset, subquery_text, ctx, out, location, sql)
        return
    if not isinstance(target, exp.Table) or not is_physical(target):
        raise NoLineage("the COPY INTO target is neither a table nor a location")
    table = table_dataset(System.SNOWFLAKE, target, ctx)
    _snowflake_load(files[0], table, columns, subquery_text, ctx, out, location, sql)


def _snowflake_unload(
    source: exp.Expr,
    target: Dataset,
    subquery_text: str | None,
    ctx: Context,
    out: Collector,
    location: str,
    sql: str,
) -> None:
    """Form 2: one edge per table the unloaded table or query reads."""
    if isinstance(source, exp.Table) and is_physical(source):
        out.edge(table_dataset(System.SNOWFLAKE, source, ctx), target, [], sql, location)
        return
    if not isinstance(source, exp.Subquery):
        raise NoLineage("the source of the unload is neither a table nor a query")
    query = source.this
    if written_location(first_table(query)) is not None:
        raise NoLineage("the source is a stage; stage-to-stage copies are not supported")
    tables = query_tables(query, System.SNOWFLAKE, ctx, out, location, sql)
    # Snowflake strings take backslash escapes.
    mappings = projection_mappings(query, System.SNOWFLAKE, ctx, subquery_text, "snowflake", True)
    for dataset in tables:
        out.edge(dataset, target, mappings.get(dataset, []), sql, location)


def _snowflake_load(
    source: exp.Expr,
    table: Dataset,
    columns: Sequence[exp.Identifier],
    subquery_text: str | None,
    ctx: Context,
    out: Collector,
    location: str,
    sql: str,
) -> None:
    """Form 1: the stage or URL (maybe in a transform's FROM) feeds the table."""
    if not isinstance(source, exp.Subquery):
        source_location = written_location(source)
        if source_location is None:
            raise NoLineage("the COPY INTO source is neither a stage nor an S3 URL")
        out.edge(location_dataset(source_location, ctx), table, [], sql, location)
        return
    select = source.this
    source_location = (
        written_location(first_table(select)) if isinstance(select, exp.Select) else None
    )
    if source_location is None:
        raise NoLineage("the COPY INTO transform does not read from a stage or S3 URL")
    s3_dataset = location_dataset(source_location, ctx)
    mappings: list[ColumnMapping] = []
    if columns and subquery_text is not None:
        if len(columns) == len(select.expressions):
            mappings = stage_mappings(select, columns, subquery_text, True)
        else:
            out.problem(
                location,
                sql,
                f"the column list has {len(columns)} columns but the SELECT has "
                f"{len(select.expressions)}; no column mappings",
            )
    out.edge(s3_dataset, table, mappings, sql, location)
