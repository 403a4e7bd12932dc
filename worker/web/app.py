"""FastAPI application: ``POST /events/s3`` (S3-format event webhooks) and ``GET /healthz``.

MinIO and Ceph send S3-format notifications to a webhook. The endpoint authenticates the
sender with a shared secret, either as ``Authorization: Bearer <secret>`` or as
``X-S3E-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (compared in constant time),
parses the events with the same code as the SQS consumer and enqueues them: created objects
are enriched, removed ones archived. Answers: 202 with the count, 401 for a missing or wrong
secret, 400 with the reason for malformed JSON or events, 503 when no secret is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from worker.events.s3_events import InvalidEvent, ObjectEvent, collapse, parse_document

Enqueue = Callable[[list[ObjectEvent]], None]


def _authorised(secret: str, request: Request, body: bytes) -> bool:
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].encode(), secret.encode()):
        return True
    signature = request.headers.get("x-s3e-signature", "")
    if signature.startswith("sha256="):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[7:].encode(), expected.encode())
    return False


def create_app(secret: str | None, enqueue: Enqueue) -> FastAPI:
    """The ASGI app.

    :param secret: the webhook's shared secret (``None``: the webhook is disabled).
    :param enqueue: called with the collapsed events of each accepted request.
    """
    app = FastAPI(title="s3-enricher", version="0.1.0")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    @app.post("/events/s3", status_code=202)
    async def s3_events(request: Request) -> JSONResponse:
        """Accept one S3-format notification (one or more records)."""
        if secret is None:
            return JSONResponse(
                {"error": "the webhook is disabled: set web.webhook_secret"}, status_code=503
            )
        body = await request.body()
        if not _authorised(secret, request, body):
            return JSONResponse({"error": "missing or wrong shared secret"}, status_code=401)
        try:
            document = json.loads(body)
        except ValueError as exc:
            return JSONResponse(
                {"error": f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"}
                if isinstance(exc, json.JSONDecodeError)
                else {"error": "malformed JSON"},
                status_code=400,
            )
        try:
            events = collapse(parse_document(document))
        except InvalidEvent as exc:
            return JSONResponse({"error": exc.message}, status_code=400)
        if events:
            enqueue(events)
        return JSONResponse({"accepted": len(events)}, status_code=202)

    return app
