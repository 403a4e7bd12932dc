"""Alert test doubles: candidates, recording and failing notifiers (and the manual clock).

The store is :class:`tests.support.fakes.InMemoryAlertStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from models.datasets import Alert, AlertCandidate, AlertKind, Severity
from tests.support.fakes import InMemoryAlertStore
from worker.core.errors import AlertDeliveryError, EnrichmentError


def candidate(
    n: int = 0,
    kind: AlertKind = AlertKind.SCHEMA_DRIFT,
    severity: Severity = Severity.WARNING,
    dataset: str = "s3://lake/exports/orders/",
) -> AlertCandidate:
    """A candidate about column ``col{n}`` of ``dataset`` (evidence: counts only)."""
    return AlertCandidate(
        kind=kind,
        severity=severity,
        dataset_uri=dataset,
        subject=f"col{n}",
        message=f"column col{n} changed type from int64 to string",
        evidence={"partitions": 3, "share": 0.25, "types": ["int64", "string"]},
    )


@dataclass
class RecordingNotifier:
    """Records each send: (alert ids, digest); fails while ``fail_with`` is set."""

    channel: str = "webhook"
    sends: list[tuple[list[int], str | None]] = field(default_factory=list)
    fail_with: Exception | None = None
    attempts: int = 0

    def send(self, alerts: Sequence[Alert], digest: str | None = None) -> None:
        self.attempts += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.sends.append(([a.id for a in alerts], digest))


def down(message: str = "webhook answered HTTP 503") -> EnrichmentError:
    """What a webhook that is down raises (retryable)."""
    return AlertDeliveryError(message)


def delivered(store: InMemoryAlertStore, channel: str) -> set[int]:
    """Ids of the alerts ``channel`` delivered."""
    return set(store.delivered[channel])
