"""A deterministic, labelled corpus of tables for the PII accuracy benchmark.

``iter_tables(split, seed)`` yields :class:`LabelledTable` objects: synthetic tables built with
Faker in several locales (dense PII columns, free text with embedded PII, sparse PII, non-PII
columns chosen to trip naive detectors, misleading and opaque column names) and real non-PII
tables read from the datasets bundled in the ``plotly`` package. Every column carries the set
of entities (from :data:`models.labels.PII_ENTITIES`) it truly holds; empty for non-PII.

Two splits: ``dev`` (tune on it) and ``test`` (report on it). They use different seeds,
different column-name variants (each spec's names alternate between the splits), different
opaque-name styles, different locale mixes and different plotly tables, so figures on ``test``
are on data that was not tuned on.

Labelling rules:

- dense column: the entity of its generator (an int64 SSN column is US_SSN);
- free-text column: every entity embedded in at least :data:`FREE_TEXT_MIN_SHARE` of its
  non-null rows (computed from what was actually generated);
- sparse column: the entity, although only ~1% of the values hold it;
- a column whose name says PII but whose values do not (``phone`` holding product codes,
  ``ssn_hash``) is labelled by its values: empty.

Determinism: every column gets its own seed derived with BLAKE2 from (split, seed, table,
column), so the corpus does not depend on the order columns are generated in. It depends on
``PYTHONHASHSEED`` in one place: Faker's ``it_IT`` towns come from a set (``getcities``), and
two free-text columns of the test split hold them (their PERSON confidence moves by up to
0.015 between seeds; the entities found do not). Nothing is downloaded; plotly's files are
read from the installed package.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import random
import string
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample  # noqa: E402
from models.labels import PII_ENTITIES  # noqa: E402
from models.samples import CellValue  # noqa: E402

SPLITS = ("dev", "test")
DEFAULT_SEEDS = {"dev": 1101, "test": 2202}
DEFAULT_ROWS = 1000
#: A free-text column is labelled with an entity embedded in at least this share of rows.
FREE_TEXT_MIN_SHARE = 0.05

#: Column kinds, for breakdowns in the report.
KINDS = ("dense", "free_text", "sparse", "non_pii", "misleading", "real")

_REF_DATE = date(2024, 6, 1)
_REF_TS = datetime(2024, 6, 1, 12, 0, 0)

#: Locale mixes: the test split leans on locales the dev split uses little.
_LOCALES = {
    "dev": ("en_US", "en_US", "en_GB", "de_DE", "fr_FR", "es_ES"),
    "test": ("en_US", "it_IT", "nl_NL", "en_IN", "en_GB", "fr_FR"),
}
_OPAQUE = {
    "dev": ("col_{n}", "attr{n}", "c{n}", "var_{n}"),
    "test": ("field_{a}", "unnamed_{n}", "x{n}", "f{n}_val"),
}
_OPAQUE_SHARE = 0.15


# --------------------------------------------------------------------------------------------
# Data model


@dataclass(frozen=True, slots=True)
class LabelledColumn:
    """One column with its true entities.

    :param kind: one of :data:`KINDS`.
    :param spec: the generator that made it (for breakdowns), or the source column.
    """

    name: str
    data_type: str
    values: tuple[CellValue, ...]
    entities: frozenset[str]
    kind: str
    spec: str


@dataclass(frozen=True, slots=True)
class LabelledTable:
    """A table of labelled columns; ``source`` is ``synthetic`` or ``plotly:<file>``."""

    name: str
    path: str
    source: str
    columns: tuple[LabelledColumn, ...]

    @property
    def rows(self) -> int:
        """Rows in the table (all columns have the same length)."""
        return len(self.columns[0].values) if self.columns else 0


def to_table_sample(table: LabelledTable) -> TableSample:
    """Turn a :class:`LabelledTable` into the :class:`models.TableSample` classifiers take."""
    columns = tuple(ColumnSample(c.name, c.data_type, c.values) for c in table.columns)
    return TableSample(
        info=ObjectInfo(ref=ObjectRef(table.path), size=1, etag="bench-" + table.name),
        format="parquet",
        compression=None,
        columns=columns,
        rows_sampled=table.rows,
        row_count=table.rows,
        row_count_estimated=False,
        bytes_read=0,
        sampling=SamplingInfo(method="bench"),
    )


def values_digest(tables: Sequence[LabelledTable]) -> str:
    """A hash of every name, type, value and label: equal digests mean an identical corpus."""
    h = hashlib.blake2b(digest_size=16)
    for table in tables:
        h.update(f"T|{table.name}|{table.path}|{table.source}\n".encode())
        for col in table.columns:
            h.update(f"C|{col.name}|{col.data_type}|{sorted(col.entities)}|{col.kind}\n".encode())
            for v in col.values:
                h.update(f"{type(v).__name__}:{v!r}\x1f".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Value helpers (pure, deterministic given the rng / Faker instance)


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit completing ``payload`` (decimal digits only)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """Whether the digits of ``number`` (separators ignored) pass the Luhn check."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return len(digits) >= 12 and luhn_check_digit(digits[:-1]) == int(digits[-1])


def iban_valid(text: str) -> bool:
    """ISO 13616 mod-97 check, spaces ignored."""
    s = text.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in moved))
    except ValueError:
        return False
    return number % 97 == 1


_NRIC_ST = "JZIHGFEDCBA"
_NRIC_FG = "XWUTRQPNMLK"
_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)


def nric_check_letter(prefix: str, digits: str) -> str:
    """The check letter of a Singapore NRIC/FIN with ``prefix`` (S/T/F/G) and 7 digits."""
    total = sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, digits, strict=True))
    if prefix.upper() in "TG":
        total += 4
    table = _NRIC_ST if prefix.upper() in "ST" else _NRIC_FG
    return table[total % 11]


def nric_valid(text: str) -> bool:
    """Whether ``text`` is a well-formed NRIC/FIN with the right check letter (any case)."""
    s = text.strip().upper()
    if len(s) != 9 or s[0] not in "STFG" or not s[1:8].isdigit() or not s[8].isalpha():
        return False
    return nric_check_letter(s[0], s[1:8]) == s[8]


