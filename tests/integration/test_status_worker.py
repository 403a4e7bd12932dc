"""``enricher status`` and JSON logs against a real worker on real Redis (issue 19).

A worker consuming ``enrich`` only answers the ping; messages left in the ``atlan`` list are
counted as that queue's depth; an enrich task's log lines carry its task id and object URI,
with the one INFO line per object; once the worker is gone, status exits 3 and names why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_enricher
from tests.support.polling import wait_until
from tests.support.redis_dbs import RedisDatabases
from tests.support.workers import Worker

pytestmark = pytest.mark.serial

REPO_ROOT = Path(__file__).resolve().parents[2]
OBJECT = (REPO_ROOT / "examples" / "lake" / "hr" / "employees.csv").as_uri()


def _status(env: dict[str, str], cwd: Path) -> tuple[int, dict[str, Any]]:
    proc = run_enricher(["status", "--format", "json"], env, cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, report


def _json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_status_and_json_logs_with_a_live_worker(
    redis_dbs: RedisDatabases, tmp_path: Path, workers: list[Worker]
) -> None:
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_CELERY__BROKER_URL": redis_dbs.broker_url,
        "ENRICH_CELERY__RESULT_BACKEND": redis_dbs.backend_url,
        "ENRICH_CELERY__ALLOW_LOCAL_PATHS": "true",
        "ENRICH_LOG_FORMAT": "json",
        "ENRICH_METRICS__ENABLED": "false",  # no fixed port shared with other tests' workers
    }
    worker = Worker(env, tmp_path, concurrency=1, args=("--queues", "enrich", "-n", "st@%h"))
    workers.append(worker)
    redis_dbs.broker().rpush("atlan", "a", "b")  # nobody consumes atlan here

    code, report = _status(env, tmp_path)
    assert code == 0, report
    assert [name.split("@")[0] for name in report["workers"]["workers"]] == ["st"]
    assert report["queues"]["queues"] == {"enrich": 0, "jobs": 0, "atlan": 2}
    assert report["catalog"]["ok"] is True

    from worker.core.settings import Settings
    from worker.tasks.app import make_app

    app = make_app(
        Settings(  # type: ignore[call-arg]
            celery={"broker_url": redis_dbs.broker_url, "result_backend": redis_dbs.backend_url}
        )
    )
    sent = app.send_task("s3e.enrich", (OBJECT,), queue="enrich")

    def object_line() -> dict[str, Any] | None:
        return next(
            (line for line in _json_lines(worker.log) if line["logger"] == "worker.objects"),
            None,
        )

    wait_until(lambda: object_line() is not None, 60, "no object line in the worker's log")
    line = object_line()
    assert line is not None
    assert line["level"] == "INFO" and line["outcome"] == "classified"
    assert line["task_id"] == sent.id and line["object_uri"] == OBJECT
    assert line["format"] == "csv" and line["duration_ms"] > 0
    ready = [entry for entry in _json_lines(worker.log) if entry["message"].endswith("ready.")]
    assert ready and "task_id" not in ready[0]  # Celery's own lines go through the same setup

    worker.kill_all()
    code, report = _status(env, tmp_path)
    assert code == 3
    assert report["workers"] == {
        "ok": False,
        "workers": [],
        "error": "no worker answered the ping",
    }
