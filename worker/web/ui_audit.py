"""The audit log's pages (stewards and admins): ``/audit``, and its CSV and JSON exports.

The log holds actors' names and addresses, so viewers may not read it; the exports are
downloads that are never cached.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from models.review import Role
from worker.adapters.catalog.review_store import audit_csv, audit_json
from worker.web.deps import Pages, PageSession, Review
from worker.web.ui_filters import DEFAULT_LIMIT, parse_int

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit(request: Request, ui: Pages, review: Review, session: PageSession) -> Response:
    """The audit log, newest first, a page at a time."""
    review.require(session.user, Role.STEWARD)
    store = review.store
    limit = parse_int(request.query_params.get("limit"), DEFAULT_LIMIT, 1, 500)
    offset = parse_int(request.query_params.get("offset"), 0, 0, 10**9)
    entries = store.audit_entries(limit=limit + 1, offset=offset)
    more = len(entries) > limit
    entries = entries[:limit]

    def href(at: int) -> str:
        params = {"offset": str(at)} if at else {}
        if limit != DEFAULT_LIMIT:
            params["limit"] = str(limit)
        return "/audit" + ("?" + urlencode(params) if params else "")

    return ui.render(
        request,
        "audit.html",
        {
            "title": "Audit log",
            "entries": entries,
            "shown_from": offset + 1 if entries else 0,
            "shown_to": offset + len(entries),
            "total": store.audit_count(),
            "prev_href": href(max(0, offset - limit)) if offset > 0 else None,
            "next_href": href(offset + limit) if more else None,
        },
        session,
    )


@router.get("/audit/export.csv")
def audit_export_csv(review: Review, session: PageSession) -> Response:
    """The whole audit log as a CSV download."""
    review.require(session.user, Role.STEWARD)
    return Response(
        audit_csv(review.store.iter_audit()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="s3-enricher-audit.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/audit/export.json")
def audit_export_json(review: Review, session: PageSession) -> Response:
    """The whole audit log as a JSON download."""
    review.require(session.user, Role.STEWARD)
    return Response(
        audit_json(review.store.iter_audit()),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="s3-enricher-audit.json"',
            "Cache-Control": "no-store",
        },
    )
