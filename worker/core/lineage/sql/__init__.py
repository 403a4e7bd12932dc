r"""Lineage edges parsed from ETL SQL scripts and Snowflake query-history exports (sqlglot).

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
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError

from models.lineage import (
    ColumnMapping,
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
    s3_location_dataset,
)

__all__ = [
    "MASKING_FUNCTIONS",
    "MASKING_PREFIXES",
    "parse_query_history",
    "parse_sql_files",
    "parse_sql_text",
]

#: Functions that hash, encrypt, mask or redact their argument: a source column under one
#: of them is mapped with ``masked=True`` (PII upstream does not make the target PII).
#: Names as written in Snowflake, PostgreSQL (with pgcrypto) and Redshift; compared
#: case-insensitively and ignoring underscores, so sqlglot's own names for them (``SHA``
#: for ``sha1``, ``MD5Digest`` for ``md5_binary``, ``SHA2Digest`` for ``sha256``) match.
#: ``regexp_replace`` counts as masking: in ETL it is mostly used to blank out digits or
#: characters; a mapping through it is a hint, not proof. Partial masks written as string
#: arithmetic (``left(ssn, 3) || '***'``) are not recognised.
MASKING_FUNCTIONS: frozenset[str] = frozenset(
    {
        # Hashes.
        "md5",
        "md5_hex",
        "md5_binary",
        "md5_number_lower64",
        "md5_number_upper64",
        "sha",
        "sha1",
        "sha1_hex",
        "sha1_binary",
        "func_sha1",
        "sha2",
        "sha2_hex",
        "sha2_binary",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "hash",
        "hashtext",
        "hashtextextended",
        "fnv_hash",
        "digest",
        "hmac",
        # sqlglot's normalised names for some of the above.
        "md5_digest",
        "sha1_digest",
        "sha2_digest",
        "standard_hash",
        # Encryption.
        "encrypt",
        "encrypt_raw",
        "crypt",
        "pgp_sym_encrypt",
        "pgp_pub_encrypt",
        "aes_encrypt",
        # Masking and redaction.
        "mask",
        "redact",
        "anonymize",
        "regexp_replace",
    }
)
#: User-defined functions whose name starts with one of these count as masking too
#: (``util.mask_email(email)``, ``redact_phone(phone)``, ``pseudonymize(id)``).
MASKING_PREFIXES: tuple[str, ...] = ("mask", "redact", "anonymi", "pseudonymi")

_MASKING_NORMALISED = frozenset(name.replace("_", "") for name in MASKING_FUNCTIONS)
_KNOWN_DIALECTS = ("snowflake", "postgres", "redshift")
# Dialects whose string literals treat a backslash as an escape ('it\'s'); PostgreSQL only
# does so in E'...' strings, which the lexer handles separately.
_BACKSLASH_DIALECTS = frozenset({"snowflake", "redshift", "bigquery", "mysql", "databricks"})
_S3_URL = re.compile(r"s3a?://[^\s'\"`;|)]+")
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")
_WORD = re.compile(r"[\w$]+")
_STATEMENT_PREVIEW = 200
# Raw-text markers telling which dialect a whole file is written in; they only decide how
# the splitter reads backslashes and ``//`` comments (statement forms are told apart later).
_SNOWFLAKE_MARKERS = re.compile(
    r"\bCOPY\s+INTO\b|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?STAGE\b",
    re.IGNORECASE,
)
_REDSHIFT_MARKERS = re.compile(r"\bUNLOAD\s*\(", re.IGNORECASE)
# Lineage built as a string (dynamic SQL): reported, never parsed.
_DYNAMIC_LINEAGE = re.compile(
    r"\bCOPY\s+INTO\b|\bUNLOAD\s*\(|\bquery_export_to_s3\b|\bTO\s+PROGRAM\b", re.IGNORECASE
)
# Statements whose strings may hold SQL to run (EXECUTE 'COPY ...', old-style '...' bodies).
_DYNAMIC_SQL_STARTS = ("EXECUTE", "CALL", "CREATE", "DO", "PERFORM")
# PL/pgSQL and Snowflake Scripting block keywords that may precede a statement in a body.
_BLOCK_WORDS = frozenset({"BEGIN", "THEN", "ELSE", "LOOP", "ATOMIC"})


class _NoLineage(Exception):
    """A lineage statement that cannot be turned into an edge (the message is the reason)."""


# --------------------------------------------------------------------------------------
# Lexing and splitting
# --------------------------------------------------------------------------------------

_WORD_T = "word"  # keyword, identifier, $1, @stage/path
_IDENT_T = "ident"  # "quoted identifier"
_STRING_T = "string"  # '...', E'...', $tag$...$tag$
_PUNCT_T = "punct"
_SEMI_T = "semi"
_META_T = "meta"  # psql backslash command, up to the end of its line


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str  # as written
    value: str  # strings and quoted identifiers unquoted and unescaped; else ``text``
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == _WORD_T and self.value.upper() in words


def _lex(
    source: str, begin: int, end: int, *, backslash: bool, slash_comments: bool
) -> list[_Token]:
    r"""Tokens of ``source[begin:end]``, comments dropped (offsets are into ``source``).

    Aware of ``'...'`` (with ``''``, and ``\'`` when ``backslash``), ``E'...'``,
    ``"..."``, dollar quotes, ``--``/``/* */`` (nested) comments, ``//`` comments when
    ``slash_comments`` and psql meta-commands. An unterminated quote or comment runs to
    ``end`` (the statement then fails to parse and is reported).
    """
    tokens: list[_Token] = []
    i = begin
    while i < end:
        c = source[i]
        nxt = source[i + 1] if i + 1 < end else ""
        if c.isspace():
            i += 1
        elif (c == "-" and nxt == "-") or (slash_comments and c == "/" and nxt == "/"):
            newline = source.find("\n", i, end)
            i = end if newline < 0 else newline
        elif c == "/" and nxt == "*":
            i = _skip_block_comment(source, i, end)
        elif c == "'" or (c in "eE" and nxt == "'" and not _word_before(source, i, begin)):
            escapes = backslash or c != "'"
            j, value = _scan_string(source, i + (1 if c == "'" else 2), end, escapes)
            tokens.append(_Token(_STRING_T, source[i:j], value, i, j))
            i = j
        elif c == '"':
            j, value = _scan_quoted(source, i + 1, end, '"')
            tokens.append(_Token(_IDENT_T, source[i:j], value, i, j))
            i = j
        elif c == "$" and not _word_before(source, i, begin) and _DOLLAR_TAG.match(source, i):
            match = _DOLLAR_TAG.match(source, i)
            assert match is not None  # just matched
            tag = match.group(0)
            close = source.find(tag, match.end(), end)
            j = end if close < 0 else close + len(tag)
            body_end = end if close < 0 else close
            tokens.append(_Token(_STRING_T, source[i:j], source[match.end() : body_end], i, j))
            i = j
        elif c == "\\":
            # psql meta-command (\connect, \copy, \gset ...): runs to the end of the line.
            newline = source.find("\n", i, end)
            j = end if newline < 0 else newline
            text = source[i:j].rstrip()
            tokens.append(_Token(_META_T, text, text, i, i + len(text)))
            i = j
        elif c == ";":
            tokens.append(_Token(_SEMI_T, c, c, i, i + 1))
            i += 1
        elif c == "@":
            # A stage reference: @db.schema.stage/path/dt=2024-01-01/ (no spaces unless quoted).
            j = i + 1
            while j < end and not source[j].isspace() and source[j] not in ";(),'":
                j += 1
            tokens.append(_Token(_WORD_T, source[i:j], source[i:j], i, j))
            i = j
        elif (match := _WORD.match(source, i, end)) is not None:
            tokens.append(_Token(_WORD_T, match.group(0), match.group(0), i, match.end()))
            i = match.end()
        else:
            tokens.append(_Token(_PUNCT_T, c, c, i, i + 1))
            i += 1
    return tokens


def _word_before(source: str, i: int, begin: int) -> bool:
    return i > begin and (source[i - 1].isalnum() or source[i - 1] in "_$")


def _skip_block_comment(source: str, i: int, end: int) -> int:
    depth = 0
    while i < end:
        if source.startswith("/*", i):
            depth += 1
            i += 2
        elif source.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return end


def _scan_string(source: str, i: int, end: int, escapes: bool) -> tuple[int, str]:
    """Scan a single-quoted string body from ``i``; return (end offset, unescaped value)."""
    out: list[str] = []
    while i < end:
        c = source[i]
        if c == "'":
            if i + 1 < end and source[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return i + 1, "".join(out)
        if c == "\\" and escapes and i + 1 < end:
            escaped = source[i + 1]
            # Only quotes and backslashes are unescaped: the value feeds URLs and inner
            # queries, where \n or \d must reach sqlglot as written.
            out.append(escaped if escaped in "'\\" else c + escaped)
            i += 2
            continue
        out.append(c)
        i += 1
    return end, "".join(out)


def _scan_quoted(source: str, i: int, end: int, quote: str) -> tuple[int, str]:
    out: list[str] = []
    while i < end:
        c = source[i]
        if c == quote:
            if i + 1 < end and source[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            return i + 1, "".join(out)
        out.append(c)
        i += 1
    return end, "".join(out)


@dataclass(frozen=True, slots=True)
class _Statement:
    """One statement of a script: its tokens (offsets into ``source``) without the ``;``."""

    source: str
    tokens: tuple[_Token, ...]
    line: int

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]

    def tail(self, index: int, line: int | None = None) -> _Statement:
        return _Statement(self.source, self.tokens[index:], self.line if line is None else line)


@dataclass(frozen=True, slots=True)
class _Script:
    """A script's text with how to lex it and where its lines start."""

    source: str
    backslash: bool
    slash_comments: bool
    newlines: tuple[int, ...]

    @classmethod
    def of(cls, source: str, dialect: str | None) -> _Script:
        effective = dialect or _guess_file_dialect(source)
        return cls(
            source,
            backslash=effective in _BACKSLASH_DIALECTS,
            slash_comments=effective == "snowflake",
            newlines=tuple(m.start() for m in re.finditer("\n", source)),
        )

    def line_of(self, offset: int) -> int:
        return bisect_right(self.newlines, offset - 1) + 1

    def statements(self, begin: int = 0, end: int | None = None) -> list[_Statement]:
        """Split ``source[begin:end]`` at top-level ``;`` and psql meta-commands."""
        tokens = _lex(
            self.source,
            begin,
            len(self.source) if end is None else end,
            backslash=self.backslash,
            slash_comments=self.slash_comments,
        )
        statements: list[_Statement] = []
        current: list[_Token] = []

        def flush() -> None:
            if current:
                statements.append(
                    _Statement(self.source, tuple(current), self.line_of(current[0].start))
                )
                current.clear()

        for token in tokens:
            if token.kind == _SEMI_T:
                flush()
            elif token.kind == _META_T:
                # A meta-command ends the query before it (psql sends it) and stands alone.
                flush()
                current.append(token)
                flush()
            else:
                current.append(token)
        flush()
        return statements


def _guess_file_dialect(source: str) -> str | None:
    if _SNOWFLAKE_MARKERS.search(source):
        return "snowflake"
    if _REDSHIFT_MARKERS.search(source):
        return "redshift"
    return None


def _depth0(tokens: Sequence[_Token], start: int = 0) -> Iterator[tuple[int, _Token]]:
    """(index, token) of the tokens outside any parentheses, from ``start``."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.kind == _PUNCT_T and token.value == "(":
            depth += 1
        elif token.kind == _PUNCT_T and token.value == ")":
            depth -= 1
        elif depth == 0:
            yield index, token


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


class _Collector:
    """Edges (deduplicated by source and target) and problems, in the order found."""

    def __init__(self) -> None:
        self._edges: dict[tuple[Dataset, Dataset], LineageEdge] = {}
        self.problems: list[LineageProblem] = []

    def edge(
        self,
        source: Dataset,
        target: Dataset,
        columns: Sequence[ColumnMapping],
        sql: str,
        location: str,
    ) -> None:
        key = (source, target)
        existing = self._edges.get(key)
        if existing is None:
            self._edges[key] = LineageEdge(
                source, target, Origin.SQL, 1.0, tuple(columns), sql, location
            )
            return
        # The same hop found again: keep the first location and SQL, add new mappings.
        merged = list(existing.columns)
        merged.extend(c for c in columns if c not in merged)
        self._edges[key] = replace(existing, columns=tuple(merged))

    def problem(self, location: str, statement: str, reason: str) -> None:
        self.problems.append(LineageProblem(location, statement[:_STATEMENT_PREVIEW], reason))

    @property
    def found_anything(self) -> bool:
        return bool(self._edges or self.problems)

    def findings(self) -> LineageFindings:
        return LineageFindings(list(self._edges.values()), list(self.problems))


@dataclass(slots=True)
class _Context:
    """What statements of one script (or history row) resolve names against."""

    dialect: str | None
    database: str | None
    schema: str | None
    stages: dict[str, str]
    locate: Callable[[int], str]
    psql_vars: dict[str, tuple[str, str]] = field(default_factory=dict)
    previous: _Statement | None = None


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


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
    _check_dialect(dialect)
    script = _Script.of(text, dialect)
    statements = script.statements()
    known = {_stage_key(name): url for name, url in (stages or {}).items()}
    known.update(_collect_stages(statements))
    out = _Collector()
    ctx = _Context(dialect, default_database, default_schema, known, _at_line(location))
    _process_script(script, statements, ctx, out)
    return out.findings()


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
    A file that cannot be read or decoded gives one problem located at the file.

    :raises ValueError: ``dialect`` is not a sqlglot dialect.
    """
    _check_dialect(dialect)
    out = _Collector()
    scripts: list[tuple[Path, _Script, list[_Statement]]] = []
    stages: dict[str, str] = {}
    for path in paths:
        text = _read_text(path, out)
        if text is None:
            continue
        script = _Script.of(text, dialect)
        statements = script.statements()
        stages.update(_collect_stages(statements))
        scripts.append((path, script, statements))
    for path, script, statements in scripts:
        ctx = _Context(
            dialect,
            default_database,
            default_schema,
            stages,
            _at_line(str(path)),
        )
        _process_script(script, statements, ctx, out)
    return out.findings()


def parse_query_history(path: Path, *, dialect: str = "snowflake") -> LineageFindings:
    """Lineage edges and problems of a query-history export.

    ``.csv``: Snowflake ``QUERY_HISTORY`` columns (``QUERY_ID``, ``QUERY_TEXT``,
    ``DATABASE_NAME``, ``SCHEMA_NAME``, optional ``EXECUTION_STATUS``/``ERROR_MESSAGE``;
    names case-insensitive). ``.json``: a list of objects with the same keys (any case);
    ``.jsonl`` (or a ``.json`` that is not one document): one object a line. Each row's
    database and schema are its defaults; stages created by any row are known to all.
    Rows whose status is not ``SUCCESS`` give no edges (a problem if they looked like
    lineage). Locations are ``"<path>#<query_id>"``.

    :raises ValueError: ``dialect`` is not a sqlglot dialect.
    """
    _check_dialect(dialect)
    out = _Collector()
    text = _read_text(path, out)
    if text is None:
        return out.findings()
    name = str(path)
    try:
        rows = _history_rows(text, path.suffix.lower(), name, out)
    except ValueError as exc:
        out.problem(name, "", str(exc))
        return out.findings()

    parsed: list[tuple[dict[str, str], _Script | None, list[_Statement]]] = []
    stages: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        row["query_id"] = row.get("query_id") or f"row-{number}"
        if not row.get("query_text", "").strip():
            parsed.append((row, None, []))
            continue
        row_script = _Script.of(row["query_text"], dialect)
        row_statements = row_script.statements()
        stages.update(_collect_stages(row_statements))
        parsed.append((row, row_script, row_statements))

    for row, script, statements in parsed:
        location = f"{name}#{row['query_id']}"
        if script is None:
            out.problem(location, "", "the row has no QUERY_TEXT")
            continue
        ctx = _Context(
            dialect,
            row.get("database_name") or None,
            row.get("schema_name") or None,
            stages,
            _at(location),
        )
        status = row.get("execution_status", "").strip().upper()
        if status and status != "SUCCESS":
            # A failed COPY moved nothing; still say so when it looked like lineage.
            scratch = _Collector()
            _process_script(script, statements, ctx, scratch)
            if scratch.found_anything:
                reason = f"the query did not succeed (EXECUTION_STATUS={status})"
                if detail := row.get("error_message", "").strip():
                    reason = f"{reason}: {detail}"[:300]
                out.problem(location, script.source.strip(), reason)
            continue
        _process_script(script, statements, ctx, out)
    return out.findings()


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def _at_line(name: str) -> Callable[[int], str]:
    def locate(line: int) -> str:
        return f"{name}:{line}"

    return locate


def _at(location: str) -> Callable[[int], str]:
    def locate(_line: int) -> str:
        return location

    return locate


def _check_dialect(dialect: str | None) -> None:
    if dialect is not None:
        Dialect.get_or_raise(dialect)


def _read_text(path: Path, out: _Collector) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        out.problem(str(path), "", f"cannot read the file: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        out.problem(str(path), "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
    return None


def _history_rows(text: str, suffix: str, name: str, out: _Collector) -> list[dict[str, str]]:
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


def _json_lines(text: str, name: str, out: _Collector) -> list[Any]:
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


# --------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------


def _stage_key(name: str) -> str:
    # Stage names fold like other Snowflake identifiers; quoted parts keep their case, but
    # the key is only used for lookups, so folding them too is an accepted simplification.
    return ".".join(part.strip().strip('"').upper() for part in name.split("."))


def _collect_stages(statements: Sequence[_Statement]) -> dict[str, str]:
    """``CREATE STAGE`` definitions: stage name → URL (``""`` for an internal stage)."""
    stages: dict[str, str] = {}
    for statement in statements:
        definition = _stage_definition(statement)
        if definition is not None:
            stages[definition[0]] = definition[1]
    return stages


def _stage_definition(statement: _Statement) -> tuple[str, str] | None:
    tokens = statement.tokens
    if not tokens[0].is_word("CREATE"):
        return None
    index = 1
    while index < len(tokens) and tokens[index].is_word("OR", "REPLACE", "TEMP", "TEMPORARY"):
        index += 1
    if index >= len(tokens) or not tokens[index].is_word("STAGE"):
        return None
    index += 1
    if index + 2 < len(tokens) and tokens[index].is_word("IF"):
        index += 3  # IF NOT EXISTS
    # db.schema.name: identifiers joined by dots (the next word is an option, not the name).
    name_parts: list[str] = []
    while index < len(tokens) and tokens[index].kind in (_WORD_T, _IDENT_T):
        name_parts.append(tokens[index].value)
        index += 1
        if (
            index + 1 < len(tokens)
            and tokens[index].kind == _PUNCT_T
            and tokens[index].value == "."
        ):
            index += 1
        else:
            break
    if not name_parts:
        return None
    url = ""
    for position, token in _depth0(tokens, index):
        if token.is_word("URL"):
            rest = [t for t in tokens[position + 1 : position + 3] if t.value != "="]
            if rest and rest[0].kind == _STRING_T:
                url = rest[0].value.strip()
            break
    return _stage_key(".".join(name_parts)), url


def _stage_location(reference: str, ctx: _Context) -> Dataset:
    """The S3 dataset of ``@stage[/path]``.

    :raises _NoLineage: unknown, internal or non-S3 stage.
    """
    body = reference[1:]
    if body.startswith(("~", "%")):
        raise _NoLineage(f"stage {reference.split('/')[0]} is an internal stage (no S3 URL)")
    name, _, path = body.partition("/")
    url = _stage_url(_stage_key(name), ctx)
    if url is None:
        raise _NoLineage(f"stage @{name} is not defined in the given files")
    if not url:
        raise _NoLineage(f"stage @{name} is an internal stage (no S3 URL)")
    if not url.startswith(("s3://", "s3a://")):
        raise _NoLineage(f"stage @{name} points to {url}, not S3")
    # A stage URL is a folder whether or not it ends with "/".
    return _s3(url.rstrip("/") + "/" + path.lstrip("/"))


def _stage_url(key: str, ctx: _Context) -> str | None:
    """The URL of a stage reference, ``None`` when no definition matches.

    Looked up by its exact name, then qualified by the current database and schema, then as
    the one definition with that bare name.

    :raises _NoLineage: several definitions share the bare name with different URLs.
    """
    if key in ctx.stages:
        return ctx.stages[key]
    parts = key.split(".")
    context = [p.upper() for p in (ctx.database, ctx.schema) if p]
    if len(parts) < 3 and len(context) == 2:
        qualified = ".".join([*context[: 3 - len(parts)], *parts])
        if qualified in ctx.stages:
            return ctx.stages[qualified]
    matches = {
        name: url for name, url in ctx.stages.items() if name.rsplit(".", 1)[-1] == parts[-1]
    }
    if len(set(matches.values())) > 1:
        names = ", ".join(sorted(matches))
        raise _NoLineage(f"stage @{key} is ambiguous: {names} have different URLs")
    return next(iter(matches.values()), None)


def _s3(url: str) -> Dataset:
    try:
        return s3_location_dataset(url)
    except InvalidDataset as exc:
        raise _NoLineage(str(exc)) from exc


def _location(node: exp.Expr | None) -> str | None:
    """The written location of a COPY side (``@stage/path``, ``'s3://...'``), if it is one."""
    if isinstance(node, exp.Table):
        node = node.this
    if isinstance(node, exp.Var) and node.name.startswith("@"):
        return node.name
    if isinstance(node, exp.Literal) and node.is_string:
        return node.name
    return None


def _location_dataset(location: str, ctx: _Context) -> Dataset:
    """:raises _NoLineage: not a stage nor an S3 URL, or unresolved."""
    location = location.strip()
    if location.startswith("@"):
        return _stage_location(location, ctx)
    if location.startswith(("s3://", "s3a://")):
        return _s3(location)
    raise _NoLineage(f"{location!r} is not an S3 location")


# --------------------------------------------------------------------------------------
# Statement dispatch
# --------------------------------------------------------------------------------------


def _process_script(
    script: _Script, statements: Sequence[_Statement], ctx: _Context, out: _Collector
) -> None:
    for statement in statements:
        _process(script, statement, ctx, out, nested=False)
        ctx.previous = statement


def _process(
    script: _Script, statement: _Statement, ctx: _Context, out: _Collector, *, nested: bool
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
    except _NoLineage as exc:
        out.problem(location, statement.text.strip(), str(exc))


_Handler = Callable[[_Statement, _Context, _Collector, str], None]


def _handler(statement: _Statement) -> _Handler | None:
    tokens = statement.tokens
    first = tokens[0]
    if first.kind == _META_T:
        return _psql_copy if first.value[1:].lower().startswith("copy ") else None
    if first.is_word("COPY"):
        if len(tokens) > 1 and tokens[1].is_word("INTO"):
            return _snowflake_copy
        return _postgres_copy
    if first.is_word("UNLOAD"):
        return _redshift_unload
    if first.is_word("CREATE") and any(t.is_word("PIPE", "TASK") for t in tokens[:8]):
        if _embedded_copy(statement) is not None:
            return _snowflake_copy
    if any(t.kind == _WORD_T and t.value.lower() == "query_export_to_s3" for t in tokens):
        return _rds_export
    return None


def _embedded_copy(statement: _Statement) -> int | None:
    """Index of the ``COPY`` of ``CREATE PIPE|TASK ... AS COPY INTO ...``."""
    tokens = statement.tokens
    for index, token in _depth0(tokens):
        if token.is_word("AS") and index + 2 < len(tokens):
            if tokens[index + 1].is_word("COPY") and tokens[index + 2].is_word("INTO"):
                return index + 1
    return None


def _unhandled(
    script: _Script, statement: _Statement, ctx: _Context, out: _Collector, *, nested: bool
) -> None:
    """Recurse into dollar-quoted bodies; report lineage this parser cannot see."""
    location = ctx.locate(statement.line)
    for index, token in enumerate(statement.tokens):
        if token.kind == _WORD_T and token.value.upper() in ("COPY", "UNLOAD") and index:
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
        if token.kind != _STRING_T:
            continue
        if token.text.startswith("$") and not nested:
            tag = _DOLLAR_TAG.match(token.text)
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


def _context_statement(statement: _Statement, ctx: _Context) -> bool:
    r"""Apply ``USE``, ``SET search_path`` and psql ``\connect``/``\gset``; whether it was one."""
    tokens = statement.tokens
    first = tokens[0]
    if first.kind == _META_T:
        command, *args = first.value.split()
        if command in ("\\c", "\\connect") and args and args[0] != "-":
            ctx.database = args[0].strip("'\"")
        elif command == "\\gset" and ctx.previous is not None:
            _psql_gset(ctx.previous, args[0] if args else "", ctx)
        return True
    if first.is_word("USE"):
        kind = tokens[1].value.upper() if len(tokens) > 1 and tokens[1].kind == _WORD_T else ""
        if kind in ("ROLE", "WAREHOUSE", "SECONDARY"):
            return True
        rest = tokens[2:] if kind in ("DATABASE", "SCHEMA") else tokens[1:]
        parts = [t.value for t in rest if t.kind in (_WORD_T, _IDENT_T)]
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
            t.value
            for t in tokens[2:]
            if t.kind in (_WORD_T, _IDENT_T, _STRING_T) and not t.is_word("TO")
        ]
        names = [n for n in names if n.lower() not in ("$user", "default")]
        if names:
            ctx.schema = names[0]
        return True
    return False


# --------------------------------------------------------------------------------------
# sqlglot
# --------------------------------------------------------------------------------------


def _dialects(ctx: _Context, guess: str) -> list[str]:
    if ctx.dialect is not None:
        return [ctx.dialect]
    return [guess, *(d for d in _KNOWN_DIALECTS if d != guess)]


def _parse(sql: str, dialects: Sequence[str]) -> exp.Expr:
    """The first dialect's tree that is not a generic ``Command``.

    :raises _NoLineage: no dialect parses it (the first dialect's error is the reason).
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
    raise _NoLineage(first_error or "sqlglot: nothing to parse")


def _string_value(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Literal):
        return node.name if node.is_string else None
    if isinstance(node, (exp.RawString, exp.ByteString, exp.National, exp.UnicodeString)):
        value = node.this
        return value if isinstance(value, str) else None
    return None


def _table_dataset(system: System, table: exp.Table, ctx: _Context) -> Dataset:
    """The dataset of a table name, unqualified parts from the context's defaults.

    Quoted identifiers keep their text but are folded by :meth:`Dataset.table` like unquoted
    ones: an accepted simplification (mixed-case quoted table names are rare in ETL).

    :raises _NoLineage: no schema or database known, or an invalid name.
    """
    written = ".".join(p for p in (table.catalog, table.db, table.name) if p)
    schema = table.db or ctx.schema
    database = table.catalog or ctx.database
    if not schema:
        raise _NoLineage(f"table name {written} has no schema and no default schema")
    if not database:
        raise _NoLineage(f"table name {written} has no database and no default database")
    try:
        return Dataset.table(system, database, schema, table.name)
    except InvalidDataset as exc:
        raise _NoLineage(str(exc)) from exc


def _is_physical(table: exp.Table) -> bool:
    return isinstance(table.this, exp.Identifier) and bool(table.name)


def _query_tables(
    query: exp.Expr, system: System, ctx: _Context, out: _Collector, location: str, sql: str
) -> list[Dataset]:
    """The tables a query reads (CTE names excluded); unresolved ones become problems."""
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    datasets: list[Dataset] = []
    for table in query.find_all(exp.Table):
        if not _is_physical(table) or (not table.db and table.name.lower() in ctes):
            continue
        try:
            dataset = _table_dataset(system, table, ctx)
        except _NoLineage as exc:
            out.problem(location, sql, str(exc))
            continue
        if dataset not in datasets:
            datasets.append(dataset)
    return datasets


# --------------------------------------------------------------------------------------
# Column mappings
# --------------------------------------------------------------------------------------


def _fold(name: str, quoted: bool, system: System) -> str:
    if quoted:
        return name
    return name.upper() if system is System.SNOWFLAKE else name.lower()


def _is_masking(node: exp.Expr) -> bool:
    if isinstance(node, exp.Anonymous):
        names = {node.name}
    elif isinstance(node, exp.Func):
        names = {node.sql_name(), type(node).__name__, node.key}
    else:
        return False
    for name in names:
        bare = name.lower()
        if bare.replace("_", "") in _MASKING_NORMALISED or bare.startswith(MASKING_PREFIXES):
            return True
    return False


def _under_masking(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether a masking function encloses ``node`` within the select item ``root``."""
    current = node
    while current is not root and current.parent is not None:
        current = current.parent
        if _is_masking(current):
            return True
    return False


def _inside_subquery(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether ``node`` sits in a scalar subquery of the select item ``root``."""
    current = node
    while current is not root and current.parent is not None:
        current = current.parent
        if isinstance(current, (exp.Select, exp.Subquery)):
            return True
    return False


def _item_texts(query_text: str, backslash: bool) -> list[str] | None:
    """The select items of ``query_text``'s top-level SELECT as written (None if unclear)."""
    tokens = _lex(query_text, 0, len(query_text), backslash=backslash, slash_comments=False)
    start = next((i for i, t in enumerate(tokens) if t.is_word("SELECT")), None)
    if start is None:
        return None
    depth = 0
    items: list[str] = []
    item_start: int | None = None
    last: _Token | None = None
    for token in tokens[start + 1 :]:
        if token.kind == _PUNCT_T and token.value == "(":
            depth += 1
        elif token.kind == _PUNCT_T and token.value == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (token.is_word("FROM") or token.kind == _SEMI_T):
            break
        elif depth == 0 and token.kind == _PUNCT_T and token.value == ",":
            if item_start is None or last is None:
                return None
            items.append(query_text[item_start : last.end])
            item_start = None
            last = None
            continue
        if item_start is None:
            if depth == 0 and token.is_word("DISTINCT", "ALL"):
                continue
            item_start = token.start
        last = token
    if item_start is not None and last is not None:
        items.append(query_text[item_start : last.end])
    return items


def _without_alias(text: str, item: exp.Expr, dialect: str, backslash: bool) -> str:
    """``text`` of a select item without its ``[AS] alias``."""
    if not isinstance(item, exp.Alias):
        return text.strip()
    tokens = _lex(text, 0, len(text), backslash=backslash, slash_comments=False)
    if len(tokens) >= 2 and tokens[-1].value.lower() == item.alias.lower():
        tokens.pop()
        if len(tokens) >= 2 and tokens[-1].is_word("AS"):
            tokens.pop()
        return text[: tokens[-1].end].strip()
    return str(item.this.sql(dialect=dialect))


def _texts_for(
    select: exp.Select, query_text: str | None, dialect: str, backslash: bool
) -> list[str]:
    """Each select item's expression text: as written when it can be lined up, else sqlglot's."""
    items = select.expressions
    written = _item_texts(query_text, backslash) if query_text is not None else None
    if written is not None and len(written) == len(items):
        return [
            _without_alias(text, item, dialect, backslash)
            for text, item in zip(written, items, strict=True)
        ]
    return [(i.this if isinstance(i, exp.Alias) else i).sql(dialect=dialect) for i in items]


def _output_name(item: exp.Expr, text: str, engine: System) -> str:
    """The name the engine gives a select item's output column."""
    if isinstance(item, exp.Alias):
        alias = item.args["alias"]
        return _fold(alias.name, bool(alias.args.get("quoted")), engine)
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Identifier):
        return _fold(item.name, bool(item.this.args.get("quoted")), engine)
    if engine is System.SNOWFLAKE:
        # Snowflake names an unaliased expression after its text.
        return text.upper()
    if isinstance(item, exp.Cast) and isinstance(item.this, exp.Column):
        return _fold(item.this.name, bool(item.this.this.args.get("quoted")), engine)
    function = re.match(r"\s*(?:\w+\.)?(\w+)\s*\(", text)
    return function.group(1).lower() if function else "?column?"


def _projection_mappings(
    query: exp.Expr,
    engine: System,
    ctx: _Context,
    query_text: str | None,
    dialect: str,
    backslash: bool,
) -> dict[Dataset, list[ColumnMapping]]:
    """Column mappings of a single SELECT over tables, per source table.

    Columns qualified by a table or alias in the FROM/JOIN clauses map to that table;
    unqualified ones only when there is one table. ``*``, columns of derived tables or
    CTEs and unions give no mapping.
    """
    if not isinstance(query, exp.Select) or query.args.get("with_"):
        return {}
    direct: dict[str, Dataset] = {}
    froms = [query.args.get("from_"), *(query.args.get("joins") or [])]
    for clause in froms:
        table = clause.this if clause is not None else None
        if isinstance(table, exp.Table) and _is_physical(table):
            try:
                dataset = _table_dataset(engine, table, ctx)
            except _NoLineage:
                continue  # reported by _query_tables
            direct[(table.alias or table.name).lower()] = dataset
    only = next(iter(direct.values())) if len(direct) == 1 and len(froms) == 1 else None
    texts = _texts_for(query, query_text, dialect, backslash)
    result: dict[Dataset, list[ColumnMapping]] = {}
    for item, text in zip(query.expressions, texts, strict=True):
        expression = item.this if isinstance(item, exp.Alias) else item
        target = _output_name(item, text, engine)
        plain = isinstance(expression, exp.Column)
        found: dict[tuple[Dataset, str], bool] = {}
        for column in expression.find_all(exp.Column):
            if not isinstance(column.this, exp.Identifier) or _inside_subquery(column, expression):
                continue
            owner = direct.get(column.table.lower()) if column.table else only
            if owner is None:
                continue
            source = _fold(column.name, bool(column.this.args.get("quoted")), engine)
            masked = _under_masking(column, expression)
            key = (owner, source)
            found[key] = found.get(key, True) and masked
        for (dataset, source), masked in found.items():
            mapping = ColumnMapping(source, target, None if plain else text, masked)
            if mapping not in result.setdefault(dataset, []):
                result[dataset].append(mapping)
    return result


def _stage_position(node: exp.Expr) -> str | None:
    """``$n`` for a positional stage column (``$2``, ``t.$2``)."""
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Parameter):
        node = node.this
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
        return f"${node.this.name}"
    return None


def _json_path(path: exp.Expr) -> str:
    parts: list[str] = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathKey):
            parts.append(str(part.this))
        elif isinstance(part, exp.JSONPathSubscript):
            if parts:
                parts[-1] += f"[{part.this}]"
            else:
                parts.append(f"[{part.this}]")
    return ".".join(parts)


