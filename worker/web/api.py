"""The review JSON API under ``/api/v1`` (bearer tokens only; documented at ``/openapi.json``).

Every request needs ``Authorization: Bearer <token>`` (an API token of a review user); the
browser session cookie does not authenticate it, so it needs no CSRF protection. A ``read``
token may only GET; a ``write`` token may do what its user's role may. The audit log is for
stewards and admins. Errors are ``{"error": kind, "message": ...}`` with 400 (invalid
request), 401 (no, wrong, revoked or expired token, with ``WWW-Authenticate: Bearer``), 403
(the role or the token's scope may not), 404 (unknown id or object), 409 (not pending any
more, or the queue changed under a bulk decision) and 429.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.review import (
    AuditEntry,
    Role,
    SuggestionFilter,
    SuggestionState,
    SuggestionView,
    User,
)
from worker.adapters.catalog.review_store import MAX_REASON
from worker.adapters.catalog.users import TokenAccess
from worker.core.errors import (
    InvalidDecision,
    NotAuthenticated,
    PermissionDenied,
    ReviewError,
    SuggestionNotFound,
)
from worker.services.review.service import DecisionReport, ReviewService
from worker.web.auth import (
    Auth,
    DecisionConflict,
    bearer_scheme,
    client_address,
    status_for,
)

StateParam = Literal["pending", "approved", "rejected", "applied", "superseded", "any"]
SortParam = Literal["-confidence", "confidence", "-last_seen", "last_seen", "object", "-first_seen"]
#: Ids and offsets fit the database's integers (larger ones are a 422, not a driver error).
MAX_ID = 2**31 - 1
MAX_OFFSET = 10**9
#: What a ``read`` token may send.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


#: Text from a request body (PostgreSQL refuses NUL characters in text: a 422, not a 500).
Text = Annotated[str, AfterValidator(_no_nul)]


def no_nul_in_query(request: Request) -> None:
    """Refuse query values with NUL characters (400) before they reach the database."""
    if any("\x00" in value for _, value in request.query_params.multi_items()):
        raise InvalidDecision("NUL characters are not allowed in query parameters")


# -- models -----------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """A refused request."""

    error: str = Field(description="machine-readable kind, e.g. not_found, permission_denied")
    message: str


class SuggestionPage(BaseModel):
    """One page of suggestions."""

    items: list[SuggestionView]
    total: int
    offset: int
    limit: int


class FilterIn(BaseModel):
    """Which pending suggestions a bulk decision covers (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")

    kind: Text | None = None
    entity: Text | None = None
    tag: Text | None = Field(None, description="tag, term or category name")
    uri_pattern: Text | None = Field(
        None, description="glob on the object URI; without * or ? a prefix"
    )
    min_confidence: float | None = Field(None, ge=0, le=1)
    max_confidence: float | None = Field(None, ge=0, le=1)
    classifier_version: Text | None = None
    object_uri: Text | None = None
    column: Text | None = None

    def to_filter(self) -> SuggestionFilter:
        """The store's filter (pending suggestions only)."""
        return SuggestionFilter(state=SuggestionState.PENDING, **self.model_dump())


class ApproveIn(BaseModel):
    """An approval, optionally with a note for the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(None, max_length=MAX_REASON)


class RejectIn(BaseModel):
    """A rejection: the reason is required (the next steward and the audit log read it)."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=MAX_REASON)


class DecisionOut(BaseModel):
    """What a decision did."""

    suggestion: SuggestionView = Field(description="the suggestion as it is now")
    summary: str
    applied: int = Field(description="1 when Atlan (or a local object) took the approval")
    waiting: str | None = Field(None, description="why an approval is not applied yet")


class BulkIn(BaseModel):
    """A bulk decision over every pending suggestion ``filter`` selects."""

    model_config = ConfigDict(extra="forbid")

    filter: FilterIn = Field(default_factory=FilterIn)
    action: Literal["approve", "reject"]
    reason: Text | None = Field(None, max_length=MAX_REASON, description="required to reject")
    expected: int | None = Field(
        None, ge=0, description="the count you confirmed; refused (409) if it changed"
    )
    dry_run: bool = Field(False, description="only count what would be decided")


class BulkOut(BaseModel):
    """What a bulk decision did (or, with ``dry_run``, would do)."""

    matched: int
    decided: int
    applied: int
    waiting: int
    dry_run: bool
    description: str = Field(description="the filter, as the audit log records it")
    summary: str


class ColumnFindingOut(BaseModel):
    """One entity found in a column, with its masked evidence."""

    entity: str
    classifier: str
    confidence: float
    prevalence: float
    evidence: dict[str, Any]


class ColumnOut(BaseModel):
    """One column of an object."""

    name: str
    position: int
    data_type: str
    findings: list[ColumnFindingOut]


class ObjectOut(BaseModel):
    """An object: its catalog row, columns and findings, suggestions and history."""

    object: dict[str, Any]
    columns: list[ColumnOut]
    suggestions: list[SuggestionView]
    history: list[AuditEntry]


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    items: list[AuditEntry]
    offset: int
    limit: int
    has_more: bool


class MeOut(BaseModel):
    """The token's user, and what the token allows."""

    name: str
    role: Role
    can_decide: bool = Field(description="the role may decide and the token is not read-only")
    can_admin: bool
    scope: Literal["read", "write"] = Field(description="read: GET only")
    expires_at: datetime = Field(description="when the token stops working")


# -- errors -----------------------------------------------------------------------------------


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


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no, unknown, revoked or expired bearer token"},
    403: {"model": ErrorOut, "description": "the user's role (or a read-only token) may not"},
}
_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "invalid decision (e.g. no reason to reject)"},
    404: {"model": ErrorOut, "description": "no such suggestion"},
    409: {"model": ErrorOut, "description": "not pending any more, or the queue changed"},
}


