"""The ``enricher`` command line.

Exit codes: 0 every object was classified or skipped; 3 some objects failed (each is in the
report with its error kind); 1 the run itself could not proceed (a one-line message, no
traceback); 2 usage errors (click's own).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from models import EnrichmentResult, ErrorInfo, ObjectInfo, ObjectRef, ObjectStatus
from worker.core.errors import EnrichmentError, StoreUnavailable
from worker.core.settings import Settings, load_settings

if TYPE_CHECKING:
    # Imported where used: a command loads only what it needs (``enricher lineage impact``
    # starts in well under a second without pyarrow, boto3 and the classifiers).
    from worker.core.pipeline import Deps, EnrichOptions

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_OBJECTS_FAILED = 3
_ATTEMPTS = 3

log = logging.getLogger("worker")


class _RateColumn(TextColumn):
    """Objects per second, for the progress bar."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        speed = task.finished_speed or task.speed
        return f"{speed:.1f} obj/s" if speed else "– obj/s"


def _fail(message: str) -> None:
    click.echo(f"enricher: error: {message}", err=True)
    sys.exit(EXIT_RUN_FAILED)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="s3-enricher", prog_name="enricher")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ENRICHER_CONFIG",
    help="YAML settings file (same keys as the ENRICH_* variables, nested).",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """s3-enricher: sample S3 and local Parquet/CSV/JSON Lines objects and find PII per column."""
    ctx.ensure_object(dict)
    ctx.obj["config_file"] = config_file


def _settings(ctx: click.Context, config_file: Path | None, **overrides: Any) -> Settings:
    path = config_file or ctx.obj.get("config_file")
    try:
        settings = load_settings(path, **overrides)
    except EnrichmentError as exc:
        _fail(exc.message)
        raise  # unreachable; keeps mypy aware that _fail does not return
    _configure_logging(settings.log_level)
    return settings


def _pii_summary(result: EnrichmentResult) -> str:
    parts = []
    for column in result.columns:
        if column.entities:
            names = ", ".join(e.entity for e in column.entities)
            parts.append(f"{column.column}: {names}")
    return "\n".join(parts)


def _display_name(uri: str, roots: list[str]) -> str:
    for root in roots:
        if uri.startswith(root):
            rest = uri[len(root) :].lstrip("/")
            if rest:
                return rest
    return uri


def _summary_table(results: list[EnrichmentResult], roots: list[str]) -> Table:
    table = Table(title="s3-enricher scan", show_lines=False, expand=False)
    table.add_column("object", overflow="fold")
    table.add_column("format")
    table.add_column("rows", justify="right")
    table.add_column("status")
    table.add_column("PII columns → entities", overflow="fold")
    for r in results:
        sample = r.sample
        rows = ""
        if sample is not None and sample.row_count is not None:
            rows = ("~" if sample.row_count_estimated else "") + f"{sample.row_count:,}"
        fmt = ""
        if sample is not None:
            fmt = sample.format + (f"+{sample.compression}" if sample.compression else "")
        status = r.status.value
        if r.error is not None:
            status = f"{status}: {r.error.kind}"
        table.add_row(_display_name(r.ref.uri, roots), fmt, rows, status, _pii_summary(r) or "–")
    return table


