"""``ContractService``: data contracts from a folder, checked against the latest scans.

Reads ODCS v3 contract files (:mod:`worker.core.contracts.document`), condenses what the
dataset store keeps of each contract's dataset into an observation, checks it
(:func:`worker.core.contracts.check.check_contract`) and raises the violations as alerts of
kind ``contract`` through the alert sink (the alert service's ``raise_alerts``, passed in:
this service names no other service).

Each violation is also a review item of kind ``contract`` (one per dataset, contract file,
violation kind, column and rule), queued through the review queue passed in
(:class:`ContractReview`). A steward approves it to waive the violation (the data may stay
as it is: its alert is resolved and no longer raised while the violation persists) or
rejects it (the data must be fixed: the alert stays open). A decided violation is not
proposed again while it persists; see ``docs/contracts.md``.

With Atlan enabled, :meth:`ContractService.publish` puts each contract on its dataset's
asset, rendered as the document Atlan reads (:mod:`worker.core.contracts.atlan_document`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from open_data_contract_standard.model import OpenDataContractStandard

from models.datasets import Alert, AlertCandidate, DatasetRef, PartitionRecord
from models.plan import Suggestion
from models.review import Decision, DecisionKey, SuggestionState, SyncReport
from worker.core.contracts.atlan_document import atlan_contract, atlan_status
from worker.core.contracts.check import CheckResult, Unchecked, Violation, check_contract
from worker.core.contracts.document import (
    ContractError,
    contract_files,
    dump_contract,
    read_contract,
)
from worker.core.contracts.observed import (
    Observation,
    contract_dataset,
    draft_contract,
    observe,
)
from worker.core.errors import (
    CatalogAuthError,
    CatalogRejected,
    CatalogUnavailable,
    CatalogWriteError,
    DatasetNotFound,
)
from worker.core.ports import ContractPublication, DatasetStore

logger = logging.getLogger(__name__)

#: Raises alerts (the alert service's ``raise_alerts``); returns the ones that opened.
AlertSink = Callable[[Sequence[AlertCandidate]], list[Alert]]
#: Dataset URI → column → distinct share, where the catalog keeps one (no values).
DistinctShares = Callable[[str], Mapping[str, float]]


def lowest_distinct_shares(partitions: Sequence[PartitionRecord]) -> dict[str, float]:
    """Column → the lowest distinct share across the sampled partition records.

    The lowest, as null share takes the highest: a contract drafted from it holds for every
    sampled partition. A column no sampled record has a share for is left out (not checkable).
    """
    lowest: dict[str, float] = {}
    for record in partitions:
        if record.sampled_at is None or not record.columns:
            continue
        for column, share in record.distinct_shares.items():
            lowest[column] = min(share, lowest.get(column, share))
    return lowest


#: Why a contract is not published: it names no dataset, or its dataset has no asset.
_NO_DATASET = "the contract names no dataset (customProperties dataset, or an s3 server)"
_NO_ASSET = "the dataset has no asset in Atlan yet: scan it with atlan.enabled first"
#: The review kind of a violation.
REVIEW_KIND = "contract"
#: Decisions that waive a violation: its alert is not raised while it persists.
_WAIVED = frozenset({SuggestionState.APPROVED, SuggestionState.APPLIED})


class ContractReview(Protocol):
    """Where violations wait for a steward: the review queue (``ReviewQueue``)."""

    def decisions(self, object_uri: str) -> Mapping[DecisionKey, Decision]:
        """The latest decision per (kind, tag, column) on the object."""
        ...

    def propose(self, object_uri: str, items: Sequence[Suggestion], kind: str) -> SyncReport:
        """Queue the object's current items of ``kind`` (see ``ReviewQueue.propose``)."""
        ...


