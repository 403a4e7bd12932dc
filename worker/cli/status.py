"""``enricher status``: the whole installation on one screen (or as JSON).

Sections: workers alive (a Celery ping), queue depths (Redis), the Atlan outbox (size, age of
its oldest entry), running jobs with rate and ETA, open alerts by severity, the last scan per
schedule, and the catalog's size. Each section reports on its own: one whose dependency is
down says which one and why (``Redis unreachable: ConnectionError``), never a traceback.

Exit codes: 0 all is well; 1 the catalog cannot be read (``enricher: error: ...``, after
printing what could be gathered); 3 a required dependency is down: Redis, or no worker
answers the ping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import (
    EXIT_SOME_FAILED,
    EnricherCliError,
    echo_json,
    format_option,
    load_cli_settings,
    print_rich,
)
from worker.core.queues import PRIORITY_SUFFIXES, QUEUES, queue_keys

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Engine

    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.core.settings import Settings

PING_TIMEOUT_S = 1.5
REDIS_TIMEOUT_S = 2.0

Section = dict[str, Any]


def _down(dependency: str, exc: BaseException) -> Section:
    """A section whose dependency failed: named, with the exception type only."""
    return {"ok": False, "error": f"{dependency} unreachable: {type(exc).__name__}"}


def _utc(value: datetime | None) -> datetime | None:
    """A datetime in UTC (SQLite gives naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat(timespec="seconds") if value is not None else None


def redis_client(settings: Settings) -> Redis:
    """A Redis client on the broker with short timeouts (a dead Redis fails fast)."""
    from redis import Redis

    return Redis.from_url(
        settings.celery.broker_url,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        socket_timeout=REDIS_TIMEOUT_S,
    )


def queue_depths(redis: Redis) -> Section:
    """Messages waiting per queue (every priority list of it)."""
    try:
        pipe = redis.pipeline()
        for queue in QUEUES:
            for key in queue_keys(queue):
                pipe.llen(key)
        lengths = [int(n) for n in pipe.execute()]
    except Exception as exc:  # noqa: BLE001 - any Redis failure is "down", reported by name
        return _down("Redis", exc)
    step = len(PRIORITY_SUFFIXES)
    depths = {q: sum(lengths[i * step : (i + 1) * step]) for i, q in enumerate(QUEUES)}
    return {"ok": True, "queues": depths}


def workers_alive(settings: Settings, redis_ok: bool) -> Section:
    """The workers that answer a Celery ping within :data:`PING_TIMEOUT_S`."""
    if not redis_ok:
        return {"ok": False, "error": "not checked: Redis unreachable"}
    from worker.tasks.app import make_app

    try:
        replies = make_app(settings).control.ping(timeout=PING_TIMEOUT_S) or []
    except Exception as exc:  # noqa: BLE001 - a broker failure is "down", reported by name
        return _down("Celery broker", exc)
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return {"ok": False, "workers": [], "error": "no worker answered the ping"}
    return {"ok": True, "workers": names}


def outbox(engine: Engine, now: datetime) -> Section:
    """Atlan writes waiting in the outbox, and the age of the oldest."""
    from sqlalchemy import func, select

    from worker.adapters.catalog.schema import atlan_outbox

    with engine.connect() as conn:
        size, oldest = conn.execute(
            select(func.count(), func.min(atlan_outbox.c.first_queued_at))
        ).one()
    oldest_utc = _utc(oldest)
    age = (now - oldest_utc).total_seconds() if oldest_utc is not None else None
    return {"ok": True, "size": int(size), "oldest_age_s": age}


def running_jobs(catalog: SqlLocalCatalog, now: datetime) -> Section:
    """Running jobs: progress, rate (objects/s since start) and ETA."""
    from sqlalchemy import select

    from models.jobs import JobState
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.adapters.catalog.schema import jobs

    active = [JobState.RUNNING.value]
    with catalog.engine.connect() as conn:
        ids = list(
            conn.execute(
                select(jobs.c.id).where(jobs.c.state.in_(active)).order_by(jobs.c.created_at)
            ).scalars()
        )
    store = SqlJobStore(catalog)
    rows = []
    for job_id in ids:
        p = store.progress(job_id)
        if p is None:
            continue
        created = _utc(p.created_at) or now
        elapsed = max(1e-6, (now - created).total_seconds())
        rate = p.finished / elapsed
        left = p.listed - p.finished if p.listing_done else None
        eta = left / rate if left is not None and rate > 0 else None
        rows.append(
            {
                "id": p.id,
                "state": str(p.state),
                "target": p.target,
                "finished": p.finished,
                "listed": p.listed,
                "listing_done": p.listing_done,
                "rate_per_s": round(rate, 3),
                "eta_s": round(eta) if eta is not None else None,
            }
        )
    return {"ok": True, "jobs": rows}


def open_alerts(engine: Engine) -> Section:
    """Open alerts counted by severity."""
    from sqlalchemy import func, select

    from models.datasets import AlertState, Severity
    from worker.adapters.catalog.schema import alerts

    with engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.severity, func.count())
            .where(alerts.c.state == AlertState.OPEN.value)
            .group_by(alerts.c.severity)
        ).all()
    counts = {s.value: 0 for s in Severity}
    counts.update({str(severity): int(n) for severity, n in rows})
    return {"ok": True, "open": counts}


