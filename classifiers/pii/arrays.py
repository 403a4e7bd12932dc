"""pyarrow arrays from Python lists without ``pa.array`` (pure).

``pa.array`` imports pandas on its first call whenever pandas is installed (to check whether
it was given a pandas object): 0.25-0.9 s and tens of MiB in every process that classifies,
although nothing here uses pandas. These builders lay out the Arrow buffers themselves.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_INT32_MAX = 2**31 - 1


def string_array(texts: Sequence[str]) -> pa.Array:
    """``texts`` as a pyarrow UTF-8 string array (``large_string`` past 2 GiB of text).

    One encode of all the texts together; byte lengths are the character lengths except for
    the texts that are not ASCII (about 1 ms more than ``pa.array`` for 20,000 short texts).

    :raises UnicodeEncodeError: a text is not valid UTF-8 (a lone surrogate).
    """
    count = len(texts)
    joined = "".join(texts)
    if joined.isascii():
        data = joined.encode("ascii")
        sizes = np.fromiter(map(len, texts), np.int64, count)
    else:
        data = joined.encode("utf-8")
        sizes = np.fromiter(
            (len(t) if t.isascii() else len(t.encode("utf-8")) for t in texts), np.int64, count
        )
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    large = len(data) > _INT32_MAX
    kind = pa.large_string() if large else pa.string()
    layout = offsets if large else offsets.astype(np.int32)
    return pa.Array.from_buffers(kind, count, [None, pa.py_buffer(layout), pa.py_buffer(data)])


def int64_array(values: Sequence[int]) -> pa.Array:
    """``values`` as a pyarrow int64 array.

    :raises OverflowError: a value does not fit in 64 bits.
    """
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(array("q", values))])


#: pyarrow integer types and their numpy dtypes, for :func:`integer_values`.
_NUMPY_INTS: dict[pa.DataType, np.dtype[Any]] = {
    pa.int32(): np.dtype(np.int32),
    pa.int64(): np.dtype(np.int64),
    pa.uint64(): np.dtype(np.uint64),
}


def integer_values(arr: pa.Array) -> np.ndarray:
    """The values of a null-free int32/int64/uint64 array as a numpy view (no copy).

    Not ``Array.to_numpy``: it imports pandas when installed, as ``pa.array`` does.

    :raises ValueError: the array holds nulls or is of another type.
    """
    dtype = _NUMPY_INTS.get(arr.type)
    if dtype is None or arr.null_count:
        raise ValueError(f"not a null-free integer array: {arr.type}")
    data = arr.buffers()[1]
    if data is None or len(arr) == 0:
        return np.zeros(0, dtype)
    start = arr.offset * dtype.itemsize
    return np.frombuffer(memoryview(data), dtype, count=len(arr), offset=start)


def bool_values(mask: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy (nulls false), unpacking its bitmap in one call.

    ``to_numpy`` converts bit by bit, about 50 times slower on 15,000 values (issue 17).
    """
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    if len(mask) == 0:
        return np.zeros(0, bool)
    packed = np.frombuffer(mask.buffers()[1], np.uint8)
    bits = np.unpackbits(packed, bitorder="little")[mask.offset : mask.offset + len(mask)]
    return bits.view(bool)


def bool_array(mask: np.ndarray) -> pa.Array:
    """A numpy bool array as a pyarrow boolean array (not ``pa.array``: see above)."""
    packed = np.packbits(mask, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(packed)])


def string_layout(arr: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """A string array's offsets and UTF-8 bytes as numpy views (no copy).

    Value ``i`` is ``data[offsets[arr.offset + i] : offsets[arr.offset + i + 1]]``; the bytes
    are ``None`` when the array holds no data buffer or an empty one.
    """
    large = pa.types.is_large_string(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], np.int64 if large else np.int32)
    data = arr.buffers()[2]
    raw = np.frombuffer(data, np.uint8) if data is not None and data.size else None
    return offsets, raw
