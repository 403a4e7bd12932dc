"""The faster pattern layer (issue 17, task scanspeed) gives the same results as the plain one.

- :func:`prefilter_columns` skips columns lacking the characters every match needs
  (:func:`required_chars`): its masks must equal one RE2 pass per spec over every value;
- :class:`ColumnScan` given a list keeps it (no array round trip): same tallies, same
  errors as given the array;
- :func:`bounded_tallies` sorts its sample order with decorated tuples: same outcome;
- scanspeed2: the sample order sorted as integers (CRC-32 ties re-sorted) equals the
  tuples' order; :meth:`ColumnScan.tallies_many` equals one :meth:`ColumnScan.tallies` per
  keep; :meth:`ColumnScan.pattern_hits` with a limit differs only past it.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import string
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from classifiers.pii.arrays import string_array
from classifiers.pii.bounded import _hash_order, bounded_tallies
from classifiers.pii.patterns import (
    BUILTIN_PATTERNS,
    ColumnScan,
    PatternSpec,
    compile_specs,
    prefilter_columns,
    required_chars,
)

#: Regexes whose requirements are subtle (case folding, RE2-only syntax, non-ASCII literals).
_TRICKY = (
    PatternSpec("X_ICASE", "icase", r"(?i)k[0-9]s", None, 0.5),
    PatternSpec("X_ICASE_LOCAL", "icase_local", r"(?i:ab)@", None, 0.5),
    PatternSpec("X_BRACE", "brace", r"a{,2}b", None, 0.5),
    PatternSpec("X_ACCENT", "accent", r"caf[éè]", None, 0.5),
    PatternSpec("X_HEX", "hex", r"\x40[a-z]", None, 0.5),
    PatternSpec("X_NEG", "neg", r"[^a-z]{2}#", None, 0.5),
    PatternSpec("X_BRANCH", "branch", r"(?:x\d|y-|\bz)!", None, 0.5),
    PatternSpec("X_OPTIONAL", "optional", r"(?:q\d)?r", None, 0.5),
    PatternSpec("X_FULL", "full", r"[0-9]{4}", None, 0.5, full_match_only=True),
    PatternSpec("X_LOOK", "look", r"(?<![0-9])[0-9]{2}(?=%)", None, 0.5),
)

_ALPHABET = string.ascii_letters + string.digits + " -.@:/#%!_+()éèKſ１２＠\t"


def _columns(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    cols: list[list[str]] = []
    for _ in range(12):
        # Narrow alphabets too, so that some columns lack digits, '@', ':' ...
        alphabet = rng.choice([_ALPHABET, string.ascii_letters + " ", "abc@.", "0123456789-"])
        cols.append(
            list(
                dict.fromkeys(
                    "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
                    for _ in range(rng.randint(0, 60))
                )
            )
        )
    cols.append([])
    cols.append(["my ssn is 123-45-6789", "kAs", "K1ſ", "ab@", "AB@", "café", "@x", "12%"])
    cols.append(["x1!", "y-!", " z!", "r", "1234", " 5678 ", "١٢٣", "ＡＢ@", "ＫＫ", "ss"])
    return cols


def _reference(
    columns: list[list[str]], specs: tuple[PatternSpec, ...]
) -> list[list[list[int] | None]]:
    """One RE2 pass per spec over every value (the plain algorithm)."""
    compiled = compile_specs(specs)
    arr = string_array([t for col in columns for t in col])
    starts = list(itertools.accumulate((len(c) for c in columns), initial=0))
    out: list[list[list[int] | None]] = [[] for _ in columns]
    for cs in compiled.specs:
        hits: list[int] = []
        if cs.prefilter is not None:
            mask = pc.match_substring_regex(arr, pattern=cs.prefilter)
            hits = pc.indices_nonzero(mask).to_pylist()
        for k in range(len(columns)):
            mine = [i - starts[k] for i in hits if starts[k] <= i < starts[k + 1]]
            out[k].append(mine if cs.prefilter is not None else None)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_prefilter_masks_equal_full_passes(seed: int) -> None:
    columns = _columns(seed)
    specs = BUILTIN_PATTERNS + _TRICKY
    assert prefilter_columns(columns, specs) == _reference(columns, specs)


def re2_hits(specs: tuple[PatternSpec, ...], texts: list[str]) -> Iterator[tuple[str, str]]:
    """Each (prefilter, text) where the spec's RE2 prefilter matches the text."""
    arr = string_array(texts)
    for cs in compile_specs(specs).specs:
        if cs.prefilter is None:
            continue
        mask = pc.match_substring_regex(arr, pattern=cs.prefilter).to_pylist()
        yield from ((cs.prefilter, t) for t, hit in zip(texts, mask, strict=True) if hit)


def test_required_chars_hold_for_every_re2_match() -> None:
    specs = BUILTIN_PATTERNS + _TRICKY
    texts = [t for col in _columns(99) for t in col] + [t for col in _columns(7) for t in col]
    for prefilter, text in re2_hits(specs, texts):
        assert all(any(ch in text for ch in chars) for chars in required_chars(prefilter)), (
            prefilter
        )


def test_required_chars_are_conservative_on_tricky_syntax() -> None:
    assert required_chars(r"[0-9]{3}-[0-9]{2}") == (frozenset("0123456789"), frozenset("-"))
    assert required_chars(r"(?i)k[0-9]s") == (frozenset("0123456789"),)  # letters fold
    assert required_chars(r"[[:digit:]]{3}") == ()  # POSIX class: RE2 reads it differently
    assert required_chars(r"a{,2}b") == ()  # a literal in RE2
    assert required_chars(r"\pN") == ()
    assert required_chars(r"(?:q\d)?r") == (frozenset("r"),)
    assert required_chars(r"(?:x\d|y-|\bz)!") == (frozenset("xyz"), frozenset("!"))
    assert required_chars(r"[^a-z]#") == (frozenset("#"),)
    assert required_chars(r"(") == ()


