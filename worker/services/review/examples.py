"""Stewards' decisions as labelled training examples (``enricher train export``).

Each decided term or category suggestion carries, in its evidence, the value-free features
the business model saw (:func:`classifiers.business.features.value_free`). An approval is a
positive example of its label: a term suggestion confirms the column's business type, a
category suggestion the dataset's category. A rejection says only what the label is *not*;
it is exported (``verdict: rejected``) for the record, and ``make train`` counts but does not
fit on it (the models are multi-class and need the right label).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from models.review import SuggestionFilter, SuggestionState
from worker.core.ports import ReviewStore

#: Version of the exported example format (checked by the trainer).
EXAMPLE_FORMAT = 1
_VERDICTS = {
    SuggestionState.APPROVED: "approved",
    SuggestionState.APPLIED: "approved",
    SuggestionState.REJECTED: "rejected",
}


def steward_examples(store: ReviewStore) -> Iterator[dict[str, Any]]:
    """Yield one example per decided term/category suggestion that kept its features.

    Decisions made in Atlan directly (no features) and tag decisions are not examples.
    """
    for kind in ("term", "category"):
        for state, verdict in _VERDICTS.items():
            offset = 0
            while True:
                page = store.page(
                    SuggestionFilter(state=state, kind=kind), sort="object", offset=offset,
                    limit=500,
                )  # fmt: skip
                for s in page.items:
                    features = s.evidence.get("features")
                    if not isinstance(features, dict) or not features:
                        continue
                    label = s.evidence.get("business_type") if kind == "term" else s.tag
                    if not label:
                        continue
                    yield {
                        "format": EXAMPLE_FORMAT,
                        "kind": "column_type" if kind == "term" else "category",
                        "label": str(label),
                        "verdict": verdict,
                        "features": features,
                        "suggestion_id": s.id,
                        "decided_by": s.decided_by,
                        "decided_at": s.decided_at.isoformat() if s.decided_at else None,
                        "classifier_version": s.classifier_version,
                    }
                offset += len(page.items)
                if offset >= page.total or not page.items:
                    break


def export_jsonl(store: ReviewStore) -> tuple[str, int]:
    """The examples as JSON Lines (sorted keys, one per line) and how many there are."""
    lines = [json.dumps(e, sort_keys=True) for e in steward_examples(store)]
    return "".join(line + "\n" for line in lines), len(lines)