def ssn_shape_ok(value: CellValue) -> bool:
    """Whether ``value`` looks like a US SSN: 9 digits (dashes/spaces allowed), valid parts."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        text = f"{value:09d}"
    elif isinstance(value, str):
        text = value.replace("-", "").replace(" ", "")
    else:
        return False
    if len(text) != 9 or not text.isdigit():
        return False
    area, group, serial = int(text[:3]), int(text[3:5]), int(text[5:])
    return 0 < area < 900 and area != 666 and group > 0 and serial > 0


def _ssn(r: random.Random, sep: str) -> str:
    area = r.choice([r.randint(1, 665), r.randint(667, 899)])
    return f"{area:03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}"


_CARD_PREFIX = {
    "visa": (("4",), 16),
    "mastercard": (("51", "52", "53", "54", "55", "2221", "2720"), 16),
    "amex": (("34", "37"), 15),
    "discover": (("6011", "65"), 16),
    "jcb": (("3528", "3589"), 16),
    "diners": (("36", "38"), 14),
}


def _card(r: random.Random, brand: str | None = None) -> str:
    brand = brand or r.choice(list(_CARD_PREFIX))
    prefixes, length = _CARD_PREFIX[brand]
    payload = r.choice(prefixes)
    payload += "".join(str(r.randint(0, 9)) for _ in range(length - 1 - len(payload)))
    return payload + str(luhn_check_digit(payload))


def _group_card(number: str, sep: str) -> str:
    if not sep:
        return number
    if len(number) == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    if len(number) == 14:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


# National identifiers, written from their published rules (not from the classifier's code).
_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4,
                    18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23), strict=True))  # fmt: skip
_CF_MONTHS = "ABCDEHLMPRST"


def _codice_fiscale(r: random.Random) -> str:
    """An Italian codice fiscale with its check letter."""
    letters = "".join(r.choice("BCDFGHLMNPRSTVZ" + "AEIOU") for _ in range(6))
    day = r.randint(1, 28) + (40 if r.random() < 0.5 else 0)
    place = r.choice("ABCDEFGHLM") + f"{r.randint(1, 999):03d}"
    body = f"{letters}{r.randint(40, 99):02d}{r.choice(_CF_MONTHS)}{day:02d}{place}"
    odd = sum(_CF_ODD[ch] for ch in body[0::2])
    even = sum(int(ch) if ch.isdigit() else ord(ch) - 65 for ch in body[1::2])
    return body + chr(65 + (odd + even) % 26)


def _es_nif(r: random.Random) -> str:
    """A Spanish DNI (eight digits) or NIE (X/Y/Z and seven) with its check letter."""
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    if r.random() < 0.2:
        lead = r.randint(0, 2)
        digits = f"{r.randint(0, 9999999):07d}"
        return "XYZ"[lead] + digits + letters[int(f"{lead}{digits}") % 23]
    number = r.randint(1000000, 99999999)
    return f"{number:08d}" + ("-" if r.random() < 0.1 else "") + letters[number % 23]


def _br_cpf(r: random.Random, formatted: bool) -> str:
    """A Brazilian CPF with both check digits, ``123.456.789-09`` or eleven digits."""
    d = [r.randint(0, 9) for _ in range(9)]
    for n in (9, 10):
        d.append(sum(w * x for w, x in zip(range(n + 1, 1, -1), d, strict=False)) * 10 % 11 % 10)
    s = "".join(map(str, d))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}" if formatted else s


def _fr_nir(r: random.Random) -> str:
    """A French NIR with its key (97 minus the number modulo 97), spaced or not."""
    body = (
        f"{r.choice('12')}{r.randint(40, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 95):02d}"
        f"{r.randint(1, 999):03d}{r.randint(1, 999):03d}"
    )
    key = 97 - int(body) % 97
    if r.random() < 0.3:
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:]} {key:02d}"
    return f"{body}{key:02d}"


def _nl_bsn(r: random.Random) -> str:
    """A Dutch BSN passing the eleven test."""
    while True:
        d = [r.randint(0, 9) for _ in range(8)]
        last = sum(w * x for w, x in zip(range(9, 1, -1), d, strict=True)) % 11
        if last < 10 and any(d):
            return "".join(map(str, d)) + str(last)


def _pl_pesel(r: random.Random) -> str:
    """A Polish PESEL: birth date (century in the month) and check digit."""
    year = r.randint(1940, 2015)
    month = r.randint(1, 12) + (20 if year >= 2000 else 0)
    body = f"{year % 100:02d}{month:02d}{r.randint(1, 28):02d}{r.randint(0, 9999):04d}"
    total = sum(w * int(ch) for w, ch in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), body, strict=True))
    return body + str((10 - total % 10) % 10)


def _kr_rrn(r: random.Random) -> str:
    """A Korean resident registration number, ``YYMMDD-SNNNNNN``."""
    born = f"{r.randint(40, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
    return f"{born}-{r.randint(1, 4)}{r.randint(0, 999999):06d}"


def _cn_resident_id(r: random.Random) -> str:
    """A Chinese resident identity card number with its ISO 7064 MOD 11-2 check."""
    body = (
        f"{r.randint(110000, 659999)}{r.randint(1940, 2010)}{r.randint(1, 12):02d}"
        f"{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
    )
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(w * int(ch) for w, ch in zip(weights, body, strict=True)) % 11]


def _nric(r: random.Random, case: str) -> str:
    prefix = r.choice("STFG")
    digits = "".join(str(r.randint(0, 9)) for _ in range(7))
    value = prefix + digits + nric_check_letter(prefix, digits)
    if case == "lower":
        return value.lower()
    if case == "mixed":
        return value if r.random() < 0.6 else value.lower()
    return value


def _iban(f: Faker, fallback: Faker, spaced: bool) -> str:
    value = ""
    for _ in range(5):
        try:
            value = f.iban()
        except AttributeError:
            value = fallback.iban()
        if iban_valid(value):
            break
        value = fallback.iban()
        if iban_valid(value):
            break
    if spaced:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def _passport(r: random.Random) -> str:
    if r.random() < 0.5:
        return r.choice(string.ascii_uppercase) + f"{r.randint(0, 99_999_999):08d}"
    return f"{r.randint(100_000_000, 999_999_999)}"


def _driver_license(r: random.Random, style: int) -> str:
    letter = r.choice(string.ascii_uppercase)
    if style == 0:  # California, many others: letter + 7 digits
        return letter + f"{r.randint(0, 9_999_999):07d}"
    if style == 1:  # Florida: letter + 12 digits with dashes
        d = f"{r.randint(0, 10**12 - 1):012d}"
        return f"{letter}{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:11]}-{d[11]}"
    if style == 2:  # Washington (old): WDL + 9 alphanumerics
        return "WDL" + "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(9))
    if style == 3:  # Illinois: letter + 11 digits
        return letter + f"{r.randint(0, 10**11 - 1):011d}"
    return f"{r.randint(10_000_000, 99_999_999)}"  # Texas: 8 digits


def _phone(f: Faker, r: random.Random, style: int) -> str:
    if style == 0:
        return str(f.phone_number())
    area, mid, last = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
    if style == 1:
        return f"({area}) {mid}-{last:04d}"
    if style == 2:
        return f"{area}.{mid}.{last:04d}"
    if style == 3:
        return f"+1{area}{mid}{last:04d}"
    if style == 4:
        return f"+44 7{r.randint(100, 999)} {r.randint(100000, 999999)}"
    if style == 5:
        return f"+49 {r.randint(30, 899)} {r.randint(1000000, 9999999)}"
    if style == 6:
        return (
            f"+33 6 {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)}"
        )
    if style == 7:
        return f"+65 {r.choice('689')}{r.randint(100, 999)} {r.randint(1000, 9999)}"
    return f"{area}-{mid}-{last:04d}"


def _dob(r: random.Random) -> date:
    return _REF_DATE - timedelta(days=r.randint(18 * 365, 90 * 365))


def _recent_ts(r: random.Random) -> datetime:
    return _REF_TS - timedelta(seconds=r.randint(0, 400 * 86400))


def _masked_mac(r: random.Random) -> str:
    return ":".join(f"{r.randint(0, 255):02x}" for _ in range(6))


def _hex(r: random.Random, n: int) -> str:
    return f"{r.getrandbits(4 * n):0{n}x}"


_PRODUCT_WORDS = (
    "Widget", "Gadget", "Bracket", "Sprocket", "Valve", "Adapter", "Cable", "Router", "Lamp",
    "Chair", "Desk", "Kettle", "Blender", "Drill", "Sensor", "Filter", "Pump", "Hinge",
)  # fmt: skip
_PRODUCT_ADJ = (
    "Ultra", "Pro", "Mini", "Max", "Eco", "Smart", "Classic", "Turbo", "Compact", "Deluxe",
)  # fmt: skip
#: First names used as product/model codes: a 10-value enum that is not PERSON.
_NAME_CODES = (
    "Aurora", "Bella", "Clara", "Diana", "Emma", "Flora", "Grace", "Hazel", "Iris", "Julia",
)  # fmt: skip
_STATUS = ("active", "inactive", "pending", "closed", "suspended")
_TICKET_BASE = (
    "Printer on floor {n} keeps jamming.",
    "Order {order} arrived damaged, requesting replacement.",
    "Invoice {order} shows the wrong VAT rate.",
    "Cannot log in to the portal since the last update.",
    "Delivery to the {city} warehouse is late again.",
    "Requested a refund of {amount} EUR for order {order}.",
    "The {product} stopped working after {n} days.",
    "Please upgrade our plan to the enterprise tier.",
    "Monthly report for {city} is missing two columns.",
    "Password reset link expired before use.",
)


def _product(r: random.Random) -> str:
    return f"{r.choice(_PRODUCT_ADJ)} {r.choice(_PRODUCT_WORDS)} {r.randint(100, 9000)}"


# --------------------------------------------------------------------------------------------
# Column specs


@dataclass
class _Ctx:
    """Per-column generation context."""

    f: Faker  # locale Faker
    us: Faker  # en_US Faker (US-only identifiers)
    gb: Faker  # fallback for IBANs
    r: random.Random
    locale: str
    #: Per-column state of generators that draw from a fixed pool (a team's staff names).
    pool: dict[str, list[str]] = field(default_factory=dict)


ValueFn = Callable[[_Ctx], CellValue]


@dataclass(frozen=True)
class Spec:
    """How to make one kind of column.

    :param names: name variants; the dev split uses the even positions, test the odd ones.
    :param entities: true entities of a dense column (empty for non-PII).
    :param kind: ``dense``, ``non_pii`` or ``misleading`` (free-text and sparse columns are
        made by :class:`TextSpec` / :class:`SparseSpec`).
    """

    key: str
    data_type: str
    make: ValueFn
    names: tuple[str, ...]
    entities: frozenset[str] = frozenset()
    kind: str = "non_pii"
    null_rate: float = 0.03


@dataclass(frozen=True)
class TextSpec:
    """A free-text column; ``embed`` gives, per entity, the share of rows that embed one."""

    key: str
    names: tuple[str, ...]
    embed: tuple[tuple[str, float], ...]
    null_rate: float = 0.05
    #: Per entity, snippet templates replacing :data:`_SNIPPETS` (call summaries, say).
    snippets: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class SparseSpec:
    """A mostly non-PII column in which ``share`` of the values are the entity."""

    key: str
    names: tuple[str, ...]
    entity: str
    base: ValueFn
    pii: ValueFn
    share: float = 0.01
    data_type: str = "string"
    null_rate: float = 0.3


AnySpec = Spec | TextSpec | SparseSpec


def _e(*entities: str) -> frozenset[str]:
    for entity in entities:
        assert entity in PII_ENTITIES, entity
    return frozenset(entities)


def _name_upper(c: _Ctx) -> str:
    return str(c.f.name()).upper()


def _name_last_first(c: _Ctx) -> str:
    return f"{c.f.last_name()}, {c.f.first_name()}"


def _email_variant(c: _Ctx) -> str:
    roll = c.r.random()
    if roll < 0.2:
        return str(c.f.email()).upper()
    if roll < 0.4:
        user, _, domain = str(c.f.email()).partition("@")
        return f"{user}+{c.r.choice(['news', 'shop', 'x1'])}@{domain}"
    if roll < 0.6:
        return f"{c.f.first_name()}.{c.f.last_name()}@{c.f.free_email_domain()}".lower().replace(
            " ", ""
        )
    return str(c.f.company_email())


def _address_full(c: _Ctx) -> str:
    return str(c.f.address()).replace("\n", ", ")


def _url(c: _Ctx) -> str:
    roll = c.r.random()
    if roll < 0.4:
        return str(c.f.url())
    if roll < 0.8:
        return str(c.f.uri())
    return f"https://{c.f.domain_name()}/p/{c.r.randint(1, 99999)}?ref={_hex(c.r, 6)}"


def _ip_mixed(c: _Ctx) -> str:
    return str(c.f.ipv4() if c.r.random() < 0.6 else c.f.ipv6())


def _dob_string(c: _Ctx) -> str:
    d = _dob(c.r)
    fmt = c.r.choice(["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"])
    return d.strftime(fmt)


SPECS: dict[str, AnySpec] = {}


def _add(spec: AnySpec) -> None:
    assert spec.key not in SPECS, spec.key
    assert len(spec.names) >= 2, spec.key
    SPECS[spec.key] = spec


# Dense PII -------------------------------------------------------------------------------
_P = "dense"
_add(
    Spec(
        "full_name",
        "string",
        lambda c: str(c.f.name()),
        (
            "full_name",
            "customer_name",
            "name",
            "contact_name",
            "fullName",
            "nom_complet",
            "nombre",
            "client_name",
            "Name",
            "nome_cliente",
        ),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "full_name_upper",
        "string",
        _name_upper,
        (
            "CUSTOMER_NAME",
            "HOLDER_NAME",
            "ACCOUNT_HOLDER",
            "NAME_ON_CARD",
            "beneficiary",
            "payee_name",
        ),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "last_first",
        "string",
        _name_last_first,
        ("patient_name", "employee", "applicant", "passenger_name", "insured_name", "driver_name"),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "first_name",
        "string",
        lambda c: str(c.f.first_name()),
        (
            "first_name",
            "firstName",
            "vorname",
            "prenom",
            "given_name",
            "fname",
            "nombre_pila",
            "FirstName",
            "forename",
            "nome",
        ),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "last_name",
        "string",
        lambda c: str(c.f.last_name()),
        (
            "last_name",
            "surname",
            "nachname",
            "nom_famille",
            "apellido",
            "lastName",
            "lname",
            "cognome",
            "family_name",
            "achternaam",
        ),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "manager",
        "string",
        lambda c: str(c.f.name()),
        ("manager", "account_manager", "sales_rep", "assigned_agent", "approver", "referred_by"),
        _e("PERSON"),
        _P,
    )
)
_add(
    Spec(
        "email",
        "string",
        lambda c: str(c.f.email()),
        (
            "email",
            "email_address",
            "courriel",
            "e_mail",
            "custEmailAddr",
            "correo",
            "E-Mail",
            "mail",
            "contact_email",
            "emailadres",
        ),
        _e("EMAIL_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "email_variant",
        "string",
        _email_variant,
        ("work_email", "billing_email", "login", "username", "user_email", "notify_to"),
        _e("EMAIL_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "phone_locale",
        "string",
        lambda c: _phone(c.f, c.r, 0),
        (
            "phone",
            "telefono",
            "telefon",
            "phone_number",
            "tel",
            "telephone",
            "mobile",
            "cellulare",
            "contact_no",
            "telefoonnummer",
        ),
        _e("PHONE_NUMBER"),
        _P,
    )
)
_add(
    Spec(
        "phone_formats",
        "string",
        lambda c: _phone(c.f, c.r, c.r.randint(1, 8)),
        (
            "mobile_phone",
            "cell",
            "phoneNbr",
            "home_phone",
            "msisdn",
            "contact_phone",
            "numero_portable",
            "handynummer",
        ),
        _e("PHONE_NUMBER"),
        _P,
    )
)
_add(
    Spec(
        "phone_int",
        "int64",
        lambda c: int(f"{c.r.randint(201, 989)}{c.r.randint(200, 999)}{c.r.randint(0, 9999):04d}"),
        ("phone_num", "phone_digits", "mobile_no", "tel_number"),
        _e("PHONE_NUMBER"),
        _P,
    )
)
_add(
    Spec(
        "ssn_dash",
        "string",
        lambda c: _ssn(c.r, "-"),
        ("ssn", "social_security_number", "SSN", "ss_no", "soc_sec_num", "taxpayer_ssn"),
        _e("US_SSN"),
        _P,
    )
)
_add(
    Spec(
        "ssn_plain",
        "string",
        lambda c: _ssn(c.r, c.r.choice(["", " "])),
        ("ssn_number", "ssnNo", "tin", "social", "ssn_raw", "employee_ssn"),
        _e("US_SSN"),
        _P,
    )
)
_add(
    Spec(
        "ssn_int",
        "int64",
        lambda c: int(_ssn(c.r, "")),
        ("ssn_int", "ssn_numeric", "social_sec", "ssn_value", "ss_number", "ssn9"),
        _e("US_SSN"),
        _P,
    )
)
_add(
    Spec(
        "card_plain",
        "string",
        lambda c: _card(c.r),
        (
            "card_number",
            "cc_number",
            "pan",
            "creditCard",
            "numero_carte",
            "kartennummer",
            "card_no",
            "tarjeta",
        ),
        _e("CREDIT_CARD"),
        _P,
    )
)
_add(
    Spec(
        "card_spaced",
        "string",
        lambda c: _group_card(_card(c.r), c.r.choice([" ", "-"])),
        ("card", "payment_card", "cc", "card_num_display", "cardnumber", "carta_credito"),
        _e("CREDIT_CARD"),
        _P,
    )
)
_add(
    Spec(
        "card_int",
        "int64",
        lambda c: int(_card(c.r, c.r.choice(["visa", "mastercard"]))),
        ("card_int", "pan_numeric", "cc_num", "card_digits"),
        _e("CREDIT_CARD"),
        _P,
    )
)
_add(
    Spec(
        "iban",
        "string",
        lambda c: _iban(c.f, c.gb, spaced=False),
        (
            "iban",
            "iban_code",
            "bank_account",
            "IBAN",
            "konto_iban",
            "compte_iban",
            "rekeningnummer",
            "cuenta",
        ),
        _e("IBAN_CODE"),
        _P,
    )
)
_add(
    Spec(
        "iban_spaced",
        "string",
        lambda c: _iban(c.f, c.gb, spaced=True),
        (
            "payout_account",
            "iban_formatted",
            "refund_account",
            "account_display",
            "bankverbindung",
            "conto",
        ),
        _e("IBAN_CODE"),
        _P,
    )
)
_add(
    Spec(
        "ipv4",
        "string",
        lambda c: str(c.f.ipv4()),
        (
            "ip",
            "client_ip",
            "ip_address",
            "remote_addr",
            "src_ip",
            "ipAddr",
            "source_ip",
            "last_ip",
        ),
        _e("IP_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "ipv6",
        "string",
        lambda c: str(c.f.ipv6()),
        ("ipv6", "client_ip6", "ip6_addr", "remote_ipv6"),
        _e("IP_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "ip_mixed",
        "string",
        _ip_mixed,
        ("peer", "origin_ip", "x_forwarded_for", "endpoint_ip"),
        _e("IP_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "street",
        "string",
        lambda c: str(c.f.street_address()),
        (
            "street_address",
            "address_line1",
            "strasse",
            "adresse",
            "direccion",
            "addr1",
            "street",
            "indirizzo",
            "home_address",
            "straat",
        ),
        _e("STREET_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "address_full",
        "string",
        _address_full,
        (
            "address",
            "mailing_address",
            "shipping_address",
            "billing_addr",
            "postal_address",
            "anschrift",
        ),
        _e("STREET_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "dob",
        "date",
        lambda c: _dob(c.r),
        (
            "date_of_birth",
            "dob",
            "geburtsdatum",
            "birth_date",
            "date_naissance",
            "fecha_nacimiento",
            "birthdate",
            "data_nascita",
            "DOB",
            "geboortedatum",
        ),
        _e("DATE_OF_BIRTH"),
        _P,
    )
)
_add(
    Spec(
        "dob_string",
        "string",
        _dob_string,
        ("birthday", "born_on", "dateOfBirth", "birth_dt", "geb_datum", "bday"),
        _e("DATE_OF_BIRTH"),
        _P,
    )
)
_add(
    Spec(
        "driver_license",
        "string",
        lambda c: _driver_license(c.r, c.r.randint(0, 4)),
        (
            "drivers_license",
            "dl_number",
            "driver_license_no",
            "licence_number",
            "dl_no",
            "driving_licence",
        ),
        _e("US_DRIVER_LICENSE"),
        _P,
    )
)
_add(
    Spec(
        "passport",
        "string",
        lambda c: _passport(c.r),
        (
            "passport_number",
            "passport_no",
            "passport",
            "us_passport",
            "travel_doc_no",
            "passport_id",
        ),
        _e("US_PASSPORT"),
        _P,
    )
)
_add(
    Spec(
        "nric",
        "string",
        lambda c: _nric(c.r, "upper"),
        ("nric", "nric_fin", "fin", "sg_id", "nric_no", "identity_no"),
        _e("SG_NRIC_FIN"),
        _P,
    )
)
_add(
    Spec(
        "nric_mixed",
        "string",
        lambda c: _nric(c.r, "mixed"),
        ("nric_number", "ic_number", "customer_ic", "fin_no"),
        _e("SG_NRIC_FIN"),
        _P,
    )
)
_add(
    Spec(
        "it_fiscal_code",
        "string",
        lambda c: _codice_fiscale(c.r),
        ("codice_fiscale", "fiscal_code", "cod_fiscale", "cf_cliente"),
        _e("IT_FISCAL_CODE"),
        _P,
    )
)
_add(
    Spec(
        "es_nif",
        "string",
        lambda c: _es_nif(c.r),
        ("dni", "nif", "documento_identidad", "nif_cliente"),
        _e("ES_NIF"),
        _P,
    )
)
_add(
    Spec(
        "br_cpf",
        "string",
        lambda c: _br_cpf(c.r, c.r.random() < 0.7),
        ("cpf", "cpf_cliente", "numero_cpf", "cpf_titular"),
        _e("BR_CPF"),
        _P,
    )
)
_add(
    Spec(
        "fr_nir",
        "string",
        lambda c: _fr_nir(c.r),
        ("nir", "numero_securite_sociale", "num_secu", "nir_assure"),
        _e("FR_NIR"),
        _P,
    )
)
_add(
    Spec(
        "nl_bsn",
        "string",
        lambda c: _nl_bsn(c.r),
        ("bsn", "burgerservicenummer", "sofinummer", "bsn_nummer"),
        _e("NL_BSN"),
        _P,
    )
)
_add(
    Spec(
        "pl_pesel",
        "string",
        lambda c: _pl_pesel(c.r),
        ("pesel", "nr_pesel", "pesel_klienta", "numer_pesel"),
        _e("PL_PESEL"),
        _P,
    )
)
_add(
    Spec(
        "kr_rrn",
        "string",
        lambda c: _kr_rrn(c.r),
        ("주민등록번호", "rrn", "주민번호", "resident_registration_no"),
        _e("KR_RRN"),
        _P,
    )
)
_add(
    Spec(
        "cn_resident_id",
        "string",
        lambda c: _cn_resident_id(c.r),
        ("身份证号", "resident_id", "身份证号码", "id_card_number"),
        _e("CN_RESIDENT_ID"),
        _P,
    )
)
_add(
    Spec(
        "url",
        "string",
        _url,
        ("website", "url", "homepage", "profile_url", "link", "web", "site_web", "landing_page"),
        _e("URL"),
        _P,
    )
)

# Non-PII ------------------------------------------------------------------------------------
_N = "non_pii"
_add(
    Spec(
        "company",
        "string",
        lambda c: str(c.f.company()),
        (
            "company",
            "employer",
            "vendor",
            "supplier_name",
            "organisation",
            "firma",
            "societe",
            "empresa",
        ),
        kind=_N,
    )
)
_add(
    Spec(
        "city",
        "string",
        lambda c: str(c.f.city()),
        ("city", "ville", "stadt", "ciudad", "town", "warehouse_city", "citta", "plaats"),
        kind=_N,
    )
)
_add(
    Spec(
        "country",
        "string",
        lambda c: str(c.f.country()),
        ("country", "pays", "land", "pais", "origin_country", "destination"),
        kind=_N,
    )
)
_add(
    Spec(
        "country_code",
        "string",
        lambda c: str(c.f.country_code()),
        ("country_code", "iso2", "cc_country", "market", "region_code", "ctry"),
        kind=_N,
    )
)
_add(
    Spec(
        "product",
        "string",
        lambda c: _product(c.r),
        ("product_name", "item", "product", "article", "produit", "producto"),
        kind=_N,
    )
)
_add(
    Spec(
        "sku",
        "string",
        lambda c: f"SKU-{c.r.randint(10000, 99999)}-{c.r.choice(['S', 'M', 'L', 'XL'])}",
        ("sku", "item_code", "article_no", "product_code", "part_number", "ref"),
        kind=_N,
    )
)
_add(
    Spec(
        "order_id",
        "int64",
        lambda c: c.r.randint(100_000_000, 9_999_999_999),
        (
            "order_id",
            "orderId",
            "invoice_no",
            "transaction_id",
            "shipment_id",
            "ticket_id",
            "booking_ref",
            "case_id",
        ),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "amount",
        "double",
        lambda c: round(c.r.lognormvariate(3.5, 1.0), 2),
        ("amount", "total", "price", "balance", "betrag", "montant", "importe", "revenue"),
        kind=_N,
    )
)
_add(
    Spec(
        "quantity",
        "int64",
        lambda c: c.r.randint(1, 50),
        ("quantity", "qty", "units", "menge", "quantite", "cantidad"),
        kind=_N,
    )
)
_add(
    Spec(
        "ts",
        "timestamp",
        lambda c: _recent_ts(c.r),
        (
            "created_at",
            "updated_at",
            "event_time",
            "order_ts",
            "last_login",
            "modified",
            "ts",
            "ingested_at",
        ),
        kind=_N,
    )
)
_add(
    Spec(
        "event_date",
        "date",
        lambda c: _recent_ts(c.r).date(),
        (
            "order_date",
            "ship_date",
            "hire_date",
            "invoice_date",
            "expiry_date",
            "due_date",
            "valid_until",
            "report_date",
        ),
        kind=_N,
    )
)
_add(
    Spec(
        "release_date",
        "date",
        lambda c: date(1995, 1, 1) + timedelta(days=c.r.randint(0, 10000)),
        ("release_date", "first_published", "launch_date", "founded_on"),
        kind=_N,
    )
)
_add(
    Spec(
        "version",
        "string",
        lambda c: f"{c.r.randint(0, 12)}.{c.r.randint(0, 30)}.{c.r.randint(0, 99)}",
        ("version", "app_version", "firmware", "sdk_version", "build", "client_version"),
        kind=_N,
    )
)
_add(
    Spec(
        "uuid",
        "string",
        lambda c: str(uuid.UUID(int=c.r.getrandbits(128), version=4)),
        ("id", "uuid", "request_id", "device_id", "session_id", "trace_id", "guid", "record_id"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "sha256",
        "string",
        lambda c: _hex(c.r, 64),
        ("checksum", "content_hash", "sha256", "digest", "etag_full", "file_hash"),
        kind=_N,
    )
)
_add(
    Spec(
        "md5",
        "string",
        lambda c: _hex(c.r, 32),
        ("md5", "etag", "fingerprint", "hash", "cache_key", "signature"),
        kind=_N,
    )
)
_add(
    Spec(
        "user_agent",
        "string",
        lambda c: str(c.f.user_agent()),
        ("user_agent", "ua", "browser", "http_user_agent", "agent", "client_ua"),
        kind=_N,
    )
)
_add(
    Spec(
        "status",
        "string",
        lambda c: c.r.choice(_STATUS),
        ("status", "state", "order_status", "account_status", "lifecycle", "etat"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "flag",
        "bool",
        lambda c: c.r.random() < 0.3,
        ("is_active", "opt_in", "deleted", "is_test", "verified", "gdpr_consent"),
        kind=_N,
    )
)
_add(
    Spec(
        "percent",
        "double",
        lambda c: round(c.r.uniform(0, 100), 2),
        ("pct", "discount_pct", "completion", "ctr", "utilisation", "taux"),
        kind=_N,
    )
)
_add(
    Spec(
        "lat",
        "double",
        lambda c: float(c.f.latitude()),
        ("lat", "latitude", "geo_lat", "breitengrad"),
        kind=_N,
    )
)
_add(
    Spec(
        "lon",
        "double",
        lambda c: float(c.f.longitude()),
        ("lon", "longitude", "geo_lng", "laengengrad"),
        kind=_N,
    )
)
_add(
    Spec(
        "zip",
        "string",
        lambda c: str(c.f.postcode()),
        ("zip", "postcode", "plz", "code_postal", "cp", "postal_code", "cap", "postcode_nl"),
        kind=_N,
    )
)
_add(
    Spec(
        "zip_int",
        "int64",
        lambda c: c.r.randint(1001, 99950),
        ("zip5", "zipcode", "zip_int", "postal"),
        kind=_N,
    )
)
_add(
    Spec(
        "count",
        "int64",
        lambda c: int(c.r.expovariate(1 / 40)),
        (
            "login_count",
            "visits",
            "page_views",
            "clicks",
            "retries",
            "num_items",
            "order_count",
            "sessions",
        ),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "name_codes",
        "string",
        lambda c: c.r.choice(_NAME_CODES),
        ("model", "edition", "series", "product_line", "codename", "collection"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "isbn",
        "string",
        lambda c: str(c.f.isbn13()),
        ("isbn", "isbn13", "book_isbn", "ean"),
        kind=_N,
    )
)
_add(
    Spec(
        "job",
        "string",
        lambda c: str(c.f.job()),
        ("job_title", "position", "role", "beruf", "poste", "occupation"),
        kind=_N,
    )
)
_add(
    Spec(
        "currency",
        "string",
        lambda c: str(c.f.currency_code()),
        ("currency", "ccy", "waehrung", "devise"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "score",
        "double",
        lambda c: c.r.random(),
        ("score", "probability", "weight", "risk_score", "rating", "confidence"),
        kind=_N,
    )
)
_add(
    Spec(
        "http_status",
        "int64",
        lambda c: c.r.choice([200, 200, 200, 201, 301, 404, 500]),
        ("status_code", "http_status", "response_code", "code"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "latency",
        "double",
        lambda c: round(c.r.expovariate(1 / 120), 3),
        ("latency_ms", "duration", "elapsed", "response_time"),
        kind=_N,
    )
)
_add(
    Spec(
        "bytes",
        "int64",
        lambda c: c.r.randint(200, 5_000_000),
        ("bytes", "size", "payload_bytes", "content_length"),
        kind=_N,
    )
)
_add(
    Spec(
        "color",
        "string",
        lambda c: str(c.f.color_name()),
        ("color", "colour", "farbe", "couleur"),
        kind=_N,
    )
)
_add(
    Spec(
        "department",
        "string",
        lambda c: c.r.choice(["Sales", "HR", "IT", "Finance", "Legal", "Ops", "R&D"]),
        ("department", "dept", "team", "abteilung", "service", "cost_center"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "sentence",
        "string",
        lambda c: str(c.f.sentence()),
        ("description", "summary", "comment_text", "beschreibung", "details", "label"),
        kind=_N,
    )
)
_add(
    Spec(
        "bic",
        "string",
        lambda c: str(c.gb.swift(length=8)),
        ("bic", "swift", "swift_code", "bank_bic"),
        kind=_N,
    )
)
_add(
    Spec(
        "temperature",
        "double",
        lambda c: round(c.r.gauss(21, 4), 1),
        ("temperature", "temp_c", "reading", "value"),
        kind=_N,
    )
)
_add(
    Spec(
        "file_path",
        "string",
        lambda c: f"/data/{c.r.choice(['raw', 'curated'])}/{_hex(c.r, 8)}.parquet",
        ("path", "file", "object_key", "location"),
        kind=_N,
    )
)

# Misleading names, non-PII values ------------------------------------------------------------
_M = "misleading"
_add(
    Spec(
        "phone_product_code",
        "string",
        lambda c: (
            f"{c.r.choice(['PX', 'TK', 'MB'])}-{c.r.randint(1000, 9999)}-{c.r.choice('ABCDE')}"
        ),
        ("phone", "phone_model", "tel", "mobile_device"),
        kind=_M,
    )
)
_add(
    Spec(
        "email_verified",
        "int64",
        lambda c: int(c.r.random() < 0.7),
        ("email_verified", "emailVerified", "email_confirmed", "mail_ok"),
        kind=_M,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "email_count",
        "int64",
        lambda c: int(c.r.expovariate(1 / 8)),
        ("email_count", "emails_sent", "num_emails", "mail_count"),
        kind=_M,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "name_product",
        "string",
        lambda c: _product(c.r),
        ("name", "display_name", "title", "item_name"),
        kind=_M,
    )
)
_add(
    Spec(
        "address_mac",
        "string",
        lambda c: _masked_mac(c.r),
        ("address", "mac_address", "hw_address", "addr"),
        kind=_M,
    )
)
_add(
    Spec(
        "address_hash",
        "string",
        lambda c: "0x" + _hex(c.r, 40),
        ("address", "wallet_address", "contract_address", "addr_hash"),
        kind=_M,
    )
)
_add(
    Spec(
        "ssn_hash",
        "string",
        lambda c: _hex(c.r, 64),
        ("ssn_hash", "ssn_sha256", "hashed_ssn", "ssn_digest"),
        kind=_M,
    )
)
_add(
    Spec(
        "card_type",
        "string",
        lambda c: c.r.choice(["Visa", "Mastercard", "Amex", "Discover"]),
        ("card_type", "card_brand", "cc_type", "payment_method"),
        kind=_M,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "dob_year_bucket",
        "string",
        lambda c: c.r.choice(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]),
        ("age_band", "dob_bucket", "age_group", "birth_cohort"),
        kind=_M,
    )
)
_add(
    Spec(
        "ip_country",
        "string",
        lambda c: str(c.f.country_code()),
        ("ip_country", "geoip_country", "ip_region", "ip_geo"),
        kind=_M,
    )
)
_add(
    Spec(
        "passport_country",
        "string",
        lambda c: str(c.f.country_code()),
        ("passport_country", "nationality_code", "passport_issuer", "issuing_country"),
        kind=_M,
    )
)
_add(
    Spec(
        "url_count",
        "int64",
        lambda c: c.r.randint(0, 30),
        ("url_count", "link_count", "num_urls", "urls_clicked"),
        kind=_M,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "iban_valid",
        "bool",
        lambda c: c.r.random() < 0.95,
        ("iban_valid", "iban_checked", "account_verified", "iban_ok"),
        kind=_M,
    )
)
_add(
    Spec(
        "person_count",
        "int64",
        lambda c: c.r.randint(1, 8),
        ("person_count", "party_size", "guests", "num_persons"),
        kind=_M,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "last_name_initial",
        "string",
        lambda c: c.r.choice(string.ascii_uppercase),
        ("last_name_initial", "initial", "surname_letter", "name_initial"),
        kind=_M,
    )
)
_add(
    Spec(
        "ssn_last4",
        "string",
        lambda c: f"{c.r.randint(0, 9999):04d}",
        ("ssn_last4", "ssn4", "last4_ssn", "ssn_suffix"),
        kind=_M,
    )
)
_add(
    Spec(
        "user_id",
        "int64",
        lambda c: c.r.randint(1, 5_000_000),
        ("customer_id", "user_id", "account_id", "member_id", "employee_id", "patient_id"),
        kind=_M,
        null_rate=0.0,
    )
)

# Issue 16's recall holes (dense, misleading and non-PII cases for each) ---------------------
#: Team names: what an ``owner`` column holds when it is not people.
_TEAMS = (
    "Data Platform", "Billing Ops", "Customer Success", "Finance Team", "IT Support",
    "Risk Desk", "Sales Emea", "Field Service", "Night Shift", "Tier Two",
)  # fmt: skip
#: Legal forms of several countries, for organisation names in name-like columns.
_LEGAL_FORMS = (
    "Inc.", "Inc", "LLC", "Ltd", "Ltd.", "plc", "GmbH", "AG", "KG", "SA", "S.A.", "S.p.A.",
    "S.r.l.", "SpA", "B.V.", "BV", "N.V.", "SARL", "S.A.S.", "S.L.", "Oy", "AB", "Pty Ltd",
    "LLP", "Corp.", "Co.", "GmbH & Co. KG", "s.r.o.",
)  # fmt: skip


def _role_person(c: _Ctx) -> str:
    """One of a column's 5-20 staff names (people-role columns: few names, many rows)."""
    pool = c.pool.get("role")
    if pool is None:
        pool = list(dict.fromkeys(str(c.f.name()) for _ in range(c.r.randint(5, 20))))
        c.pool["role"] = pool
    # Skewed like real workloads: the first names in the pool handle most rows.
    return c.r.choices(pool, weights=[1 / (i + 1) for i in range(len(pool))])[0]


