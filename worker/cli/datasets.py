"""``enricher datasets list|show``: the datasets scans have grouped, with their verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import (
    EnricherCliError,
    console,
    dataset_name,
    echo_json,
    format_option,
    iso_time,
    load_cli_settings,
)
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from models.datasets import SchemaVersion, StoredDataset
    from models.declared_schema import DeclaredSchema
    from worker.adapters.catalog.database import SqlLocalCatalog


@click.group()
def datasets() -> None:
    """Datasets grouped by scans: partitions, schema history, verdict, lineage."""


def _row(d: StoredDataset) -> dict[str, Any]:
    verdict = d.verdict
    return {
        "uri": d.summary.uri,
        "rule": d.summary.rule.value,
        "explanation": d.summary.explanation,
        "objects": d.summary.object_count,
        "bytes": d.summary.total_bytes,
        "partitions": d.partition_count,
        "partition_columns": list(d.summary.partition_columns),
        "formats": dict(d.summary.formats),
        "category": verdict.category if verdict else None,
        "pii": {e: list(c) for e, c in verdict.entities} if verdict else {},
        "schema_version": d.schema_version,
        "first_seen": iso_time(d.first_seen),
        "last_seen": iso_time(d.last_seen),
        "last_scanned": iso_time(d.last_scanned),
    }


@datasets.command("list")
@click.option("--bucket", help="Only the datasets of this bucket.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@format_option
@click.pass_context
def datasets_list(ctx: click.Context, bucket: str | None, limit: int, output_format: str) -> None:
    """Every known dataset: grouping rule, objects, partitions, category and PII."""
    from rich.table import Table

    from worker.bootstrap import build_datasets

    settings = load_cli_settings(ctx)
    try:
        rows = [_row(d) for d in build_datasets(settings).store.list_datasets(bucket, limit)]
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    if output_format == "json":
        echo_json(rows)
        return
    table = Table(title=f"{len(rows)} datasets")
    for name in ("dataset", "rule", "objects", "partitions", "category", "PII"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            r["uri"], r["rule"], f"{r['objects']:,}", f"{r['partitions']:,}",
            r["category"] or "–", ", ".join(r["pii"]) or "–",
        )  # fmt: skip
    console().print(table)


@datasets.command("show")
@click.argument("uri")
@click.option("--partitions", "max_partitions", type=int, default=20, show_default=True,
              help="Partitions to list (the newest).")  # fmt: skip
@format_option
@click.pass_context
def datasets_show(ctx: click.Context, uri: str, max_partitions: int, output_format: str) -> None:
    """One dataset: partitions, schema history, verdict, lineage and alerts.

    URI is the dataset's, an object's in it, or a partition prefix.
    """
    from worker.bootstrap import build_alerts, build_datasets, build_lineage

    settings = load_cli_settings(ctx)
    try:
        service = build_datasets(settings)
        found = service.resolve(dataset_name(uri))
        name = found.summary.uri
        partitions = service.store.partitions(name)
        history = service.store.schema_history(name)
        store = build_lineage(settings).store
        edges = store.edges_of([name], False) + store.edges_of([name], True)
        alerts = build_alerts(settings).store.list_alerts(dataset_uri=name)
        declared = _declared(store.catalog, name)
        facets = service.facets.facets(name) if service.facets is not None else []
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    newest = sorted(partitions, key=lambda p: p.info.key)[-max_partitions:]
    data = _row(found) | {
        "verdict": found.verdict.to_dict() if found.verdict else None,
        "partitions_shown": [
            {
                "key": p.info.key,
                "values": dict(p.info.values),
                "objects": p.info.object_count,
                "bytes": p.info.total_bytes,
                "newest": iso_time(p.info.newest),
                "sampled_at": iso_time(p.sampled_at),
                "row_count": p.row_count,
            }
            for p in newest
        ],
        "schema_history": [
            {
                "version": v.version,
                "source": v.source,
                "recorded_at": iso_time(v.recorded_at),
                "columns": [c.to_dict() for c in v.columns],
                "changes": [c.to_dict() for c in v.changes],
            }
            for v in history
        ],
        "lineage": [
            {"source": e.source.uri, "target": e.target.uri, "origin": e.origin.value}
            for e in edges
        ],
        "alerts": [a.to_dict() for a in alerts],
        "declared_schema": _declared_beside_observed(declared, found, history),
        "facets": [f.to_dict() for f in facets],
    }
    if output_format == "json":
        echo_json(data)
        return
    _print_dataset(data)


def _declared(catalog: SqlLocalCatalog, uri: str) -> DeclaredSchema | None:
    """The schema the dataset's producer declared (OpenLineage), if any."""
    from worker.adapters.catalog.declared_schemas import SqlDeclaredSchemas

    return SqlDeclaredSchemas(catalog).declared([uri]).get(uri)


