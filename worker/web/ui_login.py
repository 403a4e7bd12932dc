"""Signing in and out of the review UI: ``/login``, ``/logout``, and ``/`` leading to the queue.

The login form has no session yet: it carries a CSRF token bound to a pre-session cookie,
and a sign-in whose ``Origin`` (or ``Referer``) names another site is refused. A successful
login ends the browser's previous session and starts a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from worker.core.errors import ReviewError
from worker.web.auth import (
    CSRF_FIELD,
    Auth,
    client_address,
    read_form,
    safe_local,
    same_origin,
    status_for,
)
from worker.web.deps import Form, Pages, Review, Sessions
from worker.web.ui import ReviewUI

router = APIRouter(include_in_schema=False)

#: The login form's text fields (it is checked against its own token, not a session's).
LoginFields = Annotated[dict[str, str], Depends(read_form)]


@router.get("/")
def home() -> Response:
    """The queue is the start page."""
    return RedirectResponse("/queue", status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon (and no 404 in the logs for it)."""
    return Response(status_code=204)


def login_page(
    request: Request,
    ui: ReviewUI,
    auth: Auth,
    context: dict[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The login form with a fresh CSRF token (setting the pre-session cookie when needed)."""
    token, fresh = auth.login_csrf(request)
    response = ui.render(
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
def login_form(request: Request, ui: Pages, auth: Sessions, next: str = "") -> Response:
    """The login form; already signed in: straight on to ``next``."""
    if auth.current(request) is not None:
        return RedirectResponse(safe_local(next), status_code=303)
    return login_page(request, ui, auth, {"next": safe_local(next), "username": ""})


@router.post("/login")
def login(
    request: Request, ui: Pages, auth: Sessions, review: Review, fields: LoginFields
) -> Response:
    """Check the password and start a session; the form again, with the reason, if refused."""
    name = fields.get("username", "")[:128]
    target = safe_local(fields.get("next"))
    context = {"next": target, "username": name}
    if not same_origin(request):
        return login_page(
            request, ui, auth, {**context, "error": "sign-in from another site refused"}, 403
        )
    if not auth.login_csrf_ok(request, fields.get(CSRF_FIELD, "")):
        return login_page(
            request,
            ui,
            auth,
            {**context, "error": "the sign-in form had expired: please sign in again"},
            403,
        )
    try:
        user = review.users.authenticate(name, fields.get("password", ""), client_address(request))
    except ReviewError as exc:
        headers = {}
        retry = getattr(exc, "retry_after_s", None)
        if isinstance(retry, int):
            headers["Retry-After"] = str(retry)
        return login_page(
            request, ui, auth, {**context, "error": exc.message}, status_for(exc), headers
        )
    previous = auth.current(request)
    if previous is not None:
        review.users.end_session(previous.token)
    token, _csrf = review.users.create_session(user)
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, auth: Sessions, review: Review, form: Form) -> Response:
    """End the session and return to the login form."""
    review.users.end_session(form.session.token)
    response = RedirectResponse("/login", status_code=303)
    auth.clear_session_cookie(response, request)
    auth.flash(response, request, "signed out")
    return response
