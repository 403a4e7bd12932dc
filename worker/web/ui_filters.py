"""The review queue's filter in query strings and forms: parsing, clamping, and building URLs.

:func:`parse_filter` reads what :func:`filter_params` writes, so a page's links and forms
carry the same filter; bad values become messages for the page, never errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from models.review import SuggestionFilter, SuggestionState

#: The state menu of the queue ("any": every state).
STATE_CHOICES = ("pending", "approved", "rejected", "applied", "superseded", "any")
SORT_LABELS = {
    "-confidence": "Confidence, highest first",
    "confidence": "Confidence, lowest first",
    "-last_seen": "Last seen, newest first",
    "last_seen": "Last seen, oldest first",
    "object": "Object and column",
    "-first_seen": "First seen, newest first",
}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_LIMIT = 50
MAX_TEXT = 2048


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    return value[:MAX_TEXT] or None


def _share(params: Mapping[str, str], name: str, label: str, errors: list[str]) -> float | None:
    raw = _text(params, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(f"{label} must be a number between 0 and 1")
        return None
    if not 0 <= value <= 1:
        errors.append(f"{label} must be between 0 and 1")
        return None
    return value


def parse_int(raw: str | None, default: int, low: int, high: int) -> int:
    """An integer query or form value, clamped to ``low``..``high`` (``default`` if absent)."""
    try:
        value = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        value = default
    return max(low, min(value, high))


def parse_filter(params: Mapping[str, str]) -> tuple[SuggestionFilter, list[str]]:
    """The suggestion filter of a query string or form, and what was wrong with it."""
    errors: list[str] = []
    state_text = _text(params, "state") or "pending"
    state: SuggestionState | None
    if state_text == "any":
        state = None
    else:
        try:
            state = SuggestionState(state_text)
        except ValueError:
            errors.append(f"unknown state {state_text!r}")
            state = SuggestionState.PENDING
    low = _share(params, "min_confidence", "minimum confidence", errors)
    high = _share(params, "max_confidence", "maximum confidence", errors)
    f = SuggestionFilter(
        state=state,
        kind=_text(params, "kind"),
        entity=_text(params, "entity"),
        tag=_text(params, "tag"),
        uri_pattern=_text(params, "uri_pattern"),
        min_confidence=low,
        max_confidence=high,
        classifier_version=_text(params, "classifier_version"),
        object_uri=_text(params, "object_uri"),
        column=_text(params, "column"),
    )
    return f, errors


def filter_params(f: SuggestionFilter) -> list[tuple[str, str]]:
    """The query-string form of ``f`` (what :func:`parse_filter` reads back)."""
    out = [("state", f.state.value if f.state is not None else "any")]
    for name in (
        "kind",
        "entity",
        "tag",
        "uri_pattern",
        "min_confidence",
        "max_confidence",
        "classifier_version",
        "object_uri",
        "column",
    ):
        value = getattr(f, name)
        if value is None or value == "":
            continue
        out.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    return out


def queue_url(
    f: SuggestionFilter, sort: str = "-confidence", offset: int = 0, limit: int = 0
) -> str:
    """The queue page showing ``f``."""
    params = filter_params(f)
    if sort != "-confidence":
        params.append(("sort", sort))
    if limit and limit != DEFAULT_LIMIT:
        params.append(("limit", str(limit)))
    if offset:
        params.append(("offset", str(offset)))
    return "/queue?" + urlencode(params)
