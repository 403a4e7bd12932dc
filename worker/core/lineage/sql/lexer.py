r"""SQL lexing and statement splitting, aware of the quoting of the dialects lineage reads.

A script is cut into :class:`Statement` objects at top-level ``;`` and psql meta-commands;
each keeps its tokens with offsets into the script's text, so locations and the statement
text as written survive. Pure; nothing here raises for bad input (an unterminated quote or
comment runs to the end of what is lexed).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

WORD = "word"  # keyword, identifier, $1, @stage/path
IDENT = "ident"  # "quoted identifier"
STRING = "string"  # '...', E'...', $tag$...$tag$
PUNCT = "punct"
SEMI = "semi"
META = "meta"  # psql backslash command, up to the end of its line

# Dialects whose string literals treat a backslash as an escape ('it\'s'); PostgreSQL only
# does so in E'...' strings, which the lexer handles separately.
_BACKSLASH_DIALECTS = frozenset({"snowflake", "redshift", "bigquery", "mysql", "databricks"})
DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")
_WORD = re.compile(r"[\w$]+")
# Raw-text markers telling which dialect a whole file is written in; they only decide how
# the splitter reads backslashes and ``//`` comments (statement forms are told apart later).
_SNOWFLAKE_MARKERS = re.compile(
    r"\bCOPY\s+INTO\b|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?STAGE\b",
    re.IGNORECASE,
)
_REDSHIFT_MARKERS = re.compile(r"\bUNLOAD\s*\(", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (:data:`WORD`, :data:`STRING` ...), text and offsets."""

    kind: str
    text: str  # as written
    value: str  # strings and quoted identifiers unquoted and unescaped; else ``text``
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        """Whether this is an unquoted word equal to one of ``words`` (upper case)."""
        return self.kind == WORD and self.value.upper() in words


def lex(source: str, begin: int, end: int, *, backslash: bool, slash_comments: bool) -> list[Token]:
    r"""Tokens of ``source[begin:end]``, comments dropped (offsets are into ``source``).

    Aware of ``'...'`` (with ``''``, and ``\'`` when ``backslash``), ``E'...'``,
    ``"..."``, dollar quotes, ``--``/``/* */`` (nested) comments, ``//`` comments when
    ``slash_comments`` and psql meta-commands. An unterminated quote or comment runs to
    ``end`` (the statement then fails to parse and is reported).
    """
    tokens: list[Token] = []
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
            tokens.append(Token(STRING, source[i:j], value, i, j))
            i = j
        elif c == '"':
            j, value = _scan_quoted(source, i + 1, end, '"')
            tokens.append(Token(IDENT, source[i:j], value, i, j))
            i = j
        elif c == "$" and not _word_before(source, i, begin) and DOLLAR_TAG.match(source, i):
            i = _dollar_quoted(source, i, end, tokens)
        elif c == "\\":
            i = _meta_command(source, i, end, tokens)
        elif c == ";":
            tokens.append(Token(SEMI, c, c, i, i + 1))
            i += 1
        elif c == "@":
            i = _stage_reference(source, i, end, tokens)
        elif (match := _WORD.match(source, i, end)) is not None:
            tokens.append(Token(WORD, match.group(0), match.group(0), i, match.end()))
            i = match.end()
        else:
            tokens.append(Token(PUNCT, c, c, i, i + 1))
            i += 1
    return tokens


def _dollar_quoted(source: str, i: int, end: int, tokens: list[Token]) -> int:
    """Append the ``$tag$ ... $tag$`` string at ``i``; return the offset after it."""
    match = DOLLAR_TAG.match(source, i)
    assert match is not None  # the caller just matched
    tag = match.group(0)
    close = source.find(tag, match.end(), end)
    j = end if close < 0 else close + len(tag)
    body_end = end if close < 0 else close
    tokens.append(Token(STRING, source[i:j], source[match.end() : body_end], i, j))
    return j


