"""``enricher ask "QUESTION"``: ask the catalog in plain language (offline, deterministic).

The answer says how the question was understood, the items (datasets, tables, columns,
dashboards, review items, alerts) with why each qualifies, or, when the question is not
understood or a name is ambiguous, why and the closest readings. See ``docs/ask.md``.

Exit codes: 0 understood (even with no items), 1 the catalog could not be read, 4 not
understood (the answer is printed all the same, so scripts can tell a refusal apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import catalog_service, echo_json, format_option, print_rich

if TYPE_CHECKING:
    from worker.services.ask.service import AskAnswer

#: The exit code of a question that was not understood.
EXIT_NOT_UNDERSTOOD = 4


def _service(ctx: click.Context) -> Any:
    """The ask service on the configured catalog (errors: one-line exits)."""
    from worker.bootstrap import build_ask

    return catalog_service(ctx, _WithStore.wrap(build_ask))


class _WithStore:
    """The ask service with the ``store.catalog`` that :func:`catalog_service` closes."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.store = service.datasets

    @classmethod
    def wrap(cls, build: Any) -> Any:
        return lambda settings: cls(build(settings))


@click.command("ask")
@click.argument("question", nargs=-1, required=True)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Items to list at most (default 200, at most 5,000); the count stays exact.",
)
@format_option
@click.pass_context
def ask(
    ctx: click.Context, question: tuple[str, ...], limit: int | None, output_format: str
) -> None:
    """Ask the catalog a QUESTION in plain language (quotes optional).

    For example: "Show me all customer data flowing through S3", "What would break if I
    change the users table schema?", "Where do SSNs flow unmasked?", "How many datasets have
    IBANs?". Exit 4 when the question is not understood (the closest readings are printed).
    """
    text = " ".join(question)
    with _service(ctx) as wrapped:
        answer: AskAnswer = wrapped.service.ask(text, limit=limit)
    if output_format == "json":
        echo_json(answer.to_dict())
    else:
        _print(answer)
    if not answer.understood:
        ctx.exit(EXIT_NOT_UNDERSTOOD)


def _print(answer: AskAnswer) -> None:
    from rich.table import Table

    click.echo(answer.interpretation)
    if answer.alternatives:
        click.echo("Closest readings:")
        for alt in answer.alternatives:
            click.echo(f"  - {alt}")
    if not answer.understood:
        return
    if not answer.items:
        click.echo("No items.")
        return
    table = Table(show_lines=False)
    for name in ("kind", "uri", "why"):
        table.add_column(name, overflow="fold")
    for item in answer.items:
        table.add_row(item.kind, item.name if item.kind == "suggestion" else item.uri, item.why)
    print_rich(table)
    if answer.count is not None and answer.count > len(answer.items):
        click.echo(f"({len(answer.items)} of {answer.count} shown)")
