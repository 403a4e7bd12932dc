"""The one error tree of s3-enricher.

Every error the worker raises on purpose derives from :class:`EnrichmentError`. Vendor errors
(botocore, pyarrow, OS errors) are mapped to the most specific class here at the adapter
boundary with ``raise ... from exc``; the vendor message stays on ``__cause__`` and never goes
into reports, since it may quote data.

::

    EnrichmentError                     retryable  outcome
    ├── ConfigError                     no         run stops (exit 1)
    ├── RunError                        -          run stops (exit 1)
    │   ├── BucketNotFound              no
    │   ├── CredentialsRejected         no
    │   ├── AccessDenied                no
    │   ├── EndpointUnreachable         yes
    │   └── SourceNotFound              no         a local path or prefix that does not exist
    ├── StoreUnavailable                yes        S3 5xx / throttling / timeouts for one object
    ├── CatalogWriteError               -          an Atlan write; the plan goes to the outbox
    │   ├── CatalogUnavailable          yes        429/5xx (gateway pages too) after retries,
    │   │                                          timeouts, network; carries Retry-After
    │   ├── CatalogAuthError            no         API key rejected or expired (401): stops all
    │   └── CatalogRejected             no         this request is wrong (400/404/409): per asset
    │       ├── CatalogPermissionDenied no         403 for one asset or edge; names the grant
    │       ├── CatalogAssetNotFound    no         the asset to attach to (a data contract's
    │       │                                      dataset) is not in Atlan or is archived
    │       └── CatalogDefinitionMissing no        a tag or custom metadata attribute is not
    │                                              defined in Atlan (after a cache refresh)
    ├── ReviewError                     -          steward review (web UI, API, CLI)
    │   ├── SuggestionNotFound          no         no suggestion/user with that id/name (404)
    │   ├── InvalidDecision             no         e.g. a rejection without a reason (400/409)
    │   ├── NotAuthenticated            no         no or wrong credentials/session (401)
    │   ├── PermissionDenied            no         the role may not do this (403)
    │   └── LoginThrottled              yes        too many failed logins (429)
    ├── DatasetError                    -          datasets and alerts (CLI, web UI, API)
    │   ├── DatasetNotFound             no         no dataset holds that URI (404)
    │   ├── AlertNotFound               no         no alert with that id (404)
    │   └── TableMetadataError          no         a Delta log or Iceberg metadata file is
    │                                              unreadable (the dataset is still grouped)
    ├── AlertDeliveryError              yes        an alert webhook failed: network, timeout,
    │   │                                          429 or 5xx; the alert stays undelivered
    │   └── AlertDeliveryRejected       no         the receiver refused it (other 4xx)
    └── ObjectError                     -          recorded for the object, the run goes on
        ├── ObjectSkipped               no         status "skipped"
        │   ├── EmptyObject
        │   ├── ObjectVanished          deleted between listing and reading
        │   ├── UnsupportedFormat       content is not a format we read, name gives no hint
        │   └── NoDataRows              a header and no rows
        └── ObjectFailed                no         status "failed"
            ├── TruncatedParquet
            ├── CorruptParquetFooter
            ├── CorruptParquetData
            ├── FormatMismatch          name says CSV/Parquet/JSON, content is something else
            ├── RaggedRows
            ├── InvalidEncoding
            ├── MalformedJson
            ├── TruncatedCompression
            ├── DecompressionBomb
            ├── ObjectChanged           the object changed while it was being read
            ├── ClassificationFailed
            ├── SampleTooLarge          a row group (or footer) beyond the sampler's limits
            ├── NestingTooDeep          JSON nested deeper than the sampler follows
            ├── LocalPathRefused        a worker task named file:// while local paths are off
            ├── WorkerLost              the object killed its worker process on every delivery
            └── InternalError           an unexpected exception; its message quotes no data
"""

from __future__ import annotations

from typing import ClassVar


class EnrichmentError(Exception):
    """Base of every s3-enricher error.

    :cvar kind: a stable, machine-readable name used in reports and the catalog.
    :cvar retryable: whether trying the same thing again later may succeed.
    """

    kind: ClassVar[str] = "error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(EnrichmentError):
    """The settings or a config file are invalid (names the key or the line)."""

    kind = "config_error"


