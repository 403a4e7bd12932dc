"""The international phone check without phonenumbers' parser equals the one with it."""

from __future__ import annotations

import random

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.pii import validators as v

LOCALES = (
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_IN", "en_AU",
    "ja_JP", "zh_CN", "ko_KR", "ru_RU", "pl_PL", "sv_SE", "tr_TR", "ar_EG", "he_IL", "fi_FI",
    "da_DK", "no_NO", "cs_CZ", "hu_HU", "el_GR", "ro_RO", "uk_UA", "th_TH", "id_ID", "vi_VN",
)  # fmt: skip

#: Numbers that take each branch: a national prefix phonenumbers strips (+44 (0)20 ...,
#: +1 1 ..., +39 0 kept in Italy), non-geographic codes, codes of one, two and three digits,
#: no code at all, too short and too long national numbers.
EDGES = (
    "+44 20 7946 0958", "+44 (0)20 7946 0958", "+44 020 7946 0958", "+1 415 555 2671",
    "+1 1 415 555 2671", "+1-202-555-0143", "+39 06 6982 1234", "+39 347 123 4567",
    "+49 30 901820", "+49 030 901820", "+33 1 42 68 53 00", "+33 01 42 68 53 00",
    "+800 1234 5678", "+882 1234 5678", "+979 123 456 789", "+7 495 123 45 67",
    "+7 8 495 123 45 67", "+61 2 9374 4000", "+61 02 9374 4000", "+55 11 91234 5678",
    "+91 98765 43210", "+65 6123 4567", "+0 123 456 789", "+999 123 456 789", "+28 1234567",
    "+1 2", "+44 1", "+12345678901234567890", "+44 (20) 7946-0958", "+1 (415) 555-2671.",
    "+86 10 1234 5678", "+86 010 1234 5678", "+31 20 123 4567", "+34 912 34 56 78",
)  # fmt: skip


def _international_forms(seed: int, count: int) -> list[str]:
    """Faker's numbers of many locales, written with a plus and their country code."""
    rng = random.Random(seed)
    out = []
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        for _ in range(count):
            raw = fake.phone_number()
            digits = "".join(ch for ch in raw if ch.isdigit())
            if raw.startswith("+"):
                out.append(raw)
            code = rng.choice(["1", "44", "49", "33", "39", "7", "86", "81", "91", "358", "420"])
            sep = rng.choice([" ", "-", ".", ""])
            groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
            out.append("+" + code + sep + sep.join(groups))
            out.append("+" + digits)
    return out


@pytest.mark.parametrize("number", EDGES)
def test_edges_equal_the_parser(number: str) -> None:
    assert v._international_valid(number) == v._parsed_valid(number)


def test_fakers_numbers_equal_the_parser() -> None:
    numbers = _international_forms(seed=7, count=25)
    assert len(numbers) > 1000
    differ = [n for n in numbers if v._international_valid(n) != v._parsed_valid(n)]
    assert differ == []
    # Both outcomes occur, so the comparison is not of a constant.
    assert {v._international_valid(n) for n in numbers} == {True, False}


@pytest.mark.parametrize("number", ["+44 20 7946 0958", "+1-202-555-0143", "+39 06 6982 1234"])
def test_common_numbers_skip_the_parser(number: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The speed-up: a number without a national prefix to strip is never parsed.
    expected = v._parsed_valid(number)

    def parser(_: str) -> bool:
        raise AssertionError("parsed")

    monkeypatch.setattr(v, "_parsed_valid", parser)
    assert v._international_valid(number) is expected


def test_a_strippable_national_prefix_goes_to_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def parser(number: str) -> bool:
        seen.append(number)
        return False

    monkeypatch.setattr(v, "_parsed_valid", parser)
    v._international_valid("+44 (0)20 7946 0958")
    assert seen == ["+44 (0)20 7946 0958"]


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\+[0-9][0-9 ().\-/]{5,22}", fullmatch=True))
def test_any_plus_number_equals_the_parser(number: str) -> None:
    assert v._international_valid(number) == v._parsed_valid(number)
