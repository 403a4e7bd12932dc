"""PII in people tables whose columns are named in the table's own language.

Not the accuracy corpus (``bench/corpus.py``, English names with a few German, French and
Spanish ones): per Faker locale, one table of 300 rows whose columns are named as a team in
that country might name them (``nome``/``cognome``, ``imie``/``nazwisko``, ``氏名``, ``생년월일``
...), with a full name, a given-name and surname pair, a date of birth, a phone, an e-mail, an
address and the country's national identifier where Faker makes one (:data:`IDS`: a Polish
PESEL, a Korean resident registration number ...). Every column's expected entity is known
by construction. Prints, per locale, how
many columns have it as their first finding, not sparse (a finding in a small share of the
values is not the column's), and for each miss what the first finding was instead.

``--csv`` passes each column through the CSV reader's type inference first
(:func:`worker.core.sampling.values.infer_text_column`), as a lake's CSV files are read:
identifiers and phones written in bare digits become integers, and lose their leading zeros.

``--names`` renames the columns first, as a held-out lake may: ``opaque`` (``c1`` ...),
``rotate`` (each column under the name of the column three places on: full names under
``data_nascita``, phones under ``indirizzo``) or ``business`` (``product``, ``amount``,
``status``, ``region``, ``sku``, ``category``, ``notes``, ``code``: names of another kind of
table). A name that says otherwise makes some calls suggestions (confidence under 0.9);
they count as found.

Usage: ``python bench/pii_locales.py [--rows 300] [--seed 2] [--csv] [--names own]``. Exits 0
(a probe, no target).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from classifiers.pii import PiiClassifier  # noqa: E402
from models import ColumnSample, TableSample  # noqa: E402
from tests.support.tables import table_sample  # noqa: E402
from worker.core.sampling.values import infer_text_column  # noqa: E402

#: Per locale, the column names of: full name, given name, surname, date of birth, phone,
#: e-mail, address.
NAMES: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "en_US": ("full_name", "first_name", "last_name", "dob", "phone", "email", "address"),
    "de_DE": ("name", "vorname", "nachname", "geburtsdatum", "telefon", "email", "anschrift"),
    "fr_FR": ("nom_complet", "prenom", "nom", "date_naissance", "telephone", "courriel", "adresse"),
    "es_ES": ("nombre_completo", "nombre", "apellidos", "fecha_nac", "telefono", "correo",
              "direccion"),
    "it_IT": ("nome_completo", "nome", "cognome", "data_nascita", "telefono", "email", "indirizzo"),
    "nl_NL": ("naam", "voornaam", "achternaam", "geboortedatum", "telefoon", "email", "adres"),
    "pt_BR": ("nome_completo", "nome", "sobrenome", "data_nascimento", "telefone", "email",
              "endereco"),
    "pl_PL": ("imie_i_nazwisko", "imie", "nazwisko", "data_urodzenia", "telefon", "email", "adres"),
    "ru_RU": ("фио", "имя", "фамилия", "дата_рождения", "телефон", "email", "адрес"),
    "ja_JP": ("氏名", "名", "姓", "生年月日", "電話番号", "メールアドレス", "住所"),
    "zh_CN": ("姓名", "名", "姓", "出生日期", "电话", "邮箱", "地址"),
    "ko_KR": ("성명", "이름", "성", "생년월일", "전화번호", "이메일", "주소"),
}  # fmt: skip
EXPECTED = (
    "PERSON", "PERSON", "PERSON", "DATE_OF_BIRTH", "PHONE_NUMBER", "EMAIL_ADDRESS",
    "STREET_ADDRESS",
)  # fmt: skip


#: Per locale, the national identifier column: its name, the Faker provider, the entity
#: (Presidio's name where it has one). de_DE and ja_JP ``ssn()`` write US numbers; es_ES's
#: national identifier is ``nif()``. Russia's INN is left out (no entity anyone names).
IDS: dict[str, tuple[str, str, str]] = {
    "en_US": ("ssn", "ssn", "US_SSN"),
    "de_DE": ("ssn", "ssn", "US_SSN"),
    "fr_FR": ("numero_securite_sociale", "ssn", "FR_NIR"),
    "es_ES": ("dni", "nif", "ES_NIF"),
    "it_IT": ("codice_fiscale", "ssn", "IT_FISCAL_CODE"),
    "nl_NL": ("bsn", "ssn", "NL_BSN"),
    "pt_BR": ("cpf", "ssn", "BR_CPF"),
    "pl_PL": ("pesel", "ssn", "PL_PESEL"),
    "ja_JP": ("ssn", "ssn", "US_SSN"),
    "zh_CN": ("身份证号", "ssn", "CN_RESIDENT_ID"),
    "ko_KR": ("주민등록번호", "ssn", "KR_RRN"),
}


def expected(locale: str) -> tuple[str, ...]:
    """The entities of the locale's columns, in order."""
    return EXPECTED + ((IDS[locale][2],) if locale in IDS else ())


