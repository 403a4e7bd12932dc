"""The business value features computed per distinct value equal the per-value definition.

``classifiers.business.features`` computes a column's value statistics once per distinct
value (weighted by its count), tests each shape pattern only on strings whose first
character it accepts, counts character classes in C, and ``LinearModel.vectorise`` gathers
all-float rows in numpy. The reference below is the per-value code those replaced (feature
version 4, as committed before): every feature must come out equal, floats to the bit and
keys in the same order, so the committed models need no retraining.

The name-derived features are kept per column name (with its type, first-or-not and the
path tokens), the semantic ones per name tokens and per table's words, and
``LinearModel.vectorise`` keeps its lookups per key sequence; shape and number patterns
are tried only where a match is possible (characters a match needs, lengths it can have,
a number's shape). The tests below compare cached and gated results with a computation
from the uncached pieces, on repeated, reordered and re-pathed columns.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from classifiers.business import features as bf
from classifiers.business.model import BusinessModel
from classifiers.business.semantic import (
    _semantic_features,
    column_model_features,
    column_name_features,
    column_words,
    path_words,
    semantic_features,
)
from models import ColumnSample
from models.samples import CellValue, TableSample
from training.corpus import _sample, build_corpus
from training.real_tables import load_real_tables

# --- the per-value reference (the definition of the value features) ---------------------


def _ref_value_features(col: ColumnSample) -> dict[str, float]:
    values = col.values[: bf.MAX_VALUES]
    total = len(values)
    present = [v for v in values if v is not None and v != ""]
    n = len(present)
    f = {"null_share": 1.0 - n / total if total else 1.0}
    if n == 0:
        f["empty"] = 1.0
        return f
    texts = [v if isinstance(v, str) else bf._text(v) for v in present]
    distinct = len(set(texts))
    f.update(_ref_text_features(texts, distinct))
    f.update(_ref_numeric_features(present, distinct))
    f.update(_ref_shape_features(present))
    if all(type(v) is datetime for v in present):
        # Date-times only: how many sit at midnight (dates stored as timestamps).
        f["midnight_share"] = sum(
            1 for v in present if isinstance(v, datetime) and v.time() == datetime.min.time()
        ) / len(present)
    return f


def _ref_text_features(texts: Sequence[str], distinct: int) -> dict[str, float]:
    f: dict[str, float] = {}
    n = len(texts)
    f["distinct_ratio"] = distinct / n
    f["distinct_log"] = math.log10(1 + distinct)
    f["few_distinct"] = 1.0 if distinct <= 12 else 0.0
    f["two_distinct"] = 1.0 if distinct <= 2 else 0.0
    lengths = [len(t) for t in texts]
    mean_len = sum(lengths) / n
    f["len_mean"] = math.log1p(mean_len)
    f["len_std"] = math.log1p(math.sqrt(sum((x - mean_len) ** 2 for x in lengths) / n))
    f["len_const"] = 1.0 if min(lengths) == max(lengths) else 0.0
    chars = "".join(texts)
    nc = max(1, len(chars))
    f["digit_share"] = sum(1 for c in chars if c.isdigit()) / nc
    f["alpha_share"] = sum(1 for c in chars if c.isalpha()) / nc
    f["upper_share"] = sum(1 for c in chars if c.isupper()) / nc
    f["space_share"] = sum(1 for c in chars if c == " ") / nc
    f["punct_share"] = sum(1 for c in chars if not c.isalnum() and not c.isspace()) / nc
    f["words_mean"] = math.log1p(sum(t.count(" ") + 1 for t in texts) / n)
    return f


def _ref_numeric_features(present: Sequence[CellValue], distinct: int) -> dict[str, float]:
    f: dict[str, float] = {}
    n = len(present)
    nums = [x for x in (bf._as_number(v) for v in present) if x is not None]
    f["numeric_share"] = len(nums) / n
    if nums:
        lo, hi = min(nums), max(nums)
        f["num_min"] = bf._slog(lo)
        f["num_max"] = bf._slog(hi)
        f["num_span"] = bf._slog(hi - lo)
        f["int_share"] = sum(1 for x in nums if x == int(x)) / len(nums)
        f["neg_share"] = sum(1 for x in nums if x < 0) / len(nums)
        f["unit_interval"] = 1.0 if 0 <= lo and hi <= 1 else 0.0
        f["pct_range"] = 1.0 if 0 <= lo and hi <= 100 else 0.0
        f["year_range"] = 1.0 if 1800 <= lo and hi <= 2100 and f["int_share"] == 1 else 0.0
        f["zero_one"] = 1.0 if len(nums) == n and set(nums) <= {0.0, 1.0} else 0.0
        decs = [bf._decimals(v) for v in present[:100]]
        f["two_decimals"] = sum(1 for d in decs if d == 2) / len(decs)
        f["many_decimals"] = sum(1 for d in decs if d >= 3) / len(decs)
        f["sequential"] = (
            1.0
            if len(nums) > 2 and f["int_share"] == 1 and distinct == n and hi - lo < 3 * n
            else 0.0
        )
    return f


def _ref_shape_features(present: Sequence[CellValue]) -> dict[str, float]:
    hits: Counter[str] = Counter()
    for v in present:
        if isinstance(v, bool):
            hits["bool"] += 1
        elif isinstance(v, datetime):
            hits["datetime"] += 1
        elif isinstance(v, date):
            hits["date"] += 1
        elif isinstance(v, str):
            _ref_string_shapes(v.strip(), hits)
    return {"re_" + key: hits[key] / len(present) for key in bf._SHAPES}


def _ref_string_shapes(s: str, hits: Counter[str]) -> None:
    low = s.lower()
    if low in bf._BOOL_WORDS:
        hits["bool"] += 1
    if bf._RE_DATETIME.match(s):
        hits["datetime"] += 1
    elif bf._RE_DATE.match(s):
        hits["date"] += 1
    for pattern, key in (
        (bf._RE_PERCENT, "percent"),
        (bf._RE_URL, "url"),
        (bf._RE_SKU, "sku"),
    ):
        if pattern.match(s):
            hits[key] += 1
    if bf.is_gtin(s):
        hits["sku"] += 1
    if bf._RE_VERSION.match(s):
        hits["version"] += 1
        if bf._RE_SEMVER3.match(s):
            hits["semver3"] += 1
    for pattern, key in (
        (bf._RE_POSTAL, "postal"),
        (bf._RE_UUID, "uuid"),
        (bf._RE_PREFIXED_ID, "prefixed_id"),
        (bf._RE_EMAIL, "email"),
        (bf._RE_MONEY, "money"),
    ):
        if pattern.match(s):
            hits[key] += 1
    if s in bf.CURRENCY_CODES:
        hits["currency"] += 1
    if s in bf.COUNTRY_CODES:
        hits["country_code"] += 1
    if low in bf.COUNTRY_NAMES:
        hits["country_name"] += 1
    if bf._RE_TITLE_WORDS.match(s):
        hits["title_words"] += 1
        if low.endswith(bf._CITY_SUFFIXES) or low.split(" ")[0] in bf._CITY_PREFIXES:
            hits["city_like"] += 1
    if len(s) > 30 and s.count(" ") >= 4:
        hits["sentence"] += 1


# --- comparison -------------------------------------------------------------------------


def _bits(features: dict[str, float]) -> list[tuple[str, str]]:
    """Keys in order with each value's exact bits (``float.hex``; NaN as one token)."""
    return [
        (k, "nan" if isinstance(v, float) and math.isnan(v) else float(v).hex())
        for k, v in features.items()
    ]


