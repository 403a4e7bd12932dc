"""Shape masks: show what a value looks like without revealing any of its letters or digits.

A mask keeps the structure that helps a reviewer judge a finding (``Xxxx@xxxxx.xxx``,
``(999) 999-9999``) while every letter becomes ``x``/``X`` and every digit ``9``, so a mask can be
stored in reports and catalog descriptions like any other metadata.
"""

from __future__ import annotations

import unicodedata

#: The longest mask returned, the ellipsis included.
MAX_MASK_LENGTH = 24

_ELLIPSIS = "…"


def mask_char(char: str) -> str:
    """Return the mask of one character.

    Letters (any script) become ``X`` when upper-case and ``x`` otherwise; anything numeric
    (ASCII digits, other decimal digits, ``½``, ``Ⅻ``) becomes ``9``; whitespace becomes a space so
    that masks stay on one line; every other character (punctuation, symbols) is kept, because it
    is not part of the identifying content.
    """
    if char.isalpha():
        return "X" if char.isupper() else "x"
    if char.isnumeric():
        return "9"
    if char.isspace():
        return " "
    # Characters that are neither letters, numbers, spaces nor printable symbols (control
    # characters, combining marks of decomposed letters) could leak or garble a report.
    if not char.isprintable() or unicodedata.combining(char):
        return "?"
    return char


def mask_value(value: object, max_length: int = MAX_MASK_LENGTH) -> str:
    """Return the shape mask of ``value`` (rendered with ``str``; bytes decoded as UTF-8).

    The result never contains a letter or digit of the original: see :func:`mask_char`. Values
    longer than ``max_length`` are cut to ``max_length - 1`` masked characters followed by ``…``.

    :raises ValueError: ``max_length`` is smaller than 2.
    """
    if max_length < 2:
        raise ValueError("max_length must be at least 2")
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = str(value)
    if len(text) > max_length:
        return "".join(mask_char(c) for c in text[: max_length - 1]) + _ELLIPSIS
    return "".join(mask_char(c) for c in text)
