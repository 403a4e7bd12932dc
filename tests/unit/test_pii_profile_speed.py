"""Issue 17's faster profile (tags profspeed, profspeed2): the same :class:`ColumnProfile`.

The tighter name and multi-word pre-checks may only leave out values the Python checks
reject; on ASCII text the organisation and street-word pre-checks decide alone; the embedded
street pre-check runs per free-text column as an or of two masks; date parsing stops once
the 80% rule cannot be met. Each holds here against the plain rule on synthetic, real-table
and adversarial values (names with particles and initials, register forms, streets in
several languages, dates in many forms, case-folding and digit oddities).
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from datetime import date

import numpy as np
import pytest
from faker import Faker

from bench.pii import build_table
from classifiers.pii import profile as P  # noqa: N812
from models import ColumnSample
from tests.unit.test_pii_vectorised import EDGE_CASES, LOCALES, _fuzz_values

FIRST = [
    "Anna",
    "jan",
    "José",
    "Ólafur",
    "Łukasz",
    "Zoë",
    "D'Arcy",
    "Jean-Luc",
    "ßtefan",
    "İsmail",
    "ılgaz",
    "\u212aarl",
    "Μαρία",
    "Иван",
    "李",
    "O'Neil",
    "Mc'Donald",
    "Émile",
    "éva",
    "A.",
    "J.A.",
    "j.a.",
    "A",
    "x",
    "Ann-marie",
    "Ann’e",
    "VAN",
    "Van",
    "De",
]
LAST = [
    "Smith",
    "smith",
    "van der Berg",
    "de la Cruz",
    "von Trapp",
    "ter Horst",
    "bin Laden",
    "al Rashid",
    "dos Santos",
    "Müller",
    "ÖZTÜRK",
    "Øster",
    "du Pont",
    "della Rovere",
    "y Gasset",
    "e Silva",
    "Di Maria",
    "le Blanc",
    "SMITH,J.A.",
    "Brown Ltd",
    "Acme GmbH",
    "Foo & Bar",
    "Hill",
    "Park",
]
STREETS = [
    "12 Main St",
    "12 main st",
    "Hauptstraße 5",
    "Hauptstrasse 5a",
    "12 rue de la Paix",
    "Calle Mayor, 3",
    "Via Roma 12",
    "Dorpsstraat 7",
    "Rua Augusta 100",
    "682, avenue de Rey",
    "Rotonda Claudia, 9 Piano 2",
    "Kerkweg 3, 1234 AB Utrecht",
    "c/ Mayor 5",
    "C/Mayor 5",
    "c/5 Mayor",
    "PO Box 12",
    "Apt. 4",
    "Straße der Einheit 1",
    "İstiklal Cd. 5",
    "Rıhtım Sk 4",
    "５ Main St",
    "٣ Main St",
    "12\u00a0Main St",
    "Unit 7/12 George St",
    "12 St. James's Pl",
    "Box ²",
    "Suite ³ Park",
    "1/2 Lane",
    "Strada Nuova\n12",
    "12 Baker Street\nLondon",
    "Allée des Fleurs 4",
    "allee 3",
    "Marktplatz 1",
    "KADE 9",
    "Kaiser-Wilhelm-Ring 17",
]
DATES = [
    "2021-03-04",
    "04.03.2021",
    "03/04/2021",
    "31/12/2021",
    "2021/03/04",
    "04-03-2021",
    "2021-02-30",
    "1.2.2021",
    "2021-3-4",
    "20210304",
    "2021.03.04",
    "12/31/99",
    "13/13/2021",
    "2021-03-04T10:00",
    "٢٠٢١-٠٣-٠٤",
    "2021‐03‐04",
    "0001-01-01",
    "9999-12-31",
    "1999-1-1",
    "31.12.1999",
]
PROSE = [
    "call me at 12 Baker Street tomorrow",
    "moved to rue de la Paix last week",
    "lives at Hauptstraße 5 now",
    "ship to 5 Old Mill Road please",
    "meet at piazza del Duomo 3",
    "nothing here at all really",
    "Herr Müller wohnt in der Lindenstraße 12 seit Jahren",
    "the avenida de la Constitución 4 office",
    "see Kerkstraat 12 or Dorpsweg 4",
    "rond the corner of Strada 4 and c/ Mayor",
    "ı İ ſ \u212a mixed case bits",
]
ORGS = [
    "Acme Inc",
    "Acme Inc.",
    "Foo A/S",
    "Bar a/s",
    "Baz c/o",
    "Müller GmbH & Co. KG",
    "Smith and Sons",
    "Dupont et Fils",
    "Sp. z o.o. Nowak",
    "Nowak sp. z o.o.",
    "Rossi S.p.A.",
    "Banco y Cia",
    "İNC",
    "ınc",
    "Acme B.V.",
    "N.V. Philips",
    "e.V. Verein",
    "EV",
    "Foo/inc",
    "inc/Foo",
    "C/O Foo",
    "Stiftung Warentest",
]
JUNK = (
    list("aZ09_ .,/&-'\n\t")
    + list("ıİſ\u212aßẞéÉ\u0301\u00a0\u2009\u0663é_ü²")
    + ["  ", ",,", "..", "-", "'"]
)


def _adversarial_strings(n: int = 4000, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    pools = [FIRST, LAST, STREETS, DATES, PROSE, ORGS]
    for a in FIRST:
        for b in LAST:
            out += [f"{a} {b}", f"{b}, {a}", f"{b},{a}", f"{a} {a[:1]}. {b}", f"{a.upper()} {b}"]
    out += STREETS + DATES + PROSE + ORGS
    while len(out) < n:
        parts = []
        for _ in range(rng.randint(1, 5)):
            r = rng.random()
            if r < 0.7:
                w = rng.choice(rng.choice(pools))
                w = w.upper() if rng.random() < 0.15 else (w.lower() if rng.random() < 0.15 else w)
                parts.append(w)
            else:
                parts.append("".join(rng.choice(JUNK) for _ in range(rng.randint(1, 3))))
        out.append(rng.choice([" ", ", ", ",", "  ", "\n", "."]).join(parts))
    return out


def _adversarial_columns(seed: int = 0) -> list[list[str]]:
    """Columns mixing the pools, with repeats (counts) and column sizes that trip each rule."""
    rng = random.Random(seed)
    texts = _adversarial_strings(seed=seed)
    cols = []
    pools = {
        "first": FIRST,
        "last": LAST,
        "streets": STREETS,
        "dates": DATES,
        "prose": PROSE,
        "orgs": ORGS,
    }
    for pool in pools.values():
        for size in (5, 25, 120, 450):
            cols.append(
                [
                    rng.choice(pool) + (f" {rng.randint(1, 40)}" if rng.random() < 0.2 else "")
                    for _ in range(size)
                ]
            )
    for pool in pools.values():  # pure repeats of a pool (dates: >= 80% rule near its edge)
        cols.append([rng.choice(pool) for _ in range(300)])
    for share in (0.75, 0.79, 0.8, 0.81, 0.85, 1.0):
        cols.append(
            [
                rng.choice(DATES[:6]) if rng.random() < share else rng.choice(PROSE)
                for _ in range(500)
            ]
            + [f"2020-01-{d:02d}" for d in range(1, 29)]
        )
    for i in range(0, len(texts), 700):
        chunk = texts[i : i + 700]
        cols.append(chunk + [rng.choice(chunk) for _ in range(rng.randint(0, 300))])
    return cols


def _faker_values() -> list[str]:
    out: list[str] = []
    for i, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(23 + i)
        for _ in range(40):
            out += [fake.name(), fake.street_address(), fake.company(), fake.address()]
    return out


@functools.cache
def _texts() -> list[str]:
    ascii_fuzz = [t.encode("ascii", "ignore").decode() for t in _fuzz_values(2000, seed=5)]
    return [*EDGE_CASES, *_faker_values(), *_fuzz_values(), *ascii_fuzz, *_adversarial_strings()]


def _words_after_commas(text: str) -> int:
    return len(text.replace(",", " ").split())


def test_name_and_multi_word_prechecks_never_miss() -> None:
    texts = _texts()
    names = P.precheck(texts, P._NAME_PRECHECK)
    multi = P.precheck(texts, P._MULTI_WORD_PRECHECK)
    assert names is not None and multi is not None
    # Indices only: no values in the failure output.
    is_name = list(map(P.looks_like_name, texts))
    assert [i for i, t in enumerate(texts) if is_name[i] and not names[i]] == []
    assert [i for i, t in enumerate(texts) if _words_after_commas(t) >= 2 and not multi[i]] == []
    assert sum(is_name) > 1000  # exercised ...
    assert sum(names) < 0.6 * len(texts)  # ... and filtering


def test_particle_words_are_ascii_after_lower() -> None:
    # The name pre-check reads a run that starts with a lower-case ASCII letter as a particle
    # only when it is one, ignoring ASCII case: no non-ASCII character lower-cases to one
    # ("İ" gives "i" and a combining dot; the Kelvin sign "k", in no particle).
    lowered = "".join(map(chr, range(0x80, 0x110000))).lower()
    assert {c for c in lowered if c.isascii()} == {"i", "k"}
    assert lowered.count("i") == 1 and "\u0130".lower() == "i\u0307"
    assert "k" not in "".join(P._PARTICLES)


def test_open_ended_precheck_words_end_with_a_slash() -> None:
    # The ASCII fast paths trust a flag on text without "/": the only words whose end the
    # RE2 pre-checks leave unconstrained must end with it.
    for words in (P._ORG_WORDS, P._STREET_WORDS):
        # As _re2_words sorts them:
        ends = [re.search(r"(?:[^\W_]|\[[^\W_]+\])\??$", w) for w in words.split("|")]
        assert all(e or w.endswith("/") for e, w in zip(ends, words.split("|"), strict=True))


def test_ascii_fast_paths_equal_the_python_checks() -> None:
    texts = _texts()
    org = P.precheck(texts, P._ORG_PRECHECK)
    word = P.precheck(texts, P._STREET_WORD_PRECHECK)
    assert org is not None and word is not None
    org_bad = [i for i, t in enumerate(texts)
               if (org[i] and P._org_flagged(t)) != bool(P._ORG_MARKERS.search(t))]  # fmt: skip
    word_bad = [i for i, t in enumerate(texts)
                if (word[i] and P._street_strong_flagged(t)) != P._street_strong(t)]  # fmt: skip
    assert org_bad == [] and word_bad == []
    assert sum(1 for i, t in enumerate(texts) if org[i] and t.isascii()) > 300
    assert sum(1 for t in texts if P._street_strong(t)) > 300


def test_embedded_precheck_is_the_or_of_its_parts() -> None:
    texts = _texts()
    whole = P.precheck(texts, P._EMBEDDED_PRECHECK)
    word = P.precheck(texts, P._STREET_WORD_PRECHECK)
    endings = P.precheck(texts, P._EMBEDDED_ENDINGS)
    assert whole is not None and word is not None and endings is not None
    assert whole == [a or b for a, b in zip(word, endings, strict=True)]


def _plain_suffix_repeat(ordered: list[tuple[str, int]]) -> float:
    lasts: Counter[str] = Counter()
    multi: list[tuple[str, int]] = []
    for text, count in ordered[:2000]:
        words = text.replace(",", " ").split()
        if len(words) >= 2 and len(last := words[-1].strip(".").lower()) >= 2:
            lasts[last] += 1
            multi.append((last, count))
    if len(multi) < 20:
        return 0.0
    common = {w for w, k in lasts.items() if k >= max(3, 0.1 * len(multi))}
    total = sum(c for _, c in multi)
    return sum(c for w, c in multi if w in common) / total if total else 0.0


def _plain_dates(ordered: list[tuple[str, int]]) -> list[date]:
    parsed = [(P.parse_date(t), c) for t, c in ordered[:400]]
    hits = [(d, c) for d, c in parsed if d is not None]
    if hits and sum(c for _, c in hits) >= 0.8 * sum(c for _, c in parsed):
        return [d for d, c in hits for _ in range(c)]
    return []


def _columns() -> list[ColumnSample]:
    columns = [
        ColumnSample(f"a{i}", "string", tuple(c)) for i, c in enumerate(_adversarial_columns())
    ]
    for seed in (0, 1):
        columns.extend(build_table(300, seed).columns)
    return columns


def _fields(profile: P.ColumnProfile) -> dict[str, object]:
    return {k: getattr(profile, k) for k in P.ColumnProfile.__slots__}


def test_profiles_equal_a_plain_python_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = _columns()
    profiles = P.build_profiles(columns)
    fast = [_fields(p) for p in profiles]
    for profile, column in zip(profiles, columns, strict=True):
        ordered = list(zip(profile.texts, profile.counts, strict=True))
        if profile.kind == "string":
            assert profile.suffix_repeat == _plain_suffix_repeat(ordered), column.name
            assert profile.dates == _plain_dates(ordered), column.name
    # No RE2 pass: every value goes through the Python checks.
    monkeypatch.setattr(P, "_re2_mask", lambda arr, pattern: None)
    plain = [_fields(p) for p in P.build_profiles(columns)]
    assert fast == plain
    seen = [P.ColumnProfile(**f) for f in fast]  # type: ignore[arg-type]
    # The sample reaches every rule the speed-ups touch.
    assert sum(p.free_text for p in seen) >= 3 and sum(p.embedded_street > 0 for p in seen) >= 2
    assert sum(p.suffix_repeat > 0 for p in seen) >= 3 and sum(bool(p.dates) for p in seen) >= 3
    assert sum(p.kind == "string" and not p.dates and p.n > 400 for p in seen) >= 3


@pytest.mark.parametrize("share", [0.0, 0.5, 0.79, 0.8, 0.81, 1.0])
def test_date_early_stop_keeps_the_80_percent_rule(share: float) -> None:
    rng = random.Random(int(share * 100))
    for _ in range(30):
        ordered = [
            (
                f"2021-01-{rng.randint(1, 28):02d}" if rng.random() < share else "n/a",
                rng.randint(1, 9),
            )
            for _ in range(rng.randint(1, 500))
        ]
        assert P._string_dates(ordered[:400]) == _plain_dates(ordered)
    exact = [("2021-01-01", 4), ("x", 1)]  # exactly 80%
    assert P._string_dates(exact) == _plain_dates(exact) == [date(2021, 1, 1)] * 4


def test_printable_text_is_one_line() -> None:
    # _street_shape_one_line's shortcut: no line boundary of str.splitlines is printable.
    # The ten below are all the boundaries: every code point in a row splits into 11 lines.
    boundaries = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    assert len("".join(map(chr, range(0x110000))).splitlines()) == 11
    assert all(len(f"a{c}b".splitlines()) == 2 and not c.isprintable() for c in boundaries)
    texts = _texts()
    assert [
        i for i, t in enumerate(texts) if P._street_shape_one_line(t) != P._street_shape(t)
    ] == []


def test_counted_values_equal_a_plain_count() -> None:
    rng = random.Random(4)
    pool: list[str | None] = ["a", " a", "a ", "\ta\n", "  ", "b", "B ", "\u00a0b", "", None, "c"]
    columns = [
        ColumnSample("pad", "string", tuple(rng.choice(pool) for _ in range(300))),
        ColumnSample("ints", "int64", tuple(rng.randint(-50, 50) for _ in range(400))),
        ColumnSample(
            "mixed", "string", tuple(rng.choice([1, "1", " 1", 2, None, "x"]) for _ in range(99))
        ),
    ]
    for column in columns:
        plain: Counter[str] = Counter()
        for v in column.values:
            text = v.strip() if isinstance(v, str) else None if v is None else str(v)
            if text:
                plain[text] += 1
        profile = P.build_profile(column)
        assert list(zip(profile.texts, profile.counts, strict=True)) == plain.most_common()


# ---- profspeed2: exact RE2 passes for ASCII names and street shapes, numpy sums ----------


def _ascii_texts() -> list[str]:
    """Stripped printable-ASCII texts around the name and street shapes' edges."""
    rng = random.Random(11)
    pieces = [
        "12", "5a", "7/12", "3-4", "123456", "1234567", "Main", "St", "main", "Van", "van",
        "De", "della", "DOS", "O'Neil", "Jean-Luc", "x", "A", ",", ", ", "  ", " ", ".", "-",
        "'", "Apt", "Kerkweg", "1234 AB", "Utrecht", "Piano", "2", "Box", "Mc", "z",
    ]  # fmt: skip
    out = []
    for _ in range(6000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", " ", ", "])
                       for _ in range(rng.randint(1, 7)))  # fmt: skip
        if text.strip():
            out.append(text.strip())
    out += ["A" * 61, ("Ab " * 20).strip(), ("Ab " * 21).strip(), "Van De", "van de la",
            "Van Dam", "Anna" + " Anna" * 4, "Anna" + " Anna" * 5]  # fmt: skip
    texts = [t.strip() for t in _texts() if t.strip()]
    return out + texts


