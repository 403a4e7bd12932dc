"""The compliance report on ``enricher beat``'s schedule: the setting, the beat entry, the task.

The task runs in-process on the compliance test catalog (SQLite) and writes the previous
month's report to ``compliance.output_dir/YYYY-MM/``; a rerun on the same catalog state
rewrites the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.schedules import crontab
from click.testing import CliRunner

from tests.support.compliance_catalog import GOLDEN, MARKER, Catalog, build_catalog
from worker.cli.run import beat_cmd
from worker.core.errors import ConfigError
from worker.core.settings import Settings, check_crontab, load_settings
from worker.tasks import names, runtime
from worker.tasks.app import compliance_crontab, make_app
from worker.tasks.compliance import compliance_report, previous_month
from worker.tasks.runtime import Runtime

NOV_FILES = {
    "compliance-2026-11.json",
    "compliance-2026-11.html",
    "compliance-2026-11.manifest.json",
    "compliance-2026-11-inventory.csv",
    "compliance-2026-11-inventory-by-entity.csv",
    "compliance-2026-11-inventory-by-system.csv",
    "compliance-2026-11-flows.csv",
    "compliance-2026-11-kpis.csv",
    "compliance-2026-11-steward-activity.csv",
}


def test_the_beat_entry_has_the_settings_crontab() -> None:
    app = make_app(load_settings(None, compliance={"schedule": "30 6 1 * *"}))
    entry = app.conf.beat_schedule["compliance-report"]
    assert entry["task"] == names.COMPLIANCE_REPORT == "s3e.compliance_report"
    assert entry["options"] == {"queue": "jobs"}
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({30}, {6}, {1})
    assert len(schedule.month_of_year) == 12 and len(schedule.day_of_week) == 7
    assert "worker.tasks.compliance" in names.TASK_MODULES
    # Off by default.
    assert "compliance-report" not in make_app(Settings()).conf.beat_schedule


@pytest.mark.parametrize(
    "text", ["0 6 1 * *", "*/15 0-23/2 1,15 jan-jun mon-fri", " 5  4 * * sun ", "0 0 31 12 6"]
)
def test_a_crontab_the_settings_take_is_one_celery_takes(text: str) -> None:
    cleaned = check_crontab(text)
    assert cleaned == " ".join(text.split())
    compliance_crontab(cleaned)  # raises ValueError when Celery refuses it


@pytest.mark.parametrize(
    "text", ["0 6 1 *", "60 6 1 * *", "0 24 1 * *", "0 6 0 * *", "0 6 1 13 *", "0 6 1 * 7",
             "5/15 * * * *", "0 6 9-2 * *", "0 6 1 * funday"],
)  # fmt: skip
def test_a_bad_crontab_is_refused_at_start(text: str) -> None:
    with pytest.raises(ConfigError, match="compliance.schedule"):
        load_settings(None, compliance={"schedule": text})


def test_the_previous_month_is_the_last_complete_one() -> None:
    assert previous_month(datetime(2027, 1, 1, 0, 0, tzinfo=UTC)).label == "2026-12"
    assert previous_month(datetime(2026, 3, 31, 23, 59, tzinfo=UTC)).label == "2026-02"


def _beat(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[Any, list[list[str]]]:
    started: list[list[str]] = []
    monkeypatch.setattr(Celery, "start", lambda self, argv: started.append(argv))
    for name in ("ENRICH_DATABASE_URL", "ENRICHER_CONFIG", "ENRICH_ATLAN__ENABLED"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner().invoke(beat_cmd, [], env=env, obj={}), started


def test_beat_starts_with_only_a_compliance_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    refused, started = _beat(monkeypatch, {})
    assert refused.exit_code == 1 and not started
    assert "compliance.schedule" in refused.output
    done, started = _beat(monkeypatch, {"ENRICH_COMPLIANCE__SCHEDULE": "0 6 1 * *"})
    assert done.exit_code == 0, done.output
    assert started and started[0][0] == "beat"


@pytest.fixture
def scheduled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Catalog, Path]]:
    """The compliance catalog, and this process's runtime on it with an output folder."""
    built = build_catalog(f"sqlite:///{tmp_path / 'catalog.db'}", monkeypatch)
    out = tmp_path / "reports"
    settings = load_settings(None, database_url=built.url, compliance={"output_dir": str(out)})
    # The task reads the settings and the catalog only.
    runtime.install(Runtime(settings, None, built.review.catalog, None, None, None, None, None))  # type: ignore[arg-type]
    try:
        yield built, out
    finally:
        runtime.install(None)
        built.review.catalog.engine.dispose()


def _read(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_the_task_writes_the_month_and_a_rerun_the_same_bytes(
    scheduled: tuple[Catalog, Path],
) -> None:
    _, out = scheduled
    result = compliance_report.run("2026-11")
    assert result == {"period": "2026-11", "folder": str(out / "2026-11"), "files": 9}
    assert [p.name for p in out.iterdir()] == ["2026-11"]  # no staging folder left
    first = _read(out / "2026-11")
    assert set(first) == NOV_FILES
    # The same document as the CLI's (tests/integration/test_cli_compliance.py).
    assert first["compliance-2026-11.json"] == (GOLDEN / "compliance-2026-11.json").read_bytes()
    manifest = json.loads(first["compliance-2026-11.manifest.json"])
    assert manifest["files"] == {
        name: hashlib.sha256(body).hexdigest()
        for name, body in first.items()
        if not name.endswith(".manifest.json")
    }
    assert all(MARKER.encode() not in body for body in first.values())
    for path in (out / "2026-11").iterdir():
        path.write_bytes(b"stale")
    compliance_report.run("2026-11")
    assert _read(out / "2026-11") == first


def test_the_task_compares_with_the_month_before(scheduled: tuple[Catalog, Path]) -> None:
    _, out = scheduled
    compliance_report.run("2026-09")
    compliance_report.run("2026-11")  # October was never written: September is the newest
    nov = json.loads((out / "2026-11" / "compliance-2026-11.json").read_text())
    assert nov["changes"]["previous_period"] == "2026-09"
    assert nov["changes"]["decisions_made"] == 2
    names_nov = {p.name for p in (out / "2026-11").iterdir()}
    assert names_nov == NOV_FILES | {"compliance-2026-11-changes.csv"}  # no copy of September
    assert sorted(p.name for p in out.iterdir()) == ["2026-09", "2026-11"]


def test_the_task_defaults_to_the_previous_month(
    scheduled: tuple[Catalog, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = scheduled
    settings = runtime.current().settings
    only_json = settings.model_copy(
        update={"compliance": settings.compliance.model_copy(update={"formats": ["json"]})}
    )
    runtime.current().settings = only_json
    expected = previous_month(datetime.now(UTC)).label
    assert compliance_report.run()["period"] == expected
    assert {p.name for p in (out / expected).iterdir()} == {
        f"compliance-{expected}.json",
        f"compliance-{expected}.manifest.json",
    }
    with pytest.raises(ConfigError, match="2026-13"):
        compliance_report.run("2026-13")
