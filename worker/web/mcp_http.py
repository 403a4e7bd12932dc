"""``/mcp``: the MCP server over streamable HTTP, behind the API's bearer tokens.

Every request needs ``Authorization: Bearer <token>``, an API token of a review user (as the
JSON API: the browser cookie does not count); without a valid one the answer is 401 with
``WWW-Authenticate: Bearer`` before the MCP server sees anything, and a ``lineage`` token
(OpenLineage events only) gets 403. The token's user reaches the tools the SDK's way (its
auth context, :func:`worker.mcp.access.http_caller`): any user may read; deciding review
items also needs ``mcp.allow_decisions`` and a ``write`` token of a steward or admin.

The transport is stateless and answers in JSON (no server-held sessions: any process behind
a load balancer can answer, and nothing outlives a request). The SDK's DNS-rebinding check
(allowed ``Host`` and ``Origin``) is off because a browser page that rebinds a name to this
server cannot send the bearer token, which every request needs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from fastapi.security import HTTPAuthorizationCredentials
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.authentication import AuthCredentials
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from worker.core.errors import NotAuthenticated
from worker.mcp.access import access_token
from worker.web.api_deps import LINEAGE_SCOPE

if TYPE_CHECKING:
    from fastapi import FastAPI
    from mcp.server.mcpserver import MCPServer

    from worker.web.auth import Auth

MCP_PATH = "/mcp"


async def _refuse(send: Send, status: int, error: str, message: str) -> None:
    body = json.dumps({"error": error, "message": message}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BearerGate:
    """ASGI: pass a request on only with a valid API token, its user in the auth context.

    :param app: the MCP transport.
    :param auth: checks tokens (:meth:`worker.web.auth.Auth.api_access`).
    """

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = AuthContextMiddleware(app)
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the bearer token; answer 401/403 or call the transport as the token's user."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = ""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                header = value.decode("latin-1")
        kind, _, token = header.partition(" ")
        credentials = (
            HTTPAuthorizationCredentials(scheme=kind, credentials=token.strip())
            if kind.lower() == "bearer" and token.strip()
            else None
        )
        try:
            # A database read (and a last-used write): off the event loop.
            access = await anyio.to_thread.run_sync(self.auth.api_access, credentials)
        except NotAuthenticated as exc:
            await _refuse(send, 401, exc.kind, exc.message)
            return
        if access.scope == LINEAGE_SCOPE:
            message = f"API token {access.token_id} is a lineage token: it may not use MCP"
            await _refuse(send, 403, "permission_denied", message)
            return
        client = scope.get("client")
        address = client[0] if client else "-"
        token_info = access_token(
            access.user, access.scope, access.token_id, access.expires_at, address
        )
        scope = dict(scope)
        scope["user"] = AuthenticatedUser(token_info)
        scope["auth"] = AuthCredentials(token_info.scopes)
        await self.app(scope, receive, send)


def mount(app: FastAPI, server: MCPServer, auth: Auth) -> None:
    """Serve ``server`` at ``/mcp`` on ``app``, behind :class:`BearerGate`.

    Side effects: adds the route, and runs the MCP session manager for the app's lifetime
    (wrapping the app's lifespan; the ASGI server must run lifespans, as uvicorn does).
    """
    server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    manager = server.session_manager
    gate = BearerGate(StreamableHTTPASGIApp(manager), auth)
    app.router.routes.insert(0, Route(MCP_PATH, endpoint=gate))
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with manager.run(), inner(running) as state:
            yield state

    app.router.lifespan_context = lifespan