def test_ascii_name_pass_decides_like_looks_like_name() -> None:
    texts = _ascii_texts() + ["doſ Smith", "dos Smith", "İsmail Van", "\u212aarl De"]
    exact = P.precheck(texts, P._NAME_ASCII)
    only = P.precheck(texts, P._ONLY_PARTICLES)
    assert exact is not None and only is not None
    wrong = [i for i, t in enumerate(texts)
             if exact[i] and P.looks_like_name(t) != (len(t) <= 60 and not only[i])]  # fmt: skip
    assert wrong == []
    # Exact on ASCII text without commas or dots: every such name matches.
    missed = [i for i, t in enumerate(texts) if t.isascii() and not set(t) & set(",.\n")
              and P.looks_like_name(t) and not exact[i]]  # fmt: skip
    assert missed == []
    assert sum(exact) > 500 and sum(only) > 5  # exercised


def test_ascii_street_shape_pass_equals_the_python_regex() -> None:
    texts = _ascii_texts()
    exact = P.precheck(texts, P._STREET_SHAPE_ASCII)
    assert exact is not None
    printable = [t.isascii() and t.isprintable() for t in texts]
    assert [i for i, t in enumerate(texts) if exact[i] and not printable[i]] == []
    wrong = [i for i, t in enumerate(texts)
             if printable[i] and exact[i] != P._street_shape_one_line(t)]  # fmt: skip
    assert wrong == []
    assert sum(exact) > 500 and sum(printable) - sum(exact) > 500  # both answers exercised