def _declared_beside_observed(
    declared: DeclaredSchema | None, found: StoredDataset, history: list[SchemaVersion]
) -> dict[str, Any] | None:
    """The declared schema, each column beside the newest observed one (differences flagged).

    Observed: the newest schema version scans recorded, else the verdict's columns.
    """
    from models.declared_schema import compare_columns

    if declared is None:
        return None
    if history:
        observed = [(c.name, c.data_type) for c in history[-1].columns]
    elif found.verdict is not None:
        observed = [(c.column, c.data_type) for c in found.verdict.columns]
    else:
        observed = []
    checks = compare_columns(declared.fields, observed) if observed else []
    return declared.to_dict() | {
        "observed": bool(observed),
        "columns": [c.to_dict() for c in checks],
        "differing": sum(1 for c in checks if c.differs),
    }


def _print_dataset(data: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold]{data['uri']}[/bold]", highlight=False)
    out.print(
        f"{data['explanation']} · {data['objects']:,} objects · {data['bytes']:,} bytes · "
        f"{data['partitions']:,} partitions · category {data['category'] or '–'}",
        highlight=False,
    )
    verdict = data["verdict"]
    if verdict:
        table = Table(
            title=f"columns ({verdict['partitions_sampled']} of "
            f"{verdict['partitions_total']} partitions sampled)"
        )
        for name in ("column", "type", "partitions", "PII (share of partitions)"):
            table.add_column(name, overflow="fold")
        for c in verdict["columns"]:
            pii = ", ".join(f"{e} {s:.0%}" for e, s in c["entities"].items())
            table.add_row(c["name"], c["data_type"], str(c["partitions"]), pii or "–")
        out.print(table)
    for v in data["schema_history"]:
        changes = "; ".join(
            f"{c['kind']} {c['column']}" + (f" {c['before']}→{c['after']}" if c["before"] else "")
            for c in v["changes"]
        )
        out.print(
            f"schema v{v['version']} ({v['source']}, {v['recorded_at']}): {changes or 'first'}"
        )
    declared = data["declared_schema"]
    if declared:
        _print_declared(out, declared)
    for f in data["facets"]:
        # The only values the catalog keeps: see docs/facets.md.
        shown = ", ".join(f"{v['value']} {v['share']:.0%}" for v in f["values"])
        out.print(f"facet {f['column']} ({f['type']}): {shown}", highlight=False)
    for e in data["lineage"]:
        out.print(f"lineage: {e['source']} → {e['target']} ({e['origin']})", highlight=False)
    for a in data["alerts"]:
        out.print(
            f"alert #{a['id']} [{a['severity']}] {a['state']}: {a['message']}", highlight=False
        )


def _print_declared(out: Any, declared: dict[str, Any]) -> None:
    from rich.table import Table

    title = (
        f"declared schema ({declared['origin']}, {declared['event_time']}, run "
        f"{declared['run_id'] or '–'})"
    )
    if not declared["observed"]:
        out.print(f"{title}, not scanned yet:", highlight=False)
        for f in declared["fields"]:
            out.print(f"  {f['name']} {f['type'] or '?'}", highlight=False)
        return
    differing = declared["differing"]
    out.print(f"{title}: {differing} columns differ from the scans", highlight=False)
    table = Table()
    for name in ("column", "declared", "observed", ""):
        table.add_column(name, overflow="fold")
    for c in declared["columns"]:
        flag = f"≠ {c['status']}" if c["differs"] else ""
        table.add_row(c["name"], c["declared"] or "–", c["observed"] or "–", flag)
    out.print(table)
