"""A deterministic, labelled corpus for the business models (training and benchmark).

Dev/training code only: it imports Faker (a dev dependency), so production modules never
import it. :func:`build_corpus` returns :class:`LabelledTable` objects, each a
:class:`models.TableSample` with a business category, one business type per column and the
PII entities per column that the PII classifier would report.

Sources:

- synthetic tables from templates, 3-6 per category (e.g. customers, customer addresses and
  loyalty accounts for ``customer``; the kinds of table each category's description names,
  so finance holds market prices, loans and interest rates besides ledgers, science
  surveys and test scores besides experiments, reference regional statistics), with Faker
  values in four locales, a random subset of optional columns, column names drawn from
  several variants per column (12% replaced by opaque names such as ``col_3``; of three or
  more variants the last is never used in ``train`` and used for half the ``test``
  columns), and paths such as
  ``s3://crm-prod/exports/customers/part-0.parquet`` (a third of them in neutral buckets
  and 20% with an opaque table folder, so the path alone does not give the category away);
- real tables from plotly's package data (``plotly/package_data/datasets/*.csv.gz``), hand
  labelled; the rows of each file are shuffled once and split 60/40 so the train and test
  splits never share a row (they do share the schemas: say so when quoting figures).

Splits: ``train`` and ``test`` use different seeds; every table gets its own seed derived with
BLAKE2 from (split, seed, index), so the corpus does not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import random
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from faker import Faker

from classifiers.business.countries import ISO_COUNTRIES
from classifiers.business.features import (
    COUNTRY_CODES,
    COUNTRY_NAMES,
    CURRENCY_CODES,
    gtin_check_digit,
)
from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample
from models.samples import CellValue

SPLITS = ("train", "test")
DEFAULT_SEEDS = {"train": 6101, "test": 6202}
DEFAULT_TABLES = {"train": 660, "test": 330}
PLOTLY_TABLES = {"train": 6, "test": 3}
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR")
#: Locales of the extra tables the hidden-names pair also learns from
#: (:func:`other_locale_tables`): values in other alphabets and conventions, whose names
#: it never reads anyway.
OTHER_LOCALES = (
    "es_ES", "it_IT", "pt_BR", "nl_NL", "pl_PL", "ru_RU", "tr_TR", "ja_JP", "zh_CN", "ko_KR",
)  # fmt: skip
#: Seed offset and size (per split) of the other-locale tables.
OTHER_LOCALE_SEED = 1000
OTHER_LOCALE_TABLES = {"train": 330, "test": 330}


@dataclass(frozen=True, slots=True)
class LabelledTable:
    """A sample with its labels; ``source`` is ``synthetic:<template>`` or ``plotly:<file>``."""

    sample: TableSample
    category: str
    column_types: tuple[str, ...]
    pii: dict[str, set[str]]
    source: str


# --------------------------------------------------------------------------- generators
#: Makes one column: ``(rng, fake, rows, flavor) -> (values, data type, PII entities)``;
#: ``flavor`` narrows the kind of value (``"email"`` for ``person_data``, an enum's name ...).
ColumnGenerator = Callable[[random.Random, Faker, int, str], tuple[list[CellValue], str, set[str]]]

_ENUMS: dict[str, tuple[str, ...]] = {
    "status": ("pending", "active", "shipped", "cancelled", "delivered", "returned", "on_hold"),
    "segment": ("SMB", "Enterprise", "Consumer", "Mid-Market", "Public Sector"),
    "channel": ("email", "web", "mobile", "store", "partner", "social", "search"),
    "severity": ("low", "medium", "high", "critical"),
    "department": ("Engineering", "Sales", "Finance", "HR", "Legal", "Support", "Marketing"),
    "tier": ("gold", "silver", "bronze", "platinum"),
    "stage": ("prospect", "qualified", "proposal", "negotiation", "won", "lost"),
    "carrier": ("UPS", "DHL", "FedEx", "USPS", "La Poste", "Royal Mail"),
    "blood": ("A+", "A-", "B+", "B-", "O+", "O-", "AB+", "AB-"),
    "unit": ("mg/dL", "mmol/L", "g/L", "U/L", "%"),
    "test": ("glucose", "hba1c", "ldl", "hdl", "creatinine", "alt", "ast"),
    "action": ("login", "logout", "password_reset", "mfa_challenge", "token_refresh"),
    "device": ("desktop", "mobile", "tablet"),
    "utm": ("google", "facebook", "newsletter", "linkedin", "bing", "direct"),
    "group": ("control", "treatment", "placebo"),
    "gender": ("female", "male", "other"),
    "race": ("White", "Black", "Hispanic", "Asian", "Other", "Two or more"),
    "weekday": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "category": ("books", "electronics", "toys", "garden", "grocery", "apparel", "sports"),
    "warehouse": ("WH-EAST", "WH-WEST", "WH-NORTH", "DC-01", "DC-02"),
    "region": ("EMEA", "APAC", "AMER", "LATAM"),
    "account_type": ("asset", "liability", "equity", "revenue", "expense"),
    "method": ("card", "wire", "ach", "paypal", "cash"),
    "icd": ("E11.9", "I10", "J45.909", "M54.5", "F32.9", "K21.9"),
    "env": ("prod", "staging", "dev"),
    "species": ("setosa", "versicolor", "virginica", "arabidopsis", "e_coli"),
    "quarter": ("Q1", "Q2", "Q3", "Q4"),
    "education": ("none", "primary", "high school", "some college", "bachelor", "graduate"),
    "occupation": ("clerical", "sales", "craft", "manager", "professional", "service"),
    "ticker": ("AAPL", "MSFT", "IBM", "GE", "XOM", "JPM", "KO", "PFE"),
    "tenor": ("3M", "6M", "1Y", "2Y", "5Y", "10Y", "30Y"),
    "loan_status": ("current", "late", "default", "paid_off", "charged_off"),
    "likert": ("strongly agree", "agree", "neutral", "disagree", "strongly disagree"),
    "us_state": ("CA", "TX", "NY", "FL", "IL", "PA", "OH", "MI", "GA", "WA"),
    "school": ("public", "private", "charter", "magnet"),
    "marital": ("single", "married", "divorced", "widowed", "partnered"),
    "income_band": ("<25k", "25-50k", "50-75k", "75-100k", "100-150k", ">150k"),
    "industry": ("manufacturing", "retail", "finance", "health", "education", "construction"),
    "return_reason": ("damaged", "wrong_size", "not_as_described", "late", "changed_mind"),
    "supplier_type": ("raw_materials", "packaging", "logistics", "services", "components"),
    "weather": ("clear", "rain", "snow", "fog", "ice"),
    "drug": ("metformin", "lisinopril", "atorvastatin", "amoxicillin", "omeprazole"),
}

_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "INR", "BRL", "CNY")
_COUNTRY_NAMES = (
    "United States",
    "Germany",
    "France",
    "United Kingdom",
    "Spain",
    "Italy",
    "Canada",
    "Brazil",
    "Japan",
    "India",
    "Australia",
    "Netherlands",
    "Mexico",
    "Sweden",
    "Poland",
)
#: Every ISO 3166-1 country by its English name, as written and in capitals (a database
#: export's ``ALGERIA``): lakes hold more countries than the fifteen largest. The few names
#: the features leave out (longer than 32 characters) are left out here too.
_WORLD = tuple(name for name, _, _ in ISO_COUNTRIES if name.lower() in COUNTRY_NAMES)
_WORLD_UPPER = tuple(name.upper() for name in _WORLD)
_COUNTRY_ISO2 = ("US", "DE", "FR", "GB", "ES", "IT", "CA", "BR", "JP", "IN", "AU", "NL", "MX")
_COUNTRY_ISO3 = ("USA", "DEU", "FRA", "GBR", "ESP", "ITA", "CAN", "BRA", "JPN", "IND", "AUS")
#: Every code the features know, for the tables that list many countries or currencies (a
#: rates table, a country dimension): sorted, so a seed draws the same ones every run.
_ALL_ISO2 = tuple(sorted(c for c in COUNTRY_CODES if len(c) == 2))
_ALL_ISO3 = tuple(sorted(c for c in COUNTRY_CODES if len(c) == 3))
_ALL_CURRENCIES = tuple(sorted(CURRENCY_CODES))
_MEASURE = {
    "weight": (0.1, 80.0),
    "temp": (-20.0, 45.0),
    "pressure": (950.0, 1050.0),
    "lat": (-60.0, 70.0),
    "lon": (-170.0, 170.0),
    "heart": (45.0, 140.0),
    "length": (0.5, 300.0),
    "score": (0.0, 10.0),
    "lab": (0.1, 400.0),
    "volt": (0.0, 240.0),
    "credit": (300.0, 850.0),
    "return": (-0.06, 0.06),
    "sigma": (0.05, 0.6),
    "gpa": (1.0, 4.0),
    "grams": (1800.0, 4800.0),
    "gdp": (500.0, 90000.0),
    "per_head": (0.0, 60.0),
    "inflation": (-1.0, 9.0),
}


def _maybe_null(rng: random.Random, values: list[CellValue]) -> list[CellValue]:
    share = rng.choice((0.0, 0.0, 0.0, 0.02, 0.1, 0.3))
    return [None if share and rng.random() < share else v for v in values]


def _generate_identifier(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = rng.choice(("seq", "seq", "uuid", "prefixed", "bigint"))
    if style == "seq":
        start = rng.randint(1, 100000)
        span = n * rng.randint(1, 3)
        vals: list[CellValue] = [start + i for i in range(min(n, span))]
        rng.shuffle(vals)
        return vals, "int64", set()
    if style == "bigint":
        return [rng.randint(10**9, 10**12) for _ in range(n)], "int64", set()
    if style == "uuid":
        return (
            [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)],
            "string",
            set(),
        )
    prefix = rng.choice(("CUS", "ORD", "INV", "E", "TX", "P", "EV", "T"))
    start = rng.randint(1000, 900000)
    return [f"{prefix}-{start + i:06d}" for i in range(n)], "string", set()


def _generate_foreign_key(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    pool_size = max(2, int(n * rng.uniform(0.05, 0.6)))
    style = rng.choice(("int", "int", "uuid", "prefixed"))
    if style == "int":
        base = rng.randint(1, 50000)
        pool: list[CellValue] = [base + rng.randint(0, 5000) for _ in range(pool_size)]
        dt = "int64"
    elif style == "uuid":
        pool = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(pool_size)]
        dt = "string"
    else:
        prefix = rng.choice(("CUS", "ACC", "EMP", "PRD", "U", "C"))
        pool = [f"{prefix}-{rng.randint(1000, 99999):06d}" for _ in range(pool_size)]
        dt = "string"
    return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), dt, set()


#: Swaps the thousands and decimal separators (``1,234.56`` -> ``1.234,56``).
_CONTINENTAL = str.maketrans(",.", ".,")


def _generate_amount(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    scale = rng.choice((20.0, 150.0, 2500.0, 60000.0))
    neg = rng.random() < 0.2
    raw = [
        round(rng.lognormvariate(0, 0.8) * scale * (-1 if neg and rng.random() < 0.3 else 1), 2)
        for _ in range(n)
    ]
    style = rng.choice(("float", "float", "decimal", "str", "money"))
    if style == "decimal":
        return _maybe_null(rng, [Decimal(f"{x:.2f}") for x in raw]), "decimal(12,2)", set()
    if style == "str":
        return _maybe_null(rng, [f"{x:.2f}" for x in raw]), "string", set()
    if style == "money":
        sym = rng.choice(("$", "€", "£", "R$", "€ after", "EUR", "CHF"))
        texts: list[CellValue]
        if sym == "€ after":
            # As continental Europe writes prices: 1.234,56 €.
            texts = [f"{x:,.2f}".translate(_CONTINENTAL) + " €" for x in raw]
        elif sym in ("EUR", "CHF"):
            texts = [f"{x:.2f} {sym}" for x in raw]
        else:
            texts = [f"{sym}{x:,.2f}" for x in raw]
        return _maybe_null(rng, texts), "string", set()
    return _maybe_null(rng, list(raw)), "double", set()


def _generate_currency_code(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    if rng.random() < 0.25:
        # A table of many currencies (exchange rates, a currency dimension), of any code.
        pool = rng.sample(_ALL_CURRENCIES, rng.randint(8, 120))
    else:
        pool = rng.sample(_CURRENCIES, rng.randint(1, 6))
    return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()


def _generate_quantity(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    scale = rng.choice((3, 12, 80, 1500, 10**6))
    vals: list[CellValue] = [int(rng.expovariate(1 / scale)) for _ in range(n)]
    if rng.random() < 0.2:
        return _maybe_null(rng, [str(v) for v in vals]), "string", set()
    return _maybe_null(rng, vals), "int64", set()


def _generate_percentage(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = rng.choice(("unit", "hundred", "whole", "str"))
    if style == "whole":
        # Whole percents as integers (a survey's 0-100 answer, a share rounded for a report).
        a, b = rng.uniform(0.5, 5), rng.uniform(0.5, 5)
        return (
            _maybe_null(rng, [round(100 * rng.betavariate(a, b)) for _ in range(n)]),
            "int64",
            set(),
        )
    if style == "unit":
        return (
            _maybe_null(
                rng, [round(rng.betavariate(2, 5), rng.choice((2, 3, 4))) for _ in range(n)]
            ),
            "double",
            set(),
        )
    if style == "hundred":
        return (
            _maybe_null(rng, [round(rng.uniform(0, 100), rng.choice((1, 2))) for _ in range(n)]),
            "double",
            set(),
        )
    return (
        _maybe_null(rng, [f"{rng.uniform(0, 100):.{rng.choice((0, 1))}f}%" for _ in range(n)]),
        "string",
        set(),
    )


def _generate_country(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    pool = rng.choice(
        (
            _COUNTRY_NAMES,
            _COUNTRY_ISO2,
            _COUNTRY_ISO3,
            _COUNTRY_NAMES,
            _WORLD,
            _WORLD_UPPER,
            _ALL_ISO2,
            _ALL_ISO3,
        )
    )
    sub = rng.sample(pool, rng.randint(2, min(len(pool), 60)))
    return _maybe_null(rng, [rng.choice(sub) for _ in range(n)]), "string", set()


def _generate_city(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    pool = [fake.city() for _ in range(max(3, n // rng.choice((1, 2, 4))))]
    return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()


def _generate_postal_code(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    vals: list[CellValue] = [fake.postcode() for _ in range(n)]
    if all(isinstance(v, str) and v.isdigit() and v[0] != "0" for v in vals) and rng.random() < 0.3:
        return _maybe_null(rng, [int(str(v)) for v in vals]), "int64", set()
    return _maybe_null(rng, vals), "string", set()


#: "Today" for generated dates of birth. Faker's ``date_of_birth`` counts back from the real
#: today, which made the corpus (and its digest in the manifest) change every day.
CORPUS_TODAY = date(2026, 11, 26)


def _date_of_birth(fake: Faker, maximum_age: int = 115) -> date:
    """Faker's ``date_of_birth`` with :data:`CORPUS_TODAY` as today (same draws, fixed dates)."""
    from faker.providers.date_time import change_year

    start = change_year(CORPUS_TODAY, -(maximum_age + 1))
    dob: date = fake.date_time_ad(start_datetime=start, end_datetime=CORPUS_TODAY).date()
    return dob if dob != start else dob + timedelta(days=1)


