"""Plain-English descriptions of objects and columns, from findings and statistics only.

Deterministic (same input, same text), at most 300 characters for an object, and free of
sampled values: it names formats, counts, column names, entity and type labels, and the time
range a date column spans (dates are metadata of the dataset, not of a person, except in a
DATE_OF_BIRTH column, whose range is never given).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from models import ColumnFinding, LabelScore, TableSample

MAX_OBJECT = 300
_PARTITION = re.compile(r"(?:^|/)([A-Za-z_][\w-]*)=[^/]+")
_ROLE_ORDER = ("identifier", "amount", "timestamp", "date", "country", "quantity")


def _fmt(sample: TableSample) -> str:
    name = {"csv": "CSV", "tsv": "TSV", "jsonl": "JSON Lines"}.get(
        sample.format, sample.format.title()
    )
    return f"{name} ({sample.compression})" if sample.compression else name


def _time_range(sample: TableSample, findings: Sequence[ColumnFinding]) -> str | None:
    pii = {f.column for f in findings if f.entities}
    for column in sample.columns:
        if column.name in pii or column.data_type not in ("date", "timestamp"):
            continue
        days = [
            v.date() if isinstance(v, datetime) else v for v in column.values if isinstance(v, date)
        ]
        if len(days) >= 2:
            return f"{min(days).isoformat()} to {max(days).isoformat()} ({column.name})"
    return None


def describe_object(
    sample: TableSample,
    findings: Sequence[ColumnFinding],
    categories: Sequence[LabelScore] = (),
) -> str:
    """One short paragraph: what it is, its category, its PII, its notable columns."""
    rows = ""
    if sample.row_count is not None:
        rows = f"{'~' if sample.row_count_estimated else ''}{sample.row_count:,} rows, "
    parts = [f"{_fmt(sample)}, {rows}{len(sample.columns)} columns"]
    partitions = _PARTITION.findall(sample.info.ref.key)
    if partitions:
        parts[0] += ", partitioned by " + ", ".join(dict.fromkeys(partitions))
    parts[0] += "."
    if categories:
        top = categories[0]
        # A category the values contradict the names of is not stated as a fact however
        # sure the model is (as the review policy does not apply it). Imported here: the
        # business package loads numpy.
        from classifiers.business.contradictions import doubted_names

        if top.confidence >= 0.7 and not doubted_names(findings, top):
            parts.append(f"{top.label.capitalize()} data.")
        else:
            parts.append(f"Probably {top.label} data.")
    span = _time_range(sample, findings)
    if span:
        parts.append(f"Dates {span}.")
    pii = sorted({f"{f.column} ({e.entity})" for f in findings for e in f.entities[:1]})
    if pii:
        more = f" and {len(pii) - 3} more" if len(pii) > 3 else ""
        parts.append("PII: " + ", ".join(pii[:3]) + more + ".")
    else:
        parts.append("No PII found in the sample.")
    roles = [
        f"{f.column} ({f.business_type.label})"
        for role in _ROLE_ORDER
        for f in findings
        if f.business_type is not None and f.business_type.label == role and not f.entities
    ]
    if roles:
        parts.append("Key columns: " + ", ".join(dict.fromkeys(roles[:3])) + ".")
    text = " ".join(parts)
    while len(text) > MAX_OBJECT and len(parts) > 2:
        parts.pop()
        text = " ".join(parts)
    return text if len(text) <= MAX_OBJECT else text[: MAX_OBJECT - 1] + "…"


def describe_column(finding: ColumnFinding) -> str:
    """One line for a column: its type, business role and PII, no values."""
    text = f"{finding.column}: {finding.data_type}"
    if finding.business_type is not None:
        text += f", {finding.business_type.label.replace('_', ' ')}"
    if finding.entities:
        e = finding.entities[0]
        text += f"; {e.entity} ({e.confidence:.2f}, {e.prevalence:.0%} of sampled values)"
    return text
