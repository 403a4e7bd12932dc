"""The review JSON API under ``/api/v1`` (bearer tokens only; documented at ``/openapi.json``).

Its routes are grouped by area: :mod:`worker.web.api_account` (``/me``),
:mod:`worker.web.api_suggestions` (the queue and decisions), :mod:`worker.web.api_objects`,
:mod:`worker.web.api_audit` and :mod:`worker.web.api_alerts`; authentication is
:mod:`worker.web.api_deps`'s and the models are :mod:`worker.web.api_models`'s. Every request
needs ``Authorization: Bearer <token>`` (an API token of a review user); the browser session
cookie does not authenticate it, so it needs no CSRF protection. A ``read`` token may only GET;
a ``write`` token may do what its user's role may. The audit log is for stewards and admins.
Errors are ``{"error": kind, "message": ...}`` with 400 (invalid request), 401 (no, wrong,
revoked or expired token, with ``WWW-Authenticate: Bearer``), 403 (the role or the token's
scope may not), 404 (unknown id or object), 409 (not pending any more, or the queue changed
under a bulk decision) and 429.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from worker.web import api_account, api_alerts, api_audit, api_objects, api_suggestions
from worker.web.api_deps import no_nul_in_query
from worker.web.api_models import ERRORS


def api_router() -> APIRouter:
    """The ``/api/v1`` routes; the app's review context (:mod:`worker.web.deps`) serves them."""
    router = APIRouter(
        prefix="/api/v1",
        tags=["review"],
        responses=ERRORS,
        dependencies=[Depends(no_nul_in_query)],
    )
    for area in (api_account, api_suggestions, api_objects, api_audit, api_alerts):
        router.include_router(area.router)
    return router
