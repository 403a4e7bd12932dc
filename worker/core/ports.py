"""The ports: small protocols the core and the services depend on; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from models import EnrichmentResult, ObjectInfo, ObjectRef
from models.datasets import (
    Alert,
    AlertCandidate,
    AlertKind,
    AlertState,
    DatasetRef,
    DatasetSummary,
    DatasetUpdate,
    DatasetVerdict,
    PartitionRecord,
    SchemaColumn,
    SchemaVersion,
    Severity,
    StoredDataset,
)
from models.jobs import ItemState, Job, JobOptions, JobProgress, JobState
from models.lineage import Dataset, LineageEdge, Rekeyed, UpsertReport
from models.plan import (
    DatasetWriteReport,
    DesiredDataset,
    DesiredObject,
    EnrichmentPlan,
    Suggestion,
    WriteReport,
)
from models.review import Decision, DecisionKey, Page, SuggestionFilter, SuggestionView, SyncReport

if TYPE_CHECKING:
    # Annotations only: the facets module reads the business features (numpy), which a
    # command that only queues work (``enricher job start``) should not import.
    from worker.core.facets import ColumnCounts, Facet, FacetMatch


@runtime_checkable
class ObjectStore(Protocol):
    """Lists objects, reports their metadata and serves byte ranges.

    Implementations: :class:`worker.adapters.storage.local.LocalObjectStore`,
    :class:`worker.adapters.storage.s3.S3ObjectStore`;
    :class:`worker.adapters.storage.routing.RoutingObjectStore`
    dispatches on the URI scheme.
    """

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield every object at or under ``uri`` (an object, a prefix or a directory).

        Pages through listings lazily; never holds the whole listing in memory.

        :raises RunError: the bucket/path does not exist, credentials are rejected, the
            endpoint is unreachable.
        """
        ...

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the current metadata of one object.

        :raises ObjectVanished: the object does not exist (any more).
        :raises RunError: as for :meth:`list_objects`.
        :raises StoreUnavailable: a transient failure.
        """
        ...

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` of the object in one request.

        The read is pinned to ``info.etag`` (and ``info.version_id`` when set), so a sample
        never mixes two versions of an object.

        :raises ObjectVanished: deleted since ``info`` was taken.
        :raises ObjectChanged: overwritten since ``info`` was taken.
        :raises StoreUnavailable: a transient failure.
        """
        ...


class LocalCatalog(Protocol):
    """The embedded record of runs, objects, columns and findings (SQLite by default)."""

    def is_current(self, info: ObjectInfo, classifier_versions: Mapping[str, str]) -> bool:
        """Whether ``info`` (same ETag) was already classified with these classifier versions."""
        ...

    def start_run(self, command: str, targets: list[str]) -> str:
        """Open a run record and return its id."""
        ...

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        """Store one object's result (metadata, columns, findings; never sampled values)."""
        ...

    def finish_run(self, run_id: str, counts: Mapping[str, int]) -> None:
        """Close a run record with its per-status counts."""
        ...


class ReviewObserver(Protocol):
    """Told about every recorded result, to keep the steward review queue current."""

    def observe(self, result: EnrichmentResult) -> object:
        """Store the object's suggestions (pending) under the policy and past decisions."""
        ...


# --- Metrics ------------------------------------------------------------------------------


class Metrics(Protocol):
    """Counts what the pipeline, the Atlan writer, the events and the jobs do.

    Labels are low-cardinality words (statuses, formats, error kinds, stages, classifier
    names), never URIs or values. Implementation:
    :class:`worker.adapters.metrics.prometheus.PrometheusMetrics`; :class:`NoMetrics` counts
    nothing.
    """

    def object_done(self, status: str, fmt: str, error_kind: str, bytes_read: int) -> None:
        """One object's outcome (``error_kind`` ``""`` when none) and the bytes it read."""
        ...

    def stage_seconds(self, stage: str, seconds: float, classifier: str = "") -> None:
        """How long a stage took (``sample``, ``classify`` per classifier, ``record``)."""
        ...

    def atlan_request(self, operation: str, outcome: str, seconds: float) -> None:
        """One Atlan request: its operation verb, ``ok`` or the error kind, its latency."""
        ...

    def event_lag(self, seconds: float) -> None:
        """Seconds from an S3 event's time to its object's result being stored."""
        ...

    def job_object(self, status: str) -> None:
        """A job's object reached a final status (``classified``, ``skipped``, ``failed``)."""
        ...