def _assert_same(columns: Sequence[ColumnSample]) -> None:
    for col in columns:
        expected = _bits(_ref_value_features(col))
        assert _bits(bf._value_features(col)) == expected, col.name


_POOL: tuple[CellValue, ...] = (
    0.0, -0.0, 1.0, 1, True, False, "0", "-0", " 0 ", "0.0", "-0.0", "1e3", "1,000", "12%",
    " 5 %", "  ", "\t", "2024-01-02", "2024-01-02T10:00:00", "2024-01-02 10:00", "v1.2.3",
    "1.2", "abc@x.org", "US", " US", "France", "france", "New York", "Springfield",
    "Hello World Foo Bar", "A quick brown fox jumps over the lazy dog, twice", "SKU-12345",
    "AB1234", "SW1A 1AA", "$12", "€3", "usd", "USD", "yes", "N", "Yes", float("nan"),
    float("inf"), -float("inf"), Decimal("1.0"), Decimal("1.00"), Decimal("-0.5"),
    date(2020, 1, 2), datetime(2020, 1, 2, 3, 4, 5, 600),
    datetime(2020, 1, 2, 3, 4, 5, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2020, 1, 2, 3, 4, 5, 500000, tzinfo=UTC), b"\x00\x01", None, "",
    10**20, -7, 3.14159, 2.5, 0.25, 1999, 2001.0, "١٢٣", "²", "www.x.com", "HTTPS://A.B",
    "123e4567-e89b-12d3-a456-426614174000", "Ünïcödé text", "ſ", "e5", ".5", "+3",
    "1/2/24", "12.3.2024", "2024/1/2", "12345-6789", "SW1A1AA", "K1A 0B1", "555-1234",
    "INV-20240", "ab_12345", "1.2.3-rc.1", "v2.0", "12 %", "£ 5", "¥5", "http://x.y",
    "www.example.org", "Port Townsend", "North Hill", "Lake View", "192.168.1.1",
    "123-45-6789", "+1-555-0100", "1,2", "1,234,567.25", "-1.5e-3", "+.5", "1.", "١,٢٣٤",
)  # fmt: skip