def test_prefilter_lone_surrogate_still_none() -> None:
    assert prefilter_columns([["ok"], ["bad\ud800"]], BUILTIN_PATTERNS) is None


def _view(tallies: dict[str, Any]) -> dict[str, Any]:
    return {e: dataclasses.asdict(t) for e, t in tallies.items()}


def _run(values: Any, counts: list[int], **kw: Any) -> Any:
    try:
        scan = ColumnScan(values, counts, **kw)
    except Exception as exc:
        return (type(exc).__name__, str(exc))
    scan.match()
    return _view(scan.tallies())


@pytest.mark.parametrize(
    "texts",
    [
        ["a@b.com", "555-123-4567", "4111 1111 1111 1111", "plain"],
        ["ok", "bad\ud800"],
        ["ok", None],
        ["x", 3],
    ],
)
def test_column_scan_list_equals_array_path(texts: list[Any]) -> None:
    counts = [1] * len(texts)
    try:
        arr = pa.array(texts, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        arr = None
    as_list = _run(texts, counts)
    if arr is not None and None not in texts:
        assert as_list == _run(arr, counts)
    # The list path raises as building the array from the list did.
    try:
        string_array(texts)
    except Exception as exc:
        assert as_list == (type(exc).__name__, str(exc))


def _phone_column(n: int, seed: int) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts = list(
        dict.fromkeys(
            f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            for _ in range(n)
        )
    )
    texts += [f"ip 10.0.{i}.{i}" for i in range(40)] + [f"{i:09d}" for i in range(40)]
    return texts, [rng.choice((1, 1, 2, 5)) for _ in texts]


def test_bounded_same_with_given_or_own_candidates() -> None:
    texts, counts = _phone_column(900, 3)
    given = prefilter_columns([texts], BUILTIN_PATTERNS)
    assert given is not None

    def decide(t: Any) -> Any:
        return tuple(sorted((e, x.full * 10 // max(1, sum(counts))) for e, x in t.items()))

    a = bounded_tallies(ColumnScan(texts, counts, candidates=given[0]), decide)
    b = bounded_tallies(ColumnScan(string_array(texts), counts), decide)
    assert _view(a[0]) == _view(b[0])
    assert a[1] == b[1]
    assert a[1].rounds > 0  # the sampled path ran


# --- scanspeed2: integer-key hash order, cached tally passes, early-stopping pattern hits


def _old_hash_order(indices: list[int], texts: list[str | None]) -> list[int]:
    decorated = [
        (zlib.crc32((texts[i] or "").encode("utf-8", "surrogatepass")), texts[i] or "", i)
        for i in indices
    ]
    return [d[2] for d in sorted(decorated)]


#: Pairs of texts with the same CRC-32 (found by search): ties broken by text, then index.
_CRC_TWINS = ("596514513", "1090097864", "596094806", "1090517571", "592016521", "1094595856")


@pytest.mark.parametrize("seed", range(4))
def test_hash_order_equals_decorated_sort(seed: int) -> None:
    rng = random.Random(seed)
    texts: list[str | None] = [t for col in _columns(seed) for t in col]
    texts += list(_CRC_TWINS) * 2 + [None, "", None, "x\ud800"] + [str(k) for k in range(500)]
    rng.shuffle(texts)
    assert zlib.crc32(_CRC_TWINS[0].encode()) == zlib.crc32(_CRC_TWINS[1].encode())
    for indices in (list(range(len(texts))), sorted(rng.sample(range(len(texts)), 50)), [], [3]):
        assert _hash_order(indices, texts) == _old_hash_order(indices, texts)


def test_tallies_many_equals_separate_tallies() -> None:
    texts, counts = _phone_column(400, 5)
    texts += [
        "4111 1111 1111 1111 or 555-123-4567",
        "a@b.com 123-45-6789",
        "DE89370400440532013000",
    ]
    counts += [2, 3, 1]
    scan = ColumnScan(texts, counts)
    scan.match(range(0, len(texts), 2))
    keeps: list[Any] = [None, {"PHONE_NUMBER": set(range(0, 200))}, {"US_SSN": {1, 2, 3}}]
    for only in ((False, False, False), (False, True, True)):
        many = scan.tallies_many(keeps, named_only=only)
        for keep, skip, got in zip(keeps, only, many, strict=True):
            want = scan.tallies(keep)
            if skip:
                want = {e: t for e, t in want.items() if e in keep}
            assert _view(got) == _view(want)
    scan.match()  # the cached order is renewed after more matching
    fresh = ColumnScan(texts, counts)
    fresh.match()
    assert _view(scan.tallies()) == _view(fresh.tallies())
    assert scan.entities_matched == {e for ms in fresh.per_value.values() for e, *_ in ms}


def test_pattern_hits_limit_stops_early_only_past_it() -> None:
    texts, _ = _phone_column(300, 8)
    scan = ColumnScan(texts, [1] * len(texts))
    every = scan.pattern_hits("PHONE_NUMBER", range(len(texts)))
    assert scan.pattern_hits("PHONE_NUMBER", range(len(texts)), len(every)) == every
    some = scan.pattern_hits("PHONE_NUMBER", range(len(texts)), 10)
    assert len(some) == 11 and set(some) <= set(every)
