"""The database schema of the local catalog and the review store (one SQLAlchemy metadata).

Core tables for what the scanner records (runs, objects, columns, findings, Atlan state,
jobs) and SQLAlchemy 2 ORM models for the steward review (suggestions, users, sessions, API
tokens, login attempts, audit log). Alembic migrations in :mod:`worker.adapters.catalog.migrations`
build exactly this schema; a test compares the two on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("command", String(64), nullable=False),
    Column("targets", JSON, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("counts", JSON),
)

objects = Table(
    "objects",
    metadata,
    Column("uri", String(2048), primary_key=True),
    Column("bucket", String(255), nullable=False),
    Column("key", Text, nullable=False),
    Column("etag", String(255)),
    Column("version_id", String(1024)),
    Column("size_bytes", Integer),
    Column("last_modified", DateTime(timezone=True)),
    Column("content_type", String(255)),
    Column("storage_class", String(64)),
    Column("format", String(32)),
    Column("compression", String(32)),
    Column("row_count", Integer),
    Column("row_count_estimated", Boolean),
    Column("rows_sampled", Integer),
    Column("bytes_read", Integer),
    Column("status", String(16), nullable=False),
    Column("error_kind", String(64)),
    Column("error_message", Text),
    Column("classifier_versions", JSON),
    Column("scanned_at", DateTime(timezone=True), nullable=False),
    Column("last_run_id", String(36), ForeignKey("runs.id")),
)

columns = Table(
    "columns",
    metadata,
    Column("object_uri", String(2048), ForeignKey("objects.uri"), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("data_type", String(128), nullable=False),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("object_uri", String(2048), ForeignKey("objects.uri"), nullable=False, index=True),
    Column("column_name", String(1024), nullable=False),
    Column("entity", String(64), nullable=False, index=True),
    Column("classifier", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("prevalence", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
)

#: What s3-enricher last wrote to each Atlan asset (to tell its work from people's).
atlan_written = Table(
    "atlan_written",
    metadata,
    Column("qualified_name", String(2048), primary_key=True),
    Column("description_hash", String(64)),
    Column("tags", JSON, nullable=False),
    Column("custom_metadata_hash", String(64)),
    Column("written_at", DateTime(timezone=True), nullable=False),
    # Since 0004: the asset's guid (from the write response), the object it stands for, a
    # hash of the technical attributes written, ACTIVE or DELETED (archived by s3-enricher)
    # and the S3Prefix it was linked to.
    Column("guid", String(64)),
    Column("object_uri", String(2048), index=True),
    Column("attributes_hash", String(64)),
    Column("status", String(16)),
    Column("prefix_qn", String(2048)),
)

#: The S3 connection per name, once created or found (claimed first, so that workers that
#: initialise at once create one connection, not one each).
atlan_connections = Table(
    "atlan_connections",
    metadata,
    Column("name", String(512), primary_key=True),
    Column("qualified_name", String(512)),
    Column("claimed_by", String(64), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

#: Atlan writes that failed after retries, kept until a flush succeeds (one per object).
atlan_outbox = Table(
    "atlan_outbox",
    metadata,
    Column("object_uri", String(2048), primary_key=True),
    Column("desired", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_queued_at", DateTime(timezone=True), nullable=False),
    Column("last_tried_at", DateTime(timezone=True), nullable=False),
)

#: Bulk jobs (``enricher job ...``): one row per job, progress is counted from job_items.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("target", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("cursor", Text),
    Column("listing_done", Boolean, nullable=False),
    Column("listed", Integer, nullable=False),
    Column("run_id", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: One row per (job, object): the idempotent record of what happened to it.
job_items = Table(
    "job_items",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("uri", String(2048), primary_key=True),
    Column("status", String(16), nullable=False, index=True),
    Column("error_kind", String(64)),
    Column("attempts", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Datasets (issue 15): one row per dataset, its partitions, its schema versions, and alerts.
# ``objects.dataset_uri`` is not a column of ``objects``: membership is by root (a dataset's
# objects are the keys under its prefix), so a million partition files need no extra rows.
datasets = Table(
    "datasets",
    metadata,
    Column("uri", String(2048), primary_key=True),
    Column("bucket", String(255), nullable=False, index=True),
    Column("root", Text, nullable=False),
    Column("rule", String(16), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("object_count", Integer, nullable=False),
    Column("total_bytes", BigInteger, nullable=False),
    Column("marker_count", Integer, nullable=False),
    Column("partition_columns", JSON, nullable=False),
    Column("partition_count", Integer, nullable=False),
    Column("formats", JSON, nullable=False),
    Column("newest", DateTime(timezone=True)),
    Column("verdict", JSON),
    Column("schema_version", Integer),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("last_scanned", DateTime(timezone=True)),
)

dataset_partitions = Table(
    "dataset_partitions",
    metadata,
    Column("dataset_uri", String(2048), ForeignKey("datasets.uri"), primary_key=True),
    Column("key", String(1024), primary_key=True),
    Column("partition_values", JSON, nullable=False),
    Column("object_count", Integer, nullable=False),
    Column("total_bytes", BigInteger, nullable=False),
    Column("newest", DateTime(timezone=True)),
    Column("sample_key", Text),
    Column("row_count", BigInteger),
    Column("null_shares", JSON),
    Column("distinct_shares", JSON),
    Column("findings", JSON),
    Column("columns", JSON),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("sampled_at", DateTime(timezone=True)),
    Column("sample_error", String(64)),
)

dataset_schemas = Table(
    "dataset_schemas",
    metadata,
    Column("dataset_uri", String(2048), ForeignKey("datasets.uri"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("columns", JSON, nullable=False),
    Column("source", String(32), nullable=False),
    Column("changes", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Value facets (issue 21, migration 0012): the top values of a dataset's non-personal
# country, currency and region columns (:mod:`worker.core.facets`). Per sampled partition
# the counts of every column (refused ones without values), and per dataset the merged top
# values, one row each, looked up by (type, value).
dataset_facet_samples = Table(
    "dataset_facet_samples",
    metadata,
    Column("dataset_uri", String(2048), primary_key=True),
    Column("partition_key", String(1024), primary_key=True),
    Column("columns", JSON, nullable=False),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
)

dataset_facets = Table(
    "dataset_facets",
    metadata,
    Column("dataset_uri", String(2048), primary_key=True),
    Column("column_name", String(1024), primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("column_type", String(32), nullable=False),
    Column("count", Integer, nullable=False),
    Column("share", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("partitions", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_dataset_facets_type_value", "column_type", "value"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(32), nullable=False, unique=True),
    Column("kind", String(32), nullable=False, index=True),
    Column("severity", String(16), nullable=False, index=True),
    Column("dataset_uri", String(2048), nullable=False, index=True),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("actor", String(128)),
    Column("note", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("announced_at", DateTime(timezone=True)),
)


class Base(DeclarativeBase):
    """ORM base sharing the catalog's metadata (one schema, one migration history)."""

    metadata = metadata
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[dict[str, Any]]: JSON,
        datetime: DateTime(timezone=True),
    }