def test_bools_reads_slices_and_nulls() -> None:
    import pyarrow as pa

    from classifiers.pii.arrays import bool_array, bool_values

    values = [True, False, None, True, True, False, False, True, None, True, False]
    array = pa.array(values, pa.bool_())
    for start in range(len(values)):
        part = array.slice(start, len(values) - start)
        assert bool_values(part).tolist() == [bool(v) for v in values[start:]]
    assert bool_values(array.slice(3, 0)).tolist() == []
    mask = [bool(v) for v in values]
    assert bool_array(np.array(mask)).to_pylist() == mask


def test_printable_mask_and_sums_on_mixed_text() -> None:
    texts = ["plain text", "tab\there", "ünï code", "a\x7fb", "x y z", "(Hi!) there,", "é"]
    arr = P.text_array(texts)
    assert arr is not None
    assert P._printable(arr).tolist() == [t.isascii() and t.isprintable() for t in texts]
    assert P._printable(arr.slice(4, 2)).tolist() == [True, True]
    ascii_only = P.text_array(["a b", "c"])
    assert ascii_only is not None and P._printable(ascii_only).tolist() == [True, True]


def test_count_values_fast_paths_keep_order_and_counts() -> None:
    rng = random.Random(8)
    columns = [
        ColumnSample("distinct", "string", tuple(f"v{i}" for i in range(300))),
        ColumnSample("repeats", "string", tuple(rng.choice("abcdef") for _ in range(300))),
        ColumnSample("blank", "string", ("a", "", "b", "a")),
        ColumnSample("np_str", "string", (np.str_("a"), np.str_(""), "b")),
        ColumnSample("floats", "double", (1.5, 2.5)),
    ]
    for column in columns:
        plain: Counter[str] = Counter()
        for v in column.values:
            if v is None or v == "":
                continue
            text = P._render(v)
            if text is not None:
                plain[text] += 1
        profile = P.build_profile(column)
        assert list(zip(profile.texts, profile.counts, strict=True)) == plain.most_common()
        assert profile.n == sum(plain.values())


