"""The compliance report's page (stewards and admins): ``/compliance?period=YYYY-MM``.

The page is the report of ``enricher report compliance`` for the chosen month (the current
month by default), drawn live from the catalog: its six sections are the HTML report's own
markup (:func:`worker.core.compliance_render.to_html`), set in the UI's frame, with links to
the files the CLI writes (HTML, each CSV table, the CSV tables as a zip, JSON, manifest),
served by ``/compliance/files/NAME`` byte for byte as the CLI writes them into an empty
folder. Like the audit log, it names the people who decided and why, so viewers may not
read it.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from markupsafe import Markup

from models.review import Role
from worker.core.compliance import Period, previous_period
from worker.core.compliance_render import csv_tables, to_html
from worker.core.errors import SuggestionNotFound
from worker.web.api_compliance import Compliance, current_month, parse_period, report_files
from worker.web.deps import Pages, PageSession, Review
from worker.web.ui_filters import MAX_TEXT

router = APIRouter(include_in_schema=False)

_FILE_NAME = re.compile(r"^compliance-(\d{4}-\d{2})[-.][a-z.-]+$")
#: The report's own heading and summary, then its sections, in ``to_html``'s body.
_SECTIONS = "<section "


def _split_report(html: str) -> tuple[Markup, Markup]:
    """The HTML report's heading and summary, and its sections (the markup of ``body``).

    ``to_html`` escapes every value it writes, so its markup is shown as it is.
    """
    body = html[html.index("<body>") + len("<body>") : html.rindex("</body>")]
    at = body.find(_SECTIONS)
    if at < 0:
        return Markup(""), Markup(body)
    return Markup(body[:at]), Markup(body[at:])


def _next_month(period: Period) -> Period:
    return Period.parse(period.end.strftime("%Y-%m"))


@router.get("/compliance")
def compliance_page(
    request: Request, ui: Pages, review: Review, service: Compliance, session: PageSession
) -> Response:
    """The compliance report of the chosen month, with its downloads."""
    review.require(session.user, Role.STEWARD)
    text = (request.query_params.get("period") or "").strip()[:MAX_TEXT]
    this_month = current_month()
    period = parse_period(text)  # InvalidDecision: the error page, 400
    # The page needs the report only; the files are written when one is downloaded.
    report = service.build(period)
    head, sections = _split_report(to_html(report))
    stem = f"compliance-{period.label}"
    later = _next_month(period)
    return ui.render(
        request,
        "compliance.html",
        {
            "title": f"Compliance report {period.label}",
            "period": period.label,
            "max_period": this_month.label,
            "prev_period": previous_period(period).label,
            "next_period": later.label if later.start <= this_month.start else None,
            "report_head": head,
            "report_sections": sections,
            "downloads": {
                "html": f"{stem}.html",
                "json": f"{stem}.json",
                "manifest": f"{stem}.manifest.json",
                "zip": f"{stem}-csv.zip",
                # The service's file names of the tables (ComplianceService.write).
                "csv": sorted(f"{stem}-{t.replace('_', '-')}.csv" for t in csv_tables(report)),
            },
        },
        session,
    )


@router.get("/compliance/files/{name}")
def compliance_file(
    name: str, review: Review, service: Compliance, session: PageSession
) -> Response:
    """One file of a month's report (the month is in its name), as the CLI writes it.

    An unknown name is the error page's 404, a month not begun its 400.
    """
    review.require(session.user, Role.STEWARD)
    match = _FILE_NAME.match(name)
    if match is None:
        raise SuggestionNotFound(f"no compliance report file {name[:80]!r}")
    return report_files(service, parse_period(match.group(1))).download(name)
