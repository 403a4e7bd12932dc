"""OpenLineage events over HTTP: ``POST /api/v1/lineage``, where the HTTP transport posts.

Airflow, Spark and dbt's OpenLineage HTTP transport (``openlineage-python``'s
``HttpTransport``: ``url`` + ``endpoint``, default ``api/v1/lineage``) posts one event per
request as JSON, optionally gzip-compressed (``Content-Encoding: gzip``), with
``Authorization: Bearer <api key>``. This takes that, or a JSON list of events.

Authentication: an API token of the review service of scope ``lineage`` (it may do nothing
else), or a ``write`` token of an admin. The body is capped at ``web.lineage_max_body_bytes``
(1 MiB) while it streams in and again once decompressed (413). Answers: 201 when an event was
new, 200 when every event was a duplicate (nothing changed), with the counts and the problems
(an unknown namespace names it); 400 not JSON, not an event, an event the OpenLineage models
refuse (nothing is stored then); 401 no or a bad token; 403 a token that may not post
lineage; 413 too large. See ``docs/openlineage.md``.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from worker.adapters.catalog.users import TokenAccess
from worker.core.errors import PermissionDenied
from worker.core.lineage.openlineage import InvalidEvent, parse_event
from worker.services.lineage.openlineage import OpenLineageIntake, read_events
from worker.web.api_deps import LINEAGE_PATH, LINEAGE_SCOPE, api_access
from worker.web.api_models import ERRORS, ErrorOut
from worker.web.webhook import read_capped

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService
    from worker.core.settings import Settings

router = APIRouter(tags=["lineage"], responses=ERRORS)

#: The body cap when the app was built without web settings (``web.lineage_max_body_bytes``).
DEFAULT_MAX_BODY = 1024 * 1024


def install(app: FastAPI, review: SqlReviewService, settings: Settings | None = None) -> None:
    """Give ``app`` an OpenLineage intake on the review's catalog.

    :param settings: the lineage settings of the hops (auto-apply threshold, Atlan names of
        lineage evidence); default: the defaults and the environment.
    Side effect: sets ``app.state.openlineage_intake``.
    """
    from worker.adapters.catalog.openlineage_events import SqlOpenLineageEvents
    from worker.bootstrap import build_lineage
    from worker.core.settings import Settings

    catalog = review.store.catalog
    lineage = build_lineage(settings if settings is not None else Settings(), catalog)
    app.state.openlineage_intake = OpenLineageIntake(lineage, SqlOpenLineageEvents(catalog))


def _error(status: int, kind: str, message: str) -> JSONResponse:
    headers = {"Connection": "close"} if status == 413 else {}
    return JSONResponse({"error": kind, "message": message}, status_code=status, headers=headers)


def _gunzip(body: bytes, limit: int) -> bytes | None:
    """``body`` decompressed, ``None`` past ``limit`` bytes (a decompression bomb stops there).

    :raises InvalidEvent: not gzip.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidEvent(f"the body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        return None
    return out


@router.post(
    LINEAGE_PATH,
    status_code=201,
    responses={
        200: {"description": "every event was a duplicate: nothing changed"},
        201: {"description": "the events were taken in: counts, hops, problems"},
        400: {"model": ErrorOut, "description": "not JSON, not an event, an invalid event"},
        413: {"model": ErrorOut, "description": "body over web.lineage_max_body_bytes"},
    },
)
async def post_lineage(
    request: Request,
    access: TokenAccess = Security(api_access),  # noqa: B008
) -> JSONResponse:
    """Take in an OpenLineage event (RunEvent, JobEvent, DatasetEvent) or a list of them."""
    if access.scope != LINEAGE_SCOPE and not (
        access.scope == "write" and access.user.role.can_admin
    ):
        raise PermissionDenied(
            f"API token {access.token_id} may not post lineage: use a token of scope "
            f"{LINEAGE_SCOPE} (or an admin's write token)"
        )
    limit = int(getattr(request.app.state, "lineage_max_body_bytes", DEFAULT_MAX_BODY))
    too_large = (
        f"body larger than {limit} bytes (web.lineage_max_body_bytes): "
        "send one event per request, as the OpenLineage HTTP transport does"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _error(413, "too_large", too_large)
    body = await read_capped(request, limit)
    if body is None:
        return _error(413, "too_large", too_large)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        return _error(400, "invalid_event", f"Content-Encoding {encoding!r}: send gzip or none")
    try:
        if encoding == "gzip":
            inflated = _gunzip(body, limit)
            if inflated is None:
                return _error(413, "too_large", too_large + " (once decompressed)")
            body = inflated
        items = read_events(body)
        for location, data in items:
            try:
                parse_event(data)
            except InvalidEvent as exc:
                raise InvalidEvent(f"{location}: {exc}") from None
    except InvalidEvent as exc:
        return _error(400, "invalid_event", f"not a valid OpenLineage event: {exc}")
    intake: OpenLineageIntake = request.app.state.openlineage_intake
    report = await run_in_threadpool(intake.ingest, items)
    return JSONResponse(report.to_dict(), status_code=201 if report.new else 200)
