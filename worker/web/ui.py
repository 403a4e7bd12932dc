"""The steward review UI: server-rendered pages (Jinja2, autoescaped), plain HTML forms.

Pages: ``/login``, ``/queue`` (filters, sorting, paging, approve/reject, bulk decisions),
``/objects?uri=`` (an object's columns, findings, suggestions and history), ``/audit`` (with
CSV/JSON export; stewards and admins), ``/account`` (your password and API tokens) and
``/admin/users``. Every page works without JavaScript. Every form that changes something is a
POST carrying the session's CSRF token (the login form: a token bound to a pre-session
cookie, and a same-origin check); role checks happen in
:class:`~worker.services.review.service.ReviewService`, never only in the templates. Evidence
shown is what the store holds: shares, intervals and masked examples, never a sampled value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from models.review import SORTS, Role, SuggestionFilter, SuggestionState
from worker.adapters.catalog.review_store import audit_csv, audit_json
from worker.core.errors import InvalidDecision, NotAuthenticated, ReviewError, SuggestionNotFound
from worker.services.review.service import ReviewService
from worker.web.auth import (
    CSRF_FIELD,
    Auth,
    CsrfRejected,
    FormPost,
    WebSession,
    client_address,
    here,
    read_form,
    safe_local,
    same_origin,
    status_for,
)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

#: The state menu of the queue ("any": every state).
STATE_CHOICES = ("pending", "approved", "rejected", "applied", "superseded", "any")
SORT_LABELS = {
    "-confidence": "Confidence, highest first",
    "confidence": "Confidence, lowest first",
    "-last_seen": "Last seen, newest first",
    "last_seen": "Last seen, oldest first",
    "object": "Object and column",
    "-first_seen": "First seen, newest first",
}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_LIMIT = 50
MAX_TEXT = 2048


# -- formatting (template filters) -------------------------------------------------------------


def pct(value: Any) -> str:
    """A share as a percentage: ``0.62`` → ``62%``, ``0.004`` → ``0.4%``."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return "–"
    scaled = value * 100
    if scaled == 0 or abs(scaled) >= 10:
        return f"{scaled:.0f}%"
    return f"{scaled:.1f}%"


