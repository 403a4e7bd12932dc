"""From scan results to the minimal set of Atlan writes (pure: no pyatlan, no I/O).

:func:`desired_object` turns an :class:`~models.EnrichmentResult` into what the object should
look like in Atlan under the write policy; :func:`plan_object` compares that with what Atlan
has and what s3-enricher wrote last time, and keeps only the difference. The rules that
protect people's work live here, in one place:

* ``userDescription`` is never written; ``description`` only when it is empty or s3-enricher
  wrote the current text (its hash matches the one kept locally);
* tags are only appended; a tag a person added is never removed; a tag a person removed from
  s3-enricher's set is not re-applied; s3-enricher's own tags that a re-scan no longer
  supports become removal suggestions unless ``auto_remove``;
* custom metadata is rewritten only when its content (timestamp aside) changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from models import EnrichmentResult, ObjectStatus
from models.plan import CurrentObject, DesiredObject, ObjectPlan, Suggestion, WrittenState
from models.review import Decision
from worker.review.policy import CATEGORY_FACT_THRESHOLD, DecisionKey, review_outcome
from worker.settings import AtlanSettings, ReviewSettings

#: Custom metadata attributes of s3-enricher's set: display name -> (type, multi-valued).
CM_ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "PII entities": ("string", True),
    "Column findings": ("string", True),
    "Format": ("string", False),
    "Compression": ("string", False),
    "Row count": ("int", False),
    "Schema": ("string", True),
    "Classifier versions": ("string", False),
    "Evidence summary": ("string", False),
    "Category": ("string", False),
    "Review state": ("string", False),
    "Reviewed by": ("string", False),
    "Results updated at": ("date", False),
}
#: Attributes that change on every write and must not count as a change themselves.
_VOLATILE = frozenset({"Results updated at"})
#: Atlan limits a string attribute; keep ours well below.
_MAX_TEXT = 900
_MAX_DESCRIPTION = 300


def sha256(text: str) -> str:
    """Hex sha256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cm_hash(values: Mapping[str, Any]) -> str:
    """Hash of custom metadata content, volatile attributes excluded."""
    stable = {k: v for k, v in values.items() if k not in _VOLATILE}
    return sha256(json.dumps(stable, sort_keys=True, default=str))


def object_qualified_name(connection_qn: str, bucket: str, key: str) -> str:
    """The qualified name ``S3Object.creator_with_prefix`` gives ``bucket/key``."""
    return f"{connection_qn}/{bucket}/{key}"


def bucket_qualified_name(connection_qn: str, bucket: str) -> str:
    """The qualified name ``S3Bucket.creator`` gives a bucket."""
    return f"{connection_qn}/{bucket}"


def _finding_line(name: str, entity: str, confidence: float, prevalence: float, n: int) -> str:
    return f"{name} → {entity} {confidence:.2f}, {prevalence:.0%} of {n:,} sampled"