def _name_initials(c: _Ctx) -> str:
    last, first, middle = str(c.f.last_name()), str(c.f.first_name()), str(c.f.first_name())
    style = c.r.randint(0, 3)
    if style == 0:
        return f"{last.upper()},{first[0]}.{middle[0]}."
    if style == 1:
        return f"{last}, {first[0]}."
    if style == 2:
        return f"{last.upper()}, {first.upper()}"
    return f"{first[0]}. {middle[0]}. {last}"


def _row_label_person(c: _Ctx) -> str:
    if c.r.random() < 0.5:
        return f"{c.f.last_name()}, {c.f.first_name()}"
    return str(c.f.name())


def _birth_ts(c: _Ctx) -> datetime:
    """Births of children and adults alike (ages 0-95), stored as midnight timestamps."""
    d = _REF_DATE - timedelta(days=c.r.randint(30, 95 * 365))
    return datetime(d.year, d.month, d.day)


def _ssn_digits(c: _Ctx) -> str:
    return _ssn(c.r, "")


def _version4(c: _Ctx) -> str:
    return f"{c.r.randint(1, 12)}.{c.r.randint(0, 20)}.{c.r.randint(0, 40)}.{c.r.randint(0, 99)}"


def _ip_internal(c: _Ctx) -> str:
    roll = c.r.random()
    if roll < 0.4:
        return f"10.{c.r.randint(0, 255)}.{c.r.randint(0, 255)}.{c.r.randint(1, 254)}"
    if roll < 0.7:
        return f"192.168.{c.r.randint(0, 255)}.{c.r.randint(1, 254)}"
    return str(c.f.ipv4_public())


