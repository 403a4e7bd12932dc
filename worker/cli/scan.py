"""``enricher scan``: sample and classify objects, report, and write the findings to Atlan.

Exit codes: 0 every object was classified or skipped; 3 some objects failed (each is in the
report with its error kind); 1 the run itself could not proceed; 2 usage errors.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import (
    EnricherCliError,
    PartialFailure,
    console,
    format_option,
    load_cli_settings,
)
from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from rich.table import Table

    from models import EnrichmentResult, ObjectInfo, ObjectRef
    from worker.core.pipeline import Deps, EnrichOptions
    from worker.core.settings import Settings
    from worker.services.datasets.service import DatasetOutcome, DatasetPlan, DatasetService

_ATTEMPTS = 3


@click.command()
@click.argument("uris", nargs=-1, required=True)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON report (docs/report.md) to this file.",
)
@click.option(
    "--sample-rows",
    type=click.IntRange(1, 1_000_000),
    help="Rows to sample per object (default from settings: 1000).",
)
@click.option("--force", is_flag=True, help="Re-classify objects the catalog says are unchanged.")
@format_option
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only objects matching (file name, or path relative to the URI if it has /).",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip objects matching.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With Atlan enabled: print the planned Atlan writes instead of sending them.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML settings file (overrides the global --config).",
)
@click.pass_context
def scan(
    ctx: click.Context,
    uris: tuple[str, ...],
    report_path: Path | None,
    sample_rows: int | None,
    force: bool,
    output_format: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    dry_run: bool,
    config_file: Path | None,
) -> None:
    """Sample and classify every object at or under URIS (s3://bucket/prefix, paths, file://).

    With ``atlan.enabled``, the findings are then written to Atlan (see ``enricher atlan``).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from models import ObjectStatus
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_datasets, build_deps, build_lineage
    from worker.core.discovery import discover
    from worker.core.pipeline import EnrichOptions
    from worker.core.report import build_report, write_report
    from worker.services.datasets.report import dataset_entry

    settings = load_cli_settings(ctx, config_file)
    err = Console(stderr=True)
    started = time.monotonic()
    try:
        deps = build_deps(settings)
        local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
        datasets = build_datasets(settings, local) if settings.datasets.enabled else None
        scanned: list[tuple[DatasetPlan, DatasetOutcome]] = []
        roots = [_root_uri(u) for u in uris]
        run_id = deps.catalog.start_run("scan", list(uris))
        options = EnrichOptions(
            sampling=settings.sampling.options(sample_rows), force=force, run_id=run_id
        )
        results: list[EnrichmentResult] = []
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _rate_column(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=output_format == "json",
            # Off the terminal a progress bar is noise (its last frame would stay in logs).
            disable=not err.is_terminal,
        ) as progress:
            listing = discover(deps.store, uris, include, exclude)
            if datasets is None:
                task = progress.add_task("listing objects…", total=None)
                infos = list(listing)
                progress.update(task, total=len(infos))
                for info in infos:
                    progress.update(task, description=_display_name(info.ref.uri, roots)[-40:])
                    results.append(_enrich_with_retry(info, deps, options))
                    progress.advance(task)
            else:
                # Datasets stream: each is sampled as soon as the listing has passed it.
                task = progress.add_task("datasets", total=None)

                def enrich(ref: ObjectRef) -> EnrichmentResult:
                    progress.update(task, description=_display_name(ref.uri, roots)[-40:])
                    result = _enrich_with_retry(ref, deps, options)
                    progress.advance(task)
                    return result

                for plan, sampled, outcome in datasets.scan(listing, enrich, force=force):
                    results.extend(sampled)
                    scanned.append((plan, outcome))
            progress.update(task, description="done")
        counts = Counter(r.status.value for r in results)
        deps.catalog.finish_run(run_id, dict(counts))
        if any(plan.update.is_new for plan, _ in scanned):
            # New datasets may change what stored lineage endpoints resolve to.
            build_lineage(settings, local).reresolve()
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    report = build_report(results, run_id, [dataset_entry(p, o) for p, o in scanned])
    if report_path is not None:
        write_report(report, report_path)
    if output_format == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        out = console()
        out.print(_summary_table(results, roots))
        if scanned:
            out.print(_datasets_table(scanned, roots))
        for r in results:
            if r.error is not None and r.status is ObjectStatus.FAILED:
                name = _display_name(r.ref.uri, roots)
                out.print(Text.assemble(("failed ", "red"), f"{name}: {r.error.message}"))
        read = sum(r.bytes_read for r in results)
        pii_cols = sum(1 for r in results for c in r.columns if c.entities)
        out.print(
            f"{len(results)} objects: {counts.get('classified', 0)} classified, "
            f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed · "
            f"{pii_cols} PII columns · {read / 1e6:.2f} MB read in "
            f"{time.monotonic() - started:.1f} s"
        )
        where = f"report: {report_path}" if report_path else "no report file (use --report)"
        from worker.adapters.catalog.database import safe_url

        out.print(f"catalog: {safe_url(settings.database_url)} · {where}")
        pending = _pending_reviews(deps)
        if pending:
            out.print(
                f"review: {pending} suggestion{'s' if pending != 1 else ''} pending · "
                "`enricher review list`, or `enricher serve` for the web UI"
            )
    _write_to_atlan(settings, deps, results, dry_run, output_format)
    if datasets is not None and scanned and not dry_run:
        _write_datasets_to_atlan(settings, deps, datasets, [p for p, _ in scanned])
    if counts.get(ObjectStatus.FAILED.value):
        raise PartialFailure()


def _rate_column() -> Any:
    """A progress-bar column showing objects per second."""
    from rich.progress import TextColumn

    class RateColumn(TextColumn):
        def __init__(self) -> None:
            super().__init__("")

        def render(self, task: Any) -> Any:
            speed = task.finished_speed or task.speed
            return f"{speed:.1f} obj/s" if speed else "– obj/s"

    return RateColumn()


def _pii_summary(result: EnrichmentResult) -> str:
    parts = []
    for column in result.columns:
        if column.entities:
            names = ", ".join(e.entity for e in column.entities)
            parts.append(f"{column.column}: {names}")
    return "\n".join(parts)


def _display_name(uri: str, roots: list[str]) -> str:
    for root in roots:
        if uri.startswith(root):
            rest = uri[len(root) :].lstrip("/")
            if rest:
                return rest
    return uri


def _summary_table(results: list[EnrichmentResult], roots: list[str]) -> Table:
    from rich.table import Table

    table = Table(title="s3-enricher scan", show_lines=False, expand=False)
    table.add_column("object", overflow="fold")
    table.add_column("format")
    table.add_column("rows", justify="right")
    table.add_column("status")
    table.add_column("PII columns → entities", overflow="fold")
    for r in results:
        sample = r.sample
        rows = ""
        if sample is not None and sample.row_count is not None:
            rows = ("~" if sample.row_count_estimated else "") + f"{sample.row_count:,}"
        fmt = ""
        if sample is not None:
            fmt = sample.format + (f"+{sample.compression}" if sample.compression else "")
        status = r.status.value
        if r.error is not None:
            status = f"{status}: {r.error.kind}"
        table.add_row(_display_name(r.ref.uri, roots), fmt, rows, status, _pii_summary(r) or "–")
    return table


def _datasets_table(scanned: list[tuple[DatasetPlan, DatasetOutcome]], roots: list[str]) -> Table:
    from rich.table import Table

    table = Table(title="datasets", show_lines=False, expand=False)
    for name in ("dataset", "rule", "objects", "partitions", "sampled", "PII", "alerts"):
        table.add_column(name, overflow="fold", justify="right" if name[0] in "ops" else "left")
    for plan, outcome in scanned:
        summary = plan.summary
        pii = ", ".join(e for e, _ in outcome.verdict.entities) if outcome.verdict else ""
        table.add_row(
            _display_name(summary.uri, roots), summary.rule.value, f"{summary.object_count:,}",
            f"{len(summary.partitions):,}", str(outcome.sampled), pii or "–",
            str(len(outcome.alerts)) if outcome.alerts else "–",
        )  # fmt: skip
    return table


def _pending_reviews(deps: Deps) -> int:
    """How many suggestions wait for a steward (0 when the catalog has no review queue)."""
    from models.review import SuggestionFilter
    from worker.services.review.queue import ReviewQueue

    if not isinstance(deps.review, ReviewQueue):
        return 0
    return deps.review.store.count(SuggestionFilter())


def _write_to_atlan(
    settings: Settings,
    deps: Deps,
    results: list[EnrichmentResult],
    dry_run: bool,
    output_format: str,
) -> None:
    """Flush the outbox, then write this scan's findings (or print the plan with --dry-run).

    :raises EnricherCliError: Atlan could not be set up or the write could not start.
    """
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_catalog_writer
    from worker.services.review.queue import desired_state

    local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
    try:
        writer = build_catalog_writer(settings, local)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    if writer is None:
        return
    desired = [d for r in results if (d := desired_state(deps, settings, r)) is not None]
    err = console(stderr=True)
    try:
        if dry_run:
            plan = writer.plan(desired)
            _print_plan(plan, output_format)
            return
        queued = writer.flush()
        report = writer.write(desired)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    if queued.objects:
        err.print(
            f"Atlan outbox: {queued.objects - queued.queued} of {queued.objects} earlier "
            "writes delivered"
        )
    extra = "".join(
        f", {n} {what}"
        for n, what in ((report.restored, "restored"), (report.adopted, "adopted"))
        if n
    )
    line = (
        f"Atlan: {report.created} created, {report.updated} updated{extra}, {report.unchanged} "
        f"unchanged, {report.tags_added} tags added, {report.suggestions} new suggestions, "
        f"{report.requests} write requests"
    )
    err.print(line, highlight=False)
    for note in report.notes[:20]:
        err.print(f"  kept: {note}", highlight=False)
    for warning in report.warnings[:20]:
        err.print(f"  warning: {warning}", highlight=False)
    for uri, reason in sorted(report.rejected.items())[:20]:
        err.print(f"  [yellow]refused: {uri}: {reason}[/yellow]", highlight=False)
    if report.error:
        wait = f"; Atlan asked to wait {report.retry_after_s:g} s" if report.retry_after_s else ""
        err.print(
            f"[yellow]Atlan: {report.queued} writes kept in the outbox ({report.error}{wait}); "
            "`enricher atlan flush` retries them[/yellow]"
        )
    elif report.rejected:
        err.print(
            f"[yellow]Atlan: {len(report.rejected)} writes refused and kept in the outbox; "
            "`enricher atlan status` shows why, `enricher atlan flush` retries them[/yellow]"
        )


def _write_datasets_to_atlan(
    settings: Settings, deps: Deps, datasets: DatasetService, plans: list[DatasetPlan]
) -> None:
    """Write each scanned dataset's verdict to its Atlan asset (``S3Prefix``).

    Runs after the objects' write, so that they exist to be linked. Unchanged datasets send
    nothing.

    :raises EnricherCliError: the Atlan writer could not be set up.
    """
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_dataset_writer
    from worker.core.plan.dataset_desired import dataset_desired
    from worker.services.review.queue import ReviewQueue

    local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
    try:
        writer = build_dataset_writer(settings, local)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    if writer is None:
        return
    review = deps.review.store if isinstance(deps.review, ReviewQueue) else None
    wanted = [
        desired
        for plan in plans
        if (stored := datasets.store.get(plan.uri)) is not None
        and (
            desired := dataset_desired(
                stored, settings, review.decisions_for(plan.uri) if review else None
            )
        )
        is not None
    ]
    if not wanted:
        return
    report = writer.write(wanted)
    err = console(stderr=True)
    err.print(
        f"Atlan datasets: {report.created} created, {report.updated} updated, "
        f"{report.restored} restored, {report.unchanged} unchanged, {report.linked} objects "
        f"linked, {report.requests} write requests",
        highlight=False,
    )
    for uri, reason in sorted(report.failed.items())[:20]:
        err.print(f"  [yellow]not written: {uri}: {reason}[/yellow]", highlight=False)
    if report.error:
        err.print(f"[yellow]Atlan datasets: {report.error}; the next scan retries[/yellow]")


def _print_plan(plan: Any, output_format: str) -> None:
    from rich.console import Console
    from rich.table import Table

    rows = [
        {
            "qualified_name": o.qualified_name,
            "action": "restore"
            if o.restore
            else "create"
            if o.create
            else ("unchanged" if o.empty else "update"),
            "attributes": sorted(o.attributes),
            "description": o.description is not None,
            "custom_metadata": o.custom_metadata is not None,
            "add_tags": sorted(o.add_tags),
            "remove_tags": sorted(o.remove_tags),
            "suggestions": len(o.suggestions),
            "kept": list(o.skipped),
        }
        for o in plan.objects
    ]
    if output_format == "json":
        click.echo(json.dumps({"new_buckets": sorted(plan.new_buckets), "objects": rows}, indent=2))
        return
    table = Table(title="Atlan plan (dry run: nothing sent)")
    for name in ("object", "action", "changes", "tags to add", "suggestions"):
        table.add_column(name, overflow="fold")
    for r in rows:
        changes = ", ".join(
            [*r["attributes"], *(["description"] if r["description"] else [])]
            + (["custom metadata"] if r["custom_metadata"] else [])
        )
        table.add_row(
            r["qualified_name"], r["action"], changes or "–", ", ".join(r["add_tags"]) or "–",
            str(r["suggestions"]),
        )  # fmt: skip
    Console(width=160).print(table)


def _root_uri(uri: str) -> str:
    from models import ObjectRef

    return ObjectRef.parse(uri).uri


def _enrich_with_retry(
    target: ObjectInfo | ObjectRef, deps: Deps, options: EnrichOptions
) -> EnrichmentResult:
    """Run the core function, retrying a transient store failure with backoff (0.5 s, 2 s).

    After the last attempt the object is recorded as failed so that the scan goes on.
    """
    from models import EnrichmentResult, ErrorInfo, ObjectInfo, ObjectStatus
    from worker.core.errors import StoreUnavailable
    from worker.core.pipeline import enrich_object

    info = target if isinstance(target, ObjectInfo) else None
    delay = 0.5
    for attempt in range(_ATTEMPTS):
        try:
            return enrich_object(target, deps, options)
        except StoreUnavailable as exc:
            if attempt + 1 < _ATTEMPTS:
                time.sleep(delay)
                delay *= 4
                continue
            failed = EnrichmentResult(
                ref=target.ref if isinstance(target, ObjectInfo) else target,
                status=ObjectStatus.FAILED,
                info=info,
                error=ErrorInfo(exc.kind, exc.message, retryable=True),
            )
            if options.run_id is not None:
                deps.catalog.record(options.run_id, failed)
            return failed
    raise AssertionError("unreachable")
