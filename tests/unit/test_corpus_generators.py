"""The synthetic generator's value styles that real lakes hold (issue 16)."""

from __future__ import annotations

import random
import re
from datetime import datetime, time
from typing import Any

from faker import Faker

from training.corpus import (
    GENERATORS,
    OTHER_NAMES,
    PII_EXTRAS,
    ROW_INDEX_NAMES,
    TEMPLATES,
    build_corpus,
)


def _styles(ctype: str, flavor: str = "", draws: int = 60) -> list[tuple[str, list[Any]]]:
    fake = Faker("en_US")
    out = []
    for seed in range(draws):
        values, data_type, _ = GENERATORS[ctype](random.Random(seed), fake, 30, flavor)
        out.append((data_type, [v for v in values if v is not None]))
    return out


def test_log_money_is_a_full_precision_measurement_on_a_log_scale() -> None:
    for data_type, values in _styles("measurement", "log_money", draws=10):
        assert data_type == "double"
        assert all(isinstance(v, float) and -5.0 < v < 16.0 for v in values)
        # Not rounded to cents: a log is never written as money is.
        assert any(round(v, 4) != v for v in values)


def test_some_tables_lead_with_a_row_number_column() -> None:
    tables = build_corpus("train", tables=200)
    indexed = [t for t in tables if t.sample.columns[0].name in ROW_INDEX_NAMES]
    assert 0 < len(indexed) < 40
    for t in indexed:
        first = t.sample.columns[0]
        assert t.column_types[0] == "identifier"
        assert first.data_type == "int64"
        start = first.values[0]
        assert start in (0, 1)
        assert first.values == tuple(range(int(start), int(start) + len(first.values)))  # type: ignore[arg-type]
        assert len(t.column_types) == len(t.sample.columns)


def test_month_and_day_numbers_are_dates_in_their_range() -> None:
    # Real tables label a month or a day of the month on its own a date (training/
    # real_tables.yaml: ``month``, ``c_birth_day``, ``d_dom``); the generator too.
    for flavor, top in (("month", 12), ("dom", 31)):
        seen: set[int] = set()
        for data_type, values in _styles("date", flavor, draws=20):
            assert data_type in ("int64", "int32")
            assert all(isinstance(v, int) and 1 <= v <= top for v in values)
            seen.update(values)
        assert max(seen) == top and min(seen) == 1
    calendar = [t for t in build_corpus("train") if "calendar" in t.source]
    labelled = {
        c.name: ctype
        for t in calendar
        for c, ctype in zip(t.sample.columns, t.column_types, strict=True)
    }
    assert labelled.get("month") == "date"
    assert "quantity" not in {labelled.get(n) for n in ("month", "day_of_month", "dom")}


def test_some_dates_come_as_timestamps_at_midnight_and_timestamps_carry_times() -> None:
    # pandas writes a date column to Parquet as a timestamp at 00:00 (TPC-H's DATE columns
    # read through it are such): a date all the same, and the column model needs to see it.
    kinds: set[str] = set()
    for data_type, values in _styles("date", draws=120):
        if data_type.startswith("timestamp"):
            assert all(isinstance(v, datetime) and v.time() == time() for v in values)
        kinds.add(data_type)
    assert {"date", "timestamp[us]", "string"} <= kinds
    for data_type, values in _styles("timestamp", draws=60):
        if data_type.startswith("timestamp"):
            assert any(isinstance(v, datetime) and v.time() != time() for v in values)


def test_other_columns_are_opaque_or_structured_text_under_their_kinds_names() -> None:
    # Real lakes' `other` columns: colour codes, durations written out, ranges of two
    # values, random tokens, beside hashes, JSON and bytes (training/real_tables.yaml).
    fake = Faker("en_US")
    day = r"(?:\d{4}-\d\d-\d\d|\d{4}\.\d\d\.\d\d|\d\d/\d\d/\d{4})"
    shapes = {
        "colour": re.compile(r"#[0-9A-Fa-f]{6}"),
        "duration": re.compile(r"\d+ days \d\d:\d\d:\d\d|\d+:\d\d:\d\d|PT(?:\d+H)?(?:\d+M)?\d+S"),
        "range": re.compile(rf"{day}(?: - |\.\.| to |/){day}"),
        "token": re.compile(r"[A-Za-z0-9]{8,24}"),
    }
    for style, names in OTHER_NAMES.items():
        assert names
        for seed in range(12):
            draw = random.Random(seed)
            values, data_type, entities = GENERATORS["other"](draw, fake, 40, style)
            present = [v for v in values if v is not None]
            assert present and not entities
            if style in shapes:
                assert data_type == "string"
                assert all(shapes[style].fullmatch(str(v)) for v in present), (style, seed)
    tables = build_corpus("train", tables=300)
    other = [
        c.name
        for t in tables
        for c, ctype in zip(t.sample.columns, t.column_types, strict=True)
        if ctype == "other"
    ]
    known = {n for names in OTHER_NAMES.values() for n in names}
    assert 20 < len(other) < 70  # one table in eight or so
    assert {n.removesuffix("_x") for n in other} <= known


def test_no_other_name_is_a_name_of_another_column_type() -> None:
    # A name the generator also gives a date or a quantity would teach the model both.
    specs = [spec for t in TEMPLATES for spec in t.columns]
    specs += [spec for extras in PII_EXTRAS.values() for spec in extras]
    typed = {name: spec.ctype for spec in specs for name in spec.names}
    clash = {n: typed[n] for names in OTHER_NAMES.values() for n in names if n in typed}
    assert not clash


def test_some_percentages_are_whole_numbers() -> None:
    styles = _styles("percentage")
    whole = [values for data_type, values in styles if data_type == "int64"]
    assert whole and len(whole) < len(styles)
    assert all(isinstance(v, int) and 0 <= v <= 100 for values in whole for v in values)