@cli.command()
@click.argument("uris", nargs=-1, required=True)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON report (docs/report.md) to this file.",
)
@click.option(
    "--sample-rows",
    type=click.IntRange(1, 1_000_000),
    help="Rows to sample per object (default from settings: 1000).",
)
@click.option("--force", is_flag=True, help="Re-classify objects the catalog says are unchanged.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="What to print on standard output.",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only objects matching (file name, or path relative to the URI if it has /).",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip objects matching.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With Atlan enabled: print the planned Atlan writes instead of sending them.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML settings file (overrides the global --config).",
)
@click.pass_context
def scan(
    ctx: click.Context,
    uris: tuple[str, ...],
    report_path: Path | None,
    sample_rows: int | None,
    force: bool,
    output_format: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    dry_run: bool,
    config_file: Path | None,
) -> None:
    """Sample and classify every object at or under URIS (s3://bucket/prefix, paths, file://).

    With ``atlan.enabled``, the findings are then written to Atlan (see ``enricher atlan``).
    """
    from worker.bootstrap import build_deps
    from worker.core.discovery import discover
    from worker.core.pipeline import EnrichOptions
    from worker.core.report import build_report, write_report

    settings = _settings(ctx, config_file)
    err = Console(stderr=True)
    started = time.monotonic()
    try:
        deps = build_deps(settings)
        roots = [_root_uri(u) for u in uris]
        with err.status("listing objects…"):
            infos = list(discover(deps.store, uris, include, exclude))
        run_id = deps.catalog.start_run("scan", list(uris))
        options = EnrichOptions(
            sampling=settings.sampling.options(sample_rows), force=force, run_id=run_id
        )
        results: list[EnrichmentResult] = []
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=output_format == "json",
            disable=not err.is_terminal and output_format == "json",
        ) as progress:
            task = progress.add_task("scanning", total=len(infos))
            for info in infos:
                progress.update(task, description=_display_name(info.ref.uri, roots)[-40:])
                results.append(_enrich_with_retry(info, deps, options))
                progress.advance(task)
            progress.update(task, description="done")
        counts = Counter(r.status.value for r in results)
        deps.catalog.finish_run(run_id, dict(counts))
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    report = build_report(results, run_id)
    if report_path is not None:
        write_report(report, report_path)
    if output_format == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        out = _console()
        out.print(_summary_table(results, roots))
        for r in results:
            if r.error is not None and r.status is ObjectStatus.FAILED:
                name = _display_name(r.ref.uri, roots)
                out.print(Text.assemble(("failed ", "red"), f"{name}: {r.error.message}"))
        read = sum(r.bytes_read for r in results)
        pii_cols = sum(1 for r in results for c in r.columns if c.entities)
        out.print(
            f"{len(results)} objects: {counts.get('classified', 0)} classified, "
            f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed · "
            f"{pii_cols} PII columns · {read / 1e6:.2f} MB read in "
            f"{time.monotonic() - started:.1f} s"
        )
        where = f"report: {report_path}" if report_path else "no report file (use --report)"
        from worker.adapters.catalog.database import safe_url

        out.print(f"catalog: {safe_url(settings.database_url)} · {where}")
        pending = _pending_reviews(deps)
        if pending:
            out.print(
                f"review: {pending} suggestion{'s' if pending != 1 else ''} pending · "
                "`enricher review list`, or `enricher serve` for the web UI"
            )
    _write_to_atlan(settings, deps, results, dry_run, output_format)
    sys.exit(EXIT_OBJECTS_FAILED if counts.get(ObjectStatus.FAILED.value) else EXIT_OK)


def _pending_reviews(deps: Deps) -> int:
    """How many suggestions wait for a steward (0 when the catalog has no review queue)."""
    from models.review import SuggestionFilter
    from worker.services.review.queue import ReviewQueue

    if not isinstance(deps.review, ReviewQueue):
        return 0
    return deps.review.store.count(SuggestionFilter())


def _write_to_atlan(
    settings: Settings,
    deps: Deps,
    results: list[EnrichmentResult],
    dry_run: bool,
    output_format: str,
) -> None:
    """Flush the outbox, then write this scan's findings (or print the plan with --dry-run)."""
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_catalog_writer
    from worker.services.review.queue import desired_state

    local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
    try:
        writer = build_catalog_writer(settings, local)
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    if writer is None:
        return
    desired = [d for r in results if (d := desired_state(deps, settings, r)) is not None]
    err = _console(stderr=True)
    try:
        if dry_run:
            plan = writer.plan(desired)
            _print_plan(plan, output_format)
            return
        queued = writer.flush()
        report = writer.write(desired)
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    if queued.objects:
        err.print(
            f"Atlan outbox: {queued.objects - queued.queued} of {queued.objects} earlier "
            "writes delivered"
        )
    extra = "".join(
        f", {n} {what}"
        for n, what in ((report.restored, "restored"), (report.adopted, "adopted"))
        if n
    )
    line = (
        f"Atlan: {report.created} created, {report.updated} updated{extra}, {report.unchanged} "
        f"unchanged, {report.tags_added} tags added, {report.suggestions} new suggestions, "
        f"{report.requests} write requests"
    )
    err.print(line, highlight=False)
    for note in report.notes[:20]:
        err.print(f"  kept: {note}", highlight=False)
    for warning in report.warnings[:20]:
        err.print(f"  warning: {warning}", highlight=False)
    for uri, reason in sorted(report.rejected.items())[:20]:
        err.print(f"  [yellow]refused: {uri}: {reason}[/yellow]", highlight=False)
    if report.error:
        wait = f"; Atlan asked to wait {report.retry_after_s:g} s" if report.retry_after_s else ""
        err.print(
            f"[yellow]Atlan: {report.queued} writes kept in the outbox ({report.error}{wait}); "
            "`enricher atlan flush` retries them[/yellow]"
        )
    elif report.rejected:
        err.print(
            f"[yellow]Atlan: {len(report.rejected)} writes refused and kept in the outbox; "
            "`enricher atlan status` shows why, `enricher atlan flush` retries them[/yellow]"
        )


