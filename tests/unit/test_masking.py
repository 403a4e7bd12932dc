from __future__ import annotations

import pytest

from classifiers.masking import MAX_MASK_LENGTH, mask_as, mask_char, mask_value

ALLOWED_MASK_ALNUM = set("xX9")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("john.doe@example.com", "xxxx.xxx@xxxxxxx.xxx"),
        ("John Smith", "Xxxx Xxxxx"),
        ("(555) 123-4567", "(999) 999-9999"),
        ("123-45-6789", "999-99-9999"),
        ("DE89 3704 0044", "XX99 9999 9999"),
        ("", ""),
        (123456789, "999999999"),
        (b"AB-12", "XX-99"),
        ("Zoë Ångström", "Xxx Xxxxxxxx"),
        ("東京 ٣٤", "xx 99"),
        ("line1\tline2\n", "xxxx9 xxxx9 "),
        ("½ ⅫIV", "9 9XX"),
    ],
)
def test_mask_value_shapes(value: object, expected: str) -> None:
    assert mask_value(value) == expected


def test_long_values_are_truncated_with_ellipsis() -> None:
    masked = mask_value("a" * 100)
    assert len(masked) == MAX_MASK_LENGTH
    assert masked == "x" * (MAX_MASK_LENGTH - 1) + "…"
    assert mask_value("a" * MAX_MASK_LENGTH) == "x" * MAX_MASK_LENGTH


def test_custom_max_length_and_validation() -> None:
    assert mask_value("abcdef", max_length=4) == "xxx…"
    with pytest.raises(ValueError):
        mask_value("abc", max_length=1)


@pytest.mark.parametrize(
    "value",
    [
        "Jane Q. Public, 1234 Elm Street Apt 5, Springfield IL 62704",
        "jörg.müller+tag@beispiel-firma.de",
        "4111 1111 1111 1111",
        "e\u0301clair \x00\x07 caf\u00e9",  # combining accent and control characters
        "Ⅻ ⅷ ①②③ ¼ 𝟘𝟙",
    ],
)
def test_no_original_letter_or_digit_survives(value: str) -> None:
    masked = mask_value(value, max_length=200)
    for char in masked:
        assert not char.isalnum() or char in ALLOWED_MASK_ALNUM, (char, masked)
    originals = {c for c in value if c.isalnum()} - ALLOWED_MASK_ALNUM
    assert not originals & set(masked)


def test_mask_char_keeps_punctuation_and_symbols() -> None:
    assert [mask_char(c) for c in "@.-_/:+#€"] == list("@.-_/:+#€")
    assert mask_char("\u0301") == "?"
    assert mask_char("\x00") == "?"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("email", "jane@example.org", "j***@e***.org"),
        ("email", "not-an-address", "xxx-xx-xxxxxxx"),
        ("last4", "123-45-6789", "***-**-6789"),
        ("iban", "GB82WEST12345698765432", "GB" + "*" * 16 + "5432"),
        ("last2", "+49 30 1234567", "+** ** *****67"),
        ("initials", "Jane Doe", "J*** D**"),
        # One CJK character is a whole family name: nothing is revealed.
        ("initials", "王小明", "***"),
        ("initials", "佐藤 太郎", "** **"),
        ("ip", "2001:db8::1", "2001:*:*:*"),
        ("stars", "S1234567D", "*********"),
        ("shape", "Ab-12", "Xx-99"),
        ("unknown", "Ab-12", "Xx-99"),
    ],
)
def test_mask_as_each_kind(kind: str, value: str, expected: str) -> None:
    assert mask_as(kind, value) == expected