def _description(result: EnrichmentResult, applied: list[tuple[str, str]]) -> str:
    sample = result.sample
    parts: list[str] = []
    if sample is not None:
        fmt = sample.format.upper() if sample.format in ("csv", "tsv") else sample.format.title()
        if sample.compression:
            fmt += f" ({sample.compression})"
        rows = sample.row_count
        rows_text = ""
        if rows is not None:
            rows_text = f"{'~' if sample.row_count_estimated else ''}{rows:,} rows, "
        parts.append(f"{fmt}, {rows_text}{len(sample.columns)} columns.")
    pii = sorted({f"{col} ({entity})" for col, entity in applied})
    if pii:
        listed = ", ".join(pii[:4]) + (f" and {len(pii) - 4} more" if len(pii) > 4 else "")
        parts.append(f"PII: {listed}.")
    else:
        parts.append("No PII found in the sample.")
    parts.append("Scanned by s3-enricher.")
    text = " ".join(parts)
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def desired_object(
    result: EnrichmentResult,
    settings: AtlanSettings,
    now: datetime | None = None,
    region: str | None = None,
    glossary_terms: Mapping[str, str] | None = None,
    decisions: Mapping[DecisionKey, Decision] | None = None,
    rules: ReviewSettings | None = None,
) -> DesiredObject | None:
    """What ``result``'s object should look like in Atlan, or ``None`` if it is not written.

    Only classified ``s3://`` objects are written (local files have no Atlan asset). Under
    ``auto`` findings at or above their entity's threshold become tags and the rest
    suggestions; under ``suggest`` every finding is a suggestion; under ``off`` nothing.
    Columns whose business type maps to a glossary term (``glossary_terms``) add a term
    suggestion (S3 objects have no columns in Atlan, so the term is suggested on the object).
    Stewards' ``decisions`` win over both (see :mod:`worker.review.policy`).
    """
    if settings.write_policy == "off" or result.status is not ObjectStatus.CLASSIFIED:
        return None
    if result.ref.scheme != "s3" or result.info is None:
        return None
    info, sample = result.info, result.sample
    bucket, key = result.ref.bucket, result.ref.key
    now = now or datetime.now(UTC)
    attributes: dict[str, Any] = {
        "s3_object_size": info.size,
        "s3_e_tag": info.etag.strip('"'),
        "s3_object_key": key,
        "s3_bucket_name": bucket,
        "cloud_uniform_resource_name": f"arn:aws:s3:::{bucket}/{key}",
    }
    if info.last_modified is not None:
        attributes["s3_object_last_modified_time"] = int(info.last_modified.timestamp() * 1000)
    for attr, value in (
        ("aws_region", region),
        ("s3_object_content_type", info.content_type),
        ("s3_object_storage_class", info.storage_class),
        ("s3_object_version_id", info.version_id),
    ):
        if value:  # never send None: it would clear the field
            attributes[attr] = value
    outcome = review_outcome(result, settings, decisions, glossary_terms, rules)
    tags, applied, suggestions = outcome.tags, outcome.applied, outcome.suggestions
    lines: list[str] = []
    entities: set[str] = set()
    n = sample.rows_sampled if sample is not None else 0
    for column in result.columns:
        for finding in column.entities:
            if (column.column, finding.entity) in outcome.rejected:
                continue  # a steward said it is not this entity
            entities.add(finding.entity)
            sampled = finding.evidence.sampled or n
            lines.append(
                _finding_line(
                    column.column, finding.entity, finding.confidence, finding.prevalence, sampled
                )
            )
    cm: dict[str, Any] = {
        "PII entities": sorted(entities),
        "Column findings": [line[:_MAX_TEXT] for line in lines],
        "Classifier versions": "; ".join(
            f"{k}={v}" for k, v in sorted(result.classifier_versions.items())
        )[:_MAX_TEXT],
        "Review state": "pending review" if suggestions else ("applied" if tags else "no PII"),
        "Results updated at": int(now.timestamp() * 1000),
    }
    if result.categories:
        top = result.categories[0]
        state = (
            " (confirmed by a steward)"
            if outcome.category_confirmed
            else ""
            if top.confidence >= CATEGORY_FACT_THRESHOLD
            else " (suggested)"
        )
        cm["Category"] = f"{top.label} {top.confidence:.2f}{state}"
    if sample is not None:
        cm["Format"] = sample.format
        if sample.compression:
            cm["Compression"] = sample.compression
        if sample.row_count is not None:
            cm["Row count"] = sample.row_count
        cm["Schema"] = [f"{c.name}: {c.data_type}"[:200] for c in sample.columns[:200]]
        pii_cols = sum(1 for c in result.columns if c.entities)
        cm["Evidence summary"] = (
            f"{pii_cols} PII column(s); {sample.rows_sampled:,} rows sampled "
            f"({sample.sampling.method}); {len(tags)} tag(s) applied, "
            f"{len(suggestions)} suggestion(s)"
        )
    return DesiredObject(
        object_uri=result.ref.uri,
        bucket=bucket,
        key=key,
        region=region,
        attributes=attributes,
        description=result.description or _description(result, applied),
        tags=frozenset(tags),
        custom_metadata=cm,
        suggestions=tuple(suggestions),
    )


