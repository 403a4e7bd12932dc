"""The long-running processes: ``enricher worker``, ``beat``, ``events sqs`` and ``serve``.

Each runs until stopped; each exits 1 with one line when it cannot start.
"""

from __future__ import annotations

from pathlib import Path

import click

from worker.cli.common import EnricherCliError, load_cli_settings
from worker.core.errors import EnrichmentError


@click.command("worker")
@click.option(
    "--queues",
    default="enrich,jobs,atlan",
    show_default=True,
    help="Comma-separated queues to consume (enrich, jobs, atlan).",
)
@click.option("--concurrency", type=click.IntRange(1, 256), help="Pool processes.")
@click.option("--loglevel", default="INFO", show_default=True)
@click.option(
    "-n",
    "--hostname",
    help="Celery node name, e.g. w1@%h (default celery@ this host's name); unique per worker.",
)
@click.pass_context
def worker_cmd(
    ctx: click.Context,
    queues: str,
    concurrency: int | None,
    loglevel: str,
    hostname: str | None,
) -> None:
    """Run a Celery worker (prefork) on Redis.

    The models load once, here, before the pool processes are forked (they share them), and
    the worker asks for an Atlan flush when it starts and every celery.atlan_flush_interval_s.
    """
    from worker.core.queues import QUEUES
    from worker.tasks.app import make_app
    from worker.tasks.startup import prepare_worker

    settings = load_cli_settings(ctx)
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if unknown:
        raise EnricherCliError(
            f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(QUEUES)}"
        )
    app = make_app(settings)
    try:
        loaded = prepare_worker(app, settings, enrich="enrich" in wanted, jobs="jobs" in wanted)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    click.echo(
        f"models loaded in {loaded.seconds:.1f} s ({', '.join(loaded.classifiers) or 'none'}); "
        f"main process RSS {loaded.rss_mib:.0f} MiB",
        err=True,
    )
    app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency or settings.celery.concurrency}",
            f"--queues={','.join(wanted)}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            *([f"--hostname={hostname}"] if hostname else []),
        ]
    )


@click.command("beat")
@click.option(
    "--schedule-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("celerybeat-schedule"),
    show_default=True,
    help="Where beat keeps the last run times.",
)
@click.pass_context
def beat_cmd(ctx: click.Context, schedule_file: Path) -> None:
    """Run the scheduler: discovery jobs, Atlan flushes, the monthly compliance report.

    Discovery jobs come from celery.schedules; the compliance report is written on
    compliance.schedule (a UTC crontab) into compliance.output_dir/YYYY-MM/.

    With Atlan enabled, a flush is sent every celery.atlan_flush_interval_s (workers also ask
    for one on their own, so beat is optional for that).
    """
    from worker.tasks.app import make_app

    settings = load_cli_settings(ctx)
    if not (settings.celery.schedules or settings.atlan.enabled or settings.compliance.schedule):
        raise EnricherCliError(
            "no celery.schedules or compliance.schedule in the settings and Atlan is off: "
            "nothing to schedule"
        )
    app = make_app(settings)
    app.start(["beat", "--loglevel=INFO", f"--schedule={schedule_file}"])


@click.group()
def events() -> None:
    """S3 event intake: object created/removed notifications become tasks."""


@events.command("sqs")
@click.option("--queue-url", required=True, help="The SQS queue S3 notifies.")
@click.pass_context
def events_sqs(ctx: click.Context, queue_url: str) -> None:
    """Consume S3 notifications from SQS until stopped (SIGTERM/SIGINT).

    ObjectCreated → an enrich task; ObjectRemoved → archive in the catalog and Atlan.
    A message is deleted only after its tasks are enqueued; s3:TestEvent is skipped.
    Credentials: events keys, else s3 keys, else the AWS default chain (roles included).
    """
    import signal
    import threading

    from worker.adapters.sqs import SqsEventConsumer, sqs_client_from_settings
    from worker.core.s3_events import ObjectEvent
    from worker.tasks.app import enqueue_events, make_app

    settings = load_cli_settings(ctx)
    ev = settings.events
    try:
        client = sqs_client_from_settings(settings)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    app = make_app(settings)

    def handle(batch: list[ObjectEvent]) -> None:
        enqueue_events(app, batch)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = SqsEventConsumer(queue_url, client, handle, wait_seconds=ev.wait_seconds)
    click.echo(f"consuming S3 events from {queue_url}", err=True)
    consumer.run(stop)


@click.command("serve")
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the HTTP service (web.host, web.port).

    The steward review UI (/queue), its JSON API (/api/v1, bearer tokens), the MCP server
    for AI agents (/mcp, bearer tokens; mcp.http) and the S3 event webhook POST /events/s3,
    in one process.
    """
    import uvicorn

    from worker.bootstrap import build_review
    from worker.core.s3_events import ObjectEvent
    from worker.tasks.app import enqueue_events, make_app
    from worker.web.app import create_app
    from worker.web.health import build_health

    settings = load_cli_settings(ctx)
    celery_app = make_app(settings)
    try:
        review = build_review(settings)
        review.store.catalog.engine  # noqa: B018 - open and migrate the database before serving
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc

    def enqueue(batch: list[ObjectEvent]) -> None:
        enqueue_events(celery_app, batch)

    mcp = None
    if settings.mcp.http:
        from worker.bootstrap import build_mcp_services
        from worker.mcp.access import http_caller
        from worker.mcp.server import build_server

        services = build_mcp_services(settings, review.store.catalog)
        mcp = build_server(services, settings.mcp, http_caller)
    secret = settings.web.webhook_secret
    app = create_app(
        secret.get_secret_value() if secret else None,
        enqueue,
        review=review,
        review_settings=settings.review,
        web_settings=settings.web,
        health=build_health(settings, review.store.catalog),
        contracts_dir=settings.contracts.dir,
        served=settings,
        mcp=mcp,
    )
    # X-Forwarded-For/-Proto only from web.trusted_proxies (none by default, not loopback).
    trusted = list(settings.web.trusted_proxies)
    uvicorn.run(
        app,
        host=settings.web.host,
        port=settings.web.port,
        log_level="warning",
        # No handlers of uvicorn's own: its records reach the root logger, in log_format.
        log_config=None,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
