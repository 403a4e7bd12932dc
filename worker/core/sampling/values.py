"""Turning sampled cells into plain Python values: type names, inference, truncation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from models.samples import CellValue


class CellLimiter:
    """Cuts string/binary cells to ``max_bytes`` UTF-8 bytes and counts how many it cut."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.truncated = 0

    def limit(self, value: CellValue) -> CellValue:
        """Return ``value``, cut to the limit when it is a long ``str`` or ``bytes``."""
        if isinstance(value, str):
            # Four bytes per character at most, so short strings skip the encoding.
            if len(value) * 4 <= self.max_bytes:
                return value
            encoded = value.encode("utf-8", "surrogatepass")
            if len(encoded) <= self.max_bytes:
                return value
            self.truncated += 1
            return encoded[: self.max_bytes].decode("utf-8", "ignore")
        if isinstance(value, bytes) and len(value) > self.max_bytes:
            self.truncated += 1
            return value[: self.max_bytes]
        return value

    def limit_all(self, values: Sequence[CellValue]) -> tuple[CellValue, ...]:
        """Apply :meth:`limit` to every value."""
        # Checked in bulk, in C: most columns hold nothing :meth:`limit` could cut, and then
        # it would return every value as it is.
        kinds = set(map(type, values))
        if kinds <= _NEVER_CUT:
            return tuple(values)
        if kinds <= _TEXT_OR_NONE and self.max_bytes >= 0:
            # ``filter`` drops None (and "", which is never cut when max_bytes >= 0).
            longest = max(map(len, filter(None, values)), default=0)  # type: ignore[arg-type]
            if longest * 4 <= self.max_bytes:
                return tuple(values)
        return tuple(self.limit(v) for v in values)


# Exact types (not subclasses, which :meth:`CellLimiter.limit_all` leaves to ``limit``) that
# ``limit`` returns unchanged whatever their value, and the text ones it may cut.
_NEVER_CUT: frozenset[type] = frozenset(
    {type(None), bool, int, float, Decimal, date, datetime, time, timedelta}
)
_TEXT_OR_NONE: frozenset[type] = frozenset({str, type(None)})


# --- Arrow -----------------------------------------------------------------------------------


def arrow_type_name(dtype: pa.DataType) -> str:
    """A portable name for an Arrow type: ``string``, ``int64``, ``double``, ``decimal(p,s)``..."""
    t = pa.types
    if t.is_dictionary(dtype):
        return arrow_type_name(dtype.value_type)
    if t.is_string(dtype) or t.is_large_string(dtype) or t.is_string_view(dtype):
        return "string"
    if t.is_boolean(dtype):
        return "bool"
    if t.is_integer(dtype):
        return str(dtype)
    if t.is_float16(dtype) or t.is_float32(dtype):
        return "float"
    if t.is_float64(dtype):
        return "double"
    if t.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if t.is_date(dtype):
        return "date"
    if t.is_timestamp(dtype):
        return "timestamp"
    if t.is_time(dtype):
        return "time"
    if t.is_duration(dtype):
        return "duration"
    if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
        return "binary"
    if t.is_null(dtype):
        return "null"
    if t.is_nested(dtype):
        return "json"
    return str(dtype)


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _plain(value: Any) -> CellValue:
    if value is None or isinstance(value, str | bool | int | float | Decimal | bytes | datetime):
        return value  # type: ignore[no-any-return]
    if isinstance(value, date):
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    if isinstance(value, dict | list | tuple):
        # Maps come back as lists of (key, value) tuples; JSON renders them as pairs.
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    return str(value)


def shrink_cells(column: pa.Array | pa.ChunkedArray, max_bytes: int) -> pa.Array | pa.ChunkedArray:
    """Decode dictionary cells and cut long cells in Arrow, before Python sees them.

    Strings keep ``max_bytes + 1`` code points and binaries ``max_bytes + 1`` bytes, lists
    their first ``max_bytes + 1`` elements: always more than :class:`CellLimiter` keeps, so it
    still cuts (and counts) exactly as before, but a giant cell is never copied into a Python
    object whole.
    """
    dtype = column.type
    if pa.types.is_dictionary(dtype):
        column = column.cast(dtype.value_type)
        dtype = dtype.value_type
    keep = max_bytes + 1
    t = pa.types
    if t.is_string(dtype) or t.is_large_string(dtype):
        try:
            return pc.utf8_slice_codeunits(column, 0, keep)
        except pa.ArrowInvalid:
            # Parquet readers do not check UTF-8: cut the bytes, show what is no UTF-8 as
            # U+FFFD (each cell is short by now).
            cut = pc.binary_slice(column.cast(pa.large_binary()), 0, keep).to_pylist()
            return pa.array(
                [None if v is None else v.decode("utf-8", "replace") for v in cut], dtype
            )
    if t.is_binary(dtype) or t.is_large_binary(dtype):
        return pc.binary_slice(column, 0, keep)
    if t.is_list(dtype) or t.is_large_list(dtype):
        return pc.list_slice(column, 0, keep)
    return column


