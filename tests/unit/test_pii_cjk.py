"""Person names and street addresses in Chinese, Japanese and Korean characters (issue 16)."""

from __future__ import annotations

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.cjk_addresses import cjk_address, korean_address_head
from classifiers.pii.cjk_names import cjk_family_name, cjk_name, cjk_name_part
from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample

N = 120


@pytest.mark.parametrize(
    "value",
    ["王伟", "李秀英", "欧阳娜娜", "張志明", "佐藤 太郎", "鈴木さくら", "김민준", "남궁민수"],
)
def test_names_read_as_names(value: str) -> None:
    assert cjk_name(value) is True


@pytest.mark.parametrize(
    "value", ["黄山市", "王府井大街", "高橋商事株式会社", "北京大学", "강남구청로"]
)
def test_places_and_companies_are_not_names(value: str) -> None:
    assert cjk_name(value) is False


@pytest.mark.parametrize("value", ["Jane Doe", "王伟 2", "", "王 伟 明", "张三李四王五赵六钱七"])
def test_other_text_is_not_for_this_reader(value: str) -> None:
    assert cjk_name(value) is None


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW", "ja_JP", "ko_KR"])
def test_faker_names_mostly_read_and_other_faker_text_rarely(locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(7)
    names = [fake.name() for _ in range(400)]
    assert sum(cjk_name(v) is True for v in names) / len(names) >= 0.95
    for other in (fake.city, fake.company):
        values = [other() for _ in range(400)]
        assert sum(cjk_name(v) is True for v in values) / len(values) <= 0.2


def _table(*cols: tuple[str, list[str]]) -> TableSample:
    return TableSample(
        info=ObjectInfo(ref=ObjectRef("s3://lake/k.parquet"), size=1, etag="t"),
        format="parquet",
        compression=None,
        columns=tuple(ColumnSample(n, "string", tuple(v)) for n, v in cols),
        rows_sampled=N,
        row_count=N,
        row_count_estimated=False,
        bytes_read=0,
        sampling=SamplingInfo(method="test"),
    )


@pytest.fixture(scope="module")
def classifier() -> PiiClassifier:
    return PiiClassifier()


@pytest.mark.parametrize("locale", ["zh_CN", "ja_JP", "ko_KR"])
def test_a_column_of_cjk_names_is_person(classifier: PiiClassifier, locale: str) -> None:
    fake = Faker(locale)
    fake.seed_instance(3)
    names = [fake.name() for _ in range(N)]
    findings = classifier.classify(
        _table(
            ("customer_name", names),
            ("col_2", names[::-1]),
            ("city", [fake.city() for _ in range(N)]),
        )
    )
    by_column = {f.column: f for f in findings}
    named = [e for e in by_column["customer_name"].entities if e.entity == "PERSON"]
    opaque = [e for e in by_column["col_2"].entities if e.entity == "PERSON"]
    assert named and opaque and not by_column["city"].entities
    # The name says people: surer than an opaque column with the same values.
    assert named[0].confidence > opaque[0].confidence
    assert named[0].evidence.recognizers == ("cjk-names",)
    # Masked examples reveal no character of the names (one is a whole family name).
    for example in named[0].evidence.masked_examples:
        assert set(example) <= {"*", " "}, "a CJK character left the worker"


@pytest.mark.parametrize("locale", ["zh_CN", "ja_JP", "ko_KR"])
def test_a_column_named_for_one_name_part_takes_it_alone(
    classifier: PiiClassifier, locale: str
) -> None:
    fake = Faker(locale)
    fake.seed_instance(9)
    given = [fake.first_name() for _ in range(N)]
    findings = classifier.classify(_table(("first_name", given), ("col_2", given)))
    assert [bool(f.entities) for f in findings] == [True, False]


def test_korean_family_names_and_the_given_names_beside_them_are_person(
    classifier: PiiClassifier,
) -> None:
    # ``성`` (surname) also means sex, so no column name says it: the values do.
    fake = Faker("ko_KR")
    fake.seed_instance(11)
    family = [fake.last_name() for _ in range(N)]
    given = [fake.first_name() for _ in range(N)]
    findings = classifier.classify(_table(("이름", given), ("성", family)))
    by_column = {f.column: f for f in findings}
    assert [e.entity for e in by_column["성"].entities] == ["PERSON"]
    assert by_column["성"].entities[0].evidence.rule == "cjk.family_names"
    assert [e.entity for e in by_column["이름"].entities] == ["PERSON"]
    # Given names alone, with no family-name column beside them, are words like any other.
    alone = classifier.classify(_table(("이름", given), ("코드", [str(i) for i in range(N)])))
    assert not alone[0].entities


@pytest.mark.parametrize(
    "values",
    [
        ["남", "여"] * (N // 2),  # sex, also 성
        ["상", "중", "하"] * (N // 3),  # a grade
        ["월", "화", "수", "목", "금", "토"] * (N // 6),  # weekdays
    ],
)
def test_korean_single_syllable_enums_are_not_family_names(
    classifier: PiiClassifier, values: list[str]
) -> None:
    findings = classifier.classify(_table(("성", values), ("이름", values[::-1])))
    assert all(not f.entities for f in findings)


def test_cjk_words_and_a_handful_of_names_without_people_context_are_not_person(
    classifier: PiiClassifier,
) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(5)
    words = [fake.word() for _ in range(N)]
    few = ["王伟", "李娜", "张敏", "刘洋"] * (N // 4)
    findings = classifier.classify(_table(("keyword", words), ("product", few)))
    assert all(not f.entities for f in findings)


@pytest.mark.parametrize(
    "value",
    [
        "中山路123号",
        "许街B座",
        "東京都港区六本木6丁目10番1号",
        "서울특별시 강남구 테헤란로 152",
        "경상남도 천안시 동남구 개포232가 164",
    ],
)
def test_cjk_addresses_read_as_addresses(value: str) -> None:
    assert cjk_address(value) is True


@pytest.mark.parametrize("value", ["北京市", "王伟", "서울특별시 강남구", "株式会社山田商事"])
def test_places_names_and_companies_are_not_addresses(value: str) -> None:
    assert not cjk_address(value)


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW", "ja_JP", "ko_KR"])
def test_a_column_of_cjk_addresses_is_street_address(
    classifier: PiiClassifier, locale: str
) -> None:
    fake = Faker(locale)
    fake.seed_instance(4)
    addresses = [fake.address().replace("\n", " ") for _ in range(N)]
    findings = classifier.classify(
        _table(("address", addresses), ("city", [fake.city() for _ in range(N)]))
    )
    by_column = {f.column: {e.entity for e in f.entities} for f in findings}
    assert by_column == {"address": {"STREET_ADDRESS"}, "city": set()}


def test_korean_prose_with_numbers_is_not_an_address(classifier: PiiClassifier) -> None:
    fake = Faker("ko_KR")
    fake.seed_instance(6)
    notes = [f"{fake.catch_phrase()} {i % 9 + 1}시에 회의실로 오세요" for i in range(N)]
    findings = classifier.classify(_table(("notes", notes)))
    assert not findings[0].entities


@pytest.mark.parametrize("name", ["notes", "c7", "이름"])
def test_korean_addresses_opening_with_two_divisions_are_addresses_under_any_name(
    classifier: PiiClassifier, name: str
) -> None:
    # Several words, so free text, which needs a name saying address, unless the values
    # open as addresses do: a province or metropolitan city, then a city, county or district.
    fake = Faker("ko_KR")
    fake.seed_instance(4)
    addresses = [fake.address().replace("\n", " ") for _ in range(N)]
    (found,) = classifier.classify(_table((name, addresses)))
    assert [e.entity for e in found.entities] == ["STREET_ADDRESS"]
    assert found.entities[0].confidence == 0.8


@pytest.mark.parametrize(
    "value",
    ["서울특별시 강남구 테헤란로 152", "경상남도 원주시 삼성008가 810-21 (보람김마을)"],
)
def test_korean_address_heads(value: str) -> None:
    assert korean_address_head(value)


@pytest.mark.parametrize(
    "value",
    [
        "저도 그 가게에 3번 갔어요",
        "서울특별시 강남구",
        "오늘 회의는 3시에 회의실로",
        "강남구 테헤란로 152",
        "저도 친구 만나서 3시간 기다렸어요",  # particle 도, and words ending as divisions do
        "그래도 역시 좋아요 5점",
    ],
)
def test_korean_prose_and_short_places_have_no_address_head(value: str) -> None:
    assert not korean_address_head(value)


@pytest.mark.parametrize(
    ("locale", "name", "fmt"),
    [("ja_JP", "生年月日", "%Y年%m月%d日"), ("zh_CN", "出生日期", "%Y年%m月%d日"),
     ("ko_KR", "생년월일", "%Y. %m. %d.")],
)  # fmt: skip
def test_dates_of_birth_written_year_first_with_markers(
    classifier: PiiClassifier, locale: str, name: str, fmt: str
) -> None:
    # The usual written forms in Japan, China and Korea: no date was read from them.
    fake = Faker(locale)
    fake.seed_instance(2)
    births = [fake.date_of_birth(minimum_age=18, maximum_age=90).strftime(fmt) for _ in range(N)]
    findings = classifier.classify(_table((name, births), ("col_2", births[::-1])))
    assert [e.entity for e in findings[0].entities] == ["DATE_OF_BIRTH"]
    assert findings[0].entities[0].evidence.rule == "birth_date.name"
    assert [e.entity for e in findings[1].entities] == ["DATE_OF_BIRTH"]


@pytest.mark.parametrize("value", ["1.2.3.4", "2023.13.01", "10.0.0.1", "2005年13月01日"])
def test_year_first_forms_that_are_no_dates(value: str) -> None:
    from classifiers.pii.profile import parse_date

    assert parse_date(value) is None


def test_known_family_names_are_name_parts_whatever_their_ending() -> None:
    # 中村 ends like a village, 中島 an island, 阿部 a department: among Japan's commonest.
    for name in ("中村", "木村", "西村", "中島", "阿部"):
        assert cjk_name_part(name) is True
    for place in ("上野村", "宮島", "総務部"):
        assert cjk_name_part(place) is False


def test_a_small_column_of_japanese_surnames_is_person(classifier: PiiClassifier) -> None:
    surnames = ["中村", "木村", "田中", "西村", "佐藤", "阿部", "中島", "鈴木", "高橋", "伊藤"] * 2
    findings = classifier.classify(_table(("姓", surnames), ("c2", [str(i) for i in range(20)])))
    assert [e.entity for e in findings[0].entities] == ["PERSON"]


def test_korean_family_names_na_and_ra_are_known() -> None:
    assert cjk_family_name("나") and cjk_family_name("라")


@pytest.mark.parametrize("locale", ["zh_CN", "ja_JP", "zh_TW"])
def test_chinese_and_japanese_family_names_alone_are_person_under_an_opaque_name(
    classifier: PiiClassifier, locale: str
) -> None:
    # As Korean ones are: 王, 佐藤 alone; under ``c3`` nothing said they were names.
    fake = Faker(locale)
    fake.seed_instance(5)
    family = [fake.last_name() for _ in range(N)]
    (found,) = classifier.classify(_table(("c3", family)))
    assert [(e.entity, e.evidence.rule) for e in found.entities] == [("PERSON", "cjk.family_names")]
    # Under a name that says something else, a suggestion from the values alone.
    (found,) = classifier.classify(_table(("start_date", family)))
    assert [(e.entity, e.evidence.rule, e.confidence) for e in found.entities] == [
        ("PERSON", "person.values_only", 0.6)
    ]