def last_scans(engine: Engine, settings: Settings) -> Section:
    """Per configured schedule: when its last job started, and that job's state."""
    from sqlalchemy import select

    from worker.adapters.catalog.schema import jobs

    rows = []
    with engine.connect() as conn:
        for entry in settings.celery.schedules:
            last = conn.execute(
                select(jobs.c.id, jobs.c.state, jobs.c.created_at)
                .where(jobs.c.target == entry.uri)
                .order_by(jobs.c.created_at.desc())
                .limit(1)
            ).one_or_none()
            rows.append(
                {
                    "uri": entry.uri,
                    "every_minutes": entry.every_minutes,
                    "last_started": _iso(last.created_at) if last else None,
                    "last_state": last.state if last else None,
                    "last_job": last.id if last else None,
                }
            )
    return {"ok": True, "schedules": rows}


def catalog_size(engine: Engine) -> Section:
    """Objects in the local catalog, by status."""
    from sqlalchemy import func, select

    from worker.adapters.catalog.schema import objects

    with engine.connect() as conn:
        rows = conn.execute(select(objects.c.status, func.count()).group_by(objects.c.status))
        by_status = {str(status): int(n) for status, n in rows}
    return {"ok": True, "objects": sum(by_status.values()), "by_status": by_status}


def gather(settings: Settings, now: datetime | None = None) -> dict[str, Section]:
    """Every section; a failing dependency fails its sections only."""
    now = now or datetime.now(UTC)
    report: dict[str, Section] = {}
    redis = redis_client(settings)
    report["queues"] = queue_depths(redis)
    report["workers"] = workers_alive(settings, report["queues"]["ok"])
    catalog_sections: dict[str, Callable[[Engine], Section]] = {
        "catalog": catalog_size,
        "outbox": lambda e: outbox(e, now),
        "jobs": lambda _: running_jobs(catalog, now),
        "alerts": open_alerts,
        "schedules": lambda e: last_scans(e, settings),
    }
    from worker.adapters.catalog.database import SqlLocalCatalog

    catalog = SqlLocalCatalog(settings.database_url)
    try:
        engine = catalog.engine
    except Exception as exc:  # noqa: BLE001 - reported as the catalog being down
        for name in catalog_sections:
            report[name] = _down("catalog database", exc)
        return report
    try:
        for name, read in catalog_sections.items():
            try:
                report[name] = read(engine)
            except Exception as exc:  # noqa: BLE001 - one unreadable table fails its section
                report[name] = {"ok": False, "error": f"catalog unreadable: {type(exc).__name__}"}
    finally:
        engine.dispose()
    return report


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _lines(report: dict[str, Section]) -> list[tuple[str, str]]:
    """(section, summary) rows for the table."""

    def line(name: str, ok: Callable[[Section], str]) -> tuple[str, str]:
        section = report[name]
        return name, ok(section) if section["ok"] else f"DOWN: {section['error']}"

    def jobs_text(s: Section) -> str:
        if not s["jobs"]:
            return "none running"
        return "\n".join(
            f"{j['id'][:8]} {j['state']} {j['finished']:,}/{j['listed']:,}"
            f"{'' if j['listing_done'] else '+'} {j['rate_per_s']:.1f} obj/s "
            f"ETA {_age(j['eta_s'])} · {j['target']}"
            for j in s["jobs"]
        )

    def schedules_text(s: Section) -> str:
        if not s["schedules"]:
            return "no schedules configured"
        return "\n".join(
            f"{e['uri']} every {e['every_minutes']:g} min: "
            + (f"{e['last_started']} ({e['last_state']})" if e["last_started"] else "never")
            for e in s["schedules"]
        )

    return [
        line("workers", lambda s: f"{len(s['workers'])} alive: {', '.join(s['workers'])}"),
        line("queues", lambda s: ", ".join(f"{q} {n:,}" for q, n in s["queues"].items())),
        line("outbox", lambda s: f"{s['size']:,} waiting, oldest {_age(s['oldest_age_s'])}"),
        line("jobs", jobs_text),
        line("alerts", lambda s: ", ".join(f"{k} {v}" for k, v in s["open"].items()) + " open"),
        line("schedules", schedules_text),
        line("catalog", lambda s: f"{s['objects']:,} objects"),
    ]


@click.command("status")
@format_option
@click.pass_context
def status(ctx: click.Context, output_format: str) -> None:
    """Workers, queues, outbox, running jobs, open alerts, last scans, catalog size.

    Exit 1 if the catalog cannot be read, 3 if Redis is down or no worker answers.
    """
    settings = load_cli_settings(ctx)
    report = gather(settings)
    if output_format == "json":
        echo_json(report)
    else:
        from rich.table import Table

        table = Table(title="s3-enricher status", show_header=False)
        table.add_column("section", style="bold")
        table.add_column("state")
        for name, text in _lines(report):
            table.add_row(name, text)
        print_rich(table)
    if not report["catalog"]["ok"]:
        raise EnricherCliError(f"the catalog cannot be read ({report['catalog']['error']})")
    if not (report["queues"]["ok"] and report["workers"]["ok"]):
        ctx.exit(EXIT_SOME_FAILED)
