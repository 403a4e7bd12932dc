"""Who is asking: browser sessions (cookie + CSRF token) for the UI, bearer tokens for the API.

The browser holds ``s3e_session``, a random token of which the database keeps only the hash
(:class:`~worker.adapters.catalog.users.SqlUserStore`). Every state-changing form carries the
session's CSRF token in ``csrf_token``, compared in constant time. The login form, which has no
session yet, carries a token bound to a pre-session cookie (``s3e_login``) instead, and a login
whose ``Origin`` (or ``Referer``) names another host is refused. The JSON API ignores the cookie: it
authenticates ``Authorization: Bearer <token>`` only, so a page on another site cannot make a
logged-in browser call it. Neither passwords nor tokens are ever logged.

The client address (audit log, login throttling) and the scheme (``Secure`` cookies) are the
connection's: ``X-Forwarded-For`` and ``X-Forwarded-Proto`` count only when the peer is one
of ``web.trusted_proxies`` (:func:`worker.web.app.create_app` applies them, as uvicorn does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from models.review import User
from worker.adapters.catalog.users import LoginBusy, TokenAccess
from worker.core.errors import (
    InvalidDecision,
    LoginThrottled,
    NotAuthenticated,
    PermissionDenied,
    ReviewError,
    SuggestionNotFound,
)
from worker.core.settings import ReviewSettings

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

SESSION_COOKIE = "s3e_session"
FLASH_COOKIE = "s3e_flash"
#: The pre-session cookie the login form's CSRF token is bound to.
LOGIN_COOKIE = "s3e_login"
LOGIN_COOKIE_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_MESSAGE = "CSRF token missing or wrong"
FLASH_SECONDS = 60

#: Documents the API's authentication in the OpenAPI schema; the check is
#: :func:`worker.web.api_deps.api_access` (through :meth:`Auth.api_access`).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token of a review user: `Authorization: Bearer s3e_...`.",
)


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live browser session: its user, its CSRF token and its cookie token."""

    user: User
    csrf: str
    token: str


@dataclass(frozen=True, slots=True)
class FormPost:
    """A state-changing form POST that passed the CSRF check: its session and text fields."""

    session: WebSession
    fields: dict[str, str]


class LoginRequired(Exception):
    """No live browser session: the page redirects to the login form (then back to ``next``)."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


class CsrfRejected(Exception):
    """A form POST without the session's CSRF token (403)."""

    def __init__(self) -> None:
        super().__init__(CSRF_MESSAGE)
        self.message = CSRF_MESSAGE


class DecisionConflict(InvalidDecision):
    """A decision refused because of the state it met (not pending, the queue changed): 409."""


def status_for(exc: ReviewError) -> int:
    """The HTTP status of a review error."""
    if isinstance(exc, SuggestionNotFound):
        return 404
    if isinstance(exc, DecisionConflict):
        return 409
    if isinstance(exc, NotAuthenticated):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, LoginThrottled):
        return 429
    if isinstance(exc, LoginBusy):
        return 503
    return 400


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy forwarded (see the module)."""
    return request.client.host if request.client else "-"


def is_https(request: Request) -> bool:
    """Whether the browser talks HTTPS to us: directly, or to a trusted TLS-terminating proxy.

    ``X-Forwarded-Proto`` from anyone else is ignored (it is applied to the scheme only when
    the peer is one of ``web.trusted_proxies``).
    """
    return request.url.scheme == "https"


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another host (``Origin``/``Referer``).

    Without either header (non-browser clients) the answer is True; the CSRF token decides.
    """
    host = request.headers.get("host", "").strip().lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.strip().lower() != "null" and urlsplit(origin.strip()).netloc.lower() == host
    referer = request.headers.get("referer")
    if referer:
        return urlsplit(referer.strip()).netloc.lower() == host
    return True


def here(request: Request) -> str:
    """The request's local path and query, to come back to after a form POST or a login."""
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def safe_local(value: str | None, default: str = "/queue") -> str:
    """``value`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


async def read_form(request: Request) -> dict[str, str]:
    """The text fields of a url-encoded or multipart form (files are ignored)."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def login_url(next_path: str) -> str:
    """The login form, returning to ``next_path`` afterwards."""
    if next_path in ("", "/", "/queue"):
        return "/login"
    return "/login?" + urlencode({"next": next_path})


