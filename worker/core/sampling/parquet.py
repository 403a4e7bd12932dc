"""Sampling Parquet: one footer read, then whole row groups or column-chunk heads in budget.

All reads go through a :class:`~worker.core.sampling.sparse.RangeCache`; pyarrow decodes from a
:class:`~worker.core.sampling.sparse.SparseFile`, so it can never fetch bytes on its own and the
byte budget is enforced here, in one place.

Memory is bounded the same way, whatever the file claims:

* the footer is capped (``max_footer_bytes``) before it is fetched;
* string and binary columns are read dictionary-encoded, so a dictionary page of one long
  value repeated a million times stays one value; only the sampled rows are decoded;
* row groups are read in record batches, and only the sampled rows of each batch are kept;
* before pyarrow decodes anything, the page headers in the fetched bytes are read
  (:mod:`worker.core.sampling.pages`): a row group is decoded whole only when its pages are
  within ``max_row_group_bytes`` and ``max_page_bytes``, a column head only when the pages
  its first rows are in are within ``max_page_bytes``.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from models.samples import CellValue, ColumnSample, SamplingInfo, TableSample
from worker.core.errors import (
    CorruptParquetData,
    CorruptParquetFooter,
    NestingTooDeep,
    SampleTooLarge,
    TruncatedParquet,
    UnsupportedFormat,
)
from worker.core.sampling.detect import PARQUET_MAGIC
from worker.core.sampling.options import MIB, SamplingOptions
from worker.core.sampling.pages import (
    DICTIONARY_PAGE,
    Footer,
    FooterCorrupt,
    HeaderCorrupt,
    PageInfo,
    TooManyChunks,
    read_footer,
    walk_pages,
)
from worker.core.sampling.reader import ObjectReader
from worker.core.sampling.sparse import RangeCache, RangeMissing, SparseFile, coalesce
from worker.core.sampling.values import (
    CellLimiter,
    arrow_column_values,
    arrow_type_name,
    shrink_cells,
)

FOOTER_READ = 64 * 1024
_BUFFER = 64 * 1024
# Fetching a gap this small costs less than one more request.
_MAX_GAP = 32 * 1024
# pyarrow peeks this much at a page start to parse the page header.
_PEEK = 16 * 1024
_HEAD_ROUNDS = 4
# What the first pages of a column chunk usually take: a dictionary page and a data page of
# pyarrow's default 1 MiB, compressed. Asking for this up front saves a request per column.
_FIRST_PAGES = 2 * 1024 * 1024
_HEAD_BATCH = 64
_RETRIES = 8
# Whole row groups are read in batches of about this many decoded bytes (by the page headers'
# average), so one batch of a wide or long-celled row group stays small.
_BATCH_BYTES = 4 * MIB
_MIN_BATCH, _MAX_BATCH = 64, 64 * 1024
# Schemas nested deeper than this are refused when the footer is decoded.
_SCHEMA_DEPTH = 64
# Leaf columns read together when a row group is decoded whole.
_GROUP_LEAVES = 1000

T = TypeVar("T")


@dataclass(slots=True)
class _Budget:
    """Bytes left for data reads; the footer is not charged.

    Reads are planned first and made after, up to ``concurrency`` at once (see
    :meth:`RangeCache.fetch_all`); the plan is what reading one range after another, checking
    the budget before each, would read.
    """

    reader: ObjectReader
    cache: RangeCache
    limit: int
    footer: int = 0
    concurrency: int = 1

    @property
    def spent(self) -> int:
        return self.reader.bytes_read - self.footer

    @property
    def left(self) -> int:
        return self.limit - self.spent

    def cost(self, start: int, end: int) -> int:
        return sum(e - s for s, e in self.cache.missing(start, end))

    def fetch(self, start: int, end: int) -> None:
        """Fetch what is missing of ``[start, end)`` (its gaps at once), whatever it costs."""
        self.cache.fetch_all(self.reader, self.cache.missing(start, end), self.concurrency)

    def fetch_affordable(self, ranges: list[tuple[int, int]]) -> bool:
        """Fetch, of disjoint ``ranges`` taken in order, each the budget still pays for.

        A range is taken when its cost is within what the budget has left after the ranges
        taken before it, as when each is checked and fetched in turn: the ranges being
        disjoint, fetching one never changes another's cost, and a read returns exactly the
        bytes it costs (a short read is an error of the store).

        :returns: whether any range was within the budget (an already fetched one counts).
        """
        left = self.left
        gaps: list[tuple[int, int]] = []
        taken = False
        for start, end in ranges:
            missing = self.cache.missing(start, end)
            cost = sum(e - s for s, e in missing)
            if cost <= left:
                gaps.extend(missing)
                left -= cost
                taken = True
        self.cache.fetch_all(self.reader, gaps, self.concurrency)
        return taken


@dataclass(slots=True)
class _Collected:
    columns: dict[str, list[CellValue]] = field(default_factory=dict)
    rows: int = 0


class _OverBudget(Exception):  # noqa: N818 - an internal signal
    """A decode needs bytes that the remaining budget cannot pay for."""


class _TooLarge(Exception):  # noqa: N818 - an internal signal
    """Decoding a row group whole would need more memory than the limits allow."""


def _read_footer(
    reader: ObjectReader, cache: RangeCache, options: SamplingOptions
) -> tuple[pq.ParquetFile, Footer, int, int]:
    """Fetch and decode the footer.

    :returns: the file, the row-group and column-chunk metadata read without pyarrow (see
        :class:`~worker.core.sampling.pages.Footer`), the footer bytes fetched, the data end.

    :raises SampleTooLarge: the footer declares more than ``max_footer_bytes`` (nothing past
        the first tail read is fetched then), or more than ``max_column_chunks`` column chunks
        (it is not decoded then).
    """
    max_footer = options.max_footer_bytes
    size = reader.size
    fetched = cache.fetch(reader, max(0, size - FOOTER_READ), size)
    tail = cache.get(max(0, size - 8), size) or b""
    if size < 12 or tail[-4:] != PARQUET_MAGIC:
        if tail[-4:] == b"PARE":
            raise UnsupportedFormat("encrypted Parquet (PARE footer) is not supported")
        raise TruncatedParquet(
            f"truncated Parquet: the {size:,}-byte object starts with PAR1 but does not end "
            "with it, so its footer is missing (the upload was probably cut short)"
        )
    footer_len = int.from_bytes(tail[:4], "little")
    if footer_len <= 0 or footer_len > size - 12:
        raise CorruptParquetFooter(
            f"corrupt Parquet footer: its recorded length of {footer_len:,} bytes is impossible "
            f"for a {size:,}-byte object"
        )
    if footer_len > max_footer:
        raise SampleTooLarge(
            f"Parquet footer too large: it declares {footer_len:,} bytes of metadata, above "
            f"the limit of {max_footer:,} bytes (sampling.max_footer_mib)"
        )
    footer_start = size - 8 - footer_len
    fetched += cache.fetch_all(
        reader, cache.missing(footer_start, size), options.max_concurrent_gets
    )
    try:
        footer = read_footer(cache.available(footer_start, size - 8), options.max_column_chunks)
    except TooManyChunks as many:
        leaves, groups = many.leaves, many.row_groups
        raise SampleTooLarge(
            f"Parquet footer too large: it describes {leaves * groups:,} column chunks "
            f"({groups:,} row groups of {leaves:,} columns), above the limit of "
            f"{options.max_column_chunks:,} (sampling.max_column_chunks)"
        ) from None
    except FooterCorrupt as exc:
        raise CorruptParquetFooter(f"corrupt Parquet footer: {exc.reason}") from exc
    try:
        parquet = _open(cache)
    except RangeMissing as exc:
        raise CorruptParquetFooter(
            f"corrupt Parquet footer: decoding it needed bytes {exc.start:,}-{exc.end:,}, "
            f"outside the {footer_len:,}-byte footer"
        ) from exc
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CorruptParquetFooter(
            f"corrupt Parquet footer: the {footer_len:,}-byte metadata cannot be decoded "
            f"({type(exc).__name__})"
        ) from exc
    return parquet, footer, fetched, footer_start


def _open(
    cache: RangeCache,
    metadata: pq.FileMetaData | None = None,
    read_dictionary: list[str] | None = None,
) -> pq.ParquetFile:
    return pq.ParquetFile(
        SparseFile(cache),
        metadata=metadata,
        read_dictionary=read_dictionary,
        pre_buffer=False,
        buffer_size=_BUFFER,
        schema_depth_limit=_SCHEMA_DEPTH,
    )


def _schema(parquet: pq.ParquetFile) -> pa.Schema:
    """The Arrow schema (built anew by pyarrow on every access: call once).

    :raises CorruptParquetFooter: it cannot be built (e.g. names that are not UTF-8).
    """
    try:
        return parquet.schema_arrow
    except (pa.ArrowException, ValueError, OSError) as exc:
        raise CorruptParquetFooter(
            f"corrupt Parquet footer: its schema cannot be read ({type(exc).__name__})"
        ) from exc


def _created_by(meta: pq.FileMetaData) -> str | None:
    try:
        created: str | None = meta.created_by
    except ValueError:  # not UTF-8
        return None
    return created


def _bytes_like(dtype: pa.DataType) -> bool:
    t = pa.types
    return bool(
        t.is_string(dtype)
        or t.is_large_string(dtype)
        or t.is_binary(dtype)
        or t.is_large_binary(dtype)
    )


def _with_dictionaries(
    parquet: pq.ParquetFile, cache: RangeCache, schema: pa.Schema
) -> pq.ParquetFile:
    """The same file with its string and binary columns read as dictionaries.

    A dictionary-encoded column then stays indices into its dictionary page until the sampled
    rows are picked; only those are decoded.
    """
    names = [f.name for f in schema if _bytes_like(f.type)]
    if not names:
        return parquet
    try:
        return _open(cache, parquet.metadata, names)
    except (pa.ArrowException, OSError, ValueError, RangeMissing) as exc:
        raise CorruptParquetFooter(
            f"corrupt Parquet footer: its schema cannot be read ({type(exc).__name__})"
        ) from exc


def _leaf_count(dtype: pa.DataType) -> int:
    t = pa.types
    if t.is_struct(dtype):
        return sum(_leaf_count(dtype.field(i).type) for i in range(dtype.num_fields))
    if t.is_map(dtype):
        return _leaf_count(dtype.key_type) + _leaf_count(dtype.item_type)
    if t.is_list(dtype) or t.is_large_list(dtype) or t.is_fixed_size_list(dtype):
        return _leaf_count(dtype.value_type)
    return 1


def _field_leaves(schema: pa.Schema, total: int) -> dict[str, list[int]]:
    """The leaf columns (column chunks) each top-level field is stored in, in file order.

    When the Arrow schema does not account for every leaf, every field is given every leaf,
    so the page checks stay on the safe side.
    """
    spans: dict[str, list[int]] = {}
    pos = 0
    for f in schema:
        n = _leaf_count(f.type)
        spans[f.name] = list(range(pos, pos + n))
        pos += n
    if pos != total:
        return {name: list(range(total)) for name in spans}
    return spans


def _chunk_ranges(footer: Footer, rg: int, data_end: int) -> list[tuple[int, int]]:
    """Byte range of every column chunk of row group ``rg`` (leaf columns, file order)."""
    ranges: list[tuple[int, int]] = []
    for i, col in enumerate(footer.row_groups[rg].chunks):
        start = col.data_page_offset
        dict_offset = col.dictionary_page_offset
        # Some writers store 0 instead of "no dictionary page"; 0 is the magic, never a page.
        if dict_offset is not None and dict_offset > 0:
            start = min(start, dict_offset)
        end = start + col.total_compressed
        if start < 4 or end > data_end or end < start:
            raise CorruptParquetFooter(
                f"corrupt Parquet footer: column chunk {i:,} of row group {rg:,} points to "
                f"bytes {start:,}-{end:,}, outside the data section (4-{data_end:,})"
            )
        ranges.append((start, end))
    return ranges


def _pages(cache: RangeCache, rg: int, leaf: int, start: int, end: int) -> list[PageInfo]:
    """The pages of a column chunk whose headers were fetched.

    :raises CorruptParquetData: a header cannot be decoded.
    """
    try:
        return list(walk_pages(cache.available(start, end), start, end))
    except HeaderCorrupt as exc:
        raise CorruptParquetData(
            f"corrupt Parquet data: a page header in column chunk {leaf:,} of row group "
            f"{rg:,} cannot be decoded"
        ) from exc


def _whole_size(
    cache: RangeCache, rg: int, ranges: list[tuple[int, int]], options: SamplingOptions
) -> int:
    """The uncompressed bytes of a fetched row group, by its page headers.

    :raises _TooLarge: beyond ``max_row_group_bytes``, or a column holds a dictionary and a
        data page beyond ``max_page_bytes`` at once.
    """
    total = 0
    for leaf, (start, end) in enumerate(ranges):
        dictionary = largest = 0
        for page in _pages(cache, rg, leaf, start, end):
            total += page.uncompressed
            if page.page_type == DICTIONARY_PAGE:
                dictionary += page.uncompressed
            else:
                largest = max(largest, page.uncompressed)
        if dictionary + largest > options.max_page_bytes:
            raise _TooLarge
    if total > options.max_row_group_bytes:
        raise _TooLarge
    return total


def _head_size(
    cache: RangeCache,
    footer: Footer,
    rg: int,
    leaves: list[int],
    ranges: list[tuple[int, int]],
    want: int,
) -> int:
    """Uncompressed bytes of the fetched pages a head decode of ``want`` rows may reach.

    Per leaf: its dictionary pages, the data pages up to the one holding row ``want`` and the
    next one. Rows per page are known for flat columns (values are rows) and v2 pages; for
    other nested columns every fetched page counts.
    """
    total = 0
    for leaf in leaves:
        start, end = ranges[leaf]
        flat = footer.leaves[leaf].max_rep == 0
        rows = 0
        extra = False
        for page in _pages(cache, rg, leaf, start, end):
            total += page.uncompressed
            if page.page_type == DICTIONARY_PAGE:
                continue
            if extra:
                break
            if page.num_rows is not None:
                rows += page.num_rows
            elif flat:
                rows += page.num_values
            else:
                continue
            extra = rows >= want
    return total


def _decode(budget: _Budget, action: Callable[[], T]) -> T:
    """Run a pyarrow decode, fetching what it misses while the budget allows.

    :raises _OverBudget: it needs more than the budget has left.
    :raises CorruptParquetData: pyarrow cannot decode the pages.
    """
    for _ in range(_RETRIES):
        try:
            return action()
        except RangeMissing as miss:
            if budget.cost(miss.start, miss.end) > budget.left:
                raise _OverBudget from miss
            budget.fetch(miss.start, miss.end)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CorruptParquetData(
                f"corrupt Parquet data: pages of the sampled row group cannot be decoded "
                f"({type(exc).__name__})"
            ) from exc
    raise _OverBudget


def _shrink(batch: pa.RecordBatch, max_cell_bytes: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [shrink_cells(c, max_cell_bytes) for c in batch.columns], names=batch.schema.names
    )


def _column_cells(
    column: pa.Array | pa.ChunkedArray, index: int, limiter: CellLimiter
) -> list[CellValue]:
    """Python cells of one sampled column (already shrunk).

    :raises CorruptParquetData: its values cannot be converted, not even to text.
    :raises NestingTooDeep: a nested value is too deep to render.
    """
    try:
        return list(limiter.limit_all(arrow_column_values(column)))
    except RecursionError as exc:
        raise NestingTooDeep(
            f"nested values of column {index + 1:,} are nested too deeply to be sampled"
        ) from exc
    except (pa.ArrowException, ValueError, OverflowError) as exc:
        raise CorruptParquetData(
            f"corrupt Parquet data: the values of column {index + 1:,} cannot be converted "
            f"({type(exc).__name__})"
        ) from exc


def _batch_cells(
    names: list[str], batches: list[pa.RecordBatch], limiter: CellLimiter, first: int = 0
) -> dict[str, list[CellValue]]:
    """Python cells of the columns ``names`` (the ``first``-th column of the file on)."""
    cells: dict[str, list[CellValue]] = {n: [] for n in names}
    for batch in batches:
        for i, name in enumerate(names):
            cells[name].extend(_column_cells(batch.column(i), first + i, limiter))
    return cells


def _column_groups(names: list[str], leaves: dict[str, list[int]]) -> list[list[str]]:
    """Top-level fields in file order, grouped by about :data:`_GROUP_LEAVES` leaf columns.

    pyarrow keeps a reader of ~10 KiB per leaf column while it iterates a row group (200 MiB
    for 20,000 columns); a group at a time keeps that to ~10 MiB.
    """
    groups: list[list[str]] = []
    current: list[str] = []
    count = 0
    for name in names:
        n = len(leaves[name])
        if current and count + n > _GROUP_LEAVES:
            groups.append(current)
            current, count = [], 0
        current.append(name)
        count += n
    if current:
        groups.append(current)
    return groups


def _sample_row_group(
    parquet: pq.ParquetFile,
    footer: Footer,
    rg: int,
    want: int,
    rng: random.Random,
    budget: _Budget,
    ranges: list[tuple[int, int]],
    options: SamplingOptions,
    groups: list[list[str]],
) -> list[tuple[list[str], list[pa.RecordBatch]]]:
    """Decode a fetched row group batch by batch, keeping ``want`` seeded random rows.

    Columns are read a group at a time (see :func:`_column_groups`), each group's batches
    reduced to the picked rows as they come.

    :returns: per column group, its names and the picked rows' batches.
    :raises _TooLarge: its pages are beyond the limits (nothing was decoded).
    """
    total = _whole_size(budget.cache, rg, ranges, options)
    rows = footer.row_groups[rg].num_rows
    batch_rows = max(_MIN_BATCH, min(_MAX_BATCH, rows * _BATCH_BYTES // max(1, total)))
    picks = sorted(rng.sample(range(rows), want)) if rows > want else None

    def run(columns: list[str]) -> list[pa.RecordBatch]:
        kept: list[pa.RecordBatch] = []
        offset = next_pick = 0
        batches = parquet.iter_batches(
            batch_size=batch_rows, row_groups=[rg], columns=columns, use_threads=False
        )
        for batch in batches:
            chosen: pa.RecordBatch | None = batch
            if picks is not None:
                upto = bisect.bisect_left(picks, offset + batch.num_rows, lo=next_pick)
                index = pa.array([p - offset for p in picks[next_pick:upto]], type=pa.int64())
                chosen = batch.take(index) if upto > next_pick else None
                next_pick = upto
            offset += batch.num_rows
            if chosen is not None and chosen.num_rows:
                kept.append(_shrink(chosen, options.max_cell_bytes))
            if picks is not None and next_pick >= len(picks):
                break
        return kept

    return [(group, _decode(budget, lambda g=group: run(g))) for group in groups]  # type: ignore[misc]


def _head_shares(ranges: list[tuple[int, int]], budget: int) -> list[int]:
    """Split ``budget`` over column chunks.

    Normally every chunk gets an equal share (chunks smaller than it give the rest back). When
    the equal share is below what pyarrow reads to parse a first page header, the columns are
    funded in file order instead, so some columns decode rather than none.
    """
    sizes = [e - s for s, e in ranges]
    shares = _water_fill(sizes, budget)
    floors = [min(size, _PEEK) for size in sizes]
    if all(share >= floor for share, floor in zip(shares, floors, strict=True)):
        return shares
    shares = [0] * len(sizes)
    left = budget
    funded: list[int] = []
    for i, floor in enumerate(floors):
        if floor <= left:
            shares[i] = floor
            left -= floor
            funded.append(i)
    extra = _water_fill([sizes[i] - floors[i] for i in funded], left)
    for i, more in zip(funded, extra, strict=True):
        shares[i] += more
    return shares


def _water_fill(sizes: list[int], budget: int) -> list[int]:
    """Equal shares of ``budget``, capped at each size, with the unused rest shared again."""
    shares = [0] * len(sizes)
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    left = budget
    for k, i in enumerate(order):
        share = left // (len(order) - k)
        if sizes[i] > share:
            for j in order[k:]:
                shares[j] = share
            break
        shares[i] = sizes[i]
        left -= sizes[i]
    return shares


def _decode_column_head(
    parquet: pq.ParquetFile,
    rg: int,
    name: str,
    dtype: pa.DataType,
    want: int,
    max_cell_bytes: int,
) -> Callable[[], pa.ChunkedArray]:
    def run() -> pa.ChunkedArray:
        chunks: list[pa.Array] = []
        rows = 0
        batch_iter = parquet.iter_batches(
            batch_size=min(_HEAD_BATCH, want), row_groups=[rg], columns=[name], use_threads=False
        )
        try:
            for batch in batch_iter:
                chunks.append(shrink_cells(batch.column(0), max_cell_bytes))
                rows += batch.num_rows
                if rows >= want:
                    break
        except RangeMissing:
            # The first rows decoded are kept; the miss only matters when there are none.
            if not chunks:
                raise
        if not chunks:
            return pa.chunked_array([], type=dtype)
        return pa.chunked_array(chunks)

    return run


def _sample_column_heads(
    parquet: pq.ParquetFile,
    footer: Footer,
    rg: int,
    want: int,
    budget: _Budget,
    data_end: int,
    limiter: CellLimiter,
    options: SamplingOptions,
) -> tuple[dict[str, list[CellValue]], list[str]]:
    """Decode the first rows of each column from the heads of its column chunks.

    Each leaf column gets a share of the budget; adjacent heads are fetched together. A column
    whose first pages are larger than its share gets more in later rounds while budget lasts.
    A column whose first pages decompress to more than ``max_page_bytes`` is not decoded.

    :raises SampleTooLarge: no column could be decoded, and some were too large.
    """
    ranges = _chunk_ranges(footer, rg, data_end)
    _fetch_heads(footer, rg, want, budget, ranges)
    schema = _schema(parquet)
    decoded, too_large = _decode_heads(parquet, footer, rg, want, budget, ranges, schema, options)
    return _head_cells(schema.names, decoded, too_large, want, limiter, options)


def _fetch_heads(
    footer: Footer, rg: int, want: int, budget: _Budget, ranges: list[tuple[int, int]]
) -> None:
    """Fetch the head of every column chunk of row group ``rg``, in shares of the budget.

    Adjacent heads are fetched together, gaps included while the budget allows; the heads
    apart are fetched at once (``max_concurrent_gets`` in flight), so a row group whose
    column heads lie apart costs one round trip of latency rather than one per head.
    """
    rg_rows = max(1, footer.row_groups[rg].num_rows)
    # Reading little: each head only needs about its share of ``want`` rows, plus slack for
    # page granularity; a column that needs more asks for it in a later round.
    needed = [(s, min(e, s + max((e - s) * want * 2 // rg_rows, _FIRST_PAGES))) for s, e in ranges]
    shares = _head_shares(needed, max(0, budget.left))
    heads = [(s, s + share) for (s, _), share in zip(ranges, shares, strict=True) if share > 0]
    budget.fetch_affordable(coalesce(heads, min(_MAX_GAP, max(0, budget.left - sum(shares)))))


def _decode_heads(
    parquet: pq.ParquetFile,
    footer: Footer,
    rg: int,
    want: int,
    budget: _Budget,
    ranges: list[tuple[int, int]],
    schema: pa.Schema,
    options: SamplingOptions,
) -> tuple[dict[str, pa.ChunkedArray], set[str]]:
    """Decode the first ``want`` rows of each column, fetching what they miss in rounds.

    :returns: the decoded columns, and the names of those whose first pages are beyond
        ``max_page_bytes`` (not decoded).
    :raises CorruptParquetData: pyarrow cannot decode the first pages.
    """
    names = schema.names
    types = dict(zip(names, schema.types, strict=True))
    leaves = _field_leaves(schema, len(footer.leaves))
    decoded: dict[str, pa.ChunkedArray] = {}
    too_large: set[str] = set()
    pending = list(names)
    for _ in range(_HEAD_ROUNDS):
        misses: list[tuple[int, int]] = []
        still: list[str] = []
        for name in pending:
            if _head_size(budget.cache, footer, rg, leaves[name], ranges, want) > (
                options.max_page_bytes
            ):
                too_large.add(name)
                continue
            try:
                decoded[name] = _decode_column_head(
                    parquet, rg, name, types[name], want, options.max_cell_bytes
                )()
            except RangeMissing as miss:
                misses.append((miss.start, miss.end))
                still.append(name)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise CorruptParquetData(
                    f"corrupt Parquet data: the first pages of row group {rg:,} cannot be "
                    f"decoded ({type(exc).__name__})"
                ) from exc
        pending = still
        if not pending:
            break
        # Fetch what the stuck columns asked for, cheapest first, as far as the budget goes.
        if not budget.fetch_affordable(
            sorted(coalesce(misses, _MAX_GAP), key=lambda r: r[1] - r[0])
        ):
            break
    return decoded, too_large


def _head_cells(
    names: list[str],
    decoded: dict[str, pa.ChunkedArray],
    too_large: set[str],
    want: int,
    limiter: CellLimiter,
    options: SamplingOptions,
) -> tuple[dict[str, list[CellValue]], list[str]]:
    """Cells of the decoded column heads, cut to the rows every decoded column has.

    Columns not decoded get nulls, and a warning says why.

    :raises SampleTooLarge: no column could be decoded, and some were too large.
    :raises CorruptParquetData, NestingTooDeep: see :func:`_column_cells`.
    """
    counts = [decoded[n].length() for n in decoded if decoded[n].length() > 0]
    if too_large and not counts:
        raise SampleTooLarge(
            f"sample too large: the first pages of {len(too_large):,} of {len(names):,} "
            f"columns decompress to more than {options.max_page_bytes:,} bytes "
            "(sampling.max_page_mib), and no other column could be sampled"
        )
    rows = min([want, *counts]) if counts else 0
    cells: dict[str, list[CellValue]] = {}
    warnings: list[str] = []
    empty = [
        n for n in names if n not in too_large and (n not in decoded or decoded[n].length() == 0)
    ]
    for i, name in enumerate(names):
        if name in decoded and decoded[name].length() > 0:
            cells[name] = _column_cells(decoded[name].slice(0, rows), i, limiter)
        else:
            cells[name] = [None] * rows
    if empty and rows:
        warnings.append(
            f"{len(empty):,} of {len(names):,} columns could not be sampled within the byte "
            "budget (their first pages are larger than their share); their values are shown "
            "as null"
        )
    if too_large and rows:
        warnings.append(
            f"{len(too_large):,} of {len(names):,} columns were not sampled: the pages of "
            f"their first rows decompress to more than {options.max_page_bytes:,} bytes "
            "(sampling.max_page_mib); their values are shown as null"
        )
    return cells, warnings


_CODECS = {
    0: None,
    1: "snappy",
    2: "gzip",
    3: "lzo",
    4: "brotli",
    5: "lz4",
    6: "zstd",
    7: "lz4_raw",
}


def _compression(footer: Footer) -> str | None:
    codecs: Counter[int] = Counter()
    for group in footer.row_groups[:4]:
        codecs.update(c.codec for c in group.chunks)
    if not codecs:
        return None
    codec = codecs.most_common(1)[0][0]
    return _CODECS.get(codec, f"codec-{codec}")


def _declared_size(footer: Footer, rg: int) -> int:
    return sum(c.total_uncompressed for c in footer.row_groups[rg].chunks)


@dataclass(slots=True)
class _WholeGroups:
    """The outcome of decoding whole row groups: which were used, and why others were not."""

    used: list[int] = field(default_factory=list)
    exhausted: bool = False
    too_large: int = 0


def sample_parquet(
    reader: ObjectReader,
    cache: RangeCache,
    options: SamplingOptions,
    seed: int,
    tail_bytes: int = 0,
) -> TableSample:
    """Sample a Parquet object: footer first, then row groups in a seeded random order.

    A row group is decoded whole (in batches, keeping seeded random rows) when it fits the
    byte budget and the memory limits; when none does, the first rows of one are decoded from
    the heads of its column chunks.

    :param tail_bytes: bytes of the footer read the caller already fetched (not charged to
        the budget).

    :raises TruncatedParquet: the object does not end with ``PAR1``.
    :raises CorruptParquetFooter: the footer length is impossible or the metadata undecodable.
    :raises CorruptParquetData: the sampled pages cannot be decoded.
    :raises SampleTooLarge: the footer, or every column's first pages, exceed the limits.
    :raises NestingTooDeep: nested values too deep to render.
    """
    parquet, footer, footer_bytes, data_end = _read_footer(reader, cache, options)
    footer_bytes += tail_bytes
    # pyarrow builds schema_arrow anew on every access (milliseconds for thousands of
    # columns): read it once.
    schema = _schema(parquet)
    options.check_columns(len(schema))
    want = options.rows_for(len(schema))
    parquet = _with_dictionaries(parquet, cache, schema)
    schema = _schema(parquet)
    meta = parquet.metadata
    budget = _Budget(reader, cache, options.byte_budget, footer_bytes, options.max_concurrent_gets)
    rng = random.Random(seed)
    order = [rg for rg, group in enumerate(footer.row_groups) if group.num_rows > 0]
    rng.shuffle(order)
    limiter = CellLimiter(options.max_cell_bytes)
    names = schema.names
    collected = _Collected({n: [] for n in names})
    whole = _sample_whole_row_groups(
        parquet, footer, schema, order, want, rng, budget, data_end, limiter, options, collected
    )
    warnings: list[str] = []
    method = "parquet-row-groups"
    if not whole.used and order:
        # Not one row group fits: decode the first rows of one from its column-chunk heads.
        rg = order[0]
        method = "parquet-column-heads"
        cells, warnings = _sample_column_heads(
            parquet, footer, rg, want, budget, data_end, limiter, options
        )
        _append(collected, cells)
        whole.used.append(rg)
    warnings.extend(_closing_warnings(options, len(names), whole.too_large, collected, order))
    return TableSample(
        info=reader.info,
        format="parquet",
        compression=_compression(footer),
        columns=_columns(schema, collected),
        rows_sampled=collected.rows,
        row_count=footer.num_rows,
        row_count_estimated=False,
        bytes_read=reader.bytes_read,
        sampling=SamplingInfo(
            method=method,
            seed=seed,
            row_groups=tuple(whole.used),
            # Column heads are the fallback when no row group fits the budget (or the
            # limits, which the warnings say).
            budget_exhausted=whole.exhausted
            and (method == "parquet-column-heads" or collected.rows < min(want, footer.num_rows)),
            truncated_cells=limiter.truncated,
        ),
        details={
            "row_groups_total": len(footer.row_groups),
            "columns_total": len(footer.leaves),
            "created_by": _created_by(meta),
            "footer_bytes": footer_bytes,
        },
        warnings=tuple(warnings),
    )


def _sample_whole_row_groups(
    parquet: pq.ParquetFile,
    footer: Footer,
    schema: pa.Schema,
    order: list[int],
    want: int,
    rng: random.Random,
    budget: _Budget,
    data_end: int,
    limiter: CellLimiter,
    options: SamplingOptions,
    collected: _Collected,
) -> _WholeGroups:
    """Decode row groups whole, in ``order``, into ``collected`` until it holds ``want`` rows.

    At most ``max_row_groups`` are used; a row group beyond the memory limits or the budget
    left is skipped (and counted) and the next one tried.

    :raises CorruptParquetFooter, CorruptParquetData, NestingTooDeep: see
        :func:`_chunk_ranges`, :func:`_sample_row_group` and :func:`_column_cells`.
    """
    names = schema.names
    groups = _column_groups(names, _field_leaves(schema, len(footer.leaves)))
    offset = {name: i for i, name in enumerate(names)}
    whole = _WholeGroups()
    for rg in order:
        if collected.rows >= want or len(whole.used) >= options.max_row_groups:
            break
        if (
            footer.row_groups[rg].num_rows > options.max_row_group_rows
            or _declared_size(footer, rg) > options.max_row_group_bytes
        ):
            whole.too_large += 1
            continue
        ranges = _chunk_ranges(footer, rg, data_end)
        start, end = min(s for s, _ in ranges), max(e for _, e in ranges)
        if budget.cost(start, end) > budget.left:
            whole.exhausted = True
            continue
        budget.fetch(start, end)
        try:
            decoded = _sample_row_group(
                parquet, footer, rg, want - collected.rows, rng, budget, ranges, options, groups
            )
        except _OverBudget:
            whole.exhausted = True
            continue
        except _TooLarge:
            whole.too_large += 1
            continue
        cells: dict[str, list[CellValue]] = {}
        for group, batches in decoded:
            cells.update(_batch_cells(group, batches, limiter, offset[group[0]]))
        _append(collected, cells)
        whole.used.append(rg)
    return whole


def _closing_warnings(
    options: SamplingOptions,
    columns: int,
    too_large: int,
    collected: _Collected,
    order: list[int],
) -> list[str]:
    """The warnings on the whole sample, after any from the column heads.

    In order: the row target cut by the cell limit, row groups too large to decode whole, and
    no rows decoded at all (``order`` lists the row groups that have rows).
    """
    warnings: list[str] = []
    fewer = options.fewer_rows_warning(columns)
    if fewer:
        warnings.append(fewer)
    if too_large:
        warnings.append(
            f"{too_large:,} row group(s) were not decoded whole: larger than "
            f"{options.max_row_group_bytes:,} bytes or {options.max_row_group_rows:,} rows "
            "uncompressed, or a page beyond the page limit (sampling.max_row_group_mib, "
            "max_row_group_rows, max_page_mib)"
        )
    if collected.rows == 0 and order:
        warnings.append("no rows could be decoded within the byte budget")
    return warnings


def _columns(schema: pa.Schema, collected: _Collected) -> tuple[ColumnSample, ...]:
    """The sampled columns, in schema order, typed by their Arrow types."""
    return tuple(
        ColumnSample(
            name=f.name,
            data_type=arrow_type_name(f.type),
            values=tuple(collected.columns[f.name]),
        )
        for f in schema
    )


def _append(collected: _Collected, cells: dict[str, Any]) -> None:
    rows = len(next(iter(cells.values()))) if cells else 0
    for name, values in cells.items():
        collected.columns[name].extend(values)
    collected.rows += rows
