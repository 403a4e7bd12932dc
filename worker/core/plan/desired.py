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
* custom metadata is rewritten only when its content (timestamp aside) changed;
* search is near-real-time: what s3-enricher wrote is trusted over what search shows until
  search shows a later change and the lag window has passed (:func:`search_speaks_for`), so
  a lagging index never reads as a person's removal;
* an archived asset whose object exists again is restored (``status: ACTIVE``) and its tags
  appended again (archiving may have dropped them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from models import EnrichmentResult, ObjectInfo, ObjectStatus
from models.plan import CurrentObject, DesiredObject, ObjectPlan, Suggestion, WrittenState
from models.review import Decision, DecisionKey
from worker.core.plan.naming import object_arn
from worker.core.review_policy import (
    ReviewOutcome,
    review_outcome,
)
from worker.core.settings import AtlanSettings, ReviewSettings

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


def attributes_hash(attributes: Mapping[str, Any]) -> str:
    """Hash of the technical attributes s3-enricher writes."""
    return sha256(json.dumps(dict(attributes), sort_keys=True, default=str))


def _finding_line(
    name: str, entity: str, confidence: float, prevalence: float, n: int, estimated: bool = False
) -> str:
    """``email → EMAIL_ADDRESS 0.97, 97% of 1,000 sampled``: one Column findings line.

    An estimated prevalence (``Evidence.estimated``) reads ``≈97% (estimated) of 1,000
    sampled``.
    """
    share = f"≈{prevalence:.0%} (estimated)" if estimated else f"{prevalence:.0%}"
    return f"{name} → {entity} {confidence:.2f}, {share} of {n:,} sampled"


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


def _technical_attributes(
    info: ObjectInfo, bucket: str, key: str, region: str | None
) -> dict[str, Any]:
    """The S3 object's technical attributes as Atlan stores them (unset ones left out)."""
    attributes: dict[str, Any] = {
        "s3_object_size": info.size,
        "s3_e_tag": info.etag.strip('"'),
        "s3_object_key": key,
        "s3_bucket_name": bucket,
        "cloud_uniform_resource_name": object_arn(bucket, key),
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
    return attributes


def _findings_summary(
    result: EnrichmentResult, outcome: ReviewOutcome
) -> tuple[list[str], set[str]]:
    """One line per finding a steward has not rejected, and the entities behind them."""
    sample = result.sample
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
                    column.column,
                    finding.entity,
                    finding.confidence,
                    finding.prevalence,
                    sampled,
                    finding.evidence.estimated,
                )
            )
    return lines, entities


