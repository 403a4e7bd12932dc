"""The alerts page, ``/alerts``: alerts with filters, acknowledge and resolve buttons.

Every logged-in user may read alerts; stewards and admins acknowledge and resolve them (CSRF
protected forms; the role is checked by the review service, not only by the template). An
alert shows its evidence as the store holds it: counts, shares, types and partition keys,
never a sampled value.

For the dataset page: :func:`dataset_alerts` gives the context of one dataset's alerts and
the ``_alerts.html`` template's ``alert_table`` macro renders them::

    {% from "_alerts.html" import alert_table %}
    {{ alert_table(dataset_alerts.rows, dataset_alerts.can_act, csrf, here, show_dataset=False) }}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from models.datasets import Alert, AlertKind, AlertState, Severity
from models.review import Role, User
from worker.core.errors import DatasetError
from worker.services.alerts.service import AlertService
from worker.web.api_alerts import Alerts, alert_id_path
from worker.web.auth import safe_local
from worker.web.deps import Form, Pages, PageSession, Review
from worker.web.ui_filters import MAX_TEXT, parse_int

router = APIRouter(include_in_schema=False)

STATE_CHOICES = ("open", "acknowledged", "resolved", "any")
PAGE_SIZES = (50, 100, 200, 500)
DEFAULT_LIMIT = 100
#: Existing badge colours of the stylesheet, by severity and by alert state.
SEVERITY_BADGE = {
    "critical": "state-rejected",
    "warning": "state-pending",
    "info": "state-approved",
}
STATE_BADGE = {
    "open": "state-pending",
    "acknowledged": "state-approved",
    "resolved": "state-applied",
}


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def alert_rows(alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """What the ``alert_table`` macro shows of each alert (evidence as ``key: value`` text)."""
    return [
        {
            "alert": a,
            "evidence": [(str(k), _shown(v)) for k, v in a.evidence.items()],
            "severity_badge": SEVERITY_BADGE.get(a.severity.value, ""),
            "state_badge": STATE_BADGE.get(a.state.value, ""),
        }
        for a in alerts
    ]


def dataset_alerts(
    service: AlertService, dataset_uri: str, user: User, limit: int = 50
) -> dict[str, Any]:
    """The context of one dataset's alerts, for the dataset page (every state, newest first).

    :returns: ``rows`` (for ``alert_table``), ``can_act`` (the user may acknowledge and
        resolve), ``open`` (how many are open) and ``href`` (the alerts page, filtered).
    """
    found = service.list(dataset_uri=dataset_uri, limit=limit)
    return {
        "rows": alert_rows(found),
        "can_act": user.role.can_decide,
        "open": sum(1 for a in found if a.state is AlertState.OPEN),
        "href": "/alerts?" + urlencode({"state": "any", "dataset": dataset_uri}),
    }


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = (params.get(name) or "").replace("\x00", "").strip()
    return value[:MAX_TEXT] or None


def _choice(
    params: Mapping[str, str], name: str, choices: Sequence[str], errors: list[str]
) -> str | None:
    value = _text(params, name)
    if value is not None and value not in choices:
        errors.append(f"unknown {name} {value!r}")
        return None
    return value


@router.get("/alerts")
def alerts_page(request: Request, ui: Pages, alerts: Alerts, session: PageSession) -> Response:
    """Alerts matching the filters (open ones by default), newest last seen first."""
    params = request.query_params
    errors: list[str] = []
    state = _choice(params, "state", STATE_CHOICES, errors) or "open"
    severity = _choice(params, "severity", [s.value for s in Severity], errors)
    kind = _choice(params, "kind", [k.value for k in AlertKind], errors)
    dataset = _text(params, "dataset")
    limit = parse_int(params.get("limit"), DEFAULT_LIMIT, 1, 1000)
    found = alerts.list(
        state=None if state == "any" else AlertState(state),
        severity=Severity(severity) if severity else None,
        dataset_uri=dataset,
        kind=AlertKind(kind) if kind else None,
        limit=limit,
    )
    return ui.render(
        request,
        "alerts.html",
        {
            "title": "Alerts",
            "rows": alert_rows(found),
            "errors": errors,
            "state_value": state,
            "severity": severity or "",
            "kind": kind or "",
            "dataset": dataset or "",
            "limit": limit,
            "states": STATE_CHOICES,
            "severities": [s.value for s in Severity],
            "kinds": [k.value for k in AlertKind],
            "page_sizes": sorted({*PAGE_SIZES, limit}),
            "can_act": session.user.role.can_decide,
        },
        session,
    )


def _act(
    request: Request,
    alert_id: int,
    ui: Pages,
    review: Review,
    alerts: AlertService,
    form: Form,
    resolve: bool,
) -> Response:
    review.require(form.session.user, Role.STEWARD)
    back = safe_local(form.fields.get("back"), "/alerts")
    note = form.fields.get("note") or None
    try:
        if resolve:
            alert = alerts.resolve(alert_id, form.session.user.name, note)
        else:
            alert = alerts.acknowledge(alert_id, form.session.user.name, note)
    except DatasetError as exc:
        return ui.redirect(request, back, exc.message, ok=False)
    return ui.redirect(request, back, f"alert {alert.id} {alert.state.value}")


@router.post("/alerts/{alert_id}/ack")
def acknowledge(
    request: Request,
    ui: Pages,
    review: Review,
    alerts: Alerts,
    form: Form,
    alert_id: int = alert_id_path,
) -> Response:
    """Acknowledge an open alert, then back to the page the form came from."""
    return _act(request, alert_id, ui, review, alerts, form, resolve=False)


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    request: Request,
    ui: Pages,
    review: Review,
    alerts: Alerts,
    form: Form,
    alert_id: int = alert_id_path,
) -> Response:
    """Resolve an open or acknowledged alert, then back to where the form came from."""
    return _act(request, alert_id, ui, review, alerts, form, resolve=True)
