"""The review API's alerts: ``GET /api/v1/alerts``, ``POST /api/v1/alerts/{id}/ack|resolve``.

The same bearer-token access as the rest of the API: every role may read alerts; stewards
and admins (with a ``write`` token) acknowledge and resolve them, recorded under their name.
Errors: 404 ``alert_not_found``, 409 ``dataset_error`` (not open any more, already
resolved). Also the app's alert service as a dependency (:func:`install`,
:data:`Alerts`), which the UI's alert pages share.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from models.datasets import Alert, AlertKind, AlertState, Severity
from models.review import MAX_REASON, Role, User
from worker.core.errors import AlertNotFound, DatasetError
from worker.services.alerts.service import AlertService
from worker.web.api_deps import who
from worker.web.api_models import MAX_ID, ErrorOut, Text
from worker.web.deps import Review

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

router = APIRouter()

AlertStateParam = Literal["open", "acknowledged", "resolved", "any"]


def install(app: FastAPI, alerts: AlertService | None, review: SqlReviewService) -> None:
    """Give ``app`` its alert service: ``alerts``, else one on the review's catalog.

    The default has no delivery channels: the web only lists and acts on alerts; scans
    raise and deliver them. Side effect: sets ``app.state.alert_service``.
    """
    if alerts is None:
        from worker.adapters.catalog.alert_store import SqlAlertStore
        from worker.core.settings import AlertSettings

        alerts = AlertService(SqlAlertStore(review.store.catalog), (), AlertSettings())
    app.state.alert_service = alerts


async def alert_service(request: Request) -> AlertService:
    """Dependency: the app's alert service (see :func:`install`)."""
    service: AlertService = request.app.state.alert_service
    return service


Alerts = Annotated[AlertService, Depends(alert_service)]


def error_status(exc: DatasetError) -> int:
    """404 for an unknown alert, else 409 (the alert is not in a state that allows it)."""
    return 404 if isinstance(exc, AlertNotFound) else 409


class AlertOut(BaseModel):
    """One alert: what it is about, its evidence (counts, shares, types: never a value)."""

    id: int
    kind: AlertKind
    severity: Severity
    dataset: str = Field(description="the dataset's URI, s3://bucket/root/")
    subject: str = Field(description="the column, partition or entity it is about")
    message: str
    evidence: dict[str, Any]
    state: AlertState
    first_seen: datetime
    last_seen: datetime
    occurrences: int = Field(description="scans that found it while it was not resolved")
    actor: str | None = Field(None, description="who acknowledged or resolved it")
    note: str | None = None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        """The API form of ``alert``."""
        return cls.model_validate(alert.to_dict())


class AlertList(BaseModel):
    """Alerts, newest ``last_seen`` first."""

    items: list[AlertOut]
    limit: int


class AlertActionIn(BaseModel):
    """An acknowledgement or resolution, optionally with a note (kept with the alert)."""

    model_config = ConfigDict(extra="forbid")

    note: Text | None = Field(None, max_length=MAX_REASON)


ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such alert"},
    409: {"model": ErrorOut, "description": "acknowledged or resolved already"},
}
alert_id_path = Path(ge=1, le=MAX_ID, description="the alert's id")


@router.get("/alerts", response_model=AlertList, tags=["alerts"])
def list_alerts(
    alerts: Alerts,
    user: User = who,
    state: AlertStateParam = "open",
    severity: Severity | None = None,
    kind: AlertKind | None = None,
    dataset: str | None = Query(None, description="the dataset's URI (exact)"),
    limit: int = Query(200, ge=1, le=1000),
) -> AlertList:
    """Alerts matching the filters (open ones by default), newest last seen first."""
    found = alerts.list(
        state=None if state == "any" else AlertState(state),
        severity=severity,
        dataset_uri=dataset,
        kind=kind,
        limit=limit,
    )
    return AlertList(items=[AlertOut.of(a) for a in found], limit=limit)


def _act(
    review: SqlReviewService,
    alerts: AlertService,
    user: User,
    alert_id: int,
    body: AlertActionIn | None,
    resolve: bool,
) -> AlertOut | JSONResponse:
    review.require(user, Role.STEWARD)
    note = body.note if body is not None else None
    try:
        if resolve:
            alert = alerts.resolve(alert_id, user.name, note)
        else:
            alert = alerts.acknowledge(alert_id, user.name, note)
    except DatasetError as exc:
        return JSONResponse(
            {"error": exc.kind, "message": exc.message}, status_code=error_status(exc)
        )
    return AlertOut.of(alert)


@router.post(
    "/alerts/{alert_id}/ack", response_model=AlertOut, responses=ACTION_ERRORS, tags=["alerts"]
)
def acknowledge(
    review: Review,
    alerts: Alerts,
    alert_id: int = alert_id_path,
    body: AlertActionIn | None = None,
    user: User = who,
) -> AlertOut | JSONResponse:
    """Acknowledge an open alert (stewards and admins): someone is on it."""
    return _act(review, alerts, user, alert_id, body, resolve=False)


@router.post(
    "/alerts/{alert_id}/resolve",
    response_model=AlertOut,
    responses=ACTION_ERRORS,
    tags=["alerts"],
)
def resolve(
    review: Review,
    alerts: Alerts,
    alert_id: int = alert_id_path,
    body: AlertActionIn | None = None,
    user: User = who,
) -> AlertOut | JSONResponse:
    """Resolve an open or acknowledged alert (stewards and admins); it reopens if it fires."""
    return _act(review, alerts, user, alert_id, body, resolve=True)
