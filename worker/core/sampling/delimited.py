"""Delimited text: delimiter and header sniffing, parsing, ragged-row handling."""

from __future__ import annotations

import csv
import io
import itertools
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from worker.core.errors import RaggedRows, UnsupportedFormat
from worker.core.sampling.header import judge_header
from worker.core.sampling.options import SamplingOptions

# Sampled fields can be large (a whole document in one cell); the default 128 KiB limit would
# make the csv module fail on them. The cell limit is applied after parsing.
try:
    csv.field_size_limit(sys.maxsize)
except OverflowError:  # C long is 32 bits on some platforms
    csv.field_size_limit(2**31 - 1)

DELIMITERS = (",", "\t", ";", "|")
_SNIFF_ROWS = 50
_SNIFF_CHARS = 256 * 1024


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
    """Rows picked from delimited text, all of the header's width.

    :param rows: the picked data rows (all of them when there are no more than asked for).
    :param total: the data rows parsed (the header excluded).
    :param header_reason: why the first row was not taken for a header, or ``None``.
    """

    names: list[str]
    rows: list[list[str]]
    delimiter: str
    header: bool
    warnings: list[str] = field(default_factory=list)
    multiline_fields: bool = False
    total: int = 0
    header_reason: str | None = None
    #: What parsing the head learnt, for a later parse of the same head (see
    #: :func:`parse_delimited`'s ``resume``).
    resume: Resume | None = field(default=None, repr=False, compare=False)


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
    # One buffer read from its start for each delimiter: it is the same lines every time.
    lines = _lines(cut)
    for rank, delim in enumerate(order):
        lines.seek(0)
        rows = itertools.islice(csv.reader(lines, delimiter=delim), _SNIFF_ROWS)
        try:
            counts = [len(r) for r in rows if r]
        except csv.Error:
            continue
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (hits / len(counts), width, -rank)
        if score > best:
            best, choice = score, delim
    return choice, best[1]


@dataclass(slots=True)
class _Scan:
    """What one pass over the rows learns without keeping them."""

    first: list[str] | None = None
    early: list[list[str]] = field(default_factory=list)
    total: int = 0
    ragged: int = 0
    first_ragged: tuple[int, str] | None = None
    multiline: bool = False
    repeated: set[int] = field(default_factory=set)
    #: Every row while there are at most ``keep`` (the first row and as many as are sampled),
    #: so that the picked rows need not be parsed again; emptied, with ``keep`` 0, after that.
    kept: list[list[str]] = field(default_factory=list)
    keep: int = 0

    def copy(self) -> _Scan:
        """A copy whose lists and set can grow without changing this one."""
        return replace(
            self, early=list(self.early), repeated=set(self.repeated), kept=list(self.kept)
        )


@dataclass(frozen=True, slots=True)
class Resume:
    """The state after scanning one head chunk, so that parsing it again can start after it.

    Parsing is a fold over the rows of the chunks in order, each chunk parsed on its own, so
    the state after the head chunk plus the rest of the chunks gives exactly what parsing all
    of them gives.
    """

    text: str
    first_line: int | None
    offset: int
    hint: str | None
    options: SamplingOptions
    delimiter: str
    sniffed_width: int
    scan: _Scan

    def fits(self, chunk: TextChunk, hint: str | None, options: SamplingOptions) -> bool:
        """Whether this state is the one parsing ``chunk`` first with ``hint`` would reach."""
        return (
            chunk.first_line == self.first_line
            and chunk.offset == self.offset
            and hint == self.hint
            and options == self.options
            and (chunk.text is self.text or chunk.text == self.text)
        )


#: A row's chunk, the lines before it in the chunk, and how many lines it spans.
Location = tuple[TextChunk, int, int]


def _lines(text: str) -> io.StringIO:
    # Universal newlines: a lone CR ends a line (the csv module refuses one inside a line).
    return io.StringIO(text, newline=None)


