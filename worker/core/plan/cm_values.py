"""Custom metadata values as Atlas checks them (``EntityGraphMapper.validateBusinessAttributes``).

Atlas refuses a whole bulk request (404 ``ATLAS-404-00-007``) when one value does not fit its
attribute: ``int`` is 32-bit, ``long``/``date`` 64-bit, strings have ``maxStrLength``. The
writer leaves such a value out, with a warning, rather than losing the asset's write.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def missing_attributes(definition: Any, wanted: Iterable[str]) -> list[str]:
    """The ``wanted`` display names a custom metadata set does not define, in order."""
    have = {str(a.display_name) for a in getattr(definition, "attribute_defs", None) or []}
    return [name for name in wanted if name not in have]


def attribute_kinds(definition: Any) -> dict[str, tuple[str, int | None]]:
    """Display name -> (Atlas type name, maximum string length) of a custom metadata set."""
    kinds: dict[str, tuple[str, int | None]] = {}
    for a in getattr(definition, "attribute_defs", None) or []:
        limit = str(a.options.max_str_length or "") if a.options is not None else ""
        kinds[str(a.display_name)] = (
            str(a.type_name or ""),
            int(limit) if limit.isdigit() else None,
        )
    return kinds


def value_problem(kind: str, max_len: int | None, value: Any) -> str | None:
    """Why Atlas would reject ``value`` for an attribute of type ``kind``, or None."""
    kind = kind.lower()
    if kind.startswith("array<") and kind.endswith(">"):
        inner = kind[len("array<") : -1]
        if not isinstance(value, list):
            return "a list is expected"
        for item in value:
            problem = value_problem(inner, max_len, item)
            if problem is not None:
                return problem
        return None
    if kind in ("int", "short", "byte"):
        lo, hi = _INT32
        if isinstance(value, bool) or not isinstance(value, int):
            return "a whole number is expected"
        if not lo <= value <= hi:
            return f"{value:,} is beyond Atlan's 32-bit integer range; left out"
    if kind in ("long", "date"):
        lo, hi = _INT64
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            return "a 64-bit whole number is expected"
    if kind == "string" and isinstance(value, str) and max_len is not None and len(value) > max_len:
        return f"longer than Atlan's limit of {max_len:,} characters; left out"
    return None
