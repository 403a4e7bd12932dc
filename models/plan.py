"""What s3-enricher wants an S3 object to look like in the catalog, and the writes to get there.

Pure data: :mod:`worker.core.plan.desired` computes an :class:`EnrichmentPlan` from a
:class:`DesiredObject` (what the scan found), a :class:`CurrentObject` (what Atlan has) and a
:class:`WrittenState` (what s3-enricher wrote last time, kept in the local catalog). None of
them holds a sampled value: descriptions and custom metadata are built from counts, shares and
entity names only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A finding that is not applied automatically; a steward decides it.

    :param kind: ``"tag"`` (apply ``tag``), ``"tag-removal"`` (remove s3-enricher's own tag
        that the latest scan no longer supports), ``"term"`` (assign the glossary term whose
        qualified name is ``tag``) or ``"category"`` (confirm the dataset category ``tag``).
    :param qualified_name: the Atlan asset (empty until the writer knows the connection).
    :param evidence: masked evidence (counts, shares, masked examples; never values).
    :param classifier_version: ``name=version`` of the classifier that produced it.
    """

    object_uri: str
    qualified_name: str
    kind: str
    tag: str
    entity: str | None
    column: str | None
    confidence: float | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    classifier_version: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form: the fields in order, as ``dataclasses.asdict`` gives them.

        Not ``asdict``: it deep-copies the evidence, which costs more than the rest of the
        outbox entry. The evidence is plain JSON (dicts, lists, numbers, strings), so a copy of
        its top level gives the same JSON text; nested values are shared, read only.
        """
        out = {name: getattr(self, name) for name in _SUGGESTION_FIELDS}
        out["evidence"] = dict(self.evidence)
        return out


#: :class:`Suggestion`'s field names in order (``fields`` is not free per suggestion).
_SUGGESTION_FIELDS = tuple(f.name for f in fields(Suggestion))


@dataclass(frozen=True, slots=True)
class DesiredObject:
    """One object as s3-enricher wants it in Atlan.

    :param attributes: technical attributes by pyatlan field name (``s3_e_tag`` ...); only
        known values, never ``None`` (a ``None`` would clear the field in Atlan).
    :param tags: tag names to apply (entity tags and the umbrella tag).
    :param custom_metadata: values of s3-enricher's custom metadata set, by attribute
        display name.
    """

    object_uri: str
    bucket: str
    key: str
    region: str | None
    attributes: dict[str, Any]
    description: str
    tags: frozenset[str]
    custom_metadata: dict[str, Any]
    suggestions: tuple[Suggestion, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form, for the durable outbox."""
        return {
            "object_uri": self.object_uri,
            "bucket": self.bucket,
            "key": self.key,
            "region": self.region,
            "attributes": self.attributes,
            "description": self.description,
            "tags": sorted(self.tags),
            "custom_metadata": self.custom_metadata,
            "suggestions": [s.to_json() for s in self.suggestions],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DesiredObject:
        """Inverse of :meth:`to_json`."""
        return cls(
            object_uri=data["object_uri"],
            bucket=data["bucket"],
            key=data["key"],
            region=data.get("region"),
            attributes=dict(data["attributes"]),
            description=data["description"],
            tags=frozenset(data["tags"]),
            custom_metadata=dict(data["custom_metadata"]),
            suggestions=tuple(Suggestion(**s) for s in data.get("suggestions", [])),
        )


@dataclass(frozen=True, slots=True)
class CurrentObject:
    """What Atlan holds for an object (``None`` fields: not set).

    :param direct_tags: names of tags attached to the object itself (propagated ones are
        excluded: they belong to an upstream asset).
    :param status: ``ACTIVE`` or ``DELETED`` (archived).
    :param update_time_ms: when Atlan last changed the asset (epoch ms, Atlan's clock), as
        the search index shows it; search lags behind writes.
    :param updated_by: who made that change.
    """

    qualified_name: str
    guid: str
    attributes: dict[str, Any]
    description: str | None
    user_description: str | None
    direct_tags: frozenset[str]
    status: str = "ACTIVE"
    update_time_ms: int | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class WrittenState:
    """What s3-enricher wrote to one asset last time (from the local catalog).

    :param description_hash: sha256 of the description it wrote, to tell its own text from a
        person's.
    :param tags: the tags it applied (a person's tags are the others).
    :param custom_metadata_hash: sha256 of the custom metadata values it wrote.
    :param guid: the asset's guid, from the write response.
    :param written_at: when the last write was confirmed (this machine's clock).
    :param attributes_hash: sha256 of the technical attributes it wrote.
    :param status: ``ACTIVE``, or ``DELETED`` once s3-enricher archived the asset.
    :param object_uri: the S3 object the asset stands for.
    :param prefix_qn: the ``S3Prefix`` (dataset) the object was linked to.
    """

    qualified_name: str
    description_hash: str | None = None
    tags: frozenset[str] = frozenset()
    custom_metadata_hash: str | None = None
    guid: str | None = None
    written_at: datetime | None = None
    attributes_hash: str | None = None
    status: str = "ACTIVE"
    object_uri: str | None = None
    prefix_qn: str | None = None


@dataclass(slots=True)
class ObjectPlan:
    """The writes for one object; empty when Atlan already matches.

    :param create: the object does not exist yet (a full upsert).
    :param restore: the asset is archived in Atlan and the object exists again: the write
        carries ``status: ACTIVE`` (a plain upsert would leave it archived).
    :param adopted: an asset of the same object under another name (Atlan's crawler, an
        older naming) was found and is updated instead of creating a duplicate.
    :param attributes: attributes to set (changed ones only, when it exists).
    :param description: the description to write, or ``None`` to leave it.
    :param add_tags: tags to append.
    :param remove_tags: s3-enricher's own tags to remove (only under ``auto_remove``).
    :param custom_metadata: custom metadata to merge, or ``None`` when unchanged.
    :param person_removed: s3-enricher's tags a person removed in Atlan (decisions).
    :param person_added: s3-enricher's tags a person added in Atlan (decisions).
    """

    qualified_name: str
    name: str
    bucket_qualified_name: str
    bucket: str
    prefix: str
    create: bool = False
    restore: bool = False
    adopted: bool = False
    key: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()
    custom_metadata: dict[str, Any] | None = None
    suggestions: tuple[Suggestion, ...] = ()
    skipped: tuple[str, ...] = ()
    object_uri: str = ""
    person_removed: frozenset[str] = frozenset()
    person_added: frozenset[str] = frozenset()

    @property
    def asset_write(self) -> bool:
        """Whether phase 1 (the asset itself) has anything to send."""
        return (
            self.create
            or self.restore
            or bool(self.attributes)
            or self.description is not None
            or self.custom_metadata is not None
        )

    @property
    def tag_write(self) -> bool:
        """Whether phase 2 (tags) has anything to send."""
        return bool(self.add_tags or self.remove_tags)

    @property
    def empty(self) -> bool:
        """Nothing to send for this object."""
        return not (self.asset_write or self.tag_write)


@dataclass(slots=True)
class EnrichmentPlan:
    """Every write of one flush, in the phases Atlan requires (buckets, objects, tags)."""

    connection_qualified_name: str
    buckets: dict[str, str] = field(default_factory=dict)  # bucket QN -> bucket name
    new_buckets: set[str] = field(default_factory=set)
    objects: list[ObjectPlan] = field(default_factory=list)
    #: What s3-enricher wrote last to the planned assets, by qualified name (read once).
    written: dict[str, WrittenState] = field(default_factory=dict)

    @property
    def mutations(self) -> int:
        """How many assets will be written (phase 1 and phase 2 counted separately)."""
        return (
            len(self.new_buckets)
            + sum(1 for o in self.objects if o.asset_write)
            + sum(1 for o in self.objects if o.tag_write)
        )


@dataclass(slots=True)
class WriteReport:
    """What one flush to the catalog did: counts, and why assets were not written (never values).

    :param rejected: object URI -> why Atlan refused it (the others landed).
    :param retry_after_s: what Atlan asked for in ``Retry-After`` when it stopped the flush.
    :param warnings: values left out (e.g. a number beyond Atlan's 32-bit range).
    """

    objects: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    restored: int = 0
    adopted: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    suggestions: int = 0
    requests: int = 0
    queued: int = 0
    error: str | None = None
    retry_after_s: float | None = None
    rejected: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DesiredDataset:
    """One dataset as s3-enricher wants it in Atlan (no sampled value anywhere).

    :param type_name: ``S3Prefix`` (a folder dataset) or ``S3Bucket`` (a bucket root).
    :param qualified_name: the asset's qualified name; ``None`` when the S3 connection was not
        known at planning time (the writer then names it with the same
        :class:`~worker.core.plan.naming.S3Naming`).
    :param root: the dataset's prefix within the bucket (``""``: the bucket root), without
        a leading or trailing slash.
    :param tags: tag names to have (entity tags and the umbrella tag).
    :param custom_metadata: values of s3-enricher's custom metadata set by display name.
    :param attributes_hash: a stable hash of what is written (type, name, description, tags,
        custom metadata without its timestamp): equal hashes mean nothing to send.
    """

    dataset_uri: str
    bucket: str
    root: str
    type_name: str
    qualified_name: str | None
    name: str
    description: str
    tags: frozenset[str]
    custom_metadata: dict[str, Any]
    attributes_hash: str
    object_count: int = 0
    partition_count: int = 0

    @property
    def uri_prefix(self) -> str:
        """``s3://bucket/root/``: what the URIs of the dataset's objects start with."""
        return f"s3://{self.bucket}/{self.root}/" if self.root else f"s3://{self.bucket}/"


@dataclass(slots=True)
class DatasetWriteReport:
    """What one dataset write to Atlan did: counts, and why datasets were not written.

    :param failed: dataset URI -> why its asset (or its tags, or its links) was not written;
        the others landed.
    :param error: set when Atlan stopped the write (unavailable, the key refused, a definition
        missing): the datasets not finished are in ``failed`` with this reason.
    :param linked: objects newly linked to their dataset's ``S3Prefix``.
    :param notes: what was left as it is, and why (per qualified name).
    :param warnings: custom metadata values left out (beyond Atlan's limits).
    """

    datasets: int = 0
    created: int = 0
    updated: int = 0
    restored: int = 0
    unchanged: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    linked: int = 0
    requests: int = 0
    error: str | None = None
    retry_after_s: float | None = None
    failed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
