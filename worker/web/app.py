"""FastAPI application: the S3 event webhook, ``/healthz``, the review UI and its JSON API.

MinIO and Ceph send S3-format notifications to a webhook. The endpoint authenticates the
sender with a shared secret, either as ``Authorization: Bearer <secret>`` or as
``X-S3E-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (compared in constant time),
parses the events with the same code as the SQS consumer and enqueues them: created objects
are enriched, removed ones archived. Answers: 202 with the count, 401 for a missing or wrong
secret, 400 with the reason for malformed JSON or events, 503 when no secret is configured.

Given a :class:`~worker.review.service.ReviewService`, :func:`create_app` also mounts the
steward review UI (:mod:`worker.web.ui`) and its JSON API (:mod:`worker.web.api`). Every
response carries the security headers of :data:`SECURITY_HEADERS` and the CSP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.events.s3_events import InvalidEvent, ObjectEvent, collapse, parse_document

if TYPE_CHECKING:
    from worker.review.service import ReviewService
    from worker.settings import ReviewSettings

Enqueue = Callable[[list[ObjectEvent]], None]

CSP = (
    "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
#: FastAPI's own API docs load Swagger UI / ReDoc from a CDN: no CSP on those two pages.
NO_CSP = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

DESCRIPTION = """\
S3 event webhook and steward review API of s3-enricher.

**Review API** (`/api/v1`): authenticate every request with `Authorization: Bearer <token>`,
an API token of a review user. Browser session cookies do not authenticate the API. Viewers
may read; stewards and admins may approve and reject. Errors are
`{"error": kind, "message": ...}`: 400 invalid request, 401 no or wrong token (with
`WWW-Authenticate: Bearer`), 403 role not allowed, 404 unknown, 409 not pending any more or
the queue changed under a bulk decision, 429 throttled.

**Webhook** (`POST /events/s3`): `Authorization: Bearer <shared secret>` or
`X-S3E-Signature: sha256=<HMAC-SHA256 of the body>`.
"""


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` (and the CSP) to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = scope.get("path") not in NO_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = list(SECURITY_HEADERS)
                if csp:
                    extra.append((b"content-security-policy", CSP.encode("ascii")))
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _authorised(secret: str, request: Request, body: bytes) -> bool:
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].encode(), secret.encode()):
        return True
    signature = request.headers.get("x-s3e-signature", "")
    if signature.startswith("sha256="):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[7:].encode(), expected.encode())
    return False


def create_app(
    secret: str | None,
    enqueue: Enqueue,
    review: ReviewService | None = None,
    review_settings: ReviewSettings | None = None,
) -> FastAPI:
    """The ASGI app.

    :param secret: the webhook's shared secret (``None``: the webhook is disabled).
    :param enqueue: called with the collapsed events of each accepted request.
    :param review: the review service; when given, the review UI and ``/api/v1`` are mounted.
    :param review_settings: session length and cookie policy (default: the defaults).
    """
    app = FastAPI(title="s3-enricher", version="0.1.0", description=DESCRIPTION)
    app.add_middleware(SecurityHeaders)
    if review is not None:
        _mount_review(app, review, review_settings)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    @app.post("/events/s3", status_code=202)
    async def s3_events(request: Request) -> JSONResponse:
        """Accept one S3-format notification (one or more records)."""
        if secret is None:
            return JSONResponse(
                {"error": "the webhook is disabled: set web.webhook_secret"}, status_code=503
            )
        body = await request.body()
        if not _authorised(secret, request, body):
            return JSONResponse({"error": "missing or wrong shared secret"}, status_code=401)
        try:
            document = json.loads(body)
        except ValueError as exc:
            return JSONResponse(
                {"error": f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}
                if isinstance(exc, json.JSONDecodeError)
                else {"error": "malformed JSON"},
                status_code=400,
            )
        try:
            events = collapse(parse_document(document))
        except InvalidEvent as exc:
            return JSONResponse({"error": exc.message}, status_code=400)
        if events:
            enqueue(events)
        return JSONResponse({"accepted": len(events)}, status_code=202)

    return app


def _mount_review(app: FastAPI, review: ReviewService, settings: ReviewSettings | None) -> None:
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    from worker.errors import ReviewError
    from worker.settings import ReviewSettings
    from worker.web.api import api_router, error_response
    from worker.web.auth import Auth, CsrfRejected, LoginRequired, login_url
    from worker.web.ui import STATIC, ReviewUI

    auth = Auth(review, settings if settings is not None else ReviewSettings())
    ui = ReviewUI(review, auth)

    def on_review_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReviewError)
        if request.url.path.startswith("/api/"):
            return error_response(exc)
        return ui.review_error(request, exc)

    def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(login_url(exc.next_path), status_code=303)

    def on_csrf(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CsrfRejected)
        return ui.csrf_error(request, exc)

    app.add_exception_handler(ReviewError, on_review_error)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(CsrfRejected, on_csrf)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_router(review, auth))
    app.include_router(ui.router())