def confidence(value: Any) -> str:
    """A confidence with two decimals (``–`` when there is none)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value:.2f}"


def when(value: Any) -> str:
    """A timestamp to the minute, in UTC."""
    if not isinstance(value, datetime):
        return "–" if value is None else str(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def day(value: Any) -> str:
    """The date of a timestamp (UTC)."""
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else when(value)


def clock(value: Any) -> str:
    """The time of day of a timestamp, to the minute (UTC)."""
    return value.strftime("%H:%M UTC") if isinstance(value, datetime) else ""


def size(value: Any) -> str:
    """A byte count for people (``12.3 MiB``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "–"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{value} B"  # pragma: no cover - the loop always returns


def prevalence(evidence: Mapping[str, Any]) -> str | None:
    """``62% (55–68%)``: the prevalence and its 95% interval, when known."""
    value = evidence.get("prevalence")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    text = pct(value)
    interval = evidence.get("prevalence_interval")
    if (
        isinstance(interval, list | tuple)
        and len(interval) == 2
        and all(isinstance(x, int | float) for x in interval)
    ):
        low, high = pct(interval[0]).rstrip("%"), pct(interval[1])
        text += f" ({low}–{high})"
    return text


def evidence_lines(evidence: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The masked evidence as (label, text) pairs for the queue and the object page."""
    if not evidence:
        return []
    lines: list[tuple[str, str]] = []
    prev = prevalence(evidence)
    if prev is not None:
        lines.append(("prevalence", prev))
    rate = evidence.get("validator_pass_rate")
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        lines.append(("validator", f"{pct(rate)} pass"))
    signal = evidence.get("name_signal")
    if isinstance(signal, str) and signal:
        lines.append(("name", signal[:64]))
    business = evidence.get("business_type")
    if isinstance(business, str) and business:
        lines.append(("business type", business[:64]))
    top = evidence.get("top")
    if isinstance(top, list):
        names = []
        for item in top[:3]:
            if isinstance(item, Mapping):
                label = item.get("label") or item.get("name") or item.get("category")
                if isinstance(label, str):
                    names.append(label[:64])
        if names:
            lines.append(("categories", ", ".join(names)))
    return lines


def examples(evidence: Mapping[str, Any] | None, limit: int = 3) -> list[str]:
    """Up to ``limit`` masked examples (they are stored masked; never raw values)."""
    if not evidence:
        return []
    found = evidence.get("masked_examples")
    if not isinstance(found, list | tuple):
        return []
    return [str(x)[:64] for x in found[:limit] if isinstance(x, str)]


def change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """What an audit entry changed: ``state: pending → approved``."""
    before, after = before or {}, after or {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in ("ids", "filter"):
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        parts.append(f"{key}: {_short(old)} → {_short(new)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "–"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def make_templates() -> Jinja2Templates:
    """The template environment: autoescaped, with the formatting filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=pct, confidence=confidence, when=when, day=day, clock=clock, size=size, change=change
    )
    env.globals.update(evidence_lines=evidence_lines, examples=examples)
    return Jinja2Templates(env=env)


# -- filters from query strings and forms ------------------------------------------------------


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    return value[:MAX_TEXT] or None


def _share(params: Mapping[str, str], name: str, label: str, errors: list[str]) -> float | None:
    raw = _text(params, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(f"{label} must be a number between 0 and 1")
        return None
    if not 0 <= value <= 1:
        errors.append(f"{label} must be between 0 and 1")
        return None
    return value


def parse_int(raw: str | None, default: int, low: int, high: int) -> int:
    """An integer query or form value, clamped to ``low``..``high`` (``default`` if absent)."""
    try:
        value = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        value = default
    return max(low, min(value, high))


def parse_filter(params: Mapping[str, str]) -> tuple[SuggestionFilter, list[str]]:
    """The suggestion filter of a query string or form, and what was wrong with it."""
    errors: list[str] = []
    state_text = _text(params, "state") or "pending"
    state: SuggestionState | None
    if state_text == "any":
        state = None
    else:
        try:
            state = SuggestionState(state_text)
        except ValueError:
            errors.append(f"unknown state {state_text!r}")
            state = SuggestionState.PENDING
    low = _share(params, "min_confidence", "minimum confidence", errors)
    high = _share(params, "max_confidence", "maximum confidence", errors)
    f = SuggestionFilter(
        state=state,
        kind=_text(params, "kind"),
        entity=_text(params, "entity"),
        tag=_text(params, "tag"),
        uri_pattern=_text(params, "uri_pattern"),
        min_confidence=low,
        max_confidence=high,
        classifier_version=_text(params, "classifier_version"),
        object_uri=_text(params, "object_uri"),
        column=_text(params, "column"),
    )
    return f, errors


def filter_params(f: SuggestionFilter) -> list[tuple[str, str]]:
    """The query-string form of ``f`` (what :func:`parse_filter` reads back)."""
    out = [("state", f.state.value if f.state is not None else "any")]
    for name in (
        "kind",
        "entity",
        "tag",
        "uri_pattern",
        "min_confidence",
        "max_confidence",
        "classifier_version",
        "object_uri",
        "column",
    ):
        value = getattr(f, name)
        if value is None or value == "":
            continue
        out.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    return out


def queue_url(
    f: SuggestionFilter, sort: str = "-confidence", offset: int = 0, limit: int = 0
) -> str:
    """The queue page showing ``f``."""
    params = filter_params(f)
    if sort != "-confidence":
        params.append(("sort", sort))
    if limit and limit != DEFAULT_LIMIT:
        params.append(("limit", str(limit)))
    if offset:
        params.append(("offset", str(offset)))
    return "/queue?" + urlencode(params)


# -- the pages ---------------------------------------------------------------------------------


class ReviewUI:
    """The HTML pages and their form handlers.

    :param review: the review service (permissions are checked there).
    :param auth: sessions, CSRF tokens and flash messages.
    """

    def __init__(self, review: ReviewService, auth: Auth) -> None:
        self.review = review
        self.auth = auth
        self.templates = make_templates()

    # -- rendering ----------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        session: WebSession | None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """A page, with the header bar's user and the pending flash message."""
        flash = self.auth.read_flash(request)
        full: dict[str, Any] = {
            "session": session,
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "flash": flash,
            "here": here(request),
            "path": request.url.path,
            **context,
        }
        response = self.templates.TemplateResponse(
            request, name, full, status_code=status, headers=dict(headers or {})
        )
        response.headers["Cache-Control"] = "no-store"
        if flash is not None:
            self.auth.clear_flash(response, request)
        return response

    def redirect(
        self, request: Request, target: str, text: str | None, ok: bool = True
    ) -> Response:
        """303 to a local page, with a flash message for it."""
        response = RedirectResponse(safe_local(target), status_code=303)
        if text:
            self.auth.flash(response, request, text, ok)
        return response

    def error_page(self, request: Request, status: int, message: str) -> Response:
        """The error page (404, 403 ...), with the header bar when logged in."""
        return self.render(
            request,
            "error.html",
            {"status": status, "message": message},
            self.auth.current(request),
            status=status,
        )

    def review_error(self, request: Request, exc: ReviewError) -> Response:
        """A refused operation as a page."""
        return self.error_page(request, status_for(exc), exc.message)

    def csrf_error(self, request: Request, exc: CsrfRejected) -> Response:
        """A form without its CSRF token: 403."""
        return self.error_page(request, 403, exc.message)

    # -- routes -------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        """Every page and form handler (left out of the OpenAPI schema)."""
        router = APIRouter(include_in_schema=False)
        page = Depends(self.auth.page_session)
        post = Depends(self.auth.form_post)
        login_fields = Depends(read_form)
        review, auth = self.review, self.auth
        store = review.store

        @router.get("/")
        def home() -> Response:
            return RedirectResponse("/queue", status_code=303)

        @router.get("/favicon.ico")
        def favicon() -> Response:
            return Response(status_code=204)

        def login_page(
            request: Request,
            context: dict[str, Any],
            status: int = 200,
            headers: Mapping[str, str] | None = None,
        ) -> Response:
            token, fresh = auth.login_csrf(request)
            response = self.render(
                request,
                "login.html",
                {**context, "login_csrf": token},
                None,
                status=status,
                headers=headers,
            )
            if fresh is not None:
                auth.set_login_cookie(response, request, fresh)
            return response

        @router.get("/login")
        def login_form(request: Request, next: str = "") -> Response:
            if auth.current(request) is not None:
                return RedirectResponse(safe_local(next), status_code=303)
            return login_page(request, {"next": safe_local(next), "username": ""})

        @router.post("/login")
        def login(request: Request, fields: dict[str, str] = login_fields) -> Response:
            name = fields.get("username", "")[:128]
            target = safe_local(fields.get("next"))
            context = {"next": target, "username": name}
            if not same_origin(request):
                return login_page(
                    request, {**context, "error": "sign-in from another site refused"}, 403
                )
            if not auth.login_csrf_ok(request, fields.get(CSRF_FIELD, "")):
                return login_page(
                    request,
                    {**context, "error": "the sign-in form had expired: please sign in again"},
                    403,
                )
            try:
                user = review.users.authenticate(
                    name, fields.get("password", ""), client_address(request)
                )
            except ReviewError as exc:
                headers = {}
                retry = getattr(exc, "retry_after_s", None)
                if isinstance(retry, int):
                    headers["Retry-After"] = str(retry)
                return login_page(
                    request, {**context, "error": exc.message}, status_for(exc), headers
                )
            previous = auth.current(request)
            if previous is not None:
                review.users.end_session(previous.token)
            token, _csrf = review.users.create_session(user)
            response = RedirectResponse(target, status_code=303)
            auth.set_session_cookie(response, request, token)
            return response

        @router.post("/logout")
        def logout(request: Request, form: FormPost = post) -> Response:
            review.users.end_session(form.session.token)
            response = RedirectResponse("/login", status_code=303)
            auth.clear_session_cookie(response, request)
            auth.flash(response, request, "signed out")
            return response

        @router.get("/queue")
        def queue(request: Request, session: WebSession = page) -> Response:
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
            return self.render(
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
                    "prev_href": queue_url(f, sort, max(0, offset - limit), limit)
                    if offset > 0
                    else None,
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
        def approve(request: Request, suggestion_id: int, form: FormPost = post) -> Response:
            back = safe_local(form.fields.get("back"))
            try:
                report = review.approve(
                    form.session.user,
                    [suggestion_id],
                    form.fields.get("reason") or None,
                    client_address(request),
                )
            except InvalidDecision as exc:
                return self.redirect(request, back, exc.message, ok=False)
            return self.redirect(request, back, report.summary())

        @router.post("/suggestions/{suggestion_id}/reject")
        def reject(request: Request, suggestion_id: int, form: FormPost = post) -> Response:
            back = safe_local(form.fields.get("back"))
            try:
                report = review.reject(
                    form.session.user,
                    [suggestion_id],
                    form.fields.get("reason", ""),
                    client_address(request),
                )
            except InvalidDecision as exc:
                return self.redirect(request, back, exc.message, ok=False)
            return self.redirect(request, back, report.summary())

        def bulk_page(
            request: Request,
            form: FormPost,
            error: str | None = None,
            status: int = 200,
        ) -> Response:
            f, errors = parse_filter(form.fields)
            if errors:
                return self.error_page(request, 400, "; ".join(errors))
            action = form.fields.get("action", "")
            if action not in ("approve", "reject"):
                return self.error_page(request, 400, "the action is approve or reject")
            pending = replace(f, state=SuggestionState.PENDING)
            return self.render(
                request,
                "bulk_confirm.html",
                {
                    "title": "Confirm bulk decision",
                    "action": action,
                    "count": store.count(pending),
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
        def bulk_confirm(request: Request, form: FormPost = post) -> Response:
            review.require(form.session.user, Role.STEWARD)
            return bulk_page(request, form)

        @router.post("/queue/bulk")
        def bulk(request: Request, form: FormPost = post) -> Response:
            user = form.session.user
            review.require(user, Role.STEWARD)
            f, errors = parse_filter(form.fields)
            action = form.fields.get("action", "")
            if errors or action not in ("approve", "reject"):
                return bulk_page(request, form)
            reason = form.fields.get("reason", "").strip() or None
            if action == "reject" and reason is None:
                return bulk_page(request, form, "a rejection needs a reason", 400)
            expected_raw = form.fields.get("expected", "")
            if not expected_raw.isdigit():
                return bulk_page(request, form, "confirm the count first", 400)
            expected = int(expected_raw)
            try:
                report = review.bulk(
                    user, f, action == "approve", reason, expected, client_address(request)
                )
            except InvalidDecision as exc:
                return bulk_page(request, form, exc.message, 409)
            back = safe_local(form.fields.get("back"), queue_url(f))
            return self.redirect(request, back, report.summary())

        @router.get("/objects")
        def object_page(request: Request, uri: str = "", session: WebSession = page) -> Response:
            detail = store.object_detail(uri) if uri else None
            graph = None
            if uri and review.lineage is not None:
                from worker.web.lineage_view import lineage_view

                graph = lineage_view(review.lineage, uri)
            if detail is None and graph is not None:
                detail = {"object": {"uri": uri}, "columns": [], "suggestions": [], "history": []}
            if detail is None:
                return self.error_page(request, 404, "no object with that URI is known")
            columns = [
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
                for c in detail["columns"]
            ]
            return self.render(
                request,
                "object.html",
                {
                    "title": detail["object"].get("key") or uri,
                    "uri": uri,
                    "object": detail["object"],
                    "columns": columns,
                    "suggestions": detail["suggestions"],
                    "history": detail["history"],
                    "lineage": graph,
                    "can_decide": session.user.role.can_decide,
                    "queue_href": queue_url(SuggestionFilter(state=None, object_uri=uri)),
                },
                session,
            )

        @router.get("/audit")
        def audit(request: Request, session: WebSession = page) -> Response:
            review.require(session.user, Role.STEWARD)
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

            return self.render(
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
        def audit_export_csv(session: WebSession = page) -> Response:
            review.require(session.user, Role.STEWARD)
            return Response(
                audit_csv(store.iter_audit()),
                media_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": 'attachment; filename="s3-enricher-audit.csv"',
                    "Cache-Control": "no-store",
                },
            )

        @router.get("/audit/export.json")
        def audit_export_json(session: WebSession = page) -> Response:
            review.require(session.user, Role.STEWARD)
            return Response(
                audit_json(store.iter_audit()),
                media_type="application/json",
                headers={
                    "Content-Disposition": 'attachment; filename="s3-enricher-audit.json"',
                    "Cache-Control": "no-store",
                },
            )

        # -- my account: password and API tokens --------------------------------------------

        def account_page(
            request: Request,
            session: WebSession,
            new_token: dict[str, str] | None = None,
            status: int = 200,
        ) -> Response:
            user = session.user
            return self.render(
                request,
                "account.html",
                {
                    "title": "My account",
                    "tokens": review.users.tokens(user.name),
                    "token_days": review.users.settings.token_days,
                    "idle_minutes": review.users.settings.session_idle_minutes,
                    "can_change_password": user.source == "database",
                    "new_token": new_token,
                },
                session,
                status=status,
            )

        @router.get("/account")
        def account(request: Request, session: WebSession = page) -> Response:
            return account_page(request, session)

        @router.post("/account/password")
        def change_password(request: Request, form: FormPost = post) -> Response:
            user = form.session.user
            new = form.fields.get("new_password", "")
            if new != form.fields.get("new_password_confirm", ""):
                return self.redirect(request, "/account", "the new passwords differ", ok=False)
            try:
                review.users.change_password(
                    user.name,
                    form.fields.get("current_password", ""),
                    new,
                    client_address(request),
                    keep_session=form.session.token,
                )
            except NotAuthenticated:
                return self.redirect(request, "/account", "the current password is wrong", False)
            except (InvalidDecision, SuggestionNotFound) as exc:
                return self.redirect(request, "/account", exc.message, ok=False)
            except ReviewError as exc:  # throttled, busy
                return self.redirect(request, "/account", exc.message, ok=False)
            return self.redirect(
                request,
                "/account",
                "password changed; your other sessions ended and your API tokens were revoked",
            )

        @router.post("/account/tokens")
        def create_token(request: Request, form: FormPost = post) -> Response:
            user = form.session.user
            scope = "read" if form.fields.get("scope") == "read" else "write"
            label = form.fields.get("label", "").strip()[:128] or "web"
            days_raw = form.fields.get("days", "").strip()
            try:
                days = int(days_raw) if days_raw else None
                secret = review.users.create_token(
                    user.name, label, actor=user.name, scope=scope, days=days
                )
            except ValueError:
                return self.redirect(request, "/account", "days must be a number", ok=False)
            except (InvalidDecision, SuggestionNotFound) as exc:
                return self.redirect(request, "/account", exc.message, ok=False)
            # Shown once, on this response only (never in a cookie, a URL or the database).
            return account_page(
                request, form.session, {"secret": secret, "label": label, "scope": scope}
            )

        @router.post("/account/tokens/revoke")
        def revoke_token(request: Request, form: FormPost = post) -> Response:
            user = form.session.user
            token_id = form.fields.get("token_id", "")
            try:
                review.users.revoke_tokens(user.name, [token_id], actor=user.name)
            except SuggestionNotFound as exc:
                return self.redirect(request, "/account", exc.message, ok=False)
            return self.redirect(request, "/account", f"API token {token_id} revoked")

        @router.get("/admin/users")
        def users_page(request: Request, session: WebSession = page) -> Response:
            review.require(session.user, Role.ADMIN)
            return self.render(
                request,
                "users.html",
                {"title": "Users", "users": review.users.users(), "roles": [r.value for r in Role]},
                session,
            )

        @router.post("/admin/users")
        def add_user(request: Request, form: FormPost = post) -> Response:
            actor = form.session.user
            review.require(actor, Role.ADMIN)
            name = form.fields.get("name", "").strip()
            try:
                role = _role(form.fields.get("role", ""))
                review.users.add(name, role, form.fields.get("password", ""), actor=actor.name)
            except InvalidDecision as exc:
                return self.redirect(request, "/admin/users", exc.message, ok=False)
            return self.redirect(request, "/admin/users", f"user {name} added as {role.value}")

        @router.post("/admin/users/role")
        def change_role(request: Request, form: FormPost = post) -> Response:
            actor = form.session.user
            review.require(actor, Role.ADMIN)
            name = form.fields.get("name", "")
            try:
                role = _role(form.fields.get("role", ""))
                if name == actor.name and role is not Role.ADMIN:
                    raise InvalidDecision("you cannot take away your own admin role")
                review.users.update(name, actor.name, role=role)
            except (InvalidDecision, SuggestionNotFound) as exc:
                return self.redirect(request, "/admin/users", exc.message, ok=False)
            return self.redirect(request, "/admin/users", f"{name} is now {role.value}")

        @router.post("/admin/users/active")
        def change_active(request: Request, form: FormPost = post) -> Response:
            actor = form.session.user
            review.require(actor, Role.ADMIN)
            name = form.fields.get("name", "")
            active = form.fields.get("active") == "true"
            try:
                if name == actor.name and not active:
                    raise InvalidDecision("you cannot disable your own account")
                review.users.update(name, actor.name, active=active)
            except (InvalidDecision, SuggestionNotFound) as exc:
                return self.redirect(request, "/admin/users", exc.message, ok=False)
            verb = "enabled" if active else "disabled; their sessions ended, API tokens revoked"
            return self.redirect(request, "/admin/users", f"{name} {verb}")

        return router


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidDecision(f"unknown role {value!r}") from None
