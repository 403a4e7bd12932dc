"""A dataset as one Atlan asset: what it should carry, and the writes to get there (pure).

:func:`dataset_desired` turns a stored dataset (its grouping and its one verdict) into a
:class:`DesiredDataset`: the asset's type and qualified name, a description, tags and
s3-enricher's custom metadata; :func:`plan_dataset` compares it with what Atlan's search shows
and what s3-enricher wrote last time and keeps only the difference, so an unchanged dataset
sends nothing.

Which asset stands for a dataset (Atlan's own S3 model, so that lineage, search and the
asset's hierarchy show one asset per dataset):

* a folder dataset (``s3://lake/exports/orders/``) is an ``S3Prefix`` named like the lineage
  writer names it (:meth:`~worker.core.plan.naming.S3Naming.prefix`), linked to its objects
  through ``s3Objects``;
* a bucket-root dataset (``s3://lake/``) is the ``S3Bucket`` itself;
* a dataset of one object is that ``S3Object``: the object writer already gives it its tags,
  description and custom metadata, so :func:`dataset_desired` returns ``None`` for it.

The rules are the object writer's: tags through the same entity → tag mapping
(:meth:`~worker.core.settings.AtlanSettings.tag_for`, the umbrella tag beside them) under the
same write policy and stewards' decisions (:func:`~worker.core.review_policy.decision_for`);
tags are only appended (removed only under ``auto_remove``); ``userDescription`` is never
written; custom metadata is the object writer's set
(:data:`~worker.core.plan.desired.CM_ATTRIBUTES`), rewritten only when its content changed
(values Atlas would refuse are left out by the writer, :mod:`~worker.core.plan.cm_values`);
search lag is handled by
:func:`~worker.core.plan.desired.search_speaks_for`. Nothing here holds a sampled value:
column names, types, entity names, shares and counts only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models.datasets import DatasetVerdict, StoredDataset
from models.plan import CurrentObject, DatasetWriteReport, DesiredDataset, WrittenState
from models.review import Decision, DecisionKey, SuggestionState
from worker.core.plan.desired import cm_hash, search_speaks_for, sha256
from worker.core.plan.naming import S3Naming
from worker.core.review_policy import category_applied, category_threshold, decision_for
from worker.core.settings import Settings

_APPROVED = (SuggestionState.APPROVED, SuggestionState.APPLIED)
#: Atlan limits string attributes; a dataset's description and lines stay well below.
_MAX_DESCRIPTION = 1000
_MAX_LINE = 900
_MAX_LINES = 200


def desired_hash(
    type_name: str, name: str, description: str, tags: frozenset[str], cm: Mapping[str, Any]
) -> str:
    """The stable hash of a dataset's writable content (the custom metadata timestamp aside)."""
    return sha256(
        json.dumps(
            {
                "type": type_name,
                "name": name,
                "description": description,
                "tags": sorted(tags),
                "cm": cm_hash(cm),
            },
            sort_keys=True,
        )
    )


def _rejected(decisions: Mapping[DecisionKey, Decision], tag: str, column: str | None) -> bool:
    decided = decision_for(decisions, "tag", tag, column)
    return decided is not None and decided.state is SuggestionState.REJECTED


def _approved(decisions: Mapping[DecisionKey, Decision], kind: str, tag: str) -> bool:
    decided = decision_for(decisions, kind, tag, None)
    return decided is not None and decided.state in _APPROVED


def _held(
    verdict: DatasetVerdict, settings: Settings, decisions: Mapping[DecisionKey, Decision]
) -> dict[str, list[str]]:
    """Entity -> the columns on which it holds and no steward rejected its tag."""
    held: dict[str, list[str]] = {}
    for entity, columns in verdict.entities:
        tag = settings.atlan.tag_for(entity)
        kept = [c for c in columns if not _rejected(decisions, tag, c)]
        if kept:
            held[entity] = kept
    return held


