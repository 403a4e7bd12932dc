"""The review JSON API's request and response models, query types and documented error answers.

Request bodies refuse unknown keys and NUL characters (PostgreSQL refuses them in text: a
422, not a 500); ids and offsets are bounded to what the database's integers hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.review import (
    MAX_REASON,
    AuditEntry,
    Role,
    SuggestionFilter,
    SuggestionState,
    SuggestionView,
)

StateParam = Literal["pending", "approved", "rejected", "applied", "superseded", "any"]
SortParam = Literal["-confidence", "confidence", "-last_seen", "last_seen", "object", "-first_seen"]
#: Ids and offsets fit the database's integers (larger ones are a 422, not a driver error).
MAX_ID = 2**31 - 1
MAX_OFFSET = 10**9


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


#: Text from a request body (PostgreSQL refuses NUL characters in text: a 422, not a 500).
Text = Annotated[str, AfterValidator(_no_nul)]


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


#: Answers every route of the API may give (documented in the schema).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no, unknown, revoked or expired bearer token"},
    403: {"model": ErrorOut, "description": "the user's role (or a read-only token) may not"},
}
#: Answers of the routes that decide.
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "invalid decision (e.g. no reason to reject)"},
    404: {"model": ErrorOut, "description": "no such suggestion"},
    409: {"model": ErrorOut, "description": "not pending any more, or the queue changed"},
}
