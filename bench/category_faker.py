"""Categories of Faker tables that our generator did not make: a probe of the synthetic half.

The held-out lake's synthetic half is Faker tables in eight locales with opaque, misleading
and non-English names. :mod:`training.corpus` makes its own tables (its own enum lists, its
own value makers); this probe builds 22 tables of another design, two per category (one for
product, three for finance), whose values come straight from Faker's providers (``iban``, ``swift``,
``credit_card_number``, ``ipv4_public``, ``user_agent``, ``license_plate``, ``vin``,
``ean13``, ``job``, ``company`` ...) in the row's locale, and classifies them with the PII
and business classifiers as the worker does (PII findings merged into the business types,
then ``classify_table``). Each design runs in eight locales (en_US, de_DE, fr_FR, es_ES,
it_IT, pt_BR, nl_NL, ja_JP) under three namings:

* ``named``: English names for en_US and ja_JP, the locale's language for the others
  (``bench/foreign_names.yaml``, written by hand apart from the lexicon), and the table's
  name as its folder;
* ``opaque``: ``c1`` ... ``cN`` in ``s3://lake/data/t<k>.parquet``;
* ``misleading``: the names and folder of a design of another category (cycled), so only
  the values can be right.

Prints top-1 and top-3 per naming and per category, and the categories the review policy
would apply under the committed thresholds (and how often right): none read from the values
alone, none whose column names the values contradict
(:func:`classifiers.business.contradictions.names_contradicted`, or one name when the values
alone point elsewhere: ``values_agree`` false). Column names, table names
and the figures only: no value is printed.

Dates are drawn relative to the moment of the run (Faker's ``date_time_this_month`` ends
now), so two runs may differ a little: one opaque table's probabilities, of 528, between two
runs minutes apart. Faker's ``it_IT`` towns come from a set (``getcities``), whose order
Python's hash seed decides: run as a script it runs itself again under ``PYTHONHASHSEED=0``
when that is not set, as training does (``training/numeric_env.py``).

This is a probe, not a target: the designs were written for it, and anything fixed against
it is tuned on it. Usage: ``python bench/category_faker.py [--rows 300] [--seed 11]
[--json FILE] [--errors]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# First, so that ``worker`` is the package, not bench/worker.py beside this script.
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from faker import Faker  # noqa: E402

from models import (  # noqa: E402
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    LabelScore,
    ObjectStatus,
    TableSample,
)
from tests.support.tables import table_sample  # noqa: E402

LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "ja_JP")
#: The language of ``bench/foreign_names.yaml`` per locale; None: English names.
LANGUAGE = {"de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "pt_BR": "pt",
            "nl_NL": "nl"}  # fmt: skip
NAMINGS = ("named", "opaque", "misleading")

Maker = Callable[[Faker, random.Random], Any]


@dataclass(frozen=True)
class _Few:
    """Values of ``maker`` from a pool of ``distinct`` drawn once per table (a role column)."""

    maker: Maker
    distinct: int

    def column(self, fake: Faker, rng: random.Random, rows: int) -> list[Any]:
        pool = [self.maker(fake, rng) for _ in range(self.distinct)]
        return [rng.choice(pool) for _ in range(rows)]


@dataclass(frozen=True)
class Design:
    """A table of one category: its folder and its columns (name, type, value maker)."""

    category: str
    folder: str
    columns: tuple[tuple[str, str, Maker | _Few], ...]


def _day(fake: Faker, start: str = "-5y", end: str = "today") -> date:
    return fake.date_between(start_date=start, end_date=end)


def _money(low: float, high: float) -> Maker:
    return lambda _f, r: round(r.uniform(low, high), 2)


def _ints(low: int, high: int) -> Maker:
    return lambda _f, r: r.randint(low, high)


def _floats(low: float, high: float, digits: int = 2) -> Maker:
    return lambda _f, r: round(r.uniform(low, high), digits)


def _pick(*choices: Any) -> Maker:
    return lambda _f, r: r.choice(choices)


def _column(maker: Maker | _Few, fake: Faker, rng: random.Random, rows: int) -> list[Any]:
    if isinstance(maker, _Few):
        return maker.column(fake, rng, rows)
    return [maker(fake, rng) for _ in range(rows)]


DESIGNS: tuple[Design, ...] = (
    Design("customer", "customers", (
        ("customer_id", "string", lambda f, r: f.uuid4()),
        ("full_name", "string", lambda f, r: f.name()),
        ("email", "string", lambda f, r: f.email()),
        ("phone", "string", lambda f, r: f.phone_number()),
        ("street_address", "string", lambda f, r: f.street_address()),
        ("city", "string", lambda f, r: f.city()),
        ("postcode", "string", lambda f, r: f.postcode()),
        ("country", "string", lambda f, r: f.current_country()),
        ("signup_date", "date", lambda f, r: _day(f)),
        ("is_vip", "bool", lambda f, r: r.random() < 0.1),
    )),
    Design("customer", "crm_contacts", (
        ("contact_id", "int64", _ints(100000, 999999)),
        ("first_name", "string", lambda f, r: f.first_name()),
        ("last_name", "string", lambda f, r: f.last_name()),
        ("title", "string", lambda f, r: f.job()),
        ("work_email", "string", lambda f, r: f.company_email()),
        ("phone_number", "string", lambda f, r: f.phone_number()),
        ("country_code", "string", lambda f, r: f.current_country_code()),
        ("created_at", "timestamp", lambda f, r: f.date_time_this_decade()),
    )),
    Design("employee", "employees", (
        ("emp_id", "string", lambda f, r: f.bothify("E#####")),
        ("employee_name", "string", lambda f, r: f.name()),
        ("occupation", "string", lambda f, r: f.job()),
        ("department", "string", _pick("R&D", "Sales", "Finance", "People", "IT", "Ops")),
        ("hire_date", "date", lambda f, r: _day(f, "-20y")),
        ("annual_salary", "int64", _ints(28000, 160000)),
        ("iban", "string", lambda f, r: f.iban()),
        ("manager_id", "string", _Few(lambda f, r: f.bothify("E#####"), 12)),
    )),
    Design("employee", "timesheets", (
        ("timesheet_id", "int64", _ints(1, 10**7)),
        ("employee_id", "int64", _Few(_ints(1000, 9999), 40)),
        ("work_date", "date", lambda f, r: _day(f, "-1y")),
        ("hours_worked", "double", _floats(0, 12, 1)),
        ("project", "string", _Few(lambda f, r: f.bs(), 15)),
        ("is_overtime", "bool", lambda f, r: r.random() < 0.15),
        ("approver_id", "string", _Few(lambda f, r: f.name(), 6)),
    )),
    Design("finance", "transactions", (
        ("transaction_id", "string", lambda f, r: f.uuid4()),
        ("value_date", "date", lambda f, r: _day(f, "-1y")),
        ("iban", "string", lambda f, r: f.iban()),
        ("amount", "double", _money(-5000, 5000)),
        ("currency", "string", lambda f, r: f.currency_code()),
        ("recipient", "string", lambda f, r: f.company()),
        ("swift", "string", lambda f, r: f.swift()),
        ("reference", "string", lambda f, r: f.bothify("????-########").upper()),
    )),
    Design("finance", "invoices", (
        ("invoice_no", "string", lambda f, r: f.bothify("INV-######")),
        ("issue_date", "date", lambda f, r: _day(f, "-2y")),
        ("due_date", "date", lambda f, r: _day(f, "-2y", "+60d")),
        ("vendor_id", "string", lambda f, r: f.company()),
        ("net_amount", "double", _money(10, 25000)),
        ("vat_rate", "double", _pick(0.0, 0.07, 0.19, 0.2, 0.21)),
        ("grand_total", "double", _money(10, 30000)),
        ("is_paid", "bool", lambda f, r: r.random() < 0.7),
    )),
    Design("finance", "card_payments", (
        ("card_number", "string", lambda f, r: f.credit_card_number()),
        ("card_type", "string", lambda f, r: f.credit_card_provider()),
        ("expires_on", "string", lambda f, r: f.credit_card_expire()),
        ("merchant", "string", lambda f, r: f.company()),
        ("amount", "string", lambda f, r: f.pricetag()),
        ("created_at", "timestamp", lambda f, r: f.date_time_this_year()),
    )),
    Design("sales", "orders", (
        ("order_id", "int64", _ints(10**5, 10**7)),
        ("order_date", "date", lambda f, r: _day(f, "-1y")),
        ("customer_id", "int64", _ints(1, 50000)),
        ("ean_sku", "string", lambda f, r: f.ean13()),
        ("qty", "int64", _ints(1, 10)),
        ("unit_price", "double", _money(1, 500)),
        ("discount", "double", _pick(0.0, 0.0, 0.05, 0.1, 0.2)),
        ("order_total", "double", _money(1, 3000)),
    )),
    Design("sales", "opportunities", (
        ("opportunity_id", "string", lambda f, r: f.uuid4()),
        ("account_id", "string", lambda f, r: f.company()),
        ("owner_id", "string", _Few(lambda f, r: f.name(), 8)),
        ("stage", "string", _pick("Prospecting", "Qualification", "Proposal", "Negotiation",
                                  "Closed Won", "Closed Lost")),
        ("deal_value", "int64", _ints(1000, 500000)),
        ("close_date", "date", lambda f, r: _day(f, "-1y", "+1y")),
        ("probability", "int64", _pick(10, 20, 40, 60, 80, 90, 100, 0)),
    )),
    Design("product", "products", (
        ("sku", "string", lambda f, r: f.bothify("??-#####").upper()),
        ("product_name", "string", lambda f, r: f.catch_phrase()),
        ("category", "string", _Few(lambda f, r: f.word().capitalize(), 12)),
        ("ean_sku", "string", lambda f, r: f.ean13()),
        ("variant", "string", lambda f, r: f.color_name()),
        ("weight_g", "int64", _ints(20, 25000)),
        ("list_price", "double", _money(1, 2000)),
        ("in_stock", "int64", _ints(0, 900)),
    )),
    Design("marketing", "campaigns", (
        ("campaign_name", "string", lambda f, r: f.catch_phrase()),
        ("channel", "string", _pick("email", "social", "search", "display", "video")),
        ("start_date", "date", lambda f, r: _day(f, "-2y")),
        ("budget", "double", _money(500, 200000)),
        ("impressions", "int64", _ints(1000, 5_000_000)),
        ("clicks", "int64", _ints(0, 90000)),
        ("ctr", "double", _floats(0, 0.08, 4)),
        ("landing_url", "string", lambda f, r: f.url() + f.uri_path()),
    )),
    Design("marketing", "web_events", (
        ("session_id", "string", lambda f, r: f.uuid4()),
        ("event_time", "timestamp", lambda f, r: f.date_time_this_month()),
        ("page_url", "string", lambda f, r: f.uri()),
        ("referrer", "string", lambda f, r: f.url()),
        ("utm_source", "string", _pick("google", "newsletter", "facebook", "partner", "bing")),
        ("device", "string", _pick("desktop", "mobile", "tablet")),
        ("time_on_page", "int64", _ints(1, 900)),
    )),
    Design("operations", "shipments", (
        ("tracking_number", "string", lambda f, r: f.bothify("1Z##########")),
        ("shipping_carrier", "string", _pick("DHL", "UPS", "FedEx", "GLS", "DPD")),
        ("shipped_at", "date", lambda f, r: _day(f, "-1y")),
        ("eta", "date", lambda f, r: _day(f, "-1y", "+10d")),
        ("origin_city", "string", lambda f, r: f.city()),
        ("destination_city", "string", lambda f, r: f.city()),
        ("gross_weight", "double", _floats(0.1, 900, 1)),
        ("delivery_status", "string", _pick("in transit", "delivered", "delayed", "returned")),
    )),
    Design("operations", "fleet", (
        ("vehicle_id", "string", lambda f, r: f.license_plate()),
        ("vin", "string", lambda f, r: f.vin()),
        ("year", "int64", _ints(2008, 2025)),
        ("odometer", "int64", _ints(0, 400000)),
        ("last_modified", "date", lambda f, r: _day(f, "-2y")),
        ("depot_city", "string", _Few(lambda f, r: f.city(), 6)),
        ("driver_id", "string", lambda f, r: f.name()),
    )),
    Design("health", "patients", (
        ("patient_id", "string", lambda f, r: f.bothify("P######")),
        ("patient_name", "string", lambda f, r: f.name()),
        ("date_of_birth", "date", lambda f, r: f.date_of_birth(maximum_age=95)),
        ("sex", "string", _pick("F", "M")),
        ("blood_type", "string", _pick("A+", "A-", "B+", "B-", "O+", "O-", "AB+", "AB-")),
        ("admitted_at", "timestamp", lambda f, r: f.date_time_this_year()),
        ("physician_id", "string", _Few(lambda f, r: f.name(), 10)),
    )),
    Design("health", "lab_results", (
        ("specimen_id", "string", lambda f, r: f.uuid4()),
        ("patient_id", "int64", _ints(10000, 99999)),
        ("collected_at", "timestamp", lambda f, r: f.date_time_this_year()),
        ("analyte", "string", _pick("glucose", "hemoglobin", "potassium", "sodium", "TSH",
                                    "creatinine")),
        ("result_value", "double", _floats(0.1, 250, 1)),
        ("unit", "string", _pick("mg/dL", "g/dL", "mmol/L", "mIU/L")),
        ("abnormal", "string", _pick("H", "L", "N", "N", "N")),
    )),
    Design("security", "auth_logs", (
        ("ts", "timestamp", lambda f, r: f.date_time_this_month()),
        ("user_id", "string", lambda f, r: f.user_name()),
        ("source_ip", "string", lambda f, r: f.ipv4_public()),
        ("user_agent", "string", lambda f, r: f.user_agent()),
        ("event", "string", _pick("login_success", "login_failure", "logout")),
        ("mfa_used", "bool", lambda f, r: r.random() < 0.6),
        ("geo_country", "string", lambda f, r: f.country_code()),
    )),
    Design("security", "access_logs", (
        ("ts", "timestamp", lambda f, r: f.date_time_this_month()),
        ("client_ip", "string", lambda f, r: f.ipv4()),
        ("ip_address", "string", lambda f, r: f.ipv4_private()),
        ("protocol", "string", _pick("TCP", "UDP")),
        ("action", "string", _pick("ALLOW", "DENY", "DROP")),
        ("port", "int64", lambda f, r: f.port_number()),
        ("volume", "int64", _ints(40, 10**6)),
    )),
    Design("science", "sensor_readings", (
        ("sensor_id", "string", _Few(lambda f, r: f.bothify("S-###"), 20)),
        ("observed_at", "timestamp", lambda f, r: f.date_time_this_month()),
        ("latitude", "double", lambda f, r: float(f.latitude())),
        ("longitude", "double", lambda f, r: float(f.longitude())),
        ("temperature_c", "double", _floats(-10, 40, 1)),
        ("rel_humidity", "double", _floats(5, 100, 1)),
        ("pressure_hpa", "double", _floats(960, 1040, 1)),
    )),
    Design("science", "experiments", (
        ("sample_id", "string", lambda f, r: f.bothify("??-####").upper()),
        ("group", "string", _pick("control", "treatment")),
        ("dose_mg", "double", _pick(0.0, 5.0, 10.0, 20.0)),
        ("measurement", "double", _floats(0, 3, 3)),
        ("replicate", "int64", _ints(1, 3)),
        ("collection_date", "date", lambda f, r: _day(f, "-1y")),
        ("organism", "string", _pick("E. coli", "S. cerevisiae", "A. thaliana", "D. rerio")),
    )),
    Design("reference", "countries", (
        ("iso2", "string", lambda f, r: f.country_code()),
        ("alpha3", "string", lambda f, r: f.country_code("alpha-3")),
        ("country_name", "string", lambda f, r: f.country()),
        ("currency_code", "string", lambda f, r: f.currency_code()),
        ("population", "int64", _ints(10**4, 10**9)),
        ("area_km2", "int64", _ints(10, 10**7)),
    )),
    Design("reference", "calendar", (
        ("calendar_date", "date", lambda f, r: _day(f, "-10y", "+2y")),
        ("year", "int64", _ints(2015, 2027)),
        ("month_num", "int64", _ints(1, 12)),
        ("day_of_month", "int64", _ints(1, 28)),
        ("weekday", "string", lambda f, r: f.day_of_week()),
        ("quarter", "string", _pick("Q1", "Q2", "Q3", "Q4")),
        ("is_weekend", "bool", lambda f, r: r.random() < 0.28),
    )),
)  # fmt: skip


@functools.cache
def _names(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    data = yaml.safe_load((ROOT / "bench" / "foreign_names.yaml").read_text(encoding="utf-8"))
    if language is None:
        return {}, {}
    cols = {k: v[language] for k, v in data["columns"].items() if language in v}
    folders = {k: v[language] for k, v in data["folders"].items() if language in v}
    return cols, folders


def _unique(names: Sequence[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def build_table(
    index: int, design: Design, locale: str, naming: str, rows: int, seed: int
) -> TableSample:
    """One probe table: ``design``'s values in ``locale``, named by ``naming``."""
    # The values depend on the design and locale only: every naming gets the same table.
    values_seed = seed * 1000 + DESIGNS.index(design) * len(LOCALES) + LOCALES.index(locale)
    fake = Faker(locale)
    fake.seed_instance(values_seed)
    rng = random.Random(values_seed)
    columns = [(name, kind, _column(maker, fake, rng, rows))
               for name, kind, maker in design.columns]  # fmt: skip
    if naming == "opaque":
        names = [f"c{i + 1}" for i in range(len(columns))]
        key = f"s3://lake/data/t{index:04d}.parquet"
    else:
        source = design
        if naming == "misleading":
            others = [d for d in DESIGNS if d.category != design.category]
            source = others[index % len(others)]
        english = [source.columns[i % len(source.columns)][0] for i in range(len(columns))]
        cols, folders = _names(LANGUAGE.get(locale))
        names = _unique([cols.get(n, n) for n in english])
        key = f"s3://lake/{folders.get(source.folder, source.folder)}/part-00000.parquet"
    samples = [
        ColumnSample(name, kind, tuple(values))
        for name, (_, kind, values) in zip(names, columns, strict=True)
    ]
    return table_sample(samples, key, bytes_read=0)


