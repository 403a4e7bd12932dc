"""What the sampler hands to classifiers: plain Python values per column, never Arrow objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from models.objects import ObjectInfo

#: A sampled cell: what a Parquet/CSV/JSON cell turns into. Nested values are rendered as JSON text.
CellValue = str | int | float | bool | date | datetime | Decimal | bytes | None


@dataclass(frozen=True, slots=True)
class ColumnSample:
    """The sampled values of one column.

    :param name: the column name as in the file.
    :param data_type: a portable type name (``string``, ``int64``, ``double``, ``bool``,
        ``date``, ``timestamp``, ``decimal(p,s)``, ``binary``, ``json`` ...), inferred for text
        formats.
    :param values: one value per sampled row, ``None`` for nulls; strings longer than the
        cell limit are already truncated.
    """

    name: str
    data_type: str
    values: tuple[CellValue, ...]

    @property
    def non_null(self) -> int:
        """How many sampled values are not null (empty strings count as null)."""
        return sum(1 for v in self.values if v is not None and v != "")


@dataclass(frozen=True, slots=True)
class SamplingInfo:
    """How the rows were chosen, so a sample can be explained and reproduced.

    :param method: e.g. ``parquet-row-groups``, ``text-ranges``, ``stream-head``.
    :param seed: the seed derived from the ETag, or ``None`` when the choice was not random.
    :param row_groups: Parquet row groups read.
    :param ranges: byte ranges read from a text object, as ``(start, end)`` half-open pairs.
    :param budget_exhausted: the byte budget stopped reading before ``rows`` rows were found.
    :param truncated_cells: how many cell values were cut to the cell-size limit.
    """

    method: str
    seed: int | None = None
    row_groups: tuple[int, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    budget_exhausted: bool = False
    truncated_cells: int = 0


@dataclass(frozen=True, slots=True)
class TableSample:
    """A reproducible sample of one object plus the technical metadata read on the way.

    :param format: ``parquet``, ``csv`` or ``jsonl``.
    :param compression: the whole-object compression (``gzip``, ``zstd``, ``bz2``), or for
        Parquet the column codec (``snappy`` ...); ``None`` when uncompressed.
    :param row_count: rows in the whole object; exact for Parquet, estimated for text formats.
    :param row_count_estimated: ``True`` when ``row_count`` is an estimate.
    :param bytes_read: bytes fetched from the store for this sample (footer included).
    :param details: format details worth reporting (``delimiter``, ``encoding``,
        ``decimal_comma``, ``header``, ``row_groups_total`` ...).
    :param warnings: problems that did not stop sampling (e.g. a few ragged rows).
    """

    info: ObjectInfo
    format: str
    compression: str | None
    columns: tuple[ColumnSample, ...]
    rows_sampled: int
    row_count: int | None
    row_count_estimated: bool
    bytes_read: int
    sampling: SamplingInfo
    details: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
