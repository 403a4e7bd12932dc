"""Template filters of the review UI: shares, confidences, times, sizes and masked evidence as text.

Pure formatting of what the store holds (shares, intervals, masked examples); a sampled
value never reaches a page because none is stored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def pct(value: Any) -> str:
    """A share as a percentage: ``0.62`` → ``62%``, ``0.004`` → ``0.4%``."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return "–"
    scaled = value * 100
    if scaled == 0 or abs(scaled) >= 10:
        return f"{scaled:.0f}%"
    return f"{scaled:.1f}%"


def confidence(value: Any) -> str:
    """A confidence with two decimals (``–`` when there is none)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value:.2f}"


def when(value: Any) -> str:
    """A timestamp to the minute, in UTC."""
    if not isinstance(value, datetime):
        return "–" if value is None else str(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def day(value: Any) -> str:
    """The date of a timestamp (UTC)."""
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else when(value)


def clock(value: Any) -> str:
    """The time of day of a timestamp, to the minute (UTC)."""
    return value.strftime("%H:%M UTC") if isinstance(value, datetime) else ""


def size(value: Any) -> str:
    """A byte count for people (``12.3 MiB``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "–"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{value} B"  # pragma: no cover - the loop always returns


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_estimated(evidence: Mapping[str, Any] | None) -> bool:
    """Whether the evidence's counts are estimates (``"estimated": true``).

    Evidence stored before the field existed has none: it was counted.
    """
    return evidence is not None and evidence.get("estimated") is True


def estimated_hits(evidence: Mapping[str, Any]) -> str | None:
    """``≈ 812 of 1,000 (estimated from 224 of 1,000 distinct values)``, or ``None``.

    ``None`` for counted evidence; ``≈ ... (estimated)`` when the counts are missing.
    """
    if not is_estimated(evidence):
        return None
    hits, sampled = _count(evidence.get("hits")), _count(evidence.get("sampled"))
    matched = _count(evidence.get("matched_distinct"))
    candidates = _count(evidence.get("candidate_distinct"))
    text = f"≈ {hits:,} of {sampled:,}" if hits is not None and sampled is not None else "≈"
    if matched is not None and candidates is not None:
        return f"{text} (estimated from {matched:,} of {candidates:,} distinct values)"
    return f"{text} (estimated)"


def prevalence(evidence: Mapping[str, Any]) -> str | None:
    """``62% (55–68%)``: the prevalence and its 95% interval, when known.

    ``≈ 62% (55–68%)`` when the evidence is estimated (:func:`is_estimated`).
    """
    value = evidence.get("prevalence")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    text = ("≈ " if is_estimated(evidence) else "") + pct(value)
    interval = evidence.get("prevalence_interval")
    if (
        isinstance(interval, list | tuple)
        and len(interval) == 2
        and all(isinstance(x, int | float) for x in interval)
    ):
        low, high = pct(interval[0]).rstrip("%"), pct(interval[1])
        text += f" ({low}–{high})"
    return text


def evidence_lines(evidence: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The masked evidence as (label, text) pairs for the queue and the object page."""
    if not evidence:
        return []
    lines: list[tuple[str, str]] = []
    prev = prevalence(evidence)
    if prev is not None:
        lines.append(("prevalence", prev))
    # Estimated counts say so, with how much of the column they stand on (as DLP tools
    # report sampled findings); counted evidence keeps its lines unchanged.
    hits = estimated_hits(evidence)
    if hits is not None:
        lines.append(("hits", hits))
    rate = evidence.get("validator_pass_rate")
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        approx = "≈ " if is_estimated(evidence) else ""
        lines.append(("validator", f"{approx}{pct(rate)} pass"))
    signal = evidence.get("name_signal")
    if isinstance(signal, str) and signal:
        lines.append(("name", signal[:64]))
    business = evidence.get("business_type")
    if isinstance(business, str) and business:
        lines.append(("business type", business[:64]))
    top = evidence.get("top")
    if isinstance(top, list):
        names = []
        for item in top[:3]:
            if isinstance(item, Mapping):
                label = item.get("label") or item.get("name") or item.get("category")
                if isinstance(label, str):
                    # The probability beside each: a steward weighs 0.41 against 0.38
                    # differently from 0.80 against 0.05.
                    p = item.get("confidence")
                    known = isinstance(p, int | float) and not isinstance(p, bool)
                    names.append(label[:64] + (f" {pct(p)}" if known else ""))
        if names:
            lines.append(("categories", ", ".join(names)))
    return lines


def examples(evidence: Mapping[str, Any] | None, limit: int = 3) -> list[str]:
    """Up to ``limit`` masked examples (they are stored masked; never raw values)."""
    if not evidence:
        return []
    found = evidence.get("masked_examples")
    if not isinstance(found, list | tuple):
        return []
    return [str(x)[:64] for x in found[:limit] if isinstance(x, str)]


def change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """What an audit entry changed: ``state: pending → approved``."""
    before, after = before or {}, after or {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in ("ids", "filter"):
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        parts.append(f"{key}: {_short(old)} → {_short(new)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "–"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
