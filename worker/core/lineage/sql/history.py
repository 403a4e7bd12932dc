"""Lineage of a query-history export given as text (Snowflake ``QUERY_HISTORY`` rows).

``.csv``: Snowflake ``QUERY_HISTORY`` columns (``QUERY_ID``, ``QUERY_TEXT``,
``DATABASE_NAME``, ``SCHEMA_NAME``, optional ``EXECUTION_STATUS``/``ERROR_MESSAGE``; names
case-insensitive). ``.json``: a list of objects with the same keys (any case); ``.jsonl``
(or a ``.json`` that is not one document): one object a line. Pure: callers read the file
(:mod:`worker.services.lineage.source_files` does for the CLI).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from models.lineage import LineageFindings
from worker.core.lineage.sql.dispatch import process_script
from worker.core.lineage.sql.lexer import Script, Statement
from worker.core.lineage.sql.results import Collector, Context, at
from worker.core.lineage.sql.stages import collect_stages
from worker.core.lineage.sql.trees import check_dialect

# A history row with its script and statements (``None`` and none: no QUERY_TEXT).
_ParsedRow = tuple[dict[str, str], Script | None, list[Statement]]


def parse_query_history_text(
    text: str, name: str, suffix: str, *, dialect: str = "snowflake"
) -> LineageFindings:
    """Lineage edges and problems of a query-history export.

    Each row's database and schema are its defaults; stages created by any row are known to
    all. Rows whose status is not ``SUCCESS`` give no edges (a problem if they looked like
    lineage). Locations are ``"<name>#<query_id>"``.

    :param name: names the export in locations (its path).
    :param suffix: the export's format, as a lower-case file suffix (``.csv``, ``.json``,
        ``.jsonl``, ``.ndjson``); any other gives one problem located at ``name``.
    :raises ValueError: ``dialect`` is not a sqlglot dialect.
    """
    check_dialect(dialect)
    out = Collector()
    try:
        rows = _history_rows(text, suffix, name, out)
    except ValueError as exc:
        out.problem(name, "", str(exc))
        return out.findings()
    parsed, stages = _parse_rows(rows, dialect)
    for row, script, statements in parsed:
        location = f"{name}#{row['query_id']}"
        if script is None:
            out.problem(location, "", "the row has no QUERY_TEXT")
            continue
        ctx = Context(
            dialect,
            row.get("database_name") or None,
            row.get("schema_name") or None,
            stages,
            at(location),
        )
        _process_row(row, script, statements, ctx, out, location)
    return out.findings()


def _parse_rows(
    rows: list[dict[str, str]], dialect: str
) -> tuple[list[_ParsedRow], dict[str, str]]:
    """Each row split into statements (``query_id`` filled in), and the stages they create."""
    parsed: list[_ParsedRow] = []
    stages: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        row["query_id"] = row.get("query_id") or f"row-{number}"
        if not row.get("query_text", "").strip():
            parsed.append((row, None, []))
            continue
        row_script = Script.of(row["query_text"], dialect)
        row_statements = row_script.statements()
        stages.update(collect_stages(row_statements))
        parsed.append((row, row_script, row_statements))
    return parsed, stages


def _process_row(
    row: dict[str, str],
    script: Script,
    statements: list[Statement],
    ctx: Context,
    out: Collector,
    location: str,
) -> None:
    """Add one row's edges to ``out``; a failed row that looked like lineage is a problem."""
    status = row.get("execution_status", "").strip().upper()
    if status and status != "SUCCESS":
        # A failed COPY moved nothing; still say so when it looked like lineage.
        scratch = Collector()
        process_script(script, statements, ctx, scratch)
        if scratch.found_anything:
            reason = f"the query did not succeed (EXECUTION_STATUS={status})"
            if detail := row.get("error_message", "").strip():
                reason = f"{reason}: {detail}"[:300]
            out.problem(location, script.source.strip(), reason)
        return
    process_script(script, statements, ctx, out)


def _history_rows(text: str, suffix: str, name: str, out: Collector) -> list[dict[str, str]]:
    """Rows of a history export with lower-cased keys and string values.

    :raises ValueError: the file as a whole is unusable (the message says why).
    """
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames or "query_text" not in {
            f.strip().lower() for f in reader.fieldnames
        }:
            raise ValueError("the CSV has no QUERY_TEXT column")
        rows: list[dict[str, str]] = []
        try:
            for record in reader:
                rows.append(_normalise_row(record))
        except csv.Error as exc:
            out.problem(name, "", f"CSV error after row {len(rows)}: {exc}")
        return rows

    records: list[Any]
    if suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            records = _json_lines(text, name, out)
        else:
            if not isinstance(document, list):
                raise ValueError("the JSON document is not a list of query objects")
            records = document
    elif suffix in (".jsonl", ".ndjson"):
        records = _json_lines(text, name, out)
    else:
        raise ValueError(f"unsupported query-history format {suffix or '(no suffix)'!r}")
    rows = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            rows.append(_normalise_row(record))
        else:
            out.problem(f"{name}#row-{number}", "", "the entry is not a JSON object")
    return rows


def _json_lines(text: str, name: str, out: Collector) -> list[Any]:
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            out.problem(f"{name}:{number}", line, f"not JSON: {exc.msg}")
    return records


def _normalise_row(record: dict[Any, Any]) -> dict[str, str]:
    return {
        str(k).strip().lower(): "" if v is None else str(v)
        for k, v in record.items()
        if k is not None
    }
