"""The cheaper prefilter and bounded scan (issue 17, task prefilterspeed) change no result.

- :func:`prefilter_columns` runs specs with the same prefilter once, and the full-match-only
  specs' prefilters as one alternation first (each then only on the values it flagged): its
  lists must equal one RE2 pass per spec over every value;
- :func:`required_chars` of an alternation also names the smallest set per branch (every
  IPv6 form has ':'); a column whose values are all shorter than a prefilter's shortest
  match (:func:`min_chars`) is left out of its pass;
- :func:`bounded_tallies` sums integer counts in numpy: the same outcome as Python's sums,
  and float counts keep the Python sums.
"""

from __future__ import annotations

import dataclasses
import random
import string
from typing import Any

import pytest

from classifiers.pii.bounded import _int_counts, bounded_tallies
from classifiers.pii.patterns import (
    BUILTIN_PATTERNS,
    ColumnScan,
    PatternSpec,
    compile_specs,
    min_chars,
    prefilter_columns,
    required_chars,
)
from tests.unit.test_pii_scan_speed import _reference, re2_hits

#: Full-match-only specs (one alternation), a duplicate prefilter, RE2-only syntax, flags.
_SPECS = (
    PatternSpec("X_FULL_DIGITS", "full_digits", r"[0-9]{4}", None, 0.5, full_match_only=True),
    PatternSpec("X_FULL_SAME", "full_same", r"[0-9]{4}", None, 0.5, full_match_only=True),
    PatternSpec("X_FULL_ICASE", "full_icase", r"(?i)k[0-9]", None, 0.5, full_match_only=True),
    PatternSpec("X_FULL_BRACE", "full_brace", r"a{,2}b", None, 0.5, full_match_only=True),
    PatternSpec("X_FULL_LOOK", "full_look", r"(?<!x)ab(?=c)c", None, 0.5, full_match_only=True),
    PatternSpec("X_FULL_BACKREF", "full_ref", r"(a)\1", None, 0.5, full_match_only=True),
    PatternSpec("X_PART", "part", r"[0-9]{4}", None, 0.5),
    PatternSpec("X_BRANCH", "branch", r"(?:[0-9a-f]{2}:|::)[0-9]", None, 0.5),
)

_ALPHABET = string.ascii_letters[:8] + string.digits + " -.@:/#()kKſ１é\t"


