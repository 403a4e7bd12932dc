"""The compliance report over the API: ``GET /api/v1/reports/compliance?period=&format=``.

Stewards and admins only, as the audit log: the report names the people who decided and
why. Any token scope may read it. ``format`` is ``json`` (the report, the default), ``html``
(the self-contained page) or ``csv`` (a zip of the CSV tables; ``table=flows`` for one of
them). The files are the ones ``enricher report compliance --period ... -o EMPTY_DIR`` writes,
byte for byte: the service writes them to a temporary folder (:func:`report_files`), which the
UI's downloads share, as they share the app's compliance service (:func:`install`,
:data:`Compliance`). The report is drawn live from the catalog, compared with no earlier one
(the changes section says so); a month that has not begun is refused (400).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from models.review import Role, User
from worker.core.compliance import Period
from worker.core.compliance_render import CSV_TABLES
from worker.core.errors import InvalidDecision, SuggestionNotFound
from worker.services.compliance.service import ComplianceService
from worker.web.api_deps import no_nul_in_query, who
from worker.web.api_models import ERRORS, ErrorOut
from worker.web.deps import Review

if TYPE_CHECKING:
    from worker.bootstrap import SqlReviewService

router = APIRouter(
    prefix="/api/v1",
    tags=["reports"],
    responses=ERRORS,
    dependencies=[Depends(no_nul_in_query)],
)

#: The forms the UI and the API hand out (PDF needs Chromium: the CLI only).
FORMATS = ("html", "csv", "json")
MEDIA_TYPES = {
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".zip": "application/zip",
}
#: Zip members carry this time, so the same CSVs give the same zip bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def install(app: FastAPI, review: SqlReviewService, contracts_dir: Path | None = None) -> None:
    """Give ``app`` a compliance service on the review's catalog.

    :param contracts_dir: the contracts folder (``contracts.dir``), checked at the report's
        as-of time without raising alerts; ``None``: the report says none is set.
    Side effect: sets ``app.state.compliance_service``.
    """
    from worker.adapters.catalog.dataset_store import SqlDatasetStore
    from worker.adapters.catalog.lineage_store import SqlLineageStore
    from worker.services.contracts.service import ContractService

    catalog = review.store.catalog
    store = SqlDatasetStore(catalog)
    app.state.compliance_service = ComplianceService(
        store,
        SqlLineageStore(catalog),
        review.store,
        contracts_dir=contracts_dir,
        contracts=lambda clock: ContractService(store, None, clock=clock),
    )


async def compliance_service(request: Request) -> ComplianceService:
    """Dependency: the app's compliance service (see :func:`install`)."""
    service: ComplianceService = request.app.state.compliance_service
    return service


Compliance = Annotated[ComplianceService, Depends(compliance_service)]


def current_month(now: datetime | None = None) -> Period:
    """The calendar month (UTC) of ``now`` (default: the clock's)."""
    return Period.parse((now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m"))


def parse_period(text: str | None, now: datetime | None = None) -> Period:
    """``YYYY-MM`` (default: the current month), not after the current month.

    :raises InvalidDecision: not a month, or one that has not begun (the API's 400).
    """
    this_month = current_month(now)
    if not text:
        return this_month
    try:
        period = Period.parse(text)
    except ValueError as exc:
        raise InvalidDecision(f"period: {exc}") from None
    if period.start > this_month.start:
        raise InvalidDecision(f"period {period.label} has not begun: no report yet")
    return period


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """One period's report files as the CLI writes them: name → bytes, and the report data."""

    period: Period
    files: dict[str, bytes]
    report: dict[str, Any]

    @property
    def stem(self) -> str:
        """``compliance-YYYY-MM``, the start of every file name."""
        return f"compliance-{self.period.label}"

    @property
    def csv_names(self) -> list[str]:
        """The CSV tables' file names, sorted."""
        return sorted(n for n in self.files if n.endswith(".csv"))

    @property
    def zip_name(self) -> str:
        """The file name of the CSV tables' zip."""
        return f"{self.stem}-csv.zip"

    def csv_zip(self) -> bytes:
        """The CSV tables in one zip (fixed member times: the same tables, the same bytes)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.csv_names:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, self.files[name])
        return out.getvalue()

    def download(self, name: str) -> Response:
        """The file ``name`` (or the CSV zip) as an attachment that is never cached.

        :raises SuggestionNotFound: no such file in this report (404).
        """
        if name == self.zip_name:
            body = self.csv_zip()
        elif name in self.files:
            body = self.files[name]
        else:
            raise SuggestionNotFound(f"no file {name!r} in the {self.period.label} report")
        return Response(
            body,
            media_type=MEDIA_TYPES[Path(name).suffix],
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )


def report_files(service: ComplianceService, period: Period) -> ReportFiles:
    """Write ``period``'s report in HTML, CSV and JSON with its manifest; read the files back.

    Side effects: reads the catalog; writes and removes a temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="s3e-compliance-") as folder:
        written = service.write(period, FORMATS, Path(folder))
        files = {p.name: p.read_bytes() for p in (*written.files, written.manifest)}
    return ReportFiles(period, files, written.report)


@router.get(
    "/reports/compliance",
    response_class=Response,
    responses={
        200: {
            "description": "the report in the asked form",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        400: {"model": ErrorOut, "description": "not a month, a month not begun, a bad table"},
        404: {"model": ErrorOut, "description": "no such table in this report (changes)"},
    },
)
def compliance_report(
    review: Review,
    service: Compliance,
    user: User = who,
    period: str | None = Query(
        None, description="the month, YYYY-MM (UTC); default the current month", max_length=7
    ),
    form: Literal["json", "csv", "html"] = Query(
        "json", alias="format", description="csv: a zip of the tables"
    ),
    table: str | None = Query(
        None,
        max_length=40,
        description="with format=csv, this one table as CSV instead of the zip: "
        + ", ".join(CSV_TABLES),
    ),
) -> Response:
    """The compliance report of a month (stewards and admins): JSON, HTML or CSV."""
    review.require(user, Role.STEWARD)
    if table is not None and (form != "csv" or table not in CSV_TABLES):
        raise InvalidDecision(f"table: one of {', '.join(CSV_TABLES)}, with format=csv")
    files = report_files(service, parse_period(period))
    if form == "csv":
        name = files.zip_name if table is None else f"{files.stem}-{table.replace('_', '-')}.csv"
    else:
        name = f"{files.stem}.{form}"
    return files.download(name)
