"""``enricher scan``: sample and classify objects, report, and write the findings to Atlan.

Exit codes: 0 every object was classified or skipped; 3 some objects failed (each is in the
report with its error kind); 1 the run itself could not proceed; 2 usage errors.

A scan runs in bounded memory whatever the number of objects (issue 17): the listing is
consumed as it comes, and each result is reported as soon as it is made (the catalog, the
report stream, the summary counts, the next Atlan batch), then dropped with its sample.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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
    from models.plan import DesiredObject, WriteReport
    from worker.core.pipeline import Deps, EnrichOptions
    from worker.core.ports import CatalogWriter
    from worker.core.settings import Settings
    from worker.services.datasets.service import DatasetOutcome, DatasetPlan, DatasetService

_ATTEMPTS = 3
#: Rows of the text summary tables (and failure lines) kept; the others are only counted.
_TABLE_ROWS = 200
#: Objects per Atlan write while a scan goes on (the writer splits it into its requests).
_ATLAN_BATCH = 500
#: Refusals, notes and warnings of the Atlan write kept for printing (all are counted).
_ATLAN_KEPT = 200


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

    from models import ObjectStatus
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.bootstrap import build_datasets, build_deps, build_lineage
    from worker.core.discovery import discover
    from worker.core.pipeline import EnrichOptions
    from worker.core.report import ReportStream, report_file
    from worker.services.datasets.report import dataset_entry

    settings = load_cli_settings(ctx, config_file)
    err = Console(stderr=True)
    started = time.monotonic()
    roots = [_root_uri(u) for u in uris]
    tally = _ObjectTally(roots)
    dataset_tally = _DatasetTally(roots)
    try:
        deps = build_deps(settings)
        local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
        datasets = build_datasets(settings, local) if settings.datasets.enabled else None
        run_id = deps.catalog.start_run("scan", list(uris))
        options = EnrichOptions(
            sampling=settings.sampling.options(sample_rows), force=force, run_id=run_id
        )
        atlan = _AtlanBatches(settings, deps, dry_run)
        with ExitStack() as stack:
            # The report goes to its file (renamed into place at the end) or, for
            # --format json alone, to a temporary file printed at the end: either way an
            # error stops the run with no partial document printed or left in place.
            out: IO[str] | None = None
            if report_path is not None:
                out = stack.enter_context(report_file(report_path))
            elif output_format == "json":
                out = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
            report = ReportStream(out, run_id) if out is not None else None
            if report is not None:
                stack.callback(report.discard)

            def take(result: EnrichmentResult) -> None:
                """Report one finished result; the caller then drops it (its sample too)."""
                if report is not None:
                    report.add(result)
                tally.add(result)
                atlan.add(result)

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
                    # Each object is enriched as the listing yields it: the listing is
                    # never held, so the total stays unknown until the end.
                    task = progress.add_task("objects", total=None)
                    for info in listing:
                        progress.update(task, description=_display_name(info.ref.uri, roots)[-40:])
                        take(_enrich_with_retry(info, deps, options))
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
                        for result in sampled:
                            take(result)
                        if report is not None:
                            report.add_dataset(dataset_entry(plan, outcome))
                        dataset_tally.add(plan, outcome)
                progress.update(task, description="done")
            deps.catalog.finish_run(run_id, dict(tally.counts))
            if dataset_tally.any_new:
                # New datasets may change what stored lineage endpoints resolve to.
                build_lineage(settings, local).reresolve()
            if report is not None:
                report.finish()
            if out is not None and output_format == "json" and report_path is None:
                _echo_file(out)
        if output_format == "json" and report_path is not None:
            with report_path.open(encoding="utf-8") as written:
                _echo_file(written)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    if output_format != "json":
        _print_summary(settings, deps, tally, dataset_tally, report_path, started)
    atlan.finish(output_format)
    if datasets is not None and dataset_tally.uris and not dry_run:
        _write_datasets_to_atlan(settings, deps, datasets, dataset_tally.uris)
    if tally.counts.get(ObjectStatus.FAILED.value):
        raise PartialFailure()


def _echo_file(source: IO[str]) -> None:
    """Print a text file to stdout, a chunk at a time (it may be as large as the scan)."""
    source.seek(0)
    while chunk := source.read(1 << 20):
        click.echo(chunk, nl=False)


def _print_summary(
    settings: Settings,
    deps: Deps,
    tally: _ObjectTally,
    dataset_tally: _DatasetTally,
    report_path: Path | None,
    started: float,
) -> None:
    """The text output of a scan: the tables, the failures, the totals, where things are."""
    from rich.text import Text

    from worker.adapters.catalog.database import safe_url

    out = console()
    out.print(tally.table())
    if dataset_tally.count:
        out.print(dataset_tally.table())
    for name, message in tally.failures:
        out.print(Text.assemble(("failed ", "red"), f"{name}: {message}"))
    if tally.more_failures:
        out.print(
            Text.assemble(
                ("failed ", "red"),
                f"… {tally.more_failures:,} more objects (see --report)",
            )
        )
    counts = tally.counts
    out.print(
        f"{tally.objects} objects: {counts.get('classified', 0)} classified, "
        f"{counts.get('skipped', 0)} skipped, {counts.get('failed', 0)} failed · "
        f"{tally.pii_columns} PII columns · {tally.bytes_read / 1e6:.2f} MB read in "
        f"{time.monotonic() - started:.1f} s"
    )
    where = f"report: {report_path}" if report_path else "no report file (use --report)"
    out.print(f"catalog: {safe_url(settings.database_url)} · {where}")
    pending = _pending_reviews(deps)
    if pending:
        out.print(
            f"review: {pending} suggestion{'s' if pending != 1 else ''} pending · "
            "`enricher review list`, or `enricher serve` for the web UI"
        )


class _ObjectTally:
    """What the text output needs of the scanned objects: counts, and a bounded table.

    The table keeps the first :data:`_TABLE_ROWS` objects, then up to as many later failed
    objects (a failure is worth seeing), and counts the rest for a last "… N more" row;
    the "failed" lines keep the first :data:`_TABLE_ROWS` failures.
    """

    def __init__(self, roots: list[str], limit: int = _TABLE_ROWS) -> None:
        self.roots = roots
        self.limit = limit
        self.counts: Counter[str] = Counter()
        self.objects = 0
        self.bytes_read = 0
        self.pii_columns = 0
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.failed_rows = 0
        self.more_rows = 0
        self.failures: list[tuple[str, str]] = []
        self.more_failures = 0

    def add(self, r: EnrichmentResult) -> None:
        """Count one result and keep its table row if there is room (never its sample)."""
        from models import ObjectStatus

        self.objects += 1
        self.counts[r.status.value] += 1
        self.bytes_read += r.bytes_read
        self.pii_columns += sum(1 for c in r.columns if c.entities)
        failed = r.status is ObjectStatus.FAILED
        if len(self.rows) - self.failed_rows < self.limit:
            self.rows.append(_table_row(r, self.roots))
        elif failed and self.failed_rows < self.limit:
            self.rows.append(_table_row(r, self.roots))
            self.failed_rows += 1
        else:
            self.more_rows += 1
        if failed and r.error is not None:
            if len(self.failures) < self.limit:
                self.failures.append((_display_name(r.ref.uri, self.roots), r.error.message))
            else:
                self.more_failures += 1

    def table(self) -> Table:
        """The summary table of the kept rows."""
        from rich.table import Table

        table = Table(title="s3-enricher scan", show_lines=False, expand=False)
        table.add_column("object", overflow="fold")
        table.add_column("format")
        table.add_column("rows", justify="right")
        table.add_column("status")
        table.add_column("PII columns → entities", overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        if self.more_rows:
            table.add_row(f"… {self.more_rows:,} more objects (see --report)", "", "", "", "")
        return table


class _DatasetTally:
    """What the end of a datasets scan needs: a bounded table, the URIs for Atlan, counts."""

    def __init__(self, roots: list[str], limit: int = _TABLE_ROWS) -> None:
        self.roots = roots
        self.limit = limit
        self.count = 0
        self.any_new = False
        self.uris: list[str] = []
        self.rows: list[tuple[str, ...]] = []

    def add(self, plan: DatasetPlan, outcome: DatasetOutcome) -> None:
        """Note one concluded dataset (its plan and outcome are not kept)."""
        self.count += 1
        self.any_new = self.any_new or plan.update.is_new
        self.uris.append(plan.uri)
        if len(self.rows) >= self.limit:
            return
        summary = plan.summary
        pii = ", ".join(e for e, _ in outcome.verdict.entities) if outcome.verdict else ""
        self.rows.append((
            _display_name(summary.uri, self.roots), summary.rule.value,
            f"{summary.object_count:,}", f"{len(summary.partitions):,}", str(outcome.sampled),
            pii or "–", str(len(outcome.alerts)) if outcome.alerts else "–",
        ))  # fmt: skip

    def table(self) -> Table:
        """The datasets table of the kept rows."""
        from rich.table import Table

        table = Table(title="datasets", show_lines=False, expand=False)
        for name in ("dataset", "rule", "objects", "partitions", "sampled", "PII", "alerts"):
            table.add_column(name, overflow="fold", justify="right" if name[0] in "ops" else "left")
        for row in self.rows:
            table.add_row(*row)
        if self.count > len(self.rows):
            more = self.count - len(self.rows)
            table.add_row(f"… {more:,} more datasets (see --report)", *[""] * 6)
        return table


class _AtlanBatches:
    """The scan's Atlan write, a batch at a time as objects finish.

    Each result's desired state is made while its sample is still there, then written with
    the next :data:`_ATLAN_BATCH` (the outbox is flushed before the first). With
    ``--dry-run`` the desired states (no samples) are kept and planned at the end, as the
    printed plan lists every object anyway. A writer that cannot be set up stops nothing
    (or a write that raises) stops nothing until :meth:`finish`, so that the scan and its
    report still happen.
    """

    def __init__(self, settings: Settings, deps: Deps, dry_run: bool) -> None:
        from worker.adapters.catalog.database import SqlLocalCatalog
        from worker.bootstrap import build_catalog_writer

        self.settings, self.deps, self.dry_run = settings, deps, dry_run
        self.setup_error: str | None = None
        self.writer: CatalogWriter | None = None
        local = deps.catalog if isinstance(deps.catalog, SqlLocalCatalog) else None
        try:
            self.writer = build_catalog_writer(settings, local)
        except EnrichmentError as exc:
            self.setup_error = exc.message
        self.pending: list[DesiredObject] = []
        self.flushed: WriteReport | None = None
        self.total = _AtlanTotal()

    def add(self, result: EnrichmentResult) -> None:
        """Make ``result``'s desired state; write a batch when one is full.

        Side effects: Atlan writes, outbox entries (see :meth:`CatalogWriter.write`).
        """
        from worker.services.review.queue import desired_state

        if self.writer is None:
            return
        desired = desired_state(self.deps, self.settings, result)
        if desired is None:
            return
        self.pending.append(desired)
        if not self.dry_run and len(self.pending) >= _ATLAN_BATCH:
            try:
                self._send()
            except EnrichmentError as exc:
                # As when the write came after the scan: the scan and its report go on,
                # the command then fails with this message and writes nothing more.
                self.setup_error, self.writer = exc.message, None

    def _send(self) -> None:
        assert self.writer is not None
        if self.flushed is None:
            self.flushed = self.writer.flush()
        batch, self.pending = self.pending, []
        self.total.add(self.writer.write(batch))

    def finish(self, output_format: str) -> None:
        """Write the last batch and print what the write did (or the plan, with --dry-run).

        :raises EnricherCliError: Atlan could not be set up or the write could not start.
        """
        if self.setup_error is not None:
            raise EnricherCliError(self.setup_error)
        if self.writer is None:
            return
        try:
            if self.dry_run:
                _print_plan(self.writer.plan(self.pending), output_format)
                return
            self._send()
        except EnrichmentError as exc:
            raise EnricherCliError(exc.message) from exc
        assert self.flushed is not None
        self.total.print(self.flushed)


class _AtlanTotal:
    """The Atlan write reports of a scan's batches added up; a bounded few reasons kept."""

    _SUMMED = (
        "objects", "unchanged", "created", "updated", "restored", "adopted", "tags_added",
        "tags_removed", "suggestions", "requests", "queued",
    )  # fmt: skip

    def __init__(self) -> None:
        self.sums: Counter[str] = Counter()
        self.error: str | None = None
        self.retry_after_s: float | None = None
        self.rejected: dict[str, str] = {}
        self.rejected_count = 0
        self.notes: list[str] = []
        self.warnings: list[str] = []

    def add(self, report: WriteReport) -> None:
        """Add one batch's report."""
        for name in self._SUMMED:
            self.sums[name] += getattr(report, name)
        if report.error:
            self.error, self.retry_after_s = report.error, report.retry_after_s
        self.rejected_count += len(report.rejected)
        for uri, reason in report.rejected.items():
            if len(self.rejected) < _ATLAN_KEPT:
                self.rejected[uri] = reason
        self.notes.extend(report.notes[: max(0, _ATLAN_KEPT - len(self.notes))])
        self.warnings.extend(report.warnings[: max(0, _ATLAN_KEPT - len(self.warnings))])

    def print(self, queued: WriteReport) -> None:
        """Print the totals, a few reasons, and what to do about writes left in the outbox."""
        err = console(stderr=True)
        if queued.objects:
            err.print(
                f"Atlan outbox: {queued.objects - queued.queued} of {queued.objects} earlier "
                "writes delivered"
            )
        n = self.sums
        extra = "".join(
            f", {count} {what}"
            for count, what in ((n["restored"], "restored"), (n["adopted"], "adopted"))
            if count
        )
        line = (
            f"Atlan: {n['created']} created, {n['updated']} updated{extra}, {n['unchanged']} "
            f"unchanged, {n['tags_added']} tags added, {n['suggestions']} new suggestions, "
            f"{n['requests']} write requests"
        )
        err.print(line, highlight=False)
        for note in self.notes[:20]:
            err.print(f"  kept: {note}", highlight=False)
        for warning in self.warnings[:20]:
            err.print(f"  warning: {warning}", highlight=False)
        for uri, reason in sorted(self.rejected.items())[:20]:
            err.print(f"  [yellow]refused: {uri}: {reason}[/yellow]", highlight=False)
        if self.error:
            wait = f"; Atlan asked to wait {self.retry_after_s:g} s" if self.retry_after_s else ""
            err.print(
                f"[yellow]Atlan: {n['queued']} writes kept in the outbox ({self.error}{wait}); "
                "`enricher atlan flush` retries them[/yellow]"
            )
        elif self.rejected_count:
            err.print(
                f"[yellow]Atlan: {self.rejected_count} writes refused and kept in the outbox; "
                "`enricher atlan status` shows why, `enricher atlan flush` retries them[/yellow]"
            )


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


def _table_row(r: EnrichmentResult, roots: list[str]) -> tuple[str, str, str, str, str]:
    """One object's row of the summary table: name, format, rows, status, PII."""
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
    return (_display_name(r.ref.uri, roots), fmt, rows, status, _pii_summary(r) or "–")


def _pending_reviews(deps: Deps) -> int:
    """How many suggestions wait for a steward (0 when the catalog has no review queue)."""
    from models.review import SuggestionFilter
    from worker.services.review.queue import ReviewQueue

    if not isinstance(deps.review, ReviewQueue):
        return 0
    return deps.review.store.count(SuggestionFilter())


def _write_datasets_to_atlan(
    settings: Settings, deps: Deps, datasets: DatasetService, uris: list[str]
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
        for uri in uris
        if (stored := datasets.store.get(uri)) is not None
        and (
            desired := dataset_desired(
                stored, settings, review.decisions_for(uri) if review else None
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
