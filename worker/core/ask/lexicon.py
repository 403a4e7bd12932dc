"""The words a question is read with: PII entities, categories, systems, countries, currencies.

Phrases are lower case, space-separated and already normalised (:func:`normalise` of
:mod:`worker.core.ask.parse`: hyphens and apostrophes dropped). Longer phrases win over the
shorter ones they contain ("credit card numbers" before "card").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from worker.core.ask.query import ANY_ENTITY
from worker.core.facets import COUNTRY_BY_NAME

#: Plain words → the product's entity names (classifiers/pii/entities/builtin.py).
ENTITY_PHRASES: dict[str, str] = {
    **dict.fromkeys(
        ["email", "emails", "email address", "email addresses", "mail address",
         "mail addresses", "email_address"],
        "EMAIL_ADDRESS",
    ),
    **dict.fromkeys(
        ["phone", "phones", "phone number", "phone numbers", "telephone number",
         "telephone numbers", "mobile number", "mobile numbers", "telephone", "telephones"],
        "PHONE_NUMBER",
    ),
    **dict.fromkeys(
        ["ssn", "ssns", "social security number", "social security numbers",
         "social security", "us_ssn"],
        "US_SSN",
    ),
    **dict.fromkeys(
        ["card number", "card numbers", "credit card", "credit cards", "credit card number",
         "credit card numbers", "payment card", "payment cards", "payment card numbers",
         "pan", "pans", "credit_card"],
        "CREDIT_CARD",
    ),
    **dict.fromkeys(
        ["iban", "ibans", "bank account number", "bank account numbers", "iban code",
         "iban codes", "iban_code"],
        "IBAN_CODE",
    ),
    **dict.fromkeys(
        ["ip address", "ip addresses", "ips", "ip_address"],
        "IP_ADDRESS",
    ),
    **dict.fromkeys(["url", "urls", "web address", "web addresses"], "URL"),
    **dict.fromkeys(
        ["driver license", "driver licenses", "drivers license", "drivers licenses",
         "driving licence", "driving licences", "driving license", "driving licenses",
         "driver licence", "drivers licence", "us_driver_license"],
        "US_DRIVER_LICENSE",
    ),
    **dict.fromkeys(
        ["passport", "passports", "passport number", "passport numbers", "us_passport"],
        "US_PASSPORT",
    ),
    **dict.fromkeys(["nric", "nrics", "fin number", "fin numbers", "sg_nric_fin"], "SG_NRIC_FIN"),
    **dict.fromkeys(
        ["fiscal code", "fiscal codes", "codice fiscale", "codici fiscali", "it_fiscal_code"],
        "IT_FISCAL_CODE",
    ),
    **dict.fromkeys(["dni", "dnis", "nif", "nifs", "nie", "nies", "es_nif"], "ES_NIF"),
    **dict.fromkeys(["cpf", "cpfs", "br_cpf"], "BR_CPF"),
    **dict.fromkeys(
        ["nir", "nirs", "french social security number", "french social security numbers",
         "fr_nir"],
        "FR_NIR",
    ),
    **dict.fromkeys(["bsn", "bsns", "burgerservicenummer", "nl_bsn"], "NL_BSN"),
    **dict.fromkeys(["pesel", "pesels", "pl_pesel"], "PL_PESEL"),
    **dict.fromkeys(
        ["resident registration numbers", "resident registration number", "rrn", "rrns",
         "kr_rrn"],
        "KR_RRN",
    ),
    **dict.fromkeys(
        ["resident id number", "resident id numbers", "resident id", "resident ids",
         "chinese id number", "chinese id numbers", "cn_resident_id"],
        "CN_RESIDENT_ID",
    ),
    **dict.fromkeys(
        ["person names", "peoples names", "full names", "personal names", "names of people",
         "person", "names"],
        "PERSON",
    ),
    **dict.fromkeys(
        ["street address", "street addresses", "postal address", "postal addresses",
         "home address", "home addresses", "addresses", "mailing address",
         "mailing addresses", "street_address"],
        "STREET_ADDRESS",
    ),
    **dict.fromkeys(
        ["date of birth", "dates of birth", "dob", "dobs", "birth date", "birth dates",
         "birthdate", "birthdates", "birthday", "birthdays", "date_of_birth"],
        "DATE_OF_BIRTH",
    ),
    **dict.fromkeys(
        ["pii", "personal data", "personal information", "personally identifiable information",
         "sensitive data", "personal details"],
        ANY_ENTITY,
    ),
}  # fmt: skip

#: Category → words for it beyond its name (the taxonomy's keywords are added by the caller).
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer": ("customers", "client", "clients", "shopper", "shoppers", "buyer", "buyers",
                 "crm", "subscriber", "subscribers", "customer data", "client data"),
    "employee": ("employees", "staff", "hr", "personnel", "workforce", "payroll", "salaries",
                 "salary", "human resources"),
    "finance": ("financial", "transaction", "transactions", "payment", "payments", "ledger",
                "ledgers", "invoice", "invoices", "billing", "money", "accounting"),
    "sales": ("order", "orders", "deal", "deals", "revenue"),
    "product": ("products", "catalog", "catalogue", "sku", "skus", "inventory"),
    "marketing": ("campaign", "campaigns", "newsletter", "newsletters", "advertising"),
    "operations": ("ops", "logistics", "shipment", "shipments", "warehouse", "fleet",
                   "support tickets", "tickets"),
    "health": ("medical", "patient", "patients", "clinical", "healthcare", "hospital"),
    "security": ("auth", "login", "logins", "audit logs", "access logs", "threats"),
    "science": ("scientific", "experiment", "experiments", "sensor", "sensors", "research"),
    "reference": ("lookup", "lookups", "master data", "reference data"),
}  # fmt: skip

#: Taxonomy keywords too generic to mean a category in a question.
_KEYWORD_STOP = frozenset(
    {"account", "accounts", "contact", "contacts", "access", "ip", "lab", "ref", "item",
     "items", "sample", "session", "click", "clicks", "ad", "ads", "landing", "bill", "tip",
     "tips", "pos", "car", "trip", "route", "tracking", "delivery", "visit", "blood", "dim",
     "codes", "iso", "calendar", "region", "country", "countries", "population", "segment",
     "signup", "manager", "department", "hire", "gl", "tax", "fx", "stock", "stocks",
     "balance", "release", "releases", "brand", "variant", "wind", "specimen", "species",
     "observation", "measurement", "quote", "discount", "checkout", "pipeline", "master",
     "audit", "security", "loyalty", "incident", "incidents", "icd", "encounter", "ehr",
     "heart_rate", "impression", "impressions", "ctr", "utm", "pageview", "email_send",
     "user_agent", "siem", "firewall", "vulnerability", "vulnerabilities", "cve", "cvss",
     "threat", "telemetry", "lab_run", "stock_level", "carrier", "expense", "budget",
     "timesheet", "headcount"}
)  # fmt: skip


def category_phrases(keywords: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Phrase → category: names, :data:`CATEGORY_SYNONYMS` and the taxonomy's keywords.

    :param keywords: category → its taxonomy keywords (``None``: names and synonyms only);
        keywords too generic for a question (:data:`_KEYWORD_STOP`), or that name an entity
        or a system, are left out; a category the taxonomy lacks keeps its synonyms.
    """
    out: dict[str, str] = {}
    names = set(CATEGORY_SYNONYMS) | set(keywords or {})
    for name in sorted(names):
        out[name] = name
        for word in CATEGORY_SYNONYMS.get(name, ()):
            out.setdefault(word, name)
    for name, words in (keywords or {}).items():
        for word in words:
            w = word.lower().replace("_", " ").strip()
            generic = word in _KEYWORD_STOP or w in ENTITY_PHRASES or w in SYSTEM_PHRASES
            if w and not generic:
                out.setdefault(w, name)
    return out