def _stage_refs(expression: exp.Expr) -> list[tuple[str, exp.Expr]]:
    """(source column, node) of the staged-file columns an expression reads.

    ``$1:email`` → ``email`` (the key in a JSON/Parquet record), ``$2:a.b`` → ``$2:a.b``,
    ``$3`` → ``$3`` (a CSV position).
    """
    refs: list[tuple[str, exp.Expr]] = []

    def visit(node: exp.Expr) -> None:
        if isinstance(node, exp.JSONExtract):
            position = _stage_position(node.this)
            if position is not None and isinstance(node.expression, exp.JSONPath):
                path = _json_path(node.expression)
                name = path if position == "$1" and path else f"{position}:{path}"
                refs.append((name.rstrip(":"), node))
                return
        position = _stage_position(node)
        if position is not None:
            refs.append((position, node))
            return
        for child in node.iter_expressions():
            visit(child)

    visit(expression)
    return refs


def _stage_mappings(
    select: exp.Select, targets: Sequence[exp.Identifier], query_text: str, backslash: bool
) -> list[ColumnMapping]:
    """Mappings of ``COPY INTO t (cols) FROM (SELECT ... FROM @stage)``: by position."""
    texts = _texts_for(select, query_text, "snowflake", backslash)
    mappings: list[ColumnMapping] = []
    for item, text, target in zip(select.expressions, texts, targets, strict=False):
        expression = item.this if isinstance(item, exp.Alias) else item
        name = _fold(target.name, bool(target.args.get("quoted")), System.SNOWFLAKE)
        found: dict[str, bool] = {}
        refs = _stage_refs(expression)
        for source, node in refs:
            found[source] = found.get(source, True) and _under_masking(node, expression)
        plain = len(refs) == 1 and refs[0][1] is expression
        for source, masked in found.items():
            mappings.append(ColumnMapping(source, name, None if plain else text, masked))
    return mappings


