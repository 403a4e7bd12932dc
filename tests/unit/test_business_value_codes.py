"""Value shapes of standard codes: ISO 4217 currencies, ISO 3166 countries, GS1 barcodes and
money as locales write it (the business features' ``re_*`` shares), and the generator's
tables that carry them (training/corpus.py)."""

from __future__ import annotations

import random

import pytest
from faker import Faker

import classifiers.business.features as bf
from models import ColumnSample
from models.labels import NATIONAL_ID_ENTITIES
from tests.support.tables import table_sample
from training.corpus import GENERATORS


def shares(values: list[str]) -> dict[str, float]:
    features = bf.column_features(ColumnSample("c1", "string", tuple(values)))
    return {k: v for k, v in features.items() if k.startswith("re_")}


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "ja_JP", "pt_BR"])
def test_every_iso_currency_and_alpha3_country_faker_draws_is_known(locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(5)
    # Faker also draws a few codes ISO 4217 does not have (the Guernsey, Jersey and Manx
    # pounds, Tuvalu's dollar, Seborga's luigino, NIS for ILS): left out.
    not_iso = {"GGP", "IMP", "JEP", "TVD", "SPL", "NIS"}
    currencies = [c for c in (fake.currency_code() for _ in range(400)) if c not in not_iso]
    alpha3 = [fake.country_code("alpha-3") for _ in range(400)]
    assert shares(currencies)["re_currency"] == 1.0
    assert shares(alpha3)["re_country_code"] == 1.0


def test_two_letter_codes_that_are_states_or_units_are_not_countries() -> None:
    others = ["GA", "PA", "MD", "AL", "VA", "WA", "NE", "SC", "AM", "PM", "NA"]
    units = ["KG", "CM", "MM", "ML", "MG", "KM", "LT", "LB", "DZ", "GL"]
    assert all(code not in bf.COUNTRY_CODES for code in others + units)
    assert shares(["KG", "CM", "ML", "LB", "MM"] * 20)["re_country_code"] == 0.0
    # The larger countries keep their codes, also where a state shares them.
    assert {"CA", "DE", "IN", "ID", "AR", "CO", "MA", "US", "GB", "UK"} <= bf.COUNTRY_CODES
    # Every other country: most of what Faker draws, all of a few smaller ones.
    assert {"BT", "GH", "NP", "PY", "VU", "ZW", "KZ", "MV"} <= bf.COUNTRY_CODES
    fake = Faker()
    fake.seed_instance(6)
    assert shares([fake.country_code() for _ in range(500)])["re_country_code"] > 0.8


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("$7.81", True),
        ("R$5.570,70", True),
        ("€2,86", True),
        ("EUR 12.00", True),
        ("7.070,49 €", True),
        ("4,99 €", True),
        ("12 CHF", True),
        ("-3.50 €", True),
        ("1234", False),
        ("12 cm", False),
        ("12 PCS", False),  # three capitals that are no currency
        ("TOP 10", False),  # a currency code that is also a word
        ("ALL 3", False),
        ("-$3.50", True),
        ("EUR\u00a012", True),
        ("AB 12", False),
        ("2024-01-02", False),
    ],
)
def test_money_as_locales_write_it(text: str, money: bool) -> None:
    assert bool(bf._RE_MONEY.match(text)) is money
    assert (shares([text])["re_money"] == 1.0) is money


def test_gtin_check_digit() -> None:
    fake = Faker()
    fake.seed_instance(2)
    assert all(bf.is_gtin(fake.ean13()) for _ in range(200))
    assert all(bf.is_gtin(fake.ean8()) for _ in range(200))
    assert bf.is_gtin("036000291452")  # UPC-A
    assert not bf.is_gtin("4006381333932")  # wrong check digit
    assert not bf.is_gtin("40063813339")  # 11 digits: no GS1 length
    assert not bf.is_gtin("400638133393a")
    assert not bf.is_gtin("４００６３８１３３３９３１")  # full-width digits are not ASCII
    rng = random.Random(1)
    randoms = ["".join(rng.choices("0123456789", k=13)) for _ in range(2000)]
    assert 0.05 < sum(map(bf.is_gtin, randoms)) / len(randoms) < 0.15


def test_barcodes_count_as_product_codes() -> None:
    fake = Faker()
    fake.seed_instance(3)
    assert shares([fake.ean13() for _ in range(100)])["re_sku"] == 1.0
    rng = random.Random(4)
    phones = ["".join(rng.choices("0123456789", k=13)) for _ in range(300)]
    assert shares(phones)["re_sku"] < 0.2


def test_generator_draws_any_currency_and_barcodes_and_companies() -> None:
    fake = Faker()
    fake.seed_instance(0)
    rng = random.Random(0)
    seen: set[str] = set()
    for _ in range(40):
        values, _, _ = GENERATORS["currency_code"](rng, fake, 200, "")
        seen.update(str(v) for v in values if v)
    assert seen <= bf.CURRENCY_CODES
    assert len(seen) > 40  # not only the eleven common ones
    barcodes = []
    for _ in range(30):
        values, _, _ = GENERATORS["product_code_sku"](rng, fake, 50, "")
        barcodes += [str(v) for v in values if v and str(v).isdigit()]
    assert barcodes
    assert all(bf.is_gtin(code) for code in barcodes)
    companies, data_type, pii = GENERATORS["category_enum"](rng, fake, 300, "company")
    assert data_type == "string"
    assert pii == set()
    assert 3 <= len(set(companies) - {None}) <= 200


@pytest.mark.parametrize("entity", sorted(NATIONAL_ID_ENTITIES))
def test_every_national_identifier_reads_as_the_generators_ssn(entity: str) -> None:
    # The generator draws national identifiers as US SSNs; the category model learnt what
    # one says of a table, and a codice fiscale or a BSN says the same.
    sample = table_sample((ColumnSample("c1", "string", ("x",)),), "s3://lake/t/p.parquet")
    f = bf.table_features(sample, ["identifier"], {"c1": {entity}})
    assert f.get("pii=US_SSN") == 1.0
    assert not any(k.startswith("pii=") and k != "pii=US_SSN" for k in f)