def _meta_command(source: str, i: int, end: int, tokens: list[Token]) -> int:
    r"""Append the psql meta-command (``\connect``, ``\copy``, ``\gset`` ...) at ``i``.

    It runs to the end of the line; return the offset of that line end.
    """
    newline = source.find("\n", i, end)
    j = end if newline < 0 else newline
    text = source[i:j].rstrip()
    tokens.append(Token(META, text, text, i, i + len(text)))
    return j


def _stage_reference(source: str, i: int, end: int, tokens: list[Token]) -> int:
    """Append the stage reference at ``i``; return the offset after it.

    A stage reference: @db.schema.stage/path/dt=2024-01-01/ (no spaces unless quoted).
    """
    j = i + 1
    while j < end and not source[j].isspace() and source[j] not in ";(),'":
        j += 1
    tokens.append(Token(WORD, source[i:j], source[i:j], i, j))
    return j


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
class Statement:
    """One statement of a script: its tokens (offsets into ``source``) without the ``;``."""

    source: str
    tokens: tuple[Token, ...]
    line: int

    @property
    def start(self) -> int:
        """Offset of the first token in ``source``."""
        return self.tokens[0].start

    @property
    def end(self) -> int:
        """Offset just after the last token in ``source``."""
        return self.tokens[-1].end

    @property
    def text(self) -> str:
        """The statement as written, comments inside it included."""
        return self.source[self.start : self.end]

    def tail(self, index: int, line: int | None = None) -> Statement:
        """The statement from token ``index`` on (at ``line`` if given)."""
        return Statement(self.source, self.tokens[index:], self.line if line is None else line)


@dataclass(frozen=True, slots=True)
class Script:
    """A script's text with how to lex it and where its lines start."""

    source: str
    backslash: bool
    slash_comments: bool
    newlines: tuple[int, ...]

    @classmethod
    def of(cls, source: str, dialect: str | None) -> Script:
        """``source`` lexed as ``dialect`` (guessed from its text when ``None``)."""
        effective = dialect or _guess_file_dialect(source)
        return cls(
            source,
            backslash=effective in _BACKSLASH_DIALECTS,
            slash_comments=effective == "snowflake",
            newlines=tuple(m.start() for m in re.finditer("\n", source)),
        )

    def line_of(self, offset: int) -> int:
        """The 1-based line of ``offset``."""
        return bisect_right(self.newlines, offset - 1) + 1

    def statements(self, begin: int = 0, end: int | None = None) -> list[Statement]:
        """Split ``source[begin:end]`` at top-level ``;`` and psql meta-commands."""
        tokens = lex(
            self.source,
            begin,
            len(self.source) if end is None else end,
            backslash=self.backslash,
            slash_comments=self.slash_comments,
        )
        statements: list[Statement] = []
        current: list[Token] = []

        def flush() -> None:
            if current:
                statements.append(
                    Statement(self.source, tuple(current), self.line_of(current[0].start))
                )
                current.clear()

        for token in tokens:
            if token.kind == SEMI:
                flush()
            elif token.kind == META:
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


def depth0(tokens: Sequence[Token], start: int = 0) -> Iterator[tuple[int, Token]]:
    """(index, token) of the tokens outside any parentheses, from ``start``."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.kind == PUNCT and token.value == "(":
            depth += 1
        elif token.kind == PUNCT and token.value == ")":
            depth -= 1
        elif depth == 0:
            yield index, token


def paren_body(statement: Statement, open_index: int) -> str | None:
    """The text between the ``(`` at ``open_index`` and its matching ``)``."""
    tokens = statement.tokens
    if open_index >= len(tokens) or tokens[open_index].value != "(":
        return None
    depth = 0
    for token in tokens[open_index:]:
        if token.kind == PUNCT and token.value == "(":
            depth += 1
        elif token.kind == PUNCT and token.value == ")":
            depth -= 1
            if depth == 0:
                return statement.source[tokens[open_index].end : token.start]
    return None
