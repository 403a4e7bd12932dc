"""``enricher review ...``: steward review from the command line.

The same operations as the review UI, through
:class:`~worker.services.review.service.ReviewService`: list and inspect suggestions, approve
or reject them (one by one or every pending suggestion a filter selects), and export the audit
log. Decisions are audited with the ``--as`` user's name and the address ``cli``. A refused
operation prints one line and exits 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from models.review import KINDS, SORTS, AuditEntry, Role, SuggestionFilter, SuggestionState, User
from worker.cli.common import (
    EnricherCliError,
    F,
    echo_json,
    format_option,
    iso_time,
    print_rich,
    review_service,
)

if TYPE_CHECKING:
    from rich.table import Table

    from models.review import SuggestionView
    from worker.bootstrap import SqlReviewService
    from worker.services.review.service import DecisionReport

#: Where decisions made through the CLI come from, in the audit log.
CLI_ADDRESS = "cli"
_STATES = (*(s.value for s in SuggestionState), "any")
_EXPORT_PAGE = 500


def _confidence(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def _filter_options(func: F) -> F:
    """The queue filters of the review UI, as options (applied bottom-up: listed in order)."""
    options = [
        click.option("--kind", type=click.Choice(KINDS), help="Only this kind of suggestion."),
        click.option("--entity", metavar="ENTITY", help="Only this entity (EMAIL_ADDRESS ...)."),
        click.option("--tag", metavar="NAME", help="Only this tag, term or category name."),
        click.option(
            "--uri",
            "uri_pattern",
            metavar="PATTERN",
            help="Object URIs matching this glob (s3://lake/exports/*), or starting with it.",
        ),
        click.option(
            "--min-confidence",
            type=click.FloatRange(0, 1),
            help="Only suggestions at least this confident (0-1).",
        ),
        click.option(
            "--max-confidence",
            type=click.FloatRange(0, 1),
            help="Only suggestions at most this confident (0-1).",
        ),
        click.option(
            "--classifier-version",
            metavar="NAME=VERSION",
            help="Only suggestions from this classifier version (pii=1.2.0).",
        ),
        click.option("--object", "object_uri", metavar="URI", help="Only this object (exact URI)."),
        click.option("--column", metavar="NAME", help="Only this column."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filter(state: SuggestionState | None, **values: Any) -> SuggestionFilter:
    return SuggestionFilter(
        state=state,
        kind=values.get("kind"),
        entity=values.get("entity"),
        tag=values.get("tag"),
        uri_pattern=values.get("uri_pattern"),
        min_confidence=values.get("min_confidence"),
        max_confidence=values.get("max_confidence"),
        classifier_version=values.get("classifier_version"),
        object_uri=values.get("object_uri"),
        column=values.get("column"),
    )


def _has_filter(values: dict[str, Any]) -> bool:
    return any(v is not None and v != "" for v in values.values())


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or date-time (2024-05-01, 2024-05-01T12:00:00Z)",
            param_hint="'--since'",
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@click.group()
def review() -> None:
    """Steward review: list, inspect, approve, reject and export suggestions.

    The same queue as the review UI (`enricher serve`). Decisions need `--as USER`, a
    steward or admin (`enricher users`); each is audited with that name.
    """


def _queue_table(items: tuple[SuggestionView, ...], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for name in ("id", "object", "column", "kind", "tag", "confidence", "state", "reason"):
        justify: Any = "right" if name in ("id", "confidence") else "left"
        table.add_column(name, overflow="fold", justify=justify)
    for s in items:
        table.add_row(
            str(s.id),
            s.object_uri,
            s.column or "–",
            s.kind,
            s.tag,
            _confidence(s.confidence),
            s.state.value,
            s.reason,
        )
    return table


@review.command("list")
@click.option(
    "--state",
    type=click.Choice(_STATES),
    default=SuggestionState.PENDING.value,
    show_default=True,
    help="Only suggestions in this state (any: every state).",
)
@_filter_options
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default=SORTS[0],
    show_default=True,
    help="Order (a leading - is descending).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    default=50,
    show_default=True,
    help="At most this many suggestions.",
)
@click.option(
    "--offset",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Skip this many first (paging).",
)
@format_option
@click.pass_context
def review_list(
    ctx: click.Context,
    /,
    state: str,
    sort: str,
    limit: int,
    offset: int,
    output_format: str,
    **filters: Any,
) -> None:
    """List suggestions with the review UI's filters (pending ones by default)."""
    f = _filter(None if state == "any" else SuggestionState(state), **filters)
    with review_service(ctx) as service:
        page = service.store.page(f, sort=sort, offset=offset, limit=limit)
    if output_format == "json":
        echo_json(
            {
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "filter": f.to_dict(),
                "items": [s.to_dict() for s in page.items],
            }
        )
        return
    if not page.items:
        click.echo(f"no suggestions here ({page.total} match: {f.describe() or 'all'})")
        return
    print_rich(_queue_table(page.items, f"suggestions ({f.describe() or 'all'})"))
    first, last = page.offset + 1, page.offset + len(page.items)
    click.echo(f"{first}-{last} of {page.total}")


