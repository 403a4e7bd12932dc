"""The scheduled compliance report: ``s3e.compliance_report`` (queue ``jobs``, sent by beat).

Thin: :class:`~worker.services.compliance.service.ComplianceService` builds and writes the
report (docs/compliance.md). This module picks the month (the previous complete one, UTC,
unless the message names one), the folder (``compliance.output_dir/YYYY-MM/``) and the report
it is compared with (the newest earlier month's JSON in a sibling folder), and puts the files
in place whole: they are written to a fresh folder beside it, then each is renamed over its
old self, so a reader never sees half a file and two runs at once (a redelivery) leave one
complete set. A past month is drawn as of its end, so a rerun on the same catalog state
rewrites the same bytes. Nobody reads the result (``ignore_result``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import shared_task

from worker.core.compliance import Period, previous_period
from worker.core.errors import ConfigError, RunError
from worker.services.compliance.service import ComplianceService, WrittenReport
from worker.tasks import names, runtime

if TYPE_CHECKING:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.core.settings import ComplianceSettings

logger = logging.getLogger(__name__)

_MONTH_FOLDER = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: What a run replaces in its month's folder (a PDF printed there by hand stays).
_REPLACED = (".csv", ".html", ".json")


def previous_month(now: datetime) -> Period:
    """The last complete calendar month (UTC) before ``now``."""
    return previous_period(Period.parse(now.astimezone(UTC).strftime("%Y-%m")))


def compliance_service(
    catalog: SqlLocalCatalog, contracts_dir: Path | None = None
) -> ComplianceService:
    """The compliance service on ``catalog``'s dataset, lineage and review stores.

    :param contracts_dir: the contracts folder (``contracts.dir``), checked by the contract
        service at the report's as-of time without raising alerts.
    """
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.services.contracts.service import ContractService

    store = SqlDatasetStore(catalog)
    return ComplianceService(
        store,
        SqlLineageStore(catalog),
        SqlReviewStore(catalog),
        contracts_dir=contracts_dir,
        contracts=lambda clock: ContractService(store, None, clock=clock),
    )


def kept_previous(root: Path, period: Period) -> Path | None:
    """The JSON report of the newest month before ``period`` kept under ``root``, or ``None``."""
    if not root.is_dir():
        return None
    earlier = sorted(
        (p.name for p in root.iterdir() if _MONTH_FOLDER.match(p.name) and p.name < period.label),
        reverse=True,
    )
    for label in earlier:
        path = root / label / f"compliance-{label}.json"
        if path.is_file():
            return path
    return None


def write_month(
    service: ComplianceService, settings: ComplianceSettings, period: Period
) -> WrittenReport:
    """Write ``period``'s report to ``settings.output_dir/YYYY-MM/`` (see the module).

    :returns: the files and the manifest at their final paths, and the report data.
    :raises ConfigError: the kept previous report is not a compliance report.
    :raises OSError: the folder cannot be written.
    Side effects: creates the folders; replaces the month's HTML, CSV and JSON files (and
    removes those of them the run did not write again); a staging folder
    ``.YYYY-MM-*`` lives beside them while it runs.
    """
    root = settings.output_dir
    final = root / period.label
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{period.label}-", dir=root))
    try:
        previous = kept_previous(root, period)
        if previous is not None:
            # The service compares with an earlier month's JSON in the folder it writes to.
            shutil.copyfile(previous, staging / previous.name)
        written = service.write(period, settings.formats, staging)
        final.mkdir(exist_ok=True)
        placed = []
        for path in (*written.files, written.manifest):
            os.replace(path, final / path.name)
            placed.append(final / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    names_now = {p.name for p in placed}
    for stale in final.glob(f"compliance-{period.label}*"):
        if stale.name not in names_now and stale.suffix in _REPLACED:
            stale.unlink(missing_ok=True)
    return WrittenReport(tuple(placed[:-1]), placed[-1], written.report)


@shared_task(name=names.COMPLIANCE_REPORT, ignore_result=True)
def compliance_report(period: str | None = None) -> dict[str, Any]:
    """Write the compliance report of ``period`` (``YYYY-MM``; default the previous month).

    :raises ConfigError: ``period`` is not a month, or the kept previous report is unreadable.
    :raises RunError: the output folder cannot be written.
    Side effects: reads the catalog; writes ``compliance.output_dir/YYYY-MM/``.
    """
    rt = runtime.current()
    try:
        month = Period.parse(period) if period else previous_month(datetime.now(UTC))
    except ValueError as exc:
        raise ConfigError(f"compliance report: {exc}") from exc
    settings = rt.settings.compliance
    try:
        written = write_month(
            compliance_service(rt.catalog, rt.settings.contracts.dir), settings, month
        )
    except OSError as exc:
        raise RunError(
            f"cannot write the compliance report to {settings.output_dir}: {exc.strerror}"
        ) from exc
    logger.info(
        "compliance report %s: %d files in %s",
        month.label,
        len(written.files) + 1,
        written.manifest.parent,
    )
    return {
        "period": month.label,
        "folder": str(written.manifest.parent),
        "files": len(written.files) + 1,
    }
