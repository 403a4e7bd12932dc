"""Sampling Parquet: one footer read, then whole row groups or column-chunk heads in budget.

All reads go through a :class:`~worker.sampling.sparse.RangeCache`; pyarrow decodes from a
:class:`~worker.sampling.sparse.SparseFile`, so it can never fetch bytes on its own and the
byte budget is enforced here, in one place.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from models.samples import CellValue, ColumnSample, SamplingInfo, TableSample
from worker.errors import (
    CorruptParquetData,
    CorruptParquetFooter,
    TruncatedParquet,
    UnsupportedFormat,
)
from worker.sampling.detect import PARQUET_MAGIC
from worker.sampling.options import SamplingOptions
from worker.sampling.reader import ObjectReader
from worker.sampling.sparse import RangeCache, RangeMissing, SparseFile, coalesce
from worker.sampling.values import CellLimiter, arrow_column_values, arrow_type_name

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

T = TypeVar("T")


@dataclass(slots=True)
class _Budget:
    """Bytes left for data reads; the footer is not charged."""

    reader: ObjectReader
    cache: RangeCache
    limit: int
    footer: int = 0

    @property
    def spent(self) -> int:
        return self.reader.bytes_read - self.footer

    @property
    def left(self) -> int:
        return self.limit - self.spent

    def cost(self, start: int, end: int) -> int:
        return sum(e - s for s, e in self.cache.missing(start, end))

    def fetch(self, start: int, end: int) -> None:
        for s, e in self.cache.missing(start, end):
            self.cache.fetch(self.reader, s, e)


@dataclass(slots=True)
class _Collected:
    columns: dict[str, list[CellValue]] = field(default_factory=dict)
    rows: int = 0


class _OverBudget(Exception):  # noqa: N818 - an internal signal
    """A decode needs bytes that the remaining budget cannot pay for."""


def _read_footer(reader: ObjectReader, cache: RangeCache) -> tuple[pq.ParquetFile, int, int]:
    """Fetch and decode the footer; return the file, the footer bytes fetched, the data end."""
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
    footer_start = size - 8 - footer_len
    for s, e in cache.missing(footer_start, size):
        fetched += cache.fetch(reader, s, e)
    try:
        parquet = pq.ParquetFile(SparseFile(cache), pre_buffer=False, buffer_size=_BUFFER)
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
    return parquet, fetched, footer_start


def _chunk_ranges(meta: pq.FileMetaData, rg: int, data_end: int) -> list[tuple[int, int]]:
    """Byte range of every column chunk of row group ``rg`` (leaf columns, file order)."""
    group = meta.row_group(rg)
    ranges: list[tuple[int, int]] = []
    for i in range(group.num_columns):
        col = group.column(i)
        start = col.data_page_offset
        dict_offset = col.dictionary_page_offset
        # Some writers store 0 instead of "no dictionary page"; 0 is the magic, never a page.
        if col.has_dictionary_page and dict_offset is not None and dict_offset > 0:
            start = min(start, dict_offset)
        end = start + col.total_compressed_size
        if start < 4 or end > data_end:
            raise CorruptParquetFooter(
                f"corrupt Parquet footer: column chunk {i:,} of row group {rg:,} points to "
                f"bytes {start:,}-{end:,}, outside the data section (4-{data_end:,})"
            )
        ranges.append((start, end))
    return ranges


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


def _table_cells(table: pa.Table, limiter: CellLimiter) -> dict[str, list[CellValue]]:
    return {
        name: list(limiter.limit_all(arrow_column_values(table.column(i))))
        for i, name in enumerate(table.column_names)
    }


def _sample_row_group(
    parquet: pq.ParquetFile,
    rg: int,
    want: int,
    rng: random.Random,
    budget: _Budget,
    limiter: CellLimiter,
) -> dict[str, list[CellValue]]:
    table = _decode(budget, lambda: parquet.read_row_group(rg, use_threads=False))
    if table.num_rows > want:
        picks = sorted(rng.sample(range(table.num_rows), want))
        table = table.take(pa.array(picks, type=pa.int64()))
    return _table_cells(table, limiter)


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
    parquet: pq.ParquetFile, rg: int, name: str, want: int
) -> Callable[[], pa.Table]:
    def run() -> pa.Table:
        batches: list[pa.RecordBatch] = []
        rows = 0
        batch_iter = parquet.iter_batches(
            batch_size=min(_HEAD_BATCH, want), row_groups=[rg], columns=[name], use_threads=False
        )
        try:
            for batch in batch_iter:
                batches.append(batch)
                rows += batch.num_rows
                if rows >= want:
                    break
        except RangeMissing:
            # The first rows decoded are kept; the miss only matters when there are none.
            if not batches:
                raise
        if not batches:
            return pa.table({name: pa.array([], type=parquet.schema_arrow.field(name).type)})
        return pa.Table.from_batches(batches)

    return run


def _sample_column_heads(
    parquet: pq.ParquetFile,
    rg: int,
    want: int,
    budget: _Budget,
    data_end: int,
    limiter: CellLimiter,
) -> tuple[dict[str, list[CellValue]], list[str]]:
    """Decode the first rows of each column from the heads of its column chunks.

    Each leaf column gets a share of the budget; adjacent heads are fetched together. A column
    whose first pages are larger than its share gets more in later rounds while budget lasts.
    """
    ranges = _chunk_ranges(parquet.metadata, rg, data_end)
    rg_rows = max(1, parquet.metadata.row_group(rg).num_rows)
    # Reading little: each head only needs about its share of ``want`` rows, plus slack for
    # page granularity; a column that needs more asks for it in a later round.
    needed = [(s, min(e, s + max((e - s) * want * 2 // rg_rows, _FIRST_PAGES))) for s, e in ranges]
    shares = _head_shares(needed, max(0, budget.left))
    heads = [(s, s + share) for (s, _), share in zip(ranges, shares, strict=True) if share > 0]
    for s, e in coalesce(heads, min(_MAX_GAP, max(0, budget.left - sum(shares)))):
        if budget.cost(s, e) <= budget.left:
            budget.fetch(s, e)
    names = parquet.schema_arrow.names
    decoded: dict[str, pa.Table] = {}
    pending = list(names)
    for _ in range(_HEAD_ROUNDS):
        misses: list[tuple[int, int]] = []
        still: list[str] = []
        for name in pending:
            try:
                decoded[name] = _decode_column_head(parquet, rg, name, want)()
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
        progress = False
        for s, e in sorted(coalesce(misses, _MAX_GAP), key=lambda r: r[1] - r[0]):
            if budget.cost(s, e) <= budget.left:
                budget.fetch(s, e)
                progress = True
        if not progress:
            break
    counts = [decoded[n].num_rows for n in decoded if decoded[n].num_rows > 0]
    rows = min([want, *counts]) if counts else 0
    cells: dict[str, list[CellValue]] = {}
    warnings: list[str] = []
    empty = [n for n in names if n not in decoded or decoded[n].num_rows == 0]
    for name in names:
        if name in empty:
            cells[name] = [None] * rows
        else:
            column = decoded[name].column(0).slice(0, rows)
            cells[name] = list(limiter.limit_all(arrow_column_values(column)))
    if empty and rows:
        warnings.append(
            f"{len(empty):,} of {len(names):,} columns could not be sampled within the byte "
            "budget (their first pages are larger than their share); their values are shown "
            "as null"
        )
    return cells, warnings


def _compression(meta: pq.FileMetaData) -> str | None:
    codecs: Counter[str] = Counter()
    for rg in range(min(meta.num_row_groups, 4)):
        group = meta.row_group(rg)
        for i in range(group.num_columns):
            codecs[str(group.column(i).compression).lower()] += 1
    if not codecs:
        return None
    codec = codecs.most_common(1)[0][0]
    return None if codec == "uncompressed" else codec


def sample_parquet(
    reader: ObjectReader,
    cache: RangeCache,
    options: SamplingOptions,
    seed: int,
    tail_bytes: int = 0,
) -> TableSample:
    """Sample a Parquet object: footer first, then row groups in a seeded random order.

    :param tail_bytes: bytes of the footer read the caller already fetched (not charged to
        the budget).

    :raises TruncatedParquet: the object does not end with ``PAR1``.
    :raises CorruptParquetFooter: the footer length is impossible or the metadata undecodable.
    :raises CorruptParquetData: the sampled pages cannot be decoded.
    """
    parquet, footer_bytes, data_end = _read_footer(reader, cache)
    footer_bytes += tail_bytes
    meta = parquet.metadata
    budget = _Budget(reader, cache, options.byte_budget, footer_bytes)
    rng = random.Random(seed)
    order = [rg for rg in range(meta.num_row_groups) if meta.row_group(rg).num_rows > 0]
    rng.shuffle(order)
    limiter = CellLimiter(options.max_cell_bytes)
    names = parquet.schema_arrow.names
    collected = _Collected({n: [] for n in names})
    used: list[int] = []
    warnings: list[str] = []
    exhausted = False
    method = "parquet-row-groups"
    for rg in order:
        if collected.rows >= options.rows or len(used) >= options.max_row_groups:
            break
        ranges = _chunk_ranges(meta, rg, data_end)
        start, end = min(s for s, _ in ranges), max(e for _, e in ranges)
        if budget.cost(start, end) > budget.left:
            exhausted = True
            continue
        budget.fetch(start, end)
        try:
            cells = _sample_row_group(
                parquet, rg, options.rows - collected.rows, rng, budget, limiter
            )
        except _OverBudget:
            exhausted = True
            continue
        _append(collected, cells)
        used.append(rg)
    if not used and order:
        # Not one row group fits: decode the first rows of one from its column-chunk heads.
        rg = order[0]
        method = "parquet-column-heads"
        cells, warnings = _sample_column_heads(parquet, rg, options.rows, budget, data_end, limiter)
        _append(collected, cells)
        used.append(rg)
    columns = tuple(
        ColumnSample(
            name=name,
            data_type=arrow_type_name(parquet.schema_arrow.field(name).type),
            values=tuple(collected.columns[name]),
        )
        for name in names
    )
    if collected.rows == 0 and order:
        warnings.append("no rows could be decoded within the byte budget")
    return TableSample(
        info=reader.info,
        format="parquet",
        compression=_compression(meta),
        columns=columns,
        rows_sampled=collected.rows,
        row_count=meta.num_rows,
        row_count_estimated=False,
        bytes_read=reader.bytes_read,
        sampling=SamplingInfo(
            method=method,
            seed=seed,
            row_groups=tuple(used),
            budget_exhausted=method == "parquet-column-heads"
            or (exhausted and collected.rows < min(options.rows, meta.num_rows)),
            truncated_cells=limiter.truncated,
        ),
        details={
            "row_groups_total": meta.num_row_groups,
            "columns_total": meta.num_columns,
            "created_by": meta.created_by,
            "footer_bytes": footer_bytes,
        },
        warnings=tuple(warnings),
    )


def _append(collected: _Collected, cells: dict[str, Any]) -> None:
    rows = len(next(iter(cells.values()))) if cells else 0
    for name, values in cells.items():
        collected.columns[name].extend(values)
    collected.rows += rows