def _random_date(rng: random.Random) -> date:
    return date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))


#: Date-part flavors of :func:`_generate_date` and their largest value.
_DATE_PARTS = {"month": 12, "dom": 31}


def _generate_date(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    if flavor == "year":
        # A year on its own, as statistics tables keep it: integers, labelled a date.
        start = rng.randint(1950, 2015)
        years: list[CellValue] = [start + rng.randint(0, 10) for _ in range(n)]
        return _maybe_null(rng, years), "int64", set()
    if flavor in _DATE_PARTS:
        # A part of a date on its own (month 1-12, day of the month): a
        # date as real tables label it (``month``, ``c_birth_day``, ``d_dom``), not a count.
        top = _DATE_PARTS[flavor]
        parts: list[CellValue] = [rng.randint(1, top) for _ in range(n)]
        return _maybe_null(rng, parts), rng.choice(("int64", "int64", "int32")), set()
    vals = [_random_date(rng) for _ in range(n)]
    style = rng.choice(("date", "date", "iso", "eu", "us"))
    if style == "date":
        if vals[0].day % 3 == 0:
            # Dates stored as timestamps at midnight, as pandas writes a date column to
            # Parquet and as TPC-H's DATE columns read through it. Chosen from the drawn
            # values rather than by a new draw, so that every other column stays as it was.
            stamps: list[CellValue] = [datetime(d.year, d.month, d.day) for d in vals]
            return _maybe_null(rng, stamps), "timestamp[us]", set()
        return _maybe_null(rng, list(vals)), "date", set()
    fmt = {"iso": "%Y-%m-%d", "eu": "%d.%m.%Y", "us": "%m/%d/%Y"}[style]
    return _maybe_null(rng, [d.strftime(fmt) for d in vals]), "string", set()


def _generate_timestamp(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    base = datetime(2020, 1, 1)
    vals = [base + timedelta(seconds=rng.randint(0, 5 * 365 * 86400)) for _ in range(n)]
    style = rng.choice(("ts", "ts", "iso", "isoz", "space"))
    if style == "ts":
        return _maybe_null(rng, list(vals)), "timestamp[us]", set()
    if style == "iso":
        return _maybe_null(rng, [v.isoformat() for v in vals]), "string", set()
    if style == "isoz":
        return _maybe_null(rng, [v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in vals]), "string", set()
    return _maybe_null(rng, [v.strftime("%Y-%m-%d %H:%M:%S") for v in vals]), "string", set()


def _generate_boolean_flag(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    p = rng.uniform(0.1, 0.9)
    bits = [rng.random() < p for _ in range(n)]
    style = rng.choice(("bool", "bool", "yn", "tf", "int", "yesno"))
    if style == "bool":
        return _maybe_null(rng, list(bits)), "bool", set()
    if style == "int":
        return _maybe_null(rng, [int(b) for b in bits]), "int64", set()
    words = {"yn": ("Y", "N"), "tf": ("true", "false"), "yesno": ("Yes", "No")}[style]
    return _maybe_null(rng, [words[0] if b else words[1] for b in bits]), "string", set()


def _generate_category_enum(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    if flavor == "company":
        # The organisations of a table (vendors, counterparties, accounts): names of the
        # members of a group, a category however many (the real tables' labels say so).
        pool = [fake.company() for _ in range(rng.randint(3, max(3, min(n, 200))))]
        return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()
    vocab = _ENUMS.get(flavor) or _ENUMS[rng.choice(sorted(_ENUMS))]
    sub = rng.sample(vocab, rng.randint(min(2, len(vocab)), len(vocab)))
    return _maybe_null(rng, [rng.choice(sub) for _ in range(n)]), "string", set()


def _generate_free_text(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    words = rng.choice((6, 12, 25))
    return _maybe_null(rng, [fake.sentence(nb_words=words) for _ in range(n)]), "string", set()


def _generate_url(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = rng.choice(("url", "uri", "img"))
    if style == "url":
        vals: list[CellValue] = [fake.url() for _ in range(n)]
    elif style == "uri":
        vals = [fake.uri() for _ in range(n)]
    else:
        vals = [f"https://cdn.{fake.domain_name()}/img/{fake.uuid4()[:8]}.png" for _ in range(n)]
    return _maybe_null(rng, vals), "string", set()


def _generate_sku(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = rng.choice(("dash", "plain", "suffix", "gtin"))
    pool_n = max(3, int(n * rng.uniform(0.3, 1.0)))
    pool: list[CellValue] = []
    for _ in range(pool_n):
        if style == "gtin":
            # An EAN-13 or UPC-A barcode: digits with a check digit.
            pool.append(_gtin(rng, rng.choice((12, 13))))
            continue
        letters = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(2, 4)))
        digits = "".join(rng.choices(string.digits, k=rng.randint(4, 6)))
        if style == "dash":
            pool.append(f"{letters}-{digits}")
        elif style == "plain":
            pool.append(f"{letters}{digits}")
        else:
            pool.append(f"{letters}-{digits}-{rng.choice(('S', 'M', 'L', 'XL', 'BLK', 'RED'))}")
    return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()


def _gtin(rng: random.Random, length: int) -> str:
    """A GS1 trade item number of ``length`` digits whose last is its check digit."""
    body = "".join(rng.choices(string.digits, k=length - 1))
    return body + str(gtin_check_digit(body))


def _generate_measurement(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    if flavor == "log_money":
        # The natural log of a money amount (log wages, log prices): a measurement derived
        # from money, not money; full float precision.
        scale = rng.choice((20.0, 150.0, 2500.0, 60000.0))
        logs: list[CellValue] = [math.log(rng.lognormvariate(0, 0.8) * scale) for _ in range(n)]
        return _maybe_null(rng, logs), "double", set()
    lo, hi = _MEASURE.get(flavor) or _MEASURE[rng.choice(sorted(_MEASURE))]
    mu, sd = (lo + hi) / 2, (hi - lo) / 6
    digits = rng.choice((1, 2, 3, 4, 6))
    vals: list[CellValue] = [round(rng.gauss(mu, sd), digits) for _ in range(n)]
    if rng.random() < 0.15:
        return _maybe_null(rng, [str(v) for v in vals]), "string", set()
    return _maybe_null(rng, vals), "double", set()


def _generate_version_string(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = rng.choice(("semver", "v", "two", "pre"))
    pool: list[CellValue] = []
    for _ in range(max(2, n // 4)):
        a, b, c = rng.randint(0, 12), rng.randint(0, 30), rng.randint(0, 99)
        pool.append(
            {
                "semver": f"{a}.{b}.{c}",
                "v": f"v{a}.{b}.{c}",
                "two": f"{a}.{b}",
                "pre": f"{a}.{b}.{c}-{rng.choice(('beta', 'rc1', 'alpha.2'))}",
            }[style]
        )
    return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()


def _generate_person_data(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    kind = flavor or rng.choice(("name", "first", "last", "email", "phone", "address", "ip"))
    fn: Callable[[], str]
    ent = {
        "name": "PERSON",
        "first": "PERSON",
        "last": "PERSON",
        "email": "EMAIL_ADDRESS",
        "phone": "PHONE_NUMBER",
        "address": "STREET_ADDRESS",
        "ip": "IP_ADDRESS",
        "ssn": "US_SSN",
        "dob": "DATE_OF_BIRTH",
        "card": "CREDIT_CARD",
        "iban": "IBAN_CODE",
        "us_ssn": "US_SSN",
    }[kind]
    fn = {
        "name": fake.name,
        "first": fake.first_name,
        "last": fake.last_name,
        "email": fake.email,
        "phone": fake.phone_number,
        "address": fake.street_address,
        "ip": fake.ipv4,
        "ssn": fake.ssn,
        "dob": lambda: _date_of_birth(fake).isoformat(),
        "card": fake.credit_card_number,
        "iban": fake.iban,
        "us_ssn": lambda: _us_ssn(rng),
    }[kind]
    return _maybe_null(rng, [fn() for _ in range(n)]), "string", {ent}


def _us_ssn(rng: random.Random) -> str:
    """A US social security number the SSA could issue (area not 000, 666 or 9xx)."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


#: Kinds of ``other`` column (neither an entity nor a business type: opaque or structured
#: text) and the names such columns go by. Real lakes hold more than hashes and JSON:
#: colour codes, durations written out, ranges of two values, random tokens.
OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "hash": ("row_hash", "checksum", "digest", "fingerprint"),
    "json": ("payload", "metadata", "raw_json", "extra", "attributes"),
    "blob": ("payload", "blob", "raw", "thumbnail"),
    "colour": ("hex_color", "theme_colour", "fill", "rgb", "css_colour"),
    "duration": ("elapsed", "duration", "time_taken", "lap_time", "uptime"),
    "range": ("date_range", "validity", "valid_between", "span", "window"),
    "token": ("token", "nonce", "signature", "session_token", "secret_ref"),
}


def _generate_other(
    rng: random.Random, fake: Faker, n: int, flavor: str
) -> tuple[list[CellValue], str, set[str]]:
    style = flavor if flavor in OTHER_NAMES else rng.choice(tuple(OTHER_NAMES))
    if style == "hash":
        return (
            [hashlib.sha256(str(rng.random()).encode()).hexdigest() for _ in range(n)],
            "string",
            set(),
        )
    if style == "json":
        vals: list[CellValue] = [
            json.dumps({"k": rng.randint(0, 99), "tags": [fake.word()]}) for _ in range(n)
        ]
        return vals, "json", set()
    if style == "colour":
        pool = [f"#{rng.getrandbits(24):06X}" for _ in range(rng.randint(5, 60))]
        if rng.random() < 0.5:
            pool = [c.lower() for c in pool]
        return _maybe_null(rng, [rng.choice(pool) for _ in range(n)]), "string", set()
    if style == "duration":
        form = rng.choice(("pandas", "clock", "iso"))
        out: list[CellValue] = []
        for _ in range(n):
            secs = int(rng.expovariate(1 / rng.choice((60, 600, 7200, 86400))))
            h, rest = divmod(secs, 3600)
            m, s = divmod(rest, 60)
            if form == "pandas":
                out.append(f"{h // 24} days {h % 24:02d}:{m:02d}:{s:02d}")
            elif form == "clock":
                out.append(f"{h:02d}:{m:02d}:{s:02d}")
            else:
                out.append(f"PT{h}H{m}M{s}S" if h else f"PT{m}M{s}S" if m else f"PT{s}S")
        return _maybe_null(rng, out), "string", set()
    if style == "range":
        fmt = rng.choice(("%Y-%m-%d", "%Y.%m.%d", "%d/%m/%Y"))
        # "/" between two dates only as ISO 8601 writes an interval (not inside d/m/Y).
        sep = rng.choice((" - ", "..", " to ") + (("/",) if fmt == "%Y-%m-%d" else ()))
        out = []
        for _ in range(n):
            start = date(1950, 1, 1) + timedelta(days=rng.randint(0, 26000))
            end = start + timedelta(days=rng.randint(30, 9000))
            out.append(f"{start.strftime(fmt)}{sep}{end.strftime(fmt)}")
        return _maybe_null(rng, out), "string", set()
    if style == "token":
        alphabet = string.ascii_letters + string.digits
        tokens: list[CellValue] = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 24))) for _ in range(n)
        ]
        return _maybe_null(rng, tokens), "string", set()
    return [bytes(rng.getrandbits(8) for _ in range(16)) for _ in range(n)], "binary", set()


GENERATORS: dict[str, ColumnGenerator] = {
    "identifier": _generate_identifier,
    "foreign_key_id": _generate_foreign_key,
    "amount": _generate_amount,
    "currency_code": _generate_currency_code,
    "quantity": _generate_quantity,
    "percentage": _generate_percentage,
    "country": _generate_country,
    "city": _generate_city,
    "postal_code": _generate_postal_code,
    "date": _generate_date,
    "timestamp": _generate_timestamp,
    "boolean_flag": _generate_boolean_flag,
    "category_enum": _generate_category_enum,
    "free_text": _generate_free_text,
    "url": _generate_url,
    "product_code_sku": _generate_sku,
    "measurement": _generate_measurement,
    "version_string": _generate_version_string,
    "person_data": _generate_person_data,
    "other": _generate_other,
}


# --------------------------------------------------------------------------- templates
@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One template column: type label, name variants, inclusion probability, flavour."""

    ctype: str
    names: tuple[str, ...]
    prob: float = 1.0
    flavor: str = ""


def _column(ctype: str, names: str, prob: float = 1.0, flavor: str = "") -> ColumnSpec:
    """A :class:`ColumnSpec` with its name variants written ``"a|b|c"``."""
    return ColumnSpec(ctype, tuple(names.split("|")), prob, flavor)


@dataclass(frozen=True, slots=True)
class Template:
    """A kind of table: its category, folder names, buckets and columns."""

    name: str
    category: str
    folders: tuple[str, ...]
    buckets: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]


def _template(name: str, category: str, folders: str, buckets: str, *cols: ColumnSpec) -> Template:
    """A :class:`Template` with its folder and bucket variants written ``"a|b|c"``."""
    return Template(name, category, tuple(folders.split("|")), tuple(buckets.split("|")), cols)


_CREATED = _column("timestamp", "created_at|createdAt|created_ts|inserted_at|load_ts", 0.5)
_UPDATED = _column("timestamp", "updated_at|modified_at|last_modified|updatedAt", 0.4)

TEMPLATES: tuple[Template, ...] = (
    # customer
    _template(
        "customers",
        "customer",
        "customers|customer|clients|crm_contacts|contacts",
        "crm-prod|customer-data|crm-exports",
        _column("identifier", "customer_id|id|client_id|cust_id|contact_id"),
        _column("category_enum", "company|company_name|account_name", 0.3, "company"),
        _column("person_data", "first_name|firstname|given_name", 0.8, "first"),
        _column("person_data", "last_name|surname|family_name", 0.8, "last"),
        _column("person_data", "email|email_address|contact_email", 0.8, "email"),
        _column("person_data", "phone|phone_number|mobile", 0.5, "phone"),
        _column("city", "city|billing_city|town", 0.6),
        _column("country", "country|billing_country|country_code", 0.6),
        _column("postal_code", "postal_code|zip|zipcode|postcode", 0.5),
        _column("date", "signup_date|customer_since|registered_on|first_purchase_date", 0.7),
        _column("category_enum", "segment|customer_segment|tier|loyalty_tier", 0.6, "segment"),
        _column("boolean_flag", "is_active|active|opted_in|marketing_consent|is_vip", 0.6),
        _column("amount", "lifetime_value|ltv|total_spent|credit_limit", 0.4),
        _CREATED,
    ),
    _template(
        "customer_addresses",
        "customer",
        "customer_addresses|addresses|client_addresses",
        "crm-prod|customer-data",
        _column("identifier", "address_id|id"),
        _column("foreign_key_id", "customer_id|client_id|cust_id"),
        _column("person_data", "street|address_line1|street_address", 1.0, "address"),
        _column("city", "city|town|locality"),
        _column("postal_code", "postal_code|zip|postcode"),
        _column("country", "country|country_code|country_iso"),
        _column("boolean_flag", "is_default|is_billing|primary", 0.6),
        _UPDATED,
    ),
    _template(
        "loyalty_accounts",
        "customer",
        "loyalty|loyalty_accounts|memberships|accounts",
        "crm-prod|loyalty-program",
        _column("identifier", "account_id|membership_id|id"),
        _column("foreign_key_id", "customer_id|member_customer_id"),
        _column("category_enum", "tier|status|membership_level", 1.0, "tier"),
        _column("quantity", "points|points_balance|visits|num_purchases"),
        _column("date", "joined_on|member_since|renewal_date", 0.8),
        _column("boolean_flag", "is_active|churned|auto_renew", 0.7),
        _column("person_data", "email|member_email", 0.5, "email"),
    ),
    _template(
        "customer_demographics",
        "customer",
        "demographics|household_profiles|customer_profiles|crm_profiles",
        "crm-prod|customer-data|crm-exports",
        _column("identifier", "demographic_id|profile_id|id|household_id"),
        _column("foreign_key_id", "customer_id|client_id", 0.6),
        _column("category_enum", "gender|sex", 0.8, "gender"),
        _column("category_enum", "marital_status|marital", 0.7, "marital"),
        _column("category_enum", "education_level|education", 0.6, "education"),
        _column("category_enum", "income_band|income_bracket", 0.7, "income_band"),
        _column("quantity", "dependents|children|household_size", 0.7),
        _column("quantity", "age|age_years", 0.4),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    # employee
    _template(
        "employees",
        "employee",
        "employees|staff|personnel|hr_employees|workers",
        "hr-data|people-ops|hris-exports",
        _column("identifier", "employee_id|emp_id|id|staff_id|personnel_no"),
        _column("person_data", "full_name|name|employee_name", 0.9, "name"),
        _column("person_data", "work_email|email", 0.6, "email"),
        _column("category_enum", "department|dept|org_unit|division", 1.0, "department"),
        _column("date", "hire_date|start_date|joined_on|date_of_hire"),
        _column("amount", "salary|annual_salary|base_pay|compensation", 0.8),
        _column("currency_code", "salary_currency|currency|pay_currency", 0.5),
        _column("foreign_key_id", "manager_id|reports_to|supervisor_id", 0.6),
        _column("country", "work_country|country|location_country", 0.5),
        _column("city", "office_city|work_location|city", 0.5),
        _column("boolean_flag", "is_manager|full_time|is_contractor|terminated", 0.6),
        _column("percentage", "bonus_pct|fte|bonus_target_pct", 0.3),
    ),
    _template(
        "payroll",
        "employee",
        "payroll|payslips|pay_runs|payroll_lines",
        "hr-data|payroll-prod|finance-hr",
        _column("identifier", "payslip_id|payroll_id|id|line_id"),
        _column("foreign_key_id", "employee_id|emp_id|staff_id"),
        _column("date", "pay_date|period_end|pay_period_end"),
        _column("amount", "gross_pay|gross_amount|gross"),
        _column("amount", "net_pay|net_amount|net"),
        _column("amount", "tax_withheld|income_tax|deductions", 0.6),
        _column("currency_code", "currency|pay_currency", 0.6),
        _column("quantity", "overtime_hours|hours_worked|days_worked", 0.5),
    ),
    _template(
        "timesheets",
        "employee",
        "timesheets|time_entries|attendance|absences",
        "hr-data|people-ops",
        _column("identifier", "entry_id|timesheet_id|id", 0.8),
        _column("foreign_key_id", "employee_id|emp_id|worker_id"),
        _column("date", "work_date|date|day"),
        _column("measurement", "hours|hours_logged|duration_h", 1.0, "score"),
        _column("category_enum", "project|absence_type|activity|shift", 0.8),
        _column("boolean_flag", "approved|billable|is_overtime", 0.7),
        _column("free_text", "comment|notes|remarks", 0.4),
    ),
    # Worker surveys and labour statistics: pay, hours and careers of workers.
    _template(
        "wage_survey",
        "employee",
        "wage_survey|labor_force|workers|earnings|labour_survey",
        "hr-analytics|people-analytics|labor-data",
        _column("identifier", "worker_id|person_id|id|respondent_id", 0.7),
        _column("amount", "wage|hourly_wage|earnings|monthly_earnings"),
        _column("measurement", "log_wage|ln_wage|log_hourly_wage|log_earnings", 0.5, "log_money"),
        _column("quantity", "weekly_hours|usual_hours|hours_per_week", 0.8),
        _column("quantity", "years_education|schooling|education_years", 0.8),
        _column("quantity", "experience|years_experience|work_experience", 0.8),
        _column("quantity", "tenure|years_with_employer", 0.5),
        _column("boolean_flag", "union|union_member|female|married"),
        _column("category_enum", "occupation|job_type|job_class", 0.6, "occupation"),
        _column("category_enum", "industry|sector", 0.4, "industry"),
        _column("quantity", "age", 0.6),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    # finance
    _template(
        "ledger",
        "finance",
        "ledger|gl_entries|general_ledger|journal_entries|transactions",
        "finance-prod|acct-data|fin-dwh",
        _column("identifier", "entry_id|transaction_id|txn_id|journal_id|id"),
        _column("category_enum", "counterparty|payee", 0.5, "company"),
        _column("foreign_key_id", "account_id|gl_account|acct_id"),
        _column("date", "posting_date|booked_on|value_date|txn_date"),
        _column("amount", "amount|debit|credit|amount_local"),
        _column("currency_code", "currency|ccy|currency_code|curr"),
        _column("category_enum", "account_type|entry_type|type", 0.7, "account_type"),
        _column("free_text", "description|memo|narration|booking_text", 0.6),
        _column("measurement", "fx_rate|exchange_rate", 0.3, "score"),
        _CREATED,
    ),
    _template(
        "invoices",
        "finance",
        "invoices|billing|ar_invoices|receivables",
        "finance-prod|billing-exports|ar-data",
        _column("identifier", "invoice_id|invoice_no|id|invoice_number"),
        _column("category_enum", "vendor_name|supplier_name|counterparty", 0.5, "company"),
        _column("foreign_key_id", "customer_id|account_id|payer_id"),
        _column("date", "invoice_date|issued_on|issue_date"),
        _column("date", "due_date|payment_due|due_on"),
        _column("amount", "total|amount_due|invoice_amount|grand_total"),
        _column("amount", "tax_amount|vat|tax", 0.6),
        _column("percentage", "tax_rate|vat_rate|vat_pct", 0.5),
        _column("currency_code", "currency|ccy"),
        _column("category_enum", "payment_method|method|status", 0.6, "method"),
        _column("boolean_flag", "paid|is_paid|overdue", 0.6),
    ),
    _template(
        "budgets",
        "finance",
        "budgets|forecast|fp_a|cost_centers|expenses",
        "finance-prod|fpa-data",
        _column("foreign_key_id", "cost_center_id|cost_center|department_id"),
        _column("category_enum", "quarter|period|fiscal_quarter", 1.0, "quarter"),
        _column("amount", "budget|planned_amount|budget_amount"),
        _column("amount", "actual|actual_amount|spend"),
        _column("percentage", "variance_pct|utilisation|burn_rate", 0.7),
        _column("currency_code", "currency|ccy", 0.6),
        _column("category_enum", "region|business_unit", 0.5, "region"),
    ),
    # Money markets and credit: the taxonomy's "loans, interest rates, prices of securities".
    _template(
        "market_prices",
        "finance",
        "stock_prices|market_data|quotes|price_history|securities",
        "market-data|trading-dwh|finance-lake",
        _column("date", "trade_date|date|as_of|price_date"),
        _column("category_enum", "issuer|company_name", 0.4, "company"),
        _column("category_enum", "ticker|symbol|security", 0.8, "ticker"),
        _column("amount", "open|open_price|px_open", 0.6),
        _column("amount", "close|close_price|adj_close|price"),
        _column("quantity", "volume|shares_traded|vol", 0.8),
        _column("measurement", "return|daily_return|log_return|ret", 0.6, "return"),
        _column("measurement", "log_price|ln_close|log_close|ln_price", 0.3, "log_money"),
        _column("percentage", "dividend_yield|yield_pct|div_yield", 0.4),
        _column("measurement", "volatility|sigma|realised_vol", 0.4, "sigma"),
    ),
    _template(
        "loans",
        "finance",
        "loans|loan_book|mortgages|credit_applications|lending",
        "credit-risk|lending-prod|finance-lake",
        _column("identifier", "loan_id|application_id|id|mortgage_id"),
        _column("category_enum", "lender", 0.3, "company"),
        _column("foreign_key_id", "borrower_id|customer_id|applicant_id", 0.7),
        _column("amount", "loan_amount|principal|amount"),
        _column("percentage", "interest_rate|annual_rate|rate|int_rate"),
        _column("quantity", "term_months|term|maturity_months", 0.8),
        _column("amount", "applicant_income|income|annual_income", 0.6),
        _column("measurement", "log_income|ln_income|log_loan_amount", 0.3, "log_money"),
        _column("date", "origination_date|issue_date|approved_on", 0.7),
        _column("category_enum", "loan_status|status", 0.7, "loan_status"),
        _column("boolean_flag", "defaulted|approved|is_default", 0.7),
        _column("measurement", "credit_score|fico|risk_score", 0.5, "credit"),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    _template(
        "interest_rates",
        "finance",
        "interest_rates|yields|yield_curve|rates|macro_rates",
        "market-data|treasury-data|finance-lake",
        _column("date", "date|obs_date|period|value_date"),
        _column("category_enum", "tenor|maturity|series", 0.6, "tenor"),
        _column("percentage", "rate|yield|rate_pct|policy_rate"),
        _column("measurement", "inflation|cpi_yoy|inflation_rate", 0.5, "inflation"),
        _column("measurement", "spread|term_spread|credit_spread", 0.5, "return"),
        _column("amount", "deficit|debt|outlays", 0.4),
    ),
    # sales
    _template(
        "orders",
        "sales",
        "orders|sales_orders|order_headers|checkout",
        "sales-prod|shop-data|ecom-exports",
        _column("identifier", "order_id|order_no|id|order_number"),
        _column("category_enum", "store_name|merchant", 0.25, "company"),
        _column("foreign_key_id", "customer_id|buyer_id|account_id"),
        _column("date", "order_date|ordered_on|purchase_date", 0.6),
        _column("timestamp", "ordered_at|order_ts|placed_at", 0.5),
        _column("amount", "order_total|total|grand_total|revenue"),
        _column("amount", "shipping_fee|shipping_cost|discount_amount", 0.5),
        _column("currency_code", "currency|ccy", 0.6),
        _column("percentage", "discount_pct|discount_rate|promo_pct", 0.4),
        _column("category_enum", "channel|sales_channel|order_status|status", 0.8, "channel"),
        _column("country", "ship_country|country|market", 0.5),
        _column("quantity", "items|item_count|num_items", 0.6),
    ),
    _template(
        "order_lines",
        "sales",
        "order_lines|order_items|line_items|sales_lines",
        "sales-prod|shop-data|erp-exports",
        _column("identifier", "line_id|order_line_id|id", 0.8),
        _column("foreign_key_id", "order_id|order_no"),
        _column("product_code_sku", "sku|product_code|item_code|article_no"),
        _column("quantity", "quantity|qty|units"),
        _column("amount", "unit_price|price|list_price"),
        _column("amount", "line_total|net_amount|extended_price", 0.7),
        _column("percentage", "discount|discount_pct|tax_rate", 0.5),
    ),
    _template(
        "deals",
        "sales",
        "deals|opportunities|pipeline|quotes",
        "sales-prod|crm-prod|salesforce-exports",
        _column("identifier", "deal_id|opportunity_id|opp_id|id"),
        _column("category_enum", "account_name|company", 0.6, "company"),
        _column("foreign_key_id", "account_id|owner_id|rep_id"),
        _column("category_enum", "stage|deal_stage|forecast_category", 1.0, "stage"),
        _column("amount", "amount|deal_value|acv|arr"),
        _column("percentage", "probability|win_probability|close_probability", 0.7),
        _column("date", "close_date|expected_close"),
        _column("currency_code", "currency", 0.4),
        _column("category_enum", "region|territory", 0.5, "region"),
        _CREATED,
    ),
    _template(
        "returns",
        "sales",
        "returns|sales_returns|refunds|rma|order_returns",
        "sales-prod|shop-data|erp-exports",
        _column("identifier", "return_id|rma_id|id|refund_id"),
        _column("foreign_key_id", "order_id|order_no|original_order_id"),
        _column("foreign_key_id", "customer_id|buyer_id", 0.5),
        _column("product_code_sku", "sku|item_code|product_code", 0.6),
        _column("date", "return_date|returned_on|refund_date"),
        _column("quantity", "return_qty|quantity_returned|qty"),
        _column("amount", "refund_amount|refunded|credit_amount"),
        _column("category_enum", "reason|return_reason", 0.7, "return_reason"),
        _column("boolean_flag", "restocked|resellable", 0.5),
    ),
    # product
    _template(
        "products",
        "product",
        "products|catalog|catalogue|items|product_master",
        "catalog-prod|product-data|pim-exports",
        _column("identifier", "product_id|item_id|id"),
        _column("product_code_sku", "sku|product_code|item_code|ean_sku"),
        _column("free_text", "product_name|title|description|long_description", 0.8),
        _column("category_enum", "category|product_category|department", 0.9, "category"),
        _column("amount", "price|list_price|msrp|unit_cost", 0.9),
        _column("currency_code", "currency|price_currency", 0.4),
        _column("measurement", "weight_kg|weight|shipping_weight", 0.6, "weight"),
        _column("measurement", "length_cm|width_cm|height_cm", 0.4, "length"),
        _column("boolean_flag", "in_stock|is_active|discontinued|is_digital", 0.7),
        _column("url", "product_url|image_url|url", 0.5),
    ),
    _template(
        "inventory",
        "product",
        "inventory|stock_levels|stock|on_hand",
        "catalog-prod|wms-exports|product-data",
        _column("product_code_sku", "sku|item_code|product_code"),
        _column("category_enum", "warehouse|location|site", 1.0, "warehouse"),
        _column("quantity", "on_hand|quantity|qty_available|stock"),
        _column("quantity", "reorder_point|safety_stock|reserved", 0.6),
        _column("timestamp", "snapshot_at|updated_at|counted_at", 0.7),
        _column("boolean_flag", "below_reorder|backordered", 0.4),
    ),
    _template(
        "releases",
        "product",
        "releases|product_releases|app_versions|changelog",
        "product-data|release-mgmt",
        _column("identifier", "release_id|id|build_id"),
        _column("product_code_sku", "product_code|component|sku", 0.6),
        _column("version_string", "version|release_version|app_version|tag"),
        _column("date", "release_date|released_on|ga_date"),
        _column("free_text", "release_notes|notes|changelog|summary", 0.8),
        _column("boolean_flag", "is_lts|deprecated|prerelease", 0.6),
        _column("url", "download_url|docs_url|url", 0.5),
    ),
    # marketing
    _template(
        "campaigns",
        "marketing",
        "campaigns|marketing_campaigns|ad_campaigns|promotions",
        "marketing-prod|mktg-data|ads-exports",
        _column("identifier", "campaign_id|id|campaign_key"),
        _column("free_text", "campaign_name|name|objective", 0.6),
        _column("category_enum", "channel|medium|utm_source|network", 1.0, "utm"),
        _column("date", "start_date|launch_date"),
        _column("date", "end_date|stop_date", 0.7),
        _column("amount", "budget|spend|cost|ad_spend"),
        _column("quantity", "impressions|reach|sends", 0.7),
        _column("quantity", "clicks|conversions|opens", 0.7),
        _column("percentage", "ctr|conversion_rate|open_rate|bounce_rate", 0.7),
        _column("url", "landing_page|landing_url|target_url", 0.6),
    ),
    _template(
        "web_events",
        "marketing",
        "web_events|clickstream|pageviews|sessions|tracking",
        "marketing-prod|web-analytics|events-raw",
        _column("identifier", "event_id|id|hit_id"),
        _column("foreign_key_id", "session_id|visitor_id|campaign_id"),
        _column("timestamp", "event_time|ts|timestamp|hit_time"),
        _column("url", "page_url|url|page|referrer"),
        _column("category_enum", "utm_source|source|channel", 0.8, "utm"),
        _column("category_enum", "device|device_type|platform", 0.7, "device"),
        _column("country", "geo_country|country", 0.6),
        _column("city", "geo_city|city", 0.4),
        _column("measurement", "time_on_page|duration_s|scroll_depth", 0.5, "score"),
    ),
    _template(
        "email_sends",
        "marketing",
        "email_sends|newsletter|email_events|crm_emails",
        "marketing-prod|esp-exports",
        _column("identifier", "send_id|message_id|id"),
        _column("foreign_key_id", "campaign_id|list_id|template_id"),
        _column("person_data", "recipient|email|to_address", 0.7, "email"),
        _column("timestamp", "sent_at|delivered_at|send_time"),
        _column("boolean_flag", "opened|clicked|bounced|unsubscribed"),
        _column("boolean_flag", "clicked|converted", 0.6),
        _column("category_enum", "variant|ab_group|segment", 0.5, "group"),
    ),
    _template(
        "ad_spend",
        "marketing",
        "ad_spend|media_spend|advertising|paid_media|ad_performance",
        "marketing-prod|ads-exports|mktg-data",
        _column("date", "date|day|report_date"),
        _column("category_enum", "channel|platform|network", 1.0, "utm"),
        _column("foreign_key_id", "campaign_id|ad_group_id|creative_id", 0.6),
        _column("quantity", "impressions|views"),
        _column("quantity", "clicks|engagements", 0.8),
        _column("amount", "spend|cost|media_cost"),
        _column("quantity", "conversions|signups|leads", 0.6),
        _column("amount", "cpc|cost_per_click|cpa", 0.4),
        _column("percentage", "ctr|click_rate|conv_rate", 0.5),
    ),
    # operations
    _template(
        "shipments",
        "operations",
        "shipments|deliveries|logistics|parcels|fulfillment",
        "ops-prod|logistics-data|wms-exports",
        _column("identifier", "shipment_id|tracking_number|id|parcel_id"),
        _column("foreign_key_id", "order_id|warehouse_id", 0.8),
        _column("category_enum", "carrier|shipping_carrier|service_level", 1.0, "carrier"),
        _column("timestamp", "shipped_at|dispatched_at|picked_up_at"),
        _column("timestamp", "delivered_at|eta", 0.6),
        _column("measurement", "weight_kg|package_weight|gross_weight", 0.8, "weight"),
        _column("postal_code", "destination_zip|ship_to_postcode|dest_postal_code", 0.7),
        _column("city", "destination_city|ship_to_city", 0.6),
        _column("country", "destination_country|ship_to_country", 0.6),
        _column("category_enum", "status|delivery_status", 0.6, "status"),
    ),
    _template(
        "incidents",
        "operations",
        "incidents|tickets|service_desk|outages|maintenance",
        "ops-prod|itsm-exports|servicedesk",
        _column("identifier", "incident_id|ticket_id|id|case_no"),
        _column("category_enum", "severity|priority|impact", 1.0, "severity"),
        _column("timestamp", "opened_at|reported_at|created_at"),
        _column("timestamp", "resolved_at|closed_at", 0.6),
        _column("boolean_flag", "resolved|sla_breached|escalated", 0.7),
        _column("free_text", "summary|description|resolution_notes", 0.8),
        _column("foreign_key_id", "assignee_id|site_id|asset_id", 0.6),
        _column("measurement", "downtime_minutes|mttr_hours", 0.4, "score"),
    ),
    _template(
        "fleet",
        "operations",
        "fleet|vehicles|trips|routes|telematics",
        "ops-prod|fleet-data|logistics-data",
        _column("identifier", "trip_id|vehicle_trip_id|id"),
        _column("foreign_key_id", "vehicle_id|driver_id|route_id"),
        _column("timestamp", "start_time|departed_at|trip_start"),
        _column("measurement", "distance_km|km_driven|odometer", 1.0, "length"),
        _column("measurement", "fuel_l|fuel_used|avg_speed", 0.7, "score"),
        _column("measurement", "lat|start_lat|latitude", 0.5, "lat"),
        _column("measurement", "lon|start_lon|longitude", 0.5, "lon"),
        _column("city", "depot_city|origin_city", 0.4),
    ),
    _template(
        "suppliers",
        "operations",
        "suppliers|vendors|vendor_master|supplier_master|procurement",
        "ops-data|erp-exports|procurement-data",
        _column("identifier", "supplier_id|vendor_id|id|supplier_no"),
        _column("category_enum", "supplier_name|vendor_name|company_name", 0.7, "company"),
        _column("category_enum", "supplier_type|category|commodity", 0.7, "supplier_type"),
        _column("country", "country|supplier_country", 0.6),
        _column("city", "city|supplier_city", 0.4),
        _column("person_data", "phone|contact_phone", 0.5, "phone"),
        _column("person_data", "contact_email|email", 0.4, "email"),
        _column("amount", "account_balance|credit_limit|spend_ytd", 0.6),
        _column("quantity", "lead_time_days|lead_time|delivery_days", 0.6),
        _column("measurement", "quality_score|on_time_score|supplier_score", 0.5, "score"),
        _column("boolean_flag", "preferred|active|approved_vendor", 0.5),
    ),
    _template(
        "accidents",
        "operations",
        "accidents|safety_events|crashes|injury_reports|workplace_incidents",
        "ops-data|safety-data|fleet-exports",
        _column("identifier", "accident_id|report_id|id|case_no"),
        _column("date", "accident_date|date|occurred_on"),
        _column("category_enum", "severity|injury_severity", 0.8, "severity"),
        _column("quantity", "injuries|injured|persons_injured"),
        _column("quantity", "fatalities|deaths|killed", 0.6),
        _column("quantity", "vehicles|vehicles_involved", 0.5),
        _column("category_enum", "weather|road_condition", 0.5, "weather"),
        _column("city", "city|location", 0.4),
        _column("measurement", "lat|latitude", 0.3, "lat"),
    ),
    # health
    _template(
        "patients",
        "health",
        "patients|patient_master|ehr_patients|members",
        "ehr-prod|clinical-data|health-dwh",
        _column("identifier", "patient_id|mrn|id|patient_key"),
        _column("person_data", "patient_name|name|full_name", 0.8, "name"),
        _column("person_data", "dob|birth_date|date_of_birth", 0.7, "dob"),
        _column("category_enum", "sex|gender", 0.8, "gender"),
        _column("category_enum", "blood_type|blood_group", 0.5, "blood"),
        _column("city", "city|home_city", 0.5),
        _column("postal_code", "zip|postcode", 0.5),
        _column("foreign_key_id", "primary_physician_id|pcp_id|insurer_id", 0.6),
        _column("boolean_flag", "deceased|is_smoker|has_allergies", 0.6),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    _template(
        "encounters",
        "health",
        "encounters|visits|admissions|appointments",
        "ehr-prod|clinical-data|hospital-exports",
        _column("identifier", "encounter_id|visit_id|id|admission_id"),
        _column("foreign_key_id", "patient_id|mrn"),
        _column("timestamp", "admitted_at|visit_time|encounter_start"),
        _column("category_enum", "diagnosis_code|icd10|primary_dx", 1.0, "icd"),
        _column("measurement", "heart_rate|pulse|bpm", 0.7, "heart"),
        _column("measurement", "temperature_c|body_temp", 0.5, "temp"),
        _column("measurement", "systolic_bp|weight_kg", 0.5, "lab"),
        _column("free_text", "clinical_notes|notes|chief_complaint", 0.7),
        _column("boolean_flag", "readmitted|emergency|inpatient", 0.6),
    ),
    _template(
        "lab_results",
        "health",
        "lab_results|labs|pathology|observations",
        "ehr-prod|lab-data|clinical-data",
        _column("identifier", "result_id|id|observation_id"),
        _column("foreign_key_id", "patient_id|encounter_id|specimen_id"),
        _column("category_enum", "test_name|test_code|analyte|loinc_name", 1.0, "test"),
        _column("measurement", "value|result_value|result"),
        _column("category_enum", "unit|units|uom", 0.8, "unit"),
        _column("timestamp", "collected_at|resulted_at|specimen_time"),
        _column("boolean_flag", "abnormal|is_abnormal|critical_flag", 0.7),
        _column("measurement", "ref_low|reference_low", 0.4, "lab"),
    ),
    _template(
        "prescriptions",
        "health",
        "prescriptions|medications|pharmacy_claims|drug_orders|rx",
        "clinical-data|pharmacy-data|health-dwh",
        _column("identifier", "prescription_id|rx_id|id|claim_id"),
        _column("foreign_key_id", "patient_id|member_id"),
        _column("category_enum", "drug|medication|drug_name", 1.0, "drug"),
        _column("measurement", "dose_mg|dose|strength", 0.8, "lab"),
        _column("quantity", "refills|days_supply|quantity", 0.7),
        _column("date", "prescribed_on|fill_date|dispensed_on"),
        _column("amount", "cost|copay|paid_amount", 0.6),
        _column("foreign_key_id", "prescriber_id|physician_id", 0.5),
    ),
    # Births, trials and spending on care.
    _template(
        "births",
        "health",
        "births|birth_records|natality|maternity|perinatal",
        "clinical-data|health-dwh|public-health",
        _column("identifier", "birth_id|record_id|id", 0.6),
        _column("measurement", "birth_weight|birthweight|weight_g", 1.0, "grams"),
        _column("quantity", "mother_age|maternal_age|age_of_mother"),
        _column("quantity", "gestation_weeks|gestation|weeks", 0.7),
        _column("quantity", "prenatal_visits|antenatal_visits|visits", 0.6),
        _column("boolean_flag", "smoker|mother_smoked|low_birth_weight|male"),
        _column("quantity", "cigarettes_per_day|alcohol_units|drinks_per_week", 0.5),
        _column("quantity", "apgar|apgar5|apgar_score", 0.4),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    _template(
        "clinical_trials",
        "health",
        "clinical_trials|trial_patients|study_subjects|survival|cohort",
        "clinical-data|trials-data|health-dwh",
        _column("identifier", "subject_id|patient_id|id|pid"),
        _column("category_enum", "arm|treatment|group", 1.0, "group"),
        _column("quantity", "age|age_at_entry", 0.8),
        _column("category_enum", "sex|gender", 0.6, "gender"),
        _column("quantity", "survival_days|time|days_to_event|followup", 0.8),
        _column("boolean_flag", "event|died|censored|deceased"),
        _column("measurement", "dose|biomarker|tumour_size", 0.6, "lab"),
        _column("amount", "medical_cost|charges|expenditure", 0.3),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    # security
    _template(
        "auth_logs",
        "security",
        "auth_logs|login_events|audit_log|sso_events|access_logs",
        "security-logs|siem-exports|audit-data",
        _column("identifier", "event_id|id|log_id"),
        _column("foreign_key_id", "user_id|principal_id|account_id"),
        _column("timestamp", "event_time|ts|timestamp|logged_at"),
        _column("person_data", "source_ip|ip|client_ip|ip_address", 0.9, "ip"),
        _column("category_enum", "action|event_type|operation", 1.0, "action"),
        _column("boolean_flag", "success|succeeded|mfa_used|blocked"),
        _column("free_text", "user_agent|ua|message", 0.6),
        _column("country", "geo_country|country", 0.5),
    ),
    _template(
        "vulnerabilities",
        "security",
        "vulnerabilities|vulns|findings|cve_scan|sbom",
        "security-logs|vuln-scans|appsec-data",
        _column("identifier", "finding_id|id|scan_result_id"),
        _column("product_code_sku", "package|component|cve_id|asset_tag", 0.5),
        _column("version_string", "installed_version|current_version|version"),
        _column("version_string", "fixed_version|fixed_in|patched_version", 0.7),
        _column("category_enum", "severity|risk|cvss_severity", 1.0, "severity"),
        _column("measurement", "cvss_score|cvss|risk_score", 0.8, "score"),
        _column("timestamp", "detected_at|first_seen|scanned_at"),
        _column("boolean_flag", "exploitable|fixed|is_open", 0.6),
        _column("url", "advisory_url|reference|nvd_link", 0.4),
    ),
    _template(
        "access_reviews",
        "security",
        "access_reviews|entitlements|permissions|iam_roles",
        "security-logs|iam-exports",
        _column("identifier", "review_id|grant_id|id"),
        _column("foreign_key_id", "user_id|principal_id"),
        _column("category_enum", "role|permission|entitlement|env", 1.0, "env"),
        _column("boolean_flag", "approved|revoked|privileged"),
        _column("date", "reviewed_on|granted_on|expires_on"),
        _column("foreign_key_id", "reviewer_id|approver_id", 0.6),
        _column("person_data", "user_email|email", 0.5, "email"),
    ),
    # science
    _template(
        "experiments",
        "science",
        "experiments|trials|assays|runs|lab_runs",
        "research-data|science-lake|lab-results",
        _column("identifier", "sample_id|run_id|specimen_id|id"),
        _column("category_enum", "group|arm|condition|species", 1.0, "group"),
        _column("measurement", "measurement|value|od600|concentration"),
        _column("measurement", "replicate_value|yield|absorbance", 0.7, "score"),
        _column("measurement", "temperature|temp_c", 0.5, "temp"),
        _column("timestamp", "measured_at|run_time", 0.5),
        _column("quantity", "replicate|cell_count|colonies", 0.5),
        _column("free_text", "observation|notes|protocol", 0.3),
    ),
    _template(
        "sensor_readings",
        "science",
        "sensor_readings|telemetry|weather|observations|sensors",
        "research-data|iot-raw|weather-data",
        _column("foreign_key_id", "sensor_id|station_id|device_id"),
        _column("timestamp", "reading_time|observed_at|ts|time"),
        _column("measurement", "temperature|temp|air_temp", 1.0, "temp"),
        _column("percentage", "humidity|rel_humidity|cloud_cover", 0.7),
        _column("measurement", "pressure|pressure_hpa|baro", 0.7, "pressure"),
        _column("measurement", "lat|latitude", 0.4, "lat"),
        _column("measurement", "lon|longitude", 0.4, "lon"),
        _column("measurement", "voltage|battery_v", 0.3, "volt"),
        _column("version_string", "firmware|firmware_version|fw", 0.3),
    ),
    _template(
        "specimens",
        "science",
        "specimens|samples|field_samples|biobank",
        "research-data|science-lake",
        _column("identifier", "specimen_id|sample_id|id"),
        _column("category_enum", "species|taxon|organism", 1.0, "species"),
        _column("measurement", "length_mm|mass_g|wingspan", 1.0, "length"),
        _column("measurement", "lat|latitude", 0.6, "lat"),
        _column("measurement", "lon|longitude", 0.6, "lon"),
        _column("date", "collected_on|collection_date"),
        _column("country", "country|collection_country", 0.5),
        _column("free_text", "habitat|remarks", 0.4),
    ),
    # Surveys, test scores and observational studies: research about people.
    _template(
        "survey_responses",
        "science",
        "survey_responses|survey|questionnaire|panel_study|responses",
        "research-data|survey-data|science-lake",
        _column("identifier", "respondent_id|id|case_id|subject_id"),
        _column("quantity", "age|age_years", 0.8),
        _column("category_enum", "gender|sex", 0.6, "gender"),
        _column("category_enum", "education|education_level", 0.6, "education"),
        _column("category_enum", "agree|answer|q1_response|opinion", 0.8, "likert"),
        _column("quantity", "satisfaction|happiness|rating|q2_score", 0.8),
        _column("boolean_flag", "married|urban|employed|religious", 0.7),
        _column("measurement", "survey_weight|weight|wgt", 0.5, "score"),
        _column("category_enum", "region|state", 0.4, "us_state"),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    _template(
        "test_scores",
        "science",
        "test_scores|student_outcomes|assessments|exam_results|school_study",
        "research-data|education-research|science-lake",
        _column("identifier", "student_id|id|pupil_id"),
        _column("foreign_key_id", "school_id|class_id|district_id", 0.6),
        _column("measurement", "math_score|score|test_score|reading_score", 1.0, "score"),
        _column("measurement", "gpa|college_gpa|hs_gpa", 0.6, "gpa"),
        _column("percentage", "attendance_rate|attendance|pct_present", 0.5),
        _column("percentage", "pct_proficient|percent_passing|pass_share", 0.4),
        _column("quantity", "sat_score|act_score|class_rank", 0.5),
        _column("boolean_flag", "female|treated|free_lunch|graduated", 0.8),
        _column("category_enum", "school_type|grade|class_size_group", 0.5, "school"),
        _column("category_enum", "race|ethnicity|race_ethnicity", 0.3, "race"),
        _column("boolean_flag", "black|hispanic|nonwhite|minority", 0.25),
    ),
    # reference
    _template(
        "countries",
        "reference",
        "countries|country_codes|ref_countries|dim_country|geo",
        "reference-data|master-data|ref-tables",
        _column("country", "country|country_name|name"),
        _column("country", "iso2|iso_code|country_code|alpha3", 0.8),
        _column("currency_code", "currency|currency_code|ccy", 0.7),
        _column("quantity", "population|pop", 0.6),
        _column("measurement", "area_km2|area", 0.4, "length"),
        _column("category_enum", "region|continent", 0.7, "region"),
        _column("measurement", "centroid_lat|lat", 0.3, "lat"),
    ),
    _template(
        "currencies",
        "reference",
        "currencies|fx_codes|dim_currency|currency_codes",
        "reference-data|master-data",
        _column("currency_code", "code|currency_code|iso_code"),
        _column("free_text", "name|currency_name|description", 0.8),
        _column("quantity", "minor_units|decimals|numeric_code", 0.7),
        _column("boolean_flag", "active|is_active|is_crypto", 0.5),
        _column("date", "valid_from|introduced", 0.4),
    ),
    _template(
        "postal_lookup",
        "reference",
        "postal_codes|zip_codes|geo_lookup|dim_location",
        "reference-data|geo-reference",
        _column("postal_code", "postal_code|zip|postcode"),
        _column("city", "city|place_name|municipality"),
        _column("country", "country|country_code"),
        _column("measurement", "latitude|lat", 0.7, "lat"),
        _column("measurement", "longitude|lon", 0.7, "lon"),
        _column("category_enum", "state|region|admin1", 0.6, "region"),
    ),
    _template(
        "calendar",
        "reference",
        "calendar|dim_date|date_dim|holidays",
        "reference-data|master-data|dwh-dims",
        _column("date", "date|calendar_date|day"),
        _column("category_enum", "weekday|day_name|dow", 1.0, "weekday"),
        _column("category_enum", "quarter|fiscal_quarter", 0.8, "quarter"),
        _column("boolean_flag", "is_holiday|is_weekend|business_day"),
        _column("date", "month|month_num|month_of_year", 0.7, "month"),
        _column("date", "day_of_month|dom|day_num", 0.5, "dom"),
    ),
    _template(
        "regional_stats",
        "reference",
        "regional_stats|census|county_stats|state_stats|public_statistics",
        "open-data|reference-data|public-stats",
        _column("category_enum", "state|region|county|area", 1.0, "us_state"),
        _column("date", "year|period|ref_year", 1.0, "year"),
        _column("date", "month|month_num|ref_month", 0.25, "month"),
        _column("quantity", "population|pop|residents", 0.8),
        _column("percentage", "unemployment_rate|jobless_rate|poverty_rate", 0.7),
        _column(
            "percentage", "pct_over_65|share_foreign_born|percent_college_grads|pct_homeowners", 0.5
        ),
        _column("amount", "median_income|per_capita_income|income", 0.6),
        _column("measurement", "crime_rate|crimes_per_1000|murder_rate", 0.5, "per_head"),
        _column("quantity", "votes|births|deaths", 0.4),
        _column("measurement", "gdp|gdp_per_capita|output", 0.4, "gdp"),
    ),
)

#: Identity and payment columns of some templates: card numbers, IBANs, national ids, which
#: tell a table's category (a finance or HR table holds them) and which the PII classifier
#: reports. Drawn after every other column with a generator of their own, so the rest of
#: each table is what it was without them.
PII_EXTRAS: dict[str, tuple[ColumnSpec, ...]] = {
    "customers": (_column("person_data", "card_number|credit_card|cc_number", 0.25, "card"),),
    "invoices": (
        _column("person_data", "card_number|payment_card|card_no", 0.4, "card"),
        _column("person_data", "iban|bank_account|account_iban", 0.3, "iban"),
    ),
    "ledger": (_column("person_data", "iban|counterparty_iban|account_iban", 0.4, "iban"),),
    "payroll": (
        _column("person_data", "iban|bank_account|payee_iban", 0.5, "iban"),
        _column("person_data", "ssn|national_id|tax_id", 0.3, "us_ssn"),
    ),
    "employees": (
        _column("person_data", "ssn|social_security_number|national_id", 0.35, "us_ssn"),
    ),
    "patients": (_column("person_data", "ssn|national_id|insurance_id", 0.35, "us_ssn"),),
    "orders": (_column("person_data", "card_number|payment_card|card", 0.2, "card"),),
}

NEUTRAL_BUCKETS = (
    "data-lake-prod",
    "analytics-raw",
    "acme-data",
    "warehouse-dumps",
    "lake-landing",
)
PREFIXES = ("exports", "raw", "curated", "landing", "daily", "v1", "staging", "")
#: Share of synthetic tables written with a leading row-number column, and its names:
#: pandas' ``to_csv`` index read back (``Unnamed: 0``, or ``index`` / ``level_0`` after
#: ``reset_index``) and spreadsheet row numbers.
ROW_INDEX_SHARE = 0.06
ROW_INDEX_NAMES = ("Unnamed: 0", "index", "level_0", "row", "row_number", "rownum")
#: Share of synthetic tables with one extra ``other`` column (:data:`OTHER_NAMES`).
OTHER_SHARE = 0.12
OPAQUE_NAMES = ("col_{i}", "field{i}", "c{i}", "attr_{i}", "column{i}")


#: Column-name styles of a table whose names say nothing (:func:`hide_names`; one per table):
#: the generator's opaque names, a headerless CSV's names as the sampler gives them, and
#: the positional names of statistics and spreadsheet exports.
HIDDEN_NAME_STYLES = (
    *OPAQUE_NAMES,
    "column_{n}",
    "x{n}",
    "v{n}",
    "f_{i}",
    "var{n}",
    "Unnamed: {i}",
)
#: Entities the PII classifier finds only with a telling column name (a birth date is a
#: date to a column named ``col_3``), so a table with hidden names cannot report them.
NAME_ONLY_ENTITIES = frozenset({"DATE_OF_BIRTH"})


#: Generic words the buckets and folders of tables with hidden names are made of; training
#: and test draw from disjoint lists, so the test measures paths the models never saw.
HIDDEN_PATH_WORDS = {
    "train": (
        "data", "lake", "raw", "landing", "prod", "analytics", "warehouse", "dump",
        "export", "bronze", "staging", "ingest", "tmp", "share", "files", "store",
    ),
    "test": (
        "bucket", "datalake", "silver", "gold", "archive", "backup", "drop", "incoming",
        "scratch", "sandbox", "batch", "uploads", "vault", "repo", "source", "output",
    ),
}  # fmt: skip


def _neutral_path(rng: random.Random, split: str, fmt: str) -> str:
    words = HIDDEN_PATH_WORDS[split]
    bucket = "-".join(rng.sample(words, rng.choice((1, 2, 3))))
    n = rng.randint(1, 9999)
    folder = rng.choice(
        (
            f"dataset_{n}",
            f"t{n}",
            f"tbl_{n}",
            f"{rng.getrandbits(32):08x}",
            f"batch={n}",
            f"{rng.randint(2015, 2026)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
        )
    )
    prefix = rng.choice(("", "", *words))
    key = "/".join(p for p in (prefix, folder, f"part-{rng.randint(0, 9)}.{fmt}") if p)
    return f"s3://{bucket}/{key}"


def hide_names(
    table: LabelledTable, rng: random.Random, *, split: str = "test", keep_path: bool = False
) -> LabelledTable:
    """``table`` as a lake without naming holds it; types and category unchanged.

    Every column is named by its position in one opaque style and, unless ``keep_path``,
    the path is made of generic words (:data:`HIDDEN_PATH_WORDS` of ``split``).

    PII entities that only a column name gives away (:data:`NAME_ONLY_ENTITIES`) are
    dropped. Pure apart from drawing from ``rng``.
    """
    style = rng.choice(HIDDEN_NAME_STYLES)
    names = [style.format(i=i, n=i + 1) for i in range(len(table.sample.columns))]
    path = (
        str(table.sample.info.ref.uri)
        if keep_path
        else _neutral_path(rng, split, table.sample.format)
    )
    return _renamed(table, names, path)


def shuffle_names(table: LabelledTable, rng: random.Random) -> LabelledTable:
    """``table`` with misleading names: its column names permuted.

    A column named ``email`` may hold amounts; the path is made of the test split's generic
    words. Pure apart from drawing from ``rng``.
    """
    names = [c.name for c in table.sample.columns]
    rng.shuffle(names)
    return _renamed(table, names, _neutral_path(rng, "test", table.sample.format))


def script_names(table: LabelledTable, rng: random.Random) -> LabelledTable:
    """``table`` with names in a script the models cannot read.

    Every column is named by random CJK or Cyrillic letters (one script per table), under a
    path of the test split's generic words. Pure apart from drawing from ``rng``.
    """
    first, last = rng.choice(((0x4E00, 0x4FFF), (0x430, 0x44F)))
    names = [
        "".join(chr(rng.randint(first, last)) for _ in range(rng.randint(2, 8)))
        for _ in table.sample.columns
    ]
    return _renamed(table, names, _neutral_path(rng, "test", table.sample.format))


def _renamed(table: LabelledTable, names: Sequence[str], path: str) -> LabelledTable:
    sample = table.sample
    columns = tuple(
        ColumnSample(name, c.data_type, c.values)
        for c, name in zip(sample.columns, names, strict=True)
    )
    pii = {
        name: kept
        for c, name in zip(sample.columns, names, strict=True)
        if (kept := table.pii.get(c.name, set()) - NAME_ONLY_ENTITIES)
    }
    return LabelledTable(
        _sample(path, sample.info.etag.removeprefix("corpus-"), columns, sample.format),
        table.category,
        table.column_types,
        pii,
        table.source,
    )


#: Templates of research-style tables: surveys, test scores, trials, births, wage panels,
#: public statistics and market series. What tells their category apart is in their names;
#: with the names gone a survey, a trial and a wage panel are the same ages, flags and
#: scores. So the pair for names that say nothing does not learn from them, as it does not
#: from the real research tables (:func:`training.train.fit_hidden_models`): with them it
#: lost 0.06 top-1 on the business tables with hidden names (bench/README.md).
RESEARCH_TEMPLATES = frozenset(
    {
        "market_prices",
        "interest_rates",
        "wage_survey",
        "births",
        "clinical_trials",
        "survey_responses",
        "test_scores",
        "regional_stats",
    }
)


def business_table(table: LabelledTable) -> bool:
    """Whether ``table`` is what the pair for names that say nothing learns.

    A synthetic table not made from a research template (:data:`RESEARCH_TEMPLATES`). Pure.
    """
    kind, _, template = table.source.partition(":")
    return kind == "synthetic" and template not in RESEARCH_TEMPLATES


def hidden_name_copies(tables: Sequence[LabelledTable], seed: int = 0) -> list[LabelledTable]:
    """A copy with hidden names (:func:`hide_names`) of each business table in ``tables``.

    Business tables: :func:`business_table`. The training data of the pair for objects
    whose names say nothing (:func:`classifiers.business.features.opaque_names`). Half keep
    their path (the model learns what a telling path says), half get a path of the training
    split's generic words. Deterministic per table; pure.
    """
    out: list[LabelledTable] = []
    for t in tables:
        if business_table(t):
            rng = random.Random(_seed("hidden", seed, t.sample.info.etag))
            out.append(hide_names(t, rng, split="train", keep_path=rng.random() < 0.5))
    return out


def _seed(split: str, seed: int, *parts: object) -> int:
    h = hashlib.blake2b(f"{split}|{seed}|{'|'.join(map(str, parts))}".encode(), digest_size=8)
    return int.from_bytes(h.digest(), "big")


def _sample(path: str, name: str, columns: Sequence[ColumnSample], fmt: str) -> TableSample:
    rows = len(columns[0].values) if columns else 0
    return TableSample(
        info=ObjectInfo(ref=ObjectRef(path), size=1, etag="corpus-" + name),
        format=fmt,
        compression=None,
        columns=tuple(columns),
        rows_sampled=rows,
        row_count=rows,
        row_count_estimated=False,
        bytes_read=0,
        sampling=SamplingInfo(method="corpus"),
    )


def _variants(names: tuple[str, ...], split: str, rng: random.Random) -> tuple[str, ...]:
    """Name variants a split may use: the last of three or more is held out of ``train``.

    ``test`` uses the held-out variant half of the time, so its figures measure how the
    models do on column and folder names they never saw.
    """
    if len(names) < 3:
        return names
    if split == "train":
        return names[:-1]
    return names[-1:] if rng.random() < 0.5 else names[:-1]


def _synthetic(
    split: str,
    seed: int,
    index: int,
    fakers: dict[str, Faker],
    locales: Sequence[str] = LOCALES,
) -> LabelledTable:
    rng = random.Random(_seed(split, seed, "table", index))
    template = TEMPLATES[index % len(TEMPLATES)]
    locale = rng.choice(locales)
    fake = fakers[locale]
    fake.seed_instance(rng.getrandbits(32))
    n = rng.choice((20, 40, 60, 100))
    specs = [s for s in template.columns if s.prob >= 1.0 or rng.random() < s.prob]
    if rng.random() < 0.5:
        head, tail = specs[:1], specs[1:]
        rng.shuffle(tail)
        specs = head + tail
    columns: list[ColumnSample] = []
    types: list[str] = []
    pii: dict[str, set[str]] = {}
    used: set[str] = set()

    def add(name: str, spec: ColumnSpec, draw: random.Random) -> None:
        used.add(name)
        values, data_type, entities = GENERATORS[spec.ctype](draw, fake, n, spec.flavor)
        columns.append(ColumnSample(name, data_type, tuple(values)))
        types.append(spec.ctype)
        if entities:
            pii[name] = set(entities)

    for i, spec in enumerate(specs):
        name = rng.choice(_variants(spec.names, split, rng))
        if rng.random() < 0.12:
            name = rng.choice(OPAQUE_NAMES).format(i=i)
        if rng.random() < 0.15:
            name = rng.choice((name.upper(), "".join(p.title() for p in name.split("_"))))
        if name in used:
            name = f"{name}_{i}"
        add(name, spec, rng)
    if rng.random() < OTHER_SHARE:
        style = rng.choice(tuple(OTHER_NAMES))
        name = rng.choice(OTHER_NAMES[style])
        values, data_type, _ = GENERATORS["other"](rng, fake, n, style)
        columns.append(
            ColumnSample(name if name not in used else f"{name}_x", data_type, tuple(values))
        )
        types.append("other")
    index_draw = random.Random(_seed(split, seed, "row_index", index))
    if index_draw.random() < ROW_INDEX_SHARE:
        # A CSV written with its data frame's index: a leading column of row numbers under
        # the name pandas (or a spreadsheet) gives it. Its own stream, so the other columns
        # of the table are drawn as without it.
        name = index_draw.choice(ROW_INDEX_NAMES)
        start = index_draw.choice((0, 1))
        if name not in used:
            used.add(name)
            columns.insert(0, ColumnSample(name, "int64", tuple(range(start, start + n))))
            types.insert(0, "identifier")
    extras = random.Random(_seed(split, seed, "pii", index))
    for spec in PII_EXTRAS.get(template.name, ()):
        if extras.random() >= spec.prob:
            continue
        name = extras.choice(_variants(spec.names, split, extras))
        if name not in used:
            add(name, spec, extras)
    bucket = rng.choice(template.buckets) if rng.random() < 0.67 else rng.choice(NEUTRAL_BUCKETS)
    folder = (
        rng.choice(_variants(template.folders, split, rng))
        if rng.random() < 0.8
        else f"dataset_{rng.randint(1, 999)}"
    )
    prefix = rng.choice(PREFIXES)
    fmt = rng.choice(("parquet", "csv"))
    key = "/".join(p for p in (prefix, folder, f"part-{rng.randint(0, 9)}.{fmt}") if p)
    path = f"s3://{bucket}/{key}"
    return LabelledTable(
        _sample(path, f"{split}-{index}", columns, fmt),
        template.category,
        tuple(types),
        pii,
        "synthetic:" + template.name,
    )


# --------------------------------------------------------------------------- plotly
#: file -> (category, bucket, {column: type}); every column of the file is labelled.
PLOTLY_LABELS: dict[str, tuple[str, str, dict[str, str]]] = {
    "carshare": (
        "operations",
        "mobility-ops",
        {
            "centroid_lat": "measurement",
            "centroid_lon": "measurement",
            "car_hours": "measurement",
            "peak_hour": "category_enum",
        },
    ),
    "election": (
        "reference",
        "civic-reference",
        {
            "district": "category_enum",
            "Coderre": "quantity",
            "Bergeron": "quantity",
            "Joly": "quantity",
            "total": "quantity",
            "winner": "category_enum",
            "result": "category_enum",
            "district_id": "identifier",
        },
    ),
    "experiment": (
        "science",
        "research-data",
        {
            "experiment_1": "measurement",
            "experiment_2": "measurement",
            "experiment_3": "measurement",
            "gender": "category_enum",
            "group": "category_enum",
        },
    ),
    "gapminder": (
        "reference",
        "world-indicators",
        {
            "country": "country",
            "continent": "category_enum",
            "year": "date",
            "lifeExp": "measurement",
            "pop": "quantity",
            "gdpPercap": "amount",
            "iso_alpha": "country",
            "iso_num": "foreign_key_id",
            "centroid_lon": "measurement",
            "centroid_lat": "measurement",
        },
    ),
    "iris": (
        "science",
        "research-data",
        {
            "sepal_length": "measurement",
            "sepal_width": "measurement",
            "petal_length": "measurement",
            "petal_width": "measurement",
            "species": "category_enum",
            "species_id": "foreign_key_id",
        },
    ),
    "medals": (
        "reference",
        "sports-reference",
        {"nation": "country", "gold": "quantity", "silver": "quantity", "bronze": "quantity"},
    ),
    "stocks": (
        "finance",
        "market-data",
        {
            "date": "date",
            "GOOG": "measurement",
            "AAPL": "measurement",
            "AMZN": "measurement",
            "FB": "measurement",
            "NFLX": "measurement",
            "MSFT": "measurement",
        },
    ),
    "tips": (
        "sales",
        "restaurant-pos",
        {
            "total_bill": "amount",
            "tip": "amount",
            "sex": "category_enum",
            "smoker": "boolean_flag",
            "day": "category_enum",
            "time": "category_enum",
            "size": "quantity",
        },
    ),
    "wind": (
        "science",
        "weather-data",
        {"direction": "category_enum", "strength": "category_enum", "frequency": "measurement"},
    ),
}


def plotly_dir() -> Path:
    """Where plotly keeps its bundled datasets.

    :raises ModuleNotFoundError: plotly is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("plotly is not installed (pip install -e '.[dev]')")
    return Path(spec.origin).parent / "package_data" / "datasets"


def _parse_csv_cell(text: str) -> CellValue:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _plotly_tables(split: str, seed: int) -> list[LabelledTable]:
    out: list[LabelledTable] = []
    base = plotly_dir()
    for stem in sorted(PLOTLY_LABELS):
        category, bucket, labels = PLOTLY_LABELS[stem]
        with gzip.open(base / f"{stem}.csv.gz", "rt", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(io.StringIO(fh.read())))
        header, body = rows[0], rows[1:]
        random.Random(_seed("plotly", 0, stem)).shuffle(body)
        cut = max(1, int(len(body) * 0.6))
        pool = body[:cut] if split == "train" else body[cut:] or body[:1]
        for k in range(PLOTLY_TABLES[split]):
            rng = random.Random(_seed(split, seed, "plotly", stem, k))
            n = min(len(pool), rng.choice((20, 40, 60)))
            picked = rng.sample(pool, n)
            idx = list(range(len(header)))
            if len(idx) > 3 and rng.random() < 0.5:
                idx.remove(rng.choice(idx[1:]))
            columns: list[ColumnSample] = []
            for j in idx:
                vals = tuple(_parse_csv_cell(r[j]) for r in picked)
                kinds = {type(v) for v in vals if v is not None}
                dt = "int64" if kinds == {int} else "double" if kinds <= {int, float} else "string"
                columns.append(ColumnSample(header[j], dt, vals))
            path = f"s3://{bucket}/{rng.choice(('exports', 'raw', 'public'))}/{stem}/part-{k}.csv"
            out.append(
                LabelledTable(
                    _sample(path, f"{split}-{stem}-{k}", columns, "csv"),
                    category,
                    tuple(labels[header[j]] for j in idx),
                    {},
                    "plotly:" + stem,
                )
            )
    return out


def build_corpus(
    split: str, seed: int | None = None, tables: int | None = None
) -> list[LabelledTable]:
    """The labelled tables of one split: synthetic tables then plotly tables.

    :param seed: defaults to :data:`DEFAULT_SEEDS`; the same (split, seed, tables) give the
        same corpus.
    :param tables: synthetic tables (default :data:`DEFAULT_TABLES`); cycles the templates.
    :raises ValueError: an unknown split.
    :raises ModuleNotFoundError: Faker or plotly are missing (dev dependencies).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    seed = DEFAULT_SEEDS[split] if seed is None else seed
    count = DEFAULT_TABLES[split] if tables is None else tables
    fakers = {loc: Faker(loc) for loc in LOCALES}
    out = [_synthetic(split, seed, i, fakers) for i in range(count)]
    out.extend(_plotly_tables(split, seed))
    return out


def other_locale_tables(
    split: str, tables: int | None = None, seed: int | None = None
) -> list[LabelledTable]:
    """Synthetic tables of ``split`` with values in :data:`OTHER_LOCALES` (another seed).

    The same templates and names as :func:`build_corpus`; the values are Spanish, Polish,
    Russian, Japanese, Chinese ... Faker data. Their ETags say ``locales`` so that seeds
    derived from them differ from the main corpus's. Deterministic.

    :param seed: the main corpus's seed (default :data:`DEFAULT_SEEDS`); these tables take
        it plus ``OTHER_LOCALE_SEED``.

    :raises ValueError: an unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    seed = (DEFAULT_SEEDS[split] if seed is None else seed) + OTHER_LOCALE_SEED
    count = OTHER_LOCALE_TABLES[split] if tables is None else tables
    fakers = {loc: Faker(loc) for loc in OTHER_LOCALES}
    out = []
    for i in range(count):
        t = _synthetic(split, seed, i, fakers, OTHER_LOCALES)
        info = replace(t.sample.info, etag=f"corpus-locales-{split}-{i}")
        out.append(replace(t, sample=replace(t.sample, info=info)))
    return out


def corpus_digest(tables: Sequence[LabelledTable]) -> str:
    """SHA-256 over every path, name, type, value and label: equal digests, equal corpus.

    Pure; never raises.
    """
    h = hashlib.sha256()
    for t in tables:
        h.update(f"T|{t.sample.info.ref.uri}|{t.category}|{t.source}\n".encode())
        for col, ctype in zip(t.sample.columns, t.column_types, strict=True):
            ents = sorted(t.pii.get(col.name, set()))
            h.update(f"C|{col.name}|{col.data_type}|{ctype}|{ents}\n".encode())
            h.update(repr(col.values).encode())
    return h.hexdigest()
