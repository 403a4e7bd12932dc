"""``enricher serve``: the S3 event webhook, as a real process, enqueueing on real Redis.

Also in process (the ASGI app called directly), for what a real HTTP client cannot send: a
``Content-Length`` that lies.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import enricher_env, spawn_enricher
from tests.support.redis_dbs import RedisDatabases
from tests.support.seaweed import free_ports
from worker.core.s3_events import ObjectEvent
from worker.core.settings import WebSettings
from worker.web.app import create_app
from worker.web.webhook import MemoryReplayGuard, signature

SECRET = "hook-secret-7f3a"
MIB = 1024 * 1024

EVENT = {
    "EventName": "s3:ObjectCreated:Put",
    "Key": "lake/in/a+b%C3%A9.csv",
    "Records": [
        {
            "eventVersion": "2.0",
            "eventSource": "minio:s3",
            "eventTime": "2026-11-26T01:00:00.000Z",
            "eventName": "s3:ObjectCreated:Put",
            "s3": {
                "bucket": {"name": "lake"},
                "object": {"key": "in/a+b%C3%A9.csv", "size": 12, "eTag": "abc"},
            },
        }
    ],
}


def signed(body: bytes, at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers of a signed request: timestamp, and the HMAC of timestamp.body."""
    stamp = str(int(time.time() if at is None else at))
    return {
        "X-S3E-Timestamp": stamp,
        "X-S3E-Signature": f"sha256={signature(secret, stamp, body)}",
        "Content-Type": "application/json",
    }


def _start(tmp_path: Path, extra: dict[str, str], redis_dbs: RedisDatabases) -> Iterator[str]:
    (port,) = free_ports(1)
    env = enricher_env(
        {
            "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "ENRICH_WEB__PORT": str(port),
            "ENRICH_WEB__WEBHOOK_SECRET": SECRET,
            "ENRICH_CELERY__BROKER_URL": redis_dbs.broker_url,
            "ENRICH_CELERY__RESULT_BACKEND": redis_dbs.backend_url,
            **extra,
        }
    )
    proc = spawn_enricher(["serve"], env, tmp_path, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture
def service(tmp_path: Path, redis_dbs: RedisDatabases) -> Iterator[str]:
    """``enricher serve`` with the default webhook settings (signed requests only)."""
    yield from _start(tmp_path, {}, redis_dbs)


@pytest.fixture
def bearer_service(tmp_path: Path, redis_dbs: RedisDatabases) -> Iterator[str]:
    """``enricher serve`` accepting MinIO's static Bearer token (web.webhook_allow_bearer)."""
    yield from _start(tmp_path, {"ENRICH_WEB__WEBHOOK_ALLOW_BEARER": "true"}, redis_dbs)


def _queued(redis_dbs: RedisDatabases) -> list[dict[str, object]]:
    return [json.loads(m) for m in redis_dbs.broker().lrange("enrich", 0, -1)]


def test_signed_event_is_enqueued_once_and_a_replay_is_refused(
    service: str, redis_dbs: RedisDatabases
) -> None:
    body = json.dumps(EVENT).encode()
    now = time.time()
    headers = signed(body, now)
    ok = httpx.post(f"{service}/events/s3", content=body, headers=headers)
    assert ok.status_code == 202 and ok.json() == {"accepted": 1}
    replay = httpx.post(f"{service}/events/s3", content=body, headers=headers)
    assert replay.status_code == 409 and "replayed" in replay.json()["error"]
    # The same body signed at another second is a new request.
    later = httpx.post(f"{service}/events/s3", content=body, headers=signed(body, now - 2))
    assert later.status_code == 202
    tasks = _queued(redis_dbs)
    assert len(tasks) == 2
    assert all(t["headers"]["task"] == "s3e.enrich" for t in tasks)  # type: ignore[index]
    assert "s3://lake/in/a bé.csv" in json.dumps(tasks, ensure_ascii=False)


def test_stale_future_unsigned_and_wrongly_signed_requests_are_401(
    service: str, redis_dbs: RedisDatabases
) -> None:
    body = json.dumps(EVENT).encode()
    url = f"{service}/events/s3"
    stale = httpx.post(url, content=body, headers=signed(body, time.time() - 301))
    assert stale.status_code == 401 and "stale request" in stale.json()["error"]
    future = httpx.post(url, content=body, headers=signed(body, time.time() + 120))
    assert future.status_code == 401 and "future" in future.json()["error"]
    legacy = signed(body)
    del legacy["X-S3E-Timestamp"]  # the old scheme: HMAC of the body alone
    assert httpx.post(url, content=body, headers=legacy).status_code == 401
    wrong_key = httpx.post(url, content=body, headers=signed(body, secret="not-the-secret"))
    assert wrong_key.status_code == 401 and wrong_key.json()["error"] == "wrong signature"
    tampered = httpx.post(url, content=body + b" ", headers=signed(body))
    assert tampered.status_code == 401
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-S3E-Signature": "sha256=00"}):
        assert httpx.post(url, content=body, headers=headers).status_code == 401
    # The right secret as a Bearer token is refused too: web.webhook_allow_bearer is off.
    bearer = httpx.post(url, content=body, headers={"Authorization": f"Bearer {SECRET}"})
    assert bearer.status_code == 401 and "webhook_allow_bearer" in bearer.json()["error"]
    assert _queued(redis_dbs) == []


def test_malformed_json_and_events_are_400(service: str, redis_dbs: RedisDatabases) -> None:
    url = f"{service}/events/s3"
    bad = b'{"Records": ['
    r = httpx.post(url, content=bad, headers=signed(bad))
    assert r.status_code == 400 and "malformed JSON" in r.json()["error"]
    deep = b"[" * 100_000 + b"]" * 100_000
    r = httpx.post(url, content=deep, headers=signed(deep))
    assert r.status_code == 400
    wrong = json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}).encode()
    r = httpx.post(url, content=wrong, headers=signed(wrong))
    assert r.status_code == 400 and "Records[0]" in r.json()["error"]
    assert _queued(redis_dbs) == []