def _org_name(c: _Ctx) -> str:
    roll = c.r.random()
    if roll < 0.25:
        name = str(c.f.company())
    elif roll < 0.5:
        name = f"{c.f.last_name()} {c.r.choice(_LEGAL_FORMS)}"
    elif roll < 0.75:
        name = f"{c.f.last_name()} {c.f.last_name()} {c.r.choice(_LEGAL_FORMS)}"
    else:
        name = f"{c.f.last_name()} {c.r.choice(_PRODUCT_WORDS)} {c.r.choice(_LEGAL_FORMS)}"
    return name.upper() if c.r.random() < 0.3 else name


_add(
    Spec(
        "people_role",
        "string",
        _role_person,
        ("assigned_to", "owner", "sales_rep", "agent", "handled_by", "doctor", "case_worker",
         "rep", "attending_doctor", "closed_by", "account_exec", "technician"),
        _e("PERSON"),
        _P,
        null_rate=0.05,
    )
)  # fmt: skip
_add(
    Spec(
        "role_teams",
        "string",
        lambda c: c.r.choice(_TEAMS),
        ("owner", "assigned_to", "handled_by", "responsible", "owner_group", "assignee_group"),
        kind=_M,
    )
)
_add(
    Spec(
        "name_initials",
        "string",
        _name_initials,
        ("physician", "prescriber", "author", "inventor", "defendant", "surgeon", "examiner",
         "applicant_name", "insured", "attorney", "referring_md", "signatory"),
        _e("PERSON"),
        _P,
    )
)  # fmt: skip
_add(
    Spec(
        "rownames_person",
        "string",
        _row_label_person,
        ("rownames", "Unnamed: 0", "row.names", "...1", "_row", "X"),
        _e("PERSON"),
        _P,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "rownames_places",
        "string",
        lambda c: str(c.f.city()),
        ("rownames", "Unnamed: 0", "row.names", "...1", "_row", "X"),
        kind=_N,
        null_rate=0.0,
    )
)
_add(
    Spec(
        "dob_abbrev",
        "timestamp",
        _birth_ts,
        ("bdate", "fnac", "geb_dat", "date_naiss", "dt_nasc", "gebdat", "birth_dt", "f_nac",
         "dob_ts", "dnaiss", "nasc_dt", "brth_dt"),
        _e("DATE_OF_BIRTH"),
        _P,
    )
)  # fmt: skip
_add(
    Spec(
        "date_abbrev",
        "date",
        lambda c: _REF_DATE - timedelta(days=c.r.randint(0, 5 * 365)),
        ("eff_dt", "bgn_dt", "fec_alta", "dt_ini", "date_maj", "gueltig_ab", "upd_dt", "dt_fin"),
        kind=_N,
    )
)
_add(
    Spec(
        "ssn_opaque",
        "string",
        _ssn_digits,
        ("col7", "f_12", "x", "c9", "v3", "fld_21", "col_b", "a4"),
        _e("US_SSN"),
        _P,
    )
)
_add(
    Spec(
        "passport_opaque",
        "string",
        lambda c: c.r.choice(string.ascii_uppercase) + f"{c.r.randint(0, 99_999_999):08d}",
        ("col3", "f_8", "y", "c11", "v7", "fld_4", "col_d", "a2"),
        _e("US_PASSPORT"),
        _P,
    )
)
_add(
    Spec(
        "code9_opaque",
        "string",
        lambda c: f"{c.r.randint(100_000_000, 999_999_999)}",
        ("col5", "f_3", "z", "c2", "v9", "fld_6", "col_e", "a7"),
        kind=_N,
    )
)
_add(
    Spec(
        "version4",
        "string",
        _version4,
        ("version", "build_version", "app_version", "fw_version", "release", "sw_version"),
        kind=_M,
    )
)
_add(
    Spec(
        "ip_unhelpful",
        "string",
        _ip_internal,
        ("peer", "origin", "node", "endpoint", "src", "target", "value", "host"),
        _e("IP_ADDRESS"),
        _P,
    )
)
_add(
    Spec(
        "org_in_name",
        "string",
        _org_name,
        ("customer_name", "client", "name", "account_name", "payee", "bill_to", "party_name",
         "holder"),
        kind=_M,
    )
)  # fmt: skip

