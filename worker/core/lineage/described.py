"""How a lineage source's error messages describe a value they did not expect (pure)."""

from __future__ import annotations

from typing import Any

#: Longest shown text of a value; longer ones are cut with "...".
SHOWN_MAX = 60


def shown(value: Any) -> str:
    """``repr(value)``, cut to :data:`SHOWN_MAX` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "..."


def kind(value: Any, *, null: str, mapping: str) -> str:
    """What ``value`` is, in the source's words for nothing and for a mapping.

    A list is "a list"; a scalar is its type and :func:`shown` text (``int 3``).
    """
    if value is None:
        return null
    if isinstance(value, dict):
        return mapping
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {shown(value)}"