def test_too_many_records_is_413(service: str) -> None:
    record = EVENT["Records"][0]  # type: ignore[index]
    body = json.dumps({"Records": [record] * 1001}).encode()
    assert len(body) < MIB
    r = httpx.post(f"{service}/events/s3", content=body, headers=signed(body))
    assert r.status_code == 413
    assert "1001 records" in r.json()["error"] and "at most 1000" in r.json()["error"]
    ok = json.dumps({"Records": [record] * 1000}).encode()
    assert httpx.post(f"{service}/events/s3", content=ok, headers=signed(ok)).status_code == 202


def _raw_request(url: str, head: str, send: Callable[[socket.socket], None]) -> tuple[str, float]:
    """Send ``head`` and then whatever ``send`` sends; return the response head and seconds."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin1"))
        try:
            send(sock)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what these tests want
        received = b""
        while b"\r\n\r\n" not in received:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received.decode("latin1"), time.monotonic() - started


def test_a_huge_body_with_a_wrong_secret_is_refused_before_it_is_read(service: str) -> None:
    """300 MiB announced, a wrong secret: 401 at once, the connection closed, nothing read."""
    head = (
        "POST /events/s3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
        f"Content-Type: application/json\r\nContent-Length: {300 * MIB}\r\n\r\n"
    )
    sent = 0

    def send(sock: socket.socket) -> None:
        nonlocal sent
        sock.settimeout(2)
        chunk = b" " * MIB
        while sent < 300 * MIB:
            sock.sendall(chunk)
            sent += len(chunk)

    response, seconds = _raw_request(service, head, send)
    assert response.startswith("HTTP/1.1 401"), response
    assert "connection: close" in response.lower()
    assert seconds < 5 and sent < 100 * MIB  # the server stopped reading long before the end
    # Signed, but stale: refused on the headers too.
    stale = time.time() - 3600
    head = (
        "POST /events/s3 HTTP/1.1\r\nHost: x\r\n"
        f"X-S3E-Timestamp: {int(stale)}\r\nX-S3E-Signature: sha256={'0' * 64}\r\n"
        f"Content-Length: {300 * MIB}\r\n\r\n"
    )
    response, seconds = _raw_request(service, head, lambda sock: sock.sendall(b" " * MIB))
    assert response.startswith("HTTP/1.1 401") and seconds < 5


def test_a_body_over_1_mib_is_413_with_or_without_content_length(
    service: str, redis_dbs: RedisDatabases
) -> None:
    body = b" " * (MIB + 1)
    declared = httpx.post(f"{service}/events/s3", content=body, headers=signed(body))
    assert declared.status_code == 413 and "webhook_max_body_bytes" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b" " * (64 * 1024)

    whole = b" " * (64 * 64 * 1024)
    chunked = httpx.post(f"{service}/events/s3", content=chunks(), headers=signed(whole))
    assert chunked.status_code == 413
    head = (
        "POST /events/s3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in signed(whole).items())
        + "\r\n"
    )

    def endless(sock: socket.socket) -> None:
        piece = b" " * 65536
        for _ in range(4096):  # 256 MiB if nobody stops it
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))

    response, seconds = _raw_request(service, head, endless)
    assert response.startswith("HTTP/1.1 413") and seconds < 10
    assert _queued(redis_dbs) == []


def test_minio_bearer_token_when_allowed(bearer_service: str, redis_dbs: RedisDatabases) -> None:
    """MinIO's webhook target can only send ``Authorization: Bearer <auth_token>``."""
    body = json.dumps(EVENT).encode()
    url = f"{bearer_service}/events/s3"
    ok = httpx.post(url, content=body, headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 202 and ok.json() == {"accepted": 1}
    assert httpx.post(url, content=body, headers={"Authorization": "Bearer no"}).status_code == 401
    # Signed requests still work, and still may not be replayed.
    headers = signed(body)
    assert httpx.post(url, content=body, headers=headers).status_code == 202
    assert httpx.post(url, content=body, headers=headers).status_code == 409
    assert len(_queued(redis_dbs)) == 2


# -- in process: the ASGI app with a receive() of our making ---------------------------------


def _call(app: Any, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, dict[str, Any]]:
    """Run one POST /events/s3 through the ASGI app; the body arrives in ``chunks``."""
    pending = list(chunks)
    sent: list[dict[str, Any]] = []
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if pending:
            chunk = pending.pop(0)
            received += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/events/s3",
        "raw_path": b"/events/s3",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5555),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, {"json": json.loads(body), "received": received, "left": len(pending)}


