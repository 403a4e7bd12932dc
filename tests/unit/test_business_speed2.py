"""The business value features' second speed-up gives the per-value features, to the bit.

``classifiers.business.features`` now counts character classes from one byte histogram,
sums the length spread per distinct length, reads a float's decimals from its text, tries
the number pattern only on strings whose first character a number may start with, looks
up codes, boolean words and country names only on strings short enough to be one, and uses
possessive forms of the title, prefixed-id and version patterns. Each of these must leave
every feature as the per-value reference (``test_business_features_speed``) computes it.
"""

from __future__ import annotations

import random
import sys
from collections import Counter

from classifiers.business import features as bf
from models import ColumnSample
from tests.unit.test_business_features_speed import _assert_same, _fuzz_columns

#: Characters that reach the edges of each pattern and its fast form (a newline for ``$``).
_ALPHABETS = (
    (bf._RE_TITLE_WORDS, bf._TITLE_WORDS_FAST, "Aa Bb'.-zZ \n1é"),
    (bf._RE_PREFIXED_ID, bf._PREFIXED_ID_FAST, "aZ-_0912\n ١x"),
    (bf._RE_VERSION, bf._VERSION_FAST, "v0912.-+aZ.\n x١"),
)


def test_fast_patterns_match_the_strings_the_patterns_match() -> None:
    rng = random.Random(1)
    for pattern, fast, alphabet in _ALPHABETS:
        texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(60_000)]
        texts += ["1.2.3x", "1.2.3-rc.1", "v1.2", "Ab Cd Ef Gh", "Ab Cd Ef Gh Ij", "A.", "A-"]
        texts += ["ab_12345", "ABCDE12345", "abcd-1234", "Abc\n", "1.2\n", "ab1234\n"]
        for text in texts:
            assert bool(pattern.match(text)) == bool(fast.match(text)), (pattern.pattern, text)


def test_lower_case_never_shortens_and_only_e_lowers_to_e() -> None:
    """What the length gates of the lower-case lookups and the decimals' ``e`` test rely on."""
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        low = c.lower()
        assert len(low) >= 1
        assert ("e" in low) == (c in "eE"), hex(code)
    assert len("ΣΑΣ".lower()) == 3  # the final sigma is one character too


def test_decimal_counts_are_the_per_value_decimals() -> None:
    rng = random.Random(2)
    pool = ["1.50", "2.25", "3.125", "1e5", "1E-3", "7", "7.", ".5", "0.0", "-0.0", "nan", "x.yz"]
    pool += ["1.2.3", "١.٢٣", "inf", "12.3400", " 2.50 ".strip(), "1,000.25"]
    for _ in range(500):
        texts = [rng.choice(pool) for _ in range(rng.randint(1, 100))]
        if rng.random() < 0.5:
            texts = [t for t in texts if "e" not in t.lower()] or ["1.25"]
        decs = [bf._decimals(t) for t in texts]
        assert bf._decimal_counts(texts) == (decs.count(2), sum(d >= 3 for d in decs))
    floats = [rng.choice([0.1, 1e-7, 1e22, 2.5, -0.0, 123.456, float("nan")]) for _ in range(100)]
    decs = [bf._decimals(x) for x in floats]
    assert bf._decimal_counts(list(map(str, floats))) == (decs.count(2), sum(d >= 3 for d in decs))


def test_text_stats_know_whether_a_digit_may_occur() -> None:
    for texts in (["abc", "d e"], ["a1"], ["é", "x"], ["\u00a0"], ["١"], ["x" * 300, "9"]):
        features, chars, digits = bf._text_stats(texts, len(set(texts)))
        assert chars == "".join(texts)
        assert digits == bf._may_hold_digit(chars)
        assert features == bf._text_features(texts, len(set(texts)))


def _gated_columns(seed: int, count: int) -> list[ColumnSample]:
    """String columns around the gates' edges: lengths 2-6, 19-21, 29-31, padded repeats,
    first characters of every kind, numbers with and without an exponent."""
    rng = random.Random(seed)
    short = ["US", "usd", "USD", "yes", "No", "1", "0", "t", "off", "DE", "GBR", "x"]
    words = ["Germany", "united arab emirates", "United Arab Emirates!", "South Africa"]
    words += ["Port Townsend", "A quick brown fox jumps over it", "a b c d e f g h i j k l mn"]
    words += ["x" * 29, "x" * 30, "x" * 31, "a b c d e f g h i j k l m n o p"]
    numbers = ["1.50", " 2.25", "1e3", "-0", "+.5", ",5", "e5", "١٢٣", "1,000", "12.345", "7"]
    codes = ["AB1234", "ab_12345", "v1.2.3", "192.168.1.1", "INV-20240", "Ab Cd", "Ab Cd Ef Gh"]
    pools = [short, words, numbers, codes, short + words + numbers + codes]
    out = []
    for i in range(count):
        pool = pools[i % len(pools)]
        values = []
        for _ in range(rng.randint(1, 250)):
            text = rng.choice(pool)
            roll = rng.random()
            if roll < 0.1:
                text = f" {text} "
            elif roll < 0.15:
                text = "\u00a0" + text
            values.append(text)
        out.append(ColumnSample(f"g{i}", "string", tuple(values)))
    return out


def test_gated_columns_give_the_per_value_features() -> None:
    _assert_same(_gated_columns(5, 300))


def test_more_edge_values_give_the_per_value_features() -> None:
    _assert_same(_fuzz_columns(19, 300))


def test_shape_hits_of_mixed_columns_count_every_string() -> None:
    """The generic path (mixed types) counts its strings through the same function."""
    tally = Counter(["Ab Cd", " Ab Cd", "ab_12345", "", "  ", "1.2.3", "x" * 40 + " a b c d"])
    hits = bf._string_shape_hits(tally)
    assert hits["title_words"] == 2
    assert hits["prefixed_id"] == 1
    assert hits["version"] == 1
    assert hits["semver3"] == 1
    assert hits["sentence"] == 1
    assert hits["bool"] == 0
