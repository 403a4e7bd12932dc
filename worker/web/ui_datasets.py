"""The datasets pages: ``/datasets`` (every grouped dataset) and ``/datasets/show?uri=``.

A dataset page shows how the dataset was grouped (rule and explanation), its newest
partitions, the merged verdict per column (entities with the share of sampled partitions),
the schema history with its changes, the lineage chain through it (every hop up- and
downstream with its systems, origin and column map, down to Looker dashboards), and its alerts (with
acknowledge and resolve buttons for stewards, from :mod:`worker.web.ui_alerts`). Every
logged-in user may read them; what is shown is counts, shares, types and partition keys,
never a sampled value, except the value facets of non-personal country, currency and region
columns (:mod:`worker.core.facets`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from worker.core.errors import DatasetNotFound
from worker.services.datasets.service import DatasetService
from worker.web.api_alerts import Alerts
from worker.web.deps import Pages, PageSession, Review
from worker.web.ui_alerts import dataset_alerts
from worker.web.ui_filters import MAX_TEXT, parse_int

router = APIRouter(include_in_schema=False)


def install(app: FastAPI, datasets: DatasetService | None, review: Any) -> None:
    """Give ``app`` its dataset service: ``datasets``, else one on the review's catalog.

    Side effect: sets ``app.state.dataset_service``.
    """
    if datasets is None:
        from worker.adapters.catalog.dataset_store import SqlDatasetStore
        from worker.adapters.catalog.facet_store import SqlDatasetFacets
        from worker.core.settings import DatasetSettings

        catalog = review.store.catalog
        datasets = DatasetService(
            SqlDatasetStore(catalog), DatasetSettings(), facets=SqlDatasetFacets(catalog)
        )
    app.state.dataset_service = datasets


async def dataset_service(request: Request) -> DatasetService:
    """Dependency: the app's dataset service."""
    service: DatasetService = request.app.state.dataset_service
    return service


Datasets = Annotated[DatasetService, Depends(dataset_service)]


@router.get("/datasets")
def datasets_page(
    request: Request, ui: Pages, datasets: Datasets, session: PageSession
) -> Response:
    """Every known dataset (optionally of one bucket), in URI order."""
    bucket = (request.query_params.get("bucket") or "").strip()[:MAX_TEXT] or None
    limit = parse_int(request.query_params.get("limit"), 500, 1, 10_000)
    found = datasets.store.list_datasets(bucket, limit)
    return ui.render(
        request,
        "datasets.html",
        {"title": "Datasets", "datasets": found, "bucket": bucket or "", "limit": limit},
        session,
    )


@router.get("/datasets/show")
def dataset_page(
    request: Request,
    ui: Pages,
    datasets: Datasets,
    alerts: Alerts,
    review: Review,
    session: PageSession,
) -> Response:
    """One dataset, named by its URI, an object in it or a partition prefix."""
    uri = (request.query_params.get("uri") or "").strip()[:MAX_TEXT]
    try:
        found = datasets.resolve(uri)
    except (DatasetNotFound, ValueError) as exc:
        message = exc.message if isinstance(exc, DatasetNotFound) else str(exc)
        context = {"title": "No such dataset", "message": message, "status": 404}
        return ui.render(request, "error.html", context, session, status=404)
    name = found.summary.uri
    partitions = datasets.store.partitions(name)
    edges = []
    lineage = None
    if review.lineage is not None:
        from worker.web.lineage_view import lineage_view

        # The whole chain through this dataset (PostgreSQL → S3 → Snowflake → Looker).
        lineage = lineage_view(review.lineage, name)
        if lineage is None:
            edges = review.lineage.edges_of([name], False) + review.lineage.edges_of([name], True)
    return ui.render(
        request,
        "dataset.html",
        {
            "title": found.summary.ref.name,
            "d": found,
            "partitions": sorted(partitions, key=lambda p: p.info.key, reverse=True)[:50],
            "history": list(reversed(datasets.store.schema_history(name))),
            "edges": edges,
            "lineage": lineage,
            "alerts": dataset_alerts(alerts, name, session.user),
            "facets": datasets.facets.facets(name) if datasets.facets is not None else [],
        },
        session,
    )
