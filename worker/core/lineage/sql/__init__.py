r"""Lineage edges parsed from ETL SQL scripts and query-history exports (pure, sqlglot).

The text comes from the caller (:mod:`worker.services.lineage.source_files` reads the files).
Supported statement forms; each gives :class:`~models.lineage.LineageEdge` objects with
``Origin.SQL``, confidence 1.0, the statement text as ``sql`` and ``"<file>:<line>"`` (or
``"<file>#<query_id>"`` for history rows) as ``location``:

1. Snowflake load: ``COPY INTO table [(c1, c2)] FROM @stage[/path] | 's3://...'`` or
   ``FROM (SELECT $1:email::string, sha2($2) ... FROM @stage/path)`` — S3 → Snowflake. With
   both a column list and a SELECT transform, one column mapping per target column. Also
   the ``COPY INTO`` of ``CREATE PIPE|TASK ... AS COPY INTO ...``.
2. Snowflake unload: ``COPY INTO @stage/path | 's3://...' FROM table | (SELECT ...)`` —
   Snowflake → S3 (column mappings from the select list).
3. RDS/Aurora PostgreSQL ``aws_s3.query_export_to_s3('SELECT ...',
   aws_commons.create_s3_uri('bucket', 'key', 'region'), ...)``, also with the
   ``bucket, file_path, region`` signature, named arguments, ``PERFORM`` in a function body
   and a psql ``:'var'`` set by ``SELECT aws_commons.create_s3_uri(...) AS var \gset`` —
   PostgreSQL → S3, one edge per source table.
4. PostgreSQL ``COPY table | (SELECT ...) TO PROGRAM '... s3://...'`` (also psql
   ``\copy``) — PostgreSQL → S3; ``COPY table FROM PROGRAM '... s3://...'`` — S3 → PostgreSQL.
5. Redshift ``UNLOAD ('SELECT ...') TO 's3://...'`` — Redshift → S3; Redshift
   ``COPY table FROM 's3://...'`` — S3 → Redshift.

``CREATE [OR REPLACE] [TEMPORARY] STAGE name URL = 's3://...'`` defines the stages that
``@stage`` references resolve against. ``USE DATABASE|SCHEMA``, ``SET search_path`` and
psql ``\connect`` change the default database/schema for the rest of a script. Statements
in dollar-quoted bodies (``DO $$ ... $$``, ``CREATE FUNCTION|PROCEDURE ... AS $$ ... $$``)
are parsed too.

Any other statement (SELECT, INSERT, CREATE TABLE ...) is ignored. A statement that looks
like lineage but cannot be parsed or resolved becomes a :class:`LineageProblem` with the
reason; nothing here raises for bad input.

The modules, from the bottom up: :mod:`.lexer` (tokens, statements), :mod:`.results`
(collected edges and problems, the naming context), :mod:`.trees` (sqlglot parsing, table
names), :mod:`.stages` (stages and S3 locations), :mod:`.columns` (column mappings and
masking), :mod:`.dialects` (one module per engine's forms), :mod:`.dispatch` (statement →
form), then :mod:`.scripts` (SQL scripts) and :mod:`.history` (query-history exports).
"""

from worker.core.lineage.sql.columns import MASKING_FUNCTIONS, MASKING_PREFIXES
from worker.core.lineage.sql.history import parse_query_history_text
from worker.core.lineage.sql.scripts import parse_sql_text, parse_sql_texts
from worker.core.lineage.sql.trees import check_dialect

__all__ = [
    "MASKING_FUNCTIONS",
    "MASKING_PREFIXES",
    "check_dialect",
    "parse_query_history_text",
    "parse_sql_text",
    "parse_sql_texts",
]
