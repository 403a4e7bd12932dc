"""Person-name columns named in Polish, Russian, Chinese, Japanese and Korean, and a given-name
column known only by its surname neighbour (``nome`` beside ``cognome``)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.names import is_opaque, name_signals, tokenize
from models import ColumnFinding, ColumnSample
from tests.support.tables import table_sample

ROWS = 400


@pytest.mark.parametrize(
    ("name", "tokens", "strength"),
    [
        ("imię", ["imie"], 1.0),
        ("Nazwisko", ["nazwisko"], 1.0),
        ("imie_i_nazwisko", ["imie", "i", "nazwisko"], 1.0),
        ("Фамилия", ["фамилия"], 1.0),
        ("ФИО", ["фио"], 1.0),
        ("имя", ["имя"], 0.5),
        ("氏名", ["氏名"], 1.0),
        ("顧客氏名", ["氏名"], 1.0),  # a keyword inside a run of CJK characters
        ("姓名", ["姓名"], 1.0),  # the longer keyword, not 姓 then 名
        ("姓", ["姓"], 1.0),
        ("名前", ["名前"], 0.5),
        ("名", ["名"], 0.5),  # one character: only as the whole name
        ("성명", ["성명"], 1.0),  # hangul stays whole through the folding
        ("고객이름", ["이름"], 0.5),
    ],
)
def test_name_words_in_other_scripts(name: str, tokens: list[str], strength: float) -> None:
    assert tokenize(name) == tokens
    assert name_signals(name)["PERSON"].strength == strength
    assert not is_opaque(name)


@pytest.mark.parametrize("name", ["성", "会社名", "商品名", "電話番号", "価格"])
def test_other_cjk_names_say_no_person(name: str) -> None:
    assert "PERSON" not in name_signals(name)
    assert not is_opaque(name)


def _classify(
    clf: PiiClassifier, locale: str, columns: list[tuple[str, str]]
) -> dict[str, ColumnFinding]:
    fake = Faker(locale)
    fake.seed_instance(7)
    rng = random.Random(7)
    makers: dict[str, Callable[[], str]] = {
        "first": fake.first_name,
        "last": fake.last_name,
        "email": fake.email,
        "code": lambda: f"{rng.choice('ABCDEF')}{rng.choice('XYZ')}-{rng.randint(100, 999)}",
        "city": fake.city,
        "colour": fake.color_name,
    }
    sample = table_sample(
        tuple(
            ColumnSample(name, "string", tuple(makers[kind]() for _ in range(ROWS)))
            for name, kind in columns
        ),
        "s3://lake/people/part-0.parquet",
    )
    return {f.column: f for f in clf.classify(sample)}


def _person(finding: ColumnFinding) -> str | None:
    """The rule of the column's PERSON finding, or ``None``."""
    return next((e.evidence.rule for e in finding.entities if e.entity == "PERSON"), None)


@pytest.mark.parametrize(
    ("locale", "first", "last"),
    [("it_IT", "nome", "cognome"), ("es_ES", "nombre", "apellidos"), ("ru_RU", "имя", "фамилия")],
)
def test_a_name_column_beside_a_surname_column_holds_given_names(
    classifier: PiiClassifier, locale: str, first: str, last: str
) -> None:
    found = _classify(classifier, locale, [(first, "first"), (last, "last"), ("email", "email")])
    assert _person(found[first]) is not None
    assert _person(found[last]) is not None


def test_the_pair_rule_names_the_surname_column(classifier: PiiClassifier) -> None:
    # Turkish given names, seed 1: the gazetteer knows few of them, and the small English
    # model calls too few persons for the name ``nome`` alone. (Italian ones were the example
    # until the gazetteer took mimesis's Italian names: see the test below.)
    fake = Faker("tr_TR")
    fake.seed_instance(1)
    firsts = tuple(fake.first_name() for _ in range(300))
    lasts = tuple(fake.last_name() for _ in range(300))
    for columns, rule in (
        (
            (ColumnSample("nome", "string", firsts), ColumnSample("cognome", "string", lasts)),
            "name.part_pair",
        ),
        ((ColumnSample("nome", "string", firsts),), None),
    ):
        found = classifier.classify(table_sample(columns, "s3://lake/people/part-0.parquet"))
        assert _person(found[0]) == rule
        if rule:
            assert found[0].entities[0].evidence.neighbours == ("cognome",)


@pytest.mark.parametrize("kind", ["code", "city", "colour"])
def test_words_that_are_no_names_beside_a_surname_column_are_not_names(
    classifier: PiiClassifier, kind: str
) -> None:
    # Faker's Italian towns are built from given names (``Borgo Ludovica``): English ones.
    found = _classify(classifier, "en_US", [("name", kind), ("last_name", "last")])
    assert _person(found["name"]) is None


@pytest.mark.parametrize(
    ("locale", "first", "last"), [("pl_PL", "imie", "nazwisko"), ("pl_PL", "Imię", "Nazwisko")]
)
def test_polish_name_columns(classifier: PiiClassifier, locale: str, first: str, last: str) -> None:
    found = _classify(classifier, locale, [(first, "first"), (last, "last")])
    assert _person(found[first]) is not None
    assert _person(found[last]) is not None


@pytest.mark.parametrize(("locale", "column"), [("ja_JP", "姓"), ("zh_CN", "姓氏")])
def test_surname_columns_in_cjk(classifier: PiiClassifier, locale: str, column: str) -> None:
    found = _classify(classifier, locale, [(column, "last"), ("email", "email")])
    assert _person(found[column]) == "cjk.names"


