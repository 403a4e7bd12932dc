"""sqlglot for lineage: parsing a statement in the likely dialects, reading its tables.

Pure. Failures are :class:`~worker.core.lineage.sql.results.NoLineage` with the reason, so
one odd statement never stops a file.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError

from models.lineage import Dataset, InvalidDataset, System, s3_location_dataset
from worker.core.lineage.sql.results import Collector, Context, NoLineage

_KNOWN_DIALECTS = ("snowflake", "postgres", "redshift")


def check_dialect(dialect: str | None) -> None:
    """Check that ``dialect`` names a sqlglot dialect (``None`` passes).

    :raises ValueError: it does not.
    """
    if dialect is not None:
        Dialect.get_or_raise(dialect)


def dialects_for(ctx: Context, guess: str) -> list[str]:
    """The dialects to try: the script's own, else ``guess`` then the other known ones."""
    if ctx.dialect is not None:
        return [ctx.dialect]
    return [guess, *(d for d in _KNOWN_DIALECTS if d != guess)]


def parse(sql: str, dialects: Sequence[str]) -> exp.Expr:
    """The first dialect's tree that is not a generic ``Command``.

    :raises NoLineage: no dialect parses it (the first dialect's error is the reason).
    """
    first_error: str | None = None
    for dialect in dialects:
        try:
            tree = sqlglot.parse_one(sql, read=dialect)
        except ParseError as exc:
            detail = exc.errors[0] if exc.errors else None
            message = (
                f"{detail['description']} (statement line {detail['line']}, column {detail['col']})"
                if detail
                else str(exc)
            )
            first_error = first_error or f"sqlglot: {message}"
            continue
        except Exception as exc:  # noqa: BLE001
            # sqlglot fails on some input with TokenError or plain Python errors; one odd
            # statement must not stop the file, so any failure is the statement's problem.
            message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            first_error = first_error or f"sqlglot: {message[:150]}"
            continue
        if not isinstance(tree, exp.Command):
            return tree
        first_error = first_error or "sqlglot: unsupported syntax (parsed as a generic command)"
    raise NoLineage(first_error or "sqlglot: nothing to parse")


def string_value(node: exp.Expr | None) -> str | None:
    """The value of a string literal (``None`` for anything else)."""
    if isinstance(node, exp.Literal):
        return node.name if node.is_string else None
    if isinstance(node, (exp.RawString, exp.ByteString, exp.National, exp.UnicodeString)):
        value = node.this
        return value if isinstance(value, str) else None
    return None


def table_dataset(system: System, table: exp.Table, ctx: Context) -> Dataset:
    """The dataset of a table name, unqualified parts from the context's defaults.

    Quoted identifiers keep their text but are folded by :meth:`Dataset.table` like unquoted
    ones: an accepted simplification (mixed-case quoted table names are rare in ETL).

    :raises NoLineage: no schema or database known, or an invalid name.
    """
    written = ".".join(p for p in (table.catalog, table.db, table.name) if p)
    schema = table.db or ctx.schema
    database = table.catalog or ctx.database
    if not schema:
        raise NoLineage(f"table name {written} has no schema and no default schema")
    if not database:
        raise NoLineage(f"table name {written} has no database and no default database")
    try:
        return Dataset.table(system, database, schema, table.name)
    except InvalidDataset as exc:
        raise NoLineage(str(exc)) from exc


def is_physical(table: exp.Table) -> bool:
    """Whether ``table`` names a table (not a stage, a string or a function)."""
    return isinstance(table.this, exp.Identifier) and bool(table.name)


def query_tables(
    query: exp.Expr, system: System, ctx: Context, out: Collector, location: str, sql: str
) -> list[Dataset]:
    """The tables a query reads (CTE names excluded); unresolved ones become problems."""
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    datasets: list[Dataset] = []
    for table in query.find_all(exp.Table):
        if not is_physical(table) or (not table.db and table.name.lower() in ctes):
            continue
        try:
            dataset = table_dataset(system, table, ctx)
        except NoLineage as exc:
            out.problem(location, sql, str(exc))
            continue
        if dataset not in datasets:
            datasets.append(dataset)
    return datasets


def first_table(query: exp.Expr) -> exp.Expr | None:
    """What the query's FROM clause names first, if it has one."""
    clause = query.args.get("from_")
    return clause.this if isinstance(clause, exp.From) else None


def s3(url: str) -> Dataset:
    """The S3 dataset of ``url``.

    :raises NoLineage: not a valid S3 location.
    """
    try:
        return s3_location_dataset(url)
    except InvalidDataset as exc:
        raise NoLineage(str(exc)) from exc


def nth(items: Sequence[exp.Expr], index: int) -> exp.Expr | None:
    """``items[index]``, or ``None`` past the end."""
    return items[index] if index < len(items) else None


def arguments(
    call: exp.Expr,
) -> tuple[list[exp.Expr], dict[str, exp.Expr]]:
    """A call's positional arguments and its named ones (name lower-cased)."""
    positional: list[exp.Expr] = []
    named: dict[str, exp.Expr] = {}
    for argument in call.expressions:
        if isinstance(argument, (exp.Kwarg, exp.PropertyEQ)):
            named[argument.this.name.lower()] = argument.expression
        else:
            positional.append(argument)
    return positional, named