# --------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------


def _paren_body(statement: _Statement, open_index: int) -> str | None:
    """The text between the ``(`` at ``open_index`` and its matching ``)``."""
    tokens = statement.tokens
    if open_index >= len(tokens) or tokens[open_index].value != "(":
        return None
    depth = 0
    for token in tokens[open_index:]:
        if token.kind == _PUNCT_T and token.value == "(":
            depth += 1
        elif token.kind == _PUNCT_T and token.value == ")":
            depth -= 1
            if depth == 0:
                return statement.source[tokens[open_index].end : token.start]
    return None


def _snowflake_copy(statement: _Statement, ctx: _Context, out: _Collector, location: str) -> None:
    """Forms 1 and 2: ``COPY INTO`` a table from a location, or a location from a table."""
    start = _embedded_copy(statement) if statement.tokens[0].is_word("CREATE") else 0
    copy = statement.tail(start or 0)
    tree = _parse(copy.text, _dialects(ctx, "snowflake"))
    if not isinstance(tree, exp.Copy):
        raise _NoLineage("sqlglot did not read a COPY statement")
    files = tree.args.get("files") or []
    if len(files) != 1:
        raise _NoLineage("COPY INTO has no single FROM source")
    # The subquery as written, to line its select items up with sqlglot's.
    from_index = next((i for i, t in _depth0(copy.tokens) if t.is_word("FROM")), None)
    subquery_text = _paren_body(copy, from_index + 1) if from_index is not None else None
    target = tree.this
    columns: list[exp.Identifier] = []
    if isinstance(target, exp.Schema):
        columns = [c for c in target.expressions if isinstance(c, exp.Identifier)]
        target = target.this
    sql = statement.text.strip()
    target_location = _location(target)
    if target_location is not None:
        target_dataset = _location_dataset(target_location, ctx)
        _snowflake_unload(files[0], target_dataset, subquery_text, ctx, out, location, sql)
        return
    if not isinstance(target, exp.Table) or not _is_physical(target):
        raise _NoLineage("the COPY INTO target is neither a table nor a location")
    table = _table_dataset(System.SNOWFLAKE, target, ctx)
    _snowflake_load(files[0], table, columns, subquery_text, ctx, out, location, sql)


