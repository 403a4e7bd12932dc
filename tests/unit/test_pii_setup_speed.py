"""Issue 17: the PII classifier's per-table setup, with the answers of the slower forms.

- :func:`profile_table` hands over the string array its RE2 passes ran on, and
  :func:`prefilter_columns` given that array answers as when it builds its own;
- :class:`_ColumnGate` searches a column's bytes for the characters asked about instead of
  histogramming them: same answers as the histogram;
- :func:`_count_values` of an integer column of distinct values skips the counter.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from bench.pii import build_table
from classifiers.pii import patterns as pt
from classifiers.pii import profile as prof
from classifiers.pii.arrays import string_array, string_layout
from classifiers.pii.classifier import PiiClassifier
from models import ColumnSample

_ALPHABET = "aZ09 @.-:/_+#é日\u00a0\t😀"


def _string_texts(profiles: list[prof.ColumnProfile]) -> list[list[str]]:
    return [p.texts for p in profiles if p.kind == "string" and p.texts]


def test_profile_table_hands_over_the_array_of_its_string_texts() -> None:
    table = build_table(200, 5)
    profiles, arr = prof.profile_table(table.columns)
    assert [repr(p) for p in profiles] == [repr(p) for p in prof.build_profiles(table.columns)]
    texts = list(itertools.chain.from_iterable(_string_texts(profiles)))
    assert arr is not None and arr.equals(string_array(texts))


def test_profile_table_gives_no_array_without_strings_or_with_a_surrogate() -> None:
    ints = ColumnSample("n", "int64", (1, 2, 3))
    assert prof.profile_table([ints])[1] is None
    bad = ColumnSample("s", "string", ("ok", "bad \udcff"))
    assert prof.profile_table([ints, bad])[1] is None


@pytest.mark.parametrize("seed", range(3))
def test_prefilter_with_the_shared_array_equals_its_own(seed: int) -> None:
    table = build_table(300, seed)
    profiles, arr = prof.profile_table(table.columns)
    columns = _string_texts(profiles)
    specs = pt.BUILTIN_PATTERNS
    assert pt.prefilter_columns(columns, specs, arr) == pt.prefilter_columns(columns, specs)


def test_prefilter_ignores_an_array_of_another_length() -> None:
    columns = [["123-45-6789", "x"], ["a@b.co"]]
    other = string_array(["123-45-6789"])
    expected = pt.prefilter_columns(columns, pt.BUILTIN_PATTERNS)
    assert pt.prefilter_columns(columns, pt.BUILTIN_PATTERNS, other) == expected


def test_prefilter_with_the_array_builds_none(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [["123-45-6789", "x"], ["a@b.co"]]
    arr = string_array([t for c in columns for t in c])
    expected = pt.prefilter_columns(columns, pt.BUILTIN_PATTERNS)

    def refuse(texts: object) -> pa.Array:
        raise AssertionError("built again")

    monkeypatch.setattr(pt, "string_array", refuse)
    assert pt.prefilter_columns(columns, pt.BUILTIN_PATTERNS, arr) == expected


def test_classifier_prefilter_drops_an_array_not_of_its_columns() -> None:
    clf = PiiClassifier(today=date(2024, 6, 1))
    table = build_table(100, 2)
    profiles, arr = prof.profile_table(table.columns)
    columns = [clf._prepare(c, p) for c, p in zip(table.columns, profiles, strict=True)]
    whole = clf._prefilter(columns, arr)
    assert whole == clf._prefilter(columns)
    # A column replaced by a warning: the array holds one column too many.
    columns[0].warning = "failed"
    fewer = clf._prefilter(columns, arr)
    assert fewer == clf._prefilter(columns)
    assert id(columns[0]) not in fewer


def _histogram_gate(columns: list[list[str]], k: int, prefilter: str) -> bool:
    """The former gate: a histogram of every byte of the column."""
    data = "".join(columns[k]).encode("utf-8")
    if max((len(t.encode("utf-8")) for t in columns[k]), default=0) < pt.min_chars(prefilter):
        return False
    seen = np.bincount(np.frombuffer(data, np.uint8), minlength=256)
    ascii_chars = frozenset(map(chr, np.flatnonzero(seen[:128]).tolist()))
    other = bool(seen[128:].any())
    for chars in pt.required_chars(prefilter):
        found = not chars.isdisjoint(ascii_chars) or (
            other and any(ch in t for ch in chars if not ch.isascii() for t in columns[k])
        )
        if not found:
            return False
    return True


@pytest.mark.parametrize("seed", range(4))
def test_gate_equals_the_byte_histogram(seed: int) -> None:
    rng = random.Random(seed)
    columns = [
        ["".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(0, 12))) for _ in range(n)]
        for n in (rng.randrange(1, 30) for _ in range(8))
    ]
    columns.append([""])
    arr = string_array([t for c in columns for t in c])
    starts = list(itertools.accumulate((len(c) for c in columns), initial=0))
    gate = pt._ColumnGate(arr, starts, columns)
    prefilters = [leaf for step in pt.compile_specs(pt.BUILTIN_PATTERNS).passes
                  for leaf, _ in step.leaves] + ["@", "é", "日", "[0-9]{3}", "x{20}"]  # fmt: skip
    for k in range(len(columns)):
        for prefilter in prefilters:
            assert gate.may_match(k, prefilter) == _histogram_gate(columns, k, prefilter)
    assert string_layout(arr)[1] is not None


def _reference_counts(values: list[int]) -> tuple[list[str], list[int]]:
    ordered = Counter(map(str, values)).most_common()
    return [t for t, _ in ordered], [c for _, c in ordered]


@pytest.mark.parametrize(
    "values",
    [[5], [3, -1, 10**20, 0], [2, 2, 1, 3, 1, 2], list(range(1000, 0, -1))],
)
def test_integer_counts_equal_the_counter(values: list[int]) -> None:
    profile, ordered = prof._count_values(ColumnSample("n", "int64", tuple(values)))
    texts, counts = _reference_counts(values)
    assert (profile.texts, profile.counts, profile.n) == (texts, counts, len(values))
    assert ordered == list(zip(texts, counts, strict=True))