# -- routes -----------------------------------------------------------------------------------


def api_router(review: ReviewService, auth: Auth) -> APIRouter:
    """The ``/api/v1`` routes over ``review``, authenticated by ``auth``'s bearer check."""
    router = APIRouter(
        prefix="/api/v1",
        tags=["review"],
        responses=_ERRORS,
        dependencies=[Depends(no_nul_in_query)],
    )
    store = review.store

    def api_access(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),  # noqa: B008
    ) -> TokenAccess:
        access = auth.api_access(credentials)
        if access.read_only and request.method not in READ_METHODS:
            raise PermissionDenied(
                f"API token {access.token_id} is read-only: it may read, not decide"
            )
        return access

    def api_user(access: TokenAccess = Security(api_access)) -> User:  # noqa: B008
        return access.user

    who = Security(api_user)
    suggestion_id_path = Path(ge=1, le=MAX_ID, description="the suggestion's id")

    def decision(report: DecisionReport, suggestion_id: int) -> DecisionOut:
        return DecisionOut(
            suggestion=store.get(suggestion_id),
            summary=report.summary(),
            applied=report.applied,
            waiting=report.waiting.get(suggestion_id),
        )

    def pending(suggestion_id: int) -> None:
        state = store.get(suggestion_id).state
        if state is not SuggestionState.PENDING:
            raise DecisionConflict(
                f"suggestion {suggestion_id} is {state.value}, not pending: a decision is final"
            )

    @router.get("/me", response_model=MeOut)
    def me(access: TokenAccess = Security(api_access)) -> MeOut:  # noqa: B008
        """The user the token belongs to, and what the token allows."""
        user = access.user
        return MeOut(
            name=user.name,
            role=user.role,
            can_decide=user.role.can_decide and not access.read_only,
            can_admin=user.role.can_admin,
            scope="read" if access.read_only else "write",
            expires_at=access.expires_at,
        )

    @router.get("/suggestions", response_model=SuggestionPage, responses={400: {"model": ErrorOut}})
    def list_suggestions(
        user: User = who,
        state: StateParam = "pending",
        kind: str | None = None,
        entity: str | None = None,
        tag: str | None = None,
        uri_pattern: str | None = Query(None, description="glob on the URI; else a prefix"),
        min_confidence: float | None = Query(None, ge=0, le=1),
        max_confidence: float | None = Query(None, ge=0, le=1),
        classifier_version: str | None = None,
        object_uri: str | None = None,
        column: str | None = None,
        sort: SortParam = "-confidence",
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(50, ge=1, le=500),
    ) -> SuggestionPage:
        """The review queue: suggestions matching the filters (pending by default)."""
        f = SuggestionFilter(
            state=None if state == "any" else SuggestionState(state),
            kind=kind,
            entity=entity,
            tag=tag,
            uri_pattern=uri_pattern,
            min_confidence=min_confidence,
            max_confidence=max_confidence,
            classifier_version=classifier_version,
            object_uri=object_uri,
            column=column,
        )
        page = review.queue(user, f, sort, offset, limit)
        return SuggestionPage(
            items=list(page.items),
            total=page.total,
            offset=page.offset,
            limit=page.limit,
        )

    @router.get(
        "/suggestions/{suggestion_id}",
        response_model=SuggestionView,
        responses={404: {"model": ErrorOut}},
    )
    def get_suggestion(suggestion_id: int = suggestion_id_path, user: User = who) -> SuggestionView:
        """One suggestion, with its decision if any."""
        return store.get(suggestion_id)

    @router.post(
        "/suggestions/{suggestion_id}/approve",
        response_model=DecisionOut,
        responses=_DECISION_ERRORS,
    )
    def approve(
        request: Request,
        suggestion_id: int = suggestion_id_path,
        body: ApproveIn | None = None,
        user: User = who,
    ) -> DecisionOut:
        """Approve a pending suggestion (stewards and admins); Atlan gets it right away."""
        review.require(user, Role.STEWARD)
        pending(suggestion_id)
        report = review.approve(
            user, [suggestion_id], body.reason if body else None, client_address(request)
        )
        return decision(report, suggestion_id)

    @router.post(
        "/suggestions/{suggestion_id}/reject",
        response_model=DecisionOut,
        responses=_DECISION_ERRORS,
    )
    def reject(
        request: Request, body: RejectIn, suggestion_id: int = suggestion_id_path, user: User = who
    ) -> DecisionOut:
        """Reject a pending suggestion with a reason (stewards and admins)."""
        review.require(user, Role.STEWARD)
        pending(suggestion_id)
        report = review.reject(user, [suggestion_id], body.reason, client_address(request))
        return decision(report, suggestion_id)

    @router.post("/suggestions/bulk", response_model=BulkOut, responses=_DECISION_ERRORS)
    def bulk(request: Request, body: BulkIn, user: User = who) -> BulkOut:
        """Approve or reject every pending suggestion the filter selects (one audit entry).

        Send ``dry_run`` first to learn the count, then the decision with ``expected`` set to
        it: if the queue changed meanwhile the decision is refused with 409.
        """
        review.require(user, Role.STEWARD)
        f = body.filter.to_filter()
        approve = body.action == "approve"
        reason = (body.reason or "").strip() or None
        if not approve and reason is None:
            raise InvalidDecision("a rejection needs a reason")
        matched = store.count(f)
        if body.dry_run:
            return BulkOut(
                matched=matched,
                decided=0,
                applied=0,
                waiting=0,
                dry_run=True,
                description=f.describe(),
                summary=f"{matched} pending suggestions would be {body.action}d",
            )
        if matched == 0:
            raise DecisionConflict("no pending suggestion matches the filter")
        if body.expected is not None and body.expected != matched:
            raise DecisionConflict(
                f"the queue changed: {matched} suggestions match now, {body.expected} were "
                "confirmed"
            )
        try:
            report = review.bulk(user, f, approve, reason, body.expected, client_address(request))
        except InvalidDecision as exc:
            if isinstance(exc, DecisionConflict):
                raise
            raise DecisionConflict(exc.message) from exc
        return BulkOut(
            matched=matched,
            decided=len(report.decided),
            applied=report.applied,
            waiting=len(report.waiting),
            dry_run=False,
            description=f.describe(),
            summary=report.summary(),
        )

    @router.get("/objects", response_model=ObjectOut, responses={404: {"model": ErrorOut}})
    def get_object(
        uri: str = Query(description="the object's URI (s3://bucket/key or file:///...)"),
        user: User = who,
    ) -> ObjectOut:
        """An object: its catalog row, columns with findings, suggestions and history."""
        detail = store.object_detail(uri)
        if detail is None:
            raise SuggestionNotFound("no object with that URI is known")
        history = list(detail["history"])
        if not user.role.can_decide:
            # Viewers see who decided and when, not from which address (the audit log's).
            history = [replace(e, address=None) for e in history]
        return ObjectOut(
            object=detail["object"],
            columns=[
                ColumnOut(
                    name=c["name"],
                    position=c["position"],
                    data_type=c["data_type"],
                    findings=[
                        ColumnFindingOut(
                            entity=fd["entity"],
                            classifier=fd["classifier"],
                            confidence=fd["confidence"],
                            prevalence=fd["prevalence"],
                            evidence=dict(fd["evidence"] or {}),
                        )
                        for fd in c["findings"]
                    ],
                )
                for c in detail["columns"]
            ],
            suggestions=list(detail["suggestions"]),
            history=history,
        )

    @router.get("/audit", response_model=AuditPage)
    def audit(
        user: User = who,
        actor: str | None = None,
        action: str | None = Query(None, description="action prefix, e.g. suggestion. or user."),
        since: datetime | None = None,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(100, ge=1, le=1000),
    ) -> AuditPage:
        """The audit log, newest first (stewards and admins: it holds addresses and names)."""
        review.require(user, Role.STEWARD)
        entries = store.audit_entries(
            actor=actor, action_prefix=action, since=since, limit=limit + 1, offset=offset
        )
        return AuditPage(
            items=entries[:limit],
            offset=offset,
            limit=limit,
            has_more=len(entries) > limit,
        )

    return router
