"""``DatasetService``: listings in, datasets with one verdict, schema history and alerts out.

A scan hands it the listing; it groups objects into datasets as they stream past
(:mod:`worker.core.datasets.grouping`), records each dataset, picks the partitions worth
sampling (:func:`worker.core.datasets.selection.select_partitions`: on a known dataset, only
the new or changed ones), and once the caller has enriched their sample objects it merges the
findings into the dataset's verdict, records the schema version, and turns drift and
anomalies into alerts. The caller (the CLI scan, a Celery task) does the enriching, so the
service never samples anything itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from models import EnrichmentResult, ObjectInfo, ObjectRef, ObjectStatus
from models.datasets import (
    Alert,
    AlertCandidate,
    AlertKind,
    DatasetRef,
    DatasetSummary,
    DatasetUpdate,
    DatasetVerdict,
    PartitionInfo,
    PartitionRecord,
    SchemaChange,
    SchemaColumn,
    SchemaVersion,
    StoredDataset,
)
from models.lineage import LineageEdge
from worker.core.datasets.anomaly import detect, freshness
from worker.core.datasets.drift import lineage_drift, partition_drift
from worker.core.datasets.grouping import group
from worker.core.datasets.selection import select_partitions
from worker.core.datasets.table_formats import read_table_metadata
from worker.core.datasets.verdict import dataset_schema, merge_verdict, partition_record
from worker.core.errors import DatasetNotFound, TableMetadataError
from worker.core.facets import ColumnCounts, Facet, sample_facets
from worker.core.ports import DatasetStore, FacetStore, ObjectStore
from worker.core.settings import DatasetSettings


def sample_ref(dataset: DatasetRef, key: str) -> ObjectRef:
    """The object ref of a partition's sample object (an S3 key, or a local absolute path)."""
    if not dataset.bucket:
        return ObjectRef.parse(key)
    return ObjectRef.parse(f"s3://{dataset.bucket}/{key}")


def _key(partition: PartitionInfo) -> str:
    return partition.key


#: The lineage edges that touch a dataset (both directions), applied ones only.
EdgesOf = Callable[[str], list[LineageEdge]]
#: Table dataset URI (``postgres:db.schema.table``) → its columns, where a schema source
#: (PostgreSQL's information_schema, a Snowflake columns export) knows the table.
TableSchemas = Callable[[], Mapping[str, Sequence[SchemaColumn]]]
#: Formats whose column types are declared, not inferred from text.
_TYPED_FORMATS = frozenset({"parquet"})

#: Raises alerts (the alert service's ``raise_alerts``): stores, deduplicates and delivers
#: them, returning the ones that opened; called once per concluded dataset, with or without
#: candidates (a round also delivers what a channel did not take before). A callable, so
#: this service names no other service.
AlertSink = Callable[[Sequence[AlertCandidate]], list[Alert]]
#: Checks the data contracts of one concluded dataset (the contract service's
#: ``after_scan``), raising their violations as alerts and returning the ones that opened.
ContractCheck = Callable[[str], list[Alert]]


@dataclass(frozen=True, slots=True)
class DatasetPlan:
    """What to sample of one grouped dataset.

    :param selected: the partitions whose sample objects the caller enriches.
    :param previous: the dataset as the catalog knew it before this grouping (``None``: new).
    """

    summary: DatasetSummary
    update: DatasetUpdate
    selected: tuple[PartitionInfo, ...]
    previous: StoredDataset | None

    @property
    def uri(self) -> str:
        """The dataset's URI."""
        return self.summary.uri


@dataclass(slots=True)
class DatasetOutcome:
    """What concluding a dataset did."""

    dataset_uri: str
    verdict: DatasetVerdict | None
    sampled: int
    schema: SchemaVersion | None = None
    changes: list[SchemaChange] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    candidates: list[AlertCandidate] = field(default_factory=list)
    #: The dataset's value facets after this conclusion (``[]``: none kept, or no store).
    facets: list[Facet] = field(default_factory=list)


