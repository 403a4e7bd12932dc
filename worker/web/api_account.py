"""The review API's ``/me``: whose token this is, and what it allows."""

from __future__ import annotations

from fastapi import APIRouter, Security

from worker.adapters.catalog.users import TokenAccess
from worker.web.api_deps import api_access
from worker.web.api_models import MeOut

router = APIRouter()


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
