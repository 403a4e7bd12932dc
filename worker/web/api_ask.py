"""Ask the catalog over the API: ``GET /api/v1/ask?q=QUESTION``.

The same bearer-token access as the other read routes (any role, a ``read`` token will do)
and the same service as ``enricher ask`` (:func:`worker.bootstrap.build_ask` on the review's
catalog, its linked names kept a few seconds between questions). The answer is the JSON
contract of ``docs/ask.md``; a question that is not understood is still a 200, with
``understood: false``, the reason in ``interpretation`` and the closest readings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from models.review import User
from worker.services.ask.service import MAX_LIMIT, AskService
from worker.web.api_deps import no_nul_in_query, who
from worker.web.api_models import ERRORS

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService
    from worker.core.settings import Settings

router = APIRouter(
    prefix="/api/v1",
    tags=["ask"],
    responses=ERRORS,
    dependencies=[Depends(no_nul_in_query)],
)

#: Seconds the service keeps the names questions link to (the catalog changes by scans).
NAMES_TTL_S = 10.0
MAX_QUESTION = 500


def install(app: FastAPI, review: SqlReviewService, settings: Settings | None = None) -> None:
    """Give ``app`` an ask service on the review's catalog.

    Side effect: sets ``app.state.ask_service``.
    """
    from worker.bootstrap import build_ask
    from worker.core.settings import Settings

    served = settings if settings is not None else Settings()
    app.state.ask_service = build_ask(served, review.store.catalog, names_ttl_s=NAMES_TTL_S)


async def ask_service(request: Request) -> AskService:
    """Dependency: the app's ask service (see :func:`install`)."""
    service: AskService = request.app.state.ask_service
    return service


Ask = Annotated[AskService, Depends(ask_service)]


class AskItemOut(BaseModel):
    """One item of an answer."""

    kind: str = Field(description="dataset, table, column, dashboard, suggestion or alert")
    name: str
    uri: str = Field(description="as `enricher lineage impact` takes it (s3://, postgres:...)")
    why: str = Field(description="the lineage path or evidence that makes it qualify")
    link: str = Field(description="its page in the web UI")


class AskOut(BaseModel):
    """An answer: how the question was read, the items and why, or the closest readings."""

    question: str
    interpretation: str
    understood: bool
    items: list[AskItemOut]
    alternatives: list[str]
    family: str | None = Field(None, description="the question family")
    count: int | None = Field(None, description="items before the cut (a count's answer)")
    matched: list[dict[str, Any]] = Field(description="what each recognised phrase meant")


@router.get("/ask", response_model=AskOut)
async def ask(
    service: Ask,
    user: User = who,
    q: str = Query(..., min_length=1, max_length=MAX_QUESTION, description="the question"),
    limit: int | None = Query(
        None, ge=1, le=MAX_LIMIT, description="items to list at most (default 200)"
    ),
) -> AskOut:
    """Answer a question about the catalog in plain language (read-only)."""
    answer = await run_in_threadpool(service.ask, q, limit)
    return AskOut.model_validate(answer.to_dict())