def plan_object(
    desired: DesiredObject,
    current: CurrentObject | None,
    written: WrittenState | None,
    connection_qn: str,
    auto_remove: bool = False,
    managed_tags: frozenset[str] = frozenset(),
    umbrella: str | None = None,
) -> ObjectPlan:
    """The minimal writes that bring Atlan to ``desired`` without undoing people's work.

    :param managed_tags: every tag s3-enricher may apply; one of them that a person added in
        Atlan is reported in ``person_added`` (a decision the review store records).
    """
    qn = object_qualified_name(connection_qn, desired.bucket, desired.key)
    prefix, _, name = desired.key.rpartition("/")
    plan = ObjectPlan(
        qualified_name=qn,
        name=name,
        bucket_qualified_name=bucket_qualified_name(connection_qn, desired.bucket),
        bucket=desired.bucket,
        prefix=prefix,
        create=current is None,
        object_uri=desired.object_uri,
    )
    skipped: list[str] = []
    if current is None:
        plan.attributes = dict(desired.attributes)
    else:
        plan.attributes = {
            k: v for k, v in desired.attributes.items() if current.attributes.get(k) != v
        }
    # Description: ours to write only if empty or the text is the one we wrote.
    current_text = current.description if current is not None else None
    if desired.description != current_text:
        ours = (
            written is not None
            and written.description_hash is not None
            and current_text is not None
            and sha256(current_text) == written.description_hash
        )
        if not current_text or ours:
            plan.description = desired.description
        else:
            skipped.append("description: edited in Atlan by a person, left as it is")
    # Tags: append only; respect what people added and removed.
    direct = current.direct_tags if current is not None else frozenset()
    ours_before = written.tags if written is not None else frozenset()
    add = set(desired.tags - direct)
    if current is not None:
        removed_by_person = {t for t in add if t in ours_before}
        for tag in sorted(removed_by_person):
            skipped.append(f"tag {tag!r}: removed in Atlan by a person, not re-applied")
        add -= removed_by_person
        plan.person_removed = frozenset(removed_by_person)
        plan.person_added = frozenset(
            t for t in direct - ours_before if t in managed_tags and t != umbrella
        )
    plan.add_tags = frozenset(add)
    stale = (ours_before - desired.tags) & direct
    suggestions = [replace(s, qualified_name=qn) for s in desired.suggestions]
    if auto_remove:
        plan.remove_tags = frozenset(stale)
    else:
        suggestions.extend(
            Suggestion(
                desired.object_uri,
                qn,
                "tag-removal",
                tag,
                None,
                None,
                None,
                "s3-enricher applied this tag; the latest scan no longer supports it",
            )
            for tag in sorted(stale)
        )
    plan.suggestions = tuple(suggestions)
    # Custom metadata: only when its content changed (or the asset is new).
    if (
        current is None
        or written is None
        or written.custom_metadata_hash != cm_hash(desired.custom_metadata)
    ):
        plan.custom_metadata = dict(desired.custom_metadata)
    plan.skipped = tuple(skipped)
    return plan


def written_after(
    plan: ObjectPlan, desired: DesiredObject, before: WrittenState | None
) -> WrittenState:
    """What s3-enricher has written once ``plan`` succeeded (stored in the local catalog)."""
    tags = set(before.tags if before is not None else ()) | set(plan.add_tags)
    tags -= set(plan.remove_tags)
    description_hash = before.description_hash if before is not None else None
    if plan.description is not None:
        description_hash = sha256(plan.description)
    cm = cm_hash(desired.custom_metadata)
    return WrittenState(plan.qualified_name, description_hash, frozenset(tags), cm)
