"""FastAPI dependencies of the review routes: the app's review service, sessions and page renderer.

:func:`worker.web.app.create_app` builds one :class:`ReviewContext` per app and keeps it in
``app.state`` (:func:`install`). The route handlers of the UI and the API are module-level
functions that receive its parts through ``Depends``, so two apps in one process (as in the
tests) never share a service, a session key or a template environment. The accessors are
``async`` because they only read ``app.state``: FastAPI then calls them on the event loop
instead of handing each to the thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request

from worker.services.review.service import ReviewService
from worker.web.auth import Auth, FormPost, WebSession
from worker.web.ui import ReviewUI

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """What the review routes of one app work with."""

    review: SqlReviewService
    auth: Auth
    ui: ReviewUI


def install(app: FastAPI, context: ReviewContext) -> None:
    """Make ``context`` the one the review routes of ``app`` receive (sets ``app.state``)."""
    app.state.review_context = context


def review_context(request: Request) -> ReviewContext:
    """The context :func:`install` gave the request's app."""
    context: ReviewContext = request.app.state.review_context
    return context


async def review_service(request: Request) -> SqlReviewService:
    """Dependency: the review service (permissions are checked there)."""
    return review_context(request).review


async def review_auth(request: Request) -> Auth:
    """Dependency: sessions, CSRF tokens, flash messages and bearer tokens."""
    return review_context(request).auth


async def review_ui(request: Request) -> ReviewUI:
    """Dependency: the page renderer (templates, redirects, error pages)."""
    return review_context(request).ui


def page_session(request: Request) -> WebSession:
    """Dependency of every page: the browser session (see :meth:`Auth.page_session`).

    :raises LoginRequired: no live session (the app redirects to the login form).
    """
    return review_context(request).auth.page_session(request)


async def form_post(request: Request) -> FormPost:
    """Dependency of every state-changing form: session and CSRF check (:meth:`Auth.form_post`).

    :raises LoginRequired: no live session.
    :raises CsrfRejected: the form's ``csrf_token`` is missing or not the session's.
    """
    return await review_context(request).auth.form_post(request)


if TYPE_CHECKING:
    Review = Annotated[SqlReviewService, Depends(review_service)]
else:  # FastAPI reads the alias at run time; bootstrap declares its alias for type checkers
    Review = Annotated[ReviewService, Depends(review_service)]
Sessions = Annotated[Auth, Depends(review_auth)]
Pages = Annotated[ReviewUI, Depends(review_ui)]
PageSession = Annotated[WebSession, Depends(page_session)]
Form = Annotated[FormPost, Depends(form_post)]
