"""AlertService: deduplication through the store, min_severity, the hourly limit and its
digest, failing channels, and acknowledge/resolve."""

from __future__ import annotations

import logging

import pytest

from models.datasets import AlertKind, AlertState, Severity
from tests.support.alert_fakes import (
    RecordingNotifier,
    candidate,
    delivered,
    down,
)
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryAlertStore
from worker.core.errors import AlertDeliveryRejected, AlertNotFound, DatasetError
from worker.core.settings import AlertSettings
from worker.services.alerts.service import AlertService, digest_text


def _service(
    *notifiers: RecordingNotifier, max_per_hour: int = 20, min_severity: str = "warning"
) -> tuple[AlertService, InMemoryAlertStore, ManualClock]:
    clock = ManualClock()
    store = InMemoryAlertStore(clock)
    settings = AlertSettings(max_per_hour=max_per_hour, min_severity=min_severity)  # type: ignore[arg-type]
    return AlertService(store, notifiers, settings, clock=clock), store, clock


def test_the_same_finding_is_delivered_once_until_resolved() -> None:
    hook = RecordingNotifier()
    service, store, clock = _service(hook)
    first = service.raise_alerts([candidate(1), candidate(2)])
    assert [a.state for a in first] == [AlertState.OPEN, AlertState.OPEN]
    clock.advance(minutes=5)
    again = service.raise_alerts([candidate(1), candidate(2)])
    assert again == [] and len(hook.sends) == 2
    assert store.get(first[0].id) is not None and store.rows[first[0].id].occurrences == 2
    service.acknowledge(first[0].id, "sam")
    assert service.raise_alerts([candidate(1)]) == []  # acknowledged: still not re-sent
    service.resolve(first[0].id, "sam", "fixed upstream")
    reopened = service.raise_alerts([candidate(1)])
    assert [a.id for a in reopened] == [first[0].id] and reopened[0].state is AlertState.OPEN
    assert [ids for ids, _ in hook.sends] == [[1], [2], [1]]


def test_only_alerts_at_or_above_min_severity_are_delivered() -> None:
    hook = RecordingNotifier()
    service, store, _ = _service(hook, min_severity="warning")
    opened = service.raise_alerts(
        [
            candidate(1, severity=Severity.INFO),
            candidate(2, severity=Severity.WARNING),
            candidate(3, severity=Severity.CRITICAL),
        ]
    )
    assert len(opened) == 3 and len(store.rows) == 3  # all stored
    # the critical one first, the info one not at all
    assert [ids for ids, _ in hook.sends] == [[3], [2]]
    assert delivered(store, "webhook") == {2, 3}


def test_a_bad_day_is_at_most_max_per_hour_messages_and_one_digest() -> None:
    hook, atlan = RecordingNotifier("webhook"), RecordingNotifier("atlan")
    service, store, clock = _service(hook, atlan, max_per_hour=20)
    kinds = [AlertKind.SCHEMA_DRIFT] * 2000 + [AlertKind.NEW_PII] * 1000
    severities = [Severity.WARNING] * 2990 + [Severity.CRITICAL] * 10
    candidates = [
        candidate(i, kind=k, severity=s, dataset=f"s3://lake/t{i % 7}/")
        for i, (k, s) in enumerate(zip(kinds, severities, strict=True))
    ]
    opened = service.raise_alerts(candidates)
    assert len(opened) == 3000
    for channel in (hook, atlan):
        assert len(channel.sends) == 21  # 20 alerts, then one digest
        singles = channel.sends[:20]
        assert all(len(ids) == 1 and digest is None for ids, digest in singles)
        # the ten critical alerts went out one by one, first
        critical = {a.id for a in opened if a.severity is Severity.CRITICAL}
        assert critical <= {ids[0] for ids, _ in singles[:10]}
        ids, digest = channel.sends[20]
        assert len(ids) == 2980 and digest is not None
        assert digest.startswith("2980 more alerts over the limit of 20 an hour: ")
        assert "schema_drift" in digest and "new_pii" in digest and "7 datasets" in digest
        # nothing lost, nothing twice
        assert delivered(store, channel.channel) == {a.id for a in opened}
    report = service.last_report
    assert report.channels["webhook"].sent == 20 and report.channels["webhook"].digested == 2980
    assert report.failed == 0

    # Within the same rolling hour, new alerts only go into a digest.
    clock.advance(minutes=30)
    service.raise_alerts([candidate(5000), candidate(5001)])
    assert hook.sends[21:] == [([3001, 3002], digest_text(list(store.rows.values())[-2:], 20))]
    # An hour after the flood, the budget is back.
    clock.advance(minutes=31)
    service.raise_alerts([candidate(6000)])
    assert hook.sends[-1] == ([3003], None)


