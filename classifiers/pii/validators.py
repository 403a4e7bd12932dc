"""Check-digit validators for identifier formats (pure functions, no I/O)."""

from __future__ import annotations


def luhn_check_digit(payload: str) -> int:
    """The Luhn check digit that completes the decimal string ``payload``.

    :raises ValueError: ``payload`` holds a character that is not a decimal digit.
    """
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """Whether the decimal string ``number`` (at least two digits) passes the Luhn check."""
    if len(number) < 2 or not number.isdecimal() or not number.isascii():
        return False
    return luhn_check_digit(number[:-1]) == int(number[-1])