#: Characters that number, date, version and other shape patterns are made of (with letters
#: and spaces): random strings of them reach the patterns' edges.
_SHAPE_ALPHABET = "0123456789,.eE+-/:%@ _AZavwT$€١²"


def _fuzz_columns(seed: int, count: int) -> list[ColumnSample]:
    """Columns of mixed and of one plain type, with ties that only look alike (0.0, -0.0)."""
    rng = random.Random(seed)
    strings = [v for v in _POOL if isinstance(v, str)]
    out = []
    for i in range(count):
        size = rng.randint(0, 260)
        mode = i % 8
        if mode == 0:
            values: list[CellValue] = [rng.choice(_POOL) for _ in range(size)]
        elif mode == 1:
            values = [rng.choice([0.0, -0.0, 1.0, 0.5, -2.0, 1e-9, math.nan]) for _ in range(size)]
        elif mode == 2:
            choices = ["0", "-0", "0.0", "-0.0", "1", " 1", "2.50", "3.125", "1e2", "x", ""]
            values = [rng.choice(choices) for _ in range(size)]
        elif mode == 3:
            values = [rng.randint(-3, 3) * rng.choice([1, 1000, 10**6]) for _ in range(size)]
        elif mode == 4:
            values = [rng.choice(strings) for _ in range(size)]
        elif mode == 6:
            # Strings without one character class (digits, "-", ".", ":" ...): the column
            # gates skip patterns, the other shapes are still there.
            missing = rng.choice(["0123456789", "-", ".", ":", "-.", "/-.", "@", "%"])
            kept = [v for v in strings if not set(v) & set(missing)]
            values = [rng.choice(kept) for _ in range(size)]
        elif mode == 7:
            # Random strings of shape characters, 0 to 12 long, a few padded.
            values = []
            for _ in range(size):
                text = "".join(rng.choices(_SHAPE_ALPHABET, k=rng.randint(0, 12)))
                number = bf._as_number(text)
                if number is not None and math.isinf(number):
                    continue  # "1e999": the per-value reference's int() raises on it
                values.append(f" {text} " if rng.random() < 0.1 else text)
        else:
            # Only dates (or only date-times, some with microseconds), and nulls.
            start = datetime(2020, 1, 1, 12, 30, 15)
            values = []
            for _ in range(size):
                moment = start + timedelta(rng.randint(0, 999), microseconds=rng.choice([0, 5]))
                value = moment.date() if i % 12 == 5 else moment
                values.append(None if rng.random() < 0.1 else value)
        out.append(ColumnSample(f"c{i}", "string", tuple(values)))
    return out


def test_edge_values_give_the_per_value_features() -> None:
    _assert_same(_fuzz_columns(7, 400))


def test_corpus_and_real_tables_give_the_per_value_features() -> None:
    tables = [t.sample for t in build_corpus("test", tables=40)]
    tables += [t.sample for t in load_real_tables()]
    _assert_same([c for t in tables for c in t.columns])


