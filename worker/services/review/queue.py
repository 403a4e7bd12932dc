"""``ReviewQueue``: what every scan tells the review store, with or without Atlan.

The pipeline calls :meth:`ReviewQueue.observe` for each classified object: the policy
(:func:`worker.core.review_policy.review_outcome`) splits the findings into applied tags and
suggestions, respecting decisions already made, and the store keeps the suggestions pending
(superseding pending ones the scan no longer produces). The Atlan path asks
:meth:`ReviewQueue.desired` for the object's desired state with the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence

from models import EnrichmentResult, ObjectStatus
from models.plan import DesiredObject, Suggestion
from models.review import Decision, DecisionKey, SyncReport
from worker.core.pipeline import Deps
from worker.core.plan.desired import desired_object
from worker.core.ports import LineageStore, ReviewStore
from worker.core.review_policy import review_outcome
from worker.core.settings import Settings


class ReviewQueue:
    """The scan side of the review: decisions in, pending suggestions out.

    :param store: the review store.
    :param settings: the whole settings (atlan policy, review rules, glossary terms, region).
    :param lineage: the lineage store: PII a scan finds in a dataset with lineage becomes
        suggestions on the mapped table columns at once.
    """

    def __init__(
        self, store: ReviewStore, settings: Settings, lineage: LineageStore | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.lineage = lineage

    def observe(self, result: EnrichmentResult) -> SyncReport | None:
        """Store the object's suggestions (``None``: not classified, nothing to say).

        Side effects: inserts, refreshes and supersedes pending suggestions.
        """
        if result.status is not ObjectStatus.CLASSIFIED:
            return None
        outcome = review_outcome(
            result,
            self.settings.atlan,
            self.store.decisions_for(result.ref.uri),
            self.settings.business.glossary_terms,
            self.settings.review,
        )
        report = self.store.sync(result.ref.uri, outcome.suggestions)
        if self.lineage is not None:
            self._lineage_evidence(result)
        return report

    def propose(self, object_uri: str, items: Sequence[Suggestion], kind: str) -> SyncReport:
        """Queue what a check outside the scan (a data contract) proposes on one object.

        ``items`` are every current item of ``kind`` on the object: pending ones no longer
        among them are superseded; a decided key (approved, applied or rejected) is never
        proposed again (``reopen_rejected`` off).
        Side effects: inserts, refreshes and supersedes pending suggestions of ``kind``.
        """
        return self.store.sync(object_uri, items, kinds={kind}, reopen_rejected=False)

    def decisions(self, object_uri: str) -> dict[DecisionKey, Decision]:
        """The latest decision per (kind, tag, column) on one object (pending ones excluded)."""
        return self.store.decisions_for(object_uri)

    def _lineage_evidence(self, result: EnrichmentResult) -> None:
        """Suggestions on the table columns mapped to the object's dataset (lineage evidence).

        Only this dataset's edges are looked at, so nothing is superseded here; ``enricher
        lineage load`` re-derives all of them.
        """
        from worker.core.lineage.evidence import lineage_suggestions, lineage_term_suggestions

        assert self.lineage is not None
        uri = result.ref.uri
        datasets = self.lineage.datasets_containing(uri)
        if not datasets:
            return
        uris = [d.uri for d in datasets]
        edges = self.lineage.edges_of(uris, True) + self.lineage.edges_of(uris, False)
        scanned = self.lineage.s3_findings(datasets)
        for table, items in lineage_suggestions(edges, scanned, self.settings.atlan).items():
            self.store.sync(table, items, kinds={"tag"}, supersede=False)
        types = {
            c.column: (c.business_type.label, c.business_type.confidence)
            for c in result.columns
            if c.business_type is not None
        }
        for dataset in datasets:
            terms = lineage_term_suggestions(
                edges,
                dataset.uri,
                types,
                self.settings.business.glossary_terms,
                self.settings.review.term_min_confidence,
            )
            for table, items in terms.items():
                self.store.sync(table, items, kinds={"term"}, supersede=False)

    def desired(self, result: EnrichmentResult) -> DesiredObject | None:
        """The object's desired Atlan state under the policy and the stewards' decisions."""
        if result.status is not ObjectStatus.CLASSIFIED or result.ref.scheme != "s3":
            return None
        return desired_object(
            result,
            self.settings.atlan,
            region=self.settings.s3.region,
            glossary_terms=self.settings.business.glossary_terms,
            decisions=self.store.decisions_for(result.ref.uri),
            rules=self.settings.review,
        )


def desired_state(deps: Deps, settings: Settings, result: EnrichmentResult) -> DesiredObject | None:
    """The object's desired Atlan state, honouring the stewards' decisions.

    Uses ``deps.review`` when it is a :class:`ReviewQueue` (the CLI and the workers), else
    the plain policy.
    """
    if isinstance(deps.review, ReviewQueue):
        return deps.review.desired(result)
    return desired_object(
        result,
        settings.atlan,
        region=settings.s3.region,
        glossary_terms=settings.business.glossary_terms,
    )