def _snowflake_unload(
    source: exp.Expr,
    target: Dataset,
    subquery_text: str | None,
    ctx: _Context,
    out: _Collector,
    location: str,
    sql: str,
) -> None:
    """Form 2: one edge per table the unloaded table or query reads."""
    if isinstance(source, exp.Table) and _is_physical(source):
        out.edge(_table_dataset(System.SNOWFLAKE, source, ctx), target, [], sql, location)
        return
    if not isinstance(source, exp.Subquery):
        raise _NoLineage("the source of the unload is neither a table nor a query")
    query = source.this
    if _location(_first_table(query)) is not None:
        raise _NoLineage("the source is a stage; stage-to-stage copies are not supported")
    tables = _query_tables(query, System.SNOWFLAKE, ctx, out, location, sql)
    # Snowflake strings take backslash escapes.
    mappings = _projection_mappings(query, System.SNOWFLAKE, ctx, subquery_text, "snowflake", True)
    for dataset in tables:
        out.edge(dataset, target, mappings.get(dataset, []), sql, location)


def _snowflake_load(
    source: exp.Expr,
    table: Dataset,
    columns: Sequence[exp.Identifier],
    subquery_text: str | None,
    ctx: _Context,
    out: _Collector,
    location: str,
    sql: str,
) -> None:
    """Form 1: the stage or URL (maybe in a transform's FROM) feeds the table."""
    if not isinstance(source, exp.Subquery):
        source_location = _location(source)
        if source_location is None:
            raise _NoLineage("the COPY INTO source is neither a stage nor an S3 URL")
        out.edge(_location_dataset(source_location, ctx), table, [], sql, location)
        return
    select = source.this
    source_location = _location(_first_table(select)) if isinstance(select, exp.Select) else None
    if source_location is None:
        raise _NoLineage("the COPY INTO transform does not read from a stage or S3 URL")
    s3_dataset = _location_dataset(source_location, ctx)
    mappings: list[ColumnMapping] = []
    if columns and subquery_text is not None:
        if len(columns) == len(select.expressions):
            mappings = _stage_mappings(select, columns, subquery_text, True)
        else:
            out.problem(
                location,
                sql,
                f"the column list has {len(columns)} columns but the SELECT has "
                f"{len(select.expressions)}; no column mappings",
            )
    out.edge(s3_dataset, table, mappings, sql, location)


