"""Steward review: suggestions, their states, filters, decisions, users and the audit trail.

Pure data. A suggestion is one thing s3-enricher proposes for an object and (for tags and
terms) a column: an Atlan tag, the removal of a tag it applied earlier, a glossary term or a
dataset category. Its evidence is counts, shares and masked examples, never sampled values.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SuggestionState(StrEnum):
    """Where a suggestion is in its life.

    ``pending`` waits for a steward; ``approved`` was accepted and waits for Atlan to confirm
    the write; ``applied`` is in Atlan (or, for local objects, final); ``rejected`` was
    refused with a reason; ``superseded`` was pending when a later scan stopped producing it
    (or produced it again with materially new evidence after a rejection).
    """

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    SUPERSEDED = "superseded"


#: States that are a person's decision: never overwritten by a scan or a bulk job.
DECIDED = frozenset({SuggestionState.APPROVED, SuggestionState.REJECTED, SuggestionState.APPLIED})


class Role(StrEnum):
    """What a user may do: viewers look, stewards decide, admins also manage users."""

    VIEWER = "viewer"
    STEWARD = "steward"
    ADMIN = "admin"

    @property
    def can_decide(self) -> bool:
        """Stewards and admins approve and reject."""
        return self in (Role.STEWARD, Role.ADMIN)

    @property
    def can_admin(self) -> bool:
        """Only admins manage users."""
        return self is Role.ADMIN


#: Suggestion kinds.
KINDS = ("tag", "tag-removal", "term", "category", "lineage", "contract")
#: Kinds a scan produces itself (``tag-removal`` comes from the Atlan writer's plan).
SCAN_KINDS = frozenset({"tag", "term", "category"})
#: The longest reason a decision may carry.
MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """One suggestion as the queue, the object page, the API and the CLI show it."""

    id: int
    object_uri: str
    kind: str
    tag: str
    entity: str | None
    column: str | None
    confidence: float | None
    reason: str
    evidence: dict[str, Any]
    classifier_version: str | None
    state: SuggestionState
    first_seen: datetime
    last_seen: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    applied_at: datetime | None = None
    apply_error: str | None = None
    qualified_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (API, export)."""
        return {
            "id": self.id,
            "object_uri": self.object_uri,
            "kind": self.kind,
            "tag": self.tag,
            "entity": self.entity,
            "column": self.column,
            "confidence": self.confidence,
            "reason": self.reason,
            "evidence": self.evidence,
            "classifier_version": self.classifier_version,
            "state": self.state.value,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decision_reason": self.decision_reason,
            "applied_at": self.applied_at.isoformat() if self.applied_at else None,
            "apply_error": self.apply_error,
            "qualified_name": self.qualified_name,
        }


@dataclass(frozen=True, slots=True)
class SuggestionFilter:
    """Which suggestions a list or a bulk decision covers (every field is optional).

    :param uri_pattern: a glob on the object URI (``s3://lake/exports/*``); a value without
        ``*``, ``?`` or ``[`` matches as a prefix.
    :param tag: the tag, term or category name.
    """

    state: SuggestionState | None = SuggestionState.PENDING
    kind: str | None = None
    entity: str | None = None
    tag: str | None = None
    uri_pattern: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    classifier_version: str | None = None
    object_uri: str | None = None
    column: str | None = None

    def matches_uri(self, uri: str) -> bool:
        """Whether ``uri`` passes :attr:`uri_pattern`."""
        pattern = self.uri_pattern
        if not pattern:
            return True
        if any(ch in pattern for ch in "*?["):
            return fnmatch.fnmatchcase(uri, pattern)
        return uri.startswith(pattern)

    def describe(self) -> str:
        """A short human description (for confirmations and the audit log)."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("state", self.state.value if self.state else "any"),
                ("kind", self.kind),
                ("entity", self.entity),
                ("tag", self.tag),
                ("uri", self.uri_pattern),
                ("min_conf", self.min_confidence),
                ("max_conf", self.max_confidence),
                ("classifier", self.classifier_version),
                ("object", self.object_uri),
                ("column", self.column),
            )
            if value is not None and value != ""
        ]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (audit entries of bulk decisions)."""
        return {
            "state": self.state.value if self.state else None,
            "kind": self.kind,
            "entity": self.entity,
            "tag": self.tag,
            "uri_pattern": self.uri_pattern,
            "min_confidence": self.min_confidence,
            "max_confidence": self.max_confidence,
            "classifier_version": self.classifier_version,
            "object_uri": self.object_uri,
            "column": self.column,
        }


#: Sort keys of the queue: name -> (column, descending).
SORTS = ("-confidence", "confidence", "-last_seen", "last_seen", "object", "-first_seen")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing."""

    items: tuple[SuggestionView, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The latest decision on one (object, kind, tag, column), as a scan must respect it.

    :param column: ``None`` for an object-level decision (covers every column).
    :param evidence: the evidence the decider saw (to tell a material change).
    """

    kind: str
    tag: str
    column: str | None
    state: SuggestionState
    confidence: float | None
    evidence: dict[str, Any] = field(default_factory=dict)
    decided_by: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit trail: who did what, when, with the state before and after."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None = None
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (export, API)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "address": self.address,
        }


@dataclass(frozen=True, slots=True)
class User:
    """A person who may log in (the password hash never leaves the user store)."""

    name: str
    role: Role
    active: bool = True
    source: str = "database"  # or "settings"


@dataclass(slots=True)
class SyncReport:
    """What storing one scan's suggestions for one object did (``ReviewStore.sync``)."""

    new: int = 0
    refreshed: int = 0
    superseded: int = 0


#: A decision's key on one object: (kind, tag, column); column ``None`` for the object.
DecisionKey = tuple[str, str, str | None]