def _columns(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    cols: list[list[str]] = []
    for _ in range(10):
        alphabet = "".join(rng.sample(_ALPHABET, rng.randint(2, len(_ALPHABET))))
        texts = (
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            for _ in range(rng.randint(0, 80))
        )
        cols.append(list(dict.fromkeys(texts)))
    cols.append([])
    cols.append(["1234", " 5678 ", "k1", "K2", "ſ3", "a{,2}b", "abc", "xabc", "aa", "ab:1", "::7"])
    cols.append(["123-45-6789", "123456789", "A1234567", "a@b.co", "10.0.0.1", "fe80::1"])
    return cols


@pytest.mark.parametrize("seed", range(8))
def test_grouped_prefilter_equals_one_pass_per_spec(seed: int) -> None:
    columns = _columns(seed)
    for specs in (BUILTIN_PATTERNS + _SPECS, _SPECS, BUILTIN_PATTERNS):
        assert prefilter_columns(columns, specs) == _reference(columns, specs)


def test_passes_share_prefilters_and_group_full_match_specs() -> None:
    compiled = compile_specs(BUILTIN_PATTERNS + _SPECS)
    served = sorted(si for p in compiled.passes for _, members in p.leaves for si in members)
    with_re2 = [si for si, cs in enumerate(compiled.specs) if cs.prefilter is not None]
    assert served == with_re2  # every RE2 prefilter runs, once
    names = {cs.spec.name: si for si, cs in enumerate(compiled.specs)}
    group = next(p for p in compiled.passes if len(p.leaves) > 1)
    grouped = {si for _, members in group.leaves for si in members}
    assert {names["us_ssn_plain"], names["us_passport_digits"]} <= grouped
    assert names["full_brace"] not in grouped  # RE2-only syntax stays alone
    assert names["part"] not in grouped  # not anchored
    same = [m for p in compiled.passes for _, m in p.leaves if names["full_digits"] in m]
    assert same == [(names["full_digits"], names["full_same"])]


def test_prefilter_results_are_not_shared_lists() -> None:
    found = prefilter_columns([["123456789"]], BUILTIN_PATTERNS)
    assert found is not None
    names = [s.name for s in BUILTIN_PATTERNS]
    ssn, passport = (
        found[0][names.index("us_ssn_plain")],
        found[0][names.index("us_passport_digits")],
    )
    assert ssn == passport == [0] and ssn is not passport


def test_required_chars_of_branches_name_the_shared_character() -> None:
    ipv6 = next(cs for cs in compile_specs(BUILTIN_PATTERNS).specs if cs.spec.name == "ipv6")
    assert frozenset(":") in required_chars(ipv6.prefilter or "")
    assert required_chars(r"(?:ab:|c:d)") == (frozenset("ac"), frozenset(":"))
    assert required_chars(r"(?:x\d|y-|\bz)!") == (frozenset("xyz"), frozenset("!"))


def test_min_chars_hold_for_every_re2_match() -> None:
    specs = BUILTIN_PATTERNS + _SPECS
    texts = [t for seed in (3, 9) for col in _columns(seed) for t in col]
    texts += ["4111111111111111", "123-45-6789", "a@b.co", "::", "1234", "x" * 40]
    for prefilter, text in re2_hits(specs, texts):
        assert len(text) >= min_chars(prefilter), prefilter
    assert min_chars(r"[0-9]{3}-[0-9]{2}") == 6
    assert min_chars(r"a{,2}b") == 0  # a literal in RE2: not derived
    assert min_chars(r"(?:ab|c)?d") == 1


def test_short_columns_skip_long_prefilters() -> None:
    columns = [["12", "123"], ["4111 1111 1111 1111"], [""]]
    assert prefilter_columns(columns, BUILTIN_PATTERNS) == _reference(columns, BUILTIN_PATTERNS)


def test_int_counts_only_when_exact() -> None:
    assert _int_counts([1, 2, 3]) is not None
    floats: Any = [1.0, 2.0]
    assert _int_counts(floats) is None
    assert _int_counts([2**40, 1]) is None
    assert _int_counts([]) is None


def _view(tallies: dict[str, Any]) -> dict[str, Any]:
    return {e: dataclasses.asdict(t) for e, t in tallies.items()}


def test_bounded_sums_match_python_sums() -> None:
    rng = random.Random(4)
    texts = list(
        dict.fromkeys(
            f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            for _ in range(900)
        )
    )
    texts += [f"ip 10.0.{i}.{i}" for i in range(40)] + [f"{i:09d}" for i in range(40)]
    counts: list[Any] = [rng.choice((1, 1, 2, 5)) for _ in texts]

    def decide(t: Any) -> Any:
        return tuple(sorted((e, x.full * 10 // max(1, sum(counts))) for e, x in t.items()))

    ints = bounded_tallies(ColumnScan(texts, counts), decide)
    as_floats: Any = [float(c) for c in counts]
    floats = bounded_tallies(ColumnScan(texts, as_floats), decide)
    assert ints[1].rounds > 0
    assert _view(ints[0]) == _view(floats[0]) and ints[1] == floats[1]


#: Lookarounds that see the blanks a stripped value lacks, an empty-matching regex.
_HIT_SPECS = (
    PatternSpec("X_NOT_AFTER_BLANK", "not_after_blank", r"(?<![ \t])[0-9]{3}(?![ \t])", None, 0.5),
    PatternSpec("X_EMPTY", "empty", r"[0-9]*", None, 0.5),
    PatternSpec("X_WHOLE", "whole", r"(?<! )[a-c]{2}", None, 0.5, full_match_only=True),
)


def _reference_hits(scan: ColumnScan, entity: str, indices: list[int]) -> list[int]:
    """The values some spec of ``entity`` matches non-empty, or matches whole when stripped."""
    out = set()
    for cs in compile_specs(_HIT_SPECS).specs:
        if cs.spec.entity != entity:
            continue
        for i in indices:
            text = scan.texts[i]
            assert text is not None
            whole = cs.pattern.fullmatch(text.strip()) is not None
            some = not cs.spec.full_match_only and any(
                m.end() > m.start() for m in cs.pattern.finditer(text)
            )
            if whole or some:
                out.add(i)
    return sorted(out)


@pytest.mark.parametrize("seed", range(4))
def test_pattern_hits_skip_only_values_without_any_match(seed: int) -> None:
    rng = random.Random(seed)
    texts = list(
        dict.fromkeys(
            "".join(rng.choice("123ab \t") for _ in range(rng.randint(0, 7))) for _ in range(300)
        )
    )
    texts += [" 123", "123 ", "\t123\t", "123", " ab", "ab ", "ab", ""]
    scan = ColumnScan(texts, [1] * len(texts), _HIT_SPECS)
    for entity in ("X_NOT_AFTER_BLANK", "X_EMPTY", "X_WHOLE"):
        every = list(range(len(texts)))
        assert scan.pattern_hits(entity, every) == _reference_hits(scan, entity, every)
