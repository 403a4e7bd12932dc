r"""RDS/Aurora PostgreSQL lineage: ``aws_s3.query_export_to_s3`` and the psql variables it uses.

``aws_s3.query_export_to_s3('SELECT ...', aws_commons.create_s3_uri('bucket', 'key',
'region'), ...)``, also with the ``bucket, file_path, region`` signature, named arguments,
``PERFORM`` in a function body and a psql ``:'var'`` set by ``SELECT
aws_commons.create_s3_uri(...) AS var \gset`` — PostgreSQL → S3, one edge per source table.
Pure.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from models.lineage import System
from worker.core.lineage.sql.columns import projection_mappings
from worker.core.lineage.sql.lexer import IDENT, PUNCT, STRING, WORD, Statement
from worker.core.lineage.sql.results import Collector, Context, NoLineage
from worker.core.lineage.sql.trees import (
    arguments,
    dialects_for,
    nth,
    parse,
    query_tables,
    s3,
    string_value,
)


def psql_gset(previous: Statement, prefix: str, ctx: Context) -> None:
    r"""Remember ``SELECT aws_commons.create_s3_uri('b', 'k', 'r') AS name \gset``."""
    try:
        tree = sqlglot.parse_one(previous.text, read="postgres")
    except Exception:  # noqa: BLE001
        return  # not a statement this parser needs; psql variables are best effort
    if not isinstance(tree, exp.Select):
        return
    for item in tree.expressions:
        if isinstance(item, exp.Alias):
            location = _create_s3_uri(item.this)
            if location is not None:
                ctx.psql_vars[prefix + item.alias] = location


def _create_s3_uri(node: exp.Expr | None) -> tuple[str, str] | None:
    """(bucket, key) of a literal ``aws_commons.create_s3_uri('bucket', 'key', 'region')``."""
    if isinstance(node, exp.Dot):
        node = node.expression
    if isinstance(node, exp.Anonymous) and node.name.lower() == "create_s3_uri":
        positional, named = arguments(node)
        bucket = string_value(named.get("bucket") or nth(positional, 0))
        key = string_value(named.get("file_path") or nth(positional, 1))
        if bucket and key is not None:
            return bucket, key
    return None


def _substitute_psql_vars(statement: Statement, start: int, ctx: Context) -> str:
    r"""Statement text from token ``start`` with ``:'var'``/``:var`` replaced by their value.

    :raises NoLineage: a variable this script does not set by ``\gset``.
    """
    tokens = statement.tokens
    pieces: list[str] = []
    cursor = tokens[start].start
    for index in range(start, len(tokens) - 1):
        colon, name = tokens[index], tokens[index + 1]
        if colon.value != ":" or colon.kind != PUNCT or name.start != colon.end:
            continue
        if index > 0 and tokens[index - 1].value == ":" and tokens[index - 1].end == colon.start:
            continue  # a :: cast
        if name.kind not in (WORD, STRING, IDENT):
            continue
        value = ctx.psql_vars.get(name.value)
        if value is None:
            raise NoLineage(
                f"the S3 location is the psql variable :{name.text}, which no "
                f"'SELECT aws_commons.create_s3_uri(...) AS {name.value} \\gset' sets"
            )
        bucket, key = (v.replace("'", "''") for v in value)
        pieces.append(statement.source[cursor : colon.start])
        pieces.append(f"aws_commons.create_s3_uri('{bucket}', '{key}', '')")
        cursor = name.end
    pieces.append(statement.source[cursor : statement.end])
    return "".join(pieces)


def rds_export(statement: Statement, ctx: Context, out: Collector, location: str) -> None:
    """Form 3: ``aws_s3.query_export_to_s3('query', aws_commons.create_s3_uri(...), ...)``."""
    sql = statement.text.strip()
    tokens = statement.tokens
    start = next((i for i, t in enumerate(tokens) if t.is_word("SELECT", "PERFORM")), None)
    if start is None:
        raise NoLineage("query_export_to_s3 is not called from a SELECT or PERFORM")
    text = _substitute_psql_vars(statement, start, ctx)
    if tokens[start].is_word("PERFORM"):
        # PL/pgSQL's PERFORM is a SELECT whose result is discarded.
        text = "SELECT" + text[len("PERFORM") :]
    tree = parse(text, dialects_for(ctx, "postgres"))
    calls = [
        node for node in tree.find_all(exp.Anonymous) if node.name.lower() == "query_export_to_s3"
    ]
    if not calls:
        raise NoLineage("sqlglot found no query_export_to_s3 call")
    for call in calls:
        positional, named = arguments(call)
        query_text = string_value(named.get("query") or nth(positional, 0))
        if query_text is None:
            raise NoLineage("the exported query is not a string literal")
        s3_info = named.get("s3_info") or (positional[1] if len(positional) > 1 else None)
        bucket_key = _create_s3_uri(s3_info)
        if bucket_key is None:
            bucket = string_value(named.get("bucket") or s3_info)
            key = string_value(named.get("file_path") or nth(positional, 2))
            bucket_key = (bucket, key) if bucket and key is not None else None
        if bucket_key is None:
            raise NoLineage(
                "the S3 location is not aws_commons.create_s3_uri('bucket', 'path', 'region') "
                "with literal arguments"
            )
        s3_dataset = s3(f"s3://{bucket_key[0]}/{bucket_key[1].lstrip('/')}")
        query = parse(query_text, ["postgres"])
        tables = query_tables(query, System.POSTGRES, ctx, out, location, sql)
        mappings = projection_mappings(query, System.POSTGRES, ctx, query_text, "postgres", False)
        for dataset in tables:
            out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)
