"""The review API's object view: an object's catalog row, columns with findings, and history.

Findings carry masked evidence only. Viewers see who decided and when, not from which
address (that is the audit log's, for stewards and admins).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Query

from models.review import User
from worker.core.errors import SuggestionNotFound
from worker.web.api_deps import who
from worker.web.api_models import ColumnFindingOut, ColumnOut, ErrorOut, ObjectOut
from worker.web.deps import Review

router = APIRouter()


@router.get("/objects", response_model=ObjectOut, responses={404: {"model": ErrorOut}})
def get_object(
    review: Review,
    uri: str = Query(description="the object's URI (s3://bucket/key or file:///...)"),
    user: User = who,
) -> ObjectOut:
    """An object: its catalog row, columns with findings, suggestions and history."""
    detail = review.store.object_detail(uri)
    if detail is None:
        raise SuggestionNotFound("no object with that URI is known")
    history = list(detail["history"])
    if not user.role.can_decide:
        # Viewers see who decided and when, not from which address (the audit log's).
        history = [replace(e, address=None) for e in history]
    return ObjectOut(
        object=detail["object"],
        columns=[_column(c) for c in detail["columns"]],
        suggestions=list(detail["suggestions"]),
        history=history,
    )


def _column(column: dict[str, Any]) -> ColumnOut:
    """One column of the store's object detail, with its findings."""
    return ColumnOut(
        name=column["name"],
        position=column["position"],
        data_type=column["data_type"],
        findings=[
            ColumnFindingOut(
                entity=fd["entity"],
                classifier=fd["classifier"],
                confidence=fd["confidence"],
                prevalence=fd["prevalence"],
                evidence=dict(fd["evidence"] or {}),
            )
            for fd in column["findings"]
        ],
    )
