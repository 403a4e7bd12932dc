"""Shape masks: show what a value looks like without revealing any of its letters or digits.

A mask keeps the structure that helps a reviewer judge a finding (``Xxxx@xxxxx.xxx``,
``(999) 999-9999``) while every letter becomes ``x``/``X`` and every digit ``9``, so a mask can be
stored in reports and catalog descriptions like any other metadata.
"""

from __future__ import annotations

import unicodedata

from classifiers.scripts import is_cjk

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


#: The most characters of a value that an entity mask reveals (see :func:`mask_as`).
MAX_REVEALED = 8


def _stars(text: str) -> str:
    return "".join(c if not c.isalnum() else "*" for c in text)


def _keep_last(text: str, keep: int) -> str:
    """Mask every letter/digit but the last ``keep`` ones, keeping separators."""
    alnum = [i for i, c in enumerate(text) if c.isalnum()]
    shown = set(alnum[-keep:]) if keep and len(alnum) > 2 * keep else set()
    return "".join(c if (i in shown or not c.isalnum()) else "*" for i, c in enumerate(text))


def _initials(text: str) -> str:
    return " ".join(
        "*" * min(len(w), 7) if is_cjk(w[0]) else w[:1] + "*" * min(len(w) - 1, 6)
        for w in text.split()
        if w
    )


def mask_as(kind: str, value: str, max_length: int = MAX_MASK_LENGTH) -> str:
    """A reviewer's mask of ``value``, in the form ``kind`` names (an entity spec's ``mask``).

    Reveals at most :data:`MAX_REVEALED` characters, in the forms payment and identity tools
    use: ``email`` ``j***@e***.com``; ``last4`` ``***-**-6789`` (SSN), ``**** **** **** 1111``
    (card); ``iban`` ``DE** **** **** **** **30 00`` (country and last four); ``last2`` (phone);
    ``initials`` ``J*** S****`` (person); ``ip`` ``192.*.*.*`` (first part); ``stars`` every
    letter and digit starred. ``shape`` (and any other kind) gives the shape mask of
    :func:`mask_value`. Long results are cut like :func:`mask_value`.
    """
    text = value.strip()
    if kind == "email" and text.count("@") == 1:
        local, domain = text.split("@")
        host, _, tld = domain.rpartition(".")
        tld = tld if tld.isalpha() and len(tld) <= 4 else "*" * min(len(tld), 3)
        masked = f"{local[:1]}***@{host[:1]}***.{tld}" if host else f"{local[:1]}***@***"
    elif kind == "last4":
        masked = _keep_last(text, 4)
    elif kind == "iban":
        body = _keep_last(text, 4)
        masked = text[:2] + body[2:] if text[:2].isalpha() else body
    elif kind == "last2":
        masked = _keep_last(text, 2)
    elif kind == "initials":
        masked = _initials(text) or _stars(text)
    elif kind == "ip":
        sep = ":" if ":" in text else "."
        first, _, rest = text.partition(sep)
        masked = first[:4] + sep + sep.join("*" for _ in rest.split(sep))
    elif kind == "stars":
        masked = _stars(text)
    else:
        return mask_value(text, max_length)
    # Identifier masks are short by nature; an IBAN's is up to 42 characters and stays whole.
    limit = max(max_length, 42)
    if len(masked) > limit:
        masked = masked[: limit - 1] + _ELLIPSIS
    return masked
