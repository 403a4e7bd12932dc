"""Key-name features of the column-type model: compound key names, key names with what
their values say, and numeric 0/1 flags (``classifiers.business.features``)."""

from __future__ import annotations

import pytest

from classifiers.business.features import (
    FEATURE_VERSION,
    KEY_VALUE_PREFIX,
    column_features,
    is_key_name,
    value_free,
)
from models import ColumnSample

_KEY_VALUE = ("key_repeated", "key_unique_first", "key_unique_later")


def test_feature_version_names_the_key_features() -> None:
    # 4: the key features; 5: standard codes in the values (test_business_value_codes.py).
    assert FEATURE_VERSION == 5


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["customer", "id"], True),
        (["ss", "item", "sk"], True),
        (["o", "custkey"], True),
        (["n", "nationkey"], True),
        (["key"], True),
        (["turkey"], False),
        (["monkey"], False),
        (["skill"], False),
        (["unitid"], False),
        ([], False),
    ],
)
def test_key_names(tokens: list[str], expected: bool) -> None:
    assert is_key_name(tokens) is expected


def test_compound_key_names_share_the_key_feature() -> None:
    f = column_features(ColumnSample("l_partkey", "int64", (1, 2, 3)), position=1)
    assert f["key_suffix"] == 1.0 and f["key_suffix_later"] == 1.0


def test_a_later_key_with_repeated_values_reads_as_a_reference() -> None:
    f = column_features(ColumnSample("ss_item_sk", "int64", (7, 7, 9, 11)), position=2)
    assert f["key_repeated"] == 1.0
    assert "key_unique_later" not in f and "key_unique_first" not in f


def test_a_unique_key_says_where_it_stands() -> None:
    first = column_features(ColumnSample("c_customer_sk", "int64", (1, 2, 3)), position=0)
    assert first["key_unique_first"] == 1.0 and "key_repeated" not in first
    later = column_features(ColumnSample("ss_customer_sk", "int64", (4, 8, 15)), position=3)
    assert later["key_unique_later"] == 1.0 and "key_repeated" not in later
    # A first column whose values repeat is neither a unique key nor a reference.
    dup = column_features(ColumnSample("inv_date_sk", "int64", (1, 1, 2)), position=0)
    assert not any(k in dup for k in _KEY_VALUE)


def test_no_key_value_features_without_a_key_name_or_values() -> None:
    plain = column_features(ColumnSample("quantity", "int64", (1, 1, 2)), position=2)
    assert not any(k in plain for k in _KEY_VALUE)
    empty = column_features(ColumnSample("order_id", "int64", (None, None)), position=2)
    assert empty[KEY_VALUE_PREFIX + "empty"] == 1.0
    assert not any(k in empty for k in _KEY_VALUE)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((0, 1, 1, 0), 1.0),
        ((1.0, 0.0), 1.0),
        (("0", "1"), 1.0),
        ((1, 1), 1.0),
        ((0, 1, 2), 0.0),
        ((0.5, 1.0), 0.0),
        ((0, 1, "x"), 0.0),
    ],
)
def test_zero_one_flags(values: tuple[int | float | str, ...], expected: float) -> None:
    f = column_features(ColumnSample("flag", "int64", values))
    assert f["zero_one"] == expected


def test_no_zero_one_without_numbers() -> None:
    assert "zero_one" not in column_features(ColumnSample("flag", "string", ("Y", "N")))


def test_a_key_names_value_statistics_are_its_own() -> None:
    values = (3, 5, 5, 8)
    key = column_features(ColumnSample("ss_item_sk", "int64", values), position=2)
    plain = column_features(ColumnSample("items", "int64", values), position=2)
    assert key[KEY_VALUE_PREFIX + "distinct_ratio"] == plain["distinct_ratio"]
    assert key[KEY_VALUE_PREFIX + "num_max"] == plain["num_max"]
    assert "distinct_ratio" not in key and "num_max" not in key
    assert not any(k.startswith(KEY_VALUE_PREFIX) for k in plain)
    # Codes and numbers are as often values as keys: their statistics stay shared.
    for name in ("zip_code", "order_number", "ref_no"):
        shared = column_features(ColumnSample(name, "int64", values), position=2)
        assert shared["key_suffix"] == 1.0 and "distinct_ratio" in shared, name
        assert not any(k.startswith(KEY_VALUE_PREFIX) for k in shared), name


def test_value_free_rounds_a_keys_magnitudes_too() -> None:
    f = column_features(ColumnSample("o_custkey", "int64", (1234, 5678, 91011)), position=1)
    stored = value_free(f)
    for k in ("num_min", "num_max", "num_span"):
        assert stored[KEY_VALUE_PREFIX + k] == float(round(f[KEY_VALUE_PREFIX + k]))