#: Words for where data lives.
SYSTEM_PHRASES: dict[str, str] = {
    "s3": "lake", "the lake": "lake", "lake": "lake", "data lake": "lake", "bucket": "lake",
    "buckets": "lake", "amazon s3": "lake", "aws s3": "lake",
    "snowflake": "snowflake", "the warehouse": "snowflake", "warehouse": "snowflake",
    "data warehouse": "snowflake",
    "postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
    "the app database": "postgres", "app database": "postgres", "rds": "postgres",
    "redshift": "redshift",
    "looker": "looker",
}  # fmt: skip

#: Nouns of what a question asks for → target (``reports`` are Looker dashboards).
TARGET_PHRASES: dict[str, str] = {
    "datasets": "datasets", "dataset": "datasets", "data": "datasets", "data sets": "datasets",
    "files": "datasets", "prefixes": "datasets", "folders": "datasets",
    "tables": "tables", "table": "tables",
    "columns": "columns", "column": "columns", "fields": "columns", "field": "columns",
    "dashboards": "dashboards", "dashboard": "dashboards", "reports": "dashboards",
    "report": "dashboards", "looks": "dashboards", "explores": "dashboards",
    "looker reports": "dashboards", "looker dashboards": "dashboards",
    "alerts": "alerts", "alert": "alerts", "incidents": "alerts", "warnings": "alerts",
    "suggestions": "suggestions", "review items": "suggestions", "items": "suggestions",
    "findings": "suggestions",
}  # fmt: skip

