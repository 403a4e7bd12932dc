"""``enricher alerts list|ack|resolve`` on an in-memory alert store (click's runner)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from models.datasets import AlertKind, AlertState, Severity
from tests.support.alert_fakes import candidate
from tests.support.clock import ManualClock
from tests.support.fakes import InMemoryAlertStore
from worker.cli import alerts as alerts_cli
from worker.cli.app import cli
from worker.core.settings import AlertSettings, Settings
from worker.services.alerts.service import AlertService


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> InMemoryAlertStore:
    clock = ManualClock()
    memory = InMemoryAlertStore(clock)
    service = AlertService(memory, (), AlertSettings(), clock=clock)
    service.raise_alerts([candidate(1, severity=Severity.CRITICAL)])
    clock.advance(minutes=1)
    service.raise_alerts([candidate(2, kind=AlertKind.NEW_PII, dataset="s3://lake/customers/")])

    def build(settings: Settings) -> tuple[AlertService, Any]:
        return AlertService(memory, (), settings.alerts, clock=clock), None

    monkeypatch.setattr(alerts_cli, "build_alert_service", build)
    for name in ("ENRICH_DATABASE_URL", "ENRICHER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return memory


def _state(store: InMemoryAlertStore, alert_id: int) -> AlertState:
    return store.rows[alert_id].state


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_choices_are_the_models_values() -> None:
    assert alerts_cli.STATES == (*(s.value for s in AlertState), "any")
    assert alerts_cli.SEVERITIES == tuple(s.value for s in Severity)
    assert alerts_cli.KINDS == tuple(k.value for k in AlertKind)


def test_list_as_table_and_json_with_filters(store: InMemoryAlertStore) -> None:
    table = _run("alerts", "list")
    assert table.exit_code == 0, table.output
    assert "s3://lake/exports/orders/" in table.output and "new_pii" in table.output
    assert table.output.rstrip().endswith("2 alerts")

    out = _run("alerts", "list", "--format", "json")
    assert [a["id"] for a in json.loads(out.output)] == [2, 1]
    for args, ids in (
        (("--severity", "critical"), [1]),
        (("--kind", "new_pii"), [2]),
        (("--dataset", "s3://lake/customers/"), [2]),
        (("--state", "resolved"), []),
        (("--state", "any", "--limit", "1"), [2]),
    ):
        out = _run("alerts", "list", "--format", "json", *args)
        assert out.exit_code == 0 and [a["id"] for a in json.loads(out.output)] == ids, args

    empty = _run("alerts", "list", "--state", "acknowledged")
    assert empty.output == "no acknowledged alerts\n"
    bad = CliRunner().invoke(cli, ["alerts", "list", "--kind", "nope"])
    assert bad.exit_code == 2


def test_ack_then_resolve_records_the_actor(
    store: InMemoryAlertStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    ack = _run("alerts", "ack", "1", "--note", "looking into it")
    assert ack.exit_code == 0
    assert ack.output == 'alert 1 acknowledged by osuser: "looking into it"\n'
    assert _state(store, 1) is AlertState.ACKNOWLEDGED and store.rows[1].actor == "osuser"

    done = _run("alerts", "resolve", "1", "--actor", "sam", "--format", "json")
    assert done.exit_code == 0
    body = json.loads(done.output)
    assert body["state"] == "resolved" and body["actor"] == "sam" and body["note"] is None
    assert _state(store, 1) is AlertState.RESOLVED


def test_refusals_are_one_line_exits(store: InMemoryAlertStore) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["alerts", "ack", "99"])
    assert missing.exit_code == 1
    assert missing.output == "enricher: error: no alert with id 99\n"
    _run("alerts", "resolve", "2", "--actor", "sam")
    again = runner.invoke(cli, ["alerts", "ack", "2", "--actor", "sam"])
    assert again.exit_code == 1
    assert again.output == "enricher: error: alert 2 is resolved: it cannot be acknowledged\n"
    assert store.rows[2].actor == "sam"
    assert runner.invoke(cli, ["alerts", "ack", "0"]).exit_code == 2
