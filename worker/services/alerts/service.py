"""Alerts: store what the detectors raise, deliver what (re)opened, let people act on them.

:meth:`AlertService.raise_alerts` hands the candidates to the store, which deduplicates them
by fingerprint (kind, dataset, subject): a finding that is already open or acknowledged only
counts one more occurrence; a new one, or a resolved one that fires again, opens. Only the
alerts that opened are delivered, and only those at or above ``alerts.min_severity``.

Rate limit, per channel: at most ``alerts.max_per_hour`` alerts are delivered one by one in
any rolling hour (counted with :meth:`AlertStore.delivered_since`), the most severe first.
The rest of a round are folded into **one** digest message per channel ("12 more alerts: 9
schema_drift, 3 new_pii") and marked delivered too, so nothing is lost (they are all in the
store, the UI and the CLI) and nothing is sent twice. 3,000 alerts on a bad day are at most
``max_per_hour`` messages plus one digest per round.

A failing channel loses nothing: what it did not take stays undelivered (not marked), the
error is logged by kind and channel only (never a value, URL or secret) and counted in the
:class:`DeliveryReport`. A channel stops for the round at its first retryable error (the
receiver is down: the next alerts would only wait for the same timeout) or at its third
failure.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.datasets import Alert, AlertCandidate, AlertKind, AlertState, Severity
from worker.core.errors import AlertNotFound, DatasetError, EnrichmentError
from worker.core.ports import AlertNotifier, AlertStore
from worker.core.settings import AlertSettings

logger = logging.getLogger(__name__)

#: Severities, least urgent first (the order of :class:`Severity`).
SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
#: How far back the rate limit counts.
WINDOW = timedelta(hours=1)
#: A channel stops for the round after this many failed sends.
MAX_FAILURES_PER_ROUND = 3
#: Longest note kept with an acknowledgement or resolution.
MAX_NOTE = 2000


@dataclass(slots=True)
class ChannelReport:
    """What one channel did in a round.

    :ivar sent: alerts delivered one by one.
    :ivar digested: alerts folded into the digest (delivered as one message).
    :ivar failed: alerts left undelivered because a send failed or the channel stopped.
    :ivar errors: ``kind: message`` of each failed send (no values).
    """

    sent: int = 0
    digested: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeliveryReport:
    """What a delivery round did, per channel."""

    channels: dict[str, ChannelReport] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Alerts some channel failed to deliver (an alert failing on two channels counts 2)."""
        return sum(c.failed for c in self.channels.values())

    def summary(self) -> str:
        """One line per channel: ``webhook: 20 sent, 2980 in a digest, 0 failed``."""
        return "; ".join(
            f"{name}: {c.sent} sent, {c.digested} in a digest, {c.failed} failed"
            for name, c in sorted(self.channels.items())
        )