def _tags(
    held: Mapping[str, list[str]], settings: Settings, decisions: Mapping[DecisionKey, Decision]
) -> frozenset[str]:
    """Tags applied: held entities under ``auto``, and whatever a steward approved."""
    atlan = settings.atlan
    tags = {atlan.tag_for(e) for e in held} if atlan.write_policy == "auto" else set()
    tags |= {
        tag for (kind, tag, _), d in decisions.items() if kind == "tag" and d.state in _APPROVED
    }
    if tags and atlan.umbrella_tag:
        tags.add(atlan.umbrella_tag)
    return frozenset(tags)


def _category(
    verdict: DatasetVerdict, decisions: Mapping[DecisionKey, Decision], write_policy: str
) -> str | None:
    """The category as the object writer words it (``sales 0.82``, ``(suggested)``, ...)."""
    if not verdict.category:
        return None
    decided = decision_for(decisions, "category", verdict.category, None)
    if decided is not None and decided.state is SuggestionState.REJECTED:
        return None
    confidence = verdict.category_confidence
    text = verdict.category if confidence is None else f"{verdict.category} {confidence:.2f}"
    if decided is not None and decided.state in _APPROVED:
        return f"{text} (confirmed by a steward)"
    # The verdict does not record the model version: the bundled model's thresholds, the
    # stricter one unless most partitions' words agreed with the category; none when most
    # partitions read it from the values alone, or had their names contradicted by the
    # values (as each object's decision).
    threshold = category_threshold(
        words_agree=verdict.category_words_agree,
        values_only=verdict.category_values_only,
        names_contradicted=verdict.category_names_contradicted,
    )
    if confidence is not None and not category_applied(confidence, threshold, write_policy):
        return f"{text} (suggested)"
    return text


def _custom_metadata(
    stored: StoredDataset,
    verdict: DatasetVerdict,
    held: Mapping[str, list[str]],
    tags: frozenset[str],
    decisions: Mapping[DecisionKey, Decision],
    now: datetime,
    write_policy: str,
) -> dict[str, Any]:
    """s3-enricher's custom metadata for the dataset (the object writer's attributes)."""
    shares = {(c.column, e): share for c in verdict.columns for e, share in c.entities}
    sampled = {c.column: c.partitions for c in verdict.columns}
    lines = [
        f"{column} → {entity} in {shares.get((column, entity), 0.0):.0%} of "
        f"{sampled.get(column, 0):,} sampled partition(s)"[:_MAX_LINE]
        for entity, columns in sorted(held.items())
        for column in columns
    ]
    columns = verdict.columns or ()
    schema = [f"{c.column}: {c.data_type}"[:200] for c in columns[:_MAX_LINES]]
    if not schema:
        schema = [
            f"{c.name}: {c.data_type}"[:200] for c in stored.summary.table_schema[:_MAX_LINES]
        ]
    pii_columns = len({c for cols in held.values() for c in cols})
    cm: dict[str, Any] = {
        "PII entities": sorted(held),
        "Column findings": lines[:_MAX_LINES],
        "Schema": schema,
        "Review state": "applied" if tags else ("pending review" if held else "no PII"),
        "Evidence summary": (
            f"{verdict.partitions_sampled:,} of {verdict.partitions_total:,} partition(s) "
            f"sampled; {pii_columns} PII column(s); {len(tags)} tag(s) applied"
        ),
        "Results updated at": int(now.timestamp() * 1000),
    }
    formats = sorted(stored.summary.formats, key=lambda f: (-f[1], f[0]))
    if formats:
        cm["Format"] = ", ".join(name for name, _ in formats)[:_MAX_LINE]
    category = _category(verdict, decisions, write_policy)
    if category is not None:
        cm["Category"] = category
    return cm


def _description(stored: StoredDataset, verdict: DatasetVerdict) -> str:
    """The verdict's description and one line on the dataset's shape."""
    summary = stored.summary
    rule = summary.rule.value
    if summary.explanation and summary.explanation != rule:
        rule = f"{rule}: {summary.explanation}"
    shape = (
        f"{summary.object_count:,} objects in {stored.partition_count:,} partitions (rule: {rule})"
    )
    head = (verdict.description or "").strip()
    if len(head) > _MAX_DESCRIPTION - len(shape) - 1:
        head = head[: _MAX_DESCRIPTION - len(shape) - 2] + "…"
    return f"{head}\n{shape}" if head else shape