def _history(service: SqlReviewService, suggestion_id: int) -> list[AuditEntry]:
    """Every audit entry about one suggestion, oldest first (bulk decisions included)."""
    target = f"suggestion {suggestion_id}"
    own = [
        e
        for e in service.store.audit_entries(target_prefix=target, limit=None)
        # the prefix "suggestion 1" also matches "suggestion 12"
        if e.target == target
    ]
    bulk = [
        e
        for e in service.store.audit_entries(action_prefix="bulk.", limit=None)
        if suggestion_id in ((e.before or {}).get("ids") or [])
    ]
    return sorted(own + bulk, key=lambda e: e.id)


def _change(entry: AuditEntry) -> str:
    before = (entry.before or {}).get("state")
    after = (entry.after or {}).get("state")
    if before is None and after is None:
        return "–"
    return f"{before or '–'} → {after or '–'}"


@review.command("show")
@click.argument("suggestion_id", metavar="ID", type=int)
@format_option
@click.pass_context
def review_show(ctx: click.Context, suggestion_id: int, output_format: str) -> None:
    """Show one suggestion: its masked evidence and its audit history."""
    with review_service(ctx) as service:
        s = service.store.get(suggestion_id)
        history = _history(service, suggestion_id)
    if output_format == "json":
        echo_json({"suggestion": s.to_dict(), "history": [e.to_dict() for e in history]})
        return
    from rich.table import Table

    fields = Table(title=f"suggestion {s.id}", show_header=False)
    fields.add_column("field", style="bold")
    fields.add_column("value", overflow="fold")
    for name, value in (
        ("object", s.object_uri),
        ("qualified name", s.qualified_name or "–"),
        ("column", s.column or "–"),
        ("kind", s.kind),
        ("tag", s.tag),
        ("entity", s.entity or "–"),
        ("confidence", _confidence(s.confidence)),
        ("reason", s.reason),
        ("classifier", s.classifier_version or "–"),
        ("state", s.state.value),
        ("first seen", iso_time(s.first_seen)),
        ("last seen", iso_time(s.last_seen)),
        ("decided by", s.decided_by or "–"),
        ("decided at", iso_time(s.decided_at)),
        ("decision reason", s.decision_reason or "–"),
        ("applied at", iso_time(s.applied_at)),
        ("apply error", s.apply_error or "–"),
        ("evidence", json.dumps(s.evidence, indent=2, sort_keys=True, ensure_ascii=False)),
    ):
        fields.add_row(name, value)
    print_rich(fields)
    table = Table(title="history")
    for name in ("at", "actor", "action", "change", "reason", "address"):
        table.add_column(name, overflow="fold")
    for e in history:
        table.add_row(
            iso_time(e.at), e.actor, e.action, _change(e), e.detail or "–", e.address or "–"
        )
    if history:
        print_rich(table)
    else:
        click.echo("no history")


def _decider(service: SqlReviewService, name: str) -> User:
    user = service.users.get(name)
    if user is None:
        raise EnricherCliError(f"no user {name!r} (see `enricher users list`)")
    if not user.active:
        raise EnricherCliError(f"user {name!r} is disabled")
    return user


def _decide(
    ctx: click.Context,
    approve: bool,
    ids: tuple[int, ...],
    all_matching: bool,
    reason: str | None,
    actor: str,
    yes: bool,
    filters: dict[str, Any],
) -> None:
    verb = "approve" if approve else "reject"
    if all_matching and ids:
        raise click.UsageError("give suggestion IDs or --all-matching, not both")
    if not all_matching and not ids:
        raise click.UsageError(f"give the IDs to {verb}, or --all-matching with filters")
    if not all_matching and _has_filter(filters):
        raise click.UsageError("filters apply only with --all-matching")
    if not approve and not (reason or "").strip():
        raise EnricherCliError("a rejection needs a reason (--reason)")
    report: DecisionReport
    with review_service(ctx) as service:
        user = _decider(service, actor)
        if not all_matching:
            if approve:
                report = service.approve(user, ids, reason, address=CLI_ADDRESS)
            else:
                report = service.reject(user, ids, reason or "", address=CLI_ADDRESS)
        else:
            # Refuse a viewer before asking anything.
            service.require(user, Role.STEWARD)
            f = _filter(SuggestionState.PENDING, **filters)
            n = service.store.count(f)
            if n == 0:
                raise EnricherCliError(f"no pending suggestion matches: {f.describe()}")
            plural = "s" if n != 1 else ""
            if not yes:
                click.echo(f"would {verb} {n} suggestion{plural} matching: {f.describe()}")
                if not click.confirm(f"{verb.capitalize()} them?", default=False):
                    raise EnricherCliError("cancelled: nothing decided")
            report = service.bulk(user, f, approve, reason, expected=n, address=CLI_ADDRESS)
    click.echo(report.summary())
    for sid, why in sorted(report.waiting.items())[:20]:
        click.echo(f"  waiting: suggestion {sid}: {why}", err=True)


