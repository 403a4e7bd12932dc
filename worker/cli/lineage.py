"""``enricher lineage ...``: load lineage, impact analysis, show, write to Atlan.

Exit codes as elsewhere: 0 done, 1 the command could not run (one line, no traceback),
3 ``load --strict`` found statements or entries it could not use, ``write`` left edges out
(each is listed).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import EnricherCliError, PartialFailure, catalog_service, print_rich

if TYPE_CHECKING:
    from rich.table import Table

    from models.lineage import LineageFindings
    from worker.bootstrap import SqlLineageService
    from worker.core.lineage.impact import ImpactNode
    from worker.services.lineage.openlineage import IntakeReport
    from worker.services.lineage.service import LoadReport


def _service(ctx: click.Context) -> Any:
    """The lineage service on the configured catalog (errors: one-line exits)."""
    from worker.bootstrap import build_lineage

    return catalog_service(ctx, build_lineage)


@click.group()
def lineage() -> None:
    """Lineage PostgreSQL → S3 → Snowflake: load, impact, show, write to Atlan."""


@lineage.command("load")
@click.option(
    "--declared",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML of declared hops (default: lineage.declared_file).",
)
@click.option(
    "--sql",
    "sql_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="ETL scripts (files or folders of *.sql); CREATE STAGE definitions are shared.",
)
@click.option(
    "--history",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Query-history exports (.csv, .json, .jsonl with query_text).",
)
@click.option(
    "--dbt",
    "dbt_manifests",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="dbt target/manifest.json: external S3 sources, models; stages from --sql files.",
)
@click.option("--dialect", help="SQL dialect (default: told per statement).")
@click.option("--database", help="Database of unqualified table names in --sql scripts.")
@click.option("--schema", help="Schema of unqualified table names in --sql scripts.")
@click.option(
    "--infer",
    is_flag=True,
    help="Match S3 schemas against PostgreSQL (lineage.postgres_url) and Snowflake "
    "(lineage.snowflake_schema_file) tables.",
)
@click.option(
    "--lookml",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A LookML project folder: Snowflake tables → explores → dashboards "
    "(--database/--schema qualify short sql_table_names).",
)
@click.option(
    "--atlan-looker",
    is_flag=True,
    help="Also read the Looker assets Atlan's lineage shows downstream of the stored "
    "Snowflake tables (atlan.enabled, lineage.snowflake_connection_qualified_name).",
)
@click.option(
    "--openlineage",
    "openlineage_logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A recorded OpenLineage event log (.jsonl, one event per line).",
)
@click.option("--strict", is_flag=True, help="Exit 3 when anything could not be used.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def lineage_load(
    ctx: click.Context,
    declared: Path | None,
    sql_paths: tuple[Path, ...],
    history: tuple[Path, ...],
    dbt_manifests: tuple[Path, ...],
    dialect: str | None,
    database: str | None,
    schema: str | None,
    infer: bool,
    lookml: Path | None,
    atlan_looker: bool,
    openlineage_logs: tuple[Path, ...],
    strict: bool,
    output_format: str,
) -> None:
    """Read lineage from declarations, SQL and schemas; store it; queue what is uncertain.

    Statements and entries that give no lineage are listed with the reason and skipped.
    """
    from models.lineage import LineageFindings

    with _service(ctx) as service:
        found = LineageFindings()
        settings = service.settings.lineage
        declared = declared or settings.declared_file
        if declared is not None:
            from worker.services.lineage.source_files import load_declared

            _merge(found, load_declared(declared))
        if sql_paths:
            from worker.services.lineage.source_files import parse_sql_files

            files = sorted(
                {f for p in sql_paths for f in (sorted(p.rglob("*.sql")) if p.is_dir() else [p])}
            )
            _merge(
                found,
                parse_sql_files(
                    files, dialect=dialect, default_database=database, default_schema=schema
                ),
            )
        for path in history:
            from worker.services.lineage.source_files import parse_query_history

            _merge(found, parse_query_history(path, dialect=dialect or "snowflake"))
        for path in dbt_manifests:
            from worker.services.lineage.source_files import load_dbt_manifest

            stage_files = sorted(
                {f for p in sql_paths for f in (sorted(p.rglob("*.sql")) if p.is_dir() else [p])}
            )
            _merge(found, load_dbt_manifest(path, stage_files))
        if infer:
            _merge(found, _inferred(service))
        if lookml is not None:
            from worker.services.lineage.lookml_files import load_lookml_project

            _merge(found, load_lookml_project(lookml, database=database, schema=schema))
        given = (declared, sql_paths, history, infer, lookml, dbt_manifests, openlineage_logs)
        if not any(given) and not atlan_looker:
            raise EnricherCliError(
                "nothing to load: give --declared, --sql, --history, --dbt, --infer, --lookml "
                "or --openlineage"
            )
        intake = _openlineage(service, openlineage_logs)
        report = service.load(found)
        if atlan_looker:  # after the load: the tables it just stored are asked about too
            _add(report, _atlan_looker(service))
        if intake is not None:
            report.edges += intake.edges
            report.new += intake.edges_new
            report.updated += intake.edges_updated
            report.unchanged += intake.edges_unchanged
            report.problems.extend(intake.problems)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "edges": report.edges,
                    "new": report.new,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "suggested_for_review": report.suggested,
                    "lineage_evidence_suggestions": report.evidence,
                    "problems": [asdict(p) for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        click.echo(
            f"{report.edges} edges: {report.new} new, {report.updated} updated, "
            f"{report.unchanged} unchanged; {report.suggested} inferred edges for review; "
            f"{report.evidence} new PII suggestions on table columns from lineage"
        )
        for p in report.problems:
            click.echo(f"skipped {p.location}: {p.reason}", err=True)
    if strict and report.problems:
        raise PartialFailure()  # each problem is listed above


def _openlineage(service: SqlLineageService, logs: tuple[Path, ...]) -> IntakeReport | None:
    """Take in recorded OpenLineage event logs (their hops are stored as they are read)."""
    if not logs:
        return None
    from worker.adapters.catalog.openlineage_events import SqlOpenLineageEvents
    from worker.services.lineage.openlineage import IntakeReport, OpenLineageIntake

    intake = OpenLineageIntake(service, SqlOpenLineageEvents(service.store.catalog))
    total = IntakeReport()
    for path in logs:
        try:
            got = intake.ingest_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise EnricherCliError(f"{path}: cannot read the event log: {exc}") from exc
        names = ("received", "new", "duplicates", "invalid", "runs", "edges", "schemas",
                 "schemas_stored")  # fmt: skip
        for name in names:
            setattr(total, name, getattr(total, name) + getattr(got, name))
        total.edges_new += got.edges_new
        total.edges_updated += got.edges_updated
        total.edges_unchanged += got.edges_unchanged
        total.problems.extend(got.problems)
    click.echo(
        f"{total.received} OpenLineage events: {total.new} new, {total.duplicates} duplicates, "
        f"{total.invalid} invalid; {total.runs} runs mapped; {total.schemas} declared schemas "
        f"({total.schemas_stored} stored, the others older than what was stored)",
        err=True,
    )
    return total


def _atlan_looker(service: SqlLineageService) -> LoadReport:
    """Load the Looker assets Atlan knows downstream of the stored Snowflake tables."""
    from worker.adapters.atlan.lineage_read import AtlanLookerLineage

    settings = service.settings
    if not settings.atlan.enabled:
        raise EnricherCliError("--atlan-looker needs Atlan (atlan.enabled)")
    return service.load_downstream(AtlanLookerLineage(settings.atlan, settings.lineage))


def _add(into: LoadReport, more: LoadReport) -> None:
    into.edges += more.edges
    into.new += more.new
    into.updated += more.updated
    into.unchanged += more.unchanged
    into.suggested += more.suggested
    into.evidence += more.evidence
    into.problems.extend(more.problems)


def _merge(into: LineageFindings, more: LineageFindings) -> None:
    into.edges.extend(more.edges)
    into.problems.extend(more.problems)


def _inferred(service: SqlLineageService) -> LineageFindings:
    from models.lineage import LineageFindings
    from worker.services.lineage.infer import (
        TableSchema,
        infer,
        read_postgres_tables,
        read_snowflake_schema_file,
        s3_schemas_from_catalog,
    )

    settings = service.settings.lineage
    found = LineageFindings()
    postgres: list[TableSchema] = []
    if settings.postgres_url is not None:
        postgres = read_postgres_tables(
            settings.postgres_url.get_secret_value(),
            settings.postgres_database,
            settings.postgres_schemas,
        )
    snowflake: list[TableSchema] = []
    if settings.snowflake_schema_file is not None:
        snowflake, problems = read_snowflake_schema_file(settings.snowflake_schema_file)
        found.problems.extend(problems)
    if not postgres and not snowflake:
        raise EnricherCliError(
            "--infer needs lineage.postgres_url and/or lineage.snowflake_schema_file"
        )
    s3 = s3_schemas_from_catalog(service.store.catalog.engine)
    _merge(found, infer(s3, postgres, snowflake, min_score=settings.min_score))
    return found


def _pii_text(node: ImpactNode) -> str:
    return "; ".join(f"{c}: {', '.join(sorted(e))}" for c, e in sorted(node.pii.items())) or "–"


def _nodes_table(title: str, nodes: list[ImpactNode]) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for name in ("hop", "dataset", "system", "columns reached", "PII", "via"):
        table.add_column(name, overflow="fold")
    for n in nodes:
        table.add_row(
            str(n.depth),
            n.dataset.uri,
            n.dataset.system.value,
            ", ".join(sorted(n.columns)) if n.columns is not None else "(whole dataset)",
            _pii_text(n),
            f"{n.via.origin.value} {n.via.confidence:.2f}" if n.via is not None else "",
        )
    return table


_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "dot"]),
    default="table",
    show_default=True,
)


@lineage.command("impact")
@click.argument("uri")
@_FORMAT
@click.pass_context
def lineage_impact(ctx: click.Context, uri: str, output_format: str) -> None:
    """Everything downstream of URI (postgres:DB.SCHEMA.TABLE[.COLUMN], snowflake:..., s3://...).

    An S3 URI may name an object, a dataset prefix or a partition prefix: the walk starts at
    its dataset. S3 datasets, Snowflake tables and the columns reached, with the PII on each.
    """
    from worker.core.lineage.impact import impact_counts, impact_summary, to_dot

    started = time.perf_counter()
    with _service(ctx) as service:
        start, nodes, graph = service.impact(uri)
    elapsed = time.perf_counter() - started
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "start": start.to_dict(),
                    "downstream": [n.to_dict() for n in nodes],
                    "reached": impact_counts(nodes),
                    "seconds": round(elapsed, 3),
                },
                indent=2,
            )
        )
    elif output_format == "dot":
        click.echo(to_dot(start, nodes, graph), nl=False)
    else:
        print_rich(_nodes_table(f"downstream of {uri}", nodes))
        click.echo(impact_summary(start.dataset, nodes))
        click.echo(
            f"{len(nodes)} datasets downstream, "
            f"{sum(1 for n in nodes if n.pii)} with PII ({elapsed:.2f} s)"
        )


@lineage.command("show")
@click.argument("uri")
@_FORMAT
@click.pass_context
def lineage_show(ctx: click.Context, uri: str, output_format: str) -> None:
    """The upstream and downstream of URI (a table, a dataset, or an object or partition of one)."""
    from worker.adapters.catalog.declared_schemas import SqlDeclaredSchemas
    from worker.core.lineage.impact import to_dot

    with _service(ctx) as service:
        start, up, down, graph = service.show(uri)
        name = start.dataset.uri
        declared = SqlDeclaredSchemas(service.store.catalog).declared([name]).get(name)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "dataset": start.to_dict(),
                    "declared_schema": declared.to_dict() if declared else None,
                    "upstream": [n.to_dict() for n in up],
                    "downstream": [n.to_dict() for n in down],
                },
                indent=2,
            )
        )
    elif output_format == "dot":
        click.echo(to_dot(start, [*up, *down], graph), nl=False)
    else:
        if declared is not None:
            columns = ", ".join(f"{f.name} {f.type or '?'}" for f in declared.fields)
            click.echo(
                f"declared schema ({declared.origin}, {declared.event_time.isoformat()}, "
                f"run {declared.run_id or '–'}): {columns}"
            )
        print_rich(_nodes_table(f"upstream of {start.dataset.uri}", up))
        print_rich(_nodes_table(f"downstream of {start.dataset.uri}", down))


@lineage.command("reresolve")
@click.pass_context
def lineage_reresolve(ctx: click.Context) -> None:
    """Resolve stored edges to datasets again (after a scan grouped the buckets).

    An endpoint that now falls in a dataset the catalog knows is re-keyed on it; hops that
    become one merge (strongest origin wins, column maps kept, steward decisions stand).
    """
    with _service(ctx) as service:
        replaced = service.reresolve()
    click.echo(f"{replaced} stored edges re-keyed on their datasets")


@lineage.command("write")
@click.pass_context
def lineage_write(ctx: click.Context) -> None:
    """Write the applied edges to Atlan: a Process per hop, ColumnProcesses where mapped."""
    from worker.bootstrap import build_lineage_writer
    from worker.core.errors import CatalogRejected

    with _service(ctx) as service:
        writer = build_lineage_writer(service.settings, service.store.catalog)
        if writer is None:
            raise EnricherCliError("Atlan is not enabled (atlan.enabled)")
        edges = service.store.edges()
        from models.lineage import System

        writable, skipped, local = [], {}, 0
        looker = 0
        for edge in edges:
            if System.FILE in (edge.source.system, edge.target.system):
                local += 1  # a local lake (the sample lake) has no Atlan asset: not a failure
                continue
            if System.LOOKER in (edge.source.system, edge.target.system):
                looker += 1  # Atlan's Looker connector owns Looker assets: never written here
                continue
            try:  # an edge whose system has no Atlan connection configured is skipped
                writer.qualified_name(edge.source)
                writer.qualified_name(edge.target)
            except CatalogRejected as exc:
                skipped[edge.name] = exc.message
                continue
            writable.append(edge)
        report = writer.write(writable)
    click.echo(
        f"{len(edges)} edges: {report.processes} processes and {report.column_processes} "
        f"column processes written, {report.unchanged} unchanged, {report.requests} requests"
        + (f", {local} with a local end not for Atlan" if local else "")
        + (f", {looker} with a Looker end (Atlan's Looker connector has them)" if looker else "")
    )
    for name, reason in sorted(skipped.items()):
        click.echo(f"skipped {name}: {reason}", err=True)
    for qn in report.missing:
        click.echo(f"missing in Atlan: {qn}", err=True)
    for edge_id, reason in sorted(report.failed_edges.items()):
        click.echo(f"not written {edge_id}: {reason}", err=True)
    if report.failed_edges or skipped:
        raise PartialFailure()  # each edge left out is listed above
