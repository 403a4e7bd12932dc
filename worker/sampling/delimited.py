"""Delimited text: delimiter and header sniffing, parsing, ragged-row handling."""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from worker.errors import RaggedRows, UnsupportedFormat
from worker.sampling.values import infer_text_column

# Sampled fields can be large (a whole document in one cell); the default 128 KiB limit would
# make the csv module fail on them. The cell limit is applied after parsing.
try:
    csv.field_size_limit(sys.maxsize)
except OverflowError:  # C long is 32 bits on some platforms
    csv.field_size_limit(2**31 - 1)

DELIMITERS = (",", "\t", ";", "|")
_SNIFF_ROWS = 50
_SNIFF_CHARS = 256 * 1024
_IDENTIFIER = re.compile(r"[^\W\d][\w .\-/()#%]*")


@dataclass(slots=True)
class TextChunk:
    """Decoded text of one part of the object.

    :param text: complete lines only.
    :param first_line: the line number of its first line when known (the head), else ``None``.
    :param offset: the byte offset of the part in the (decompressed) object.
    """

    text: str
    first_line: int | None
    offset: int


@dataclass(slots=True)
class ParsedTable:
    """Rows parsed from delimited text, all of the header's width."""

    names: list[str]
    rows: list[list[str]]
    delimiter: str
    header: bool
    warnings: list[str] = field(default_factory=list)
    multiline_fields: bool = False


def sniff_delimiter(sample: str, hint: str | None) -> tuple[str, int]:
    """Pick the delimiter that splits the first rows into the most consistent field count.

    :param hint: the delimiter the file name suggests, preferred on ties.
    :returns: the delimiter and the field count it gives (1 when nothing splits the rows).
    """
    cut = sample[:_SNIFF_CHARS]
    if len(sample) > _SNIFF_CHARS and "\n" in cut:
        cut = cut[: cut.rindex("\n") + 1]
    best: tuple[float, int, int] = (0.0, 1, 0)
    choice = hint or ","
    order = ([hint] if hint else []) + [d for d in DELIMITERS if d != hint]
    for rank, delim in enumerate(order):
        rows = itertools.islice(csv.reader(io.StringIO(cut), delimiter=delim), _SNIFF_ROWS)
        counts = [len(r) for r in rows if r]
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (hits / len(counts), width, -rank)
        if score > best:
            best, choice = score, delim
    return choice, best[1]


def _looks_like_header(first: Sequence[str], rest: Sequence[Sequence[str]]) -> bool:
    if not first or any(not f.strip() for f in first) or len(set(first)) != len(first):
        return False
    votes = 0
    for i, name in enumerate(first):
        column = [r[i] for r in rest if i < len(r)]
        kind, _, _ = infer_text_column(column, allow_decimal_comma=True)
        if kind != "string":
            own, _, _ = infer_text_column([name], allow_decimal_comma=True)
            votes += 1 if own != kind else -1
    if votes:
        return votes > 0
    # All-text columns: names look like identifiers, values usually do not all do.
    return all(_IDENTIFIER.fullmatch(f.strip()) for f in first)


def parse_delimited(chunks: Sequence[TextChunk], hint: str | None, tolerance: float) -> ParsedTable:
    """Parse delimited text whose first chunk is the head of the object.

    Rows wider or narrower than the header are cut or padded with empty fields while their
    share stays within ``tolerance``; each fix is reported as a warning.

    :raises RaggedRows: more than ``tolerance`` of the parsed rows have the wrong field count.
    :raises UnsupportedFormat: the rows are ragged and no delimiter splits them consistently
        (plain text such as a README, not a table).
    """
    head = chunks[0].text
    delimiter, sniffed_width = sniff_delimiter(head, hint)
    records: list[tuple[list[str], str]] = []
    multiline = False
    for chunk in chunks:
        reader = csv.reader(io.StringIO(chunk.text), delimiter=delimiter, strict=False)
        prev_line = 0
        for row in reader:
            if chunk.first_line is not None:
                where = f"line {chunk.first_line + prev_line:,}"
                if reader.line_num - prev_line > 1:
                    multiline = True
            else:
                where = f"the range starting at byte {chunk.offset:,}"
            prev_line = reader.line_num
            if row:
                records.append((row, where))
    if not records:
        return ParsedTable([], [], delimiter, False)
    first = records[0][0]
    header = _looks_like_header(first, [r for r, _ in records[1:_SNIFF_ROWS]])
    width = len(first)
    names = (
        [f.strip() or f"column_{i + 1}" for i, f in enumerate(first)]
        if header
        else [f"column_{i + 1}" for i in range(width)]
    )
    names = _dedupe(names)
    data = records[1:] if header else records
    ragged = [(len(r), where) for r, where in data if len(r) != width]
    warnings: list[str] = []
    if ragged:
        whose = "the header's" if header else "the first row's"
        n_fields, where = ragged[0]
        detail = (
            f"{len(ragged):,} of {len(data):,} sampled rows have a field count different from "
            f"{whose} {width:,} (first at {where}: {n_fields:,} fields)"
        )
        if len(ragged) > tolerance * len(data):
            if sniffed_width < 2:
                # No delimiter gives the rows a consistent width: prose, a log, a note.
                raise UnsupportedFormat(
                    "not delimited data: no delimiter (, tab ; |) splits the rows into a "
                    f"consistent number of fields ({detail})"
                )
            raise RaggedRows(f"ragged rows: {detail}")
        warnings.append(f"ragged rows padded or cut: {detail}")
    rows = [r if len(r) == width else (r + [""] * (width - len(r)))[:width] for r, _ in data]
    return ParsedTable(names, rows, delimiter, header, warnings, multiline)


def _dedupe(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out: list[str] = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
