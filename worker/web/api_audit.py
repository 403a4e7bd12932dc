"""The review API's audit log (stewards and admins: it holds actors' names and addresses)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from models.review import Role, User
from worker.web.api_deps import who
from worker.web.api_models import MAX_OFFSET, AuditPage
from worker.web.deps import Review

router = APIRouter()


@router.get("/audit", response_model=AuditPage)
def audit(
    review: Review,
    user: User = who,
    actor: str | None = None,
    action: str | None = Query(None, description="action prefix, e.g. suggestion. or user."),
    since: datetime | None = None,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    limit: int = Query(100, ge=1, le=1000),
) -> AuditPage:
    """The audit log, newest first (stewards and admins: it holds addresses and names)."""
    review.require(user, Role.STEWARD)
    entries = review.store.audit_entries(
        actor=actor, action_prefix=action, since=since, limit=limit + 1, offset=offset
    )
    return AuditPage(
        items=entries[:limit],
        offset=offset,
        limit=limit,
        has_more=len(entries) > limit,
    )
