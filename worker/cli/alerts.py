"""``enricher alerts ...``: list, acknowledge and resolve alerts from the command line.

The same alerts as the web UI's Alerts page, through
:class:`~worker.services.alerts.service.AlertService` on the configured local catalog.
Acknowledging and resolving record who did it: ``--actor``, else the OS user. A refused
operation (no such alert, already resolved) prints one line and exits 1.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import (
    EnricherCliError,
    echo_json,
    format_option,
    iso_time,
    load_cli_settings,
    print_rich,
)
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from models.datasets import Alert
    from worker.core.settings import Settings
    from worker.services.alerts.service import AlertService

# The enums' values, spelled out: importing models.datasets here costs ~20 ms of every
# `enricher --help` (tests/unit/test_alerts_cli.py checks they match).
STATES = ("open", "acknowledged", "resolved", "any")
SEVERITIES = ("info", "warning", "critical")
KINDS = (
    "schema_drift",
    "lineage_drift",
    "row_count",
    "bytes",
    "freshness",
    "null_share",
    "new_pii",
    "contract",
)


def build_alert_service(settings: Settings) -> tuple[AlertService, Any]:
    """The alert service on the configured catalog, and the catalog to close afterwards.

    :raises ConfigError: a channel's settings are invalid (a plain-http webhook URL).
    """
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_alerts

    catalog = SqlLocalCatalog(settings.database_url)
    return build_alerts(settings, catalog), catalog


@contextmanager
def alert_service(ctx: click.Context) -> Iterator[AlertService]:
    """The alert service for one command; refusals become one-line exits (code 1)."""
    settings = load_cli_settings(ctx)
    try:
        service, catalog = build_alert_service(settings)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    try:
        yield service
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    finally:
        engine = getattr(catalog, "_engine", None)
        if engine is not None:
            engine.dispose()


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container with a bare uid)
        return "cli"


@click.group()
def alerts() -> None:
    """Alerts: schema and lineage drift, anomalies, new PII (list, ack, resolve).

    Alerts are raised by scans, stored once per finding and delivered to the webhook and
    Atlan as configured (`alerts.*` settings); see docs/alerts.md.
    """


@alerts.command("list")
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="open",
    show_default=True,
    help="Only alerts in this state (any: every state).",
)
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only this severity.")
@click.option("--dataset", metavar="URI", help="Only this dataset (s3://bucket/root/).")
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind of alert.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=200,
    show_default=True,
    help="At most this many (newest last seen first).",
)
@format_option
@click.pass_context
def alerts_list(
    ctx: click.Context,
    state: str,
    severity: str | None,
    dataset: str | None,
    kind: str | None,
    limit: int,
    output_format: str,
) -> None:
    """List alerts, newest first (open ones by default)."""
    from models.datasets import AlertKind, AlertState, Severity

    with alert_service(ctx) as service:
        found = service.list(
            state=None if state == "any" else AlertState(state),
            severity=Severity(severity) if severity else None,
            dataset_uri=dataset,
            kind=AlertKind(kind) if kind else None,
            limit=limit,
        )
    if output_format == "json":
        echo_json([a.to_dict() for a in found])
        return
    if not found:
        click.echo(f"no {'' if state == 'any' else state + ' '}alerts")
        return
    print_rich(_table(found))
    click.echo(f"{len(found)} alert{'s' if len(found) != 1 else ''}")


def _table(found: list[Alert]) -> Any:
    from rich.table import Table

    table = Table(title="alerts")
    for name in ("id", "severity", "kind", "dataset", "subject", "message", "state", "seen"):
        table.add_column(name, overflow="fold", justify="right" if name == "id" else "left")
    for a in found:
        seen = f"{iso_time(a.last_seen)} ({a.occurrences}×)"
        state = a.state.value + (f" by {a.actor}" if a.actor else "")
        table.add_row(
            str(a.id),
            a.severity.value,
            a.kind.value,
            a.dataset_uri,
            a.subject or "–",
            a.message,
            state,
            seen,
        )
    return table


def _act_options(func: Any) -> Any:
    for option in reversed(
        [
            click.argument("alert_id", metavar="ID", type=click.IntRange(1)),
            click.option("--note", metavar="TEXT", help="Why, or what is being done (kept)."),
            click.option(
                "--actor",
                metavar="NAME",
                help="Who does it (default: the OS user).",
            ),
            format_option,
        ]
    ):
        func = option(func)
    return func


def _show(alert: Alert, output_format: str, verb: str) -> None:
    if output_format == "json":
        echo_json(alert.to_dict())
        return
    note = f": {json.dumps(alert.note, ensure_ascii=False)}" if alert.note else ""
    click.echo(f"alert {alert.id} {verb} by {alert.actor}{note}")


@alerts.command("ack")
@_act_options
@click.pass_context
def alerts_ack(
    ctx: click.Context, alert_id: int, note: str | None, actor: str | None, output_format: str
) -> None:
    """Acknowledge an open alert: someone is on it (it is not delivered again)."""
    with alert_service(ctx) as service:
        alert = service.acknowledge(alert_id, actor or _default_actor(), note)
    _show(alert, output_format, "acknowledged")


@alerts.command("resolve")
@_act_options
@click.pass_context
def alerts_resolve(
    ctx: click.Context, alert_id: int, note: str | None, actor: str | None, output_format: str
) -> None:
    """Resolve an open or acknowledged alert (if it fires again, it opens anew)."""
    with alert_service(ctx) as service:
        alert = service.resolve(alert_id, actor or _default_actor(), note)
    _show(alert, output_format, "resolved")
