"""Delimited text: delimiter and header sniffing, parsing, ragged-row handling."""

from __future__ import annotations

import csv
import io
import itertools
import operator
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from worker.core.errors import RaggedRows, UnsupportedFormat
from worker.core.sampling.header import HeaderGuess, judge_header
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
# The sniffer reads this much first: 50 rows are usually far shorter, and the rest of the
# 256 KiB is only decoded into lines when some delimiter's 50 rows reach the end of it.
_SNIFF_FIRST = 32 * 1024
# Rows parsed at once by the scan, so that per-row work runs in C (map, filter, extend);
# fewer when they are wide, so that a batch holds no more than about this many fields.
_BATCH = 512
_BATCH_FIELDS = 16_384


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
    cut = _cut(sample, _SNIFF_CHARS)
    order = ([hint] if hint else []) + [d for d in DELIMITERS if d != hint]
    # A delimiter the text does not hold splits no row: each is one field, too narrow.
    absent = {d for d in order if d not in cut}
    # Most rows are short: the first lines alone give the same rows when no delimiter's
    # rows reach their end (else ``None``); only then is the whole cut read.
    first = _cut(cut, _SNIFF_FIRST)
    widths = _sniff_widths(first, order, absent, partial=True) if first is not cut else None
    if widths is None:
        widths = _sniff_widths(cut, order, absent, partial=False)
    assert widths is not None  # a whole cut always gives its widths
    best: tuple[float, int, int] = (0.0, 1, 0)
    choice = hint or ","
    for rank, (delim, counts) in enumerate(zip(order, widths, strict=True)):
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (hits / len(counts), width, -rank)
        if score > best:
            best, choice = score, delim
    return choice, best[1]


def _cut(text: str, limit: int) -> str:
    """The start of ``text``: all of it when at most ``limit`` characters.

    Else its first ``limit`` characters without their partial last line (when they hold a
    line break).
    """
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n") + 1]
    return cut


def _sniff_widths(
    text: str, order: Sequence[str], absent: set[str], partial: bool
) -> list[list[int]] | None:
    """The field counts of the first non-empty rows of ``text``, per delimiter of ``order``.

    A delimiter's counts are empty when the csv module refuses the text, no row has fields
    or the delimiter is one of ``absent`` (which the whole text does not hold).

    :param partial: ``text`` is the start of a longer text: returns ``None`` when some
        delimiter's rows reach its end, where the longer text could give other rows.
    """
    # One buffer read from its start for each delimiter: it is the same lines every time.
    lines = _lines(text)
    out: list[list[int]] = []
    for delim in order:
        if delim in absent:
            out.append([])
            continue
        lines.seek(0)
        rows = itertools.islice(csv.reader(lines, delimiter=delim), _SNIFF_ROWS)
        try:
            counts = [len(r) for r in rows if r]
        except csv.Error:
            counts = []
        if partial and not lines.read(1):
            return None
        out.append(counts)
    return out


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
    #: :func:`judge_header`'s verdict on ``scan`` (a pure function of it), when it was asked.
    guess: HeaderGuess | None = None

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
    """Fold the rows of ``chunks`` into ``scan`` (a new one if ``None``), which is returned.

    :raises Unreadable: see :func:`_rows`.
    :raises SampleTooLarge: the first row has more than ``limits.max_columns`` fields.
    """
    if scan is None:
        scan = _Scan()
    for chunk in chunks:
        try:
            _scan_chunk(chunk, delimiter, limits, scan)
        except csv.Error as exc:
            where = _where((chunk, _refused_after(chunk, delimiter), 1))
            raise Unreadable(f"the CSV parser refused it at {where}") from exc
    return scan