class DatasetService:
    """Datasets: grouping, partition sampling plans, verdicts, schema history, alerts.

    :param store: the dataset store (a port).
    :param settings: the ``datasets`` settings.
    :param alerts: where alert candidates go (``None``: they are only returned).
    :param objects: reads Delta logs and Iceberg metadata (``None``: their schemas are not
        read, the datasets are still grouped).
    :param edges_of: the lineage edges of a dataset, for drift along pipeline stages
        (``None``: not checked).
    :param table_schemas: the known table schemas on the other side of those edges.
    :param clock: the current time (tests pass a fixed one).
    :param contracts: checks the data contracts of each concluded dataset (``None``, the
        default when ``contracts.dir`` is not set: no contract is checked).
    :param facets: keeps the datasets' value facets (:mod:`worker.core.facets`: top values
        of country, currency and region columns without a PII finding); ``None``: none kept.
    """

    def __init__(
        self,
        store: DatasetStore,
        settings: DatasetSettings,
        alerts: AlertSink | None = None,
        objects: ObjectStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        edges_of: EdgesOf | None = None,
        table_schemas: TableSchemas | None = None,
        contracts: ContractCheck | None = None,
        facets: FacetStore | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.alerts = alerts
        self.objects = objects
        self.clock = clock
        self.edges_of = edges_of
        self.table_schemas = table_schemas
        self.contracts = contracts
        self.facets = facets
        #: Delta/Iceberg metadata that could not be read: dataset URI → the reason.
        self.table_errors: dict[str, str] = {}

    def group(self, infos: Iterable[ObjectInfo]) -> Iterator[DatasetSummary]:
        """Group a listing (in key order) into datasets, each yielded once it is complete."""
        return group(infos, rules=self.settings.rules, min_shards=self.settings.min_shards)

    def plan(self, summary: DatasetSummary, force: bool = False) -> DatasetPlan:
        """Record a grouped dataset and choose the partitions to sample.

        A new dataset (or any with ``force``) gets the newest partitions plus a seeded random
        draw; a known one only its new partitions and the sampled ones whose objects changed
        since their sample (at most ``max_partitions_per_scan`` each time).
        Side effects: writes the dataset and its partitions to the store.
        """
        summary = self._with_table_schema(summary)
        previous = self.store.get(summary.uri)
        update = self.store.record_grouping(summary)
        if summary.table_schema:
            source = summary.rule.value  # "delta" or "iceberg"
            self.store.record_schema(summary.uri, summary.table_schema, source)
        # On a known dataset, only new partitions and sampled ones that changed since their
        # sample are taken: the others were listed before and judged then.
        done: set[str] = set()
        if not force and previous is not None:
            new = set(update.new_partitions)
            for record in self.store.partitions(summary.uri):
                newest, at = record.info.newest, record.sampled_at
                changed = at is not None and newest is not None and newest > at
                failed = record.sample_error is not None  # tried again, as objects are
                if record.info.key not in new and not changed and not failed:
                    done.add(record.info.key)
        selected = select_partitions(
            summary.partitions,
            done,
            max_partitions=self.settings.max_partitions_per_scan,
            newest=self.settings.newest_partitions,
            seed=self.settings.seed,
            dataset=summary.uri,
        )
        # A dataset of one, or one without partition folders, has the single partition "".
        return DatasetPlan(summary, update, tuple(selected), previous)

    def _with_table_schema(self, summary: DatasetSummary) -> DatasetSummary:
        """The summary with the schema its Delta log or Iceberg metadata declares, if any."""
        if self.objects is None:
            return summary
        try:
            meta = read_table_metadata(self.objects, summary)
        except TableMetadataError as exc:
            self.table_errors[summary.uri] = exc.message
            return summary
        if meta is None or not meta.columns:
            return summary
        return replace(summary, table_schema=tuple(meta.columns))

    def conclude(
        self, plan: DatasetPlan, sampled: Sequence[tuple[PartitionInfo, EnrichmentResult]]
    ) -> DatasetOutcome:
        """Merge the sampled partitions into the dataset's verdict; record schema and alerts.

        Only classified results count (a skipped, unchanged object keeps its earlier
        record). With nothing newly classified the verdict stays as it was and no alert is
        raised.
        Side effects: writes partition samples, the verdict and a schema version (when the
        schema changed) to the store; raises alerts through the sink.
        """
        now = self.clock()
        uri = plan.uri
        fresh = [
            partition_record(uri, p, r, now)
            for p, r in sampled
            if r.status is ObjectStatus.CLASSIFIED
        ]
        for partition, result in sampled:
            if result.status is ObjectStatus.FAILED:
                kind = result.error.kind if result.error is not None else "failed"
                self.store.record_partition_sample(
                    PartitionRecord(uri, partition, now, sampled_at=now, sample_error=kind)
                )
        if not fresh:
            # Nothing new to classify: only staleness can be news (a series that stopped).
            previous = plan.previous.verdict if plan.previous is not None else None
            k = self.settings.history_partitions
            stale = self._news(plan, freshness(uri, plan.summary.partitions, now, k))
            opened = self.alerts(stale) if self.alerts is not None else []
            opened += self._check_contracts(uri)
            return DatasetOutcome(uri, previous, 0, alerts=opened, candidates=stale)
        history = [
            r
            for r in self.store.partitions(uri)
            if r.sampled_at is not None and r.sample_error is None
        ]
        for record in fresh:
            self.store.record_partition_sample(record)
        fresh_keys = {r.info.key for r in fresh}
        records = [r for r in history if r.info.key not in fresh_keys] + fresh
        results = [r for _, r in sampled if r.status is ObjectStatus.CLASSIFIED]
        verdict = merge_verdict(
            uri,
            records,
            partitions_total=max(len(plan.summary.partitions), len(records)),
            results=results,
            entity_share=self.settings.entity_share,
        )
        self.store.set_verdict(verdict)
        facets = self._record_facets(plan, sampled, records, verdict)
        schema = dataset_schema(records)
        version = self.store.record_schema(uri, schema, "scan")
        changes: list[SchemaChange] = []
        if version is not None and version.version > 1:
            changes.extend(version.changes)
        changes.extend(partition_drift(fresh, schema))
        previous_verdict = plan.previous.verdict if plan.previous is not None else None
        candidates = detect(
            uri,
            history=[r for r in history if r.info.key not in fresh_keys],
            new=fresh,
            previous_verdict=previous_verdict,
            verdict=verdict,
            schema_changes=changes,
            settings=self.settings,
            now=now,
            partitions=plan.summary.partitions,
            lineage_changes=self._lineage_drift(plan.summary, schema),
        )
        candidates = self._news(plan, candidates)
        # Called with none too: the sink also delivers what a channel did not take before.
        opened = self.alerts(candidates) if self.alerts is not None else []
        opened += self._check_contracts(uri)
        return DatasetOutcome(
            uri, verdict, len(fresh), version, changes, opened, candidates, facets
        )

    def _record_facets(
        self,
        plan: DatasetPlan,
        sampled: Sequence[tuple[PartitionInfo, EnrichmentResult]],
        records: Sequence[PartitionRecord],
        verdict: DatasetVerdict,
    ) -> list[Facet]:
        """Keep the fresh samples' facets; drop every column with a PII finding anywhere.

        Only normalised values of allowed columns reach the store
        (:func:`worker.core.facets.sample_facets`); a column with an entity in any sampled
        partition, or in the verdict, has its values deleted from every partition.
        """
        if self.facets is None:
            return []
        samples: dict[str, dict[str, ColumnCounts]] = {
            p.key: sample_facets(r) for p, r in sampled if r.status is ObjectStatus.CLASSIFIED
        }
        excluded = {c for r in records for c, found in r.findings.items() if found}
        excluded |= {c.column for c in verdict.columns if c.entities}
        alive = {p.key for p in plan.summary.partitions} | set(samples)
        return self.facets.record_facets(plan.uri, samples, sorted(excluded), sorted(alive))

    def _check_contracts(self, uri: str) -> list[Alert]:
        """Every scan checks the contracts of the datasets it touches (when configured)."""
        return self.contracts(uri) if self.contracts is not None else []

    def _lineage_drift(
        self, summary: DatasetSummary, schema: Sequence[SchemaColumn]
    ) -> list[SchemaChange]:
        """Columns lost or retyped between this dataset and the tables its edges join."""
        if self.edges_of is None:
            return []
        tables = self.table_schemas() if self.table_schemas is not None else {}
        typed = bool(summary.formats) and {f for f, _ in summary.formats} <= _TYPED_FORMATS
        typed = typed or summary.rule.value in ("delta", "iceberg")
        changes: list[SchemaChange] = []
        for edge in self.edges_of(summary.uri):
            if edge.source.uri == summary.uri:
                upstream, downstream = schema, tables.get(edge.target.uri, ())
            else:
                upstream, downstream = tables.get(edge.source.uri, ()), schema
            changes.extend(lineage_drift(edge, upstream, downstream, inferred_types=not typed))
        return changes

    def _news(self, plan: DatasetPlan, candidates: list[AlertCandidate]) -> list[AlertCandidate]:
        """Drop "stale series" alerts unless the series was live when last scanned.

        A lake of history (daily partitions that ended last year) is not news at every scan,
        nor on the first: a series is stale news only when it stopped since the previous scan.
        """
        stale = [
            c
            for c in candidates
            if c.kind is AlertKind.FRESHNESS and c.subject.startswith("stale:")
        ]
        if not stale:
            return candidates
        previous = plan.previous
        if previous is None:
            return [c for c in candidates if c not in stale]
        new = set(plan.update.new_partitions)
        before = [p for p in plan.summary.partitions if p.key not in new]
        k = self.settings.history_partitions
        already = freshness(plan.uri, before, previous.last_seen, k)  # when last listed
        if any(c.subject.startswith("stale:") for c in already):
            return [c for c in candidates if c not in stale]  # it had stopped before
        return candidates

    def scan(
        self,
        infos: Iterable[ObjectInfo],
        enrich: Callable[[ObjectRef], EnrichmentResult],
        force: bool = False,
    ) -> Iterator[tuple[DatasetPlan, list[EnrichmentResult], DatasetOutcome]]:
        """Group a listing, then sample and conclude each dataset as soon as it is complete.

        :param enrich: enriches one sample object (``enrich_object`` with the caller's deps,
            options and retries); it must return a result, failed or not, for every object.
        :yields: each dataset's plan, the results of its sample objects, and its outcome.
        """
        for summary in self.group(infos):
            plan = self.plan(summary, force=force)
            pairs = [
                (p, enrich(sample_ref(summary.ref, p.sample_key)))
                for p in plan.selected
                if p.sample_key is not None
            ]
            yield plan, [r for _, r in pairs], self.conclude(plan, pairs)

    def observe(self, result: EnrichmentResult) -> DatasetOutcome | None:
        """Fold one object enriched outside a scan (an S3 event) into its known dataset.

        An object in a partition the dataset has not sampled (a new partition) becomes that
        partition's sample: its findings update the dataset's verdict, schema history and
        alerts, and nothing else is read. An object of an already sampled partition, or of
        no known dataset (the next scan groups it), changes nothing here.
        Side effects: as :meth:`conclude`.
        """
        info = result.info
        if result.status is not ObjectStatus.CLASSIFIED or info is None:
            return None
        ref = info.ref
        holder = self.store.dataset_of(ref.bucket, ref.key)
        stored = self.store.get(holder.uri) if holder is not None else None
        if holder is None or stored is None or not holder.is_prefix:
            return None
        relative = ref.key[len(holder.root) :]
        key = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
        known = {r.info.key: r for r in self.store.partitions(holder.uri)}
        if key in known and known[key].sampled_at is not None:
            return None
        partition = PartitionInfo(
            key=key,
            values=tuple(
                tuple(segment.split("=", 1))  # type: ignore[misc]
                for segment in key.split("/")
                if "=" in segment
            ),
            object_count=1,
            total_bytes=info.size,
            newest=info.last_modified,
            sample_key=ref.key,
        )
        partitions = tuple(sorted([*(r.info for r in known.values()), partition], key=_key))
        summary = replace(stored.summary, partitions=partitions)
        plan = DatasetPlan(summary, DatasetUpdate(False, (key,)), (partition,), stored)
        return self.conclude(plan, [(partition, result)])

    def resolve(self, uri: str) -> StoredDataset:
        """The dataset named by a dataset URI, an object URI or a partition prefix.

        :raises DatasetNotFound: no known dataset holds it.
        """
        found = self.store.get(uri)
        if found is not None:
            return found
        ref = DatasetRef.parse(uri) if uri.startswith(("s3://", "file:///")) else None
        if ref is not None:
            holder = self.store.dataset_of(ref.bucket, ref.root)
            if holder is not None:
                stored = self.store.get(holder.uri)
                if stored is not None:
                    return stored
        raise DatasetNotFound(
            f"no known dataset holds {uri}: scan its bucket or prefix first "
            "(`enricher scan s3://bucket/prefix/`), or list them with `enricher datasets list`"
        )
