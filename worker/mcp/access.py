"""Who calls an MCP tool, and whether they may decide review items.

Over HTTP the caller is the API token's user: :mod:`worker.web.mcp_http` checks the token
and hands it on the SDK's way (an :class:`~mcp.server.auth.provider.AccessToken` made by
:func:`access_token`, in the request's auth context), and :func:`http_caller` reads it back in
the tool. Over stdio there is no token: the process runs as whoever started it, read-only,
unless ``enricher mcp --steward USER`` names the steward that decisions are recorded as
(:func:`stdio_caller`).

Decisions need ``mcp.allow_decisions`` as well (the server does not offer the tool without
it); here a caller only *may* decide when its token is a ``write`` token of a steward or admin,
or it is the stdio steward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from models.review import Role, User
from worker.core.errors import NotAuthenticated

#: The scope of an API token that may do what its user's role may (``read`` tokens only read).
WRITE_SCOPE = "write"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls a tool.

    :param user: the user decisions are recorded as (``None``: nobody; reads only).
    :param may_decide: a steward or admin with a write token, or the stdio ``--steward``.
    :param address: what the audit log records as the decision's address.
    """

    user: User | None
    may_decide: bool
    address: str


#: Called inside each tool call: who is calling (:func:`http_caller`, :func:`stdio_caller`).
CallerSource = Callable[[], Caller]


def access_token(
    user: User, scope: str, token_id: str, expires_at: datetime, address: str
) -> AccessToken:
    """The SDK's access token for an API token already checked (never the token itself).

    ``client_id`` is the token's id, so an MCP session stays with the token that opened it.
    """
    return AccessToken(
        token=token_id,
        client_id=token_id,
        scopes=[scope],
        expires_at=int(expires_at.timestamp()),
        subject=user.name,
        claims={"role": user.role.value, "address": address, "source": user.source},
    )


def http_caller() -> Caller:
    """The caller of the HTTP request being served, from its access token.

    :raises NotAuthenticated: no access token in the context (not behind the token check).
    """
    token = get_access_token()
    if token is None or token.subject is None or token.claims is None:
        raise NotAuthenticated("an API token is needed: Authorization: Bearer <token>")
    role = Role(str(token.claims["role"]))
    user = User(token.subject, role, source=str(token.claims.get("source", "database")))
    return Caller(
        user=user,
        may_decide=WRITE_SCOPE in token.scopes and role.can_decide,
        address=str(token.claims.get("address", "-")),
    )


def stdio_caller(steward: User | None) -> CallerSource:
    """The caller of a stdio server: ``steward`` (``--steward``), else nobody (read-only)."""
    caller = Caller(
        user=steward,
        may_decide=steward is not None and steward.role.can_decide and steward.active,
        address="mcp-stdio",
    )
    return lambda: caller
