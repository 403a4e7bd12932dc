"""The review JSON API's dependencies: bearer-token access, the query check, errors as JSON.

Every request needs ``Authorization: Bearer <token>`` (an API token of a review user); the
browser session cookie does not count, so the API needs no CSRF protection. A ``read`` token
may only GET; a ``write`` token may do what its user's role may; a ``lineage`` token may only
post OpenLineage events (``POST /api/v1/lineage``).
"""

from __future__ import annotations

from fastapi import Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from models.review import User
from worker.adapters.catalog.users import TokenAccess
from worker.core.errors import InvalidDecision, NotAuthenticated, PermissionDenied, ReviewError
from worker.web.auth import bearer_scheme, status_for
from worker.web.deps import review_context

#: What a ``read`` token may send.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A ``lineage`` token may only send OpenLineage events, here.
LINEAGE_SCOPE = "lineage"
LINEAGE_PATH = "/api/v1/lineage"


def no_nul_in_query(request: Request) -> None:
    """Refuse query values with NUL characters (400) before they reach the database."""
    if any("\x00" in value for _, value in request.query_params.multi_items()):
        raise InvalidDecision("NUL characters are not allowed in query parameters")


def api_access(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
) -> TokenAccess:
    """Dependency: the bearer token's user and scope.

    :raises NotAuthenticated: no, unknown, revoked or expired token, or a disabled user.
    :raises PermissionDenied: a read-only token on a method that is not a read; a lineage
        token anywhere but ``POST /api/v1/lineage``.
    """
    access = review_context(request).auth.api_access(credentials)
    route = getattr(request.scope.get("route"), "path", None)  # the matched route, no prefix
    if access.scope == LINEAGE_SCOPE and route != LINEAGE_PATH:
        raise PermissionDenied(
            f"API token {access.token_id} is a lineage token: it may only POST {LINEAGE_PATH}"
        )
    if access.read_only and request.method not in READ_METHODS:
        raise PermissionDenied(f"API token {access.token_id} is read-only: it may read, not decide")
    return access


def api_user(access: TokenAccess = Security(api_access)) -> User:  # noqa: B008
    """Dependency: the bearer token's user (see :func:`api_access`)."""
    return access.user


#: The parameter default of every route that acts as the token's user.
who = Security(api_user)


def error_response(exc: ReviewError) -> JSONResponse:
    """A review error as the API's JSON error."""
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    retry = getattr(exc, "retry_after_s", None)
    if isinstance(retry, int):
        headers["Retry-After"] = str(retry)
    return JSONResponse(
        {"error": exc.kind, "message": exc.message}, status_code=status, headers=headers
    )