class NoMetrics:
    """The :class:`Metrics` that counts nothing (the default of every consumer)."""

    def object_done(self, status: str, fmt: str, error_kind: str, bytes_read: int) -> None:
        """Nothing."""

    def stage_seconds(self, stage: str, seconds: float, classifier: str = "") -> None:
        """Nothing."""

    def atlan_request(self, operation: str, outcome: str, seconds: float) -> None:
        """Nothing."""

    def event_lag(self, seconds: float) -> None:
        """Nothing."""

    def job_object(self, status: str) -> None:
        """Nothing."""


# --- Jobs ---------------------------------------------------------------------------------


class JobStore(Protocol):
    """Bulk jobs: state, listing cursor and one idempotent row per object of a job.

    Progress is counted from the per-object rows, so a task delivered twice changes nothing:
    its row is upserted, never added again. Implementations:
    :class:`worker.adapters.catalog.job_store.SqlJobStore`; the fake
    ``tests.support.fakes.InMemoryJobStore``.
    """

    def create(self, target: str, options: JobOptions, run_id: str | None) -> str:
        """Insert a running job with nothing listed yet; return its id."""
        ...

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None`` when there is no job with that id."""
        ...

    def set_state(self, job_id: str, state: JobState) -> None:
        """Change the job's state (no-op for an unknown id)."""
        ...

    def add_listed(
        self, job_id: str, uris: Sequence[str], cursor: str | None, done: bool
    ) -> list[str]:
        """Record a listed page: its objects as queued, and where listing continues.

        Idempotent: a page listed twice adds nothing twice.

        :returns: the URIs that were new to the job (the ones to enqueue), in page order.
        """
        ...

    def mark(self, job_id: str, uri: str, status: ItemState, error_kind: str | None = None) -> None:
        """Set one object's state (upsert: a second delivery overwrites, never adds)."""
        ...

    def item_status(self, job_id: str, uri: str) -> ItemState | None:
        """The object's state in the job, or ``None`` when it is not in the job."""
        ...

    def progress(self, job_id: str) -> JobProgress | None:
        """Counts per item state and the job's state; ``None`` for an unknown id."""
        ...

    def list_jobs(self, limit: int = 20, state: JobState | None = None) -> list[JobProgress]:
        """The newest jobs first (only those in ``state``, when given), at most ``limit``."""
        ...

    def queued(self, job_id: str, after: str | None, limit: int) -> list[str]:
        """Unfinished objects (queued or cancelled) of the job, in URI order after ``after``."""
        ...


# --- Review ---------------------------------------------------------------------------------


