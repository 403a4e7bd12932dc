"""Issue 17's cheaper profile, second round: the same :class:`ColumnProfile` as before.

The RE2 passes run on the values holding the characters their matches need (byte classes);
the suffix repeat is vectorised; the organisation and street-word flags decide on ASCII text
without "/". Each holds here against the ungated passes and the plain Python rules, on
synthetic, adversarial and Faker values of several locales.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from bench.pii import build_table
from classifiers.pii import profile as P  # noqa: N812
from models import ColumnSample
from tests.unit.test_pii_profile_speed import _adversarial_columns, _texts

#: Hex, digits and the characters next to the gates' edges ("c/", "ab", "ſ", Kelvin sign).
_EDGE_PIECES = (
    "ab", "c/", "cañada", "12", "0x1f", "fe80::1", "ſt", "\u212ag", "İnc", "ınc", "&", "a/s",
    "Main St", "St 5", "12 Main", "x", "-", ",", ".", " ", "\t", "\n", "²", "٣", "é", "", "De",
    "van", "Acme Ltd.", "ab 12", "Ab", "deadbeef", "Straße 4", "weg", "straat 9", "  ",
)  # fmt: skip


@functools.cache
def _gate_texts() -> list[str]:
    rng = random.Random(41)
    out = [t for t in _texts() if t]
    out += [v for c in build_table(200, 3).columns for v in c.values if isinstance(v, str)]
    for _ in range(3000):
        out.append("".join(rng.choice(_EDGE_PIECES) for _ in range(rng.randint(1, 6))))
    return out


def _reference_classes(text: str) -> int:
    """The byte classes of ``text`` from str methods, one character at a time."""
    out = 0
    for char in text:
        if not char.isascii():
            out |= P._NON_ASCII | P._NOT_PRINTABLE
            continue
        if char.isdigit():
            out |= P._DIGIT
        if char.isalpha():
            out |= P._LETTER
        elif char not in "'.-, \n":
            out |= P._NOT_NAME
        if char.isspace() or char == ",":
            out |= P._SEPARATOR
        if (char.isalpha() and char.lower() > "f") or char == "/":
            out |= P._NOT_HEX
        if char == "&":
            out |= P._AMPERSAND
        if not char.isprintable():
            out |= P._NOT_PRINTABLE
    return out


def test_value_classes_equal_a_per_character_definition() -> None:
    texts = ["", *_gate_texts()[:3000], "", "a"]
    arr = P.text_array(texts)
    assert arr is not None
    assert P._value_classes(arr).tolist() == [_reference_classes(t) for t in texts]
    part = arr.slice(7, 50)
    assert P._value_classes(part).tolist() == [_reference_classes(t) for t in texts[7:57]]
    printable = (P._value_classes(arr) & P._NOT_PRINTABLE) == 0
    assert printable.tolist() == P._printable(arr).tolist()
    empty = P.text_array(["", ""])
    assert empty is not None and P._value_classes(empty).tolist() == [0, 0]


def _mask(texts: list[str], pattern: str) -> np.ndarray:
    flags = P.precheck(texts, pattern)
    assert flags is not None
    return np.array(flags, bool)


def test_every_match_is_a_candidate_of_its_gate() -> None:
    texts = _gate_texts()
    arr = P.text_array(texts)
    assert arr is not None
    classes = P._value_classes(arr)
    printable = (classes & P._NOT_PRINTABLE) == 0
    name_pre = _mask(texts, P._NAME_PRECHECK)
    assert not (name_pre & ((classes & P._NOT_NAME) != 0)).any()
    # The ASCII name pass runs on the name pre-check's matches only.
    assert not (_mask(texts, P._NAME_ASCII) & ~name_pre).any()
    shape = _mask(texts, P._STREET_SHAPE_ASCII)
    assert not (shape & ~(P._has_all(classes, P._SHAPE_NEEDS) & printable)).any()
    assert not (_mask(texts, P._ORG_PRECHECK) & ~P._has_any(classes, P._ORG_NEEDS)).any()
    word = _mask(texts, P._STREET_WORD_PRECHECK)
    assert not (word & ~P._has_any(classes, P._NOT_HEX | P._NON_ASCII)).any()
    digit = np.array([any(c.isdigit() for c in t) for t in texts], bool)
    assert not (digit & ~P._has_any(classes, P._DIGIT | P._NON_ASCII)).any()
    multi = _mask(texts, P._MULTI_WORD_PRECHECK)
    assert not (multi & ~P._has_any(classes, P._SEPARATOR | P._NON_ASCII)).any()
    # The gates do leave values out (else they would not pay).
    assert (classes & P._NOT_NAME).any() and not P._has_any(classes, P._ORG_NEEDS).all()


def _columns() -> list[ColumnSample]:
    rng = random.Random(5)
    columns = [
        ColumnSample(f"a{i}", "string", tuple(c)) for i, c in enumerate(_adversarial_columns(2))
    ]
    texts = _gate_texts()
    for size in (1, 30, 400, 2600):
        columns.append(ColumnSample(f"g{size}", "string", tuple(rng.sample(texts, size))))
    suffixes = ["Ltd", "Ltd.", "GmbH", "ınc", "İNC", "x", "A.", "Straße", "ẞ", "", ","]
    separators = [" ", ", ", "\t", "\u00a0"]
    for size in (19, 20, 25, 60, 300, 2500):
        values = tuple(
            rng.choice(texts)[:12] + rng.choice(separators) + rng.choice(suffixes)
            for _ in range(size)
        )
        columns.append(ColumnSample(f"s{size}", "string", values))
    for seed in (4, 5):
        columns.extend(build_table(300, seed).columns)
    columns.append(ColumnSample("floats", "double", (1.5, True, 2.5, float("nan"))))
    columns.append(ColumnSample("ints", "int64", tuple(rng.randint(-50, 900) for _ in range(60))))
    return columns


def _fields(profiles: list[P.ColumnProfile]) -> list[dict[str, object]]:
    return [{k: repr(getattr(p, k)) for k in P.ColumnProfile.__slots__} for p in profiles]


def _ungated(arr: pa.Array, pattern: str, candidates: np.ndarray) -> np.ndarray | None:
    return P._re2_mask(arr, pattern)


def _no_suffix_repeats(
    arr: pa.Array, multi: object, printable: object, counts: object, bounds: np.ndarray, *_: object
) -> list[float | None]:
    return [None] * (len(bounds) - 1)


def test_profiles_equal_the_ungated_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = _columns()
    fast = _fields(P.build_profiles(columns))
    alone = _fields([P.build_profile(c) for c in columns])
    assert fast == alone
    # Every pass over every value, the suffix repeat and the flags' last look in Python.
    monkeypatch.setattr(P, "_gated_mask", _ungated)
    monkeypatch.setattr(P, "_suffix_repeats", _no_suffix_repeats)
    monkeypatch.setattr(P, "_plain", lambda arr, *_: np.zeros(len(arr), bool))
    assert _fields(P.build_profiles(columns)) == fast
    # No RE2 pass at all: the plain Python checks.
    monkeypatch.setattr(P, "_re2_mask", lambda arr, pattern: None)
    assert _fields(P.build_profiles(columns)) == fast


def _plain_suffix_repeat(ordered: list[tuple[str, int]]) -> float:
    return P._suffix_repeat(ordered, None)


def test_vectorised_suffix_repeat_equals_the_python_one() -> None:
    columns = _columns()
    seen = 0
    for profile in P.build_profiles(columns):
        if profile.kind == "string":
            ordered = list(zip(profile.texts, profile.counts, strict=True))
            assert profile.suffix_repeat == _plain_suffix_repeat(ordered), profile.name
            seen += profile.suffix_repeat > 0
    assert seen >= 5


def _sorted_sequential(texts: list[str]) -> bool:
    try:
        numbers = sorted(int(t) for t in texts)
    except ValueError:
        return False
    return len(numbers) >= 20 and numbers[-1] - numbers[0] + 1 <= 50 * len(numbers)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: [str(r.randint(0, 999)) for _ in range(30)],
        lambda r: [str(r.randint(-(10**9), 10**9)) for _ in range(30)],
        lambda r: [str(i) for i in range(19)],
        lambda r: [str(i) for i in range(20)] + ["x"],
        lambda r: [" 12", "1_000", "٣", *map(str, range(40))],
    ],
)
def test_sequential_by_range_equals_the_sorted_one(
    make: Callable[[random.Random], list[str]],
) -> None:
    texts = make(random.Random(2))
    assert P._sequential(texts) == _sorted_sequential(texts)


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["1", "22", "333"],
        ["1", "-2"],
        ["1", ""],
        ["١٢", "3"],
        ["²"],
        ["12a"],
        ["1 2"],
        ["+1"],
        ["0" * 50, "9"],
    ],
)
def test_all_decimal_equals_the_regex(texts: list[str]) -> None:
    assert P._all_decimal(texts) == all(P._DECIMAL.fullmatch(t) for t in texts)