def dataset_desired(
    stored: StoredDataset,
    settings: Settings,
    decisions: Mapping[DecisionKey, Decision] | None = None,
    *,
    naming: S3Naming | None = None,
    now: datetime | None = None,
) -> DesiredDataset | None:
    """What the dataset's asset should carry in Atlan, or ``None`` when nothing is written.

    ``None`` for: the ``off`` write policy, a dataset without a verdict yet, a local
    (``file://``) dataset, and a dataset of one object (its ``S3Object`` is the object
    writer's).

    :param decisions: stewards' decisions on the dataset (``ReviewStore.decisions_for`` of its
        URI): a rejected tag is not applied for its column (or at all, dataset-wide), an
        approved one always is; a category decision confirms or drops the category.
    :param naming: the S3 connection's naming; default: ``atlan.connection_qualified_name``
        with ``atlan.s3_naming`` when configured, else the qualified name is left to the writer.
    :param now: the custom metadata's ``Results updated at`` (not part of the hash).
    """
    verdict = stored.verdict
    ref = stored.summary.ref
    if settings.atlan.write_policy == "off" or verdict is None:
        return None
    if not ref.bucket or not ref.is_prefix:
        return None
    decisions = decisions or {}
    now = now or datetime.now(UTC)
    root = ref.root.strip("/")
    type_name = "S3Prefix" if root else "S3Bucket"
    if naming is None and settings.atlan.connection_qualified_name:
        naming = S3Naming(settings.atlan.connection_qualified_name, settings.atlan.s3_naming)
    qualified_name = naming.prefix(ref.bucket, root) if naming is not None else None
    held = _held(verdict, settings, decisions)
    tags = _tags(held, settings, decisions)
    description = _description(stored, verdict)
    cm = _custom_metadata(stored, verdict, held, tags, decisions, now, settings.atlan.write_policy)
    name = ref.name
    return DesiredDataset(
        dataset_uri=ref.uri,
        bucket=ref.bucket,
        root=root,
        type_name=type_name,
        qualified_name=qualified_name,
        name=name,
        description=description,
        tags=tags,
        custom_metadata=cm,
        attributes_hash=desired_hash(type_name, name, description, tags, cm),
        object_count=stored.summary.object_count,
        partition_count=stored.partition_count,
    )


@dataclass(frozen=True, slots=True)
class DatasetWrite:
    """The writes for one dataset's asset; empty when Atlan already matches.

    :param create: the asset is not in Atlan (as far as search and the local record say).
    :param restore: the asset is archived: the write carries ``status: ACTIVE`` and appends
        every tag again (archiving may drop them for good).
    :param description: the description to write, or ``None`` to leave it.
    :param custom_metadata: custom metadata to merge, or ``None`` when unchanged.
    :param notes: why something was left as it is (a person's description, a stale tag).
    """

    desired: DesiredDataset
    qualified_name: str
    create: bool = False
    restore: bool = False
    description: str | None = None
    custom_metadata: dict[str, Any] | None = None
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()
    notes: tuple[str, ...] = field(default=())

    @property
    def asset_write(self) -> bool:
        """Whether the asset itself (create, restore, description, metadata) is sent."""
        return (
            self.create
            or self.restore
            or self.description is not None
            or self.custom_metadata is not None
        )

    @property
    def tag_write(self) -> bool:
        """Whether tags are appended or removed."""
        return bool(self.add_tags or self.remove_tags)

    @property
    def empty(self) -> bool:
        """Nothing to send."""
        return not (self.asset_write or self.tag_write)


