"""Check-digit validators."""

from __future__ import annotations

import pytest

from classifiers.pii.validators import luhn_check_digit, luhn_valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("79927398713", True),
        ("5500005555555559", True),
        ("4111111111111112", False),
        ("79927398710", False),
        ("", False),
        ("0", False),
        ("4111-1111-1111-1111", False),
        ("４１１１１１１１１１１１１１１１", False),  # full-width digits are not ASCII
    ],
)
def test_luhn_valid(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


def test_luhn_check_digit_completes_payload() -> None:
    assert luhn_check_digit("7992739871") == 3
    with pytest.raises(ValueError):
        luhn_check_digit("12a")
