"""Lineage sources on disk: SQL scripts, query-history exports, declared YAML, dbt manifests.

The reading lives here and the parsing in :mod:`worker.core.lineage.sql` and
:mod:`worker.core.lineage.declared` (pure). A file that cannot be read or decoded gives one
problem located at the file, never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from models.lineage import LineageFindings, LineageProblem
from worker.core.lineage.dbt import parse_dbt_manifest
from worker.core.lineage.declared import parse_declared
from worker.core.lineage.sql import check_dialect, parse_query_history_text, parse_sql_texts


def parse_sql_files(
    paths: Sequence[Path],
    *,
    dialect: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
) -> LineageFindings:
    """Lineage edges and problems of several SQL scripts (read as UTF-8).

    Stages are collected from every file first (one file's ``COPY`` may use a stage another
    file creates; a later definition of the same name wins), then each file's statements
    are parsed in order. Edges found in several files are kept once (first location).
    Problems of unreadable files come first. Reads the files.

    :raises ValueError: ``dialect`` is not a sqlglot dialect (checked before any reading).
    """
    check_dialect(dialect)
    unreadable: list[LineageProblem] = []
    texts: list[tuple[str, str]] = []
    for path in paths:
        text = _read_text(path, unreadable)
        if text is not None:
            texts.append((str(path), text))
    found = parse_sql_texts(
        texts, dialect=dialect, default_database=default_database, default_schema=default_schema
    )
    return LineageFindings(found.edges, [*unreadable, *found.problems])


def parse_query_history(path: Path, *, dialect: str = "snowflake") -> LineageFindings:
    """Lineage edges and problems of a query-history export file (format by its suffix).

    See :mod:`worker.core.lineage.sql.history` for the formats. Reads the file.

    :raises ValueError: ``dialect`` is not a sqlglot dialect (checked before any reading).
    """
    check_dialect(dialect)
    unreadable: list[LineageProblem] = []
    text = _read_text(path, unreadable)
    if text is None:
        return LineageFindings([], unreadable)
    return parse_query_history_text(text, str(path), path.suffix.lower(), dialect=dialect)


def load_declared(path: Path) -> LineageFindings:
    """Read and parse a declared-lineage file (the format: :mod:`worker.core.lineage.declared`).

    Reads the file.

    :returns: the edges and problems; a file that cannot be read gives one problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = f"cannot read the declared lineage file: {exc.__class__.__name__}: {exc}"
        return LineageFindings(problems=[LineageProblem(str(path), "", reason)])
    return parse_declared(text, str(path), str(path.resolve().parent))


def load_dbt_manifest(path: Path, stage_files: Sequence[Path] = ()) -> LineageFindings:
    """Read and parse a dbt ``manifest.json`` (see :mod:`worker.core.lineage.dbt`).

    :param stage_files: SQL scripts whose ``CREATE STAGE`` statements resolve the stages the
        manifest's external sources name. Reads the files.
    :returns: the edges and problems; an unreadable file gives one problem.
    """
    unreadable: list[LineageProblem] = []
    text = _read_text(path, unreadable)
    stage_sql = [t for f in stage_files if (t := _read_text(f, [])) is not None]
    if text is None:
        return LineageFindings([], unreadable)
    return parse_dbt_manifest(text, str(path), stage_sql=stage_sql)


def _read_text(path: Path, problems: list[LineageProblem]) -> str | None:
    """The file's text (UTF-8, a BOM dropped); ``None`` with a problem when unreadable."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text: {exc.reason} at byte {exc.start}"
    problems.append(LineageProblem(str(path), "", reason))
    return None
