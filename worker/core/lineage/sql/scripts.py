"""Lineage of SQL scripts given as text: stages collected first, then statements in order.

Pure: callers read the files (:mod:`worker.services.lineage.source_files` does for the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence

from models.lineage import LineageFindings
from worker.core.lineage.sql.dispatch import process_script
from worker.core.lineage.sql.lexer import Script, Statement
from worker.core.lineage.sql.results import Collector, Context, at_line
from worker.core.lineage.sql.stages import collect_stages, stage_key
from worker.core.lineage.sql.trees import check_dialect


def parse_sql_text(
    text: str,
    location: str,
    *,
    dialect: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
    stages: dict[str, str] | None = None,
) -> LineageFindings:
    """Lineage edges and problems of one SQL script.

    :param location: names the script in edge and problem locations (``"<location>:<line>"``).
    :param dialect: a sqlglot dialect name; ``None`` tells each statement's dialect by its
        form (``COPY INTO``/``@stage`` → snowflake, ``query_export_to_s3``/``COPY ... TO
        PROGRAM`` → postgres, ``UNLOAD`` → redshift) and falls back to the others.
    :param default_database: database of table names that have none.
    :param default_schema: schema of table names that have none.
    :param stages: stage name → URL defined elsewhere; ``CREATE STAGE`` statements in
        ``text`` add to (and override) these.
    :raises ValueError: ``dialect`` is not a sqlglot dialect.
    """
    check_dialect(dialect)
    script = Script.of(text, dialect)
    statements = script.statements()
    known = {stage_key(name): url for name, url in (stages or {}).items()}
    known.update(collect_stages(statements))
    out = Collector()
    ctx = Context(dialect, default_database, default_schema, known, at_line(location))
    process_script(script, statements, ctx, out)
    return out.findings()


def parse_sql_texts(
    texts: Sequence[tuple[str, str]],
    *,
    dialect: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
) -> LineageFindings:
    """Lineage edges and problems of several SQL scripts, each given as ``(location, text)``.

    Stages are collected from every script first (one file's ``COPY`` may use a stage
    another file creates; a later definition of the same name wins), then each script's
    statements are parsed in order. Edges found in several scripts are kept once (first
    location). Locations are ``"<location>:<line>"``.

    :raises ValueError: ``dialect`` is not a sqlglot dialect.
    """
    check_dialect(dialect)
    out = Collector()
    scripts: list[tuple[str, Script, list[Statement]]] = []
    stages: dict[str, str] = {}
    for location, text in texts:
        script = Script.of(text, dialect)
        statements = script.statements()
        stages.update(collect_stages(statements))
        scripts.append((location, script, statements))
    for location, script, statements in scripts:
        ctx = Context(dialect, default_database, default_schema, stages, at_line(location))
        process_script(script, statements, ctx, out)
    return out.findings()