def _first_table(query: exp.Expr) -> exp.Expr | None:
    clause = query.args.get("from_")
    return clause.this if isinstance(clause, exp.From) else None


def _psql_copy(statement: _Statement, ctx: _Context, out: _Collector, location: str) -> None:
    r"""A psql ``\copy``: the same as ``COPY`` but run by the client."""
    meta = statement.tokens[0]
    # Re-lex the line after the backslash as a statement of its own (PostgreSQL quoting);
    # its location stays the meta-command's line, so no line index is needed.
    script = _Script(statement.source, backslash=False, slash_comments=False, newlines=())
    tokens = script.statements(meta.start + 1, meta.end)
    if not tokens:
        raise _NoLineage("empty \\copy")
    inner = _Statement(statement.source, tokens[0].tokens, statement.line)
    _postgres_copy(inner, ctx, out, location, sql=meta.value)


def _postgres_copy(
    statement: _Statement,
    ctx: _Context,
    out: _Collector,
    location: str,
    *,
    sql: str | None = None,
) -> None:
    """Form 4 (and Redshift ``COPY ... FROM 's3://...'``)."""
    sql = sql or statement.text.strip()
    tokens = statement.tokens
    direction = next(((i, t) for i, t in _depth0(tokens, 1) if t.is_word("TO", "FROM")), None)
    if direction is None:
        raise _NoLineage("COPY has neither TO nor FROM")
    index, word = direction
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    program = (
        tokens[index + 2]
        if after is not None and after.is_word("PROGRAM") and index + 2 < len(tokens)
        else None
    )
    loading = word.is_word("FROM")
    if loading and after is not None and after.kind == _STRING_T:
        if after.value.startswith(("s3://", "s3a://")):
            _redshift_copy(statement, after.value, ctx, out, location, sql)
            return
        raise _NoLineage("reads a local file; no S3 location")
    if program is None or program.kind != _STRING_T:
        if after is not None and after.kind == _STRING_T:
            raise _NoLineage("writes a local file; no S3 location")
        stream = after.value.lower() if after is not None else "nothing"
        raise _NoLineage(f"{'reads' if loading else 'writes'} {stream}; no S3 location")
    url = _S3_URL.search(program.value)
    if url is None:
        raise _NoLineage("no s3:// location in the program")
    s3_dataset = _s3(url.group(0))

    tree = _parse(statement.text, _dialects(ctx, "postgres"))
    if not isinstance(tree, exp.Copy):
        raise _NoLineage("sqlglot did not read a COPY statement")
    subject = tree.this
    if isinstance(subject, exp.Subquery):
        if loading:
            raise _NoLineage("COPY (query) FROM is not valid")
        query = subject.this
        body = _paren_body(statement, 1)
        for dataset in _query_tables(query, System.POSTGRES, ctx, out, location, sql):
            mappings = _projection_mappings(query, System.POSTGRES, ctx, body, "postgres", False)
            out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)
        return
    columns: list[ColumnMapping] = []
    if isinstance(subject, exp.Schema):
        for column in subject.expressions:
            if isinstance(column, exp.Identifier):
                name = _fold(column.name, bool(column.args.get("quoted")), System.POSTGRES)
                columns.append(ColumnMapping(name, name))
        subject = subject.this
    if not isinstance(subject, exp.Table) or not _is_physical(subject):
        raise _NoLineage("COPY names neither a table nor a query")
    table = _table_dataset(System.POSTGRES, subject, ctx)
    if loading:
        out.edge(s3_dataset, table, columns, sql, location)
    else:
        out.edge(table, s3_dataset, columns, sql, location)