class Auth:
    """Session cookies, CSRF checks, flash messages and bearer tokens over the user store.

    :param review: the review service (its user store checks passwords, sessions, tokens).
    :param settings: the ``review`` settings (session length, ``secure_cookies``).
    """

    def __init__(self, review: SqlReviewService, settings: ReviewSettings) -> None:
        self.review = review
        self.settings = settings
        # Signs flash cookies; per process, so a flash does not survive a restart (harmless).
        self._flash_key = secrets.token_bytes(32)
        # Binds login forms to their pre-session cookie; per process too (a login form from
        # before a restart is refused once and shown again with a fresh token).
        self._login_key = secrets.token_bytes(32)

    # -- cookies ------------------------------------------------------------------------------

    def cookie_secure(self, request: Request) -> bool:
        """Whether cookies get the Secure flag (``review.secure_cookies``)."""
        mode = self.settings.secure_cookies
        if mode == "always":
            return True
        if mode == "never":
            return False
        return is_https(request)

    def set_session_cookie(self, response: Response, request: Request, token: str) -> None:
        """Give the browser its session token (HttpOnly, SameSite=Lax, Path=/)."""
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(self.settings.session_hours * 3600),
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.cookie_secure(request),
        )

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        """Make the browser forget its session token."""
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.cookie_secure(request),
        )

    # -- the login form's CSRF token ----------------------------------------------------------

    def login_csrf(self, request: Request) -> tuple[str, str | None]:
        """The login form's token, and a new pre-session cookie value when one must be set."""
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        fresh = None
        if not (16 <= len(nonce) <= 64 and nonce.isascii()):
            nonce = fresh = secrets.token_urlsafe(24)
        return self._login_token(nonce), fresh

    def _login_token(self, nonce: str) -> str:
        return hmac.new(self._login_key, nonce.encode("ascii"), hashlib.sha256).hexdigest()

    def set_login_cookie(self, response: Response, request: Request, nonce: str) -> None:
        """Give the browser its pre-session cookie (HttpOnly, SameSite=Lax, for /login only)."""
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=LOGIN_COOKIE_SECONDS,
            path="/login",
            httponly=True,
            samesite="lax",
            secure=self.cookie_secure(request),
        )

    def login_csrf_ok(self, request: Request, sent: str) -> bool:
        """Whether a login form's ``csrf_token`` matches the browser's pre-session cookie."""
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not sent or not (16 <= len(nonce) <= 64 and nonce.isascii()):
            return False
        expected = self._login_token(nonce).encode("ascii")
        return hmac.compare_digest(sent.encode("utf-8"), expected)

    # -- browser sessions ---------------------------------------------------------------------

    def current(self, request: Request) -> WebSession | None:
        """The request's live session, or ``None``."""
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            return None
        found = self.review.users.session_user(token)
        if found is None:
            return None
        return WebSession(user=found[0], csrf=found[1], token=token)

    def page_session(self, request: Request) -> WebSession:
        """Dependency of every page: the session, else a redirect to the login form.

        :raises LoginRequired: no live session.
        """
        session = self.current(request)
        if session is None:
            raise LoginRequired(here(request) if request.method == "GET" else "/queue")
        return session

    async def form_post(self, request: Request) -> FormPost:
        """Dependency of every state-changing form POST: the session and a matching CSRF token.

        :raises LoginRequired: no live session.
        :raises CsrfRejected: the form's ``csrf_token`` is missing or not the session's.
        """
        session = self.page_session(request)
        fields = await read_form(request)
        sent = fields.get(CSRF_FIELD, "")
        if not sent or not hmac.compare_digest(sent.encode("utf-8"), session.csrf.encode("utf-8")):
            raise CsrfRejected()
        return FormPost(session=session, fields=fields)

    # -- flash messages -----------------------------------------------------------------------

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._flash_key, payload, hashlib.sha256).hexdigest()[:32]

    def flash(self, response: Response, request: Request, text: str, ok: bool = True) -> None:
        """Show ``text`` on the next page this browser renders (a signed, short-lived cookie)."""
        data = json.dumps({"ok": ok, "text": text[:500]}).encode("utf-8")
        payload = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
        response.set_cookie(
            FLASH_COOKIE,
            f"{payload}.{self._sign(payload.encode('ascii'))}",
            max_age=FLASH_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.cookie_secure(request),
        )

    def read_flash(self, request: Request) -> dict[str, Any] | None:
        """The pending flash message (``{"ok": bool, "text": str}``), or ``None``."""
        raw = request.cookies.get(FLASH_COOKIE, "")
        payload, _, signature = raw.partition(".")
        expected = self._sign(payload.encode("utf-8")).encode("ascii")
        if not payload or not hmac.compare_digest(signature.encode("utf-8"), expected):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return None
        return {"ok": bool(data.get("ok")), "text": data["text"]}

    def clear_flash(self, response: Response, request: Request) -> None:
        """Forget the flash message once shown."""
        response.delete_cookie(
            FLASH_COOKIE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.cookie_secure(request),
        )

    # -- the API ------------------------------------------------------------------------------

    def api_access(self, credentials: HTTPAuthorizationCredentials | None) -> TokenAccess:
        """The user and scope of an ``Authorization: Bearer`` token (the cookie does not count).

        :raises NotAuthenticated: no, unknown, revoked or expired token, or a disabled user.
        """
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise NotAuthenticated("an API token is needed: Authorization: Bearer <token>")
        return self.review.users.token_access(credentials.credentials)

    def api_user(self, credentials: HTTPAuthorizationCredentials | None) -> User:
        """The user of an ``Authorization: Bearer`` token (see :meth:`api_access`)."""
        return self.api_access(credentials).user