def _print_plan(plan: Any, output_format: str) -> None:
    rows = [
        {
            "qualified_name": o.qualified_name,
            "action": "restore"
            if o.restore
            else "create"
            if o.create
            else ("unchanged" if o.empty else "update"),
            "attributes": sorted(o.attributes),
            "description": o.description is not None,
            "custom_metadata": o.custom_metadata is not None,
            "add_tags": sorted(o.add_tags),
            "remove_tags": sorted(o.remove_tags),
            "suggestions": len(o.suggestions),
            "kept": list(o.skipped),
        }
        for o in plan.objects
    ]
    if output_format == "json":
        click.echo(json.dumps({"new_buckets": sorted(plan.new_buckets), "objects": rows}, indent=2))
        return
    table = Table(title="Atlan plan (dry run: nothing sent)")
    for name in ("object", "action", "changes", "tags to add", "suggestions"):
        table.add_column(name, overflow="fold")
    for r in rows:
        changes = ", ".join(
            [*r["attributes"], *(["description"] if r["description"] else [])]
            + (["custom metadata"] if r["custom_metadata"] else [])
        )
        table.add_row(
            r["qualified_name"], r["action"], changes or "–", ", ".join(r["add_tags"]) or "–",
            str(r["suggestions"]),
        )  # fmt: skip
    Console(width=160).print(table)


def _console(stderr: bool = False) -> Console:
    """A console that does not wrap at 80 columns when piped or captured.

    Captured output is read later, often in a log, where wrapped lines only hurt.
    """
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=160)


def _root_uri(uri: str) -> str:
    return ObjectRef.parse(uri).uri


def _enrich_with_retry(info: ObjectInfo, deps: Deps, options: EnrichOptions) -> EnrichmentResult:
    """Run the core function, retrying a transient store failure with backoff (0.5 s, 2 s).

    After the last attempt the object is recorded as failed so that the scan goes on.
    """
    from worker.core.pipeline import enrich_object

    delay = 0.5
    for attempt in range(_ATTEMPTS):
        try:
            return enrich_object(info, deps, options)
        except StoreUnavailable as exc:
            if attempt + 1 < _ATTEMPTS:
                time.sleep(delay)
                delay *= 4
                continue
            failed = EnrichmentResult(
                ref=info.ref,
                status=ObjectStatus.FAILED,
                info=info,
                error=ErrorInfo(exc.kind, exc.message, retryable=True),
            )
            if options.run_id is not None:
                deps.catalog.record(options.run_id, failed)
            return failed
    raise AssertionError("unreachable")


@cli.group()
def atlan() -> None:
    """Atlan set-up and the write outbox (ATLAN_BASE_URL, ATLAN_API_KEY; atlan.* settings)."""


def _writer(ctx: click.Context) -> Any:
    from worker.bootstrap import build_catalog_writer

    settings = _settings(ctx, None)
    if not settings.atlan.enabled:
        settings = load_settings(ctx.obj.get("config_file"), atlan={"enabled": True})
    writer = build_catalog_writer(settings)
    assert writer is not None
    return writer


@atlan.command("init")
@click.pass_context
def atlan_init(ctx: click.Context) -> None:
    """Create the tags, the custom metadata set and the S3 connection where missing."""
    try:
        for line in _writer(ctx).init():
            click.echo(line)
    except EnrichmentError as exc:
        _fail(exc.message)


@atlan.command("check")
@click.pass_context
def atlan_check(ctx: click.Context) -> None:
    """Check what the API token may do in Atlan (reads only); exit 1 if anything is missing.

    One line per capability; a failed one prints one line per missing permission, naming the
    persona permission to grant and the connection.
    """
    from worker.adapters.atlan.preflight import run_preflight

    try:
        writer = _writer(ctx)
        results = run_preflight(writer, lineage=_settings(ctx, None).lineage)
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    for r in results:
        for line in r.message.splitlines() or [""]:
            click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: {line}")
    if not all(r.ok for r in results):
        sys.exit(EXIT_RUN_FAILED)