# Free text ------------------------------------------------------------------------------------
_add(
    TextSpec(
        "ticket_text",
        ("ticket_text", "message", "body", "notes", "nachricht", "texte"),
        (("PERSON", 0.35), ("EMAIL_ADDRESS", 0.25), ("PHONE_NUMBER", 0.15)),
    )
)
_add(
    TextSpec(
        "notes_ids",
        ("agent_notes", "remarks", "internal_note", "memo", "bemerkung", "observaciones"),
        (("US_SSN", 0.12), ("CREDIT_CARD", 0.1), ("PERSON", 0.2)),
    )
)
_add(
    TextSpec(
        "log_text",
        ("log_message", "event_detail", "raw_log", "msg"),
        (("IP_ADDRESS", 0.4), ("URL", 0.2), ("EMAIL_ADDRESS", 0.08)),
    )
)
_add(
    TextSpec(
        "delivery_text",
        ("delivery_instructions", "shipping_notes", "courier_note", "lieferhinweis"),
        (("STREET_ADDRESS", 0.3), ("PHONE_NUMBER", 0.2), ("PERSON", 0.1)),
    )
)
_add(
    TextSpec(
        "refund_text",
        ("refund_reason", "complaint", "feedback", "commentaire"),
        (("IBAN_CODE", 0.15), ("EMAIL_ADDRESS", 0.1)),
    )
)
_add(
    TextSpec(
        "call_summary",
        ("call_summary", "case_notes", "comment", "summary", "interaction_notes", "kommentar",
         "visit_notes", "resolution"),
        (("PERSON", 0.2), ("PHONE_NUMBER", 0.1), ("EMAIL_ADDRESS", 0.08)),
        snippets=(
            ("PERSON", ("Spoke to {v} about the renewal.", "{v} asked for a callback.",
                        "Left a voicemail for {v}.", "Escalated by {v} to billing.",
                        "Handed over to {v}.")),
        ),
    )
)  # fmt: skip
_add(TextSpec("plain_text", ("comments", "review", "free_text", "annotation"), ()))

