"""Issue 17's vectorised pre-checks: RE2 finds the candidates, Python's ``re`` decides.

The name-shape, organisation and street shares of a profile come from Python's checks run
only on the values a RE2 pass (pyarrow, once per table) flags. These tests hold that the RE2
pass never misses a value the Python check accepts (so the shares are exactly those of
checking every value), that it does filter, that it falls back to every value when pyarrow
cannot take the texts; and that NER is skipped only where it cannot change a finding.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii import patterns as PT  # noqa: N812
from classifiers.pii import profile as P  # noqa: N812
from classifiers.pii.ner import SpacyNer
from models import ColumnSample, TableSample
from tests.support.tables import table_sample

LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT", "tr_TR", "da_DK")

#: Values at the edges of the two engines: Unicode case folding (ı, İ, ſ, Kelvin sign),
#: Unicode spaces inside "e. V.", word boundaries next to digits, underscores and non-ASCII
#: letters, marks and digits of other scripts, "c/" (a word ending in a non-word character).
EDGE_CASES = (
    "Acme ınc",
    "ACME İNC",
    "Foo İnc.",
    "Bar Gmbh",
    "Verein e.\u00a0V.",
    "Verein e.\u2009V",
    "Hansen A/S",
    "x_inc",
    "inc_x",
    "1inc",
    "inc1",
    "éinc",
    "incé",
    "Müller & Söhne",
    "Smith and Sons",
    "Perez y Hijos",
    "Co.",
    "co",
    "CO",
    "Ltd.",
    "sa",
    "s.p.a",
    "S. P. A",
    "Sp. z o.o.",
    "Sp.\u00a0z\u00a0o.\u00a0o.",
    "S.L.N.E.",
    "B.\u00a0V.",
    "s.\u2003r.\u00a0o.",
    "12 Main St",
    "12 main ST.",
    "Hauptstraße 5",
    "HAUPTSTRASSE 5",
    "Hauptstrasse5",
    "Dorpsstraat 12",
    "c/Mayor 3",
    "C/ Mayor, 3",
    "Calle Mayor, 3",
    "ſt 5",
    "\u212aade 4",
    "Ringſtraße 3",
    "Ave\u0301 4",
    "avé 4",
    "٣ Main St",
    "Main St ٣",
    "১২ Park Road",
    "Straße",
    "str. 5",
    "Abcstr. 5",
    "Äbcstr. 7",
    "ab straße 1",
    "x_st 5",
    "st_x 5",
    "1st 5",
    "st1",
    "Box 12",
    "PO BOX 7",
    "apt 4b",
    "Apt.4",
    "Travesía 5",
    "cañada 2",
    "praça 9",
    "urbanización 3",
    "callejón 8",
    "allée 4",
    "Allee 4",
    "ALLÉE 4",
    "ally 4",
    "line\nst 4",
    "\u00a0st 4",
    "st\u00a0",
    "Ö st Ö",
    "vİa Roma 3",
    "Vıa Roma 3",
    "suıte 4",
    "ınc",
    "İnc",
    "",
    " ",
    "-",
    "&",
    "y",
    " y ",
    "et",
    " et ",
)


def _faker_values(seed: int = 17) -> list[str]:
    out: list[str] = []
    for i, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed + i)
        for _ in range(120):
            out.extend(
                [fake.company(), fake.street_address(), fake.address(), fake.name(),
                 fake.sentence(), fake.city(), fake.job()]
            )  # fmt: skip
    return out


def _fuzz_values(n: int = 4000, seed: int = 17) -> list[str]:
    """Random strings built from the regexes' words and the characters where engines differ."""
    rng = random.Random(seed)
    pieces = (
        P._ORG_WORDS.replace("\\", "").replace("?", "").split("|")
        + P._STREET_WORDS.replace("\\", "").replace("?", "").split("|")
        + P._STREET_SUFFIXES.replace("\\", "").split("|")
    )
    chars = list("aZ09_ .,/&-'\n\t") + list("ıİſ\u212aßẞéÉ\u0301\u00a0\u2009\u0663é_ü")
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.5:
                word = rng.choice(pieces)
                parts.append(word.upper() if rng.random() < 0.3 else word)
            else:
                parts.append("".join(rng.choice(chars) for _ in range(rng.randint(0, 3))))
        out.append("".join(parts))
    return out


CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "org": (lambda t: bool(P._ORG_MARKERS.search(t)), P._ORG_PRECHECK),
    "street_word": (lambda t: bool(P._STREET_WORD.search(t)), P._STREET_WORD_PRECHECK),
    "street_shape": (P._street_shape, P._STREET_SHAPE_PRECHECK),
    "name": (P.looks_like_name, P._NAME_PRECHECK),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_precheck_never_misses_a_python_match(check: str) -> None:
    python, precheck = CHECKS[check]
    texts = list(EDGE_CASES) + _faker_values() + _fuzz_values()
    flags = P.precheck(texts, precheck)
    assert flags is not None
    missed = [i for i, t in enumerate(texts) if python(t) and not flags[i]]
    # Indices only: the values are synthetic, but the habit is to print none.
    assert missed == []
    matched = sum(1 for t in texts if python(t))
    assert matched > 300  # the sample exercises the check, not only its misses
    assert sum(flags) < len(texts)  # and the pre-check leaves some values out


def test_precheck_filters_person_names() -> None:
    fake = Faker(list(LOCALES))
    fake.seed_instance(3)
    names = [fake.name() for _ in range(2000)]
    for precheck in (P._ORG_PRECHECK, P._STREET_WORD_PRECHECK, P._STREET_SHAPE_PRECHECK):
        flags = P.precheck(names, precheck)
        assert flags is not None
        assert sum(flags) < 0.1 * len(names)


def test_precheck_falls_back_to_every_value() -> None:
    assert P.precheck(["Acme Inc", "bad \udcff surrogate", "plain"], P._ORG_PRECHECK) is None
    assert P.precheck(["Acme Inc", "plain"], "(?P<x") is None  # RE2 rejects it
    assert P.precheck(["Acme Inc", "plain"], P._ORG_PRECHECK) == [True, False]


def _reference_shares(values: list[str]) -> tuple[float, float, float, float]:
    """name_shape, org_marker, street_shape and street_word as a check of every value gives."""
    texts = [t for v in values if (t := v.strip())]
    n = len(texts)
    name = sum(1 for t in texts if P.looks_like_name(t)) / n
    org = sum(1 for t in texts if P._ORG_MARKERS.search(t)) / n
    shape = sum(1 for t in texts if P.looks_like_street(t)[0]) / n
    strong = sum(1 for t in texts if P.looks_like_street(t)[1]) / n
    return name, org, shape, strong


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ["company", "street_address", "address", "name", "sentence"])
def test_profile_shares_equal_a_full_python_scan(locale: str, kind: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(11)
    values = [str(getattr(fake, kind)()) for _ in range(300)] + list(EDGE_CASES[:40])
    profile = P.build_profile(ColumnSample("c", "string", tuple(values)))
    name, org, shape, strong = _reference_shares(values)
    assert profile.name_shape == pytest.approx(name, abs=1e-12)
    assert profile.org_marker == pytest.approx(org, abs=1e-12)
    assert profile.street_shape == pytest.approx(shape, abs=1e-12)
    assert profile.street_word == pytest.approx(strong, abs=1e-12)


def test_profile_with_an_undecodable_value_still_counts_matches() -> None:
    values = ("Acme Inc", "Foo GmbH", "bad \udcff", "Hauptstraße 5", "x")
    profile = P.build_profile(ColumnSample("c", "string", values))
    assert profile.org_marker == pytest.approx(2 / 5)
    assert profile.street_word == pytest.approx(1 / 5)
    assert profile.name_shape == pytest.approx(2 / 5)  # "Acme Inc" and "Foo GmbH" are shaped so


def test_street_shape_precheck_knows_every_python_digit() -> None:
    digits = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and chr(c).isdecimal()]
    assert len(digits) > 600
    assert all(re.fullmatch(r"\d", d) for d in digits)  # Python's \d is exactly these
    # Every digit, where the street shapes put one: a house number before or after the street.
    texts = [t for d in digits for t in (f"{d} Main St", f"Hauptstraße {d}", f"{d}{d}, rue X")]
    flags = P.precheck(texts, P._STREET_SHAPE_PRECHECK)
    assert flags is not None
    assert [t for t, f in zip(texts, flags, strict=True) if not f] == []


def _profile_fields(profile: P.ColumnProfile) -> dict[str, object]:
    return {k: getattr(profile, k) for k in P.ColumnProfile.__slots__}


def test_table_profiles_equal_column_profiles() -> None:
    fake = Faker("de_DE")
    fake.seed_instance(5)
    columns = [
        ColumnSample("name", "string", tuple(fake.name() for _ in range(200))),
        ColumnSample("born", "date", tuple(fake.date_of_birth() for _ in range(200))),
        ColumnSample("empty", "string", (None, "", "  ") * 10),
        ColumnSample("firma", "string", tuple(fake.company() for _ in range(200))),
        ColumnSample("n", "int64", tuple(range(200))),
        ColumnSample("odd", "string", ("Acme GmbH", "bad \udcff", "Hauptstraße 5") * 20),
        ColumnSample("street", "string", tuple(fake.street_address() for _ in range(200))),
    ]
    together = P.build_profiles(columns)
    # The undecodable column makes the whole table's pre-checks fall back: same results.
    alone = [P.build_profile(c) for c in columns]
    assert [_profile_fields(p) for p in together] == [_profile_fields(p) for p in alone]
    clean = [c for c in columns if c.name != "odd"]
    assert [_profile_fields(p) for p in P.build_profiles(clean)] == [
        _profile_fields(P.build_profile(c)) for c in clean
    ]
    assert together[0].name_shape > 0.8 and together[3].org_marker > 0.5
    assert together[6].street_shape > 0.9