class ReviewStore(Protocol):
    """Suggestions and the stewards' decisions on them, each decision audited.

    A decision is never overwritten: a scan only inserts pending suggestions, refreshes
    pending ones and supersedes pending ones it no longer produces. Implementations:
    :class:`worker.adapters.catalog.review_store.SqlReviewStore`; the fake
    ``tests.support.fakes.InMemoryReviewStore``.
    """

    def decisions_for(self, object_uri: str) -> dict[DecisionKey, Decision]:
        """The latest decision per (kind, tag, column) on one object (pending ones excluded)."""
        ...

    def sync(
        self,
        object_uri: str,
        found: Sequence[Suggestion],
        kinds: Iterable[str] = ...,
        supersede: bool = True,
        reopen_rejected: bool = True,
    ) -> SyncReport:
        """Store what the latest scan of one object suggests.

        New keys become pending; pending ones seen again are refreshed; approved or applied
        keys are left alone; a rejected key gets a new pending row (``reopen_rejected``
        false, or a ``tag-removal``: never). With ``supersede``, pending suggestions of
        ``kinds`` (default: :data:`models.review.SCAN_KINDS`) that ``found`` lacks become
        superseded.

        :raises ValueError: a suggestion in ``found`` is for another object.
        """
        ...

    def page(
        self, f: SuggestionFilter, sort: str = "-confidence", offset: int = 0, limit: int = 50
    ) -> Page:
        """One page of the suggestions ``f`` selects (``limit`` is clamped to 1..500).

        :raises InvalidDecision: an unknown sort key.
        """
        ...

    def count(self, f: SuggestionFilter) -> int:
        """How many suggestions ``f`` selects."""
        ...

    def decide(
        self,
        ids: Sequence[int],
        approve: bool,
        actor: str,
        reason: str | None = None,
        address: str | None = None,
        bulk: SuggestionFilter | None = None,
    ) -> list[SuggestionView]:
        """Approve or reject pending suggestions, all or none; return them as they are now.

        Side effects: one audit entry per suggestion (or one for a ``bulk`` decision).

        :raises InvalidDecision: a rejection without a reason, or a suggestion not pending.
        :raises SuggestionNotFound: an unknown id.
        """
        ...

    def decide_matching(
        self,
        f: SuggestionFilter,
        approve: bool,
        actor: str,
        reason: str | None = None,
        expected: int | None = None,
        address: str | None = None,
    ) -> list[SuggestionView]:
        """Decide every pending suggestion ``f`` selects (a bulk decision, audited once).

        :param expected: the count the person confirmed.
        :raises InvalidDecision: nothing matches, the count is not ``expected``, or a
            rejection without a reason.
        """
        ...

    def approved_unapplied(self, limit: int = 500) -> list[SuggestionView]:
        """Approved suggestions the catalog has not confirmed yet, oldest decision first."""
        ...

    def mark_applied(self, ids: Sequence[int], actor: str = "atlan") -> None:
        """Approved suggestions become ``applied`` (others are skipped). Side effects: audit."""
        ...

    def mark_apply_failed(self, ids: Sequence[int], error: str) -> None:
        """Keep approved suggestions approved, with why the catalog did not take them."""
        ...


# --- Lineage --------------------------------------------------------------------------------


class LineageStore(Protocol):
    """Lineage edges, one per hop (source → target), and the PII scans found on S3 datasets.

    States are ``applied``, ``suggested`` (an inferred edge below the auto-apply threshold,
    waiting for a steward) and ``rejected``. Implementations:
    :class:`worker.adapters.catalog.lineage_store.SqlLineageStore`; the fake
    ``tests.support.fakes.InMemoryLineageStore``.
    """

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        """Add or refresh edges; return counts and the edges that now wait for a steward.

        The strongest origin's details win for a hop; a steward's decision stands against a
        later inference.
        """
        ...

    def stored_edges(self) -> list[tuple[LineageEdge, str]]:
        """Every edge with its state (re-resolution reads them all)."""
        ...

    def rekey(self, changes: Sequence[Rekeyed]) -> int:
        """Replace re-resolved edges (and the ids review items name); return how many."""
        ...

    def set_state(self, edge_id: str, state: str) -> LineageEdge:
        """Record a steward's decision on an edge (``applied`` or ``rejected``).

        :raises SuggestionNotFound: no such edge.
        """
        ...

    def edges(self, states: Iterable[str] = ...) -> list[LineageEdge]:
        """Every edge in ``states`` (default: applied), in id order."""
        ...

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        """Applied edges leaving (``downstream``) or entering any of ``uris``, in id order."""
        ...

    def datasets_containing(self, object_uri: str) -> list[Dataset]:
        """S3 datasets with applied edges that contain the object, longest name first."""
        ...

    def s3_findings(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, dict[str, float]]]:
        """PII scans found in each S3 dataset: dataset URI → column → entity → confidence.

        Tables are skipped; the confidence is the highest over the dataset's objects.
        """
        ...

    def s3_pii(self, datasets: Iterable[Dataset]) -> dict[str, dict[str, set[str]]]:
        """Like :meth:`s3_findings`, entities only: dataset URI → column → entities."""
        ...