#: Countries and regions → their code: every country name the value facets know
#: (:data:`worker.core.facets.COUNTRY_BY_NAME`, one list for both), then adjectives, codes and
#: regions. ``us`` is left out: it is also a pronoun.
COUNTRY_PHRASES: dict[str, str] = {
    **{name: code for name, code in COUNTRY_BY_NAME.items() if name != "u.s."},
    "singaporean": "SG", "sg": "SG",
    "eu": "EU", "europe": "EU", "european": "EU", "european union": "EU",
    "uk": "GB", "united kingdom": "GB", "britain": "GB", "british": "GB",
    "usa": "US", "united states": "US", "america": "US", "american": "US",
    "germany": "DE", "german": "DE", "france": "FR", "french": "FR", "spain": "ES",
    "italy": "IT", "netherlands": "NL", "dutch": "NL", "ireland": "IE", "india": "IN",
    "indian": "IN", "japan": "JP", "japanese": "JP", "china": "CN", "chinese": "CN",
    "australia": "AU", "australian": "AU", "canada": "CA", "canadian": "CA",
    "brazil": "BR", "mexico": "MX", "malaysia": "MY", "indonesia": "ID", "hong kong": "HK",
    "apac": "APAC", "asia": "APAC", "emea": "EMEA", "latam": "LATAM", "switzerland": "CH",
}  # fmt: skip

#: Currencies → their ISO 4217 code (the value facets of ``currency_code`` columns).
CURRENCY_PHRASES: dict[str, str] = {
    "sgd": "SGD", "singapore dollar": "SGD", "singapore dollars": "SGD",
    "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "usd": "USD", "us dollar": "USD", "us dollars": "USD", "dollar": "USD", "dollars": "USD",
    "gbp": "GBP", "pound sterling": "GBP", "pounds sterling": "GBP", "sterling": "GBP",
    "jpy": "JPY", "yen": "JPY", "chf": "CHF", "swiss franc": "CHF", "swiss francs": "CHF",
    "inr": "INR", "rupee": "INR", "rupees": "INR", "cny": "CNY", "yuan": "CNY", "rmb": "CNY",
    "aud": "AUD", "australian dollar": "AUD", "australian dollars": "AUD",
    "cad": "CAD", "canadian dollar": "CAD", "canadian dollars": "CAD",
    "hkd": "HKD", "hong kong dollar": "HKD", "hong kong dollars": "HKD",
    "myr": "MYR", "ringgit": "MYR", "idr": "IDR", "rupiah": "IDR",
}  # fmt: skip

#: Words after an entity that name its values, not something else (``NRIC numbers``).
ENTITY_TAILS = frozenset(
    {"number", "numbers", "no", "nos", "code", "codes", "id", "ids", "values", "value",
     "records", "record", "details"}
)  # fmt: skip

#: Words after a currency that name what is counted in it (``SGD amounts``).
CURRENCY_TAILS = frozenset(
    {"amount", "amounts", "price", "prices", "value", "values", "figures", "sums", "totals"}
)

#: Words that carry no meaning of their own in a question (articles, verbs of asking...).
FILLER = frozenset(
    """a an the all any every each some me my our us we i you your it its this that these those
    show list find give get tell display return what which where who whom whose how is are was
    were be been being do does did have has had having with without of in on at by for to from
    into onto and or but not no as than then there their them they please can could would will
    should may might kindly let lets know see look up about containing contain contains
    hold holds holding include includes including store stores stored keep keeps kept live
    lives sit sits located reside resides found exist exists here currently now today our
    everything anything something thing things kind kinds type types sort sorts stuff info
    information data set sets having also just only other more most much many lot lots
    named called known like same within across inside under over via through flowing
    flow flows go goes going gets end ends up land lands into if want need when once after
    """.split()
)  # fmt: skip
