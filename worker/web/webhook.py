"""``POST /events/s3``: S3 event notifications from MinIO, Ceph or any signing sender.

Authentication, checked on the headers before a byte of the body is read:

* **signed** (the default scheme)::

      X-S3E-Timestamp: <Unix time in seconds>
      X-S3E-Signature: sha256=<hex HMAC-SHA256(web.webhook_secret, timestamp + "." + body)>

  A timestamp older than ``web.webhook_max_age_s`` (300 s) or more than
  ``web.webhook_clock_skew_s`` (30 s) in the future is refused (401) without reading the
  body. The signature is then checked on the body (constant-time), and a signature accepted
  once is refused (409) for as long as its timestamp is fresh: the seen signatures are kept
  in the catalog database (table ``webhook_signatures``, so replays are caught across
  restarts and across several ``enricher serve`` processes on one database), or in memory
  when the app has no database.
* **Bearer** ``Authorization: Bearer <web.webhook_secret>``: only with
  ``web.webhook_allow_bearer: true``. This is what MinIO can send (its webhook target has a
  static ``auth_token`` only and cannot sign). It has no timestamp, so no replay protection:
  keep such a webhook on a private network or behind TLS. A replayed event only re-checks an
  object (the worker compares ETags and confirms removals with a HEAD), it cannot change
  what the catalog says.

The body is capped at ``web.webhook_max_body_bytes`` (1 MiB) while it streams in, whatever
``Content-Length`` says or when there is none (chunked): 413. A document with more than
``web.webhook_max_records`` records is refused whole (413). Answers: 202 with the count of
events enqueued, 400 malformed JSON or events, 401 unauthenticated, 409 replay, 413 too large,
503 no secret configured. Refusals sent before the body was read close the connection.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.schema import WebhookSignatureRow
from worker.core.s3_events import (
    InvalidEvent,
    ObjectEvent,
    TooManyRecords,
    collapse,
    parse_document,
)

Enqueue = Callable[[list[ObjectEvent]], None]
SIGNATURE_HEADER = "x-s3e-signature"
TIMESTAMP_HEADER = "x-s3e-timestamp"
SCHEME = (
    "X-S3E-Timestamp: <unix seconds>, "
    'X-S3E-Signature: sha256=hex(HMAC(secret, timestamp + "." + body))'
)


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """What the webhook accepts (the ``web.webhook_*`` settings)."""

    allow_bearer: bool = False
    max_body_bytes: int = 1024 * 1024
    max_records: int = 1000
    max_age_s: int = 300
    clock_skew_s: int = 30

    @property
    def remember(self) -> timedelta:
        """How long an accepted signature is remembered: as long as its timestamp is fresh."""
        return timedelta(seconds=self.max_age_s + self.clock_skew_s + 1)


class ReplayGuard(Protocol):
    """Remembers accepted signatures while their timestamps are fresh."""

    def first_use(self, signature: str, now: datetime, remember: timedelta) -> bool:
        """Record ``signature``; False when it was already recorded (a replay)."""
        ...


class MemoryReplayGuard:
    """Seen signatures in this process's memory (an app without a database; tests)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_use(self, signature: str, now: datetime, remember: timedelta) -> bool:
        """Record ``signature``; False when it was already recorded and not yet forgotten."""
        with self._lock:
            for old in [s for s, until in self._seen.items() if until <= now]:
                del self._seen[old]
            if signature in self._seen:
                return False
            self._seen[signature] = now + remember
            return True


class SqlReplayGuard:
    """Seen signatures in the catalog database (``webhook_signatures``), shared by processes.

    :param catalog: the local catalog (its engine is opened on first use).
    """

    def __init__(self, catalog: SqlLocalCatalog) -> None:
        self.catalog = catalog

    def first_use(self, signature: str, now: datetime, remember: timedelta) -> bool:
        """Insert ``signature`` (forgetting expired ones); False when the insert conflicts."""
        try:
            with Session(self.catalog.engine) as session, session.begin():
                session.execute(
                    delete(WebhookSignatureRow).where(WebhookSignatureRow.seen_at < now - remember)
                )
                session.add(WebhookSignatureRow(signature=signature, seen_at=now))
        except IntegrityError:
            return False
        return True


