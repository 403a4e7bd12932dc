"""``enricher users ...``: the users of the review UI and API, and their API tokens.

User changes are audited with the actor ``cli``. A refused operation prints one line and
exits 1.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from models.review import Role
from worker.cli.common import (
    EnricherCliError,
    echo_json,
    format_option,
    iso_time,
    print_rich,
    review_service,
)
from worker.core.errors import EnrichmentError

#: Who made user changes through the CLI, in the audit log.
CLI_ACTOR = "cli"


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


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
    with review_service(ctx) as service:
        user = service.users.add(name, Role(role), password, actor=CLI_ACTOR)
    click.echo(f"user {user.name} added ({user.role.value})")


@users.command("list")
@format_option
@click.pass_context
def users_list(ctx: click.Context, output_format: str) -> None:
    """List the users: database ones, then those only in the settings file."""
    with review_service(ctx) as service:
        found = service.users.users()
    if output_format == "json":
        echo_json(
            [
                {"name": u.name, "role": u.role.value, "active": u.active, "source": u.source}
                for u in found
            ]
        )
        return
    from rich.table import Table

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
    with review_service(ctx) as service:
        known = service.users.get(name)
        if known is None:
            raise EnricherCliError(f"no user {name!r}")
        if known.source != "database":
            raise EnricherCliError(
                f"user {name!r} is declared in the settings file (review.users): change it there"
            )
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
@click.option(
    "--lineage-only",
    is_flag=True,
    help="The token may only post OpenLineage events (POST /api/v1/lineage).",
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
    lineage_only: bool,
    list_tokens: bool,
    revoke_ids: tuple[str, ...],
    revoke_all: bool,
    output_format: str,
) -> None:
    """Create an API bearer token for NAME and print it (only this once); or list or revoke.

    Tokens expire (review.token_days, 90 by default) and are revoked when NAME's password
    changes or NAME is disabled. A --read-only token may only read; a --lineage-only token may
    only post OpenLineage run events (for an ETL job's OpenLineage HTTP transport).
    """
    actions = sum((list_tokens, bool(revoke_ids), revoke_all))
    if actions > 1:
        raise click.UsageError("give one of --list, --revoke and --revoke-all")
    if actions and (label is not None or read_only or lineage_only or days is not None):
        raise click.UsageError(
            "--label, --read-only, --lineage-only and --days are for creating a token"
        )
    if read_only and lineage_only:
        raise click.UsageError("give one of --read-only and --lineage-only")
    if not actions and output_format != "table":
        raise click.UsageError("--format is for --list")
    with review_service(ctx) as service:
        if service.users.get(name) is None:
            raise EnricherCliError(f"no user {name!r} (see `enricher users list`)")
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
            scope="lineage" if lineage_only else "read" if read_only else "write",
            days=days,
        )
        from worker.adapters.catalog.users import token_id

        made = next(t for t in service.users.tokens(name) if t.id == token_id(token))
    click.echo(token)
    click.echo(
        f"token {made.id} ({made.scope}) expires {iso_time(made.expires_at)}; store it now: only "
        "its hash is kept (send it as Authorization: Bearer <token>)",
        err=True,
    )


def _print_tokens(found: list[Any], name: str, output_format: str) -> None:
    if output_format == "json":
        echo_json([t.to_dict() for t in found])
        return
    if not found:
        click.echo(f"{name} has no API tokens")
        return
    from rich.table import Table

    table = Table(title=f"API tokens of {name}")
    for column in ("id", "label", "scope", "state", "created", "expires", "last used"):
        table.add_column(column, overflow="fold")
    for t in found:
        table.add_row(
            t.id,
            t.label,
            t.scope,
            t.state(),
            iso_time(t.created_at),
            iso_time(t.expires_at),
            iso_time(t.last_used_at),
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
        raise EnricherCliError(exc.message) from exc
