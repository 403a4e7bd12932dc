"""Given names alone in CJK characters, beside their family names (issue 16).

A column of ``秀英``, ``翔太`` or ``민준`` under an opaque or misleading name went unfound: the
values are too short to read as whole names, and many words look the same. Beside a column
of family names they are PERSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import mimesis
import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii.cjk_names import _GIVEN_MIMESIS, cjk_given_name
from models import ColumnSample, TableSample
from tests.support.tables import table_sample

N = 120


def _table(*cols: tuple[str, list[str]]) -> TableSample:
    return table_sample(
        (ColumnSample(n, "string", tuple(v)) for n, v in cols), "s3://lake/t/part-0.parquet"
    )


def _person(classifier: PiiClassifier, table: TableSample, column: str) -> list[tuple[float, str]]:
    finding = next(f for f in classifier.classify(table) if f.column == column)
    return [(e.confidence, e.evidence.rule or "") for e in finding.entities if e.entity == "PERSON"]


def test_the_mimesis_characters_are_those_of_the_installed_mimesis() -> None:
    # The literal is derived, not edited: rebuild it from mimesis when mimesis changes.
    root = Path(mimesis.__file__).parent / "datasets"
    given: set[str] = set()
    for locale in ("ja", "zh", "ko"):
        names = json.loads((root / locale / "person.json").read_text("utf-8"))["names"]
        for values in names.values():
            given.update(values)
    assert "".join(sorted(set("".join(given)))) == _GIVEN_MIMESIS


@pytest.mark.parametrize(
    "value", ["秀英", "伟", "翔太", "くみ子", "菜々子", "さゆり", "민준", "영자"]
)
def test_given_names_read_as_such(value: str) -> None:
    assert cjk_given_name(value) is True


@pytest.mark.parametrize("value", ["海门市", "销售部", "수원시", "한국語", "電腦", "コーラ", "ー"])
def test_places_departments_mixed_scripts_rare_characters_and_katakana_are_not(
    value: str,
) -> None:
    # Katakana alone are loanwords (``コーラ``, ``ケーキ``), and ``ー`` a placeholder.
    assert cjk_given_name(value) is False


@pytest.mark.parametrize("value", ["Anna", "王秀英伟", "", "秀 英", "영수1"])
def test_other_text_is_not_for_this_reader(value: str) -> None:
    assert cjk_given_name(value) is None


@pytest.mark.parametrize("locale", ["zh_CN", "ja_JP", "ko_KR"])
@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("c1", "c2"), (0.75, "cjk.given_names")),
        # ``status`` says its surnames are no people: they are family names all the same.
        (("status", "amount"), (0.75, "cjk.given_names")),
        # ``region`` de-rates PERSON: the values alone decide, as a values-only suggestion.
        (("sku", "region"), (0.6, "person.values_only")),
    ],
)
def test_given_names_beside_family_names_are_a_person_suggestion(
    classifier: PiiClassifier,
    locale: str,
    names: tuple[str, str],
    expected: tuple[float, str],
) -> None:
    fake = Faker(locale)
    fake.seed_instance(5)
    table = _table(
        (names[0], [fake.last_name() for _ in range(N)]),
        (names[1], [fake.first_name() for _ in range(N)]),
    )
    assert _person(classifier, table, names[1]) == [expected]


@pytest.mark.parametrize("seed", range(10))
def test_small_japanese_tables_keep_their_given_names(classifier: PiiClassifier, seed: int) -> None:
    # Fifty rows: Faker's Japanese given names, a few in hiragana alone (``さゆり``), clear
    # the bar in every seed.
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    table = _table(
        ("c1", [fake.last_name() for _ in range(50)]),
        ("c2", [fake.first_name() for _ in range(50)]),
    )
    assert _person(classifier, table, "c2") == [(0.75, "cjk.given_names")]


@pytest.mark.parametrize("locale", ["zh_CN", "ja_JP", "ko_KR"])
def test_given_names_alone_stay_unfound(classifier: PiiClassifier, locale: str) -> None:
    # Without family names beside them, nothing tells them from words.
    fake = Faker(locale)
    fake.seed_instance(5)
    table = _table(
        ("c1", [fake.email() for _ in range(N)]),
        ("c2", [fake.first_name() for _ in range(N)]),
    )
    assert _person(classifier, table, "c2") == []


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW", "ja_JP", "ko_KR"])
@pytest.mark.parametrize("provider", ["word", "city", "job", "country", "street_name"])
def test_other_text_beside_family_names_is_no_person(
    classifier: PiiClassifier, locale: str, provider: str
) -> None:
    fake = Faker(locale)
    fake.seed_instance(8)
    values = [str(getattr(fake, provider)()) for _ in range(N)]
    table = _table(("c1", [fake.last_name() for _ in range(N)]), ("c2", values))
    assert _person(classifier, table, "c2") == []


@pytest.mark.parametrize(
    "values",
    [
        ["一", "二", "三", "五", "七", "八"],  # numerals
        ["春", "夏", "秋", "冬"],  # seasons
        ["中国"] * 12 + ["日本", "美国", "英国", "法国", "德国", "韩国", "印度"],  # countries
        ["한국"] * 12 + ["미국", "중국", "일본", "영국", "독일"],
        ["コーラ", "ミルク", "カレー", "ケーキ", "ライス"],  # menu words
        ["あか", "あお", "しろ", "くろ", "みどり"],  # colours
        ["和", "洋", "中", "華", "美", "光"],
        ["はい", "あり", "なし"],
        ["ー"] * 20 + ["花子", "太郎"],  # mostly "none"
        # Katakana words (a menu): no given names, however many.
        "コーラ ミルク カレー ケーキ ライス スープ サラダ パン ピザ パスタ ステーキ ハンバーグ "
        "コーヒー ジュース ワイン ビール チーズ バター トースト カツ ラーメン うどん そば "
        "アイス プリン".split(),
    ],
)
def test_enums_beside_family_names_are_no_person(
    classifier: PiiClassifier, values: list[str]
) -> None:
    # A few frequent values written in characters of given names: an enum, not names.
    fake = Faker("zh_CN")
    fake.seed_instance(10)
    column = [values[i % len(values)] for i in range(N)]
    table = _table(("c1", [fake.last_name() for _ in range(N)]), ("c2", column))
    assert _person(classifier, table, "c2") == []


def test_frequent_name_like_values_among_many_others_are_no_given_names(
    classifier: PiiClassifier,
) -> None:
    # Twenty-five values written in names' characters fill most rows (words such as ``国家``
    # are, too); thirty others, once each, are not: most distinct values are no given names,
    # so the column is none, whatever the share of the rows.
    fake = Faker("zh_CN")
    fake.seed_instance(12)
    frequent = sorted({fake.first_name() for _ in range(400)})[:25]
    others = [f"{fake.city_name()}市" for _ in range(30)]
    column = frequent * 12 + others
    table = _table(("c1", [fake.last_name() for _ in column]), ("c2", column))
    assert len(set(frequent)) == 25 and len(set(others)) >= 25
    assert _person(classifier, table, "c2") == []


def test_a_sex_column_beside_family_names_is_no_person(classifier: PiiClassifier) -> None:
    fake = Faker("zh_CN")
    fake.seed_instance(9)
    table = _table(
        ("c1", [fake.last_name() for _ in range(N)]),
        ("c2", ["男" if i % 2 else "女" for i in range(N)]),
    )
    assert _person(classifier, table, "c2") == []