def test_a_failing_channel_keeps_its_alerts_undelivered_and_the_others_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook, atlan = RecordingNotifier("webhook", fail_with=down()), RecordingNotifier("atlan")
    service, store, _ = _service(hook, atlan, max_per_hour=2)
    with caplog.at_level(logging.WARNING):
        opened = service.raise_alerts([candidate(i) for i in range(5)])
    assert len(opened) == 5
    # The webhook is down: one try, then it stops for the round (no digest, nothing marked).
    assert hook.attempts == 1 and delivered(store, "webhook") == set()
    report = service.last_report.channels["webhook"]
    assert report.failed == 5 and report.sent == 0
    assert report.errors == ["alert_delivery_error: webhook answered HTTP 503"]
    # Atlan got everything (2 one by one, 3 in its digest).
    assert delivered(store, "atlan") == {a.id for a in opened}
    logged = caplog.text
    assert "alert_delivery_error" in logged and "col1" not in logged  # no alert content

    # Back up: the next round (here, a scan raising nothing new) takes what the webhook
    # did not, from the store; Atlan, which had everything, gets nothing twice.
    hook.fail_with = None
    atlan_sends = len(atlan.sends)
    assert service.raise_alerts([]) == []
    assert service.last_report.failed == 0
    assert delivered(store, "webhook") == {a.id for a in opened}
    assert len(atlan.sends) == atlan_sends
    # Once delivered, nothing is pending on either channel.
    before = (len(hook.sends), len(atlan.sends))
    service.raise_alerts([])
    assert (len(hook.sends), len(atlan.sends)) == before


def test_a_rejecting_channel_tries_each_alert_up_to_three_times_per_round() -> None:
    hook = RecordingNotifier(fail_with=AlertDeliveryRejected("webhook refused (HTTP 400)"))
    service, store, _ = _service(hook)
    service.raise_alerts([candidate(i) for i in range(6)])
    assert hook.attempts == 3 and delivered(store, "webhook") == set()
    assert service.last_report.channels["webhook"].failed == 6


def test_a_crashing_notifier_loses_nothing_and_logs_only_the_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = RecordingNotifier(fail_with=ValueError("secret value 4111-1111"))
    service, store, _ = _service(hook)
    with caplog.at_level(logging.WARNING):
        service.raise_alerts([candidate(1)])
    assert delivered(store, "webhook") == set()
    assert "ValueError" in caplog.text and "4111" not in caplog.text
    assert service.last_report.channels["webhook"].errors == [
        "error: webhook failed unexpectedly (ValueError)"
    ]


def test_list_acknowledge_resolve() -> None:
    service, _, clock = _service()
    service.raise_alerts([candidate(1, severity=Severity.CRITICAL)])
    clock.advance(minutes=1)
    service.raise_alerts([candidate(2, kind=AlertKind.NEW_PII, dataset="s3://lake/other/")])
    assert [a.id for a in service.list()] == [2, 1]
    assert [a.id for a in service.list(severity=Severity.CRITICAL)] == [1]
    assert [a.id for a in service.list(kind=AlertKind.NEW_PII)] == [2]
    assert [a.id for a in service.list(dataset_uri="s3://lake/other/")] == [2]

    acked = service.acknowledge(1, " sam ", "  looking  ")
    assert (acked.state, acked.actor, acked.note) == (AlertState.ACKNOWLEDGED, "sam", "looking")
    with pytest.raises(DatasetError, match="alert 1 is acknowledged: it cannot be acknowledged"):
        service.acknowledge(1, "sam")
    resolved = service.resolve(1, "ann")
    assert (resolved.state, resolved.actor, resolved.note) == (AlertState.RESOLVED, "ann", None)
    with pytest.raises(DatasetError, match="is resolved: it cannot be resolved"):
        service.resolve(1, "ann")
    assert service.resolve(2, "ann", "x" * 5000).note == "x" * 2000
    assert [a.id for a in service.list(state=AlertState.OPEN)] == []
    with pytest.raises(AlertNotFound):
        service.acknowledge(99, "sam")
    with pytest.raises(DatasetError, match="needs an actor"):
        service.resolve(2, "  ")


def test_no_channels_stores_only() -> None:
    service, store, _ = _service()
    assert len(service.raise_alerts([candidate(1)])) == 1
    assert service.last_report.channels == {} and store.delivered == {"webhook": {}, "atlan": {}}
