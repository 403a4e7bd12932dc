"""``/readyz`` (the dependencies, each with status and latency) and ``/metrics``.

``/healthz`` (liveness) stays in :mod:`worker.web.app`. ``/readyz`` checks the local catalog's
database, Redis (the Celery broker), S3 and, when enabled, Atlan, at once and each within
:data:`CHECK_TIMEOUT_S`; it answers 503 when a required one is down (database and Redis
always, Atlan when enabled; S3 is reported but not required: the service reads no objects;
any answer from S3, an access denied included, counts as up). Errors name an exception type,
never a message (messages may quote URLs or credentials). ``/metrics`` serves the
Prometheus registry, behind ``Authorization: Bearer <metrics.token>`` when one is set.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.core.settings import Settings

#: Seconds each readiness check may take before it counts as down.
CHECK_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Check:
    """One dependency: ``probe`` returns when it answers and raises when it does not."""

    name: str
    probe: Callable[[], object]
    required: bool = True


def readiness(
    checks: Sequence[Check], timeout_s: float = CHECK_TIMEOUT_S
) -> tuple[bool, dict[str, Any]]:
    """Run ``checks`` at once; return (every required one up, the per-check report).

    Each entry: ``status`` (``up``/``down``), ``latency_ms``, ``required`` and, when down,
    ``error`` (an exception type or ``timeout``).
    """
    report: dict[str, dict[str, Any]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(checks)), thread_name_prefix="readyz")
    began = time.monotonic()
    futures = {pool.submit(_timed, c.probe): c for c in checks}
    wait(futures, timeout=timeout_s)
    for future, check in futures.items():
        entry: dict[str, Any] = {"required": check.required}
        if not future.done():
            entry.update(status="down", error="timeout", latency_ms=round(timeout_s * 1000, 1))
        else:
            seconds, error = future.result()
            entry.update(status="up" if error is None else "down", latency_ms=seconds * 1000)
            entry["latency_ms"] = round(entry["latency_ms"], 1)
            if error is not None:
                entry["error"] = error
        report[check.name] = entry
    pool.shutdown(wait=False, cancel_futures=True)
    ok = all(e["status"] == "up" for e in report.values() if e["required"])
    report_time = round((time.monotonic() - began) * 1000, 1)
    return ok, {"status": "ok" if ok else "unavailable", "ms": report_time, "checks": report}


def _timed(probe: Callable[[], object]) -> tuple[float, str | None]:
    began = time.monotonic()
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure is "down", by type only
        return time.monotonic() - began, type(exc).__name__
    return time.monotonic() - began, None


def health_router(
    checks: Sequence[Check], registry: CollectorRegistry | None, token: str | None = None
) -> APIRouter:
    """The ``/readyz`` and ``/metrics`` routes (``registry`` ``None``: no ``/metrics``)."""
    router = APIRouter()

    @router.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        ok, report = readiness(checks)
        return JSONResponse(report, status_code=200 if ok else 503)

    if registry is None:
        return router
    serving = registry

    @router.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), token.encode()
            ):
                return JSONResponse(
                    {"error": "not_authenticated", "message": "send the metrics bearer token"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        from worker.adapters.metrics.prometheus import exposition

        body, content_type = exposition(serving, request.headers.get("accept"))
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    return router


def build_health(settings: Settings, catalog: SqlLocalCatalog | None = None) -> APIRouter:
    """The router of ``enricher serve``: checks and metrics from the settings.

    With ``metrics.serve_port`` set, /metrics is served on its own listener at
    ``metrics.bind``:``metrics.serve_port`` instead of on the web port.

    Side effects: with ``metrics.enabled``, counting starts in this process (multiprocess
    mode when ``$PROMETHEUS_MULTIPROC_DIR`` is set); with ``serve_port``, a daemon thread
    listens there.

    :raises OSError: ``serve_port`` is taken.
    """
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_metrics, build_state_collector

    local = catalog if catalog is not None else SqlLocalCatalog(settings.database_url)
    registry = None
    if settings.metrics.enabled:
        from worker.adapters.metrics.prometheus import (
            PrometheusMetrics,
            multiprocess_dir,
            serving_registry,
            use_multiprocess,
        )

        folder = multiprocess_dir()
        if folder is not None:
            use_multiprocess(folder)
        metrics = build_metrics(settings)
        registry = serving_registry(
            metrics if isinstance(metrics, PrometheusMetrics) else None,
            [build_state_collector(settings, local)],
        )
    if registry is not None and settings.metrics.serve_port is not None:
        from worker.adapters.metrics.prometheus import start_server

        start_server(registry, settings.metrics.bind, settings.metrics.serve_port)
        registry = None  # not on the web port as well
    token = settings.metrics.token
    return health_router(
        readiness_checks(settings, local),
        registry,
        token.get_secret_value() if token is not None else None,
    )


def readiness_checks(settings: Settings, catalog: SqlLocalCatalog) -> list[Check]:
    """Database and Redis (required), S3, and Atlan (required when enabled)."""

    def database() -> None:
        from sqlalchemy import text

        with catalog.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def redis() -> None:
        from redis import Redis

        client = Redis.from_url(
            settings.celery.broker_url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=2
        )
        try:
            client.ping()
        finally:
            client.close()

    def s3() -> None:
        from botocore.exceptions import ClientError

        from worker.adapters.storage.s3 import make_s3_client

        try:
            make_s3_client(settings.s3).list_buckets()
        except ClientError:
            return  # the server answered (e.g. access denied to ListBuckets): reachable

    checks = [Check("database", database), Check("redis", redis), Check("s3", s3, False)]
    if settings.atlan.enabled:
        checks.append(Check("atlan", lambda: _atlan_reachable(settings), True))
    return checks


def _atlan_reachable(settings: Settings) -> None:
    """Atlan's base URL answers below 500 (a login page or 401 is an answer).

    :raises ConnectionError: no base URL, or a 5xx answer.
    """
    import os

    import httpx

    base = settings.atlan.base_url or os.environ.get("ATLAN_BASE_URL")
    if not base:
        raise ConnectionError("no Atlan base URL")
    answer = httpx.get(base, timeout=CHECK_TIMEOUT_S, follow_redirects=False)
    if answer.status_code >= 500:
        raise ConnectionError(f"HTTP {answer.status_code}")
