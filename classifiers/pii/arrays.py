"""pyarrow arrays from Python lists without ``pa.array`` (pure).

``pa.array`` imports pandas on its first call whenever pandas is installed (to check whether
it was given a pandas object): 0.25-0.9 s and tens of MiB in every process that classifies,
although nothing here uses pandas. These builders lay out the Arrow buffers themselves.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence

import pyarrow as pa

_INT32_MAX = 2**31 - 1


def string_array(texts: Sequence[str]) -> pa.Array:
    """``texts`` as a pyarrow UTF-8 string array (``large_string`` past 2 GiB of text).

    :raises UnicodeEncodeError: a text is not valid UTF-8 (a lone surrogate).
    """
    encoded = [t.encode("utf-8") for t in texts]
    data = b"".join(encoded)
    large = len(data) > _INT32_MAX
    offsets = array("q" if large else "i", itertools.accumulate(map(len, encoded), initial=0))
    kind = pa.large_string() if large else pa.string()
    return pa.Array.from_buffers(
        kind, len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def int64_array(values: Sequence[int]) -> pa.Array:
    """``values`` as a pyarrow int64 array.

    :raises OverflowError: a value does not fit in 64 bits.
    """
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(array("q", values))])
