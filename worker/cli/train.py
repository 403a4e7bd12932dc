"""``enricher train ...``: training material for the business models from stewards' decisions."""

from __future__ import annotations

from pathlib import Path

import click

from worker.cli.common import review_service


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

    with review_service(ctx) as service:
        text, count = export_jsonl(service.store)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    click.echo(f"{count} steward examples exported", err=True)
