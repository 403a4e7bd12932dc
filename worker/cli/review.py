"""``enricher review`` and ``enricher users``: steward review from the command line.

The same operations as the review UI, through
:class:`~worker.services.review.service.ReviewService`:
list and inspect suggestions, approve or reject them (one by one or every pending suggestion a
filter selects), export the audit log, and manage the users who may decide. Decisions are
audited with the ``--as`` user's name and the address ``cli``; user changes with the actor
``cli``. A refused operation prints one line and exits 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.table import Table

from models.review import KINDS, SORTS, AuditEntry, Role, SuggestionFilter, SuggestionState, User
from worker.cli.common import catalog_service, fail, print_rich
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from models.review import SuggestionView
    from worker.services.review.service import DecisionReport, ReviewService

#: Where decisions and user changes made through the CLI come from, in the audit log.
CLI_ADDRESS = "cli"
CLI_ACTOR = "cli"
_STATES = (*(s.value for s in SuggestionState), "any")
_EXPORT_PAGE = 500

F = TypeVar("F", bound=Callable[..., Any])


def _review(ctx: click.Context) -> Any:
    """The review service on the configured catalog (errors: one-line exits)."""
    from worker.bootstrap import build_review

    return catalog_service(ctx, build_review)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "–"


def _confidence(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="What to print on standard output.",
    )(func)


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


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


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


# -- enricher review ---------------------------------------------------------------------------


@click.group()
def review() -> None:
    """Steward review: list, inspect, approve, reject and export suggestions.

    The same queue as the review UI (`enricher serve`). Decisions need `--as USER`, a
    steward or admin (`enricher users`); each is audited with that name.
    """


def _queue_table(items: tuple[SuggestionView, ...], title: str) -> Table:
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
@_format_option
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
    with _review(ctx) as service:
        page = service.store.page(f, sort=sort, offset=offset, limit=limit)
    if output_format == "json":
        _echo_json(
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


def _history(service: ReviewService, suggestion_id: int) -> list[AuditEntry]:
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
@_format_option
@click.pass_context
def review_show(ctx: click.Context, suggestion_id: int, output_format: str) -> None:
    """Show one suggestion: its masked evidence and its audit history."""
    with _review(ctx) as service:
        s = service.store.get(suggestion_id)
        history = _history(service, suggestion_id)
    if output_format == "json":
        _echo_json({"suggestion": s.to_dict(), "history": [e.to_dict() for e in history]})
        return
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
        ("first seen", _when(s.first_seen)),
        ("last seen", _when(s.last_seen)),
        ("decided by", s.decided_by or "–"),
        ("decided at", _when(s.decided_at)),
        ("decision reason", s.decision_reason or "–"),
        ("applied at", _when(s.applied_at)),
        ("apply error", s.apply_error or "–"),
        ("evidence", json.dumps(s.evidence, indent=2, sort_keys=True, ensure_ascii=False)),
    ):
        fields.add_row(name, value)
    print_rich(fields)
    table = Table(title="history")
    for name in ("at", "actor", "action", "change", "reason", "address"):
        table.add_column(name, overflow="fold")
    for e in history:
        table.add_row(_when(e.at), e.actor, e.action, _change(e), e.detail or "–", e.address or "–")
    if history:
        print_rich(table)
    else:
        click.echo("no history")


def _decider(service: ReviewService, name: str) -> User:
    user = service.users.get(name)
    if user is None:
        fail(f"no user {name!r} (see `enricher users list`)")
    if not user.active:
        fail(f"user {name!r} is disabled")
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
        fail("a rejection needs a reason (--reason)")
    report: DecisionReport
    with _review(ctx) as service:
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
                fail(f"no pending suggestion matches: {f.describe()}")
            plural = "s" if n != 1 else ""
            if not yes:
                click.echo(f"would {verb} {n} suggestion{plural} matching: {f.describe()}")
                if not click.confirm(f"{verb.capitalize()} them?", default=False):
                    fail("cancelled: nothing decided")
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


def _all_suggestions(service: ReviewService, since: datetime | None) -> Iterator[SuggestionView]:
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
    with _review(ctx) as service:
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
        fail(f"cannot write {output}: {exc.strerror}")
    noun = "audit entries" if what == "audit" else "suggestions"
    click.echo(f"wrote {count} {noun} to {output}", err=True)


# -- enricher users ----------------------------------------------------------------------------


@click.group()
def users() -> None:
    """Users of the review UI and API: viewers look, stewards decide, admins manage users.

    Users added here live in the catalog database; users declared in the settings file
    (review.users, with hashes from `enricher users hash`) are changed there.
    """


_ROLE = click.Choice([r.value for r in Role])


@users.command("add")
@click.argument("name")
@click.option("--role", type=_ROLE, required=True, help="viewer, steward or admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user to the database (asks for the password twice, hidden)."""
    password = _read_password(password_stdin)
    with _review(ctx) as service:
        user = service.users.add(name, Role(role), password, actor=CLI_ACTOR)
    click.echo(f"user {user.name} added ({user.role.value})")


@users.command("list")
@_format_option
@click.pass_context
def users_list(ctx: click.Context, output_format: str) -> None:
    """List the users: database ones, then those only in the settings file."""
    with _review(ctx) as service:
        found = service.users.users()
    if output_format == "json":
        _echo_json(
            [
                {"name": u.name, "role": u.role.value, "active": u.active, "source": u.source}
                for u in found
            ]
        )
        return
    table = Table(title="users")
    for name in ("name", "role", "active", "source"):
        table.add_column(name, overflow="fold")
    for u in found:
        table.add_row(u.name, u.role.value, "yes" if u.active else "no", u.source)
    print_rich(table)