class RunError(EnrichmentError):
    """The run as a whole cannot proceed; the CLI prints the message and exits 1."""

    kind = "run_error"


class CatalogWriteError(EnrichmentError):
    """Writing to the catalog (Atlan) failed; the message names the operation, never data."""

    kind = "catalog_write_error"


class CatalogUnavailable(CatalogWriteError):
    """Atlan did not answer usefully within the retry budget (429, 5xx, timeout, network).

    :ivar retry_after_s: what Atlan (or its gateway) asked for in ``Retry-After``, if anything;
        whoever retries waits at least this long.
    """

    kind = "catalog_unavailable"
    retryable = True

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CatalogAuthError(CatalogWriteError):
    """Atlan rejected the API key itself (401): nothing can be written with it."""

    kind = "catalog_auth_error"


class CatalogRejected(CatalogWriteError):
    """Atlan rejected the request (bad payload, missing referenced asset, conflict).

    Rejections are about the assets in the request: a batch that is rejected is split so
    that the one bad asset is reported alone and the others land.
    """

    kind = "catalog_rejected"


class CatalogPermissionDenied(CatalogRejected):
    """Atlan answered 403 for an asset or edge: the token's personas do not grant the action.

    The message names the action and the persona permission to grant; the rest of the write
    goes on.
    """

    kind = "catalog_permission_denied"


class CatalogAssetNotFound(CatalogRejected):
    """The asset something is attached to (a data contract's dataset) is missing or archived.

    Writing the dataset's asset first (or restoring it) is what helps; trying again does not.
    """

    kind = "catalog_asset_not_found"


class CatalogDefinitionMissing(CatalogRejected):
    """A tag or custom metadata attribute s3-enricher writes is not defined in Atlan.

    Raised only after the pyatlan caches were refreshed and the write retried once; every
    asset would fail the same way, so the write stops splitting batches.
    """

    kind = "catalog_definition_missing"


class BucketNotFound(RunError):
    """The bucket does not exist."""

    kind = "bucket_not_found"


class CredentialsRejected(RunError):
    """The store rejected the credentials (invalid key id or signature)."""

    kind = "credentials_rejected"


class AccessDenied(RunError):
    """The credentials are valid but not allowed to list or read."""

    kind = "access_denied"


class EndpointUnreachable(RunError):
    """The S3 endpoint did not answer (DNS, refused connection, timeout)."""

    kind = "endpoint_unreachable"
    retryable = True


class SourceNotFound(RunError):
    """A local path given on the command line does not exist."""

    kind = "source_not_found"


class StoreUnavailable(EnrichmentError):
    """A transient store failure on one object (5xx, throttling, reset connection)."""

    kind = "store_unavailable"
    retryable = True


class ObjectError(EnrichmentError):
    """A problem with one object; recorded in its result, the run goes on."""

    kind = "object_error"
    #: the status the object gets: ``"skipped"`` or ``"failed"``.
    outcome: ClassVar[str] = "failed"


class ObjectSkipped(ObjectError):
    """Nothing to classify in this object; not a failure."""

    kind = "skipped"
    outcome = "skipped"


class EmptyObject(ObjectSkipped):
    """The object has zero bytes."""

    kind = "empty_object"


class ObjectVanished(ObjectSkipped):
    """The object was deleted between listing and reading."""

    kind = "object_vanished"


class UnsupportedFormat(ObjectSkipped):
    """The content is not Parquet, delimited text or JSON Lines, and the name does not claim so."""

    kind = "unsupported_format"


class NoDataRows(ObjectSkipped):
    """A delimited file with a header but no data rows."""

    kind = "no_data_rows"


class ObjectFailed(ObjectError):
    """The object claims a format we read but cannot be read as such."""

    kind = "failed"


class TruncatedParquet(ObjectFailed):
    """Starts with ``PAR1`` but does not end with it."""

    kind = "truncated_parquet"


class CorruptParquetFooter(ObjectFailed):
    """The Parquet footer length or metadata cannot be decoded."""

    kind = "corrupt_parquet_footer"