def _redshift_copy(
    statement: _Statement, url: str, ctx: _Context, out: _Collector, location: str, sql: str
) -> None:
    """Redshift ``COPY table [(cols)] FROM 's3://...' IAM_ROLE ...``: S3 → Redshift."""
    s3_dataset = _s3(url)
    tree = _parse(statement.text, _dialects(ctx, "redshift"))
    if not isinstance(tree, exp.Copy):
        raise _NoLineage("sqlglot did not read a COPY statement")
    subject = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(subject, exp.Table) or not _is_physical(subject):
        raise _NoLineage("COPY names no table")
    out.edge(s3_dataset, _table_dataset(System.REDSHIFT, subject, ctx), [], sql, location)


def _redshift_unload(statement: _Statement, ctx: _Context, out: _Collector, location: str) -> None:
    """Form 5: ``UNLOAD ('query') TO 's3://...' ...``."""
    sql = statement.text.strip()
    tokens = statement.tokens
    shape = [t.kind if t.kind != _PUNCT_T else t.value for t in tokens[1:6]]
    if shape != ["(", _STRING_T, ")", _WORD_T, _STRING_T] or not tokens[4].is_word("TO"):
        raise _NoLineage("not UNLOAD ('query') TO 's3://...'")
    query_text = tokens[2].value
    s3_dataset = _location_dataset(tokens[5].value, ctx)
    query = _parse(query_text, _dialects(ctx, "redshift"))
    reported = len(out.problems)
    tables = _query_tables(query, System.REDSHIFT, ctx, out, location, sql)
    if not tables and len(out.problems) == reported:
        raise _NoLineage("the unloaded query reads no table")
    mappings = _projection_mappings(query, System.REDSHIFT, ctx, query_text, "redshift", True)
    for dataset in tables:
        out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)


