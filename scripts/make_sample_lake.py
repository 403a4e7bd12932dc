#!/usr/bin/env python3
"""Generate the bundled sample lake (``examples/lake/``) and its ground truth.

Every value is fake: names, addresses, SSNs, card numbers and IBANs come from Faker with a
fixed seed per file, e-mail addresses use the reserved ``example.*`` domains, and no date
depends on the clock. Running the script twice with the same pyarrow and Faker versions gives
the same files (Parquet byte for byte; gzip, bz2 and zstd with no timestamps in their headers).

Besides the lake it writes, *outside* the lake so that a scan of the lake does not pick them
up (default: the lake's parent folder, ``--meta-dir`` to change):

* ``expected.json``: ``{relative_path: {column: [entities]}}`` for every data file, using the
  label vocabulary of :mod:`models.labels` (a file without PII maps to ``{}``);
* ``MANIFEST.md``: the same ground truth for people, with each file's format and notes.

Inside the lake, ``README.txt`` and ``landing/logo.png`` are deliberately non-data files (a
scan lists and skips them) and ``landing/broken.parquet`` is a truncated Parquet file (a scan
reports an error for it and goes on). None of the three is in ``expected.json``.

Usage::

    python scripts/make_sample_lake.py                # writes examples/lake + examples/*.md/json
    python scripts/make_sample_lake.py --out /tmp/lake
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import random
import shutil
import struct
import sys
import time
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from faker import Faker

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "examples" / "lake"

NON_DATA_FILES: tuple[str, ...] = ("README.txt", "landing/logo.png")
"""Files in the lake that are not data: a scan skips them."""
BROKEN_FILES: tuple[str, ...] = ("landing/broken.parquet",)
"""Files in the lake that look like data but cannot be read: a scan reports an error."""

# The label vocabulary (models.labels.PII_ENTITIES), spelled out so that the script runs
# without the package installed.
PERSON = "PERSON"
EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
SSN = "US_SSN"
CARD = "CREDIT_CARD"
IBAN = "IBAN_CODE"
IP = "IP_ADDRESS"
ADDRESS = "STREET_ADDRESS"
DOB = "DATE_OF_BIRTH"
DRIVER_LICENSE = "US_DRIVER_LICENSE"
PASSPORT = "US_PASSPORT"
NRIC = "SG_NRIC_FIN"
URL = "URL"

SAFE_DOMAINS = ("example.com", "example.org", "example.net")

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.104 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "curl/8.5.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "python-requests/2.32.3",
)


# --------------------------------------------------------------------------- helpers


@dataclass
class DataFile:
    """One generated file and its ground truth."""

    path: str
    fmt: str
    rows: int
    pii: dict[str, list[str]]
    notes: str = ""
    columns: list[str] = field(default_factory=list)


def _faker(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


def _instant(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A UTC instant in ``[start, end)`` at millisecond precision (no clock, no local TZ)."""
    span_ms = int((end - start).total_seconds() * 1000)
    return start + timedelta(milliseconds=rng.randrange(span_ms))