def _custom_metadata(
    result: EnrichmentResult, outcome: ReviewOutcome, now: datetime
) -> dict[str, Any]:
    """s3-enricher's custom metadata for the object (see :data:`CM_ATTRIBUTES`)."""
    sample = result.sample
    tags, suggestions = outcome.tags, outcome.suggestions
    lines, entities = _findings_summary(result, outcome)
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
            if outcome.category_applied
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
    return cm


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
    Stewards' ``decisions`` win over both (see :mod:`worker.core.review_policy`).
    """
    if settings.write_policy == "off" or result.status is not ObjectStatus.CLASSIFIED:
        return None
    if result.ref.scheme != "s3" or result.info is None:
        return None
    now = now or datetime.now(UTC)
    outcome = review_outcome(result, settings, decisions, glossary_terms, rules)
    return DesiredObject(
        object_uri=result.ref.uri,
        bucket=result.ref.bucket,
        key=result.ref.key,
        region=region,
        attributes=_technical_attributes(result.info, result.ref.bucket, result.ref.key, region),
        description=result.description or _description(result, outcome.applied),
        tags=frozenset(outcome.tags),
        custom_metadata=_custom_metadata(result, outcome, now),
        suggestions=tuple(outcome.suggestions),
    )


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def search_speaks_for(
    current: CurrentObject | None,
    written: WrittenState | None,
    now: datetime,
    search_lag_s: float,
) -> bool:
    """Whether what search shows may overrule what s3-enricher knows it wrote.

    Atlan's search is near-real-time: right after a write it may still show the asset as it
    was, or not at all. So search speaks for the asset only when s3-enricher never wrote it,
    or when it shows a change made after s3-enricher's last write *and* the lag window since
    that write has passed. Otherwise the local record of the last write is the truth for
    everything s3-enricher wrote.
    """
    if current is None:
        return False
    if written is None or written.written_at is None:
        return True
    newer = current.update_time_ms is not None and current.update_time_ms > _ms(written.written_at)
    settled = now - written.written_at > timedelta(seconds=search_lag_s)
    return newer and settled


def _written_moments_ago(written: WrittenState | None, now: datetime, search_lag_s: float) -> bool:
    """Whether s3-enricher wrote the asset within the search lag window (so search may miss it)."""
    return (
        written is not None
        and written.guid is not None
        and written.written_at is not None
        and now - written.written_at <= timedelta(seconds=search_lag_s)
    )


def _attribute_changes(
    desired: DesiredObject,
    current: CurrentObject | None,
    written: WrittenState | None,
    *,
    exists: bool,
    trusted: bool,
) -> dict[str, Any]:
    """The technical attributes to set: all of them for a new asset, else the changed ones."""
    if not exists:
        return dict(desired.attributes)
    if (
        not trusted
        and written is not None
        and written.attributes_hash == attributes_hash(desired.attributes)
    ):
        return {}
    if current is None:
        return dict(desired.attributes)
    return {k: v for k, v in desired.attributes.items() if current.attributes.get(k) != v}


def _description_change(
    desired: DesiredObject,
    current: CurrentObject | None,
    written: WrittenState | None,
    *,
    exists: bool,
    trusted: bool,
) -> tuple[str | None, list[str]]:
    """The description to write (``None``: leave it) and notes on why it was not written.

    The description is s3-enricher's to write only if it is empty or the text is the one
    s3-enricher wrote.
    """
    description: str | None = None
    skipped: list[str] = []
    current_text = current.description if current is not None else None
    ours_known = (
        not trusted and written is not None and written.description_hash is not None and exists
    )
    if ours_known:
        assert written is not None
        if written.description_hash != sha256(desired.description):
            description = desired.description
    elif desired.description != current_text:
        ours = (
            written is not None
            and written.description_hash is not None
            and current_text is not None
            and sha256(current_text) == written.description_hash
        )
        if not current_text or ours:
            description = desired.description
        else:
            skipped.append(
                "description: written in Atlan by someone else (a person or another tool), "
                "left as it is"
            )
    if description is not None and current is not None and current.user_description:
        skipped.append(
            "description: a person's description (userDescription) is what Atlan shows; "
            "s3-enricher's own stays underneath in description"
        )
    return description, skipped


def _plan_tags(
    plan: ObjectPlan,
    desired: DesiredObject,
    current: CurrentObject | None,
    written: WrittenState | None,
    *,
    exists: bool,
    trusted: bool,
    managed_tags: frozenset[str],
    umbrella: str | None,
    skipped: list[str],
) -> frozenset[str]:
    """Set ``plan``'s tags to append and the tags people added or removed in Atlan.

    Tags are only appended; what people added and removed is respected. Notes on tags not
    re-applied go to ``skipped``.

    :returns: s3-enricher's own tags on the asset that ``desired`` no longer has (stale).
    """
    ours_before = written.tags if written is not None else frozenset()
    seen = current.direct_tags if current is not None else frozenset()
    # Until search speaks for the asset, the tags s3-enricher applied are there.
    direct = seen if trusted or not exists else seen | ours_before
    add = set(desired.tags - direct)
    if trusted and not plan.restore:  # archiving, not a person, dropped an archived one's tags
        removed_by_person = {t for t in add if t in ours_before}
        for tag in sorted(removed_by_person):
            skipped.append(f"tag {tag!r}: removed in Atlan by a person, not re-applied")
        add -= removed_by_person
        plan.person_removed = frozenset(removed_by_person)
        plan.person_added = frozenset(
            t for t in direct - ours_before if t in managed_tags and t != umbrella
        )
    if plan.restore:
        # Archiving may drop direct tags for good (Atlan's Cassandra tag store does not bring
        # them back on restore): append them all again; Atlas ignores tags already there.
        add |= set(desired.tags) - set(plan.person_removed)
    plan.add_tags = frozenset(add)
    return (ours_before - desired.tags) & direct


def _plan_removals(
    plan: ObjectPlan,
    desired: DesiredObject,
    stale: frozenset[str],
    *,
    qualified_name: str,
    auto_remove: bool,
) -> None:
    """Set ``plan``'s suggestions, and remove ``stale`` tags or suggest removing them."""
    suggestions = [replace(s, qualified_name=qualified_name) for s in desired.suggestions]
    if auto_remove:
        plan.remove_tags = frozenset(stale)
    else:
        suggestions.extend(
            Suggestion(
                desired.object_uri,
                qualified_name,
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


def plan_object(
    desired: DesiredObject,
    current: CurrentObject | None,
    written: WrittenState | None,
    *,
    qualified_name: str,
    bucket_qualified_name: str,
    auto_remove: bool = False,
    managed_tags: frozenset[str] = frozenset(),
    umbrella: str | None = None,
    now: datetime | None = None,
    search_lag_s: float = 0.0,
) -> ObjectPlan:
    """The minimal writes that bring Atlan to ``desired`` without undoing people's work.

    :param current: what search shows for the asset (``None``: not found).
    :param written: what s3-enricher wrote last (local catalog).
    :param qualified_name: the asset's qualified name (``current``'s when it was adopted).
    :param managed_tags: every tag s3-enricher may apply; one of them that a person added in
        Atlan is reported in ``person_added`` (a decision the review store records).
    :param now: the time of planning (tests pass one; default: now).
    :param search_lag_s: how long search may lag behind a write (see
        :func:`search_speaks_for`); people's changes count only once it has passed.
    """
    now = now or datetime.now(UTC)
    prefix, _, name = desired.key.rpartition("/")
    trusted = search_speaks_for(current, written, now, search_lag_s)
    recent = _written_moments_ago(written, now, search_lag_s)
    # Not in search, but written moments ago: it exists as written (search has not caught up).
    exists = current is not None or recent
    plan = ObjectPlan(
        qualified_name=qualified_name,
        name=name or desired.key,
        bucket_qualified_name=bucket_qualified_name,
        bucket=desired.bucket,
        prefix=prefix,
        key=desired.key,
        create=not exists,
        object_uri=desired.object_uri,
    )
    plan.restore = (current is not None and current.status == "DELETED") or (
        written is not None and written.status == "DELETED"
    )
    skipped: list[str] = []
    if current is None and written is not None and not recent and written.guid is not None:
        skipped.append("not in Atlan's search any more: written again in full")
    plan.attributes = _attribute_changes(desired, current, written, exists=exists, trusted=trusted)
    plan.description, description_notes = _description_change(
        desired, current, written, exists=exists, trusted=trusted
    )
    skipped.extend(description_notes)
    stale = _plan_tags(
        plan,
        desired,
        current,
        written,
        exists=exists,
        trusted=trusted,
        managed_tags=managed_tags,
        umbrella=umbrella,
        skipped=skipped,
    )
    _plan_removals(plan, desired, stale, qualified_name=qualified_name, auto_remove=auto_remove)
    # Custom metadata: only when its content changed (or the asset is new).
    if (
        not exists
        or written is None
        or written.custom_metadata_hash != cm_hash(desired.custom_metadata)
    ):
        plan.custom_metadata = dict(desired.custom_metadata)
    plan.skipped = tuple(skipped)
    return plan


def written_after(
    plan: ObjectPlan,
    desired: DesiredObject,
    before: WrittenState | None,
    *,
    guid: str | None = None,
    now: datetime | None = None,
    asset_written: bool = True,
    tags_written: bool = True,
) -> WrittenState:
    """What s3-enricher has written once ``plan`` (or one of its phases) succeeded.

    :param guid: the asset's guid from the write response (kept from ``before`` if None).
    :param asset_written: phase 1 (attributes, description, custom metadata) succeeded.
    :param tags_written: phase 2 (tags) succeeded.
    """
    tags = set(before.tags if before is not None else ())
    if tags_written:
        tags = (tags | set(plan.add_tags)) - set(plan.remove_tags)
    description_hash = before.description_hash if before is not None else None
    cm = before.custom_metadata_hash if before is not None else None
    attrs = before.attributes_hash if before is not None else None
    status = before.status if before is not None else "ACTIVE"
    if asset_written:
        if plan.description is not None:
            description_hash = sha256(plan.description)
        cm = cm_hash(desired.custom_metadata)
        attrs = attributes_hash(desired.attributes)
        status = "ACTIVE"
    return WrittenState(
        plan.qualified_name,
        description_hash,
        frozenset(tags),
        cm,
        guid=guid or (before.guid if before is not None else None),
        written_at=now or datetime.now(UTC),
        attributes_hash=attrs,
        status=status,
        object_uri=desired.object_uri,
        prefix_qn=before.prefix_qn if before is not None else None,
    )