@atlan.command("flush")
@click.pass_context
def atlan_flush(ctx: click.Context) -> None:
    """Retry the writes kept in the outbox; exit 1 if some are still pending."""
    from worker.bootstrap import build_review

    try:
        writer = _writer(ctx)
        report = writer.flush()
        approvals = build_review(_settings(ctx, None), getattr(writer.state, "catalog", None))
        approvals.writer = writer
        decided = approvals.apply_approved()
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    click.echo(
        f"{report.objects} queued writes: {report.objects - report.queued} delivered, "
        f"{report.queued} still pending" + (f" ({report.error})" if report.error else "")
    )
    for uri, reason in sorted(report.rejected.items())[:20]:
        click.echo(f"  refused: {uri}: {reason}")
    if report.retry_after_s:
        click.echo(f"  Atlan asked to wait {report.retry_after_s:g} s before trying again")
    if decided.decided:
        click.echo(
            f"{len(decided.decided)} approved suggestions: {decided.applied} applied, "
            f"{len(decided.waiting)} waiting"
        )
    if report.queued:
        sys.exit(EXIT_RUN_FAILED)


@atlan.command("status")
@click.pass_context
def atlan_status(ctx: click.Context) -> None:
    """Show what waits in the outbox, and why."""
    writer = _writer(ctx)
    total, rows = writer.state.outbox_status()
    click.echo(f"{total} writes pending in the outbox")
    for uri, reason, attempts in rows:
        click.echo(f"  {uri}  ({attempts} attempts): {reason}")


@cli.command("worker")
@click.option(
    "--queues",
    default="enrich,jobs,atlan",
    show_default=True,
    help="Comma-separated queues to consume (enrich, jobs, atlan).",
)
@click.option("--concurrency", type=click.IntRange(1, 256), help="Pool processes.")
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker_cmd(ctx: click.Context, queues: str, concurrency: int | None, loglevel: str) -> None:
    """Run a Celery worker (prefork) on Redis.

    The models load once, here, before the pool processes are forked (they share them), and
    the worker asks for an Atlan flush when it starts and every celery.atlan_flush_interval_s.
    """
    from worker.tasks.app import QUEUES, make_app
    from worker.tasks.tasks import prepare_worker

    settings = _settings(ctx, None)
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if unknown:
        _fail(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(QUEUES)}")
    app = make_app(settings)
    try:
        loaded = prepare_worker(app, settings, enrich="enrich" in wanted)
    except EnrichmentError as exc:
        _fail(exc.message)
        return
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
        ]
    )


@cli.command("beat")
@click.option(
    "--schedule-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("celerybeat-schedule"),
    show_default=True,
    help="Where beat keeps the last run times.",
)
@click.pass_context
def beat_cmd(ctx: click.Context, schedule_file: Path) -> None:
    """Run the scheduler: discovery jobs from celery.schedules, and Atlan outbox flushes.

    With Atlan enabled, a flush is sent every celery.atlan_flush_interval_s (workers also ask
    for one on their own, so beat is optional for that).
    """
    from worker.tasks.app import make_app

    settings = _settings(ctx, None)
    if not settings.celery.schedules and not settings.atlan.enabled:
        _fail("no celery.schedules in the settings and Atlan is off: nothing to schedule")
    app = make_app(settings)
    app.start(["beat", "--loglevel=INFO", f"--schedule={schedule_file}"])


@cli.group()
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

    settings = _settings(ctx, None)
    ev = settings.events
    try:
        client = sqs_client_from_settings(settings)
    except EnrichmentError as exc:
        _fail(exc.message)
        return
    app = make_app(settings)

    def handle(batch: list[ObjectEvent]) -> None:
        enqueue_events(app, batch)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = SqsEventConsumer(queue_url, client, handle, wait_seconds=ev.wait_seconds)
    click.echo(f"consuming S3 events from {queue_url}", err=True)
    consumer.run(stop)