@pytest.mark.parametrize(
    ("name", "entity", "strength"),
    [
        ("生年月日", "DATE_OF_BIRTH", 1.0),
        ("出生日期", "DATE_OF_BIRTH", 1.0),
        ("생년월일", "DATE_OF_BIRTH", 1.0),
        ("дата_рождения", "DATE_OF_BIRTH", 1.0),
        ("data_urodzenia", "DATE_OF_BIRTH", 1.0),
        ("電話番号", "PHONE_NUMBER", 1.0),
        ("联系电话", "PHONE_NUMBER", 1.0),
        ("전화번호", "PHONE_NUMBER", 1.0),
        ("住所", "STREET_ADDRESS", 0.9),
        ("地址", "STREET_ADDRESS", 0.9),
        ("주소", "STREET_ADDRESS", 0.9),
        ("адрес", "STREET_ADDRESS", 0.7),
    ],
)
def test_other_entities_named_in_other_scripts(name: str, entity: str, strength: float) -> None:
    assert name_signals(name)[entity].strength == strength


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("ip_адрес", "STREET_ADDRESS"),
        ("адрес_сервера", "STREET_ADDRESS"),
        ("이메일주소", "STREET_ADDRESS"),  # an e-mail address
        ("服务器地址", "STREET_ADDRESS"),  # a server's
        ("邮箱地址", "STREET_ADDRESS"),
        ("発生日", "DATE_OF_BIRTH"),  # the date something happened holds 生日, birthday
        ("发生日期", "DATE_OF_BIRTH"),
        ("발생일자", "DATE_OF_BIRTH"),
        ("имя_файла", "PERSON"),  # a file's name
        ("имя_компании", "PERSON"),
        ("会社名前", "PERSON"),  # a company's
        ("公司名字", "PERSON"),
        ("파일이름", "PERSON"),
    ],
)
def test_words_beside_a_keyword_that_change_its_meaning(name: str, entity: str) -> None:
    assert entity not in name_signals(name)


def test_other_letters_stay_separators_and_a_russian_id_is_an_id() -> None:
    # A dotless i no folding makes Latin is no token (it would end the name's tokens).
    assert tokenize("telefon_numarası") == ["telefon", "numaras"]
    assert not is_opaque("ид")


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("zh_CN", ("姓名", "出生日期", "电话", "地址")),
        ("ko_KR", ("이름", "생년월일", "전화번호", "주소")),
        ("ru_RU", ("ФИО", "дата_рождения", "телефон", "адрес")),
    ],
)
def test_a_people_table_named_in_its_own_language(
    classifier: PiiClassifier, locale: str, names: tuple[str, str, str, str]
) -> None:
    # Before: zh_CN's bare 11-digit phones, Korean and Russian addresses were missed and the
    # births called at 0.62 from the ages alone.
    fake = Faker(locale)
    fake.seed_instance(2)
    makers: tuple[Callable[[], object], ...] = (
        fake.name,
        lambda: fake.date_of_birth(minimum_age=18, maximum_age=90),
        fake.phone_number,
        lambda: fake.address().replace("\n", ", "),
    )
    sample = table_sample(
        tuple(
            ColumnSample(name, "date" if i == 1 else "string", tuple(m() for _ in range(300)))  # type: ignore[misc]
            for i, (name, m) in enumerate(zip(names, makers, strict=True))
        ),
        "s3://lake/people/part-0.parquet",
    )
    found = {f.column: f for f in classifier.classify(sample)}
    expected = ("PERSON", "DATE_OF_BIRTH", "PHONE_NUMBER", "STREET_ADDRESS")
    for name, entity in zip(names, expected, strict=True):
        entities = found[name].entities
        assert entities and entities[0].entity == entity, (name, entities)
        assert entities[0].confidence >= 0.85, (name, entities[0])


def test_a_given_name_column_named_one_character_needs_the_surname_beside_it(
    classifier: PiiClassifier,
) -> None:
    fake = Faker("ja_JP")
    fake.seed_instance(3)
    given = tuple(fake.first_name() for _ in range(300))
    family = tuple(fake.last_name() for _ in range(300))
    pair = table_sample(
        (ColumnSample("姓", "string", family), ColumnSample("名", "string", given)),
        "s3://lake/jp/people.parquet",
    )
    found = {f.column: f for f in classifier.classify(pair)}
    assert _person(found["姓"]) == "cjk.names"
    assert _person(found["名"]) == "cjk.names"
    alone = table_sample((ColumnSample("名", "string", given),), "s3://lake/jp/people.parquet")
    assert _person(classifier.classify(alone)[0]) is None


@pytest.mark.parametrize(
    ("locale", "provider"),
    [("pl_PL", "first_name"), ("ru_RU", "last_name"), ("pt_BR", "last_name"),
     ("pl_PL", "last_name"), ("ru_RU", "first_name"), ("ru_RU", "middle_name")],
)  # fmt: skip
def test_one_word_names_of_other_locales_are_found_under_an_opaque_name(
    classifier: PiiClassifier, locale: str, provider: str
) -> None:
    # Faker's kept locales knew 3% of Italian surnames and none in Cyrillic: a one-word name
    # column under ``c3`` went unfound. mimesis's names of the supported languages fill them,
    # and Faker's own Polish surnames and Russian given names and patronymics (mimesis knew
    # 5% and 54% of those).
    fake = Faker(locale)
    fake.seed_instance(2)
    values = tuple(getattr(fake, provider)() for _ in range(300))
    found = classifier.classify(
        table_sample((ColumnSample("c3", "string", values),), "s3://lake/t/part-0.parquet")
    )
    assert _person(found[0]) is not None
