"""The review queue's pages: ``/queue``, approve and reject, bulk decisions, and ``/objects``.

The queue filters, sorts and pages suggestions; a steward decides one at a time or, after
confirming the count, every pending suggestion a filter selects (refused if the count
changed meanwhile). An object's page shows its columns with their findings (masked
evidence only), its suggestions, its history and, with lineage configured, its graph.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from models.review import SORTS, Role, SuggestionFilter, SuggestionState
from worker.core.errors import InvalidDecision
from worker.web.auth import FormPost, client_address, safe_local
from worker.web.deps import Form, Pages, PageSession, Review
from worker.web.ui import ReviewUI
from worker.web.ui_filters import (
    DEFAULT_LIMIT,
    PAGE_SIZES,
    SORT_LABELS,
    STATE_CHOICES,
    filter_params,
    parse_filter,
    parse_int,
    queue_url,
)
from worker.web.ui_format import evidence_lines, examples

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

router = APIRouter(include_in_schema=False)


@router.get("/queue")
def queue(request: Request, ui: Pages, review: Review, session: PageSession) -> Response:
    """The review queue: the suggestions a filter selects, a page at a time."""
    params = request.query_params
    f, errors = parse_filter(params)
    sort = params.get("sort") or "-confidence"
    if sort not in SORTS:
        errors.append(f"unknown sort {sort!r}")
        sort = "-confidence"
    limit = parse_int(params.get("limit"), DEFAULT_LIMIT, 1, 500)
    offset = parse_int(params.get("offset"), 0, 0, 10**9)
    result = review.queue(session.user, f, sort, offset, limit)
    if result.total and offset >= result.total:
        # Past the end (e.g. after deciding the last rows of a page): the last page.
        offset = max(0, (result.total - 1) // limit * limit)
        result = review.queue(session.user, f, sort, offset, limit)
    shown_to = offset + len(result.items)
    store = review.store
    return ui.render(
        request,
        "queue.html",
        {
            "title": "Review queue",
            "filter": f,
            "state_value": f.state.value if f.state is not None else "any",
            "errors": errors,
            "sort": sort,
            "limit": limit,
            "page": result,
            "shown_from": offset + 1 if result.items else 0,
            "shown_to": shown_to,
            "prev_href": queue_url(f, sort, max(0, offset - limit), limit) if offset > 0 else None,
            "next_href": queue_url(f, sort, offset + limit, limit)
            if shown_to < result.total
            else None,
            "facets": store.facets(),
            "counts": store.state_counts(),
            "state_links": [
                (s, queue_url(replace(f, state=None if s == "any" else SuggestionState(s))))
                for s in STATE_CHOICES
            ],
            "states": STATE_CHOICES,
            "sorts": SORT_LABELS,
            "page_sizes": PAGE_SIZES,
            "filter_fields": filter_params(f),
            "can_decide": session.user.role.can_decide,
        },
        session,
    )


@router.post("/suggestions/{suggestion_id}/approve")
def approve(
    request: Request, suggestion_id: int, ui: Pages, review: Review, form: Form
) -> Response:
    """Approve one suggestion, then back to the page the form came from."""
    back = safe_local(form.fields.get("back"))
    try:
        report = review.approve(
            form.session.user,
            [suggestion_id],
            form.fields.get("reason") or None,
            client_address(request),
        )
    except InvalidDecision as exc:
        return ui.redirect(request, back, exc.message, ok=False)
    return ui.redirect(request, back, report.summary())


@router.post("/suggestions/{suggestion_id}/reject")
def reject(request: Request, suggestion_id: int, ui: Pages, review: Review, form: Form) -> Response:
    """Reject one suggestion (with the form's reason), then back to where the form came from."""
    back = safe_local(form.fields.get("back"))
    try:
        report = review.reject(
            form.session.user,
            [suggestion_id],
            form.fields.get("reason", ""),
            client_address(request),
        )
    except InvalidDecision as exc:
        return ui.redirect(request, back, exc.message, ok=False)
    return ui.redirect(request, back, report.summary())


def bulk_page(
    request: Request,
    ui: ReviewUI,
    review: SqlReviewService,
    form: FormPost,
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The confirmation of a bulk decision: how many pending suggestions the filter selects."""
    f, errors = parse_filter(form.fields)
    if errors:
        return ui.error_page(request, 400, "; ".join(errors))
    action = form.fields.get("action", "")
    if action not in ("approve", "reject"):
        return ui.error_page(request, 400, "the action is approve or reject")
    pending = replace(f, state=SuggestionState.PENDING)
    return ui.render(
        request,
        "bulk_confirm.html",
        {
            "title": "Confirm bulk decision",
            "action": action,
            "count": review.store.count(pending),
            "description": pending.describe(),
            "filter_fields": filter_params(f),
            "back": safe_local(form.fields.get("back"), queue_url(f)),
            "reason": form.fields.get("reason", ""),
            "error": error,
        },
        form.session,
        status=status,
    )


@router.post("/queue/bulk/confirm")
def bulk_confirm(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Ask a steward to confirm the count of a bulk decision."""
    review.require(form.session.user, Role.STEWARD)
    return bulk_page(request, ui, review, form)


@router.post("/queue/bulk")
def bulk(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Decide every pending suggestion of the filter, if the confirmed count still holds."""
    user = form.session.user
    review.require(user, Role.STEWARD)
    f, errors = parse_filter(form.fields)
    action = form.fields.get("action", "")
    if errors or action not in ("approve", "reject"):
        return bulk_page(request, ui, review, form)
    reason = form.fields.get("reason", "").strip() or None
    if action == "reject" and reason is None:
        return bulk_page(request, ui, review, form, "a rejection needs a reason", 400)
    expected_raw = form.fields.get("expected", "")
    if not expected_raw.isdigit():
        return bulk_page(request, ui, review, form, "confirm the count first", 400)
    expected = int(expected_raw)
    try:
        report = review.bulk(
            user, f, action == "approve", reason, expected, client_address(request)
        )
    except InvalidDecision as exc:
        return bulk_page(request, ui, review, form, exc.message, 409)
    back = safe_local(form.fields.get("back"), queue_url(f))
    return ui.redirect(request, back, report.summary())


@router.get("/objects")
def object_page(
    request: Request, ui: Pages, review: Review, session: PageSession, uri: str = ""
) -> Response:
    """An object: its columns and findings, suggestions, history and lineage graph."""
    detail = review.store.object_detail(uri) if uri else None
    graph = None
    if uri and review.lineage is not None:
        from worker.web.lineage_view import lineage_view

        graph = lineage_view(review.lineage, uri)
    if detail is None and graph is not None:
        detail = {"object": {"uri": uri}, "columns": [], "suggestions": [], "history": []}
    if detail is None:
        return ui.error_page(request, 404, "no object with that URI is known")
    return ui.render(
        request,
        "object.html",
        {
            "title": detail["object"].get("key") or uri,
            "uri": uri,
            "object": detail["object"],
            "columns": _columns(detail["columns"]),
            "suggestions": detail["suggestions"],
            "history": detail["history"],
            "lineage": graph,
            "can_decide": session.user.role.can_decide,
            "queue_href": queue_url(SuggestionFilter(state=None, object_uri=uri)),
        },
        session,
    )


def _columns(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The object's columns with each finding's evidence as text lines and masked examples."""
    return [
        {
            **c,
            "findings": [
                {
                    **fd,
                    "summary": evidence_lines(
                        {**(fd.get("evidence") or {}), "prevalence": fd.get("prevalence")}
                    ),
                    "examples": examples(fd.get("evidence")),
                }
                for fd in c["findings"]
            ],
        }
        for c in columns
    ]
