"""``enricher atlan ...``: Atlan set-up, the permission check and the write outbox.

``check`` and ``flush`` exit 1 after their own report when something is missing or pending.
"""

from __future__ import annotations

from typing import Any

import click

from worker.cli.common import EnricherCliError, load_cli_settings
from worker.core.errors import EnrichmentError


@click.group()
def atlan() -> None:
    """Atlan set-up and the write outbox (ATLAN_BASE_URL, ATLAN_API_KEY; atlan.* settings)."""


def _writer(ctx: click.Context) -> Any:
    """The Atlan catalog writer, with Atlan enabled even if the settings leave it off.

    :raises EnrichmentError: from building the writer (Atlan unreachable, bad credentials).
    """
    from worker.bootstrap import build_catalog_writer
    from worker.core.settings import load_settings

    settings = load_cli_settings(ctx)
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
        raise EnricherCliError(exc.message) from exc


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
        results = run_preflight(writer, lineage=load_cli_settings(ctx).lineage)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    for r in results:
        for line in r.message.splitlines() or [""]:
            click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: {line}")
    if not all(r.ok for r in results):
        raise EnricherCliError()  # the FAIL lines above say what is missing


@atlan.command("flush")
@click.pass_context
def atlan_flush(ctx: click.Context) -> None:
    """Retry the writes kept in the outbox; exit 1 if some are still pending."""
    from worker.bootstrap import build_review

    try:
        writer = _writer(ctx)
        report = writer.flush()
        approvals = build_review(load_cli_settings(ctx), getattr(writer.state, "catalog", None))
        approvals.writer = writer
        decided = approvals.apply_approved()
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
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
        raise EnricherCliError()  # the line above says how many are still pending


@atlan.command("status")
@click.pass_context
def atlan_status(ctx: click.Context) -> None:
    """Show what waits in the outbox, and why."""
    try:
        writer = _writer(ctx)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    total, rows = writer.state.outbox_status()
    click.echo(f"{total} writes pending in the outbox")
    for uri, reason, attempts in rows:
        click.echo(f"  {uri}  ({attempts} attempts): {reason}")