def _psql_gset(previous: _Statement, prefix: str, ctx: _Context) -> None:
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
        positional, named = _arguments(node)
        bucket = _string_value(named.get("bucket") or _nth(positional, 0))
        key = _string_value(named.get("file_path") or _nth(positional, 1))
        if bucket and key is not None:
            return bucket, key
    return None


def _nth(items: Sequence[exp.Expr], index: int) -> exp.Expr | None:
    return items[index] if index < len(items) else None


def _arguments(
    call: exp.Expr,
) -> tuple[list[exp.Expr], dict[str, exp.Expr]]:
    positional: list[exp.Expr] = []
    named: dict[str, exp.Expr] = {}
    for argument in call.expressions:
        if isinstance(argument, (exp.Kwarg, exp.PropertyEQ)):
            named[argument.this.name.lower()] = argument.expression
        else:
            positional.append(argument)
    return positional, named


def _substitute_psql_vars(statement: _Statement, start: int, ctx: _Context) -> str:
    r"""Statement text from token ``start`` with ``:'var'``/``:var`` replaced by their value.

    :raises _NoLineage: a variable this script does not set by ``\gset``.
    """
    tokens = statement.tokens
    pieces: list[str] = []
    cursor = tokens[start].start
    for index in range(start, len(tokens) - 1):
        colon, name = tokens[index], tokens[index + 1]
        if colon.value != ":" or colon.kind != _PUNCT_T or name.start != colon.end:
            continue
        if index > 0 and tokens[index - 1].value == ":" and tokens[index - 1].end == colon.start:
            continue  # a :: cast
        if name.kind not in (_WORD_T, _STRING_T, _IDENT_T):
            continue
        value = ctx.psql_vars.get(name.value)
        if value is None:
            raise _NoLineage(
                f"the S3 location is the psql variable :{name.text}, which no "
                f"'SELECT aws_commons.create_s3_uri(...) AS {name.value} \\gset' sets"
            )
        bucket, key = (v.replace("'", "''") for v in value)
        pieces.append(statement.source[cursor : colon.start])
        pieces.append(f"aws_commons.create_s3_uri('{bucket}', '{key}', '')")
        cursor = name.end
    pieces.append(statement.source[cursor : statement.end])
    return "".join(pieces)