class SuggestionRow(Base):
    """A suggestion and, once decided, the decision (see :class:`models.review.SuggestionView`).

    Several rows may share (object, kind, tag, column) over time: a rejected row stays when
    materially new evidence brings a new pending one. Never holds a sampled value.
    """

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_uri: Mapped[str] = mapped_column(String(2048), index=True)
    qualified_name: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(32))
    tag: Mapped[str] = mapped_column(String(255), index=True)
    entity: Mapped[str | None] = mapped_column(String(64))
    column_name: Mapped[str | None] = mapped_column(String(1024))
    confidence: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    classifier_version: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), index=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None]
    apply_error: Mapped[str | None] = mapped_column(Text)


class UserRow(Base):
    """A person who may log in; ``password_hash`` is an argon2id hash."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebSessionRow(Base):
    """A browser session: the cookie holds the token, this row only its sha256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(128), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: The last request; the session ends after ``review.session_idle_minutes`` without one.
    last_seen_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A bearer token for the JSON API (only its sha256 is kept).

    ``scope``: ``read`` (GET only) or ``write`` (whatever the user's role may). A token ends
    at ``expires_at``, when revoked, and when its user's password changes or the user is
    disabled.
    """

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(128), index=True)
    label: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean)
    scope: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebhookSignatureRow(Base):
    """A signature the S3 webhook accepted, kept while its timestamp is fresh (no replays)."""

    __tablename__ = "webhook_signatures"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class LoginAttemptRow(Base):
    """One login attempt (for rate limiting; successes reset nothing, they are audited)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(128), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    ok: Mapped[bool] = mapped_column(Boolean)


class AuditRow(Base):
    """One audit entry: decisions, bulk decisions, logins, user changes, Atlan confirmations."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))
    #: The row's place in the hash chain (1, 2, 3 ... without gaps; ids may skip numbers).
    seq: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    #: The previous row's ``row_hash`` (the genesis value for ``seq`` 1).
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the row's canonical form (:mod:`worker.core.audit_chain`).
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainRow(Base):
    """The audit chain's head: one row (``id`` 1), the newest ``seq`` and its hash.

    Appending locks this row first (PostgreSQL: the row lock of an UPDATE; SQLite: the
    database write lock the UPDATE takes), so two appenders never extend the same head.
    It also records the newest row, so deleting the newest rows is detectable.
    """

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))


class LineageEdgeRow(Base):
    """One hop of lineage (see :class:`models.lineage.LineageEdge`); ``id`` is the edge id.

    ``state``: ``applied`` (declared, parsed, or inferred at/above the threshold, or approved
    by a steward), ``suggested`` (inferred below the threshold: in the review queue) or
    ``rejected`` (a steward said no; later inferences do not bring it back).
    """

    __tablename__ = "lineage_edges"
    # An endpoint's edges in one state (``edges_of``): by (endpoint, state), so no planner
    # searches the ``state`` index, which nearly every edge matches (migration 0013).
    __table_args__ = (
        Index("ix_lineage_edges_source_state", "source_uri", "state"),
        Index("ix_lineage_edges_target_state", "target_uri", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_uri: Mapped[str] = mapped_column(String(2048))
    target_uri: Mapped[str] = mapped_column(String(2048))
    origin: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sql: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class OpenLineageEventRow(Base):
    """An OpenLineage event taken in, keyed by (run id, event type, event time).

    ``id`` is the sha256 of the key (a duplicate delivery finds it); ``event`` is the event as
    received, so a run's later events (a ``START`` after its ``COMPLETE``) are mapped with it.
    ``run_id`` is the run's id, or ``job:``/``dataset:`` and the name for job and dataset events.
    """

    __tablename__ = "openlineage_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(512), index=True)
    event_type: Mapped[str] = mapped_column(String(16))
    event_time: Mapped[str] = mapped_column(String(64))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]


class DeclaredSchemaRow(Base):
    """The schema a dataset's producer declared (an OpenLineage ``schema`` facet), per dataset.

    One row per dataset URI (S3 endpoints resolved to their dataset); the newest event's
    declaration wins. ``fields``: ``[{"name", "type", "description"}]``; ``event_time`` and
    ``run_id`` say which event declared it.
    """

    __tablename__ = "declared_schemas"

    dataset_uri: Mapped[str] = mapped_column(String(2048), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    event_time: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime]


suggestions = SuggestionRow.__table__