def people_table(locale: str, rows: int, seed: int) -> TableSample:
    """The locale's people table (:data:`NAMES`), ``rows`` rows of Faker values."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    makers: tuple[Callable[[], object], ...] = (
        fake.name,
        fake.first_name,
        fake.last_name,
        lambda: fake.date_of_birth(minimum_age=18, maximum_age=90),
        fake.phone_number,
        fake.email,
        lambda: fake.address().replace("\n", ", "),
    )
    names: tuple[str, ...] = NAMES[locale]
    if locale in IDS:
        names += (IDS[locale][0],)
        makers += (getattr(fake, IDS[locale][1]),)
    columns = tuple(
        ColumnSample(name, "date" if i == 3 else "string", tuple(make() for _ in range(rows)))  # type: ignore[misc]
        for i, (name, make) in enumerate(zip(names, makers, strict=True))
    )
    return table_sample(columns, f"s3://bench/{locale}/people.parquet", bytes_read=0)


def as_csv(table: TableSample) -> TableSample:
    """``table`` as the CSV reader would type it: each column's values written as text, then
    inferred (digits become integers, ISO dates dates)."""
    columns = []
    for c in table.columns:
        kind, values, _ = infer_text_column(
            [None if v is None else str(v) for v in c.values], False
        )
        columns.append(ColumnSample(c.name, kind, tuple(values)))
    return table_sample(columns, table.info.ref.uri.replace(".parquet", ".csv"), bytes_read=0)


#: Column names of another kind of table, for ``--names business``.
BUSINESS = ("product", "amount", "status", "region", "sku", "category", "notes", "code")


def renamed(table: TableSample, names: str) -> TableSample:
    """``table`` with its columns renamed by ``names`` (see the module docstring)."""
    columns = table.columns
    if names == "own":
        return table
    if names == "opaque":
        new = [f"c{i + 1}" for i in range(len(columns))]
    elif names == "rotate":
        new = [columns[(i + 3) % len(columns)].name for i in range(len(columns))]
    else:
        new = list(BUSINESS[: len(columns)])
    return table_sample(
        [ColumnSample(n, c.data_type, c.values) for n, c in zip(new, columns, strict=True)],
        table.info.ref.uri,
        bytes_read=0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--csv", action="store_true", help="type the values as a CSV reader")
    parser.add_argument("--names", choices=("own", "opaque", "rotate", "business"), default="own")
    args = parser.parse_args(argv)
    clf = PiiClassifier()
    clf.load()
    total = right = 0
    print("| locale | right | missed (column: expected -> found) |")
    print("|---|---:|---|")
    for locale in NAMES:
        table = people_table(locale, args.rows, args.seed)
        findings = clf.classify(renamed(as_csv(table) if args.csv else table, args.names))
        missed = []
        wanted = expected(locale)
        for finding, entity in zip(findings, wanted, strict=True):
            top = finding.entities[0] if finding.entities else None
            if top is not None and top.entity == entity and not top.evidence.sparse:
                right += 1
            else:
                sparse = " (sparse)" if top is not None and top.evidence.sparse else ""
                found = f"{top.entity} {top.confidence:.2f}{sparse}" if top else "nothing"
                missed.append(f"`{finding.column}`: {entity} -> {found}")
            total += 1
        print(f"| {locale} | {len(wanted) - len(missed)}/{len(wanted)} | {'; '.join(missed)} |")
    print(f"\n{right} of {total} columns right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
