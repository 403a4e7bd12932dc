"""``ComplianceService``: read the catalog through its stores, write the compliance report.

The stores come from the caller (the CLI builds the SQL adapters); what the report says is
assembled by :mod:`worker.core.compliance` and written in each format by
:mod:`worker.core.compliance_render`. Files go to one directory, named for the period
(``compliance-2026-11.json``, ``compliance-2026-11-flows.csv``, ...; a PDF printed from the
HTML by the printer the caller passes), with a manifest
(``compliance-2026-11.manifest.json``: inputs, the catalog state, each file's sha256). The
JSON report of an earlier month kept in the same directory is the "previous report" the
changes section compares with.

Data contracts are an input too: with a contracts folder, the contract checker the caller
builds (the contract service, through :data:`ContractsFactory`; this service names no other
service) checks each contract at the report's as-of time, so the same contract files and the
same catalog state give the same report; the manifest lists the folder's files with their
sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from open_data_contract_standard.model import OpenDataContractStandard

from models.review import AuditEntry, Page, SuggestionFilter, SuggestionView
from worker.core.compliance import (
    DECISION_ACTIONS,
    CatalogSnapshot,
    Period,
    build_report,
    report_as_of,
)
from worker.core.compliance_contracts import ContractsInput, ContractState, contract_owner
from worker.core.compliance_render import csv_tables, to_html, to_json
from worker.core.contracts.check import CheckResult
from worker.core.contracts.document import ContractError, contract_files
from worker.core.errors import ConfigError
from worker.core.ports import DatasetStore, LineageStore

FORMATS = ("html", "csv", "json", "pdf")
#: Prints an HTML file to a PDF file (the CLI passes headless Chromium).
PdfPrinter = Callable[[Path, Path], None]
#: Every dataset the catalog holds is read (the list is bounded by the catalog, not a page).
_ALL = 10**9
_PAGE = 500
_REPORT_NAME = re.compile(r"^compliance-(\d{4}-\d{2})\.json$")


class ReviewRecords(Protocol):
    """What the report reads of the review store: suggestions and the audit chain."""

    def page(
        self, f: SuggestionFilter, sort: str = ..., offset: int = ..., limit: int = ...
    ) -> Page:
        """One page of suggestions."""

    def audit_entries(
        self,
        target_prefix: str | None = None,
        object_uri: str | None = None,
        actor: str | None = None,
        action_prefix: str | None = None,
        since: datetime | None = None,
        limit: int | None = 500,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[AuditEntry]:
        """Audit entries."""

    def audit_count(self) -> int:
        """How many audit rows there are."""

    def audit_chain_head(self) -> tuple[int, str] | None:
        """The chain head (seq, hash)."""

    def audit_period(self, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
        """The seq range of a period's rows."""


class LoadedContractFile(Protocol):
    """A parsed contract file (the contract service's ``LoadedContract``)."""

    @property
    def path(self) -> Path:
        """The file."""

    @property
    def contract(self) -> OpenDataContractStandard:
        """The contract."""

    @property
    def dataset(self) -> str | None:
        """The dataset URI it names."""


class ContractChecker(Protocol):
    """What the report uses of the contract service: load a folder, check it without alerts."""

    def load(self, directory: Path | None = None) -> Sequence[LoadedContractFile]:
        """Every contract of the folder, in file name order (raises ``ContractError``)."""

    def check(
        self,
        directory: Path | None = None,
        datasets: Container[str] | None = None,
        raise_alerts: bool = True,
    ) -> list[CheckResult]:
        """Check the latest scans against the folder's contracts."""


#: Builds the contract checker whose clock is the given one (the report's as-of time).
ContractsFactory = Callable[[Callable[[], datetime]], ContractChecker]


@dataclass(frozen=True, slots=True)
class WrittenReport:
    """What :meth:`ComplianceService.write` produced: the files and the report data."""

    files: tuple[Path, ...]
    manifest: Path
    report: dict[str, Any]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _relative(message: str, folder: Path) -> str:
    """``message`` with the folder's path left out (the report names files by name only)."""
    return message.replace(f"{folder}/", "").replace(str(folder), "contracts.dir")