def plan_dataset(
    desired: DesiredDataset,
    qualified_name: str,
    current: CurrentObject | None,
    written: WrittenState | None,
    *,
    now: datetime,
    search_lag_s: float = 0.0,
    auto_remove: bool = False,
) -> DatasetWrite:
    """The minimal writes that bring the dataset's asset to ``desired``.

    :param current: what search shows for the asset, archived or not (``None``: not found).
    :param written: what s3-enricher wrote to it last (local catalog).
    """
    trusted = search_speaks_for(current, written, now, search_lag_s)
    recent = (
        written is not None
        and written.guid is not None
        and written.written_at is not None
        and now - written.written_at <= timedelta(seconds=search_lag_s)
    )
    archived_in_search = current is not None and current.status == "DELETED"
    restore = (archived_in_search and (trusted or written is None)) or (
        written is not None and written.status == "DELETED"
    )
    exists = current is not None or recent
    # Gone from search although written before (and not moments ago): write it in full.
    vanished = current is None and written is not None and not recent
    full = not exists or restore or vanished
    if (
        not full
        and written is not None
        and written.attributes_hash == desired.attributes_hash
        and written.status == "ACTIVE"
        and not (auto_remove and written.tags - desired.tags)
    ):
        return DatasetWrite(desired, qualified_name)
    notes: list[str] = []
    description: str | None = None
    current_text = current.description if current is not None else None
    if written is None or written.description_hash is None:
        if current_text and current_text != desired.description:
            notes.append(
                "description: written in Atlan by someone else (a person or another tool), "
                "left as it is"
            )
        elif current_text != desired.description or full:
            description = desired.description
    elif full or written.description_hash != sha256(desired.description):
        description = desired.description
    cm: dict[str, Any] | None = None
    if full or written is None or written.custom_metadata_hash != cm_hash(desired.custom_metadata):
        cm = dict(desired.custom_metadata)
    ours_before = written.tags if written is not None else frozenset()
    present = (
        current.direct_tags
        if current is not None and current.status == "ACTIVE" and not restore
        else frozenset()
    )
    if restore or not exists:
        add = set(desired.tags)
    else:
        add = set(desired.tags) - ours_before - present
    stale = ours_before - desired.tags
    remove: frozenset[str] = frozenset()
    if stale and auto_remove:
        remove = frozenset(stale)
    elif stale:
        notes.extend(
            f"tag {tag!r}: the latest verdict no longer supports it; left (auto_remove is off)"
            for tag in sorted(stale)
        )
    return DatasetWrite(
        desired,
        qualified_name,
        create=not exists,
        restore=restore,
        description=description,
        custom_metadata=cm,
        add_tags=frozenset(add),
        remove_tags=remove,
        notes=tuple(notes),
    )


def written_after(
    write: DatasetWrite,
    before: WrittenState | None,
    *,
    guid: str | None,
    now: datetime,
    asset_written: bool,
    tags_written: bool,
    object_uri: str | None,
) -> WrittenState:
    """What s3-enricher has written to the dataset's asset once (part of) ``write`` landed.

    The content hash is recorded only when both the asset and its tags landed, so that a
    half-done write is completed next time.
    """
    desired = write.desired
    tags = set(before.tags if before is not None else ())
    description_hash = before.description_hash if before is not None else None
    cm = before.custom_metadata_hash if before is not None else None
    status = before.status if before is not None else "ACTIVE"
    if tags_written:
        tags = (tags | set(write.add_tags)) - set(write.remove_tags)
    if asset_written:
        if write.description is not None:
            description_hash = sha256(write.description)
        if write.custom_metadata is not None:
            cm = cm_hash(desired.custom_metadata)
        status = "ACTIVE"
    done = asset_written and tags_written
    old_hash = before.attributes_hash if before is not None else None
    return WrittenState(
        write.qualified_name,
        description_hash,
        frozenset(tags),
        cm,
        guid=guid or (before.guid if before is not None else None),
        written_at=now,
        attributes_hash=desired.attributes_hash if done else old_hash,
        status=status,
        object_uri=object_uri,
        prefix_qn=before.prefix_qn if before is not None else None,
    )


__all__ = [
    "DatasetWrite",
    "DatasetWriteReport",
    "DesiredDataset",
    "dataset_desired",
    "desired_hash",
    "plan_dataset",
    "written_after",
]