# Sparse -------------------------------------------------------------------------------------
_add(
    SparseSpec(
        "sparse_email",
        ("contact_notes", "extra", "misc", "info"),
        "EMAIL_ADDRESS",
        lambda c: str(c.f.sentence(nb_words=5)),
        lambda c: str(c.f.email()),
    )
)
_add(
    SparseSpec(
        "sparse_phone",
        ("alt_contact", "callback", "other_contact", "aux"),
        "PHONE_NUMBER",
        lambda c: c.r.choice(["n/a", "none", "see ticket", "-"]),
        lambda c: _phone(c.f, c.r, c.r.randint(0, 8)),
    )
)
_add(
    SparseSpec(
        "sparse_ssn",
        ("reference", "legacy_ref", "ext_ref", "ref_code"),
        "US_SSN",
        lambda c: f"REF{c.r.randint(10000, 99999)}",
        lambda c: _ssn(c.r, "-"),
    )
)
_add(
    SparseSpec(
        "sparse_card",
        ("payment_ref", "pay_info", "txn_note", "memo_payment"),
        "CREDIT_CARD",
        lambda c: f"TXN-{_hex(c.r, 10)}",
        lambda c: _group_card(_card(c.r), " "),
    )
)
_add(
    SparseSpec(
        "sparse_name",
        ("owner", "handled_by", "signed_by", "contact"),
        "PERSON",
        lambda c: c.r.choice(["system", "batch", "auto", "import", "api"]),
        lambda c: str(c.f.name()),
        share=0.02,
    )
)


# --------------------------------------------------------------------------------------------
# Tables