def violation_suggestion(violation: Violation, contract_file: str) -> Suggestion:
    """The review item of one violation: on the dataset, keyed by contract file, kind, rule.

    ``tag`` is ``FILE:KIND:RULE`` and ``column`` the violation's column, so the key is the
    violation's fingerprint; the evidence is the rule, what it expects and what the scan
    saw (counts, shares, types: never a value) and the alert subject it resolves.
    """
    alert = violation.to_alert()
    return Suggestion(
        object_uri=violation.dataset,
        qualified_name="",
        kind=REVIEW_KIND,
        tag=f"{contract_file}:{violation.kind.value}:{violation.rule}"[:255],
        entity=None,
        column=violation.column,
        confidence=None,
        reason=violation.message,
        evidence={
            "violation": violation.kind.value,
            "rule": violation.rule,
            "expected": violation.expected,
            "observed": violation.observed,
            "contract": contract_file,
            "alert_subject": alert.subject,
        },
        classifier_version="contract-check=1",
    )


class ContractCatalog(Protocol):
    """Where contracts are published: the dataset writer of the catalog (Atlan's)."""

    def asset_of(self, dataset_uri: str) -> tuple[str, str] | None:
        """(type name, qualified name) of the dataset's asset, or ``None`` if it has none.

        :raises CatalogWriteError: the catalog could not be read.
        """
        ...

    def publish_contract(
        self, dataset_qualified_name: str, contract_yaml: str, *, asset_type: str | None = None
    ) -> ContractPublication:
        """Publish a contract on the asset (see ``DatasetCatalogWriter.publish_contract``)."""
        ...


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What publishing one contract file did: its publication, or why there is none."""

    contract: str
    dataset: str | None
    publication: ContractPublication | None = None
    reason: str | None = None

    @property
    def published(self) -> bool:
        """Whether the catalog holds the contract now (``unchanged`` included)."""
        return self.publication is not None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (``outcome`` is ``not_published`` with a reason)."""
        pub = self.publication
        return {
            "contract": self.contract,
            "dataset": self.dataset,
            "outcome": pub.outcome if pub is not None else "not_published",
            "asset": pub.asset_qualified_name if pub is not None else None,
            "contract_qualified_name": pub.contract_qualified_name if pub is not None else None,
            "version": pub.version if pub is not None else None,
            "certified": pub.certified if pub is not None else False,
            "requests": pub.requests if pub is not None else 0,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LoadedContract:
    """A contract file, parsed and validated; ``dataset`` is the URI it names (or ``None``)."""

    path: Path
    contract: OpenDataContractStandard
    dataset: str | None


class ContractService:
    """Draft contracts from scans; check the latest scans against the contracts of a folder.

    :param store: the dataset store (a port): verdicts, partitions, schema versions.
    :param directory: the contracts folder (``contracts.dir``); ``None``: no contracts.
    :param alerts: where violations go as alerts (``None``: they are only returned).
    :param review: where violations go as review items (``None``: not queued; nothing is
        waived either).
    :param distinct_shares: distinct shares per column, overriding the catalog's
        (``None``: the lowest share of each column across the sampled partition records).
    :param clock: the current time, aware (freshness is judged at it).
    """

    def __init__(
        self,
        store: DatasetStore,
        directory: Path | None,
        alerts: AlertSink | None = None,
        distinct_shares: DistinctShares | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        review: ContractReview | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.alerts = alerts
        self.review = review
        self.distinct_shares = distinct_shares
        self.clock = clock
        self._cache: dict[Path, tuple[float, LoadedContract]] = {}

    # -- contracts ---------------------------------------------------------------------------

    def load(self, directory: Path | None = None) -> list[LoadedContract]:
        """Every contract of ``directory`` (default: the configured one), in file name order.

        A file unchanged since the last load (same modification time) is not parsed again.

        :raises ContractError: no folder given or configured, the folder is missing, or a
            file is not valid ODCS v3 (the message names it).
        """
        folder = directory or self.directory
        if folder is None:
            raise ContractError("no contracts folder: set contracts.dir or pass --contracts")
        loaded = []
        for path in contract_files(folder):
            mtime = path.stat().st_mtime
            cached = self._cache.get(path)
            if cached is None or cached[0] != mtime:
                contract = read_contract(path)
                cached = (mtime, LoadedContract(path, contract, contract_dataset(contract)))
                self._cache[path] = cached
            loaded.append(cached[1])
        return loaded

    # -- observations --------------------------------------------------------------------------

    def observation(self, dataset_uri: str) -> Observation | None:
        """What the catalog keeps of the dataset's latest scans, or ``None`` if it has none."""
        stored = self.store.get(dataset_uri)
        if stored is None or stored.verdict is None:
            return None
        history = self.store.schema_history(dataset_uri)
        schema = history[-1].columns if history else ()
        partitions = self.store.partitions(dataset_uri)
        shares = (
            self.distinct_shares(dataset_uri)
            if self.distinct_shares is not None
            else lowest_distinct_shares(partitions)
        )
        return observe(stored, partitions, schema, shares)

    def draft(self, dataset_uri: str) -> str:
        """The ODCS YAML of a starting contract for a scanned dataset (see ``draft_contract``).

        :raises DatasetNotFound: the dataset is unknown or was never sampled.
        """
        obs = self.observation(dataset_uri)
        if obs is None:
            raise DatasetNotFound(
                f"{dataset_uri} has no sampled scan yet: scan it first (`enricher scan`)"
            )
        return dump_contract(draft_contract(obs, self.clock()))

    # -- checking ------------------------------------------------------------------------------

    def _check(self, loaded: LoadedContract) -> CheckResult:
        name = str(loaded.path)
        if loaded.dataset is None:
            result = CheckResult("", name)
            result.unchecked.append(
                Unchecked(
                    "contract",
                    "the contract names no dataset (customProperties "
                    "dataset, or an s3/local server)",
                )  # fmt: skip
            )
            return result
        obs = self.observation(loaded.dataset)
        if obs is None:
            result = CheckResult(loaded.dataset, name)
            result.unchecked.append(
                Unchecked(
                    "contract", "the dataset has no sampled scan in the catalog", loaded.dataset
                )  # fmt: skip
            )
            return result
        result = check_contract(loaded.contract, obs, self.clock())
        result.contract = name
        return result

    def check(
        self,
        directory: Path | None = None,
        datasets: Container[str] | None = None,
        raise_alerts: bool = True,
    ) -> list[CheckResult]:
        """Check the latest scan of each dataset that has a contract in the folder.

        :param datasets: only the contracts of these dataset URIs (``None``: all).
        :param raise_alerts: queue the violations for review and hand the ones not waived
            to the alert sink (one round, called with none too, as the dataset service does).
        :raises ContractError: as :meth:`load`.
        Side effects: queues ``contract`` review items; raises alerts of kind ``contract``.
        """
        results = [
            self._check(loaded)
            for loaded in self.load(directory)
            if datasets is None or loaded.dataset in datasets
        ]
        if raise_alerts:
            alerts = self._review(results)
            if self.alerts is not None:
                self.alerts(alerts)
        return results

    def _review(self, results: Sequence[CheckResult]) -> list[AlertCandidate]:
        """Queue the checked datasets' violations for review; return the alerts to raise.

        Every dataset that was checked is synced, with or without violations, so a pending
        item whose violation went away is superseded. A violation a steward waived (approved)
        raises no alert while it persists.
        """
        checked: dict[str, list[tuple[Violation, Suggestion]]] = {}
        for result in results:
            if not result.dataset or any(u.rule == "contract" for u in result.unchecked):
                continue  # no dataset, or no scan: nothing was checked
            name = Path(result.contract).name
            items = checked.setdefault(result.dataset, [])
            items.extend((v, violation_suggestion(v, name)) for v in result.violations)
        alerts: list[AlertCandidate] = []
        for uri, pairs in checked.items():
            if self.review is None:
                alerts.extend(v.to_alert() for v, _ in pairs)
                continue
            self.review.propose(uri, [s for _, s in pairs], REVIEW_KIND)
            decisions = self.review.decisions(uri)
            for v, s in pairs:
                decision = decisions.get((REVIEW_KIND, s.tag, s.column))
                if decision is None or decision.state not in _WAIVED:
                    alerts.append(v.to_alert())
        return alerts

    def violations(self, directory: Path | None = None) -> dict[str, list[Violation]]:
        """The current violations per dataset URI (datasets without any are left out).

        For reports (the compliance report lists them); raises no alert.

        :raises ContractError: as :meth:`load`.
        """
        out: dict[str, list[Violation]] = {}
        for result in self.check(directory, raise_alerts=False):
            if result.violations:
                out.setdefault(result.dataset, []).extend(result.violations)
        return out

    def after_scan(self, dataset_uri: str) -> list[Alert]:
        """The scan's hook: check one concluded dataset's contracts, queue, raise alerts.

        The violations are queued for review; those not waived raise alerts.

        Does nothing without a configured folder or a contract for the dataset. A broken
        contract file or folder does not fail the scan: it is logged (the message names
        the file, never data) and the dataset's contracts are not checked this time.

        :returns: the contract alerts that opened.
        """
        if self.directory is None:
            return []
        try:
            loaded = [c for c in self.load() if c.dataset == dataset_uri]
        except ContractError as exc:
            logger.warning("data contracts not checked: %s", exc.message)
            return []
        if not loaded:
            return []
        alerts = self._review([self._check(c) for c in loaded])
        if self.alerts is None or not alerts:
            return []
        return self.alerts(alerts)

    # -- publishing ----------------------------------------------------------------------------

    def publish(
        self, catalog: ContractCatalog, directory: Path | None = None
    ) -> tuple[list[PublishResult], CatalogWriteError | None]:
        """Publish every contract of the folder on its dataset's asset in the catalog.

        Each is rendered as Atlan's document (``atlan_contract``: ODCS ``active`` is
        ``verified``, anything else a draft). A contract naming no dataset, a dataset without
        an asset, or an asset the catalog refuses (Atlan governs contracts only on tables
        and views) is reported with its reason and not retried. Atlan creates no verified
        version directly: when a verified contract is refused, it is published as a draft
        first, then as verified (a second refusal is the reason reported). When the catalog
        is unavailable or refuses the key, the remaining contracts are not tried.

        :returns: one result per contract file (in file name order), and the error that
            stopped the run (``CatalogUnavailable``, ``CatalogAuthError``) or ``None``.
        :raises ContractError: as :meth:`load`.
        Side effects: creates or updates contract versions in the catalog.
        """
        results: list[PublishResult] = []
        stopped: CatalogWriteError | None = None
        for loaded in self.load(directory):
            name, uri = str(loaded.path), loaded.dataset
            if stopped is not None:
                results.append(PublishResult(name, uri, reason=stopped.message))
                continue
            try:
                results.append(self._publish(catalog, loaded))
            except (CatalogUnavailable, CatalogAuthError) as exc:
                stopped = exc
                results.append(PublishResult(name, uri, reason=exc.message))
            except CatalogWriteError as exc:
                results.append(PublishResult(name, uri, reason=exc.message))
        return results, stopped

    def _publish(self, catalog: ContractCatalog, loaded: LoadedContract) -> PublishResult:
        """Publish one contract; a reason instead when it cannot go to the catalog.

        :raises CatalogWriteError: the catalog refused it or failed (see :meth:`publish`).
        """
        name, uri = str(loaded.path), loaded.dataset
        if uri is None:
            return PublishResult(name, None, reason=_NO_DATASET)
        if not uri.startswith("s3://"):
            return PublishResult(name, uri, reason="a local dataset has no asset in Atlan")
        asset = catalog.asset_of(uri)
        if asset is None:
            return PublishResult(name, uri, reason=_NO_ASSET)
        asset_type, qualified_name = asset
        dataset_name = DatasetRef.parse(uri).name
        text = atlan_contract(loaded.contract, dataset_name, asset_type)
        verified = atlan_status(loaded.contract.status) == "verified"
        try:
            published = catalog.publish_contract(qualified_name, text, asset_type=asset_type)
            return PublishResult(name, uri, published)
        except CatalogRejected as exc:
            # Only a plain refusal of a verified contract may be Atlan's "no verified first
            # version" (409); a missing asset or a refused permission is not helped by a draft.
            if type(exc) is not CatalogRejected or not verified:
                raise
        as_draft = loaded.contract.model_copy(update={"status": "draft"})
        draft = catalog.publish_contract(
            qualified_name,
            atlan_contract(as_draft, dataset_name, asset_type),
            asset_type=asset_type,
        )
        final = catalog.publish_contract(qualified_name, text, asset_type=asset_type)
        combined = replace(final, outcome=draft.outcome, requests=draft.requests + final.requests)
        return PublishResult(name, uri, combined)
