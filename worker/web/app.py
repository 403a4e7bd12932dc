"""FastAPI application: the S3 event webhook, ``/healthz``, the review UI and its JSON API.

MinIO and Ceph send S3-format notifications to a webhook, ``POST /events/s3``
(:mod:`worker.web.webhook`): signed with a timestamp (or, when allowed, a static Bearer
secret), capped in size and records, refused when stale or replayed. The events are parsed
with the same code as the SQS consumer and enqueued: created objects are enriched, removed
ones archived.

Given a :class:`~worker.services.review.service.ReviewService`, :func:`create_app` also mounts the
steward review UI (:mod:`worker.web.ui` and its ``ui_*`` page modules) and its JSON API
(:mod:`worker.web.api` and its ``api_*`` modules); the OpenAPI
schema (``/openapi.json``) is then served to logged-in users and API tokens only, and the
Swagger UI / ReDoc pages (``/docs``, ``/redoc``, JavaScript from a CDN) only with
``web.api_docs``. Every response carries the security headers of :data:`SECURITY_HEADERS` and
the CSP. ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are applied (client address, scheme)
only when the peer is one of ``web.trusted_proxies``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.web.webhook import (
    Enqueue,
    MemoryReplayGuard,
    ReplayGuard,
    SqlReplayGuard,
    WebhookPolicy,
    handle,
)

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from worker.bootstrap import SqlReviewService
    from worker.core.settings import ReviewSettings, Settings, WebSettings
    from worker.services.alerts.service import AlertService
    from worker.web.auth import Auth

__all__ = ["CSP", "SECURITY_HEADERS", "Enqueue", "SecurityHeaders", "create_app"]

CSP = (
    "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
#: FastAPI's own API docs load Swagger UI / ReDoc from a CDN: no CSP on those two pages (they
#: exist only with ``web.api_docs``).
NO_CSP = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

DESCRIPTION = """\
S3 event webhook and steward review API of s3-enricher.