def _app(enqueued: list[ObjectEvent], **web: Any) -> Any:
    return create_app(
        SECRET, enqueued.extend, web_settings=WebSettings(**web), replay_guard=MemoryReplayGuard()
    )


def test_a_lying_content_length_does_not_lift_the_cap() -> None:
    enqueued: list[ObjectEvent] = []
    app = _app(enqueued)
    chunks = [b" " * (256 * 1024)] * 64  # 16 MiB in fact
    headers = {**signed(b"".join(chunks)), "Content-Length": "100"}
    status, out = _call(app, headers, chunks)
    assert status == 413
    assert out["received"] <= MIB + 256 * 1024 and out["left"] > 50  # stopped early
    # No Content-Length at all (chunked): the same.
    status, out = _call(app, {k: v for k, v in headers.items() if k != "Content-Length"}, chunks)
    assert status == 413 and out["left"] > 50
    assert enqueued == []


def test_limits_follow_the_settings() -> None:
    enqueued: list[ObjectEvent] = []
    app = _app(enqueued, webhook_max_records=2, webhook_max_body_bytes=4096, webhook_max_age_s=60)
    record = EVENT["Records"][0]  # type: ignore[index]
    three = json.dumps({"Records": [record] * 3}).encode()
    status, out = _call(app, signed(three), [three])
    assert status == 413 and "at most 2" in out["json"]["error"]
    big = b" " * 5000
    assert _call(app, signed(big), [big])[0] == 413
    body = json.dumps(EVENT).encode()
    assert _call(app, signed(body, time.time() - 61), [body])[0] == 401
    status, out = _call(app, signed(body), [body])
    assert status == 202 and out["json"] == {"accepted": 1} and len(enqueued) == 1
    # A Bearer token only with webhook_allow_bearer.
    bearer = {"Authorization": f"Bearer {SECRET}"}
    assert _call(app, bearer, [body])[0] == 401
    allowing = _app(enqueued, webhook_allow_bearer=True)
    assert _call(allowing, bearer, [body])[0] == 202 and len(enqueued) == 2
    # No secret configured: 503.
    assert _call(create_app(None, enqueued.extend), signed(body), [body])[0] == 503