#: Table templates: (name, spec keys). Opaque tables get opaque names for every column.
_TEMPLATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "customers",
        (
            "user_id",
            "full_name",
            "email",
            "phone_locale",
            "street",
            "city",
            "zip",
            "country",
            "dob",
            "ts",
            "status",
            "count",
            "email_verified",
            "company",
        ),
    ),
    (
        "employees",
        (
            "first_name",
            "last_name",
            "email_variant",
            "phone_formats",
            "ssn_dash",
            "dob",
            "event_date",
            "amount",
            "department",
            "job",
            "manager",
            "iban",
            "address_full",
            "flag",
        ),
    ),
    (
        "payments",
        (
            "uuid",
            "card_spaced",
            "card_type",
            "amount",
            "currency",
            "ts",
            "status",
            "iban_spaced",
            "order_id",
            "ipv4",
            "full_name_upper",
            "bic",
        ),
    ),
    (
        "web_logs",
        (
            "ts",
            "ipv4",
            "ip_mixed",
            "url",
            "user_agent",
            "http_status",
            "latency",
            "uuid",
            "bytes",
            "ip_country",
            "url_count",
            "md5",
        ),
    ),
    (
        "support_tickets",
        (
            "order_id",
            "ts",
            "ticket_text",
            "notes_ids",
            "status",
            "name_codes",
            "sparse_email",
            "sparse_name",
            "percent",
            "department",
        ),
    ),
    (
        "products",
        (
            "sku",
            "name_product",
            "amount",
            "quantity",
            "isbn",
            "version",
            "phone_product_code",
            "release_date",
            "color",
            "name_codes",
            "sentence",
            "company",
        ),
    ),
    (
        "inventory",
        (
            "sku",
            "city",
            "quantity",
            "lat",
            "lon",
            "ts",
            "address_mac",
            "sha256",
            "product",
            "zip_int",
            "temperature",
        ),
    ),
    (
        "kyc_us",
        (
            "user_id",
            "last_first",
            "ssn_plain",
            "ssn_int",
            "passport",
            "driver_license",
            "dob_string",
            "ssn_hash",
            "passport_country",
            "event_date",
            "status",
            "ssn_last4",
        ),
    ),
    (
        "sg_customers",
        (
            "nric",
            "full_name",
            "phone_formats",
            "email",
            "zip",
            "dob",
            "nric_mixed",
            "amount",
            "flag",
            "country_code",
        ),
    ),
    (
        "eu_br_ids",
        (
            "it_fiscal_code",
            "full_name",
            "es_nif",
            "br_cpf",
            "fr_nir",
            "nl_bsn",
            "amount",
            "flag",
        ),
    ),
    (
        "eastern_ids",
        (
            "pl_pesel",
            "full_name",
            "kr_rrn",
            "cn_resident_id",
            "amount",
            "status",
        ),
    ),
    (
        "devices",
        (
            "uuid",
            "address_mac",
            "version",
            "temperature",
            "percent",
            "lat",
            "lon",
            "ts",
            "ipv6",
            "address_hash",
            "bytes",
        ),
    ),
    (
        "marketing",
        (
            "email_count",
            "flag",
            "product",
            "count",
            "percent",
            "url",
            "country",
            "dob_year_bucket",
            "email",
            "score",
            "currency",
        ),
    ),
    (
        "hr_eu",
        (
            "last_name",
            "first_name",
            "dob",
            "phone_locale",
            "street",
            "iban",
            "email",
            "city",
            "zip",
            "job",
            "event_date",
            "amount",
        ),
    ),
    (
        "orders",
        (
            "order_id",
            "email_variant",
            "address_full",
            "amount",
            "quantity",
            "zip_int",
            "ts",
            "status",
            "sku",
            "delivery_text",
            "person_count",
            "card_int",
        ),
    ),
    (
        "contacts_sparse",
        (
            "uuid",
            "sparse_phone",
            "sparse_ssn",
            "sparse_card",
            "sentence",
            "plain_text",
            "refund_text",
            "ts",
            "score",
        ),
    ),
    (
        "finance",
        (
            "iban",
            "amount",
            "card_plain",
            "ts",
            "currency",
            "bic",
            "iban_valid",
            "company",
            "order_id",
            "percent",
        ),
    ),
    (
        "analytics_opaque",
        (
            "email",
            "full_name",
            "ipv4",
            "amount",
            "sha256",
            "ts",
            "count",
            "phone_formats",
            "uuid",
            "city",
            "ssn_dash",
            "score",
        ),
    ),
    (
        "contacts_intl",
        (
            "full_name",
            "phone_formats",
            "phone_int",
            "email_variant",
            "street",
            "country",
            "url",
            "company",
            "last_name_initial",
            "log_text",
        ),
    ),
    (
        "licences",
        (
            "driver_license",
            "passport",
            "last_first",
            "event_date",
            "country_code",
            "status",
            "dob",
            "uuid",
            "card_type",
        ),
    ),
    (
        "metrics",
        (
            "event_date",
            "count",
            "percent",
            "score",
            "latency",
            "bytes",
            "amount",
            "http_status",
            "department",
            "version",
        ),
    ),
    (
        "travel",
        (
            "passport",
            "full_name_upper",
            "nric_mixed",
            "phone_locale",
            "email",
            "country",
            "city",
            "event_date",
            "amount",
            "person_count",
            "ipv4",
        ),
    ),
    (
        "case_management",
        (
            "order_id",
            "full_name",
            "dob_abbrev",
            "people_role",
            "role_teams",
            "call_summary",
            "name_initials",
            "ssn_opaque",
            "passport_opaque",
            "code9_opaque",
            "status",
            "date_abbrev",
        ),
    ),
    (
        "registry",
        (
            "rownames_person",
            "people_role",
            "version4",
            "ip_unhelpful",
            "org_in_name",
            "email",
            "amount",
            "event_date",
            "call_summary",
        ),
    ),
    (
        "sites",
        (
            "rownames_places",
            "version4",
            "org_in_name",
            "date_abbrev",
            "code9_opaque",
            "role_teams",
            "amount",
            "count",
        ),
    ),
)

#: Templates generated a second time (other seed, locale and names) in each split.
_SECOND_PASS = frozenset({
    "customers", "employees", "payments", "kyc_us", "sg_customers", "hr_eu", "orders",
    "contacts_intl", "travel", "support_tickets", "licences", "contacts_sparse",
    "case_management", "registry",
})  # fmt: skip


