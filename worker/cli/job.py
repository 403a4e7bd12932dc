"""``enricher job ...``: bulk (re)classification jobs that the Celery workers run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import EnricherCliError, load_cli_settings
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from worker.core.settings import Settings
    from worker.services.jobs.service import JobService


@click.group()
def job() -> None:
    """Bulk (re)classification jobs run by the workers: start, status, cancel, resume, list."""


def _jobs(settings: Settings) -> JobService:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.job_store import SqlJobStore
    from worker.services.jobs.service import JobService

    catalog = SqlLocalCatalog(settings.database_url)
    return JobService(SqlJobStore(catalog), catalog)


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
    from models import ObjectRef
    from models.jobs import JobOptions
    from worker.tasks.app import make_app

    settings = load_cli_settings(ctx)
    try:
        ref = ObjectRef.parse(uri)
        options = JobOptions(
            force=not only_changed,
            diff_only=diff_only,
            include=include,
            exclude=exclude,
            inventory=inventory,
        )
        job_id = _jobs(settings).start(ref.uri, options)
        make_app(settings).send_task("s3e.list_page", (job_id,), queue="jobs")
    except (EnrichmentError, ValueError) as exc:
        raise EnricherCliError(getattr(exc, "message", str(exc))) from exc
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
    settings = load_cli_settings(ctx)
    jobs = _jobs(settings)
    while True:
        p = jobs.progress(job_id)  # a complete running job becomes done here
        if p is None:
            raise EnricherCliError(f"no job {job_id!r}")
        click.echo(_progress_line(p))
        if not watch or p.state != "running":
            return
        time.sleep(interval)


@job.command("cancel")
@click.argument("job_id")
@click.pass_context
def job_cancel(ctx: click.Context, job_id: str) -> None:
    """Stop a job: listing stops and queued objects are skipped; `resume` continues it."""
    if not _jobs(load_cli_settings(ctx)).cancel(job_id):
        raise EnricherCliError(f"no job {job_id!r}")
    click.echo(f"{job_id} cancelled")


@job.command("resume")
@click.argument("job_id")
@click.pass_context
def job_resume(ctx: click.Context, job_id: str) -> None:
    """Continue a cancelled or crashed job without redoing finished objects."""
    from worker.tasks.app import make_app

    settings = load_cli_settings(ctx)
    if _jobs(settings).reopen(job_id) is None:
        raise EnricherCliError(f"no job {job_id!r}")
    make_app(settings).send_task("s3e.resume", (job_id,), queue="jobs")
    click.echo(f"{job_id} resumed")


@job.command("list")
@click.pass_context
def job_list(ctx: click.Context) -> None:
    """The newest jobs with their progress."""
    for p in _jobs(load_cli_settings(ctx)).list_jobs():
        click.echo(_progress_line(p))