def _ner_table() -> TableSample:
    """Name-shaped columns NER cannot turn into PERSON, beside ones it can."""
    fake = Faker(["en_US", "de_DE", "fr_FR"])
    fake.seed_instance(23)
    rng = random.Random(23)
    it, ja = Faker("it_IT"), Faker("ja_JP")
    it.seed_instance(23)
    ja.seed_instance(23)
    staff = [fake.name() for _ in range(6)]
    rows = 400
    gens: list[tuple[str, object]] = [
        ("full_name", fake.name),  # PERSON: NER runs
        ("ville", fake.city),  # a place word in the name: never PERSON
        ("pais", fake.country),
        ("customer_company", lambda: fake.last_name() + " Holding"),  # one repeated suffix
        ("team", lambda: rng.choice(staff)),  # a few repeated names, nothing says people
        ("assignee", lambda: rng.choice(staff)),  # ... a role says people: NER runs
        ("label", lambda: rng.choice([fake.name(), "n/a", "system", "-", "42"])),
        ("notes", fake.sentence),
        ("reviewer", fake.name),
        ("nome", it.first_name),  # beside a surname column: the other part (name.part_pair)
        ("cognome", it.last_name),
        ("名", ja.first_name),  # the same in CJK characters, beside 姓
        ("姓", ja.last_name),
    ]
    columns = tuple(
        ColumnSample(name, "string", tuple(gen() for _ in range(rows)))  # type: ignore[operator]
        for name, gen in gens
    )
    return table_sample(columns, "s3://test/ner.parquet", bytes_read=0)


@pytest.fixture(scope="module")
def classifier() -> PiiClassifier:
    clf = PiiClassifier(today=date(2024, 6, 1))
    clf.load()
    return clf


def test_ner_skipped_only_where_it_cannot_change_the_findings(
    classifier: PiiClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _ner_table()
    analysed: list[int] = []
    real = SpacyNer.analyse

    def counting(self: SpacyNer, texts: list[str]) -> list[object]:
        analysed.append(len(texts))
        return real(self, texts)  # type: ignore[return-value]

    monkeypatch.setattr(SpacyNer, "analyse", counting)
    skipping = classifier.classify(table)
    skipped_texts = sum(analysed)
    analysed.clear()
    monkeypatch.setattr(PiiClassifier, "_person_decided_without_ner", staticmethod(lambda c: False))
    every = classifier.classify(table)
    assert skipping == every
    # ville, pais, the companies, team: without the skip each still costs the NER probe
    # (classifier.NER_PROBE values), where its PERSON call is already decided.
    assert skipped_texts < sum(analysed) - 50
    found = {f.column: {e.entity for e in f.entities} for f in skipping}
    assert "PERSON" in found["full_name"] and "PERSON" in found["reviewer"]
    assert "PERSON" not in found["ville"] and "PERSON" not in found["customer_company"]


def test_table_prefilter_gives_the_tallies_of_column_scans() -> None:
    fake = Faker(["en_US", "de_DE", "fr_FR"])
    fake.seed_instance(29)
    makers = (
        fake.email, fake.phone_number, fake.iban, fake.ipv4, fake.ipv6, fake.url, fake.ssn,
        fake.credit_card_number, fake.name, fake.sentence,
        lambda: f"call {fake.phone_number()} or mail {fake.email()} re {fake.ssn()}",
    )  # fmt: skip
    columns = [sorted({str(make()) for _ in range(150)}) for make in makers]
    columns.append([])
    found = PT.prefilter_columns(columns, PT.BUILTIN_PATTERNS)
    assert found is not None and len(found) == len(columns)
    hits = 0
    for texts, candidates in zip(columns, found, strict=True):
        counts = [1 + i % 3 for i in range(len(texts))]
        alone = PT.scan_column(texts, counts)
        batched = PT.scan_column(texts, counts, candidates=candidates)
        assert batched == alone
        hits += sum(t.validated for t in alone.values())
    assert hits > 1000
    with pytest.raises(ValueError, match="candidate lists"):
        PT.scan_column(columns[0], [1] * len(columns[0]), candidates=found[0][:-1])
    assert PT.prefilter_columns([["ok"], ["bad \udcff"]], PT.BUILTIN_PATTERNS) is None