def _refuse(status: int, message: str, close: bool = False) -> JSONResponse:
    headers = {"Connection": "close"} if close else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'S3E-HMAC-SHA256 realm="events"'
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, read as it streams in; ``None`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _timestamp_problem(raw: str, policy: WebhookPolicy, now: float) -> str | None:
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 12:
        return f"{TIMESTAMP_HEADER}: expected Unix time in whole seconds"
    age = now - int(raw)
    if age > policy.max_age_s:
        return f"stale request: signed {int(age)} s ago, at most {policy.max_age_s} s"
    if -age > policy.clock_skew_s:
        return f"request signed {int(-age)} s in the future: check the sender's clock"
    return None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp + "." + body`` (what a sender puts after sha256=)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def handle(
    request: Request,
    secret: str | None,
    enqueue: Enqueue,
    policy: WebhookPolicy,
    guard: ReplayGuard,
    clock: Callable[[], float] = time.time,
) -> JSONResponse:
    """Authenticate, read, parse and enqueue one S3 event notification (see the module)."""
    if secret is None:
        return _refuse(503, "the webhook is disabled: set web.webhook_secret", close=True)
    sent = request.headers.get(SIGNATURE_HEADER)
    if sent is not None:
        sent = sent.strip().lower()
    stamp = request.headers.get(TIMESTAMP_HEADER)
    now = clock()
    refused = _header_refusal(sent, stamp, _bearer(request), secret, policy, now)
    if refused is not None:
        return refused

    too_large = (
        f"body larger than {policy.max_body_bytes} bytes (web.webhook_max_body_bytes): "
        "send fewer records per request"
    )
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > policy.max_body_bytes:
        return _refuse(413, too_large, close=True)
    try:
        body = await read_capped(request, policy.max_body_bytes)
    except ClientDisconnect:
        return _refuse(400, "the client went away before sending the whole body", close=True)
    if body is None:
        return _refuse(413, too_large, close=True)

    if sent is not None and stamp is not None:
        expected = signature(secret, stamp.strip(), body)
        if not hmac.compare_digest(sent[7:].encode(), expected.encode()):
            return _refuse(401, "wrong signature")
        fresh = await run_in_threadpool(
            guard.first_use, expected, datetime.fromtimestamp(now, UTC), policy.remember
        )
        if not fresh:
            return _refuse(409, "replayed request: this signature was accepted already")

    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        return _refuse(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except (ValueError, RecursionError):
        return _refuse(400, "malformed JSON")
    try:
        events = collapse(parse_document(document, max_records=policy.max_records))
    except TooManyRecords as exc:
        return _refuse(413, f"{exc.message} (web.webhook_max_records): send them in batches")
    except InvalidEvent as exc:
        return _refuse(400, exc.message)
    if events:
        await run_in_threadpool(enqueue, events)
    return JSONResponse({"accepted": len(events)}, status_code=202)


def _header_refusal(
    sent: str | None,
    stamp: str | None,
    bearer: str | None,
    secret: str,
    policy: WebhookPolicy,
    now: float,
) -> JSONResponse | None:
    """The 401 the headers alone earn, before a byte of the body is read; ``None``: read on.

    :param sent: the signature header, stripped and lower-cased.
    """
    if sent is not None:
        if stamp is None:
            return _refuse(401, f"{TIMESTAMP_HEADER} is missing: sign as {SCHEME}", close=True)
        problem = _timestamp_problem(stamp, policy, now)
        if problem is not None:
            return _refuse(401, problem, close=True)
        if not sent.startswith("sha256=") or len(sent) != 7 + 64:
            return _refuse(401, f"{SIGNATURE_HEADER}: expected sha256=<64 hex digits>", close=True)
        return None
    if bearer is not None:
        if not policy.allow_bearer:
            return _refuse(
                401,
                "Bearer-only requests are refused (web.webhook_allow_bearer is off): "
                f"sign them, {SCHEME}",
                close=True,
            )
        if not hmac.compare_digest(bearer.encode(), secret.encode()):
            return _refuse(401, "missing or wrong shared secret", close=True)
        return None
    return _refuse(401, f"missing or wrong shared secret: sign as {SCHEME}", close=True)