@users.command("set")
@click.argument("name")
@click.option("--role", type=_ROLE, help="The new role.")
@click.option(
    "--enable/--disable",
    "active",
    default=None,
    help="Allow or stop logins (disabling ends the user's sessions and revokes their tokens).",
)
@click.option(
    "--password",
    "prompt_password",
    is_flag=True,
    help="Set a new password (asks twice, hidden).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Set a new password read from the first line of standard input.",
)
@click.pass_context
def users_set(
    ctx: click.Context,
    name: str,
    role: str | None,
    active: bool | None,
    prompt_password: bool,
    password_stdin: bool,
) -> None:
    """Change a database user's role, active flag or password."""
    if role is None and active is None and not prompt_password and not password_stdin:
        raise click.UsageError("nothing to change: give --role, --enable/--disable or --password")
    with _review(ctx) as service:
        known = service.users.get(name)
        if known is None:
            fail(f"no user {name!r}")
        if known.source != "database":
            fail(f"user {name!r} is declared in the settings file (review.users): change it there")
        password = (
            _read_password(password_stdin, "New password")
            if prompt_password or password_stdin
            else None
        )
        user = service.users.update(
            name,
            CLI_ACTOR,
            role=Role(role) if role is not None else None,
            active=active,
            password=password,
        )
    state = "active" if user.active else "disabled"
    changed = " (password changed)" if password is not None else ""
    click.echo(f"user {user.name}: {user.role.value}, {state}{changed}")
    if password is not None or active is False:
        click.echo("their sessions ended and their API tokens were revoked", err=True)


@users.command("token")
@click.argument("name")
@click.option(
    "--label",
    default=None,
    help="What the token is for (listed, and shown in the audit log)  [default: cli]",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="A token that may only read (GET); without it, the user's role decides.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Days until the token expires  [default: review.token_days, 90]",
)
@click.option("--list", "list_tokens", is_flag=True, help="List NAME's tokens instead.")
@click.option(
    "--revoke",
    "revoke_ids",
    metavar="ID",
    multiple=True,
    help="Revoke NAME's token with this id (from --list); repeatable.",
)
@click.option("--revoke-all", is_flag=True, help="Revoke all of NAME's tokens.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="With --list: what to print on standard output.",
)
@click.pass_context
def users_token(
    ctx: click.Context,
    name: str,
    label: str | None,
    read_only: bool,
    days: int | None,
    list_tokens: bool,
    revoke_ids: tuple[str, ...],
    revoke_all: bool,
    output_format: str,
) -> None:
    """Create an API bearer token for NAME and print it (only this once); or list or revoke.

    Tokens expire (review.token_days, 90 by default) and are revoked when NAME's password
    changes or NAME is disabled. A --read-only token may only read.
    """
    actions = sum((list_tokens, bool(revoke_ids), revoke_all))
    if actions > 1:
        raise click.UsageError("give one of --list, --revoke and --revoke-all")
    if actions and (label is not None or read_only or days is not None):
        raise click.UsageError("--label, --read-only and --days are for creating a token")
    if not actions and output_format != "table":
        raise click.UsageError("--format is for --list")
    with _review(ctx) as service:
        if service.users.get(name) is None:
            fail(f"no user {name!r} (see `enricher users list`)")
        if list_tokens:
            _print_tokens(service.users.tokens(name), name, output_format)
            return
        if revoke_ids or revoke_all:
            count = service.users.revoke_tokens(
                name, list(revoke_ids) if revoke_ids else None, actor=CLI_ACTOR
            )
            click.echo(f"{count} API token{'s' if count != 1 else ''} of {name} revoked")
            return
        token = service.users.create_token(
            name,
            label if label is not None else "cli",
            actor=CLI_ACTOR,
            scope="read" if read_only else "write",
            days=days,
        )
        from worker.adapters.catalog.users import token_id

        made = next(t for t in service.users.tokens(name) if t.id == token_id(token))
    click.echo(token)
    click.echo(
        f"token {made.id} ({made.scope}) expires {_when(made.expires_at)}; store it now: only "
        "its hash is kept (send it as Authorization: Bearer <token>)",
        err=True,
    )


def _print_tokens(found: list[Any], name: str, output_format: str) -> None:
    if output_format == "json":
        _echo_json([t.to_dict() for t in found])
        return
    if not found:
        click.echo(f"{name} has no API tokens")
        return
    table = Table(title=f"API tokens of {name}")
    for column in ("id", "label", "scope", "state", "created", "expires", "last used"):
        table.add_column(column, overflow="fold")
    for t in found:
        table.add_row(
            t.id,
            t.label,
            t.scope,
            t.state(),
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at),
        )
    print_rich(table)


@users.command("hash")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
def users_hash(password_stdin: bool) -> None:
    """Print an argon2 hash of a password, for review.users in the settings file."""
    from worker.adapters.catalog.users import hash_password

    password = _read_password(password_stdin)
    try:
        click.echo(hash_password(password))
    except EnrichmentError as exc:
        fail(exc.message)


@click.group()
def train() -> None:
    """Retraining the business models from stewards' decisions."""


@train.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout (then: make train STEWARD_EXAMPLES=<file>).",
)
@click.pass_context
def train_export(ctx: click.Context, output: Path | None) -> None:
    """Export decided term and category suggestions as labelled examples (JSON Lines).

    Approvals become training examples of their business type or category; rejections are
    exported for the record. Features are value-free (shares, name tokens, magnitudes).
    """
    from worker.services.review.examples import export_jsonl

    with _review(ctx) as service:
        text, count = export_jsonl(service.store)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    click.echo(f"{count} steward examples exported", err=True)


def register(cli: click.Group) -> None:
    """Add the ``review``, ``users`` and ``train`` groups to the ``enricher`` command line."""
    cli.add_command(review)
    cli.add_command(users)
    cli.add_command(train)
