r"""PostgreSQL lineage forms: ``COPY ... TO|FROM PROGRAM '... s3://...'`` and psql ``\copy``.

``COPY table | (SELECT ...) TO PROGRAM '... s3://...'`` gives PostgreSQL → S3 (one edge per
table the query reads, or the table with its column list); ``COPY table FROM PROGRAM
'... s3://...'`` gives S3 → PostgreSQL. ``COPY table FROM 's3://...'`` is Redshift's form and
goes to :func:`~worker.core.lineage.sql.dialects.redshift.redshift_copy`. Pure.
"""

from __future__ import annotations

import re

from sqlglot import exp

from models.lineage import ColumnMapping, System
from worker.core.lineage.sql.columns import fold, projection_mappings
from worker.core.lineage.sql.dialects.redshift import redshift_copy
from worker.core.lineage.sql.lexer import STRING, Script, Statement, depth0, paren_body
from worker.core.lineage.sql.results import Collector, Context, NoLineage
from worker.core.lineage.sql.trees import (
    dialects_for,
    is_physical,
    parse,
    query_tables,
    s3,
    table_dataset,
)

_S3_URL = re.compile(r"s3a?://[^\s'\"`;|)]+")


def psql_copy(statement: Statement, ctx: Context, out: Collector, location: str) -> None:
    r"""A psql ``\copy``: the same as ``COPY`` but run by the client."""
    meta = statement.tokens[0]
    # Re-lex the line after the backslash as a statement of its own (PostgreSQL quoting);
    # its location stays the meta-command's line, so no line index is needed.
    script = Script(statement.source, backslash=False, slash_comments=False, newlines=())
    tokens = script.statements(meta.start + 1, meta.end)
    if not tokens:
        raise NoLineage("empty \\copy")
    inner = Statement(statement.source, tokens[0].tokens, statement.line)
    postgres_copy(inner, ctx, out, location, sql=meta.value)


def postgres_copy(
    statement: Statement,
    ctx: Context,
    out: Collector,
    location: str,
    *,
    sql: str | None = None,
) -> None:
    """Form 4 (and Redshift ``COPY ... FROM 's3://...'``)."""
    sql = sql or statement.text.strip()
    tokens = statement.tokens
    direction = next(((i, t) for i, t in depth0(tokens, 1) if t.is_word("TO", "FROM")), None)
    if direction is None:
        raise NoLineage("COPY has neither TO nor FROM")
    index, word = direction
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    program = (
        tokens[index + 2]
        if after is not None and after.is_word("PROGRAM") and index + 2 < len(tokens)
        else None
    )
    loading = word.is_word("FROM")
    if loading and after is not None and after.kind == STRING:
        if after.value.startswith(("s3://", "s3a://")):
            redshift_copy(statement, after.value, ctx, out, location, sql)
            return
        raise NoLineage("reads a local file; no S3 location")
    if program is None or program.kind != STRING:
        if after is not None and after.kind == STRING:
            raise NoLineage("writes a local file; no S3 location")
        stream = after.value.lower() if after is not None else "nothing"
        raise NoLineage(f"{'reads' if loading else 'writes'} {stream}; no S3 location")
    url = _S3_URL.search(program.value)
    if url is None:
        raise NoLineage("no s3:// location in the program")
    s3_dataset = s3(url.group(0))

    tree = parse(statement.text, dialects_for(ctx, "postgres"))
    if not isinstance(tree, exp.Copy):
        raise NoLineage("sqlglot did not read a COPY statement")
    subject = tree.this
    if isinstance(subject, exp.Subquery):
        if loading:
            raise NoLineage("COPY (query) FROM is not valid")
        query = subject.this
        body = paren_body(statement, 1)
        for dataset in query_tables(query, System.POSTGRES, ctx, out, location, sql):
            mappings = projection_mappings(query, System.POSTGRES, ctx, body, "postgres", False)
            out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)
        return
    columns: list[ColumnMapping] = []
    if isinstance(subject, exp.Schema):
        for column in subject.expressions:
            if isinstance(column, exp.Identifier):
                name = fold(column.name, bool(column.args.get("quoted")), System.POSTGRES)
                columns.append(ColumnMapping(name, name))
        subject = subject.this
    if not isinstance(subject, exp.Table) or not is_physical(subject):
        raise NoLineage("COPY names neither a table nor a query")
    table = table_dataset(System.POSTGRES, subject, ctx)
    if loading:
        out.edge(s3_dataset, table, columns, sql, location)
    else:
        out.edge(table, s3_dataset, columns, sql, location)