@runtime_checkable
class LineageColumnReader(Protocol):
    """Reads the edges a column-following walk can take, without building the others.

    A walk that follows given columns (where an entity flows) takes only the edges whose
    column maps name them; reading every edge of thousands of datasets to drop most of them
    is most of its time. Implementations: :class:`worker.adapters.catalog.lineage_store.
    SqlLineageStore` (stores without it are read whole, through ``edges_of``).
    """

    def edges_naming(
        self, uris: Sequence[str], downstream: bool, columns: Iterable[str]
    ) -> list[LineageEdge]:
        """Applied edges leaving (``downstream``) or entering ``uris`` that ``columns`` may take.

        Those whose column map names one of ``columns`` on the near side (the source side
        when ``downstream``, else the target side; exact names), names a positional source
        (``$1``: it is named after the dataset's writers, later), or is empty (the whole
        dataset flows on); in id order, as :meth:`LineageStore.edges_of` returns them.
        """
        ...


# --- Catalog writer -------------------------------------------------------------------------


class CatalogWriter(Protocol):
    """Writes results and approved decisions to the data catalog (Atlan).

    What cannot be written waits in a durable outbox with its reason and is retried by
    :meth:`flush`. Implementation: :class:`worker.adapters.atlan.writer.AtlanCatalogWriter`;
    the fake ``tests.support.fakes.FakeCatalogWriter``.
    """

    #: Called after every write request (a Celery flush keeps its lock alive with it).
    on_request: Callable[[], None] | None

    def plan(self, desired: Sequence[DesiredObject]) -> EnrichmentPlan:
        """Read what the catalog has for ``desired`` and plan only the difference.

        :raises CatalogWriteError: the catalog could not be read.
        """
        ...

    def write(self, desired: Sequence[DesiredObject]) -> WriteReport:
        """Plan and apply ``desired``; never raises: what fails goes to the outbox.

        Side effects: writes to the catalog, remembers what was written, queues the rest.
        """
        ...

    def flush(self) -> WriteReport:
        """Retry everything in the outbox, oldest first; what succeeds leaves it."""
        ...

    def apply_decisions(
        self, approved: Sequence[SuggestionView], reviewer: dict[int, str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        """Write approved suggestions (tags, removals, terms, categories); never raises.

        :param reviewer: suggestion id → who approved it (recorded in the catalog).
        :returns: (ids the catalog confirmed, {id: why it was not applied}).
        """
        ...

    def archive(self, bucket: str, key: str) -> bool:
        """Archive (soft-delete) the object's asset; ``False`` when none was active.

        :raises CatalogWriteError: the catalog refused or is unavailable.
        """
        ...


@dataclass(frozen=True, slots=True)
class DatasetHoldings:
    """What one dataset holds, as :meth:`DatasetStore.holdings` reads it.

    :param entities: entity → the columns it was found on (the verdict's; ``()``: no
        verdict yet).
    """

    uri: str
    category: str | None
    category_confidence: float | None
    entities: tuple[tuple[str, tuple[str, ...]], ...]
    object_count: int
    total_bytes: int
    first_seen: datetime
    last_seen: datetime


class DatasetStore(Protocol):
    """Datasets, their partitions and their schema history in the local catalog.

    Implementation: :class:`worker.adapters.catalog.dataset_store.SqlDatasetStore`; the fake
    :class:`tests.support.fakes.InMemoryDatasetStore`.
    """

    def record_grouping(self, summary: DatasetSummary) -> DatasetUpdate:
        """Store a grouped dataset and its partitions; say which partitions are new."""
        ...

    def get(self, uri: str) -> StoredDataset | None:
        """The dataset ``uri`` (``s3://bucket/root``), or ``None``."""
        ...

    def list_datasets(self, bucket: str | None = None, limit: int = 1000) -> list[StoredDataset]:
        """Datasets in URI order, optionally of one bucket."""
        ...

    def holdings(self, limit: int = 1000) -> list[DatasetHoldings]:
        """What each dataset holds, in URI order, at most ``limit``: read narrowly.

        Only the verdict's category and entities (not its columns) and the row's counts and
        times: what a selection by content needs, without parsing whole verdicts.
        """
        ...

    def partitions(self, uri: str) -> list[PartitionRecord]:
        """The dataset's partitions in key order."""
        ...

    def record_partition_sample(self, record: PartitionRecord) -> None:
        """Store what a partition's sample showed (row count, schema, null shares, findings)."""
        ...

    def set_verdict(self, verdict: DatasetVerdict) -> None:
        """Store the dataset's merged verdict."""
        ...

    def record_schema(
        self, uri: str, columns: Sequence[SchemaColumn], source: str
    ) -> SchemaVersion | None:
        """Add a schema version when ``columns`` differ from the latest (``None``: same)."""
        ...

    def schema_history(self, uri: str) -> list[SchemaVersion]:
        """Every schema version, oldest first."""
        ...

    def dataset_of(self, bucket: str, key: str) -> DatasetRef | None:
        """The known dataset that holds ``key`` (the longest root that contains it)."""
        ...


class DatasetFacets(Protocol):
    """The value facets of datasets, read side (:mod:`worker.core.facets`).

    Which datasets hold a country, currency or region, and a dataset's kept top values.

    Implementation: :class:`worker.adapters.catalog.facet_store.SqlDatasetFacets`; the fake
    :class:`tests.support.facets.InMemoryDatasetFacets`.
    """

    def datasets_with_value(
        self, column_type: str | None, value: str, limit: int | None = None
    ) -> list[FacetMatch]:
        """The dataset columns whose kept values include ``value``, highest share first.

        :param column_type: ``country``, ``currency_code`` (or ``currency``) or ``region``;
            ``None``: any. An unknown type gives ``[]``.
        :param value: as a person writes it: ``Singapore``, ``SG`` and ``SGP`` are ``SG``;
            ``EU`` (country) stands for its member countries. A value no facet type can
            hold gives ``[]``.
        :param limit: at most this many matches (``None``: all).
        :returns: ties by dataset URI, column and value (code-point order).
        """
        ...

    def facets(self, dataset: str) -> list[Facet]:
        """The facets of the dataset ``dataset`` (its URI), by column name; ``[]`` if none."""
        ...


class FacetStore(DatasetFacets, Protocol):
    """The value facets of datasets, with the write side the dataset service uses."""

    def record_facets(
        self,
        dataset: str,
        samples: Mapping[str, Mapping[str, ColumnCounts]],
        excluded: Sequence[str],
        partitions: Sequence[str],
    ) -> list[Facet]:
        """Store fresh partition samples' facets and recompute the dataset's.

        :param samples: partition key → column → counts of the partitions sampled now
            (replacing what those partitions had).
        :param excluded: columns with a PII finding anywhere in the dataset: their values
            are deleted from every partition and never kept.
        :param partitions: the dataset's partition keys now; others' facets are deleted.
        :returns: the dataset's facets after the change.
        """
        ...


class AlertStore(Protocol):
    """Alerts, deduplicated by fingerprint.

    Implementation: :class:`worker.adapters.catalog.alert_store.SqlAlertStore`; the fake
    :class:`tests.support.fakes.InMemoryAlertStore`.
    """

    def raise_alerts(self, candidates: Sequence[AlertCandidate]) -> list[Alert]:
        """Store candidates; return the alerts that (re)opened: the ones to deliver.

        A known open or acknowledged fingerprint counts one more occurrence; a new one, or a
        resolved one firing again, opens.
        """
        ...

    def list_alerts(
        self,
        state: AlertState | None = None,
        severity: Severity | None = None,
        dataset_uri: str | None = None,
        kind: AlertKind | None = None,
        limit: int = 200,
    ) -> list[Alert]:
        """Alerts, newest ``last_seen`` first, filtered."""
        ...

    def get(self, alert_id: int) -> Alert | None:
        """One alert."""
        ...

    def set_state(
        self, alert_id: int, state: AlertState, actor: str, note: str | None = None
    ) -> Alert:
        """Acknowledge or resolve an alert.

        :raises AlertNotFound: no such alert.
        """
        ...

    def mark_delivered(self, alert_ids: Sequence[int], channel: str) -> None:
        """Record that ``channel`` (``webhook`` or ``atlan``) delivered these alerts."""
        ...

    def undelivered(self, channel: str, limit: int = 500) -> list[Alert]:
        """Open alerts ``channel`` never delivered, oldest first.

        A failed delivery, or alerts raised before the channel existed: the next delivery
        round takes them again.
        """
        ...

    def delivered_since(self, since: datetime, channel: str) -> int:
        """How many alerts ``channel`` delivered since ``since`` (the rate limit)."""
        ...


class AlertNotifier(Protocol):
    """One delivery channel of alerts: a webhook, Atlan announcements.

    Implementations: :class:`worker.adapters.alerts.webhook.WebhookAlertNotifier`,
    :class:`worker.adapters.atlan.announcement.AtlanAnnouncementNotifier`.
    """

    #: The channel's name, as :meth:`AlertStore.mark_delivered` records it (``webhook``).
    channel: str

    def send(self, alerts: Sequence[Alert], digest: str | None = None) -> None:
        """Deliver ``alerts``; with ``digest``, as one summary message of them instead.

        :raises EnrichmentError: the delivery failed (``retryable`` says whether a later try
            may succeed); nothing of the alerts' content is in the message.
        """
        ...


@dataclass(frozen=True)
class ContractPublication:
    """What publishing a data contract on a dataset's catalog asset did.

    :ivar asset_qualified_name: the dataset's asset the contract governs.
    :ivar outcome: ``created`` (its first version), ``updated`` (the latest version was a
        draft and now holds this contract), ``new_version`` (the latest was certified: a new
        version follows it), ``unchanged`` (the catalog holds this contract: nothing sent).
    :ivar contract_qualified_name: the contract version's name in the catalog, if known.
    :ivar version: the contract version's number, if known.
    :ivar certified: whether this version is certified (``status: verified``).
    :ivar requests: mutating requests sent (0 when unchanged).
    """

    asset_qualified_name: str
    outcome: str
    contract_qualified_name: str | None = None
    version: int | None = None
    certified: bool = False
    requests: int = 0


class DatasetCatalogWriter(Protocol):
    """Writes datasets to the catalog as one asset each.

    Each asset carries the dataset's tags, description and custom metadata, and is linked to
    the dataset's objects.

    Implementation: :class:`worker.adapters.atlan.datasets.AtlanDatasetWriter`.
    """

    def write(self, datasets: Sequence[DesiredDataset]) -> DatasetWriteReport:
        """Bring the datasets' assets to ``datasets``; only differences are sent.

        Never raises for the catalog: refusals are per dataset in the report, and a stopped
        write sets its ``error``.
        """
        ...

    def qualified_name_of(self, dataset_uri: str) -> str | None:
        """The qualified name of the dataset's asset in the catalog, or ``None`` if it has none.

        :raises CatalogWriteError: the catalog could not be read.
        """
        ...

    def publish_contract(
        self, dataset_qualified_name: str, contract_yaml: str, *, asset_type: str | None = None
    ) -> ContractPublication:
        """Publish a data contract (YAML or JSON text) on the dataset's asset.

        Idempotent: a contract the catalog already holds as the latest version sends nothing.

        :raises CatalogAssetNotFound: the asset is not in the catalog, or is archived.
        :raises CatalogRejected: the catalog refuses the contract (its content, or an asset
            type it does not govern with contracts); retrying will not help.
        :raises CatalogUnavailable: the catalog is unavailable (retryable).
        :raises CatalogWriteError: any other catalog failure (auth, permissions).
        """
        ...