@cli.command("serve")
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the HTTP service (web.host, web.port).

    The steward review UI (/queue), its JSON API (/api/v1, bearer tokens) and the S3 event
    webhook POST /events/s3, in one process.
    """
    import uvicorn

    from worker.bootstrap import build_review
    from worker.core.s3_events import ObjectEvent
    from worker.tasks.app import enqueue_events, make_app
    from worker.web.app import create_app

    settings = _settings(ctx, None)
    celery_app = make_app(settings)
    try:
        review = build_review(settings)
        review.store.catalog.engine  # noqa: B018 - open and migrate the database before serving
    except EnrichmentError as exc:
        _fail(exc.message)
        return

    def enqueue(batch: list[ObjectEvent]) -> None:
        enqueue_events(celery_app, batch)

    secret = settings.web.webhook_secret
    app = create_app(
        secret.get_secret_value() if secret else None,
        enqueue,
        review=review,
        review_settings=settings.review,
        web_settings=settings.web,
    )
    # X-Forwarded-For/-Proto only from web.trusted_proxies (none by default, not loopback).
    trusted = list(settings.web.trusted_proxies)
    uvicorn.run(
        app,
        host=settings.web.host,
        port=settings.web.port,
        log_level="warning",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


@cli.group()
def job() -> None:
    """Bulk (re)classification jobs run by the workers: start, status, cancel, resume, list."""


def _job_store(settings: Settings) -> Any:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore

    return SqlJobStore(SqlLocalCatalog(settings.database_url))


@job.command("start")
@click.argument("uri")
@click.option(
    "--inventory",
    metavar="MANIFEST",
    help="Take the keys from an S3 Inventory manifest.json (s3:// or a path): no LIST.",
)
@click.option("--only-changed", is_flag=True, help="Skip objects whose ETag is unchanged.")
@click.option("--diff-only", is_flag=True, help="Classify and record, write nothing to Atlan.")
@click.option("--include", multiple=True, metavar="GLOB", help="Only objects matching.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip objects matching.")
@click.pass_context
def job_start(
    ctx: click.Context,
    uri: str,
    inventory: str | None,
    only_changed: bool,
    diff_only: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Start a job over every object under URI; prints the job id."""
    from worker.bootstrap import build_deps
    from worker.tasks.app import make_app
    from worker.tasks.tasks import start_job

    settings = _settings(ctx, None)
    try:
        ref = ObjectRef.parse(uri)
        deps = build_deps(settings)
        options = {
            "force": not only_changed,
            "diff_only": diff_only,
            "include": list(include),
            "exclude": list(exclude),
            "inventory": inventory,
        }
        job_id = start_job(_job_store(settings), deps, ref.uri, options)
        make_app(settings).send_task("s3e.list_page", (job_id,), queue="jobs")
    except (EnrichmentError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)))
        return
    click.echo(job_id)


def _progress_line(p: Any) -> str:
    elapsed = max(1e-6, (p.updated_at - p.created_at).total_seconds())
    rate = p.finished / elapsed
    total = p.listed if p.listing_done else None
    left = (total - p.finished) if total is not None else None
    eta = f"{left / rate:,.0f} s" if left is not None and rate > 0 else "–"
    of = f"{total:,}" if total is not None else f"{p.listed:,}+"
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(p.counts.items()))
    return (
        f"{p.id} {p.state:<9} {p.finished:,}/{of} ({counts or 'nothing yet'}) "
        f"{rate:.1f} obj/s ETA {eta} · {p.target}"
    )


@job.command("status")
@click.argument("job_id")
@click.option("--watch", is_flag=True, help="Refresh until the job is complete.")
@click.option("--interval", type=float, default=1.0, show_default=True)
@click.pass_context
def job_status(ctx: click.Context, job_id: str, watch: bool, interval: float) -> None:
    """Progress of a job: done, failed, skipped, rate, ETA."""
    settings = _settings(ctx, None)
    store = _job_store(settings)
    while True:
        p = store.progress(job_id)
        if p is None:
            _fail(f"no job {job_id!r}")
            return
        if p.complete and p.state == "running":
            store.set_state(job_id, "done")
            p = store.progress(job_id)
        click.echo(_progress_line(p))
        if not watch or p.state != "running":
            return
        time.sleep(interval)


@job.command("cancel")
@click.argument("job_id")
@click.pass_context
def job_cancel(ctx: click.Context, job_id: str) -> None:
    """Stop a job: listing stops and queued objects are skipped; `resume` continues it."""
    store = _job_store(_settings(ctx, None))
    if store.get(job_id) is None:
        _fail(f"no job {job_id!r}")
    store.set_state(job_id, "cancelled")
    click.echo(f"{job_id} cancelled")


@job.command("resume")
@click.argument("job_id")
@click.pass_context
def job_resume(ctx: click.Context, job_id: str) -> None:
    """Continue a cancelled or crashed job without redoing finished objects."""
    from worker.tasks.app import make_app

    settings = _settings(ctx, None)
    store = _job_store(settings)
    if store.get(job_id) is None:
        _fail(f"no job {job_id!r}")
    store.set_state(job_id, "running")
    make_app(settings).send_task("s3e.resume", (job_id,), queue="jobs")
    click.echo(f"{job_id} resumed")


@job.command("list")
@click.pass_context
def job_list(ctx: click.Context) -> None:
    """The newest jobs with their progress."""
    for p in _job_store(_settings(ctx, None)).list_jobs():
        click.echo(_progress_line(p))


from worker.cli.lineage import register as _register_lineage  # noqa: E402
from worker.cli.review import register as _register_review  # noqa: E402

_register_review(cli)
_register_lineage(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="enricher")


if __name__ == "__main__":
    main()