class CorruptParquetData(ObjectFailed):
    """The footer is fine but the sampled pages cannot be decoded."""

    kind = "corrupt_parquet_data"


class FormatMismatch(ObjectFailed):
    """The name says CSV/JSON/Parquet but the bytes are something else (e.g. binary)."""

    kind = "format_mismatch"


class RaggedRows(ObjectFailed):
    """Too many rows have a different number of fields than the header."""

    kind = "ragged_rows"


class InvalidEncoding(ObjectFailed):
    """Text that is neither valid UTF-8 nor plausibly Latin-1/CP1252."""

    kind = "invalid_encoding"


class MalformedJson(ObjectFailed):
    """JSON Lines whose lines do not parse as JSON objects."""

    kind = "malformed_json"


class TruncatedCompression(ObjectFailed):
    """A gzip/zstd/bz2 stream that ends before its end marker."""

    kind = "truncated_compression"


class DecompressionBomb(ObjectFailed):
    """Decompressed output grew beyond the allowed ratio to the compressed input."""

    kind = "decompression_bomb"


class ObjectChanged(ObjectFailed):
    """The object was overwritten while it was being read (ETag no longer matches)."""

    kind = "object_changed"
    retryable = True


class ClassificationFailed(ObjectFailed):
    """Every classifier failed on this object."""

    kind = "classification_failed"


class SampleTooLarge(ObjectFailed):
    """Decoding the sample would exceed the sampler's memory limits.

    A row group's declared uncompressed size or row count, or a Parquet footer's length, is
    beyond the configured cap.
    """

    kind = "sample_too_large"


class NestingTooDeep(ObjectFailed):
    """JSON nested deeper than the sampler follows (a stack-exhaustion attempt)."""

    kind = "nesting_too_deep"


class LocalPathRefused(ObjectFailed):
    """A worker task named a ``file://`` path while ``celery.allow_local_paths`` is off."""

    kind = "local_path_refused"


class WorkerLost(ObjectFailed):
    """The object's worker process died on every delivery of its task.

    Out of memory or a crash in a native library; after the last delivery the object is
    recorded as failed and its task is not delivered again.
    """

    kind = "worker_lost"


class InternalError(ObjectFailed):
    """An unexpected exception while handling one object; the run goes on.

    The message names the exception type and the stage only, never its text, which may quote
    sampled values.
    """

    kind = "internal_error"


class ReviewError(EnrichmentError):
    """A steward-review operation was refused; the message says why (never sampled data)."""

    kind = "review_error"


class SuggestionNotFound(ReviewError):
    """No suggestion (or user) with that id or name."""

    kind = "not_found"


class InvalidDecision(ReviewError):
    """The decision is not allowed: no reason for a rejection, already decided, bad filter."""

    kind = "invalid_decision"


class NotAuthenticated(ReviewError):
    """No valid session, token or password."""

    kind = "not_authenticated"


class PermissionDenied(ReviewError):
    """The user's role may not perform the operation (viewers cannot decide)."""

    kind = "permission_denied"


class LoginThrottled(ReviewError):
    """Too many failed logins for this user or address; try again after ``retry_after_s``."""

    kind = "login_throttled"
    retryable = True

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DatasetError(EnrichmentError):
    """A dataset or alert operation was refused; the message says why (never sampled data)."""

    kind = "dataset_error"


class DatasetNotFound(DatasetError):
    """No known dataset holds that URI (object, prefix or partition)."""

    kind = "dataset_not_found"


class AlertNotFound(DatasetError):
    """No alert with that id."""

    kind = "alert_not_found"


class TableMetadataError(DatasetError):
    """A Delta log or Iceberg metadata file cannot be read; grouping goes on without it."""

    kind = "table_metadata_error"


class AlertDeliveryError(EnrichmentError):
    """An alert could not be delivered (network, timeout, 429, 5xx); it stays undelivered.

    The message names the channel and the HTTP status or exception type, never the URL's
    query, the secret or the alert's content.
    """

    kind = "alert_delivery_error"
    retryable = True


class AlertDeliveryRejected(AlertDeliveryError):
    """The receiver refused the alert (a 4xx other than 429): trying again will not help."""

    kind = "alert_delivery_rejected"
    retryable = False