def _scan_chunk(chunk: TextChunk, delimiter: str, limits: SamplingOptions, scan: _Scan) -> None:
    """Fold the rows of ``chunk`` into ``scan``, :data:`_BATCH` at a time.

    What :func:`_rows` tells of each row is learnt per batch instead: every row takes at
    least one line, so a row spans lines exactly when the batch takes more lines than it
    has rows; the line of the first ragged row is found by parsing the chunk again.

    :raises csv.Error: the csv module refused a line.
    """
    reader = csv.reader(_lines(chunk.text), delimiter=delimiter, strict=False)
    head = chunk.first_line is not None
    done = 0  # rows the reader gave, empty ones too
    if scan.first is None:
        for row in reader:
            done += 1
            if row:
                # Empty rows take one line each: more lines than rows is this one's.
                if head and reader.line_num > done:
                    scan.multiline = True
                _first_row(row, limits, scan)
                break
        if scan.first is None:
            return
    first = scan.first
    width = len(first)
    first_set = set(first)
    kept = scan.kept
    size = _batch_size(width)
    while True:
        before = reader.line_num
        raw = list(itertools.islice(reader, size))
        if not raw:
            return
        if head and reader.line_num - before > len(raw):
            scan.multiline = True
        rows = raw if all(raw) else list(filter(None, raw))
        n = len(rows)
        scan.total += n
        if scan.keep:
            if len(kept) + n <= scan.keep:
                kept.extend(rows)
            else:
                # More rows than are sampled: they will be parsed again, so free these now.
                kept.clear()
                scan.keep = 0
        if len(scan.early) < _SNIFF_ROWS:
            scan.early.extend(rows[: _SNIFF_ROWS - len(scan.early)])
        widths = list(map(len, rows))
        ragged = n - widths.count(width)
        if ragged:
            # Wider rows than the first: smaller batches from now on.
            size = min(size, _batch_size(max(widths)))
            scan.ragged += ragged
            if scan.first_ragged is None:
                odd = rows[next(i for i, w in enumerate(widths) if w != width)]
                at = done + next(i for i, r in enumerate(raw) if r is odd)
                start = _line_after(chunk, delimiter, at)
                scan.first_ragged = (len(odd), _where((chunk, start, 1)))
        # Only a field equal to the first row's in the same column counts. Without ragged
        # rows, one look down each column of the batch finds whether there is any (no
        # hashing of every field); only then are the rows looked at one by one.
        if ragged or any(map(operator.contains, zip(*rows, strict=True), first)):
            _repeats(first, first_set, rows, scan.repeated)
        done += len(raw)


def _batch_size(width: int) -> int:
    """Rows per batch for rows of ``width`` fields."""
    return max(1, min(_BATCH, _BATCH_FIELDS // max(1, width)))


def _repeats(first: list[str], first_set: set[str], rows: list[list[str]], out: set[int]) -> None:
    """Add to ``out`` the positions where a row other than ``first`` has ``first``'s field.

    ``first_set`` is ``set(first)``.
    """
    for row in itertools.filterfalse(first_set.isdisjoint, rows):
        if row != first:
            out.update(i for i, (a, b) in enumerate(zip(first, row, strict=False)) if a == b)


def _first_row(row: list[str], limits: SamplingOptions, scan: _Scan) -> None:
    """Take ``row`` as the first row of the text.

    :raises SampleTooLarge: it has more than ``limits.max_columns`` fields.
    """
    # Before anything looks at its fields: a million-column row would cost a million of
    # everything downstream.
    limits.check_columns(len(row))
    scan.total += 1
    scan.first = row
    # The header (maybe) and as many rows as are sampled of this width.
    scan.keep = limits.rows_for(len(row)) + 1
    scan.kept.append(row)


def _line_after(chunk: TextChunk, delimiter: str, count: int) -> int:
    """The lines of ``chunk`` its first ``count`` rows (empty ones too) take."""
    reader = csv.reader(_lines(chunk.text), delimiter=delimiter, strict=False)
    for _ in itertools.islice(reader, count):
        pass
    return reader.line_num


def _refused_after(chunk: TextChunk, delimiter: str) -> int:
    """The lines of ``chunk`` before the row the csv module refuses (as :func:`_rows` tells)."""
    reader = csv.reader(_lines(chunk.text), delimiter=delimiter, strict=False)
    lines = 0
    try:
        for _ in reader:
            lines = reader.line_num
    except csv.Error:
        pass
    return lines


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
        # No row after the head: the verdict on the head's rows is this one.
        known = resume.guess if scan.total == resume.scan.total else None
    else:
        delimiter, sniffed_width = sniff_delimiter(head.text, hint)
        scan = _scan(chunks[:1], delimiter, options)
        saved = scan.copy()
        scan = _scan(chunks[1:], delimiter, options, scan)
        known = None
        resume = Resume(
            head.text,
            head.first_line,
            head.offset,
            hint,
            options,
            delimiter,
            sniffed_width,
            saved,
        )
    if scan.first is None:
        return ParsedTable([], [], delimiter, False, resume=resume)
    first = scan.first
    guess = known if known is not None else judge_header(first, scan.early, scan.repeated)
    if resume.guess is None and scan.total == resume.scan.total:
        resume = replace(resume, guess=guess)
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
    if list(map(len, chosen)).count(width) == len(chosen):
        return list(chosen)  # nothing to pad or cut, the usual case
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
