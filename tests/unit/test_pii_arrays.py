"""Arrow arrays built from buffers equal ``pa.array``'s, and classifying imports no pandas."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from classifiers.pii.arrays import int64_array, integer_values, string_array


@pytest.mark.parametrize(
    "texts",
    [[], [""], ["a", "", "Ünïcödé ✓", "日本語", "x" * 5000], ["😀", "tab\there", "nl\nx"]],
)
def test_string_array_equals_pa_array(texts: list[str]) -> None:
    built = string_array(texts)
    built.validate(full=True)
    assert built.equals(pa.array(texts, pa.string()))


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(UnicodeError):
        string_array(["ok", "\ud800"])


def test_int64_array_equals_pa_array() -> None:
    values = [0, -1, 2**63 - 1, -(2**63), 42]
    built = int64_array(values)
    built.validate(full=True)
    assert built.equals(pa.array(values, pa.int64()))
    with pytest.raises(OverflowError):
        int64_array([2**63])


def test_classifying_a_table_does_not_import_pandas() -> None:
    """pa.array and pa.scalar import pandas when it is installed (it is, in the dev venv)."""
    code = textwrap.dedent(
        """
        import sys
        from classifiers.pii import PiiClassifier
        from models import ColumnSample
        from tests.support.tables import table_sample
        cols = (
            ColumnSample("email", "string", tuple(f"u{i}@example.org" for i in range(300))),
            ColumnSample("note", "string", tuple(f"call {i} about the refund" for i in range(300))),
            ColumnSample("n", "int64", tuple(range(300))),
        )
        PiiClassifier().classify(table_sample(cols, "s3://b/t.csv"))
        print("pandas" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("kind", "dtype"), [(pa.int32(), np.int32), (pa.int64(), np.int64), (pa.uint64(), np.uint64)]
)
def test_integer_values_equal_to_pylist(kind: pa.DataType, dtype: type) -> None:
    data: np.ndarray = np.array([3, 0, 7, 1, 9], dtype)
    whole = pa.Array.from_buffers(kind, 5, [None, pa.py_buffer(data)])
    for arr in (whole, whole.slice(2), whole.slice(1, 3), whole.slice(5)):
        assert integer_values(arr).tolist() == arr.to_pylist()


def test_integer_values_refuses_nulls_and_other_types() -> None:
    with pytest.raises(ValueError, match="null-free"):
        integer_values(pa.Array.from_buffers(pa.float64(), 0, [None, None]))
    nulls = pc.if_else(
        pc.equal(int64_array([1, 2]), int64_array([1, 1])), int64_array([5, 5]), None
    )
    with pytest.raises(ValueError, match="null-free"):
        integer_values(nulls)
