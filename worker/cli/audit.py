"""``enricher audit ...``: check the audit trail's hash chain and export it for an auditor.

``verify`` walks the chain in the catalog database (or, with ``--export``, an export file)
and exits 1 naming the first broken row; ``export`` writes a period's rows with their hashes
and the chain head (:mod:`worker.core.audit_chain`, docs/audit.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli.common import EnricherCliError, catalog_service

if TYPE_CHECKING:
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.core.audit_chain import ChainRow
    from worker.core.settings import Settings


@dataclass
class _AuditTrail:
    store: SqlReviewStore


def _build(settings: Settings) -> _AuditTrail:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.review_store import SqlReviewStore

    return _AuditTrail(SqlReviewStore(SqlLocalCatalog(settings.database_url)))


def manifest_path(export: Path) -> Path:
    """Where a CSV export's manifest goes: beside it, ``<name>.chain.json``."""
    return export.with_name(export.name + ".chain.json")


def _parse_bound(value: str | None, option: str, end: bool) -> datetime | None:
    """A period bound: a date covers its whole day (UTC); a date-time is taken as given."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date or date-time (2026-11-01, 2026-11-01T12:00:00Z)",
            param_hint=f"'{option}'",
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@click.group()
def audit() -> None:
    """The audit trail: verify its hash chain, export a period for an auditor.

    Every audit row carries the hash of the row before it, so an edited, deleted or
    reordered row breaks the chain (docs/audit.md).
    """


@audit.command("verify")
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check this export file (from `enricher audit export`) instead of the database.",
)
@click.pass_context
def audit_verify(ctx: click.Context, export_file: Path | None) -> None:
    """Check the audit chain: exit 0 with the count and the head, 1 naming the first break.

    The database: every row's hash, every link, from the genesis value to the recorded
    chain head. An export: its rows' hashes and links, and that they agree with its manifest
    (a run from row #1 must start at the genesis value).
    """
    if export_file is not None:
        _verify_export(export_file)
        return
    from worker.core.audit_chain import verify_chain

    with catalog_service(ctx, _build) as trail:
        head = trail.store.audit_chain_head()
        last = head[0] if head is not None else None
        report = verify_chain(trail.store.audit_chain(last_seq=last), head=head)
    if report.broken is not None:
        raise EnricherCliError(f"audit chain broken: {report.broken.message}")
    if head is None and report.last is not None:
        # The head row is made with the first append and never removed by s3-enricher.
        raise EnricherCliError(
            f"audit chain broken: the chain head is missing (the newest row present is "
            f"{report.last.label()}; newer rows may have been deleted)"
        )
    if report.last is None:
        click.echo("audit chain OK: 0 rows (empty)")
        return
    click.echo(
        f"audit chain OK: {report.count} rows; head {report.last.label()} "
        f"sha256 {report.last.row_hash}"
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnricherCliError(f"cannot read {path}: {exc}") from exc


def _load_export(path: Path) -> tuple[list[ChainRow], dict[str, Any]]:
    """An export's rows and manifest (JSON: one file; CSV: the file and its manifest)."""
    from worker.core.audit_chain import EXPORT_FORMAT, rows_from_csv, rows_from_json

    text = _read(path)
    is_json = text.lstrip().startswith("{")
    manifest_text = text if is_json else _read_manifest(path)
    try:
        manifest = json.loads(manifest_text)
    except ValueError as exc:
        raise EnricherCliError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise EnricherCliError(f"{path}: not an audit export (no format {EXPORT_FORMAT!r})")
    try:
        rows = rows_from_json(manifest.get("rows")) if is_json else rows_from_csv(text)
    except ValueError as exc:
        raise EnricherCliError(f"{path}: {exc}") from exc
    if not is_json:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if (manifest.get("file") or {}).get("sha256") != digest:
            raise EnricherCliError(f"{path}: its sha256 is not the one its manifest records")
    return rows, manifest


def _read_manifest(path: Path) -> str:
    side = manifest_path(path)
    if not side.exists():
        raise EnricherCliError(f"{path}: no manifest {side.name} beside the CSV export")
    return _read(side)


def _verify_export(path: Path) -> None:
    from worker.core.audit_chain import GENESIS, verify_export

    rows, manifest = _load_export(path)
    try:
        check = verify_export(rows, manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise EnricherCliError(f"{path}: malformed manifest: {exc}") from exc
    if check.problem is not None:
        raise EnricherCliError(f"audit export broken: {check.problem}")
    first, last = check.report.first, check.report.last
    head = manifest["chain_head"]
    if first is None or last is None:
        click.echo(f"audit export OK: 0 rows; chain head at export #{head['seq']}")
        return
    link = (
        "the genesis value"
        if first.seq == 1 and first.prev_hash == GENESIS
        else f"row #{first.seq - 1}'s hash {first.prev_hash} (check it against an earlier "
        "export or the database)"
    )
    click.echo(
        f"audit export OK: {check.report.count} rows #{first.seq} to #{last.seq}; "
        f"first row links to {link}; export head #{last.seq} sha256 {last.row_hash}; "
        f"chain head at export #{head['seq']} sha256 {head['row_hash']}"
    )


@audit.command("export")
@click.option("--from", "start", metavar="DATE", help="First day (UTC) or date-time; default all.")
@click.option("--to", "end", metavar="DATE", help="Last day, inclusive (UTC), or date-time.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="json",
    show_default=True,
    help="JSON (one file) or CSV (and its manifest <FILE>.chain.json beside it).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The file to write.",
)
@click.pass_context
def audit_export(
    ctx: click.Context, start: str | None, end: str | None, output_format: str, output: Path
) -> None:
    """Write the audit rows of a period with their hashes and the chain head.

    The rows are every row from the first to the last of the period, in chain order; the
    manifest records the hash of the newest row overall (the chain head) and of the newest
    row exported, so a later export or `enricher audit verify --export` can check it.
    """
    from worker.core.audit_chain import GENESIS, export_csv, export_manifest

    low = _parse_bound(start, "--from", end=False)
    high = _parse_bound(end, "--to", end=True)
    if low is not None and high is not None and high <= low:
        raise click.BadParameter("the period ends before it starts", param_hint="'--to'")
    with catalog_service(ctx, _build) as trail:
        head = trail.store.audit_chain_head() or (0, GENESIS)
        span = trail.store.audit_period(low, high)
        rows = (
            list(trail.store.audit_chain(span[0], min(span[1], head[0])))
            if span is not None
            else []
        )
    manifest = export_manifest(rows, head, (start, end), datetime.now(UTC))
    try:
        if output_format == "json":
            manifest["rows"] = [r.to_export() for r in rows]
            text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            output.write_text(text, encoding="utf-8")
        else:
            data = export_csv(rows).encode("utf-8")
            output.write_bytes(data)
            manifest["file"] = {"name": output.name, "sha256": hashlib.sha256(data).hexdigest()}
            text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            manifest_path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise EnricherCliError(f"cannot write {output}: {exc.strerror}") from exc
    where = str(output) if output_format == "json" else f"{output} and {manifest_path(output)}"
    click.echo(
        f"wrote {len(rows)} audit rows to {where}; chain head #{head[0]} sha256 {head[1]}",
        err=True,
    )
