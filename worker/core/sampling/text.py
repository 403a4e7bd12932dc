"""Sampling delimited text and JSON Lines, plain (ranged reads) or compressed (stream head)."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import zstandard

from models.samples import ColumnSample, SamplingInfo, TableSample
from worker.core.errors import (
    EmptyObject,
    MalformedJson,
    NestingTooDeep,
    NoDataRows,
    TruncatedCompression,
)
from worker.core.sampling.compression import decompress_head
from worker.core.sampling.delimited import ParsedTable, TextChunk, Unreadable, parse_delimited
from worker.core.sampling.detect import NameHint, binary_reason, unrecognised
from worker.core.sampling.encoding import BytePart, decode_parts
from worker.core.sampling.jsonlines import parse_json_lines
from worker.core.sampling.options import SamplingOptions
from worker.core.sampling.reader import ObjectReader
from worker.core.sampling.values import CellLimiter, infer_text_column, json_column

# A random range shorter than this rarely holds a whole line; the budget is better left unused.
_MIN_RANGE = 1024


@dataclass(slots=True)
class _Source:
    """The raw text parts read from the object and how they were read."""

    parts: list[BytePart]
    complete: bool
    ranges: list[tuple[int, int]]
    method: str
    consumed: int


def _complete_lines(data: bytes, at_end: bool) -> bytes:
    """Drop a partial last line unless the data ends where the object ends."""
    if at_end:
        return data
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut >= 0 else b""


def _read_ranges(
    reader: ObjectReader, head_len: int, options: SamplingOptions, rng: random.Random
) -> tuple[list[BytePart], list[tuple[int, int]]]:
    """Read ``options.text_ranges`` random ranges after the head, one per equal stratum.

    The ranges are read at once, up to ``options.max_concurrent_gets`` in flight.

    Each range starts mid-line, so everything up to its first line break is dropped, and so is
    the partial last line unless the range reaches the end of the object.
    """
    size = reader.size
    k = options.text_ranges
    left = options.byte_budget - head_len
    span = size - head_len
    if k <= 0 or span <= 0 or left < _MIN_RANGE * k:
        return [], []
    stratum = span // k
    length = min(left // k, stratum)
    if length < _MIN_RANGE:
        return [], []
    parts: list[BytePart] = []
    ranges: list[tuple[int, int]] = []
    # Where the ranges lie depends on the seed only: all are drawn, then read at once.
    starts = [head_len + i * stratum + rng.randrange(stratum - length + 1) for i in range(k)]
    reads = reader.read_all([(s, s + length) for s in starts], options.max_concurrent_gets)
    for start, data in zip(starts, reads, strict=True):
        ranges.append((start, start + len(data)))
        first = data.find(b"\n")
        if first < 0:
            continue
        body = _complete_lines(data[first + 1 :], start + len(data) >= size)
        if body:
            parts.append(BytePart(start + first + 1, body))
    return parts, ranges


def _read_source(
    reader: ObjectReader,
    head: bytes,
    codec: str | None,
    options: SamplingOptions,
    hint: NameHint,
) -> _Source:
    if codec is None:
        complete = len(head) >= reader.size
        body = _complete_lines(head, complete)
        if not body:
            raise unrecognised(hint, f"there is no line break in its first {len(head):,} bytes")
        return _Source([BytePart(0, body)], complete, [(0, len(head))], "text-ranges", len(head))
    try:
        out = decompress_head(reader, codec, head, options)
    except EOFError as exc:
        raise TruncatedCompression(
            f"truncated {codec} stream: it ends before its end marker ({type(exc).__name__})"
        ) from exc
    except (zlib.error, OSError, zstandard.ZstdError) as exc:
        raise unrecognised(
            hint, f"its {codec} stream is corrupt and cannot be decompressed"
        ) from exc
    if out.complete and not out.data:
        raise EmptyObject(f"the {codec} stream decompresses to 0 bytes")
    body = _complete_lines(out.data, out.complete)
    if not body:
        raise unrecognised(
            hint, f"there is no line break in its first {len(out.data):,} decompressed bytes"
        )
    return _Source(
        [BytePart(0, body)], out.complete, [(0, reader.bytes_read)], "stream-head", out.consumed
    )


def _chunks(texts: Sequence[str], parts: Sequence[BytePart]) -> list[TextChunk]:
    return [
        TextChunk(text, 1 if i == 0 else None, part.offset)
        for i, (text, part) in enumerate(zip(texts, parts, strict=True))
    ]


def _first_line(text: str) -> str:
    for line in text.split("\n", 64):
        if line.strip():
            return line.strip()
    return ""


@dataclass(slots=True)
class _Parsed:
    """Columns parsed from the sampled text, with what the row count estimate needs."""

    columns: list[ColumnSample]
    total: int
    format: str
    header_bytes: int
    details: dict[str, str | int | float | bool | None]


def sample_text(
    reader: ObjectReader,
    head: bytes,
    codec: str | None,
    options: SamplingOptions,
    seed: int,
    hint: NameHint,
) -> TableSample:
    """Sample delimited text or JSON Lines whose first bytes ``head`` were already fetched.

    :param codec: ``gzip``, ``zstd``, ``bz2`` for a compressed object, else ``None``.
    :raises FormatMismatch, UnsupportedFormat: binary or unrecognised content.
    :raises InvalidEncoding, RaggedRows, MalformedJson, NoDataRows, TruncatedCompression,
        DecompressionBomb, EmptyObject: see :mod:`worker.core.errors`.
    """
    rng = random.Random(seed)
    source = _read_source(reader, head, codec, options, hint)
    warnings: list[str] = []
    probe = _probe_head(source, codec, options, hint, warnings)
    if codec is None and not source.complete and not probe.multiline:
        parts, ranges = _read_ranges(reader, len(head), options, rng)
        source.parts.extend(parts)
        source.ranges.extend(ranges)
    _refuse_nul_bytes(source.parts, hint)
    if len(source.parts) == 1:
        # The head alone: decoding it again would give what the probe decoded.
        texts, encoding = [probe.head_text], probe.encoding
    else:
        texts, encoding = decode_parts(source.parts)
        if encoding == probe.encoding:
            # The first part decodes on its own with the chosen encoding, so it is the text
            # the probe decoded: sharing it lets the head's parse be resumed (and frees a copy).
            texts[0] = probe.head_text
    chunks = _chunks(texts, source.parts)
    limiter = CellLimiter(options.max_cell_bytes)
    if probe.is_json:
        parsed = _parse_json(chunks, options, rng, limiter, warnings)
    else:
        parsed = _parse_table(chunks, texts[0], options, rng, hint, limiter, warnings, probe.table)
    columns = parsed.columns
    rows_sampled = len(columns[0].values) if columns else 0
    row_count, estimated = _row_count(reader, source, codec, parsed)
    return TableSample(
        info=reader.info,
        format=parsed.format,
        compression=codec,
        columns=tuple(columns),
        rows_sampled=rows_sampled,
        row_count=row_count,
        row_count_estimated=estimated,
        bytes_read=reader.bytes_read,
        sampling=SamplingInfo(
            method="whole-object" if source.complete and codec is None else source.method,
            seed=seed,
            ranges=tuple(source.ranges),
            budget_exhausted=not source.complete and rows_sampled < options.rows_for(len(columns)),
            truncated_cells=limiter.truncated,
        ),
        details={"encoding": encoding, **parsed.details},
        warnings=tuple(warnings),
    )


@dataclass(slots=True)
class _Probe:
    """What the head part alone tells.

    :param head_text: the head part decoded on its own, with ``encoding``.
    :param table: the head parsed as delimited text, ``None`` for JSON Lines.
    """

    is_json: bool
    multiline: bool
    head_text: str
    encoding: str
    table: ParsedTable | None = None


def _probe_head(
    source: _Source,
    codec: str | None,
    options: SamplingOptions,
    hint: NameHint,
    warnings: list[str],
) -> _Probe:
    """Tell JSON Lines from delimited text by the head part alone.

    Appends a warning to ``warnings`` when quoted fields span lines and only the head of a
    plain object will be sampled.

    :returns: whether it is JSON Lines, whether quoted delimited fields span lines, and the
        decoded and parsed head.
    :raises FormatMismatch, UnsupportedFormat: binary, or text without a consistent delimiter.
    :raises MalformedJson: named ``.json`` but one JSON array, or its first line no object.
    :raises InvalidEncoding, RaggedRows, SampleTooLarge: see :func:`decode_parts` and
        :func:`parse_delimited`.
    """
    why = binary_reason(source.parts[0].data)
    if why:
        raise unrecognised(hint, why)
    head_texts, encoding = decode_parts(source.parts[:1])
    first = _first_line(head_texts[0])
    if first.startswith("[") and hint.format == "json":
        raise MalformedJson("malformed JSON Lines: the object is one JSON array, not JSON Lines")
    if first.startswith("{"):
        return _Probe(True, False, head_texts[0], encoding)
    try:
        probe = parse_delimited(
            _chunks(head_texts, source.parts[:1]),
            "\t" if hint.format == "tsv" else None,
            options,
        )
    except Unreadable as exc:
        raise unrecognised(hint, exc.reason) from exc
    if len(probe.names) < 2 and hint.format is None:
        raise unrecognised(hint, "it is text without a consistent delimiter")
    if len(probe.names) < 2 and hint.format == "json":
        raise MalformedJson("malformed JSON Lines: the first line is not a JSON object")
    multiline = probe.multiline_fields
    if multiline and not source.complete and codec is None:
        # A range could start inside a quoted multi-line field and misparse; the head
        # alone is a safe sample.
        warnings.append("quoted fields span lines: only the head of the object was sampled")
    return _Probe(False, multiline, head_texts[0], encoding, probe)


def _refuse_nul_bytes(parts: Sequence[BytePart], hint: NameHint) -> None:
    """Refuse text holding a NUL byte in any part.

    :raises FormatMismatch, UnsupportedFormat: a part contains a NUL byte.
    """
    for part in parts:
        # The head was checked for binary content; NUL bytes further on are binary too.
        nul = part.data.find(b"\x00")
        if nul >= 0:
            raise unrecognised(hint, f"it contains NUL bytes (first at byte {part.offset + nul:,})")


def _parse_json(
    chunks: Sequence[TextChunk],
    options: SamplingOptions,
    rng: random.Random,
    limiter: CellLimiter,
    warnings: list[str],
) -> _Parsed:
    """Parse JSON Lines into one column per key.

    Appends to ``warnings`` when the column count cuts the row target.

    :raises MalformedJson, NestingTooDeep, SampleTooLarge: see :func:`parse_json_lines`.
    :raises NoDataRows: there is no object.
    """
    parsed = parse_json_lines(chunks, options, rng)
    fewer = options.fewer_rows_warning(len(parsed.names))
    if fewer:
        warnings.append(fewer)
    if not parsed.records:
        raise NoDataRows("JSON Lines without any object")
    columns = []
    for name in parsed.names:
        try:
            kind, values = json_column([r.get(name) for r in parsed.records])
        except RecursionError as exc:  # the depth check makes this unreachable
            raise NestingTooDeep(
                "JSON nested too deeply to be sampled (a value could not be rendered)"
            ) from exc
        columns.append(ColumnSample(name, kind, limiter.limit_all(values)))
    return _Parsed(columns, parsed.total, "jsonl", 0, {})


def _parse_table(
    chunks: Sequence[TextChunk],
    head_text: str,
    options: SamplingOptions,
    rng: random.Random,
    hint: NameHint,
    limiter: CellLimiter,
    warnings: list[str],
    probe: ParsedTable | None = None,
) -> _Parsed:
    """Parse delimited text into typed columns; ``head_text`` is the decoded head part.

    Appends the parser's warnings to ``warnings``. ``probe`` is the head's parse by
    :func:`_probe_head`, whose work is reused when its head text is ``chunks[0]``'s.

    :raises FormatMismatch, UnsupportedFormat: the text cannot be parsed as delimited.
    :raises RaggedRows, SampleTooLarge: see :func:`parse_delimited`.
    :raises NoDataRows: there is no data row.
    """
    try:
        table = parse_delimited(
            chunks,
            "\t" if hint.format == "tsv" else None,
            options,
            rng,
            None if probe is None else probe.resume,
        )
    except Unreadable as exc:
        raise unrecognised(hint, exc.reason) from exc
    warnings.extend(table.warnings)
    if not table.rows:
        raise NoDataRows(
            f"no data rows: a header of {len(table.names):,} columns and nothing else"
            if table.header
            else "no data rows"
        )
    columns, decimal_comma = _typed_columns(table.names, table.rows, table.delimiter, limiter)
    details: dict[str, str | int | float | bool | None] = {
        "delimiter": table.delimiter,
        "header": table.header,
        "decimal_comma": decimal_comma,
    }
    if not table.header:
        # The names are column_1 ...; the first row is data (see the warning).
        details["header_synthesised"] = True
    header_bytes = _first_line_bytes(head_text) if table.header else 0
    return _Parsed(columns, table.total, "csv", header_bytes, details)


def _row_count(
    reader: ObjectReader, source: _Source, codec: str | None, parsed: _Parsed
) -> tuple[int, bool]:
    """The object's row count, exact when it was read whole, else estimated.

    A compressed stream is scaled by the compressed bytes its head consumed; plain text by
    the data bytes (header excluded) of the parts read.
    """
    if source.complete:
        return parsed.total, False
    if codec is not None:
        return round(parsed.total * reader.size / max(1, source.consumed)), True
    line_bytes = sum(len(p.data) for p in source.parts) - parsed.header_bytes
    return round((reader.size - parsed.header_bytes) * parsed.total / max(1, line_bytes)), True


def _first_line_bytes(text: str) -> int:
    """UTF-8 bytes of the first line and its line break."""
    cut = text.find("\n")
    line = text if cut < 0 else text[:cut]
    return len(line.encode("utf-8", "surrogateescape")) + 1


def _typed_columns(
    names: Sequence[str], rows: Sequence[Sequence[str]], delimiter: str, limiter: CellLimiter
) -> tuple[list[ColumnSample], bool]:
    columns: list[ColumnSample] = []
    any_comma = False
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    for name, raw in zip(names, by_column, strict=True):
        # Only a string column holds text the limiter could cut: the others hold what the
        # converters return (bool, int, float, date, datetime) or None, which it never cuts.
        kind, values, comma = infer_text_column(raw, delimiter != ",")
        cells = limiter.limit_all(values) if kind == "string" else tuple(values)
        any_comma = any_comma or comma
        columns.append(ColumnSample(name, kind, cells))
    return columns, any_comma