def at_least(severity: Severity, minimum: Severity) -> bool:
    """Whether ``severity`` is ``minimum`` or more urgent."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[minimum]


def digest_text(alerts: Sequence[Alert], max_per_hour: int) -> str:
    """The digest line: ``12 more alerts over the limit of 20 an hour: 9 schema_drift, ...``.

    Kinds by count (most first), then how many datasets and the most severe level.
    """
    kinds = Counter(a.kind.value for a in alerts)
    by_kind = ", ".join(
        f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    datasets = len({a.dataset_uri for a in alerts})
    worst = max((a.severity for a in alerts), key=SEVERITY_RANK.__getitem__)
    plural = "s" if len(alerts) != 1 else ""
    where = f"{datasets} dataset{'s' if datasets != 1 else ''}"
    return (
        f"{len(alerts)} more alert{plural} over the limit of {max_per_hour} an hour: "
        f"{by_kind} (in {where}, up to {worst.value}); see `enricher alerts list`"
    )


class AlertService:
    """Raise, deliver, list, acknowledge and resolve alerts (see the module docstring).

    :param store: where alerts live (it deduplicates and counts deliveries).
    :param notifiers: the delivery channels (none: alerts are only stored).
    :param settings: the ``alerts`` section (``min_severity``, ``max_per_hour``).
    :param clock: the current time, aware (tests move it by hand).
    """

    def __init__(
        self,
        store: AlertStore,
        notifiers: Sequence[AlertNotifier],
        settings: AlertSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.notifiers = list(notifiers)
        self.settings = settings
        self.clock = clock
        #: The report of the last delivery round (``raise_alerts`` returns only the alerts).
        self.last_report = DeliveryReport()

    # -- raising and delivering --------------------------------------------------------------

    def raise_alerts(self, candidates: Sequence[AlertCandidate]) -> list[Alert]:
        """Store ``candidates`` and deliver the alerts that (re)opened.

        Side effects: writes to the store, calls the notifiers, sets :attr:`last_report`.
        A failing notifier raises nothing here (see :meth:`deliver`).

        :returns: the alerts that (re)opened, delivered or not.
        """
        opened = self.store.raise_alerts(candidates) if candidates else []
        self.last_report = self.deliver(opened)
        return opened

    def deliver(self, alerts: Sequence[Alert]) -> DeliveryReport:
        """Deliver ``alerts`` on every channel, within its hourly limit (excess: one digest).

        Each channel also takes the open alerts it never delivered (an earlier failure, or
        alerts from before it was configured), so nothing raised is lost. Alerts below
        ``min_severity`` are skipped (they stay in the store). Delivered ones are marked per
        channel; the ones a channel failed to take are not, and are counted.
        Side effects: calls the notifiers, marks deliveries, logs failures (no values).
        """
        report = DeliveryReport()
        minimum = Severity(self.settings.min_severity)
        wanted = sorted(
            (a for a in alerts if at_least(a.severity, minimum)),
            # most severe first, then the oldest first: those go out one by one
            key=lambda a: (-SEVERITY_RANK[a.severity], a.first_seen, a.id),
        )
        for notifier in self.notifiers:
            ids = {a.id for a in wanted}
            pending = [a for a in self.store.undelivered(notifier.channel) if a.id not in ids]
            todo = wanted + [a for a in pending if at_least(a.severity, minimum)]
            report.channels[notifier.channel] = self._deliver_on(notifier, todo)
        if report.failed:
            logger.warning("alert delivery incomplete: %s", report.summary())
        return report

    def _deliver_on(self, notifier: AlertNotifier, alerts: Sequence[Alert]) -> ChannelReport:
        channel = notifier.channel
        out = ChannelReport()
        if not alerts:
            return out
        since = self.clock() - WINDOW
        budget = max(0, self.settings.max_per_hour - self.store.delivered_since(since, channel))
        one_by_one, excess = list(alerts[:budget]), list(alerts[budget:])
        stopped = False
        for i, alert in enumerate(one_by_one):
            error = self._send(notifier, [alert], None)
            if error is None:
                self.store.mark_delivered([alert.id], channel)
                out.sent += 1
                continue
            out.failed += 1
            out.errors.append(f"{error.kind}: {error.message}")
            if error.retryable or len(out.errors) >= MAX_FAILURES_PER_ROUND:
                # The rest of the round would fail alike: leave it for the next round.
                out.failed += len(one_by_one) - i - 1 + len(excess)
                stopped = True
                break
        if excess and not stopped:
            error = self._send(notifier, excess, digest_text(excess, self.settings.max_per_hour))
            if error is None:
                self.store.mark_delivered([a.id for a in excess], channel)
                out.digested = len(excess)
            else:
                out.failed += len(excess)
                out.errors.append(f"{error.kind}: {error.message}")
        return out

    @staticmethod
    def _send(
        notifier: AlertNotifier, alerts: Sequence[Alert], digest: str | None
    ) -> EnrichmentError | None:
        """Send; the error instead of raising it (logged with its kind, never a value)."""
        try:
            notifier.send(alerts, digest)
        except EnrichmentError as exc:
            logger.warning(
                "alert channel %s failed (%s, retryable=%s): %s",
                notifier.channel,
                exc.kind,
                exc.retryable,
                exc.message,
            )
            return exc
        except Exception as exc:  # a bug in a notifier must not lose the alerts
            # Only the type: a foreign exception's text may quote what it was sending.
            logger.error("alert channel %s crashed (%s)", notifier.channel, type(exc).__name__)
            return EnrichmentError(f"{notifier.channel} failed unexpectedly ({type(exc).__name__})")
        return None

    # -- reading and acting -------------------------------------------------------------------

    def list(
        self,
        state: AlertState | None = None,
        severity: Severity | None = None,
        dataset_uri: str | None = None,
        kind: AlertKind | None = None,
        limit: int = 200,
    ) -> list[Alert]:
        """Alerts, newest ``last_seen`` first, filtered (``None``: any)."""
        return self.store.list_alerts(
            state=state, severity=severity, dataset_uri=dataset_uri, kind=kind, limit=limit
        )

    def get(self, alert_id: int) -> Alert:
        """One alert.

        :raises AlertNotFound: no alert with that id.
        """
        alert = self.store.get(alert_id)
        if alert is None:
            raise AlertNotFound(f"no alert with id {alert_id}")
        return alert

    def acknowledge(self, alert_id: int, actor: str, note: str | None = None) -> Alert:
        """Acknowledge an open alert: someone is on it (it is still counted, not re-sent).

        :raises AlertNotFound: no alert with that id.
        :raises DatasetError: it is not open (acknowledged or resolved already), or no actor.
        """
        return self._transition(alert_id, AlertState.ACKNOWLEDGED, actor, note)

    def resolve(self, alert_id: int, actor: str, note: str | None = None) -> Alert:
        """Resolve an open or acknowledged alert; if it fires again it opens anew.

        :raises AlertNotFound: no alert with that id.
        :raises DatasetError: it is resolved already, or no actor.
        """
        return self._transition(alert_id, AlertState.RESOLVED, actor, note)

    def _transition(self, alert_id: int, to: AlertState, actor: str, note: str | None) -> Alert:
        actor = actor.strip()
        if not actor:
            raise DatasetError("an acknowledgement or resolution needs an actor")
        alert = self.get(alert_id)
        allowed = (
            {AlertState.OPEN}
            if to is AlertState.ACKNOWLEDGED
            else {AlertState.OPEN, AlertState.ACKNOWLEDGED}
        )
        if alert.state not in allowed:
            verb = "acknowledged" if to is AlertState.ACKNOWLEDGED else "resolved"
            raise DatasetError(f"alert {alert_id} is {alert.state.value}: it cannot be {verb}")
        text = (note or "").strip()[:MAX_NOTE] or None
        return self.store.set_state(alert_id, to, actor, text)
