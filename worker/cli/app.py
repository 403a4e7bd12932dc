"""The root ``enricher`` group: the global ``--config`` option and every command group.

The command modules import only click and :mod:`worker.cli.common` at module level; what a
command needs (the pipeline, pyarrow, pyatlan, Celery, FastAPI, SQLAlchemy, the models) is
imported when it runs, so ``enricher --help`` and ``enricher <group> --help`` start fast
(``bench/cli_startup.py`` measures it).
"""

from __future__ import annotations

from pathlib import Path

import click

from worker.cli.alerts import alerts
from worker.cli.ask import ask
from worker.cli.atlan import atlan
from worker.cli.audit import audit
from worker.cli.contract import contract
from worker.cli.datasets import datasets
from worker.cli.job import job
from worker.cli.lineage import lineage
from worker.cli.mcp import mcp
from worker.cli.report import report
from worker.cli.review import review
from worker.cli.run import beat_cmd, events, serve, worker_cmd
from worker.cli.scan import scan
from worker.cli.status import status
from worker.cli.train import train
from worker.cli.users import users


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


for _command in (
    scan,
    atlan,
    worker_cmd,
    beat_cmd,
    events,
    serve,
    job,
    review,
    users,
    train,
    lineage,
    datasets,
    alerts,
    audit,
    report,
    contract,
    status,
    mcp,
    ask,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point: run ``enricher`` on ``sys.argv`` (exits with its code)."""
    cli(prog_name="enricher")
