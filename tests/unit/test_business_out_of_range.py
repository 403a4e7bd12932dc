"""Numbers beyond a float's range are no numbers to the business features (they raised).

"1e999" reads as infinity and a 400-digit integer does not fit a float: in a mixed column
the numeric features raised ``OverflowError`` (``int(inf)``, ``float(10**400)``) and the whole
table lost its column types and category. Now such a value is not counted as a number, the
same in the per-value features and in the per-distinct-value ones of one-type columns.
"""

from __future__ import annotations

import math

import pytest

from classifiers.business import features as bf
from classifiers.business.model import BusinessModel
from models import ColumnSample
from models.samples import CellValue
from tests.unit.test_business_features_speed import _assert_same
from tests.unit.test_business_model import N, _cycle, _table

_HUGE = 10**400


@pytest.mark.parametrize(
    "values",
    [
        ["1e999", 5, "x", 2.5],  # mixed: the per-value features
        ["1e999", "12", "-1e999", "3.5"],  # strings only: the per-distinct-value ones
        [_HUGE, 3, 7, -_HUGE],  # integers only
        [_HUGE, "4", 1.5],  # mixed, with a huge integer
    ],
)
def test_out_of_range_values_are_not_numbers(values: list[CellValue]) -> None:
    col = ColumnSample("amount", "string", tuple(values * 10))
    feats = bf._value_features(col)
    assert all(math.isfinite(v) for v in feats.values())
    # Only the values within range count as numbers.
    expected = len([v for v in values if bf._as_number(v) is not None]) / len(values)
    assert feats["numeric_share"] == pytest.approx(expected)
    _assert_same([col])


def test_as_number_refuses_what_a_float_cannot_hold() -> None:
    assert bf._as_number("1e999") is None
    assert bf._as_number("-1e999") is None
    assert bf._as_number(_HUGE) is None
    assert bf._as_number("1e308") == 1e308
    assert bf._as_number(10**300) == float(10**300)


def test_a_table_with_such_a_column_keeps_its_business_classification() -> None:
    model = BusinessModel.load()
    sample = _table(
        "s3://shop-prod/exports/orders/part-0.parquet",
        [
            ("order_id", "int64", list(range(5000, 5000 + N))),
            ("order_total", "string", _cycle(["12.50", "1e999", 7, "3.10"])),
            ("big", "int64", _cycle([_HUGE, 1, 2])),
        ],
    )
    types = model.column_types(sample)
    assert len(types) == 3
    assert model.categories(sample, types, {})