def _day(rng: random.Random, start: date, end: date) -> date:
    """A day in ``[start, end]``."""
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters only (for e-mail local parts): ``Müller-Lüdenscheidt`` ->
    ``muellerluedenscheidt``."""
    text = text.lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("œ", "oe")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if "a" <= ch <= "z")


def _email(rng: random.Random, first: str, last: str) -> str:
    first_s, last_s = _ascii_slug(first), _ascii_slug(last)
    style = rng.randrange(4)
    if style == 0:
        local = f"{first_s}.{last_s}"
    elif style == 1:
        local = f"{first_s[:1]}{last_s}"
    elif style == 2:
        local = f"{first_s}{last_s[:1]}{rng.randint(1, 99)}"
    else:
        local = f"{last_s}.{first_s}{rng.randint(1950, 2005)}"
    return f"{local}@{rng.choice(SAFE_DOMAINS)}"


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _nric(rng: random.Random) -> str:
    """A checksum-valid (fake) Singapore NRIC/FIN."""
    prefix = rng.choice("STFG")
    digits = [rng.randint(0, 9) for _ in range(7)]
    total = sum(w * d for w, d in zip((2, 7, 6, 5, 4, 3, 2), digits, strict=True))
    if prefix in "TG":
        total += 4
    table = "JZIHGFEDCBA" if prefix in "ST" else "XWUTRQPNMLK"
    return prefix + "".join(map(str, digits)) + table[total % 11]


def _driver_license(rng: random.Random) -> tuple[str, str]:
    """A (state, number) pair in the state's usual format."""
    state = rng.choice(("CA", "NY", "TX", "FL", "IL", "PA", "WA"))
    letter = chr(ord("A") + rng.randrange(26))

    def digits(n: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(n))

    number = {
        "CA": lambda: letter + digits(7),
        "NY": lambda: digits(9),
        "TX": lambda: digits(8),
        "FL": lambda: letter + digits(12),
        "IL": lambda: letter + digits(11),
        "PA": lambda: digits(8),
        "WA": lambda: (
            "WDL" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(9))
        ),
    }[state]()
    return state, number


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    cents = rng.randint(int(low * 100), int(high * 100))
    return Decimal(cents).scaleb(-2)


def _csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    lineterminator: str = "\n",
    encoding: str = "utf-8",
) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def _jsonl_bytes(records: Iterable[dict[str, object]]) -> bytes:
    lines = [json.dumps(rec, ensure_ascii=False, separators=(",", ":")) for rec in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _zstd(data: bytes) -> bytes:
    # A single frame with the content size and a content checksum (xxhash of the data, not
    # of the time): deterministic for a given input and level.
    return zstandard.ZstdCompressor(level=19, write_checksum=True).compress(data)


def _bz2(data: bytes) -> bytes:
    return bz2.compress(data, compresslevel=9)


def _write(out: Path, rel: str, data: bytes) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _write_parquet(
    out: Path, rel: str, table: pa.Table, *, compression: str, row_group_size: int
) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression=compression,
        row_group_size=row_group_size,
        use_dictionary=True,
        write_statistics=True,
    )


UTC_TS = pa.timestamp("ms", tz="UTC")


# --------------------------------------------------------------------------- the files