class ComplianceService:
    """Builds and writes compliance reports from the catalog's stores."""

    def __init__(
        self,
        datasets: DatasetStore,
        lineage: LineageStore,
        review: ReviewRecords,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pdf_printer: PdfPrinter | None = None,
        contracts_dir: Path | None = None,
        contracts: ContractsFactory | None = None,
    ) -> None:
        """Take the stores and the optional PDF printer and contract folder.

        :param contracts_dir: the contracts folder (``contracts.dir``; ``None``: the report
            says no folder is set).
        :param contracts: builds the contract checker (needed with ``contracts_dir``).
        """
        self.datasets = datasets
        self.lineage = lineage
        self.review = review
        self.clock = clock
        self.pdf_printer = pdf_printer
        self.contracts_dir = contracts_dir
        self.contracts = contracts

    def _suggestions(self) -> Iterator[SuggestionView]:
        offset = 0
        while True:
            page = self.review.page(
                SuggestionFilter(state=None), sort="object", offset=offset, limit=_PAGE
            )
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def _decisions(self, period: Period) -> list[AuditEntry]:
        out: list[AuditEntry] = []
        offset = 0
        while True:
            entries = self.review.audit_entries(
                since=period.start, limit=1000, offset=offset, oldest_first=True
            )
            out.extend(e for e in entries if e.action in DECISION_ACTIONS and e.at < period.end)
            offset += len(entries)
            if len(entries) < 1000:
                return out

    def contract_state(self, as_of: datetime) -> ContractsInput | None:
        """The contracts folder read and checked as of ``as_of``; ``None`` without a folder.

        A folder that is missing or holds a file that is not ODCS v3 gives an input with the
        error (the report says so; it is not refused). File names are relative to the folder.

        :raises ConfigError: a folder is set but no contract checker was given.
        Side effects: reads the contract files and the catalog's dataset records.
        """
        folder = self.contracts_dir
        if folder is None:
            return None
        if self.contracts is None:
            raise ConfigError("a contracts folder is set but no contract checker was given")
        try:
            files = {p.name: _sha256(p) for p in contract_files(folder)}
        except ContractError as exc:
            return ContractsInput({}, error=_relative(exc.message, folder))
        except OSError as exc:
            return ContractsInput({}, error=f"a contract file cannot be read: {exc.strerror}")
        checker = self.contracts(lambda: as_of)
        try:
            loaded = checker.load(folder)
            results = {r.contract: r for r in checker.check(folder, raise_alerts=False)}
        except ContractError as exc:
            return ContractsInput(files, error=_relative(exc.message, folder))
        states = []
        for item in loaded:
            team, owner = contract_owner(item.contract)
            result = results.get(str(item.path)) or CheckResult(item.dataset or "", item.path.name)
            states.append(
                ContractState(
                    item.path.name, item.dataset, item.contract.status, team, owner, result
                )
            )
        return ContractsInput(files, tuple(states))

    def snapshot(
        self,
        period: Period,
        previous: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> CatalogSnapshot:
        """Read what the report needs; the audit chain head first (the state it is built on).

        :param now: the clock's time (default: read now); contracts are checked as of
            the report's as-of time.
        :raises ConfigError: as :meth:`contract_state`.
        Side effects: reads the catalog database and the contract files only.
        """
        head = self.review.audit_chain_head()
        as_of = report_as_of(period, now if now is not None else self.clock())
        return CatalogSnapshot(
            datasets=self.datasets.list_datasets(limit=_ALL),
            edges=self.lineage.edges(("applied",)),
            suggestions=list(self._suggestions()),
            decisions=self._decisions(period),
            chain_head=head,
            period_seqs=self.review.audit_period(period.start, period.end),
            previous=previous,
            audit_rows=head[0] if head else self.review.audit_count(),
            contracts=self.contract_state(as_of),
        )

    def build(self, period: Period, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """The report data of ``period`` (see worker/core/compliance.schema.json)."""
        now = self.clock()
        return build_report(self.snapshot(period, previous, now), period, now)

    @staticmethod
    def previous_report(directory: Path, period: Period) -> dict[str, Any] | None:
        """The newest JSON report of an earlier period kept in ``directory``, or ``None``.

        :raises ConfigError: that file is not a compliance report's JSON.
        """
        if not directory.is_dir():
            return None
        earlier = sorted(
            (m.group(1), p)
            for p in directory.iterdir()
            if (m := _REPORT_NAME.match(p.name)) and m.group(1) < period.label
        )
        if not earlier:
            return None
        path = earlier[-1][1]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a readable compliance report ({exc})") from None
        if not isinstance(data, dict) or data.get("report") != "compliance":
            raise ConfigError(f"{path}: not a compliance report")
        return data

    def write(self, period: Period, formats: Sequence[str], directory: Path) -> WrittenReport:
        """Build the report and write it in ``formats`` to ``directory`` with a manifest.

        The JSON form is always written (the next report's "previous report"). ``pdf``
        prints the HTML form (written too) with the PDF printer; a PDF's bytes carry its
        creation time, so only the other files are byte-reproducible.

        :raises ConfigError: an unknown format, ``pdf`` without a PDF printer, or an
            unreadable previous report.
        :raises EnrichmentError: whatever the PDF printer raises.
        Side effects: creates ``directory``; writes the files, replacing earlier ones of
        the same period.
        """
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown:
            raise ConfigError(f"unknown format {', '.join(unknown)}; one of {', '.join(FORMATS)}")
        if "pdf" in formats and self.pdf_printer is None:
            raise ConfigError("no PDF printer: PDF output needs headless Chromium")
        previous = self.previous_report(directory, period)
        report = self.build(period, previous)
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"compliance-{period.label}"
        texts: dict[str, str] = {f"{stem}.json": to_json(report)}
        if "csv" in formats:
            for name, text in csv_tables(report).items():
                texts[f"{stem}-{name.replace('_', '-')}.csv"] = text
        if "html" in formats or "pdf" in formats:
            texts[f"{stem}.html"] = to_html(report)
        files = []
        for name in sorted(texts):
            path = directory / name
            path.write_text(texts[name], encoding="utf-8", newline="\n")
            files.append(path)
        if "pdf" in formats and self.pdf_printer is not None:
            pdf = directory / f"{stem}.pdf"
            self.pdf_printer(directory / f"{stem}.html", pdf)
            files.append(pdf)
        manifest = {
            "report": "compliance",
            "period": period.label,
            "as_of": report["as_of"],
            "inputs": {
                "formats": sorted(set(formats) | {"json"}),
                # The contract files the report was checked against (name → sha256).
                "contracts": None
                if self.contracts_dir is None
                else {"dir": str(self.contracts_dir), "files": report["contracts"]["files"]},
            },
            "catalog_state": report["catalog_state"],
            "files": {p.name: _sha256(p) for p in files},
        }
        manifest_path = directory / f"{stem}.manifest.json"
        manifest_path.write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8", newline="\n"
        )
        return WrittenReport(tuple(files), manifest_path, report)
