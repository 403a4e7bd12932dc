"""Columns whose names mislead: the values decide, and say how sure (issue 16).

A held-out lake renames columns: a people table's full names under ``product`` or
``konto_id``, its IP addresses under ``customer_id``. And it holds name-shaped values that are
not people: street names without a house number (``Christopher Lake``, ``Via Mascagni``)
under a name that says nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from faker import Faker

from classifiers.base import ClassifierLoadError
from classifiers.pii import PiiClassifier
from classifiers.pii.decide import (
    STREET_NAMES,
    VALUES_ONLY_BIRTH_CONFIDENCE,
    VALUES_ONLY_NER_VALUES,
    VALUES_ONLY_PERSON_CONFIDENCE,
    ner_reads_names,
)
from classifiers.pii.ner import ValueEntities
from classifiers.pii.profile import street_name_share
from models import ColumnFinding, ColumnSample
from tests.support.faker_values import faker_values
from tests.support.tables import table_sample

ROWS = 300


def _values(locale: str, provider: str, seed: int = 2, rows: int = ROWS) -> tuple[str, ...]:
    return faker_values(locale, provider, seed, rows)


def _one(clf: PiiClassifier, name: str, values: tuple[str, ...]) -> ColumnFinding:
    sample = table_sample((ColumnSample(name, "string", values),), "s3://lake/t/misnamed.parquet")
    return clf.classify(sample)[0]


def _person(f: ColumnFinding) -> float | None:
    return next((e.confidence for e in f.entities if e.entity == "PERSON"), None)


@pytest.mark.parametrize(
    ("locale", "name"),
    [("en_US", "product"), ("es_ES", "region"), ("fr_FR", "category"), ("ja_JP", "product")],
)
def test_full_names_under_a_contrary_name_are_a_suggestion(
    classifier: PiiClassifier, locale: str, name: str
) -> None:
    f = _one(classifier, name, _values(locale, "name"))
    person = next(e for e in f.entities if e.entity == "PERSON")
    # Below the review policy's apply threshold (0.9): a steward decides.
    assert person.confidence == VALUES_ONLY_PERSON_CONFIDENCE < 0.9
    assert person.evidence.rule == "person.values_only"
    assert not person.evidence.sparse
    signal = "names in CJK characters" if locale == "ja_JP" else "under a name that does not"
    assert signal in str(person.evidence.type_signal)


@pytest.mark.parametrize("seed", [2, 3, 6])
def test_surnames_with_particles_under_a_contrary_name_are_a_suggestion(
    classifier: PiiClassifier, seed: int
) -> None:
    # ``van Haspengouw``, ``de Vries``: two words, one name once the particle is set aside.
    # Half of a Dutch surname column has a particle: it is no column of full names.
    surnames = _values("nl_NL", "last_name", seed, 50)
    assert _person(_one(classifier, "status", surnames)) == VALUES_ONLY_PERSON_CONFIDENCE


@pytest.mark.parametrize("name", ["parish", "status"])
def test_saints_are_no_surnames_with_particles(classifier: PiiClassifier, name: str) -> None:
    # ``St. Peter`` reads as one known name once ``St.`` is set aside; but no value is one
    # word, as half of a surname column's are: a list of churches, not people.
    saints = (
        "Peter Maria Josef Anna Paul Michael Georg Martin Stephan Elisabeth Johannes Jakob "
        "Thomas Andreas Nikolaus Lukas Markus Matthias Barbara Katharina Margareta Ulrich "
        "Sebastian Florian Leonhard Wolfgang Benedikt Bernhard Antonius Agnes Gertrud Hedwig "
        "Klara Theresia Valentin Vitus Oswald Rupert Severin Konrad Helena Magdalena Monika "
        "Ursula Veronika Martha Philipp Simon Clemens Lorenz Gregor Hubertus"
    ).split()
    values = tuple(f"St. {saints[i % len(saints)]}" for i in range(ROWS))
    assert _person(_one(classifier, name, values)) is None


def test_a_values_only_call_read_on_part_of_the_values_says_so(classifier: PiiClassifier) -> None:
    # 1,000 distinct names: the gazetteer reads the 400 most frequent, so the shares are
    # estimates (as a gazetteer or NER probe of part of the values is marked).
    f = _one(classifier, "product", _values("en_US", "name", rows=1000))
    (person,) = f.entities
    assert person.evidence.rule == "person.values_only" and person.evidence.estimated
    assert person.evidence.matched_distinct == 400
    assert (person.evidence.candidate_distinct or 0) > 400


def test_the_same_full_names_under_their_own_name_are_applied(classifier: PiiClassifier) -> None:
    confidence = _person(_one(classifier, "full_name", _values("en_US", "name")))
    assert confidence is not None and confidence >= 0.9


@pytest.mark.parametrize(
    ("name", "locale", "provider"),
    [("city", "en_US", "city"), ("city", "es_ES", "city"), ("vendor", "en_US", "company"),
     ("vendor", "de_DE", "company"), ("brand", "fr_FR", "company")],
)  # fmt: skip
def test_places_and_companies_under_their_names_are_not_person(
    classifier: PiiClassifier, name: str, locale: str, provider: str
) -> None:
    # Towns and firms named after people: too few of them are known names alone or in full.
    assert _person(_one(classifier, name, _values(locale, provider))) is None


def test_a_short_list_under_a_contrary_name_stays_a_code_list(classifier: PiiClassifier) -> None:
    # Six offices named like people, repeated over every row: a code list, not people.
    offices = ("Jackson", "Lincoln", "Madison", "Franklin", "Clinton", "Warren") * 50
    assert _person(_one(classifier, "city", offices)) is None


@pytest.mark.parametrize("name", ["konto_id", "issue_date", "id_usuario"])
def test_full_names_under_an_id_or_date_name_are_a_suggestion(
    classifier: PiiClassifier, name: str
) -> None:
    assert (
        _person(_one(classifier, name, _values("en_US", "name"))) == VALUES_ONLY_PERSON_CONFIDENCE
    )


@pytest.mark.parametrize(
    ("locale", "name"), [("de_DE", "konto_id"), ("pt_BR", "product"), ("it_IT", "issue_date")]
)
def test_full_names_the_gazetteer_knows_in_part_are_read_by_ner(
    classifier: PiiClassifier, locale: str, name: str
) -> None:
    # Faker's German full names are 19% ``full`` to the gazetteer (it knows half of the
    # surnames) but 92% hold a known name; NER reads most of them as persons.
    f = _one(classifier, name, _values(locale, "name"))
    person = next(e for e in f.entities if e.entity == "PERSON")
    assert person.confidence == VALUES_ONLY_PERSON_CONFIDENCE
    assert person.evidence.rule == "person.values_only"
    assert "spacy-ner" in person.evidence.recognizers


@pytest.mark.parametrize(
    ("locale", "provider", "name"),
    [("pt_BR", "city", "konto_id"), ("fr_FR", "company", "product"),
     ("es_ES", "street_name", "item_id"), ("it_IT", "street_name", "product")],
)  # fmt: skip
def test_places_streets_and_firms_with_a_known_name_stay_out_of_ner_calls(
    classifier: PiiClassifier, locale: str, provider: str, name: str
) -> None:
    # Each holds a known given name or surname in many values (``Lagoa Maria``, ``Via
    # Mascagni``); NER, the street words or the legal forms keep them from PERSON.
    assert _person(_one(classifier, name, _values(locale, provider))) is None


@pytest.mark.parametrize(
    ("provider", "name"),
    [("ipv4_public", "customer_id"), ("ipv4", "event_time"), ("uri", "card_type"),
     ("url", "timesheet_id")],
)  # fmt: skip
def test_ip_addresses_and_urls_under_an_id_or_date_name_are_a_suggestion(
    classifier: PiiClassifier, provider: str, name: str
) -> None:
    f = _one(classifier, name, _values("en_US", provider))
    entity = "URL" if provider in ("uri", "url") else "IP_ADDRESS"
    (found,) = f.entities
    assert (found.entity, found.evidence.sparse) == (entity, False)
    assert found.evidence.rule == "pattern.dense.format_alone" and found.confidence < 0.9


def test_linked_data_ids_are_no_applied_urls(classifier: PiiClassifier) -> None:
    ids = tuple(f"https://data.example.org/resource/{i}" for i in range(ROWS))
    (found,) = _one(classifier, "resource_id", ids).entities
    assert found.entity == "URL" and found.confidence < 0.9


def test_a_few_ip_addresses_under_an_id_name_still_count_for_nothing(
    classifier: PiiClassifier,
) -> None:
    values = tuple(f"10.0.{i % 4}.{i % 7}" if i % 3 == 0 else f"ref-{i}" for i in range(ROWS))
    assert _one(classifier, "customer_id", values).entities == ()


@pytest.mark.parametrize("locale", ["en_US", "it_IT", "pt_BR"])
def test_street_names_without_a_number_are_not_person(
    classifier: PiiClassifier, locale: str
) -> None:
    values = _values(locale, "street_name")
    assert street_name_share(values, [1] * len(values)) >= STREET_NAMES
    for name in ("c9", "value"):
        assert _person(_one(classifier, name, values)) is None


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "es_ES", "it_IT", "pt_BR", "fr_FR"])
def test_people_are_rarely_street_names(locale: str) -> None:
    values = _values(locale, "name", rows=1000)
    assert street_name_share(values, [1] * len(values), look=1000) < STREET_NAMES / 4


def test_street_name_share_reads_both_orders() -> None:
    values = ["Via Roma", "Baker Street", "Rua das Flores", "Maria Lake", "Anna Schmidt"]
    assert street_name_share(values, [1, 1, 1, 1, 6]) == pytest.approx(0.4)
    # Surnames that are also street suffixes are not counted.
    assert street_name_share(["John Hill", "Mary Brooks", "Tom Wells"], [1, 1, 1]) == 0.0


def test_brazilian_addresses_under_an_opaque_name(classifier: PiiClassifier) -> None:
    fake = Faker("pt_BR")
    fake.seed_instance(2)
    values = tuple(fake.address().replace("\n", ", ") for _ in range(ROWS))
    f = _one(classifier, "c7", values)
    assert [e.entity for e in f.entities][:1] == ["STREET_ADDRESS"]


TODAY = date(2026, 1, 1)


def _dates(name: str, values: list[date], beside_people: bool = True) -> ColumnFinding:
    """The finding of a date column, in a table with an e-mail column (person data) or alone."""
    columns = [ColumnSample(name, "date", tuple(values))]
    if beside_people:
        emails = _values("en_US", "email", rows=len(values))
        columns.append(ColumnSample("contact", "string", emails))
    sample = table_sample(tuple(columns), "s3://lake/t/d.parquet")
    return PiiClassifier(today=TODAY).classify(sample)[0]


def _births(seed: int, youngest: int, oldest: int) -> list[date]:
    rng = random.Random(seed)
    return [TODAY - timedelta(days=rng.randint(youngest * 366, oldest * 365)) for _ in range(ROWS)]


def test_birth_dates_of_every_age_under_an_opaque_name_are_a_suggestion() -> None:
    births = _births(5, 0, 95)
    (dob,) = _dates("c5", births).entities
    assert dob.entity == "DATE_OF_BIRTH" and dob.evidence.rule == "birth_date.all_ages"
    assert dob.confidence == VALUES_ONLY_BIRTH_CONFIDENCE < 0.9
    # Adults only keep their own, older rule.
    adults = _births(5, 18, 90)
    assert [e.evidence.rule for e in _dates("c5", adults).entities] == ["birth_date.ages"]


def test_birth_dates_of_every_age_stand_only_beside_person_data() -> None:
    # Alone, dates over a lifetime are as likely historical records.
    assert _dates("c5", _births(5, 0, 95), beside_people=False).entities == ()


def test_names_read_from_the_values_keep_the_birth_dates_beside_them() -> None:
    # A misnamed patients table: full names under ``id_usuario`` (a values-only suggestion)
    # make it a table about people, so its dates of every age stay a suggestion too.
    births = _births(5, 0, 95)
    sample = table_sample(
        (
            ColumnSample("id_usuario", "string", _values("es_ES", "name")),
            ColumnSample("c5", "date", tuple(births)),
        ),
        "s3://lake/t/d.parquet",
    )
    names, dates = PiiClassifier(today=TODAY).classify(sample)
    assert [e.evidence.rule for e in names.entities] == ["person.values_only"]
    assert [e.evidence.rule for e in dates.entities] == ["birth_date.all_ages"]


@pytest.mark.parametrize(("name", "found"), [("id_propietario", True), ("owner_key", True),
                                             ("fk_patient", True), ("record_guid", True),
                                             ("date", False), ("num_visits", False)])  # fmt: skip
def test_birth_dates_of_every_age_under_an_id_name_are_a_suggestion(name: str, found: bool) -> None:
    # An identifier's name says nothing of dates; a date, count or flag word still rules out.
    rules = [e.evidence.rule for e in _dates(name, _births(5, 0, 95)).entities]
    assert rules == (["birth_date.all_ages"] if found else [])


def test_a_series_over_a_lifetime_is_no_birth_dates() -> None:
    # Observations since 1960, sampled in file order: sorted, so not people's births.
    start = date(1960, 1, 1)
    series = [start + timedelta(days=70 * i) for i in range(ROWS)]
    assert _dates("c5", series).entities == ()
    # Shuffled, the same dates would be.
    shuffled = series[:]
    random.Random(3).shuffle(shuffled)
    assert [e.entity for e in _dates("c5", shuffled).entities] == ["DATE_OF_BIRTH"]


@pytest.mark.parametrize("name", ["date_of_birth", "fecha_nac", "geburtsdatum"])
def test_recent_dates_under_a_birth_name_are_a_suggestion(name: str) -> None:
    # Invoice or start dates misnamed: every date within the last five years (a few after
    # today). Infants' dates of birth look the same, so a steward decides.
    rng = random.Random(4)
    recent = [TODAY - timedelta(days=rng.randint(-30, 4 * 365)) for _ in range(ROWS)]
    # A placeholder or two (``1970-01-01``) among them changes nothing.
    recent[:2] = [date(1970, 1, 1), date(1900, 1, 1)]
    for beside_people in (True, False):
        # Alone too: the name says birth, and a registry of infants may hold nothing else.
        (dob,) = _dates(name, recent, beside_people=beside_people).entities
        assert dob.evidence.rule == "birth_date.name_recent"
        assert dob.confidence == VALUES_ONLY_BIRTH_CONFIDENCE < 0.9
    # Adults and children over the years keep the name's rule, alone or not.
    for youngest, oldest in ((18, 90), (0, 17), (4, 6)):
        (dob,) = _dates(name, _births(5, youngest, oldest), beside_people=False).entities
        assert (dob.evidence.rule, dob.confidence) == ("birth_date.name", 0.96)


@pytest.mark.parametrize("name", ["start", "founded", "opened", "premiere", "incorporation"])
def test_dates_of_an_event_name_stay_out(name: str) -> None:
    assert _dates(name, _births(6, 0, 95)).entities == ()


def test_towns_named_like_surnames_are_not_person(classifier: PiiClassifier) -> None:
    # Faker's French towns: the most frequent are surnames (``Marques``, ``Imbert``), the
    # rarer ones ``Saint-...``: a call on the first round's share alone would be one.
    assert _person(_one(classifier, "ville", _values("fr_FR", "city", rows=1000))) is None


def _failing_ner(clf: PiiClassifier, monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    def analyse(texts: object) -> list[object]:
        raise exc

    monkeypatch.setattr(clf._ner, "analyse", analyse)


def test_a_failing_ner_leaves_the_values_only_column_as_it_was(
    classifier: PiiClassifier, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    names = _values("de_DE", "name")
    _failing_ner(classifier, monkeypatch, RuntimeError(names[0]))
    with caplog.at_level("WARNING"):
        f = _one(classifier, "konto_id", names)
    assert _person(f) is None and f.warnings == ()
    # Logged by type: the message quoted a value.
    assert "RuntimeError" in caplog.text and names[0] not in caplog.text


def test_a_missing_model_in_the_values_only_check_is_raised(
    classifier: PiiClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_ner(classifier, monkeypatch, ClassifierLoadError("no model"))
    with pytest.raises(ClassifierLoadError):
        _one(classifier, "konto_id", _values("de_DE", "name"))


def _phone(f: ColumnFinding) -> tuple[float, str | None, bool] | None:
    return next(
        (
            (e.confidence, e.evidence.rule, e.evidence.sparse)
            for e in f.entities
            if e.entity == "PHONE_NUMBER"
        ),
        None,
    )


@pytest.mark.parametrize(
    ("locale", "name"),
    [("nl_NL", "sku"), ("nl_NL", "c5"), ("tr_TR", "product"), ("de_DE", "vendor_id")],
)
def test_phone_numbers_under_another_name_are_a_suggestion(
    classifier: PiiClassifier, locale: str, name: str
) -> None:
    # Dutch and Turkish numbers match no phone pattern, and an id name rules the patterns
    # out: only a phone name called them; their ``+`` and parentheses say phone whatever the
    # name.
    f = _one(classifier, name, _values(locale, "phone_number"))
    assert _phone(f) == (0.6, "phone.values_only", False)
    assert [e.entity for e in f.entities] == ["PHONE_NUMBER"]


@pytest.mark.parametrize(
    "pattern",
    ["###-##-####", "+#######", "##-###-###-####", "(##) ####", "###/####-##", "(########)"],
)
def test_dashed_codes_and_signed_numbers_are_no_phone_suggestion(
    classifier: PiiClassifier, pattern: str
) -> None:
    fake = Faker("en_US")
    fake.seed_instance(4)
    values = tuple(fake.numerify(pattern) for _ in range(ROWS))
    found = _phone(_one(classifier, "sku", values))
    assert found is None or found[1] != "phone.values_only"


@pytest.mark.parametrize("name", ["sku", "c5", "id_card"])
@pytest.mark.parametrize("as_integers", [False, True])
def test_chinese_mobile_numbers_under_another_name_are_a_suggestion(
    name: str, as_integers: bool
) -> None:
    # Eleven bare digits: no ``+``, no parentheses, so no mark said phone.
    mobiles = _values("zh_CN", "phone_number")
    column = (
        ColumnSample(name, "int64", tuple(int(v) for v in mobiles))
        if as_integers
        else ColumnSample(name, "string", mobiles)
    )
    sample = table_sample((column,), "s3://lake/t/misnamed.parquet")
    f = PiiClassifier().classify(sample)[0]
    assert _phone(f) == (0.6, "phone.values_only", False)


@pytest.mark.parametrize(
    "make",
    [
        lambda i, rng: 13000000001 + i,  # a series
        lambda i, rng: rng.randrange(10**10, 10**11),  # random eleven-digit codes
        lambda i, rng: 13800000000 + rng.randrange(10**8),  # one block only
        # Random in the mobile range: every block, but a quarter are none China assigns.
        lambda i, rng: rng.randrange(13 * 10**9, 2 * 10**10),
    ],
)
@pytest.mark.parametrize("as_integers", [False, True])
def test_eleven_digit_codes_are_no_chinese_mobiles(
    classifier: PiiClassifier, make: Any, as_integers: bool
) -> None:
    rng = random.Random(5)
    numbers = [make(i, rng) for i in range(ROWS)]
    column = (
        ColumnSample("sku", "int64", tuple(numbers))
        if as_integers
        else ColumnSample("sku", "string", tuple(str(v) for v in numbers))
    )
    sample = table_sample((column,), "s3://lake/t/misnamed.parquet")
    found = _phone(classifier.classify(sample)[0])
    assert found is None or found[1] != "phone.values_only"


def test_ner_reads_names_at_its_bounds() -> None:
    assert ner_reads_names(24, 12, 48)  # half persons, twice the others
    assert not ner_reads_names(23, 0, 48)  # under half
    assert not ner_reads_names(24, 13, 48)  # others over half the persons
    assert not ner_reads_names(0, 0, 0)


def test_names_ner_does_not_read_as_persons_stay_out(
    classifier: PiiClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same German names as above, NER reading a third of them as persons: no call.
    names = _values("de_DE", "name")
    few = [ValueEntities(i % 3 == 0, False, ()) for i in range(VALUES_ONLY_NER_VALUES)]
    monkeypatch.setattr(classifier._ner, "analyse", lambda texts: few[: len(texts)])
    assert _person(_one(classifier, "konto_id", names)) is None


@pytest.mark.parametrize("name", ["voornaam", "first_name", "achternaam"])
@pytest.mark.parametrize("provider", ["country_code", "currency_code"])
def test_letter_codes_under_a_person_name_are_not_person(
    classifier: PiiClassifier, name: str, provider: str
) -> None:
    # Country codes (``CMR``, ``DE``) under a misleading name: name-shaped, and NER read
    # enough of them as persons for the name's strong rule.
    fake = Faker("nl_NL")
    fake.seed_instance(2)
    make = getattr(fake, provider)
    values = tuple(
        make(representation="alpha-3") if provider == "country_code" else make()
        for _ in range(ROWS)
    )
    assert _person(_one(classifier, name, values)) is None


def test_upper_case_short_surnames_stay_person(classifier: PiiClassifier) -> None:
    # Upper-case exports of Chinese and Korean surnames: many are two or three letters, not all.
    surnames = ("LI", "WANG", "ZHANG", "LIU", "CHEN", "YANG", "KIM", "LEE", "PARK", "CHOI",
                "WU", "ZHOU", "XU", "SUN", "MA", "ZHU", "HU", "GUO", "HE", "LIN")  # fmt: skip
    rng = random.Random(2)
    values = tuple(rng.choice(surnames) for _ in range(ROWS))
    assert _person(_one(classifier, "last_name", values)) is not None