def _customers(out: Path, part: int, seed: int, n: int, first_id: int) -> DataFile:
    fake = _faker("en_US", seed)
    rng = random.Random(seed)
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "customer_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "street_address",
            "city",
            "state",
            "postal_code",
            "country",
            "signup_ts",
        )
    }
    for i in range(n):
        first, last = fake.first_name(), fake.last_name()
        cols["customer_id"].append(first_id + i)
        cols["first_name"].append(first)
        cols["last_name"].append(last)
        cols["email"].append(_email(rng, first, last))
        cols["phone"].append(fake.phone_number())
        cols["date_of_birth"].append(_day(rng, date(1940, 1, 1), date(2006, 12, 31)))
        cols["street_address"].append(fake.street_address())
        cols["city"].append(fake.city())
        cols["state"].append(fake.state_abbr())
        cols["postal_code"].append(fake.postcode())
        cols["country"].append("US")
        cols["signup_ts"].append(
            _instant(rng, datetime(2019, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
        )
    schema = pa.schema(
        [
            ("customer_id", pa.int64()),
            ("first_name", pa.string()),
            ("last_name", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("date_of_birth", pa.date32()),
            ("street_address", pa.string()),
            ("city", pa.string()),
            ("state", pa.string()),
            ("postal_code", pa.string()),
            ("country", pa.string()),
            ("signup_ts", UTC_TS),
        ]
    )
    rel = f"crm/customers/part-{part:04d}.parquet"
    _write_parquet(
        out, rel, pa.table(cols, schema=schema), compression="snappy", row_group_size=250
    )
    return DataFile(
        rel,
        "Parquet (snappy, 250-row groups)",
        n,
        {
            "first_name": [PERSON],
            "last_name": [PERSON],
            "email": [EMAIL],
            "phone": [PHONE],
            "date_of_birth": [DOB],
            "street_address": [ADDRESS],
        },
        "US customers; city/state/postal_code/country are location data outside the vocabulary.",
        list(cols),
    )


def _cp1252(text: str) -> str:
    """``text`` if CP1252 can encode it, else its accent-stripped form."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
        text = text.encode("cp1252", errors="replace").decode("cp1252")
    return text


def _customers_eu(out: Path) -> DataFile:
    de, fr = _faker("de_DE", 2001), _faker("fr_FR", 2002)
    rng = random.Random(2003)
    header = [
        "kunden_nr",
        "vorname",
        "nachname",
        "courriel",
        "telefono",
        "geburtsdatum",
        "adresse",
        "code_postal",
        "ville",
        "pays",
        "iban",
        "umsatz_eur",
        "kunde_seit",
    ]
    rows = []
    n = 400
    for i in range(n):
        fake, country = (de, "DE") if rng.random() < 0.55 else (fr, "FR")
        first, last = _cp1252(fake.first_name()), _cp1252(fake.last_name())
        born = _day(rng, date(1940, 1, 1), date(2006, 12, 31))
        since = _day(rng, date(2012, 1, 1), date(2024, 12, 31))
        amount = _money(rng, 0, 25_000)
        rows.append(
            [
                f"EU-{700000 + i}",
                first,
                last,
                _email(rng, first, last),
                _cp1252(fake.phone_number()),
                born.strftime("%d.%m.%Y"),
                _cp1252(fake.street_address()),
                fake.postcode(),
                _cp1252(fake.city()),
                country,
                fake.iban(),
                f"{amount:.2f}".replace(".", ","),
                since.strftime("%d.%m.%Y"),
            ]
        )
    rel = "crm/customers_eu.csv"
    _write(
        out,
        rel,
        _csv_bytes(header, rows, delimiter=";", lineterminator="\r\n", encoding="cp1252"),
    )
    return DataFile(
        rel,
        "CSV, `;`-delimited, CP1252, CRLF, decimal comma (umsatz_eur), dd.mm.yyyy dates",
        n,
        {
            "vorname": [PERSON],
            "nachname": [PERSON],
            "courriel": [EMAIL],
            "telefono": [PHONE],
            "geburtsdatum": [DOB],
            "adresse": [ADDRESS],
            "iban": [IBAN],
        },
        "German and French customers (Faker de_DE/fr_FR), mixed-language column names.",
        header,
    )


def _transactions(out: Path, day: date, seed: int, n: int) -> DataFile:
    us = _faker("en_US", seed)
    iban_fakers = [_faker(loc, seed + k) for k, loc in enumerate(("de_DE", "fr_FR", "nl_NL"), 1)]
    rng = random.Random(seed)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    stamps = sorted(_instant(rng, start, start + timedelta(days=1)) for _ in range(n))
    merchants = [us.company() for _ in range(40)]
    brands = (
        ("visa16", "VISA"),
        ("mastercard", "MASTERCARD"),
        ("amex", "AMEX"),
        ("discover", "DISCOVER"),
    )
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "txn_id",
            "ts",
            "customer_id",
            "amount",
            "currency",
            "method",
            "card_brand",
            "card_number",
            "iban",
            "merchant",
            "status",
        )
    }
    for ts in stamps:
        cols["txn_id"].append(f"txn_{rng.getrandbits(64):016x}")
        cols["ts"].append(ts)
        cols["customer_id"].append(rng.randint(100000, 100999))
        cols["amount"].append(_money(rng, 1, 2_500))
        if rng.random() < 0.7:
            kind, brand = rng.choice(brands)
            number = us.credit_card_number(kind)
            if not _luhn_ok(number):
                raise AssertionError(f"Faker produced a non-Luhn card number {number}")
            cols["method"].append("card")
            cols["card_brand"].append(brand)
            cols["card_number"].append(number)
            cols["iban"].append(None)
            cols["currency"].append(rng.choice(("USD", "USD", "USD", "GBP", "EUR")))
        else:
            cols["method"].append("sepa_debit")
            cols["card_brand"].append(None)
            cols["card_number"].append(None)
            cols["iban"].append(rng.choice(iban_fakers).iban())
            cols["currency"].append("EUR")
        cols["merchant"].append(rng.choice(merchants))
        cols["status"].append(rng.choices(("settled", "pending", "declined"), (90, 7, 3))[0])
    schema = pa.schema(
        [
            ("txn_id", pa.string()),
            ("ts", UTC_TS),
            ("customer_id", pa.int64()),
            ("amount", pa.decimal128(12, 2)),
            ("currency", pa.string()),
            ("method", pa.string()),
            ("card_brand", pa.string()),
            ("card_number", pa.string()),
            ("iban", pa.string()),
            ("merchant", pa.string()),
            ("status", pa.string()),
        ]
    )
    rel = f"payments/transactions/dt={day.isoformat()}/part-0.parquet"
    _write_parquet(out, rel, pa.table(cols, schema=schema), compression="zstd", row_group_size=200)
    return DataFile(
        rel,
        "Parquet (zstd, 200-row groups), Hive partition `dt=`",
        n,
        {"card_number": [CARD], "iban": [IBAN]},
        "~70% card payments (Luhn-valid Faker numbers), ~30% SEPA debits (DE/FR/NL IBANs); "
        "the other column is null.",
        list(cols),
    )


DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "People", "Support", "Legal")


def _employees(out: Path) -> DataFile:
    fake = _faker("en_US", 3001)
    rng = random.Random(3001)
    header = ["employee_id", "name", "ssn", "salary", "department", "title", "hire_date"]
    n = 300
    rows = [
        [
            f"E{10000 + i}",
            fake.name(),
            fake.ssn(),
            rng.randrange(42_000, 240_000, 500),
            rng.choice(DEPARTMENTS),
            fake.job(),
            _day(rng, date(2005, 1, 1), date(2024, 12, 31)).isoformat(),
        ]
        for i in range(n)
    ]
    rel = "hr/employees.csv"
    _write(out, rel, _csv_bytes(header, rows))
    return DataFile(
        rel,
        "CSV, UTF-8, comma, quoted where needed",
        n,
        {"name": [PERSON], "ssn": [SSN]},
        "hire_date is a date but not a date of birth (a negative example).",
        header,
    )


def _access_logs(out: Path) -> DataFile:
    fake = _faker("en_US", 4001)
    rng = random.Random(4001)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    n = 1000
    stamps = sorted(_instant(rng, start, start + timedelta(days=1)) for _ in range(n))
    paths = ("/", "/products", "/products/{sku}", "/cart", "/checkout", "/account", "/search")
    records = []
    for ts in stamps:
        path = rng.choice(paths).replace("{sku}", f"SKU-{rng.randint(10000, 10299)}")
        if path == "/search":
            path += f"?q={fake.word()}"
        records.append(
            {
                "ts": _iso(ts),
                "client_ip": fake.ipv6() if rng.random() < 0.2 else fake.ipv4_public(),
                "method": rng.choices(("GET", "POST", "HEAD"), (85, 12, 3))[0],
                "url": f"https://shop.example.com{path}",
                "status": rng.choices((200, 301, 304, 404, 500), (80, 5, 8, 6, 1))[0],
                "bytes": rng.randint(200, 250_000),
                "referrer": fake.uri() if rng.random() < 0.6 else None,
                "user_agent": rng.choice(USER_AGENTS),
                "request_id": f"{rng.getrandbits(96):024x}",
            }
        )
    rel = "web/access_logs.jsonl.gz"
    _write(out, rel, _gzip(_jsonl_bytes(records)))
    return DataFile(
        rel,
        "JSON Lines, gzip (mtime 0)",
        n,
        {"client_ip": [IP], "url": [URL], "referrer": [URL]},
        "~20% IPv6 clients; referrer is null for ~40% of requests.",
        list(records[0]),
    )


def _sessions(out: Path) -> DataFile:
    fake = _faker("en_US", 5001)
    rng = random.Random(5001)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    n = 400
    records = []
    for _ in range(n):
        began = _instant(rng, start, start + timedelta(days=2))
        anonymous = rng.random() < 0.25
        records.append(
            {
                "session_id": fake.uuid4(),
                "user_id": None if anonymous else rng.randint(100000, 100999),
                "user_email": None
                if anonymous
                else _email(rng, fake.first_name(), fake.last_name()),
                "started_at": _iso(began),
                "ended_at": _iso(began + timedelta(seconds=rng.randint(5, 3600))),
                "pages_viewed": rng.randint(1, 40),
                "device": rng.choice(("desktop", "mobile", "tablet")),
                "landing_url": f"https://shop.example.com/{rng.choice(('', 'products', 'sale'))}"
                f"?utm_source={rng.choice(('newsletter', 'google', 'partner'))}",
            }
        )
    rel = "web/sessions.jsonl"
    _write(out, rel, _jsonl_bytes(records))
    return DataFile(
        rel,
        "JSON Lines, UTF-8, uncompressed",
        n,
        {"user_email": [EMAIL], "landing_url": [URL]},
        "user_id/user_email are null for ~25% (anonymous sessions).",
        list(records[0]),
    )


CATEGORIES = {
    "Furniture": ("Chair", "Desk", "Shelf", "Stool", "Cabinet"),
    "Kitchen": ("Kettle", "Pan", "Knife Set", "Mug", "Toaster"),
    "Outdoor": ("Tent", "Lantern", "Backpack", "Hammock", "Cooler"),
    "Electronics": ("Headphones", "Charger", "Speaker", "Keyboard", "Webcam"),
    "Garden": ("Hose", "Planter", "Trowel", "Sprinkler", "Rake"),
}
ADJECTIVES = ("Compact", "Deluxe", "Classic", "Ergonomic", "Foldable", "Heavy-Duty", "Slim")
MATERIALS = ("Oak", "Steel", "Bamboo", "Aluminium", "Ceramic", "Recycled", "Cotton")


def _catalog(out: Path) -> DataFile:
    rng = random.Random(6001)
    n = 300
    cols: dict[str, list[object]] = {
        k: [] for k in ("sku", "name", "category", "price", "weight_kg", "in_stock", "launched")
    }
    for i in range(n):
        category = rng.choice(sorted(CATEGORIES))
        cols["sku"].append(f"SKU-{10000 + i}")
        cols["name"].append(
            f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(CATEGORIES[category])}"
        )
        cols["category"].append(category)
        cols["price"].append(_money(rng, 2, 1_500))
        cols["weight_kg"].append(round(rng.uniform(0.05, 40.0), 3))
        cols["in_stock"].append(rng.random() < 0.85)
        cols["launched"].append(_day(rng, date(2015, 1, 1), date(2024, 12, 31)))
    schema = pa.schema(
        [
            ("sku", pa.string()),
            ("name", pa.string()),
            ("category", pa.string()),
            ("price", pa.decimal128(10, 2)),
            ("weight_kg", pa.float64()),
            ("in_stock", pa.bool_()),
            ("launched", pa.date32()),
        ]
    )
    rel = "products/catalog.parquet"
    _write_parquet(
        out, rel, pa.table(cols, schema=schema), compression="snappy", row_group_size=1000
    )
    return DataFile(rel, "Parquet (snappy, one row group)", n, {}, "No PII.", list(cols))


def _inventory(out: Path) -> DataFile:
    rng = random.Random(7001)
    header = [
        "warehouse",
        "sku",
        "bin",
        "qty_on_hand",
        "qty_reserved",
        "reorder_point",
        "last_counted",
    ]
    n = 500
    rows = []
    for _ in range(n):
        on_hand = rng.randint(0, 900)
        rows.append(
            [
                rng.choice(("WH-NJ1", "WH-TX2", "WH-NV1", "WH-RTM")),
                f"SKU-{rng.randint(10000, 10299)}",
                f"{rng.choice('ABCDEF')}-{rng.randint(1, 30):02d}-{rng.randint(1, 12):02d}",
                on_hand,
                rng.randint(0, on_hand),
                rng.choice((10, 25, 50, 100)),
                _day(rng, date(2024, 10, 1), date(2024, 12, 31)).isoformat(),
            ]
        )
    rel = "ops/inventory.tsv"
    _write(out, rel, _csv_bytes(header, rows, delimiter="\t"))
    return DataFile(rel, "TSV, UTF-8", n, {}, "No PII.", header)


ACCOUNTS = (
    ("1000", "Cash"),
    ("1200", "Accounts receivable"),
    ("1400", "Inventory"),
    ("2000", "Accounts payable"),
    ("2100", "Accrued liabilities"),
    ("4000", "Product revenue"),
    ("4100", "Shipping revenue"),
    ("5000", "Cost of goods sold"),
    ("6100", "Salaries"),
    ("6200", "Rent"),
    ("6300", "Software subscriptions"),
    ("6400", "Travel"),
)
MEMOS = (
    "Monthly accrual",
    "Accrual reversal",
    "Vendor invoice",
    "Payroll run",
    "Card settlement batch",
    "Inventory adjustment",
    "FX revaluation",
    "Depreciation",
)


def _ledger(out: Path) -> DataFile:
    rng = random.Random(8001)
    header = [
        "journal_id",
        "line_no",
        "posting_date",
        "account_code",
        "account_name",
        "cost_center",
        "debit",
        "credit",
        "currency",
        "memo",
    ]
    rows = []
    journal = 0
    while len(rows) < 1000:
        journal += 1
        posted = _day(rng, date(2024, 1, 1), date(2024, 12, 31)).isoformat()
        memo = rng.choice(MEMOS)
        amount = _money(rng, 10, 90_000)
        debit_acct, credit_acct = rng.sample(ACCOUNTS, 2)
        cost_center = f"CC-{rng.choice((100, 120, 200, 310, 400))}"
        for line_no, (acct, debit, credit) in enumerate(
            ((debit_acct, amount, Decimal("0.00")), (credit_acct, Decimal("0.00"), amount)), 1
        ):
            rows.append(
                [
                    f"JE-2024-{journal:05d}",
                    line_no,
                    posted,
                    acct[0],
                    acct[1],
                    cost_center,
                    f"{debit:.2f}",
                    f"{credit:.2f}",
                    "USD",
                    memo,
                ]
            )
    rel = "finance/ledger.csv.zst"
    _write(out, rel, _zstd(_csv_bytes(header, rows)))
    return DataFile(rel, "CSV, zstd (level 19, one frame)", len(rows), {}, "No PII.", header)


AGENTS = ("Maria Lopez", "Tom Becker", "Priya Natarajan", "Kevin O'Brien", "Aiko Tanaka")
# (subject, body template): names in 4 of 7, e-mails in 3 of 7, phone numbers in 2 of 7.
TICKET_TEMPLATES = (
    (
        "Cannot log in",
        "Hi, this is {name}. I cannot log in since yesterday, please reset my password. "
        "You can reach me at {email}.",
    ),
    (
        "Callback requested",
        "Customer {name} called about order #{order}. Callback number {phone}, prefers mornings.",
    ),
    (
        "Damaged item",
        "Order #{order} arrived damaged (box crushed, two mugs broken). Please send a replacement.",
    ),
    (
        "Invoice question",
        "Forwarded from {email}: the invoice total for order #{order} looks wrong, "
        "shipping was charged twice.",
    ),
    (
        "Export not working",
        "{name} reports that the CSV export button does nothing in Firefox. "
        "Steps: Account > Orders > Export.",
    ),
    (
        "Cancel subscription",
        "Please cancel my subscription. Regards, {name} ({email}, {phone})",
    ),
    (
        "Change delivery address",
        "Delivery address needs to change before dispatch; the new address was sent by chat.",
    ),
)


def _tickets(out: Path) -> DataFile:
    fake = _faker("en_US", 9001)
    rng = random.Random(9001)
    header = [
        "ticket_id",
        "created_at",
        "channel",
        "priority",
        "status",
        "assignee",
        "subject",
        "body",
    ]
    start = datetime(2024, 11, 1, tzinfo=UTC)
    n = 300
    rows = []
    for i in range(n):
        subject, template = rng.choice(TICKET_TEMPLATES)
        body = template.format(
            name=fake.name(),
            email=_email(rng, fake.first_name(), fake.last_name()),
            phone=fake.phone_number(),
            order=rng.randint(500000, 599999),
        )
        rows.append(
            [
                f"T-{20000 + i}",
                _iso(_instant(rng, start, start + timedelta(days=61))),
                rng.choice(("email", "chat", "phone", "web")),
                rng.choices(("low", "medium", "high", "urgent"), (40, 35, 20, 5))[0],
                rng.choice(("open", "pending", "solved", "closed")),
                rng.choice(AGENTS),
                subject,
                body,
            ]
        )
    rel = "support/tickets.csv"
    _write(out, rel, _csv_bytes(header, rows))
    return DataFile(
        rel,
        "CSV, UTF-8, comma; free-text body quoted (contains commas)",
        n,
        {"assignee": [PERSON], "body": [PERSON, EMAIL, PHONE]},
        "body mixes names (~4/7 of rows), e-mails (~3/7) and phone numbers (~2/7) into "
        "free text; the rest have none.",
        header,
    )


def _passports(out: Path) -> DataFile:
    fake = _faker("en_US", 10001)
    rng = random.Random(10001)
    header = [
        "record_id",
        "full_name",
        "date_of_birth",
        "nationality",
        "passport_number",
        "passport_expiry",
        "drivers_license",
        "license_state",
        "sg_nric_fin",
        "verified_at",
    ]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    n = 300
    rows = []
    for i in range(n):
        state, licence = _driver_license(rng)
        rows.append(
            [
                f"KYC-{30000 + i}",
                fake.name(),
                _day(rng, date(1945, 1, 1), date(2006, 12, 31)).isoformat(),
                rng.choice(("US", "US", "US", "SG")),
                fake.passport_number(),
                _day(rng, date(2025, 6, 1), date(2034, 12, 31)).isoformat(),
                licence,
                state,
                _nric(rng),
                _iso(_instant(rng, start, start + timedelta(days=365))),
            ]
        )
    rel = "identity/passports.csv.bz2"
    _write(out, rel, _bz2(_csv_bytes(header, rows)))
    return DataFile(
        rel,
        "CSV, bzip2",
        n,
        {
            "full_name": [PERSON],
            "date_of_birth": [DOB],
            "passport_number": [PASSPORT],
            "drivers_license": [DRIVER_LICENSE],
            "sg_nric_fin": [NRIC],
        },
        "KYC records: US passport numbers, state-format driver licences, checksum-valid "
        "SG NRIC/FIN numbers; passport_expiry is a date but not a date of birth.",
        header,
    )


def _broken(out: Path) -> None:
    """A Parquet file cut in half: the magic bytes are there, the footer is not."""
    rng = random.Random(11001)
    table = pa.table({"id": list(range(200)), "value": [rng.random() for _ in range(200)]})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none")
    data = buf.getvalue()
    _write(out, BROKEN_FILES[0], data[: len(data) // 2])


def _png(width: int, height: int) -> bytes:
    """A small deterministic RGB PNG: a gradient in a dark frame."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: none
        for x in range(width):
            border = x in (0, width - 1) or y in (0, height - 1)
            raw += bytes((20, 20, 20)) if border else bytes((40 + 5 * x, 120 + 3 * y, 200))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


README_TXT = """\
s3-enricher sample lake
=======================

Small, entirely fake data files in the layouts a real lake has: Hive-partitioned Parquet,
CSV in several dialects and encodings, JSON Lines, and gzip/bzip2/zstd-compressed text.
Generated by scripts/make_sample_lake.py (Faker with fixed seeds); do not edit by hand.

This README and landing/logo.png are not data files: a scan lists them and skips them.
landing/broken.parquet is a truncated Parquet file: a scan reports an error and goes on.

The ground truth (which column holds which kind of PII) is in ../MANIFEST.md and
../expected.json, kept outside the lake so that a scan does not pick them up.

Load it into MinIO (docker compose up) with:
    mc mirror examples/lake local/lake
"""


# --------------------------------------------------------------------------- manifest


def _manifest(files: list[DataFile]) -> str:
    lines = [
        "# Sample lake: manifest and ground truth",
        "",
        "Generated by `scripts/make_sample_lake.py`; do not edit by hand. The lake is "
        "`examples/lake/`; this file and `expected.json` sit beside it, outside the lake, so "
        "that a scan of the lake does not treat them as objects.",
        "",
        "Every value is fake (Faker, fixed seeds; e-mail addresses on `example.*` domains; "
        "card numbers are Luhn-valid but random; NRICs have valid checksums). The entity "
        "labels follow `models/labels.py`. A column is listed when the kind of value is "
        "there by construction, whether or not a given detector finds it (a lone first name "
        "is hard for NER).",
        "",
        "`expected.json` holds the same ground truth as "
        "`{relative_path: {column: [entities]}}`; a data file without PII maps to `{}`.",
        "",
        "## Data files",
        "",
        "| file | format | rows | PII columns → entities | notes |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for f in files:
        pii = (
            "<br>".join(f"`{col}` → {', '.join(ents)}" for col, ents in f.pii.items())
            if f.pii
            else "none"
        )
        lines.append(f"| `{f.path}` | {f.fmt} | {f.rows} | {pii} | {f.notes} |")
    lines += [
        "",
        "## Files a scan must not classify",
        "",
        "| file | what it is | expected behaviour |",
        "| --- | --- | --- |",
        "| `README.txt` | plain-text note about the lake | listed, skipped as not a data file |",
        "| `landing/logo.png` | 32×32 PNG image | listed, skipped as not a data file |",
        "| `landing/broken.parquet` | Parquet file cut in half (magic bytes, no footer) | "
        "reported as an error for that object; the scan goes on |",
        "",
        "## Columns of each data file",
        "",
    ]
    for f in files:
        lines.append(f"- `{f.path}`: " + ", ".join(f"`{c}`" for c in f.columns))
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def build_lake(out: Path, meta_dir: Path) -> list[DataFile]:
    """Write the lake into ``out`` (emptied first) and the ground truth into ``meta_dir``."""
    if out.exists():
        marker = out / "README.txt"
        if any(out.iterdir()) and not (
            marker.is_file() and marker.read_bytes().startswith(README_TXT.encode()[:23])
        ):
            raise SystemExit(f"{out} is not empty and is not a sample lake: not replacing it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = [
        _customers(out, 0, 1001, 500, 100000),
        _customers(out, 1, 1002, 500, 100500),
        _customers_eu(out),
        _transactions(out, date(2025, 1, 1), 1101, 500),
        _transactions(out, date(2025, 1, 2), 1201, 500),
        _employees(out),
        _access_logs(out),
        _sessions(out),
        _catalog(out),
        _inventory(out),
        _ledger(out),
        _tickets(out),
        _passports(out),
    ]
    _broken(out)
    _write(out, "landing/logo.png", _png(32, 32))
    _write(out, "README.txt", README_TXT.encode("utf-8"))

    expected = {f.path: f.pii for f in sorted(files, key=lambda f: f.path)}
    meta_dir.mkdir(parents=True, exist_ok=True)
    (meta_dir / "expected.json").write_text(
        json.dumps(expected, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (meta_dir / "MANIFEST.md").write_text(_manifest(files), encoding="utf-8")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="lake folder (replaced if it exists)"
    )
    parser.add_argument(
        "--meta-dir",
        type=Path,
        default=None,
        help="where MANIFEST.md and expected.json go (default: the lake's parent folder)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    meta_dir: Path = (args.meta_dir or out.parent).resolve()
    if meta_dir == out or out in meta_dir.parents:
        parser.error("--meta-dir must be outside the lake")
    began = time.perf_counter()
    files = build_lake(out, meta_dir)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"wrote {len(files)} data files + {len(NON_DATA_FILES) + len(BROKEN_FILES)} others "
        f"({total / 1024:.0f} KiB) to {out}; ground truth in {meta_dir} "
        f"({time.perf_counter() - began:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