def _decision_options(func: F) -> F:
    options = [
        click.argument("ids", metavar="[ID]...", nargs=-1, type=int),
        click.option(
            "--all-matching",
            is_flag=True,
            help="Decide every pending suggestion the filter options select.",
        ),
        _filter_options,
        click.option(
            "--as",
            "actor",
            required=True,
            metavar="USER",
            help="Who decides: an active steward or admin (recorded in the audit log).",
        ),
        click.option(
            "--yes", "-y", is_flag=True, help="With --all-matching: do not ask for confirmation."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@review.command("approve")
@_decision_options
@click.option("--reason", metavar="TEXT", help="Why (optional; kept in the audit log).")
@click.pass_context
def review_approve(
    ctx: click.Context,
    /,
    ids: tuple[int, ...],
    all_matching: bool,
    actor: str,
    yes: bool,
    reason: str | None,
    **filters: Any,
) -> None:
    """Approve pending suggestions by ID, or every one matching the filters (--all-matching).

    With Atlan enabled, an approval is written to Atlan right away; if Atlan is down it stays
    approved and `enricher atlan flush` delivers it. Local objects are final at once.
    """
    _decide(ctx, True, ids, all_matching, reason, actor, yes, filters)


@review.command("reject")
@_decision_options
@click.option("--reason", metavar="TEXT", help="Why (required; kept in the audit log).")
@click.pass_context
def review_reject(
    ctx: click.Context,
    /,
    ids: tuple[int, ...],
    all_matching: bool,
    actor: str,
    yes: bool,
    reason: str | None,
    **filters: Any,
) -> None:
    """Reject pending suggestions by ID, or every one matching the filters (--all-matching).

    A rejected suggestion is not suggested again unless its evidence changes materially.
    """
    _decide(ctx, False, ids, all_matching, reason, actor, yes, filters)


SUGGESTION_FIELDS = (
    "id",
    "object_uri",
    "qualified_name",
    "kind",
    "tag",
    "entity",
    "column",
    "confidence",
    "reason",
    "evidence",
    "classifier_version",
    "state",
    "first_seen",
    "last_seen",
    "decided_by",
    "decided_at",
    "decision_reason",
    "applied_at",
    "apply_error",
)


def _all_suggestions(service: SqlReviewService, since: datetime | None) -> Iterator[SuggestionView]:
    f = SuggestionFilter(state=None)
    offset = 0
    while True:
        page = service.store.page(f, sort="object", offset=offset, limit=_EXPORT_PAGE)
        for s in page.items:
            if since is None or s.last_seen >= since:
                yield s
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def _suggestions_csv(items: list[SuggestionView]) -> str:
    from worker.adapters.catalog.review_store import csv_rows

    rows = []
    for s in items:
        d = s.to_dict()
        d["evidence"] = json.dumps(d["evidence"], sort_keys=True, ensure_ascii=False)
        rows.append([d[k] for k in SUGGESTION_FIELDS])
    return csv_rows(SUGGESTION_FIELDS, rows)


@review.command("export")
@click.option(
    "--what",
    type=click.Choice(["audit", "suggestions"]),
    default="audit",
    show_default=True,
    help="The audit log, or every suggestion in every state.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="CSV (before/after and evidence as JSON text) or a JSON array.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--since",
    metavar="ISO-DATE",
    help="Only audit entries from then on (suggestions: seen since then); UTC unless a "
    "zone is given.",
)
@click.pass_context
def review_export(
    ctx: click.Context,
    what: str,
    output_format: str,
    output: Path | None,
    since: str | None,
) -> None:
    """Export the audit log (default) or all suggestions, as CSV or JSON."""
    from worker.adapters.catalog.review_store import audit_csv, audit_json

    start = _parse_since(since)
    with review_service(ctx) as service:
        if what == "audit":
            entries = list(service.store.iter_audit(start))
            count = len(entries)
            text = audit_csv(entries) if output_format == "csv" else audit_json(entries)
        else:
            items = list(_all_suggestions(service, start))
            count = len(items)
            if output_format == "csv":
                text = _suggestions_csv(items)
            else:
                text = json.dumps([s.to_dict() for s in items], indent=2, ensure_ascii=False)
    if output_format == "json":
        text += "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise EnricherCliError(f"cannot write {output}: {exc.strerror}") from exc
    noun = "audit entries" if what == "audit" else "suggestions"
    click.echo(f"wrote {count} {noun} to {output}", err=True)
