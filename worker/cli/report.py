"""``enricher report compliance``: the monthly compliance report from the local catalog.

PII inventory, personal-data flows, data contracts (``--contracts``, else ``contracts.dir``),
coverage KPIs, steward activity and the changes since the previous report kept in the same
directory, as HTML, CSV and JSON (:mod:`worker.services.compliance`, docs/compliance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.cli.common import EnricherCliError, catalog_service

if TYPE_CHECKING:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.review_store import SqlReviewStore
    from worker.core.settings import Settings
    from worker.services.compliance.service import ComplianceService, ContractChecker


#: Debian's Chromium (``apt-get install chromium``), else the first ``chromium`` on PATH.
CHROMIUM = "/usr/bin/chromium"
_PDF_TIMEOUT_S = 300


def chromium_pdf(html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium (local file only, no network).

    :raises ConfigError: no Chromium installed.
    :raises RunError: Chromium failed or wrote no PDF.
    Side effects: runs Chromium in a throw-away profile directory; writes ``pdf``.
    """
    import shutil
    import subprocess
    import tempfile

    from worker.core.errors import ConfigError, RunError

    browser = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if browser is None:
        raise ConfigError("PDF output needs Chromium (apt-get install chromium); none found")
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="s3e-chromium-") as profile:
        try:
            done = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}",
                    html.resolve().as_uri(),
                ],  # fmt: skip
                capture_output=True,
                text=True,
                timeout=_PDF_TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RunError(f"Chromium could not print {html.name}: {exc}") from None
    if done.returncode != 0 or not pdf.exists():
        raise RunError(f"Chromium could not print {html.name} (exit {done.returncode})")


@dataclass
class _Compliance:
    store: SqlReviewStore
    service: ComplianceService


def contract_checker(
    catalog: SqlLocalCatalog,
) -> Callable[[Callable[[], datetime]], ContractChecker]:
    """Builds the contract service on ``catalog`` with the report's clock, raising no alert."""
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.services.contracts.service import ContractService

    store = SqlDatasetStore(catalog)
    return lambda clock: ContractService(store, None, clock=clock)


def _builder(contracts: Path | None) -> Callable[[Settings], _Compliance]:
    def build(settings: Settings) -> _Compliance:
        from worker.adapters.catalog.database import SqlLocalCatalog
        from worker.adapters.catalog.dataset_store import SqlDatasetStore
        from worker.adapters.catalog.lineage_store import SqlLineageStore
        from worker.adapters.catalog.review_store import SqlReviewStore
        from worker.services.compliance.service import ComplianceService

        catalog = SqlLocalCatalog(settings.database_url)
        review = SqlReviewStore(catalog)
        return _Compliance(
            review,
            ComplianceService(
                SqlDatasetStore(catalog),
                SqlLineageStore(catalog),
                review,
                pdf_printer=chromium_pdf,
                contracts_dir=contracts or settings.contracts.dir,
                contracts=contract_checker(catalog),
            ),
        )

    return build


@click.group()
def report() -> None:
    """Reports drawn from the local catalog (compliance)."""


@report.command("compliance")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month the report covers.")
@click.option(
    "--format",
    "formats",
    type=click.Choice(["html", "csv", "json", "pdf"]),
    multiple=True,
    default=("html", "csv", "json"),
    show_default=True,
    help="Output format (repeat for several; the JSON form is always written; pdf prints "
    "the HTML with headless Chromium).",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the files (an earlier month's JSON report here is compared with).",
)
@click.option(
    "--contracts",
    "contracts",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the data contracts to check (default: the contracts.dir setting).",
)
@click.pass_context
def compliance(
    ctx: click.Context,
    period: str,
    formats: tuple[str, ...],
    out_dir: Path,
    contracts: Path | None,
) -> None:
    """Write the compliance report of PERIOD: data map, flows, contracts, KPIs, decisions.

    Prints each file written and the manifest (inputs with the contract files, catalog
    state, sha256 of each file).
    """
    from worker.core.compliance import Period

    try:
        month = Period.parse(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--period'") from None
    with catalog_service(ctx, _builder(contracts)) as built:
        try:
            written = built.service.write(month, formats, out_dir)
        except OSError as exc:
            raise EnricherCliError(f"cannot write the report to {out_dir}: {exc}") from exc
    for path in written.files:
        click.echo(str(path))
    click.echo(str(written.manifest))
    flows = written.report["flows"]
    checked = written.report["contracts"]
    if checked["configured"]:
        broken = sum(len(c["violations"]) for c in checked["contracts"])
        note = f" ({checked['note']})" if checked["note"] else ""
        click.echo(f"contracts: {len(checked['contracts'])} checked, {broken} violations{note}")
    click.echo(
        f"compliance {month.label}: {len(written.report['inventory']['datasets'])} PII datasets, "
        f"{len(flows)} flows ({sum(1 for f in flows if not f['masked'])} unmasked), "
        f"{len(written.report['steward_activity']['decisions'])} decisions"
    )
