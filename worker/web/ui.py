"""The steward review UI's page frame: templates, rendering, redirects with flash messages, errors.

The pages themselves are route handlers grouped by area: :mod:`worker.web.ui_login`
(``/login``, ``/logout``), :mod:`worker.web.ui_suggestions` (``/queue`` with filters, sorting,
paging, approve/reject and bulk decisions; ``/objects?uri=``, an object's columns, findings,
suggestions and history), :mod:`worker.web.ui_audit` (``/audit`` with CSV/JSON export;
stewards and admins), :mod:`worker.web.ui_account` (``/account``: your password and API
tokens), :mod:`worker.web.ui_admin` (``/admin/users``) and :mod:`worker.web.ui_ask`
(``/ask?q=``, the answer of the header's ask box). Every page works without
JavaScript. Every form that changes something is a POST carrying the session's CSRF token
(the login form: a token bound to a pre-session cookie, and a same-origin check); role checks
happen in :class:`~worker.services.review.service.ReviewService`, never only in the
templates. Evidence shown is what the store holds: shares, intervals and masked examples,
never a sampled value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from worker.core.errors import ReviewError
from worker.web.auth import Auth, CsrfRejected, WebSession, here, safe_local, status_for
from worker.web.ui_format import (
    change,
    clock,
    confidence,
    day,
    evidence_lines,
    examples,
    pct,
    size,
    when,
)

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


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


class ReviewUI:
    """The HTML pages and their form handlers.

    :param review: the review service (permissions are checked there).
    :param auth: sessions, CSRF tokens and flash messages.
    """

    def __init__(self, review: SqlReviewService, auth: Auth) -> None:
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