def _rds_export(statement: _Statement, ctx: _Context, out: _Collector, location: str) -> None:
    """Form 3: ``aws_s3.query_export_to_s3('query', aws_commons.create_s3_uri(...), ...)``."""
    sql = statement.text.strip()
    tokens = statement.tokens
    start = next((i for i, t in enumerate(tokens) if t.is_word("SELECT", "PERFORM")), None)
    if start is None:
        raise _NoLineage("query_export_to_s3 is not called from a SELECT or PERFORM")
    text = _substitute_psql_vars(statement, start, ctx)
    if tokens[start].is_word("PERFORM"):
        # PL/pgSQL's PERFORM is a SELECT whose result is discarded.
        text = "SELECT" + text[len("PERFORM") :]
    tree = _parse(text, _dialects(ctx, "postgres"))
    calls = [
        node for node in tree.find_all(exp.Anonymous) if node.name.lower() == "query_export_to_s3"
    ]
    if not calls:
        raise _NoLineage("sqlglot found no query_export_to_s3 call")
    for call in calls:
        positional, named = _arguments(call)
        query_text = _string_value(named.get("query") or _nth(positional, 0))
        if query_text is None:
            raise _NoLineage("the exported query is not a string literal")
        s3_info = named.get("s3_info") or (positional[1] if len(positional) > 1 else None)
        bucket_key = _create_s3_uri(s3_info)
        if bucket_key is None:
            bucket = _string_value(named.get("bucket") or s3_info)
            key = _string_value(named.get("file_path") or _nth(positional, 2))
            bucket_key = (bucket, key) if bucket and key is not None else None
        if bucket_key is None:
            raise _NoLineage(
                "the S3 location is not aws_commons.create_s3_uri('bucket', 'path', 'region') "
                "with literal arguments"
            )
        s3_dataset = _s3(f"s3://{bucket_key[0]}/{bucket_key[1].lstrip('/')}")
        query = _parse(query_text, ["postgres"])
        tables = _query_tables(query, System.POSTGRES, ctx, out, location, sql)
        mappings = _projection_mappings(query, System.POSTGRES, ctx, query_text, "postgres", False)
        for dataset in tables:
            out.edge(dataset, s3_dataset, mappings.get(dataset, []), sql, location)
