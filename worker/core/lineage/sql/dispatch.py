r"""Statement dispatch: each statement of a script to the handler of its lineage form.

Statements that set context (``USE DATABASE|SCHEMA``, ``SET search_path``, psql
``\connect`` and ``\gset``) update the :class:`~worker.core.lineage.sql.results.Context`
for the statements after them. Statements in dollar-quoted bodies (``DO $$ ... $$``,
``CREATE FUNCTION|PROCEDURE ... AS $$ ... $$``) are split and dispatched too. Lineage this
parser cannot see (built in a string, or in an unsupported position) becomes a problem; any
other statement is ignored. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from worker.core.lineage.sql.dialects.postgres import postgres_copy, psql_copy
from worker.core.lineage.sql.dialects.rds import psql_gset, rds_export
from worker.core.lineage.sql.dialects.redshift import redshift_unload
from worker.core.lineage.sql.dialects.snowflake import embedded_copy, snowflake_copy
from worker.core.lineage.sql.lexer import DOLLAR_TAG, IDENT, META, STRING, WORD, Script, Statement
from worker.core.lineage.sql.results import Collector, Context, NoLineage

# Lineage built as a string (dynamic SQL): reported, never parsed.
_DYNAMIC_LINEAGE = re.compile(
    r"\bCOPY\s+INTO\b|\bUNLOAD\s*\(|\bquery_export_to_s3\b|\bTO\s+PROGRAM\b", re.IGNORECASE
)
# Statements whose strings may hold SQL to run (EXECUTE 'COPY ...', old-style '...' bodies).
_DYNAMIC_SQL_STARTS = ("EXECUTE", "CALL", "CREATE", "DO", "PERFORM")
# PL/pgSQL and Snowflake Scripting block keywords that may precede a statement in a body.
_BLOCK_WORDS = frozenset({"BEGIN", "THEN", "ELSE", "LOOP", "ATOMIC"})

_Handler = Callable[[Statement, Context, Collector, str], None]


def process_script(
    script: Script, statements: Sequence[Statement], ctx: Context, out: Collector
) -> None:
    """Add the edges and problems of ``statements`` (of ``script``) to ``out``, in order."""
    for statement in statements:
        _process(script, statement, ctx, out, nested=False)
        ctx.previous = statement


def _process(
    script: Script, statement: Statement, ctx: Context, out: Collector, *, nested: bool
) -> None:
    tokens = statement.tokens
    if nested:
        skip = 0
        while skip < len(tokens) and tokens[skip].is_word(*_BLOCK_WORDS):
            skip += 1
        if skip == len(tokens):
            return
        statement = statement.tail(skip, script.line_of(tokens[skip].start))
        tokens = statement.tokens
    location = ctx.locate(statement.line)
    handler = _handler(statement)
    if handler is None:
        if not nested and _context_statement(statement, ctx):
            return
        _unhandled(script, statement, ctx, out, nested=nested)
        return
    try:
        handler(statement, ctx, out, location)
    except NoLineage as exc:
        out.problem(location, statement.text.strip(), str(exc))


def _handler(statement: Statement) -> _Handler | None:
    tokens = statement.tokens
    first = tokens[0]
    if first.kind == META:
        return psql_copy if first.value[1:].lower().startswith("copy ") else None
    if first.is_word("COPY"):
        if len(tokens) > 1 and tokens[1].is_word("INTO"):
            return snowflake_copy
        return postgres_copy
    if first.is_word("UNLOAD"):
        return redshift_unload
    if first.is_word("CREATE") and any(t.is_word("PIPE", "TASK") for t in tokens[:8]):
        if embedded_copy(statement) is not None:
            return snowflake_copy
    if any(t.kind == WORD and t.value.lower() == "query_export_to_s3" for t in tokens):
        return rds_export
    return None


def _unhandled(
    script: Script, statement: Statement, ctx: Context, out: Collector, *, nested: bool
) -> None:
    """Recurse into dollar-quoted bodies; report lineage this parser cannot see."""
    location = ctx.locate(statement.line)
    for index, token in enumerate(statement.tokens):
        if token.kind == WORD and token.value.upper() in ("COPY", "UNLOAD") and index:
            following = statement.tokens[index + 1] if index + 1 < len(statement.tokens) else None
            if token.value.upper() == "UNLOAD" or (following and following.is_word("INTO")):
                out.problem(
                    location,
                    statement.text.strip(),
                    f"{token.value.upper()} after {statement.tokens[0].value.upper()} "
                    "is not a supported form",
                )
                return
    if not statement.tokens[0].is_word(*_DYNAMIC_SQL_STARTS):
        return  # strings in INSERT, SELECT ... are data, not SQL
    for token in statement.tokens:
        if token.kind != STRING:
            continue
        if token.text.startswith("$") and not nested:
            tag = DOLLAR_TAG.match(token.text)
            assert tag is not None  # the lexer only makes $-strings from a tag
            begin = token.start + len(tag.group(0))
            end = token.end - len(tag.group(0)) if token.text.endswith(tag.group(0)) else token.end
            if _DYNAMIC_LINEAGE.search(token.value) is None:
                continue
            body = script.statements(begin, max(begin, end))
            for inner in body:
                _process(script, inner, ctx, out, nested=True)
        elif _DYNAMIC_LINEAGE.search(token.value):
            out.problem(
                location,
                statement.text.strip(),
                "the statement builds lineage SQL in a string (dynamic SQL); not parsed",
            )
            return


def _context_statement(statement: Statement, ctx: Context) -> bool:
    r"""Apply ``USE``, ``SET search_path`` and psql ``\connect``/``\gset``; whether it was one."""
    tokens = statement.tokens
    first = tokens[0]
    if first.kind == META:
        command, *args = first.value.split()
        if command in ("\\c", "\\connect") and args and args[0] != "-":
            ctx.database = args[0].strip("'\"")
        elif command == "\\gset" and ctx.previous is not None:
            psql_gset(ctx.previous, args[0] if args else "", ctx)
        return True
    if first.is_word("USE"):
        kind = tokens[1].value.upper() if len(tokens) > 1 and tokens[1].kind == WORD else ""
        if kind in ("ROLE", "WAREHOUSE", "SECONDARY"):
            return True
        rest = tokens[2:] if kind in ("DATABASE", "SCHEMA") else tokens[1:]
        parts = [t.value for t in rest if t.kind in (WORD, IDENT)]
        if kind == "SCHEMA" or len(parts) == 2:
            if len(parts) == 2:
                ctx.database = parts[0]
            if parts:
                ctx.schema = parts[-1]
        elif parts:
            # Snowflake: USE DATABASE makes PUBLIC the current schema (when it exists).
            ctx.database, ctx.schema = parts[0], "PUBLIC"
        return True
    if first.is_word("SET") and len(tokens) > 1 and tokens[1].is_word("SEARCH_PATH", "SCHEMA"):
        names = [
            t.value for t in tokens[2:] if t.kind in (WORD, IDENT, STRING) and not t.is_word("TO")
        ]
        names = [n for n in names if n.lower() not in ("$user", "default")]
        if names:
            ctx.schema = names[0]
        return True
    return False
