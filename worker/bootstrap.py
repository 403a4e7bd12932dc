"""The composition root: every adapter is built here, once, from one settings object."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from classifiers.base import Classifier
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.storage.local import LocalObjectStore
from worker.adapters.storage.routing import RoutingObjectStore
from worker.adapters.storage.s3 import S3ObjectStore
from worker.core.errors import ConfigError, EnrichmentError
from worker.core.pipeline import Deps
from worker.core.ports import Metrics, NoMetrics
from worker.core.settings import Settings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from typing import TypeAlias

    from models.datasets import SchemaColumn
    from worker.adapters.atlan.datasets import AtlanDatasetWriter
    from worker.adapters.atlan.lineage import AtlanLineageWriter
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.adapters.catalog.users import SqlUserStore
    from worker.core.ask.linking import CatalogNames
    from worker.services.alerts.service import AlertService
    from worker.services.ask.service import AskService
    from worker.services.contracts.service import ContractService
    from worker.services.datasets.service import DatasetService
    from worker.services.lineage.service import LineageService
    from worker.services.review.service import ReviewService

    # The services as built here, on the SQL stores and the Atlan writer: the entry points
    # annotate with these to keep the adapters' other operations (user admin, audit export).
    SqlReviewService: TypeAlias = ReviewService[
        SqlReviewStore, SqlUserStore, AtlanCatalogWriter, SqlLineageStore
    ]
    SqlLineageService: TypeAlias = LineageService[SqlLineageStore]
else:
    # At run time the aliases are the classes (FastAPI reads them in ``Annotated``).
    from worker.services.lineage.service import LineageService as SqlLineageService
    from worker.services.review.service import ReviewService as SqlReviewService


def build_classifiers(settings: Settings) -> list[Classifier]:
    """Return the enabled classifiers, constructed but not loaded (loading is lazy).

    Reads the custom-entity file and the Presidio recognizer files named in the settings, so
    that a broken file stops the start-up rather than the first scan.

    :raises ConfigError: an entity file is unreadable or invalid (the message names the file
        and line), or ``pii.entities`` names an unknown entity.
    """
    found: list[Classifier] = []
    if settings.pii.enabled:
        from classifiers.pii import PiiClassifier
        from classifiers.pii.decide import DecisionConfig
        from worker.core.pii_entity_files import read_custom_entities, read_presidio_recognizers

        pii = settings.pii
        custom = read_custom_entities(pii.custom_entities_file)
        presidio = read_presidio_recognizers(
            pii.presidio_recognizers,
            taken={c.name: str(pii.custom_entities_file) for c in custom},
        )
        try:
            classifier = PiiClassifier(
                spacy_model=pii.spacy_model,
                entities=pii.entities,
                custom_entities=custom,
                config=DecisionConfig(
                    dense_threshold=pii.dense_threshold,
                    supported_threshold=pii.supported_threshold,
                    text_min_share=pii.text_min_share,
                    sparse_min_hits=pii.sparse_min_hits,
                ),
                batch_size=pii.batch_size,
                extra_entities=presidio,
                estimate_counts=pii.estimate_counts,
            )
        except ValueError as exc:  # an unknown entity in pii.entities
            raise ConfigError(f"pii: {exc}") from exc
        found.append(classifier)
    if settings.business.enabled:
        from classifiers.business.classifier import BusinessClassifier

        found.append(BusinessClassifier(settings.business.artifacts_dir))
    return found


def build_deps(settings: Settings, classifiers: Sequence[Classifier] | None = None) -> Deps:
    """Build the store, classifiers, catalog and review queue. Nothing connects until first use.

    :param classifiers: classifiers built (and maybe loaded) already, e.g. by a worker's main
        process before its pool forks; default: :func:`build_classifiers`.
    :raises ConfigError: as :func:`build_classifiers` raises.
    """
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.services.review.queue import ReviewQueue

    catalog = SqlLocalCatalog(settings.database_url)
    return Deps(
        store=RoutingObjectStore(
            local=LocalObjectStore(follow_symlinks=settings.sampling.follow_symlinks),
            s3=S3ObjectStore(settings.s3),
        ),
        classifiers=list(classifiers) if classifiers is not None else build_classifiers(settings),
        catalog=catalog,
        review=ReviewQueue(SqlReviewStore(catalog), settings, SqlLineageStore(catalog)),
        metrics=build_metrics(settings),
    )


def build_metrics(settings: Settings) -> Metrics:
    """The metrics of this process: Prometheus when ``metrics.enabled``, else none.

    Side effects: with Atlan enabled, the Atlan client's requests are counted from now on
    (:func:`worker.adapters.atlan.client.observe_requests`, once per process).
    """
    if not settings.metrics.enabled:
        return NoMetrics()
    from worker.adapters.metrics.prometheus import PrometheusMetrics

    metrics = PrometheusMetrics()
    if settings.atlan.enabled:
        from worker.adapters.atlan.client import observe_requests

        observe_requests(metrics.atlan_request)
    return metrics


def build_state_collector(settings: Settings, catalog: SqlLocalCatalog | None = None) -> Any:
    """The scrape-time gauges (outbox, jobs, review, alerts, queue depths) on the settings."""
    from redis import Redis

    from worker.adapters.metrics.prometheus import StateCollector

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    broker = settings.celery.broker_url
    clients: list[Redis] = []

    def redis() -> Redis:
        if not clients:  # one client (and pool) for every scrape, made on the first
            clients.append(Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2))
        return clients[0]

    return StateCollector(lambda: local.engine, redis)


def build_review(settings: Settings, catalog: SqlLocalCatalog | None = None) -> SqlReviewService:
    """The review service (queue, decisions, users; the Atlan writer when Atlan is enabled).

    :param catalog: the local catalog to share (default: a new one on ``database_url``).
    """
    from worker.adapters.catalog.alert_store import SqlAlertStore
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.adapters.catalog.users import SqlUserStore
    from worker.services.review.service import ReviewService

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    store = SqlReviewStore(local)
    return ReviewService(
        store,
        SqlUserStore(store, settings.review),
        build_catalog_writer(settings, local),
        lineage=SqlLineageStore(local),
        table_tagger=build_lineage_writer(settings, local),
        alerts=SqlAlertStore(local),
    )


def build_lineage(settings: Settings, catalog: SqlLocalCatalog | None = None) -> SqlLineageService:
    """The lineage service on the local catalog (edges, review items, impact)."""
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.services.lineage.service import LineageService

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    return LineageService(
        SqlLineageStore(local), SqlReviewStore(local), settings, SqlDatasetStore(local)
    )


def build_lineage_writer(
    settings: Settings, catalog: SqlLocalCatalog | None = None
) -> AtlanLineageWriter | None:
    """The Atlan lineage writer when ``atlan.enabled`` (it shares the S3 writer's client)."""
    writer = build_catalog_writer(settings, catalog)
    if writer is None:
        return None
    from worker.adapters.atlan.lineage import AtlanLineageWriter

    def client() -> Any:
        return writer.client

    return AtlanLineageWriter(
        settings.atlan,
        settings.lineage,
        writer.connection_qualified_name,
        client_factory=client,
        objects=writer.state,
    )


def build_catalog_writer(
    settings: Settings, catalog: SqlLocalCatalog | None = None
) -> AtlanCatalogWriter | None:
    """The Atlan writer when ``atlan.enabled``, else ``None``. pyatlan loads on first use.

    :param catalog: the local catalog to keep the writer's state in (default: a new one on
        ``settings.database_url``).
    """
    if not settings.atlan.enabled:
        return None
    from worker.adapters.atlan.writer import AtlanCatalogWriter
    from worker.adapters.catalog.atlan_state import SqlAtlanState

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    return AtlanCatalogWriter(settings.atlan, SqlAtlanState(local))


def build_datasets(settings: Settings, catalog: SqlLocalCatalog | None = None) -> DatasetService:
    """The dataset service on the local catalog, raising alerts through :func:`build_alerts`.

    With ``contracts.dir`` set, every concluded dataset's contracts are checked
    (:func:`build_contracts`'s ``after_scan``, built once here, sharing the alert service).

    :param catalog: the local catalog to share (default: a new one on ``database_url``).
    """
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.facet_store import SqlDatasetFacets
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.services.datasets.service import DatasetService

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    alerts = build_alerts(settings, local)
    contracts = (
        build_contracts(settings, local, alerts).after_scan
        if settings.contracts.dir is not None
        else None
    )
    objects = RoutingObjectStore(
        local=LocalObjectStore(follow_symlinks=settings.sampling.follow_symlinks),
        s3=S3ObjectStore(settings.s3),
    )
    lineage = SqlLineageStore(local)
    return DatasetService(
        SqlDatasetStore(local),
        settings.datasets,
        alerts.raise_alerts,
        objects,
        edges_of=lambda uri: lineage.edges_of([uri], True) + lineage.edges_of([uri], False),
        table_schemas=_table_schemas(settings),
        contracts=contracts,
        facets=SqlDatasetFacets(local),
    )


def build_contracts(
    settings: Settings,
    catalog: SqlLocalCatalog | None = None,
    alerts: AlertService | None = None,
) -> ContractService:
    """The contract service on the local catalog, raising violations through the alert service.

    Its ``after_scan`` is the scan's hook (:func:`build_datasets` passes it when
    ``contracts.dir`` is set); ``enricher contract`` uses the rest.

    :param catalog: the local catalog to share (default: a new one on ``database_url``).
    :param alerts: the alert service to share (default: :func:`build_alerts`).
    """
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.services.contracts.service import ContractService
    from worker.services.review.queue import ReviewQueue

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    sink = alerts if alerts is not None else build_alerts(settings, local)
    return ContractService(
        SqlDatasetStore(local),
        settings.contracts.dir,
        sink.raise_alerts,
        review=ReviewQueue(SqlReviewStore(local), settings),
    )


def _table_schemas(settings: Settings) -> Callable[[], dict[str, list[SchemaColumn]]]:
    """The table schemas the lineage settings name, read once on first use.

    Sources: the Snowflake columns export and PostgreSQL's information_schema; a source that
    fails is left out (logged without its message, which may quote a URL).
    """
    from functools import cache

    @cache
    def read() -> dict[str, list[SchemaColumn]]:
        from models.datasets import SchemaColumn
        from worker.services.lineage.infer import read_postgres_tables, read_snowflake_schema_file

        lineage = settings.lineage
        tables = []
        try:
            if lineage.snowflake_schema_file is not None:
                tables.extend(read_snowflake_schema_file(lineage.snowflake_schema_file)[0])
            if lineage.postgres_url is not None:
                url = lineage.postgres_url.get_secret_value()
                tables.extend(
                    read_postgres_tables(url, lineage.postgres_database, lineage.postgres_schemas)
                )
        except (EnrichmentError, OSError) as exc:
            logger.warning("table schemas for lineage drift not read: %s", type(exc).__name__)
        return {
            t.dataset.uri: [SchemaColumn(name, data_type) for name, data_type in t.columns]
            for t in tables
        }

    return read


def build_alerts(settings: Settings, catalog: SqlLocalCatalog | None = None) -> AlertService:
    """The alert service: the alert store, the webhook (when set) and Atlan announcements.

    Atlan announcements need Atlan enabled and ``alerts.atlan_announcements``.
    """
    from worker.adapters.catalog.alert_store import SqlAlertStore
    from worker.core.ports import AlertNotifier
    from worker.services.alerts.service import AlertService

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    notifiers: list[AlertNotifier] = []
    if settings.alerts.webhook_url:
        from worker.adapters.alerts.webhook import WebhookAlertNotifier

        notifiers.append(
            WebhookAlertNotifier(
                settings.alerts.webhook_url,
                settings.alerts.webhook_secret,
                settings.alerts.timeout_s,
            )
        )
    if settings.alerts.atlan_announcements:
        datasets_writer = build_dataset_writer(settings, local)
        if datasets_writer is not None:
            from worker.adapters.atlan.announcement import AtlanAnnouncementNotifier

            notifiers.append(
                AtlanAnnouncementNotifier(
                    datasets_writer.qualified_name_of, lambda: datasets_writer.client
                )
            )
    return AlertService(SqlAlertStore(local), notifiers, settings.alerts)


def build_dataset_writer(
    settings: Settings, catalog: SqlLocalCatalog | None = None
) -> AtlanDatasetWriter | None:
    """The Atlan writer of dataset assets (``S3Prefix``) when ``atlan.enabled``, else ``None``.

    It shares the object writer's client and written state (one connection, one outbox).
    """
    writer = build_catalog_writer(settings, catalog)
    if writer is None:
        return None
    from worker.adapters.atlan.datasets import AtlanDatasetWriter

    return AtlanDatasetWriter(
        settings.atlan,
        writer.connection_qualified_name,
        writer.state,
        client_factory=lambda: writer.client,
    )


#: How long the MCP server's ask service keeps the names questions link to: an agent asks
#: in bursts, and a name scanned meanwhile shows up within this many seconds.
MCP_ASK_NAMES_TTL_S = 10.0


@dataclass(frozen=True, slots=True)
class McpServices:
    """What the MCP server (:mod:`worker.mcp`) answers agents with, on one local catalog.

    :param ask: answers a question in plain language with at most ``limit`` items (``None``:
        the service's default; the ask service's ``ask``, as its JSON contract); the service
        is built on the first question.
    :param names: the lineage graph's nodes, read without the edges' details (search).
    """

    datasets: DatasetService
    lineage: SqlLineageService
    alerts: AlertService
    review: SqlReviewService
    ask: Callable[[str, int | None], dict[str, Any]]
    names: CatalogNames | None = None


def build_mcp_services(settings: Settings, catalog: SqlLocalCatalog | None = None) -> McpServices:
    """The services of the MCP server, sharing one local catalog. Nothing connects yet.

    :param catalog: the local catalog to share (default: a new one on ``database_url``).
    """
    from worker.adapters.catalog.lineage_names import SqlCatalogNames

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    built: list[AskService] = []

    def ask(question: str, limit: int | None = None) -> dict[str, Any]:
        if not built:  # on the first question: the taxonomy is read then, not at start-up
            built.append(build_ask(settings, local, names_ttl_s=MCP_ASK_NAMES_TTL_S))
        answer: dict[str, Any] = built[0].ask(question, limit).to_dict()
        return answer

    return McpServices(
        datasets=build_datasets(settings, local),
        lineage=build_lineage(settings, local),
        alerts=build_alerts(settings, local),
        review=build_review(settings, local),
        ask=ask,
        names=SqlCatalogNames(local),
    )


def build_ask(
    settings: Settings, catalog: SqlLocalCatalog | None = None, names_ttl_s: float = 0.0
) -> AskService:
    """The ask service: questions in plain language over the local catalog (read-only).

    Categories are read with the taxonomy's keywords; with ``contracts.dir`` set, "breaking
    their contract" is checked against the contracts (no alert raised) and "owned by" reads
    their owners; without it, open ``contract`` alerts stand for the violations.

    :param names_ttl_s: how long the names questions link to are kept (a server asks often).
    """
    from classifiers.business.taxonomy import load_taxonomy
    from worker.adapters.catalog.alert_store import SqlAlertStore
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.facet_store import SqlDatasetFacets
    from worker.adapters.catalog.lineage_names import SqlCatalogNames
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.services.ask.service import AskService

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    store = SqlDatasetStore(local)
    try:
        taxonomy = load_taxonomy()  # the bundled one, as the business classifier's
        categories = {c.name: list(c.keywords) for c in taxonomy.categories}
    except (OSError, ValueError) as exc:  # the classifier reports a broken file itself
        logger.warning("taxonomy not read for ask: %s", type(exc).__name__)
        categories = None
    violations = owners = None
    folder = settings.contracts.dir
    if folder is not None:
        from worker.core.compliance_contracts import contract_owner
        from worker.services.contracts.service import ContractService

        contracts = ContractService(store, folder)

        def violations() -> dict[str, list[str]]:
            try:
                found = contracts.violations()
            except EnrichmentError as exc:
                logger.warning("contracts not checked for ask: %s", exc.message)
                return {}
            return {uri: [v.message for v in vs] for uri, vs in found.items()}

        def owners() -> dict[str, str]:
            out: dict[str, str] = {}
            try:
                loaded = contracts.load()
            except EnrichmentError:
                return out
            for item in loaded:
                team, owner = contract_owner(item.contract)
                if item.dataset is not None and (owner or team):
                    out[item.dataset] = owner or team or ""
            return out

    return AskService(
        store,
        build_lineage(settings, local),
        SqlAlertStore(local),
        SqlReviewStore(local),
        categories=categories,
        violations=violations,
        owners=owners,
        names_ttl_s=names_ttl_s,
        names=SqlCatalogNames(local),
        facets=SqlDatasetFacets(local),
    )