def test_faker_tables_give_the_per_value_features() -> None:
    faker = pytest.importorskip("faker")
    fake = faker.Faker(["en_US", "de_DE"])
    fake.seed_instance(3)
    gens = (fake.email, fake.name, fake.city, fake.iban, fake.url, fake.sentence, fake.ipv4)
    columns = [ColumnSample(g.__name__, "string", tuple(g() for _ in range(300))) for g in gens]
    _assert_same(columns)


def _table(columns: Sequence[ColumnSample]) -> TableSample:
    return _sample("s3://bucket/sales/orders/part-0.csv", "speed", columns, "csv")


def test_vectorise_of_float_rows_is_the_general_path() -> None:
    model = BusinessModel.load()
    linear = model._columns  # the column-type model: float rows
    sample = _table(_fuzz_columns(11, 40))
    for row in column_model_features(sample, model.semantic):
        fast_idx, fast_vals = linear.vectorise(row)
        # A string value (unknown to the model) takes the general path.
        slow_idx, slow_vals = linear.vectorise({**row, "no such feature": "x"})
        assert fast_idx.tolist() == slow_idx.tolist()
        assert fast_vals.tobytes() == slow_vals.tobytes()


def test_vectorise_keeps_its_lookups_per_key_sequence() -> None:
    """Rows with the keys of an earlier row but other values vectorise as the general path."""
    linear = BusinessModel.load()._columns
    rng = random.Random(5)
    rows = [{f"ng=^{c}": 1.0, "null_share": 0.5, "tok=id": 1.0, "zz": 2.0} for c in "abc"]
    rows += [{}, {"tok=id": 1.0}, {"no such feature": 3.0}]
    for _ in range(3):
        for row in rows:
            row = {k: rng.choice([0.0, -0.0, 1.0, rng.random(), math.nan]) for k in row}
            fast_idx, fast_vals = linear.vectorise(row)
            slow_idx, slow_vals = linear.vectorise({**row, "no such feature": "x"})
            assert fast_idx.tolist() == slow_idx.tolist()
            assert fast_vals.tobytes() == slow_vals.tobytes()
            fast_idx[:] = -1  # the caller's to change: the kept lookups stay as they were
    assert any(len(row) and linear.vectorise(row)[0].min() >= 0 for row in rows)


def _ref_column_model_features(sample: TableSample, model: BusinessModel) -> list[dict[str, float]]:
    """column_model_features from the uncached pieces, as the code before the caches."""
    vectors = model.semantic
    assert vectors is not None
    tokens = bf.path_tokens(sample)
    rows = []
    for i, col in enumerate(sample.columns):
        f = bf._name_features(col.name, col.data_type, i, tokens)
        values = bf._value_features(col)
        f.update(bf._key_value_features(f, values, i))
        if f.get("key_suffix") and bf.name_tokens(col.name)[-1] not in bf._VALUE_KEY_WORDS:
            values = {bf.KEY_VALUE_PREFIX + k: v for k, v in values.items()}
        f.update(values)
        rows.append(f | column_name_features(vectors, bf.name_tokens(col.name)))
    return rows


def test_cached_name_features_equal_a_fresh_computation() -> None:
    """One name in other positions, types and paths, and callers that change what they got."""
    model = BusinessModel.load()
    vectors = model.semantic
    assert vectors is not None
    names = ["customer_id", "id", "orderKey", "Geburtsdatum", "code", "amount", "x9", "", "__"]
    values: list[tuple[CellValue, ...]] = [(1, 2, 2), ("a", "b"), (None,), (1.5, -0.0), ()]
    rng = random.Random(3)
    paths = ["s3://lake/customers/part-0.csv", "s3://lake/orders/x.csv", "file:///a/b/c/d.csv"]
    for round_ in range(40):
        picked = rng.sample(names, rng.randint(1, len(names)))
        cols = [
            ColumnSample(n, rng.choice(["string", "int64", "double"]), rng.choice(values))
            for n in picked
        ]
        sample = _sample(rng.choice(paths), "cache", cols, "csv")
        got = column_model_features(sample, vectors)
        assert [_bits(r) for r in got] == [
            _bits(r) for r in _ref_column_model_features(sample, model)
        ], round_
        for row in got:  # the caller's to change: the cached features stay as they were
            row.clear()
        sem = semantic_features(vectors, sample)
        ref = _semantic_features(vectors, path_words(sample), column_words(sample))
        assert _bits(sem) == _bits(ref)
        sem.clear()
