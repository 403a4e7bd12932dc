"""``enricher contract init|check|publish``: data contracts (ODCS v3) from scans, to Atlan.

``init`` writes a starting contract for a scanned dataset (schema, PII, category, quality
bounds and freshness as observed, the owner to fill in); ``check`` checks the latest scan of
every dataset that has a contract in the folder (``--contracts``, else ``contracts.dir``).
Exit codes: 0 no violation, 3 violations found (each printed and raised as an alert of kind
``contract``), 1 the check could not run (no folder, an invalid contract file, no catalog).
``publish`` puts each contract of the folder on its dataset's Atlan asset: exit 0 when every
one is there, 3 when some were not published (each with its reason), 1 when Atlan is not
enabled, unavailable or refuses the key. See ``docs/contracts.md``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import (
    EnricherCliError,
    PartialFailure,
    dataset_name,
    echo_json,
    format_option,
    load_cli_settings,
    print_rich,
)
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.core.settings import Settings
    from worker.services.contracts.service import PublishResult

#: The contracts folder of ``check`` and ``publish``.
contracts_option = click.option(
    "--contracts",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the contracts (default: the contracts.dir setting).",
)


def _folder(settings: Settings, directory: Path | None) -> Path:
    """``--contracts``, else ``contracts.dir``.

    :raises EnricherCliError: neither is given.
    """
    folder = directory or settings.contracts.dir
    if folder is None:
        raise EnricherCliError("no contracts folder: pass --contracts DIR or set contracts.dir")
    return folder


@contextmanager
def _catalog(settings: Settings) -> Iterator[SqlLocalCatalog]:
    """The local catalog for one command, closed after it; service errors as CLI errors."""
    from worker.adapters.catalog.database import SqlLocalCatalog

    catalog = SqlLocalCatalog(settings.database_url)
    try:
        yield catalog
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    finally:
        if catalog._engine is not None:
            catalog._engine.dispose()


@click.group()
def contract() -> None:
    """Data contracts (ODCS v3): draw one from a scan, check scans, publish them to Atlan."""


@contract.command("init")
@click.argument("dataset")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the contract here (default: standard output).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.pass_context
def contract_init(ctx: click.Context, dataset: str, output: Path | None, force: bool) -> None:
    """Write a starting contract for DATASET from what its latest scan observed.

    DATASET is a dataset's URI, an object's in it, or a partition prefix (as for
    `enricher datasets show`). Review the bounds and fill in the owner.
    """
    from worker.bootstrap import build_contracts, build_datasets

    settings = load_cli_settings(ctx)
    if output is not None and output.exists() and not force:
        raise EnricherCliError(f"{output} exists: pass --force to overwrite it")
    with _catalog(settings) as catalog:
        uri = build_datasets(settings, catalog).resolve(dataset_name(dataset)).summary.uri
        text = build_contracts(settings, catalog).draft(uri)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise EnricherCliError(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(
        f"wrote the contract of {uri} to {output}: review its bounds and fill in the owner",
        err=True,
    )


@contract.command("check")
@contracts_option
@format_option
@click.pass_context
def contract_check(ctx: click.Context, directory: Path | None, output_format: str) -> None:
    """Check the latest scan of each dataset that has a contract in the folder.

    Exits 3 when a rule is broken (each violation is raised as an alert of kind contract);
    rules a sample cannot decide are listed as not checkable, never as passed.
    """
    from worker.bootstrap import build_contracts

    settings = load_cli_settings(ctx)
    folder = _folder(settings, directory)
    with _catalog(settings) as catalog:
        results = build_contracts(settings, catalog).check(folder)
    data = [r.to_dict() for r in results]
    violations = sum(len(r.violations) for r in results)
    if output_format == "json":
        echo_json(
            {
                "contracts": len(results),
                "violations": violations,
                "unchecked": sum(len(r.unchecked) for r in results),
                "results": data,
            }
        )
    else:
        _print(data)
    if violations:
        raise PartialFailure()


@contract.command("publish")
@contracts_option
@format_option
@click.pass_context
def contract_publish(ctx: click.Context, directory: Path | None, output_format: str) -> None:
    """Publish each contract of the folder on its dataset's Atlan asset (atlan.enabled).

    Atlan gets its own contract document drawn from the ODCS file (status active: verified;
    otherwise a draft). Prints the outcome per dataset: created, updated, new_version,
    unchanged, or not published with the reason (Atlan accepts contracts only on tables and
    views today, not on S3 assets). Exits 3 when a contract was not published.
    """
    from worker.bootstrap import build_contracts, build_dataset_writer

    settings = load_cli_settings(ctx)
    if not settings.atlan.enabled:
        raise EnricherCliError("Atlan is not enabled (atlan.enabled)")
    folder = _folder(settings, directory)
    with _catalog(settings) as catalog:
        writer = build_dataset_writer(settings, catalog)
        if writer is None:  # atlan.enabled is checked above
            raise EnricherCliError("Atlan is not enabled (atlan.enabled)")
        results, stopped = build_contracts(settings, catalog).publish(writer, folder)
    if output_format == "json":
        echo_json(
            {
                "contracts": len(results),
                "published": sum(r.published for r in results),
                "results": [r.to_dict() for r in results],
            }
        )
    else:
        _print_published(results)
    if stopped is not None:
        raise EnricherCliError(f"Atlan: {stopped.message}")
    if not all(r.published for r in results):
        raise PartialFailure()


def _print_published(results: list[PublishResult]) -> None:
    for r in results:
        pub = r.publication
        where = r.dataset or r.contract
        if pub is None:
            click.echo(f"{where}: not published: {r.reason}")
            continue
        version = f" (version {pub.version}{', verified' if pub.certified else ''})"
        click.echo(f"{where}: {pub.outcome}{version if pub.version is not None else ''}")
    published = sum(r.published for r in results)
    click.echo(f"{published} of {len(results)} contracts published", err=True)


def _print(results: list[dict[str, Any]]) -> None:
    from rich.table import Table

    summary = Table(title=f"{len(results)} contracts")
    for name in ("dataset", "contract", "passed", "violations", "not checkable"):
        summary.add_column(name, overflow="fold")
    for r in results:
        summary.add_row(r["dataset"] or "–", r["contract"], str(r["passed"]),
                        str(len(r["violations"])), str(len(r["unchecked"])))  # fmt: skip
    print_rich(summary)
    rows = [v for r in results for v in r["violations"]]
    if rows:
        table = Table(title=f"{len(rows)} violations")
        for name in ("dataset", "kind", "rule", "expected", "observed"):
            table.add_column(name, overflow="fold")
        for v in rows:
            table.add_row(v["dataset"], v["kind"], v["rule"], v["expected"], v["observed"])
        print_rich(table)
    skipped = [u for r in results for u in r["unchecked"]]
    if skipped:
        table = Table(title=f"{len(skipped)} rules not checkable from a sample")
        for name in ("dataset", "rule", "reason"):
            table.add_column(name, overflow="fold")
        for u in skipped:
            table.add_row(u["dataset"] or "–", u["rule"], u["reason"])
        print_rich(table)