def _as_text(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """Cells Python cannot hold as their type, as text.

    A timestamp in year 60000, a string that is no UTF-8; the caller maps a failure here to
    corrupt data.
    """
    dtype = column.type
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        raw = column.cast(pa.large_binary()).to_pylist()
        return [None if v is None else v.decode("utf-8", "replace") for v in raw]
    return column.cast(pa.string()).to_pylist()  # type: ignore[no-any-return]


def arrow_column_values(column: pa.Array | pa.ChunkedArray) -> list[CellValue]:
    """Convert an Arrow column to plain Python cells (nested values as JSON text).

    :raises ValueError, OverflowError, pyarrow.ArrowException: a cell can be neither
        converted nor shown as text (the Parquet sampler reports corrupt data).
    """
    dtype = column.type
    if pa.types.is_dictionary(dtype):
        column = column.cast(dtype.value_type)
        dtype = dtype.value_type
    if pa.types.is_timestamp(dtype) or pa.types.is_date64(dtype):
        # Nanosecond timestamps do not fit datetime; microseconds are plenty for a sample.
        if pa.types.is_timestamp(dtype) and dtype.unit == "ns":
            column = column.cast(pa.timestamp("us", dtype.tz), safe=False)
    try:
        values: list[CellValue] = column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        # Out of Python's range (dates beyond 9999, ...) or not UTF-8: keep them as text.
        return [_plain(v) for v in _as_text(column)]
    simple = (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_boolean(dtype)
    )
    if simple:
        return values
    return [_plain(v) for v in values]


# --- Text ------------------------------------------------------------------------------------

_TS = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?"
_PATTERNS: dict[str, str] = {
    "bool": r"(?i:true|false)",
    # No leading "+" or leading zeros: "+4915..." and "0612..." are phone numbers or codes
    # whose text matters to classifiers. 18 digits always fit int64.
    "int64": r"-?(?:0|[1-9]\d{0,17})",
    "double": r"-?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?",
    "decimal_comma": r"-?(?:[1-9]\d{0,2}(?:\.\d{3})+|0|[1-9]\d*)(?:,\d+)?",
    "date": r"\d{4}-\d{2}-\d{2}",
    "timestamp": _TS,
}
_COLUMN_RE = {name: re.compile(rf"(?:{pat})(?:\n(?:{pat}))*") for name, pat in _PATTERNS.items()}
# The same patterns for ASCII text, which they match exactly as above (ASCII matching only
# changes what \d and case folding accept beyond ASCII) but a third faster.
_COLUMN_RE_ASCII = {
    name: re.compile(rf"(?:{pat})(?:\n(?:{pat}))*", re.ASCII) for name, pat in _PATTERNS.items()
}


def _to_bool(text: str) -> bool:
    return text.lower() == "true"


def _to_decimal_comma(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def _to_timestamp(text: str) -> datetime:
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        # fromisoformat wants "+hh:mm"; files often write "+hhmm".
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text)


_CONVERTERS: dict[str, Callable[[str], CellValue]] = {
    "bool": _to_bool,
    "int64": int,
    "double": float,
    "decimal_comma": _to_decimal_comma,
    "date": date.fromisoformat,
    "timestamp": _to_timestamp,
}


def infer_text_column(
    values: Sequence[str | None], allow_decimal_comma: bool
) -> tuple[str, list[CellValue], bool]:
    """Infer the type of a text column and convert its values.

    Empty strings become ``None``. The type is the first of bool, int64, double,
    decimal-comma double, date, timestamp that every non-empty value matches, else string.

    :param allow_decimal_comma: whether ``1.234,56`` may be read as a number (only when the
        delimiter is not a comma).
    :returns: the portable type name, the converted values, and whether decimal commas were
        used.
    """
    present: list[str] = list(filter(None, values))  # type: ignore[arg-type]
    # Without empty cells there is nothing to turn into None.
    cells: list[str | None] = (
        list(values) if len(present) == len(values) else [v if v else None for v in values]
    )
    if not present:
        return "string", list(cells), False
    # One regex over the joined column is much faster than one match per cell, which is what
    # keeps 2,000-column tables quick.
    joined = "\n".join(present)
    patterns = _COLUMN_RE_ASCII if joined.isascii() else _COLUMN_RE
    for kind, pattern in patterns.items():
        if kind == "decimal_comma" and (not allow_decimal_comma or "," not in joined):
            continue
        if not pattern.fullmatch(joined):
            continue
        convert = _CONVERTERS[kind]
        if kind == "timestamp" and "+" not in joined and joined.count("-") == 2 * len(present):
            # A value of the timestamp shape holds two "-" in its date and a sign nowhere but
            # in a zone: no zone, so no "+hhmm" for ``_to_timestamp`` to rewrite, and it would
            # call just this.
            convert = datetime.fromisoformat
        try:
            # Without empty cells, ``map`` converts the same values in the same order.
            converted = (
                list(map(convert, present))
                if len(present) == len(cells)
                else [None if v is None else convert(v) for v in cells]
            )
        except ValueError:
            # e.g. 2024-02-30 matches the date shape but is no date: keep the text.
            continue
        name = "double" if kind == "decimal_comma" else kind
        return name, converted, kind == "decimal_comma"
    return "string", list(cells), False


def json_column(values: Sequence[object]) -> tuple[str, list[CellValue]]:
    """Type and convert one JSON Lines column (values as parsed by :mod:`json`).

    Nested values become JSON text (type ``json``); a column mixing kinds becomes text.
    """
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string", [None] * len(values)
    if kinds <= {dict, list}:
        return "json", [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    if kinds == {bool}:
        return "bool", [v if isinstance(v, bool) else None for v in values]
    if kinds == {int}:
        return "int64", [v if isinstance(v, int) else None for v in values]
    if kinds <= {int, float}:
        return "double", [None if v is None else float(v) for v in values]  # type: ignore[arg-type]
    if kinds == {str}:
        return "string", [v if isinstance(v, str) else None for v in values]
    return "string", [
        None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        for v in values
    ]