def merged_findings(sample: TableSample, pii: Any, business: Any) -> list[ColumnFinding]:
    """The column findings as the worker merges them: PII entities beside business types."""
    entities = {f.column: f.entities for f in pii.classify(sample)}
    return [
        ColumnFinding(f.column, f.data_type, entities=entities.get(f.column, ()),
                      business_type=f.business_type)
        for f in business.classify(sample)
    ]  # fmt: skip


def classify(
    sample: TableSample, pii: Any, business: Any, merged: list[ColumnFinding] | None = None
) -> list[Any]:
    """Categories as the worker gets them: PII entities merged into the business types."""
    if merged is None:
        merged = merged_findings(sample, pii, business)
    return list(business.classify_table(sample, merged))


@dataclass(frozen=True, slots=True)
class Classified:
    """One probe table as the worker and the review policy leave it."""

    design: Design
    locale: str
    naming: str
    sample: TableSample
    merged: list[ColumnFinding]
    ranked: list[LabelScore]
    #: What the review policy applies at (``None``: never without a steward).
    threshold: float | None

    @property
    def applied(self) -> bool:
        """Whether the top category is applied without a steward."""
        return self.threshold is not None and self.ranked[0].confidence >= self.threshold


def classified_tables(pii: Any, business: Any, rows: int, seed: int) -> Iterator[Classified]:
    """Every design x locale x naming, classified by the loaded ``pii`` and ``business``."""
    from worker.core.review_policy import category_threshold

    index = 0
    for design in DESIGNS:
        for locale in LOCALES:
            for naming in NAMINGS:
                index += 1
                sample = build_table(index, design, locale, naming, rows, seed)
                merged = merged_findings(sample, pii, business)
                ranked = classify(sample, pii, business, merged)
                # As the review policy decides (never applied from the values alone, nor when
                # the values contradict enough of the names), on the object as a scan has it.
                threshold = category_threshold(
                    EnrichmentResult(
                        ref=sample.info.ref, status=ObjectStatus.CLASSIFIED, info=sample.info,
                        sample=sample, columns=tuple(merged), categories=tuple(ranked),
                    )
                )  # fmt: skip
                yield Classified(design, locale, naming, sample, merged, ranked, threshold)


