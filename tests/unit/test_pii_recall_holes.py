"""Issue 16's PII recall holes: each case here was missed (or misfired) before the fix.

People-role columns, names in free text, "LAST,F.M." names and row labels, abbreviated
birth-date names, opaque columns of validated identifiers (a suggestion, not an applied tag),
version strings that look like IPs, and organisations in name-like columns.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.names import derated, is_birth_name, is_opaque, people_role
from classifiers.pii.profile import build_profile, looks_like_name
from models import ColumnFinding, ColumnSample, TableSample
from models.samples import CellValue
from tests.support.tables import table_sample

TODAY = date(2024, 6, 1)
ROWS = 1000
Gen = Callable[[Faker, random.Random, int], CellValue]


def _sample(cols: list[tuple[str, str, Gen]], seed: int = 16, locale: str = "en_US") -> TableSample:
    fake = Faker(locale)
    fake.seed_instance(seed)
    rng = random.Random(seed)
    columns = tuple(
        ColumnSample(name, dt, tuple(gen(fake, rng, i) for i in range(ROWS)))
        for name, dt, gen in cols
    )
    return table_sample(columns, "s3://lake/t/holes.parquet")


@pytest.fixture(scope="module")
def classifier() -> PiiClassifier:
    clf = PiiClassifier(today=TODAY)
    clf.load()
    return clf


def _run(
    clf: PiiClassifier, cols: list[tuple[str, str, Gen]], seed: int = 16, locale: str = "en_US"
) -> dict[str, ColumnFinding]:
    return {f.column: f for f in clf.classify(_sample(cols, seed, locale))}


def _entities(f: ColumnFinding) -> set[str]:
    return {e.entity for e in f.entities}


def _staff(k: int) -> Gen:
    names: list[str] = []

    def gen(f: Faker, r: random.Random, i: int) -> CellValue:
        while len(names) < k:
            names.append(str(f.name()))
        return r.choice(names)

    return gen


def _ssn(f: Faker, r: random.Random, i: int) -> CellValue:
    area = r.choice([r.randint(1, 665), r.randint(667, 899)])
    return f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"


def _full_name(f: Faker, r: random.Random, i: int) -> CellValue:
    return str(f.name())


# -- 1. people-role columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [("assigned_to", "assigned_to"), ("closed_by", "closed_by"), ("account_exec", "exec"),
     ("technician", "technician"), ("agent", "agent"), ("sachbearbeiter", "sachbearbeiter"),
     ("agent_team", None), ("owner_id", None), ("doctor_count", None), ("user_agent", None),
     ("created_at", None),
     # Audit columns: the participle is also a date word, the last word says who acted.
     ("created_by", "created_by"), ("updated_by", "updated_by"), ("sent_by", "sent_by"),
     ("paid_to", "paid_to"), ("on_call_doctor", "doctor"), ("created_on", None),
     ("made_by", None), ("updated_to", None), ("date_to", None)],
)  # fmt: skip
def test_people_role_names(name: str, role: str | None) -> None:
    assert people_role(name) == role


@pytest.mark.parametrize(
    "name",
    ["assigned_to", "closed_by", "account_exec", "technician", "created_by", "modified_by",
     "sent_by", "on_call_doctor"],
)  # fmt: skip
def test_few_staff_names_in_a_role_column_are_person(classifier: PiiClassifier, name: str) -> None:
    found = _run(
        classifier, [("ticket_id", "int64", lambda f, r, i: i), (name, "string", _staff(8))]
    )
    person = [e for e in found[name].entities if e.entity == "PERSON"]
    assert person and person[0].evidence.rule == "ner.people_role"


def test_spanish_staff_names_the_model_half_knows_are_person(classifier: PiiClassifier) -> None:
    # Seeded so that spaCy's small English model calls about half of the ten names persons.
    found = _run(classifier, [("closed_by", "string", _staff(10))], seed=5, locale="es_ES")
    assert "PERSON" in _entities(found["closed_by"])


@pytest.mark.parametrize(
    ("name", "reason"),
    [("signed_at", "token at"), ("signed_on", "token on"), ("created", "token created"),
     ("updated_date", "token updated"), ("created_by", None), ("time_on_site", "token time"),
     ("Appointed on the advice of", None), ("logged_on_user", None),
     # Date ranges and time-zone suffixes stay dates; a date participle before "to" is not
     # a person (found in review).
     ("date_to", "token date"), ("time_by", "token time"), ("last_login_at_utc", "token at"),
     ("updated_to", "token updated")],
)  # fmt: skip
def test_date_words_derate_a_name_unless_it_says_who_acted(name: str, reason: str | None) -> None:
    # "at"/"on" mark a date only as the last word; "<participle>_by/_to" names people.
    assert derated(name, "PERSON") == reason


def test_few_names_without_people_context_stay_an_enum(classifier: PiiClassifier) -> None:
    found = _run(classifier, [("ticket_id", "int64", lambda f, r, i: i),
                              ("category", "string", _staff(8))])  # fmt: skip
    assert not found["category"].entities


def test_team_names_in_an_owner_column_are_not_person(classifier: PiiClassifier) -> None:
    teams = ["Data Platform", "Billing Ops", "Customer Success", "Finance Team", "IT Support",
             "Risk Desk", "Field Service", "Night Shift"]  # fmt: skip
    found = _run(classifier, [("owner", "string", lambda f, r, i: r.choice(teams))])
    assert "PERSON" not in _entities(found["owner"])


# -- 2. names in free text ------------------------------------------------------------------

_BASE = (
    "Printer on floor {n} keeps jamming.",
    "Cannot log in to the portal since update {n}.",
    "Please upgrade our plan to {n} seats.",
    "Password reset link expired after {n} minutes.",
    "Monthly report is missing {n} columns again.",
)


def _call_summary(f: Faker, r: random.Random, i: int) -> CellValue:
    text = r.choice(_BASE).format(n=r.randint(2, 99))
    if r.random() < 0.1:
        text = f"Spoke to {f.name()} about the renewal. {text}"
    if r.random() < 0.15:
        text += f" Call back on {f.phone_number()}."
    return text


def test_names_in_a_tenth_of_call_summaries_are_person(classifier: PiiClassifier) -> None:
    found = _run(classifier, [("call_summary", "string", _call_summary)])
    cands = {e.entity: e for e in found["call_summary"].entities}
    assert "PERSON" in cands and cands["PERSON"].evidence.rule == "ner.text"
    assert "PHONE_NUMBER" in cands


def test_company_lists_are_not_free_text_people(classifier: PiiClassifier) -> None:
    forms = ["S.L.N.E", "S.Coop.", "B.V.", "S.r.l.", "GmbH & Co. KG", "s.r.o.", "LLP", "SpA"]

    def org(f: Faker, r: random.Random, i: int) -> CellValue:
        return f"{f.last_name()} {f.last_name()} {r.choice(forms)}"

    found = _run(classifier, [("customer_name", "string", org)])
    assert "PERSON" not in _entities(found["customer_name"])


# -- 3. name forms and row labels -----------------------------------------------------------


def test_register_name_forms_are_name_shaped() -> None:
    assert looks_like_name("SMITH,J.A.")
    assert looks_like_name("Smith, J.")
    assert not looks_like_name("Widget 3000")


def test_register_names_are_person(classifier: PiiClassifier) -> None:
    def reg(f: Faker, r: random.Random, i: int) -> CellValue:
        return f"{f.last_name().upper()},{f.first_name()[0]}.{f.first_name()[0]}."

    found = _run(classifier, [("rownames", "string", reg)])
    assert "PERSON" in _entities(found["rownames"])


# -- 4. abbreviated birth-date names --------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["bdate", "fnac", "geb_dat", "date_naiss", "dt_nasc", "gebdat", "brth_dt", "f_nac"]
)
def test_birth_abbreviations(name: str) -> None:
    assert is_birth_name(name)


@pytest.mark.parametrize("name", ["eff_dt", "fec_alta", "geb_ort", "lieu_naiss", "gebuehr"])
def test_not_birth_abbreviations(name: str) -> None:
    assert not is_birth_name(name)


@pytest.mark.parametrize("name", ["geb_dat", "date_naiss", "dt_nasc", "bdate"])
def test_birth_timestamps_with_abbreviated_name(classifier: PiiClassifier, name: str) -> None:
    # Children and adults alike, as midnight timestamps: the ages alone do not say birth.
    def born(f: Faker, r: random.Random, i: int) -> CellValue:
        d = TODAY - timedelta(days=r.randint(30, 95 * 365))
        return datetime(d.year, d.month, d.day)

    found = _run(classifier, [(name, "timestamp", born)])
    assert "DATE_OF_BIRTH" in _entities(found[name])


def test_recent_dates_with_abbreviated_names_are_not_births(classifier: PiiClassifier) -> None:
    def recent(f: Faker, r: random.Random, i: int) -> CellValue:
        return TODAY - timedelta(days=r.randint(0, 5 * 365))

    found = _run(classifier, [("eff_dt", "date", recent), ("fec_alta", "date", recent)])
    assert not found["eff_dt"].entities and not found["fec_alta"].entities


# -- 5. opaque columns of validated identifiers ---------------------------------------------


def test_opaque_names() -> None:
    assert is_opaque("col7") and is_opaque("f_12") and is_opaque("x")
    assert not is_opaque("ssn") and not is_opaque("id") and not is_opaque("travel_doc_no")


def test_opaque_ssns_in_a_people_table_are_a_low_confidence_suggestion(
    classifier: PiiClassifier,
) -> None:
    found = _run(classifier, [("full_name", "string", _full_name), ("col7", "string", _ssn)])
    ssn = [e for e in found["col7"].entities if e.entity == "US_SSN"]
    assert ssn and ssn[0].evidence.rule == "pattern.opaque_validated"
    # Below the review policy's default apply threshold (0.9): a suggestion, not a tag.
    assert ssn[0].confidence < 0.9


def test_opaque_ssns_without_people_data_are_nothing(classifier: PiiClassifier) -> None:
    found = _run(classifier, [("amount", "double", lambda f, r, i: r.random()),
                              ("col7", "string", _ssn)])  # fmt: skip
    assert not found["col7"].entities


def test_random_nine_digit_codes_are_not_ssns(classifier: PiiClassifier) -> None:
    def code(f: Faker, r: random.Random, i: int) -> CellValue:
        return str(r.randint(100_000_000, 999_999_999))

    found = _run(classifier, [("full_name", "string", _full_name), ("col5", "string", code)])
    assert not found["col5"].entities


def test_opaque_passports_in_a_people_table(classifier: PiiClassifier) -> None:
    def passport(f: Faker, r: random.Random, i: int) -> CellValue:
        return r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + f"{r.randint(0, 99_999_999):08d}"

    found = _run(classifier, [("full_name", "string", _full_name), ("f_8", "string", passport)])
    assert _entities(found["f_8"]) == {"US_PASSPORT"}


# -- 6. IP addresses and version strings ----------------------------------------------------


def _version(f: Faker, r: random.Random, i: int) -> CellValue:
    return f"{r.randint(1, 12)}.{r.randint(0, 20)}.{r.randint(0, 40)}.{r.randint(0, 99)}"


@pytest.mark.parametrize("name", ["build_version", "c4"])
def test_four_part_versions_are_not_ips(classifier: PiiClassifier, name: str) -> None:
    found = _run(classifier, [(name, "string", _version)])
    assert "IP_ADDRESS" not in _entities(found[name])


@pytest.mark.parametrize("name", ["peer", "node", "c4"])
def test_ips_with_unhelpful_names_are_found(classifier: PiiClassifier, name: str) -> None:
    def ip(f: Faker, r: random.Random, i: int) -> CellValue:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    found = _run(classifier, [(name, "string", ip)])
    assert "IP_ADDRESS" in _entities(found[name])


# -- 7. organisations out of PERSON ---------------------------------------------------------


def test_repeated_trade_words_mark_organisations() -> None:
    rng = random.Random(3)
    fake = Faker("en_US")
    fake.seed_instance(3)
    values = tuple(f"{fake.last_name()} {rng.choice(['Holding', 'Partners Nord'])}"
                   for _ in range(300))  # fmt: skip
    assert build_profile(ColumnSample("client", "string", values)).suffix_repeat >= 0.9
    people = tuple(str(fake.name()) for _ in range(300))
    assert build_profile(ColumnSample("client", "string", people)).suffix_repeat < 0.3


@pytest.mark.parametrize("form", ["B.V.", "S.r.l.", "s.r.o.", "LLP", "S.Coop."])
def test_legal_forms_keep_companies_out_of_person(classifier: PiiClassifier, form: str) -> None:
    def org(f: Faker, r: random.Random, i: int) -> CellValue:
        return f"{f.last_name()} {form}"

    found = _run(classifier, [("client", "string", org)])
    assert "PERSON" not in _entities(found["client"])


@pytest.mark.parametrize("locale", ["fr_FR", "pt_BR"])
def test_colour_names_are_not_people(classifier: PiiClassifier, locale: str) -> None:
    # Faker's French and Portuguese colour names (``Prune``, ``Marrom rosado``) were a sparse
    # PERSON under ``color_name``: the name's ``name`` supported it.
    found = _run(classifier, [("color_name", "string", lambda f, r, i: f.color_name())], 4, locale)
    assert not found["color_name"].entities


def test_compound_given_names_are_not_organisations(classifier: PiiClassifier) -> None:
    # Faker's pt_BR given names: ``Ravi``, ``Júlia`` and a fifth compound (``Pedro Henrique``,
    # ``Maria Luiza``) whose second names, in a small table, repeat as a legal form would.
    fake = Faker("pt_BR")
    fake.seed_instance(3)
    single = [n for n in (fake.first_name() for _ in range(400)) if " " not in n][:126]
    compound = [f"{a} {b}" for a in ("Ana", "Maria", "Pedro", "João", "Luiz", "Carlos")
                for b in ("Henrique", "Luiza", "Vitória", "Eduarda")]  # fmt: skip
    column = ColumnSample("nome", "string", tuple(single + compound))
    assert build_profile(column).suffix_repeat >= 0.3
    found = classifier.classify(table_sample((column,)))
    assert {e.entity for e in found[0].entities} == {"PERSON"}


@pytest.mark.parametrize(
    "value",
    ["pani Aurelia Krzeszowiec", "pan Kacper Zgoła", "г-н Иван Петров", "г-жа Анна Иванова"],
)
def test_lower_case_honorifics_before_a_name(value: str) -> None:
    assert looks_like_name(value)
    assert not looks_like_name(value.split()[0])


@pytest.mark.parametrize(
    "value", ["Dr. Antje Börner B.Sc.", "Dariusz Jessel B.Eng.", "Dipl.-Ing. Karl Huber",
              "Univ.Prof. Eva Bauer", "Hans Meier Ph.D."]
)  # fmt: skip
def test_titles_and_degrees_with_inner_dots_are_name_shaped(value: str) -> None:
    # Faker's de_DE and de_AT names carry them a fifth of the time: a small table's column
    # of them fell under the 70% of name-shaped values a PERSON call needs.
    assert looks_like_name(value)


@pytest.mark.parametrize("value", ["Amazon.com", "e.g. Smith", "Main St. 5"])
def test_dotted_words_that_are_no_titles(value: str) -> None:
    assert not looks_like_name(value)


# -- 8. opaque names over one name part, and addresses in more languages --------------------


@pytest.mark.parametrize(
    ("locale", "part"),
    [("es_ES", "first_name"), ("es_ES", "last_name"), ("en_US", "first_name"),
     ("fr_FR", "last_name")],
)  # fmt: skip
def test_one_name_part_under_an_opaque_name_is_person(
    classifier: PiiClassifier, locale: str, part: str
) -> None:
    # ``c3`` says nothing: the gazetteer's known given names or surnames decide, as they do
    # under ``nombre``; single words of other kinds are known names a fourth of the time.
    found = _run(classifier, [("c3", "string", lambda f, r, i: getattr(f, part)())], 5, locale)
    assert _entities(found["c3"]) == {"PERSON"}


def test_single_words_of_other_kinds_under_an_opaque_name_are_not_person(
    classifier: PiiClassifier,
) -> None:
    cities = [
        "Aberdeen", "Augusta", "Anchorage", "Bradford", "Jackson", "Houston", "Austin", "Denver",
        "Madison", "Lincoln", "Phoenix", "Boston", "Dallas", "Tyler", "Camden", "Warren",
        "Clinton", "Franklin", "Salem", "Dover", "Quincy", "Eugene", "Helena", "Florence",
        "Marion", "Troy", "Columbus", "Burlington", "Auburn", "Ashland",
    ]  # fmt: skip
    colours = ["Brown", "Green", "White", "Black", "Gray", "Red", "Blue"]
    found = _run(
        classifier,
        [("c1", "string", lambda f, r, i: r.choice(cities)),
         ("c2", "string", lambda f, r, i: r.choice(colours)),
         ("c3", "string", lambda f, r, i: f.word().capitalize())],
    )  # fmt: skip
    assert all("PERSON" not in _entities(found[c]) for c in ("c1", "c2", "c3"))


@pytest.mark.parametrize("locale", ["pl_PL", "ru_RU"])
def test_polish_and_russian_addresses_under_an_opaque_name(
    classifier: PiiClassifier, locale: str
) -> None:
    # ``ul. Kreta 67/46, 49-382 Jarocin``, ``ст. Шарья, ул. Жукова, д. 2, 541804``: the street
    # abbreviation comes first, as in no language the street words had.
    found = _run(
        classifier, [("c7", "string", lambda f, r, i: f.address().replace("\n", ", "))], 2, locale
    )
    assert _entities(found["c7"]) == {"STREET_ADDRESS"}


@pytest.mark.parametrize("locale", ["fr_FR", "es_ES"])
def test_towns_named_after_people_under_an_opaque_name_are_not_person(
    classifier: PiiClassifier, locale: str
) -> None:
    # Faker's French towns are a surname half the time (``Poirier``, ``Lombard``), its
    # Spanish ones known surnames two times in five (``Murcia``): under the bar for ``c4``.
    found = _run(classifier, [("c4", "string", lambda f, r, i: f.city())], 6, locale)
    assert not {e.entity for e in found["c4"].entities if not e.evidence.sparse}


def test_short_values_with_a_bare_street_abbreviation_are_no_addresses(
    classifier: PiiClassifier,
) -> None:
    # ``ul.`` and ``ул.`` count only with their dot: ranges, alloys, cable standards and
    # US state codes hold "al" and "UL" as words next to numbers.
    def forms(f: Faker, r: random.Random, i: int) -> CellValue:
        a = r.randint(1, 90)
        return r.choice([
            f"Del {a} al {a + 7}", f"Sheet AL {r.randint(1000, 7999)}",
            f"Cable UL {r.randint(1000, 9999)}", f"{f.city()}, AL {f.zipcode()}",
        ])  # fmt: skip

    found = _run(classifier, [("spec", "string", forms), ("c5", "string", forms)])
    assert "STREET_ADDRESS" not in _entities(found["spec"]) | _entities(found["c5"])


def test_a_phone_suggestion_does_not_make_a_people_table(classifier: PiiClassifier) -> None:
    # Phone numbers under ``sku`` are a suggestion from the values alone; one suggestion
    # does not keep another (the opaque SSNs), as a dense finding under its name would.
    def phone(f: Faker, r: random.Random, i: int) -> CellValue:
        return str(f.phone_number())  # Dutch forms: no phone pattern takes most of them

    cols: list[tuple[str, str, Gen]] = [("sku", "string", phone), ("col7", "string", _ssn)]
    found = _run(classifier, cols, locale="nl_NL")
    assert [e.evidence.rule for e in found["sku"].entities] == ["phone.values_only"]
    assert not found["col7"].entities
    cols[0] = ("telefoon", "string", phone)
    found = _run(classifier, cols, locale="nl_NL")
    assert [e.evidence.rule for e in found["col7"].entities] == ["pattern.opaque_validated"]