**Review API** (`/api/v1`): authenticate every request with `Authorization: Bearer <token>`,
an API token of a review user (`enricher users token`, or the UI's account page). Browser
session cookies do not authenticate the API. Tokens expire (90 days by default) and can be
revoked; a `read` token may only GET. Viewers may read; stewards and admins may approve and
reject and read the audit log. Errors are `{"error": kind, "message": ...}`: 400 invalid
request, 401 no, wrong, revoked or expired token (with `WWW-Authenticate: Bearer`), 403 role
or token scope not allowed, 404 unknown, 409 not pending any more or the queue changed under a
bulk decision, 429 throttled.

**Webhook** (`POST /events/s3`): `X-S3E-Timestamp: <unix seconds>` and
`X-S3E-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; requests older
than 5 minutes and replays are refused. `Authorization: Bearer <secret>` alone (MinIO's
`auth_token`) only when `web.webhook_allow_bearer` is on. Bodies up to 1 MiB and 1,000
records.
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


def create_app(
    secret: str | None,
    enqueue: Enqueue,
    review: SqlReviewService | None = None,
    review_settings: ReviewSettings | None = None,
    web_settings: WebSettings | None = None,
    replay_guard: ReplayGuard | None = None,
    alerts: AlertService | None = None,
    health: APIRouter | None = None,
    contracts_dir: Path | None = None,
    served: Settings | None = None,
    mcp: MCPServer | None = None,
) -> FastAPI:
    """The ASGI app.

    :param secret: the webhook's shared secret (``None``: the webhook is disabled).
    :param enqueue: called with the collapsed events of each accepted request.
    :param review: the review service; when given, the review UI and ``/api/v1`` are mounted.
    :param review_settings: sessions, logins, tokens, cookies (default: the defaults).
    :param web_settings: trusted proxies, API docs, webhook limits (default: the defaults).
    :param replay_guard: where accepted webhook signatures are remembered (default: the
        review service's database, else memory).
    :param alerts: the alert service of the Alerts page and ``/api/v1/alerts`` (default: one
        on the review service's catalog, without delivery channels).
    :param health: ``/readyz`` and ``/metrics`` (:func:`worker.web.health.build_health`).
    :param contracts_dir: the data contracts the compliance page and API report on
        (``contracts.dir``; ``None``: their section says none is set).
    :param served: the settings being served, for the OpenLineage intake's lineage rules
        (auto-apply threshold, Atlan names; default: the defaults and the environment).
    :param mcp: the MCP server to serve at ``/mcp`` behind API tokens
        (:mod:`worker.web.mcp_http`); only with ``review``, whose users the tokens belong to.
    """
    from worker.core.settings import WebSettings

    web = web_settings if web_settings is not None else WebSettings()
    app = FastAPI(
        title="s3-enricher",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders)
    app.state.lineage_max_body_bytes = web.lineage_max_body_bytes  # POST /api/v1/lineage
    if web.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        # The same rule as uvicorn's --forwarded-allow-ips, whatever server runs the app.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(web.trusted_proxies))
    auth = (
        _mount_review(app, review, review_settings, alerts, contracts_dir, served)
        if review is not None
        else None
    )
    _mount_docs(app, auth, web.api_docs)
    if mcp is not None and auth is not None:
        from worker.web.mcp_http import mount

        mount(app, mcp, auth)

    if replay_guard is None:
        replay_guard = (
            SqlReplayGuard(review.store.catalog) if review is not None else MemoryReplayGuard()
        )
    policy = WebhookPolicy(
        allow_bearer=web.webhook_allow_bearer,
        max_body_bytes=web.webhook_max_body_bytes,
        max_records=web.webhook_max_records,
        max_age_s=web.webhook_max_age_s,
        clock_skew_s=web.webhook_clock_skew_s,
    )
    guard = replay_guard

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    if health is not None:
        app.include_router(health)

    @app.post(
        "/events/s3",
        status_code=202,
        responses={
            400: {"description": "malformed JSON or events"},
            401: {"description": "unsigned, wrongly signed, stale or unauthenticated"},
            409: {"description": "a replay of an accepted signature"},
            413: {"description": "body over 1 MiB or too many records"},
            503: {"description": "no webhook secret configured"},
        },
    )
    async def s3_events(request: Request) -> JSONResponse:
        """Accept one S3-format notification (one or more records)."""
        return await handle(request, secret, enqueue, policy, guard)

    return app


def _mount_docs(app: FastAPI, auth: Auth | None, api_docs: bool) -> None:
    """Serve ``/openapi.json``, and ``/docs`` and ``/redoc`` with ``web.api_docs``.

    With the review mounted, the schema needs a session cookie or an API token.
    """
    from fastapi.openapi.docs import (
        get_redoc_html,
        get_swagger_ui_html,
        get_swagger_ui_oauth2_redirect_html,
    )
    from fastapi.security import HTTPAuthorizationCredentials

    from worker.core.errors import NotAuthenticated

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> Response:
        if auth is not None and auth.current(request) is None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            credentials = (
                HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
                if scheme.lower() == "bearer" and token.strip()
                else None
            )
            try:
                auth.api_access(credentials)
            except NotAuthenticated as exc:
                return JSONResponse(
                    {"error": exc.kind, "message": "log in, or send an API token: " + exc.message},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        schema: dict[str, Any] = app.openapi()
        return JSONResponse(schema, headers={"Cache-Control": "no-store"})

    if not api_docs:
        return

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="s3-enricher - API docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> Response:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return get_redoc_html(openapi_url="/openapi.json", title="s3-enricher - API docs")


def _mount_review(
    app: FastAPI,
    review: SqlReviewService,
    settings: ReviewSettings | None,
    alerts: AlertService | None = None,
    contracts_dir: Path | None = None,
    served: Settings | None = None,
) -> Auth:
    """Mount the review UI, its static files and ``/api/v1``, with their error handlers."""
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    from worker.core.errors import ReviewError
    from worker.core.settings import ReviewSettings
    from worker.web import (
        api_alerts,
        api_ask,
        api_compliance,
        api_lineage,
        ui_account,
        ui_admin,
        ui_alerts,
        ui_ask,
        ui_audit,
        ui_compliance,
        ui_datasets,
        ui_login,
        ui_suggestions,
    )
    from worker.web.api import api_router
    from worker.web.api_deps import error_response
    from worker.web.auth import Auth, CsrfRejected, LoginRequired, login_url
    from worker.web.deps import ReviewContext, install
    from worker.web.ui import STATIC, ReviewUI

    auth = Auth(review, settings if settings is not None else ReviewSettings())
    ui = ReviewUI(review, auth)
    install(app, ReviewContext(review=review, auth=auth, ui=ui))
    api_alerts.install(app, alerts, review)
    ui_datasets.install(app, None, review)
    api_compliance.install(app, review, contracts_dir)
    api_lineage.install(app, review, served)
    api_ask.install(app, review, served)

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
    app.include_router(api_router())
    app.include_router(api_compliance.router)
    app.include_router(api_lineage.router)
    app.include_router(api_ask.router)
    # The pages, in the order their routes were always matched.
    for area in (ui_login, ui_suggestions, ui_audit, ui_account, ui_admin, ui_alerts, ui_datasets):
        app.include_router(area.router)
    app.include_router(ui_compliance.router)
    app.include_router(ui_ask.router)
    return auth