def _column_seed(split: str, seed: int, *parts: object) -> int:
    text = "|".join([split, str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Fakers:
    """One Faker per locale, reseeded per column (creating Fakers is slow)."""

    def __init__(self) -> None:
        self._cache: dict[str, Faker] = {}

    def get(self, locale: str, seed: int) -> Faker:
        fake = self._cache.get(locale)
        if fake is None:
            fake = Faker(locale)
            self._cache[locale] = fake
        fake.seed_instance(seed)
        return fake


def _split_names(names: tuple[str, ...], split: str) -> tuple[str, ...]:
    return names[0::2] if split == "dev" else names[1::2]


def _opaque_name(split: str, r: random.Random) -> str:
    pattern = r.choice(_OPAQUE[split])
    return pattern.format(n=r.randint(1, 40), a=r.choice(string.ascii_lowercase))


def _nulls(values: list[CellValue], rate: float, r: random.Random) -> list[CellValue]:
    if rate <= 0:
        return values
    return [None if r.random() < rate else v for v in values]


_SNIPPETS: dict[str, tuple[str, ...]] = {
    "PERSON": ("Customer {v} called.", "Spoke with {v} today.", "cc: {v}", "Per {v}:"),
    "EMAIL_ADDRESS": ("Reply to {v}.", "email: {v}", "forwarded from {v}"),
    "PHONE_NUMBER": ("Call back on {v}.", "tel {v}", "reachable at {v}"),
    "US_SSN": ("SSN {v} on file.", "ssn: {v}", "verify social {v}"),
    "CREDIT_CARD": ("Card {v} declined.", "charged to {v}", "cc {v}"),
    "IBAN_CODE": ("Refund to {v}.", "IBAN {v}", "pay out to account {v}"),
    "IP_ADDRESS": ("login from {v}", "blocked {v}", "src={v}"),
    "STREET_ADDRESS": ("Deliver to {v}.", "ship to {v}", "new address: {v}"),
    "URL": ("see {v}", "link: {v}", "screenshot at {v}"),
}


def _entity_value(entity: str, c: _Ctx) -> str:
    if entity == "PERSON":
        return str(c.f.name())
    if entity == "EMAIL_ADDRESS":
        return str(c.f.email())
    if entity == "PHONE_NUMBER":
        return _phone(c.f, c.r, c.r.randint(0, 8))
    if entity == "US_SSN":
        return _ssn(c.r, "-")
    if entity == "CREDIT_CARD":
        return _group_card(_card(c.r), c.r.choice(["", " ", "-"]))
    if entity == "IBAN_CODE":
        return _iban(c.f, c.gb, spaced=c.r.random() < 0.5)
    if entity == "IP_ADDRESS":
        return _ip_mixed(c)
    if entity == "STREET_ADDRESS":
        return str(c.f.street_address())
    if entity == "URL":
        return _url(c)
    raise ValueError(entity)


def _base_text(c: _Ctx) -> str:
    template = c.r.choice(_TICKET_BASE)
    return template.format(
        n=c.r.randint(2, 30),
        order=c.r.randint(100_000, 9_999_999),
        city=c.f.city(),
        amount=round(c.r.uniform(5, 500), 2),
        product=_product(c.r),
    )


def _make_text(spec: TextSpec, c: _Ctx, rows: int) -> tuple[list[CellValue], frozenset[str]]:
    values: list[CellValue] = []
    counts = dict.fromkeys((e for e, _ in spec.embed), 0)
    non_null = 0
    for _ in range(rows):
        if c.r.random() < spec.null_rate:
            values.append(None)
            continue
        non_null += 1
        parts = [_base_text(c)]
        for entity, share in spec.embed:
            if c.r.random() < share:
                counts[entity] += 1
                templates = dict(spec.snippets).get(entity, _SNIPPETS[entity])
                snippet = c.r.choice(templates).format(v=_entity_value(entity, c))
                parts.insert(c.r.randint(0, len(parts)), snippet)
        values.append(" ".join(parts))
    labels = frozenset(
        e for e, n in counts.items() if non_null and n / non_null >= FREE_TEXT_MIN_SHARE
    )
    return values, labels


def _make_sparse(spec: SparseSpec, c: _Ctx, rows: int) -> list[CellValue]:
    values = _nulls([spec.base(c) for _ in range(rows)], spec.null_rate, c.r)
    k = max(1, round(spec.share * rows))
    for i in c.r.sample(range(rows), k):
        values[i] = spec.pii(c)
    return values


def _make_column(spec: AnySpec, c: _Ctx, rows: int, name: str) -> LabelledColumn:
    if isinstance(spec, TextSpec):
        values, labels = _make_text(spec, c, rows)
        return LabelledColumn(name, "string", tuple(values), labels, "free_text", spec.key)
    if isinstance(spec, SparseSpec):
        values = _make_sparse(spec, c, rows)
        return LabelledColumn(
            name, spec.data_type, tuple(values), frozenset({spec.entity}), "sparse", spec.key
        )
    values = _nulls([spec.make(c) for _ in range(rows)], spec.null_rate, c.r)
    return LabelledColumn(name, spec.data_type, tuple(values), spec.entities, spec.kind, spec.key)


def _synthetic_tables(split: str, seed: int, rows: int) -> Iterator[LabelledTable]:
    fakers = _Fakers()
    for rep in range(2):
        for template, keys in _TEMPLATES:
            if rep and template not in _SECOND_PASS:
                continue
            table_seed = _column_seed(split, seed, template, rep)
            tr = random.Random(table_seed)
            locale = tr.choice(_LOCALES[split])
            opaque_table = template.endswith("_opaque")
            used: set[str] = set()
            columns: list[LabelledColumn] = []
            for c_index, key in enumerate(keys):
                spec = SPECS[key]
                names = _split_names(spec.names, split)
                name = tr.choice(names)
                is_pii = isinstance(spec, TextSpec | SparseSpec) or (
                    isinstance(spec, Spec) and spec.kind == "dense"
                )
                if opaque_table or (is_pii and tr.random() < _OPAQUE_SHARE):
                    name = _opaque_name(split, tr)
                base, n = name, 2
                while name in used:
                    name = f"{base}_{n}"
                    n += 1
                used.add(name)
                col_seed = _column_seed(split, seed, template, rep, c_index, key)
                ctx = _Ctx(
                    f=fakers.get(locale, col_seed),
                    us=fakers.get("en_US", col_seed + 1),
                    gb=fakers.get("en_GB", col_seed + 2),
                    r=random.Random(col_seed),
                    locale=locale,
                )
                columns.append(_make_column(spec, ctx, rows, name))
            name = f"{template}_{rep + 1}"
            path = f"s3://bench-{split}/{template}/part-{rep:03d}-{locale}.parquet"
            yield LabelledTable(name, path, f"synthetic:{locale}", tuple(columns))


# --------------------------------------------------------------------------------------------
# Real non-PII tables from plotly's package data

#: (file, split, {column: (data_type, entities)}); every listed column is used. Labels are by
#: hand: none of these columns holds an entity of our vocabulary. ``tips.sex`` and
#: ``experiment.gender`` are sensitive in a wider sense but not in the vocabulary: empty.
#: ``election.winner`` holds the surnames of three public candidates, a 3-value enum: empty
#: (a category, not a column of people's names), and ``election`` columns ``Coderre``,
#: ``Bergeron``, ``Joly`` (candidate names as headers) hold vote counts: empty.
_PLOTLY: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("iris", "dev", {"sepal_length": "double", "sepal_width": "double",
                     "petal_length": "double", "petal_width": "double", "species": "string",
                     "species_id": "int64"}),
    ("tips", "dev", {"total_bill": "double", "tip": "double", "sex": "string",
                     "smoker": "string", "day": "string", "time": "string", "size": "int64"}),
    ("wind", "dev", {"direction": "string", "strength": "string", "frequency": "double"}),
    ("carshare", "dev", {"centroid_lat": "double", "centroid_lon": "double",
                         "car_hours": "double", "peak_hour": "int64"}),
    ("medals", "dev", {"nation": "string", "gold": "int64", "silver": "int64",
                       "bronze": "int64"}),
    ("gapminder", "test", {"country": "string", "continent": "string", "year": "int64",
                           "lifeExp": "double", "pop": "int64", "gdpPercap": "double",
                           "iso_alpha": "string", "iso_num": "int64", "centroid_lon": "double",
                           "centroid_lat": "double"}),
    ("election", "test", {"district": "string", "Coderre": "int64", "Bergeron": "int64",
                          "Joly": "int64", "total": "int64", "winner": "string",
                          "result": "string", "district_id": "int64"}),
    ("stocks", "test", {"date": "date", "GOOG": "double", "AAPL": "double", "AMZN": "double",
                        "FB": "double", "NFLX": "double", "MSFT": "double"}),
    ("experiment", "test", {"experiment_1": "double", "experiment_2": "double",
                            "experiment_3": "double", "gender": "string", "group": "string"}),
)  # fmt: skip


def plotly_datasets_dir() -> Path | None:
    """The folder of plotly's bundled CSV datasets, or ``None`` when plotly is not installed."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "datasets"
    return folder if folder.is_dir() else None


def _convert(raw: str, data_type: str) -> CellValue:
    if raw == "":
        return None
    if data_type == "int64":
        return int(float(raw))
    if data_type == "double":
        return float(raw)
    if data_type == "date":
        return date.fromisoformat(raw[:10])
    return raw


def _plotly_tables(split: str, seed: int, rows: int) -> Iterator[LabelledTable]:
    folder = plotly_datasets_dir()
    if folder is None:
        return
    for name, table_split, types in _PLOTLY:
        if table_split != split:
            continue
        path = folder / f"{name}.csv.gz"
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            records = list(csv.DictReader(io.StringIO(fh.read())))
        if len(records) > rows:
            r = random.Random(_column_seed(split, seed, "plotly", name))
            records = [records[i] for i in sorted(r.sample(range(len(records)), rows))]
        columns = tuple(
            LabelledColumn(
                col,
                data_type,
                tuple(_convert(rec[col], data_type) for rec in records),
                frozenset(),
                "real",
                f"plotly:{name}.{col}",
            )
            for col, data_type in types.items()
        )
        yield LabelledTable(
            name, f"s3://bench-{split}/plotly/{name}.csv", f"plotly:{name}", columns
        )


# --------------------------------------------------------------------------------------------
# Public entry points


def iter_tables(
    split: str, seed: int | None = None, rows: int = DEFAULT_ROWS, *, real: bool = True
) -> Iterator[LabelledTable]:
    """Yield the labelled tables of ``split`` (``dev`` or ``test``), reproducibly from ``seed``.

    ``seed`` defaults to the split's own (:data:`DEFAULT_SEEDS`). ``rows`` is the rows per
    synthetic table (real tables have at most that many). ``real=False`` leaves out the plotly
    tables. Side effect: reads plotly's bundled files when plotly is installed.

    :raises ValueError: unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    if seed is None:
        seed = DEFAULT_SEEDS[split]
    yield from _synthetic_tables(split, seed, rows)
    if real:
        yield from _plotly_tables(split, seed, rows)


@dataclass
class CorpusStats:
    """Counts describing a corpus: columns, PII share, per kind, per entity, per source."""

    tables: int = 0
    columns: int = 0
    pii_columns: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_entity: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def non_pii_share(self) -> float:
        """Share of columns with no true entity."""
        return 1 - self.pii_columns / self.columns if self.columns else 0.0


def corpus_stats(tables: Sequence[LabelledTable]) -> CorpusStats:
    """Count tables, columns, PII columns and columns per kind, entity and source."""
    stats = CorpusStats()
    for table in tables:
        stats.tables += 1
        source = table.source.split(":")[0]
        for col in table.columns:
            stats.columns += 1
            stats.pii_columns += bool(col.entities)
            stats.by_kind[col.kind] = stats.by_kind.get(col.kind, 0) + 1
            stats.by_source[source] = stats.by_source.get(source, 0) + 1
            for entity in col.entities:
                stats.by_entity[entity] = stats.by_entity.get(entity, 0) + 1
    return stats


def main(argv: list[str] | None = None) -> int:
    """Print the composition of both splits (counts only, never values)."""
    import argparse

    parser = argparse.ArgumentParser(description="Describe the benchmark corpus.")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    args = parser.parse_args(argv)
    for split in SPLITS:
        tables = list(iter_tables(split, rows=args.rows))
        s = corpus_stats(tables)
        print(
            f"{split}: {s.tables} tables, {s.columns} columns, {s.pii_columns} PII, "
            f"{s.non_pii_share:.0%} non-PII; digest {values_digest(tables)[:12]}"
        )
        print("  kinds:   " + ", ".join(f"{k}={v}" for k, v in sorted(s.by_kind.items())))
        print("  sources: " + ", ".join(f"{k}={v}" for k, v in sorted(s.by_source.items())))
        print("  entities: " + ", ".join(f"{k}={v}" for k, v in sorted(s.by_entity.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
