"""Your own account in the review UI: ``/account``, changing your password, your API tokens.

A new token's secret is shown once, on the response that created it: never in a cookie, a
URL or the database. Changing the password ends your other sessions and revokes your tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from worker.core.errors import InvalidDecision, NotAuthenticated, ReviewError, SuggestionNotFound
from worker.web.auth import WebSession, client_address
from worker.web.deps import Form, Pages, PageSession, Review
from worker.web.ui import ReviewUI

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

router = APIRouter(include_in_schema=False)


def account_page(
    request: Request,
    ui: ReviewUI,
    review: SqlReviewService,
    session: WebSession,
    new_token: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The account page: your tokens, and a just-created token's secret when there is one."""
    user = session.user
    return ui.render(
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
def account(request: Request, ui: Pages, review: Review, session: PageSession) -> Response:
    """Your password and API tokens."""
    return account_page(request, ui, review, session)


@router.post("/account/password")
def change_password(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Change your password (the current one is checked; the throttle applies)."""
    user = form.session.user
    new = form.fields.get("new_password", "")
    if new != form.fields.get("new_password_confirm", ""):
        return ui.redirect(request, "/account", "the new passwords differ", ok=False)
    try:
        review.users.change_password(
            user.name,
            form.fields.get("current_password", ""),
            new,
            client_address(request),
            keep_session=form.session.token,
        )
    except NotAuthenticated:
        return ui.redirect(request, "/account", "the current password is wrong", False)
    except (InvalidDecision, SuggestionNotFound) as exc:
        return ui.redirect(request, "/account", exc.message, ok=False)
    except ReviewError as exc:  # throttled, busy
        return ui.redirect(request, "/account", exc.message, ok=False)
    return ui.redirect(
        request,
        "/account",
        "password changed; your other sessions ended and your API tokens were revoked",
    )


@router.post("/account/tokens")
def create_token(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Create an API token for yourself and show its secret, once."""
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
        return ui.redirect(request, "/account", "days must be a number", ok=False)
    except (InvalidDecision, SuggestionNotFound) as exc:
        return ui.redirect(request, "/account", exc.message, ok=False)
    # Shown once, on this response only (never in a cookie, a URL or the database).
    return account_page(
        request, ui, review, form.session, {"secret": secret, "label": label, "scope": scope}
    )


@router.post("/account/tokens/revoke")
def revoke_token(request: Request, ui: Pages, review: Review, form: Form) -> Response:
    """Revoke one of your API tokens."""
    user = form.session.user
    token_id = form.fields.get("token_id", "")
    try:
        review.users.revoke_tokens(user.name, [token_id], actor=user.name)
    except SuggestionNotFound as exc:
        return ui.redirect(request, "/account", exc.message, ok=False)
    return ui.redirect(request, "/account", f"API token {token_id} revoked")