def run(rows: int, seed: int) -> dict[str, Any]:
    """Every design x locale x naming classified; the figures and one row per table."""
    from classifiers.business.classifier import BusinessClassifier
    from classifiers.business.contradictions import names_contradicted
    from classifiers.pii import PiiClassifier

    pii, business = PiiClassifier(), BusinessClassifier()
    pii.load()
    business.load()
    out: list[dict[str, Any]] = []
    for c in classified_tables(pii, business, rows, seed):
        top = c.ranked[0]
        out.append({
            "folder": c.design.folder, "truth": c.design.category, "locale": c.locale,
            "naming": c.naming, "top1": top.label, "p": round(top.confidence, 3),
            "top3": [r.label for r in c.ranked[:3]],
            "applied": c.applied,
            "names_contradicted": len(names_contradicted(c.merged)),
            "values_agree": top.values_agree,
        })  # fmt: skip
    return {"rows": rows, "seed": seed, "tables": out, "summary": summarise(out)}


def _score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    applied = [r for r in rows if r["applied"]]
    return {
        "tables": n,
        "top1": round(sum(r["top1"] == r["truth"] for r in rows) / n, 3) if n else None,
        "top3": round(sum(r["truth"] in r["top3"] for r in rows) / n, 3) if n else None,
        "applied": len(applied),
        "applied_right": sum(r["top1"] == r["truth"] for r in applied),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-1, top-3 and applied categories over all tables, per naming, category, locale."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups["naming"][r["naming"]].append(r)
        groups["category"][r["truth"]].append(r)
        groups["locale"][r["locale"]].append(r)
        if r["naming"] == "named":
            groups["category, named"][r["truth"]].append(r)
    summary: dict[str, Any] = {"all": _score(rows)}
    for kind, by in groups.items():
        summary[kind] = {k: _score(v) for k, v in sorted(by.items())}
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    """The summary as one table per grouping."""
    for kind, value in summary.items():
        print(f"\n{kind}")
        items = {"all tables": value} if kind == "all" else value
        print("| | tables | top-1 | top-3 | applied (right) |")
        print("|---|---:|---:|---:|---:|")
        for k, s in items.items():
            print(f"| {k} | {s['tables']} | {s['top1']} | {s['top3']} | "
                  f"{s['applied']} ({s['applied_right']}) |")  # fmt: skip


def fixed_hash_seed() -> None:
    """Run this script again under ``PYTHONHASHSEED=0`` unless it already runs so.

    Why: Faker's ``it_IT`` towns come from a set (see the module docstring). For a script's
    ``__main__`` block only; :mod:`bench.pii_naming` calls it too. Side effect: replaces the
    process (same interpreter, options and arguments).
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, list(sys.orig_argv), env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="list the wrong tables")
    args = parser.parse_args(argv)
    res = run(args.rows, args.seed)
    print_summary(res["summary"])
    if args.errors:
        print()
        for r in res["tables"]:
            if r["top1"] != r["truth"]:
                print(f"{r['truth']:>10} -> {r['top1']:<10} {r['p']:.3f} {r['naming']:<10} "
                      f"{r['locale']} {r['folder']} {r['top3']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    fixed_hash_seed()
    raise SystemExit(main())