class Unreadable(Exception):  # noqa: N818 - a signal for sample_text
    """The csv module refused the text; ``reason`` names why without quoting it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _rows(chunks: Sequence[TextChunk], delimiter: str) -> Iterator[tuple[list[str], Location]]:
    """Every non-empty row and where it starts (the location is formatted only if needed).

    :raises Unreadable: the csv module refused a line (it never quotes it in its message,
        but only its class is kept).
    """
    for chunk in chunks:
        reader = csv.reader(_lines(chunk.text), delimiter=delimiter, strict=False)
        prev_line = 0
        try:
            for row in reader:
                start = prev_line
                prev_line = reader.line_num
                if row:
                    yield row, (chunk, start, prev_line - start)
        except csv.Error as exc:
            where = _where((chunk, prev_line, 1))
            raise Unreadable(f"the CSV parser refused it at {where}") from exc


def _where(location: Location) -> str:
    chunk, before, _ = location
    if chunk.first_line is not None:
        return f"line {chunk.first_line + before:,}"
    return f"the range starting at byte {chunk.offset:,}"


def _scan(
    chunks: Sequence[TextChunk],
    delimiter: str,
    limits: SamplingOptions,
    scan: _Scan | None = None,
) -> _Scan:
    """Fold the rows of ``chunks`` into ``scan`` (a new one if ``None``), which is returned."""
    if scan is None:
        scan = _Scan()
    width = 0 if scan.first is None else len(scan.first)
    first_set: set[str] = set() if scan.first is None else set(scan.first)
    kept = scan.kept
    for row, location in _rows(chunks, delimiter):
        if location[2] > 1 and location[0].first_line is not None:
            scan.multiline = True
        scan.total += 1
        if scan.first is None:
            # Before anything looks at its fields: a million-column row would cost a
            # million of everything downstream.
            limits.check_columns(len(row))
            scan.first, width, first_set = row, len(row), set(row)
            # The header (maybe) and as many rows as are sampled of this width.
            scan.keep = limits.rows_for(width) + 1
            kept.append(row)
            continue
        if len(kept) < scan.keep:
            kept.append(row)
        elif kept:
            # More rows than are sampled: they will be parsed again, so free these now.
            kept.clear()
            scan.keep = 0
        if len(scan.early) < _SNIFF_ROWS:
            scan.early.append(row)
        if len(row) != width:
            scan.ragged += 1
            if scan.first_ragged is None:
                scan.first_ragged = (len(row), _where(location))
        if not first_set.isdisjoint(row) and row != scan.first:
            scan.repeated.update(
                i for i, (a, b) in enumerate(zip(scan.first, row, strict=False)) if a == b
            )
    return scan


def parse_delimited(
    chunks: Sequence[TextChunk],
    hint: str | None,
    options: SamplingOptions,
    rng: random.Random | None = None,
    resume: Resume | None = None,
) -> ParsedTable:
    """Parse delimited text whose first chunk is the head of the object.

    Two passes, so memory does not grow with the number of rows: the first counts rows and
    checks their widths and the header, the second keeps ``options.rows`` rows (fewer for a
    wide table, see :meth:`SamplingOptions.rows_for`) picked with ``rng``, in file order, or
    every row when there are no more. The first pass keeps rows only while they are no more
    than that (plus the header); when they are all the rows, there is no second pass.
    Without ``rng`` no row is returned (a probe of the head).
    Picked rows wider or narrower than the header are cut or padded with empty fields while
    the share of such rows stays within ``options.ragged_tolerance``; that is reported as a
    warning. A first row that is not clearly a header (see :mod:`worker.core.sampling.header`) is
    data, and the columns are named ``column_1`` ... with a warning saying why.

    :param resume: the ``resume`` of an earlier parse of a head chunk (the probe): when it
        was taken from a chunk equal to ``chunks[0]`` with the same ``hint`` and ``options``,
        that chunk is not sniffed and parsed again; otherwise it is ignored. Either way the
        result is the same.
    :raises RaggedRows: more than the tolerance of the parsed rows have the wrong field count.
    :raises UnsupportedFormat: the rows are ragged and no delimiter splits them consistently
        (plain text such as a README, not a table).
    :raises SampleTooLarge: the first row has more than ``options.max_columns`` fields.
    """
    tolerance = options.ragged_tolerance
    head = chunks[0]
    if resume is not None and resume.fits(head, hint, options):
        delimiter, sniffed_width = resume.delimiter, resume.sniffed_width
        scan = _scan(chunks[1:], delimiter, options, resume.scan.copy())
    else:
        delimiter, sniffed_width = sniff_delimiter(head.text, hint)
        scan = _scan(chunks[:1], delimiter, options)
        resume = Resume(
            head.text,
            head.first_line,
            head.offset,
            hint,
            options,
            delimiter,
            sniffed_width,
            scan.copy(),
        )
        scan = _scan(chunks[1:], delimiter, options, scan)
    if scan.first is None:
        return ParsedTable([], [], delimiter, False, resume=resume)
    first = scan.first
    guess = judge_header(first, scan.early, scan.repeated)
    header = guess.header
    width = len(first)
    names = (
        [f.strip() or f"column_{i + 1}" for i, f in enumerate(first)]
        if header
        else [f"column_{i + 1}" for i in range(width)]
    )
    names = _dedupe(names)
    n_data = scan.total - 1 if header else scan.total
    warnings: list[str] = []
    if not header:
        warnings.append(
            f"no header row: the first row is not taken for one ({guess.reason}), so the "
            f"columns are named column_1 to column_{width:,}"
        )
    if scan.ragged:
        whose = "the header's" if header else "the first row's"
        n_fields, where = scan.first_ragged or (0, "")
        detail = (
            f"{scan.ragged:,} of {n_data:,} sampled rows have a field count different from "
            f"{whose} {width:,} (first at {where}: {n_fields:,} fields)"
        )
        if scan.ragged > tolerance * n_data:
            if sniffed_width < 2:
                # No delimiter gives the rows a consistent width: prose, a log, a note.
                raise UnsupportedFormat(
                    "not delimited data: no delimiter (, tab ; |) splits the rows into a "
                    f"consistent number of fields ({detail})"
                )
            raise RaggedRows(f"ragged rows: {detail}")
        warnings.append(f"ragged rows padded or cut: {detail}")
    rows: list[list[str]] = []
    want = options.rows_for(width)
    if rng is not None and n_data > 0:
        fewer = options.fewer_rows_warning(width)
        if fewer:
            warnings.append(fewer)
        picks = sorted(rng.sample(range(n_data), want)) if n_data > want else range(n_data)
        if len(scan.kept) == scan.total:
            # Every row was kept by the scan: no need to parse them again.
            rows = _padded(scan.kept[1:] if header else scan.kept, picks, width)
        else:
            rows = _picked_rows(chunks, delimiter, header, picks, width)
    return ParsedTable(
        names,
        rows,
        delimiter,
        header,
        warnings,
        scan.multiline,
        n_data,
        guess.reason,
        resume,
    )


def _padded(data: Sequence[list[str]], picks: Sequence[int], width: int) -> list[list[str]]:
    """The rows of ``data`` at the (sorted) indexes ``picks``, padded or cut to ``width``."""
    if isinstance(picks, range) and len(picks) == len(data):
        chosen: Sequence[list[str]] = data
    else:
        chosen = [data[i] for i in picks]
    return [
        row if len(row) == width else (row + [""] * (width - len(row)))[:width] for row in chosen
    ]


def _picked_rows(
    chunks: Sequence[TextChunk],
    delimiter: str,
    header: bool,
    picks: Sequence[int],
    width: int,
) -> list[list[str]]:
    """The data rows at the (sorted) indexes ``picks``, padded or cut to ``width``."""
    rows: list[list[str]] = []
    if not picks:
        return rows
    index = -1 if header else 0
    k = 0
    for row, _ in _rows(chunks, delimiter):
        if index == picks[k]:
            rows.append(row if len(row) == width else (row + [""] * (width - len(row)))[:width])
            k += 1
            if k == len(picks):
                break
        index += 1
    return rows


def _dedupe(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out: list[str] = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