def test_integer_sums_and_date_lists_equal_the_plain_loop() -> None:
    from datetime import datetime
    from decimal import Decimal

    rng = random.Random(9)
    columns = [
        ColumnSample("ints", "int64", tuple(rng.randint(-(10**12), 10**12) for _ in range(200))),
        ColumnSample("mixed_int", "string", (1, 2, 3, "4", " 5 ", "six seven", "a.b", Decimal(8))),
        ColumnSample("days", "date", (date(2020, 1, 2), date(2021, 3, 4)) * 3),
        ColumnSample("times", "timestamp", (datetime(2020, 1, 2, 3), datetime(2021, 3, 4, 5))),
        ColumnSample("both", "date", (date(2020, 1, 2), datetime(2021, 3, 4, 5), None)),
    ]
    for column in columns:
        profile = P.build_profile(column)
        ordered = list(zip(profile.texts, profile.counts, strict=True))
        if profile.kind == "date":
            plain = [v.date() if isinstance(v, datetime) else v for v in column.values
                     if isinstance(v, date)]  # fmt: skip
            assert profile.dates == plain and profile.n == len(plain)
            continue
        assert profile.kind == "integer"
        length = sum(len(t) * c for t, c in ordered)
        words = sum(len(t.split()) * c for t, c in ordered)
        alpha = sum(sum(1 for w in t.split() if w.strip(P._WORD_PUNCT).isalpha()) * c
                    for t, c in ordered)  # fmt: skip
        assert profile.mean_length == length / profile.n
        assert profile.mean_words == words / profile.n
        assert profile.word_share == (alpha / words if words else 0.0)
