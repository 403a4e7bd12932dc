"""deploy/prometheus/ and deploy/grafana/ are valid and name only metrics the code exports.

promtool (Debian's prometheus package; ``make promtool`` installs it) checks the rules and the
configuration, and runs unit tests of the alert rules on synthetic series: each alert fires
when it should and stays quiet when it should not. The dashboard's queries and the rules may
name only metrics listed in docs/metrics.md (the list the metrics code is documented by);
each rule has a summary and a runbook link to an anchor that exists in docs/operations.md.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker.core.settings import MetricsSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "rules.yml"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
GRAFANA_DIR = REPO_ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "s3-enricher.json"
DATASOURCE = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDER = GRAFANA_DIR / "provisioning" / "dashboards" / "s3-enricher.yml"
METRICS_DOC = REPO_ROOT / "docs" / "metrics.md"
OPERATIONS_DOC = REPO_ROOT / "docs" / "operations.md"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

#: The metric names of docs/metrics.md, used only if that file is missing.
AGREED_METRICS = {
    "s3e_objects_total",
    "s3e_bytes_read_total",
    "s3e_stage_seconds",
    "s3e_atlan_requests_total",
    "s3e_atlan_request_seconds",
    "s3e_outbox_entries",
    "s3e_outbox_oldest_age_seconds",
    "s3e_queue_depth",
    "s3e_job_objects_total",
    "s3e_job_progress_objects",
    "s3e_job_rate_objects_per_second",
    "s3e_event_lag_seconds",
    "s3e_review_suggestions",
    "s3e_alerts_open",
}
#: Series Prometheus makes itself.
PROMETHEUS_METRICS = {"up"}
_METRIC = re.compile(r"\bs3e_[a-z0-9_]+")
_HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: `make promtool` (Debian's prometheus package)")
    return found


def _run(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_promtool(), *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def _exported_metrics() -> set[str]:
    """The metric names docs/metrics.md lists (the agreed list until it exists)."""
    if not METRICS_DOC.exists():
        return set(AGREED_METRICS)
    names = set(_METRIC.findall(METRICS_DOC.read_text(encoding="utf-8")))
    assert names, "docs/metrics.md names no s3e_ metric"
    return names


def _base_name(series: str) -> str:
    """``s3e_x_seconds_bucket`` -> ``s3e_x_seconds`` (a histogram's series)."""
    for suffix in _HISTOGRAM_SERIES:
        if series.endswith(suffix):
            return series[: -len(suffix)]
    return series


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def _dashboard_queries() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """``source: target`` of a compose service's volumes (``src:dst[:mode]``)."""
    return dict(tuple(v.split(":")[:2]) for v in service.get("volumes", []))


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in markdown.splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


# ---- promtool


def test_promtool_accepts_the_rules() -> None:
    result = _run("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_promtool_accepts_the_config() -> None:
    result = _run("check", "config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_promtool_refuses_a_broken_rule(tmp_path: Path) -> None:
    """The check can fail: a rule with a bad expression is refused."""
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    data["groups"][0]["rules"][0]["expr"] = "sum(rate(s3e_objects_total[5m])"
    broken = tmp_path / "rules.yml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = _run("check", "rules", str(broken))
    assert result.returncode != 0
    assert "parse error" in (result.stdout + result.stderr).lower()


_RULE_TESTS: dict[str, Any] = {
    "rule_files": [str(RULES)],
    "evaluation_interval": "1m",
    "tests": [
        {
            # 10% of objects fail: the error-rate alert fires after its 10 minutes; the
            # workers are up, so "no worker alive" stays quiet.
            "interval": "1m",
            "input_series": [
                {"series": 's3e_objects_total{status="classified"}', "values": "0+90x40"},
                {"series": 's3e_objects_total{status="failed"}', "values": "0+10x40"},
                {"series": 'up{job="s3e-worker",instance="w1:9808"}', "values": "1x40"},
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "S3eErrorRateHigh", "exp_alerts": []},
                {
                    "eval_time": "30m",
                    "alertname": "S3eErrorRateHigh",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "critical"},
                            "exp_annotations": {
                                "summary": "10% of objects failed over the last 10 minutes "
                                "(over 5%)",
                                "runbook_url": "docs/operations.md#error-rate-high",
                            },
                        }
                    ],
                },
                {"eval_time": "30m", "alertname": "S3eNoWorkerAlive", "exp_alerts": []},
            ],
        },
        {
            # 2% failed: under the threshold. The worker went away at minute 10.
            "interval": "1m",
            "input_series": [
                {"series": 's3e_objects_total{status="classified"}', "values": "0+98x40"},
                {"series": 's3e_objects_total{status="failed"}', "values": "0+2x40"},
                {"series": 'up{job="s3e-worker",instance="w1:9808"}', "values": "1x10 0x30"},
            ],
            "alert_rule_test": [
                {"eval_time": "30m", "alertname": "S3eErrorRateHigh", "exp_alerts": []},
                {"eval_time": "5m", "alertname": "S3eNoWorkerAlive", "exp_alerts": []},
                {
                    "eval_time": "20m",
                    "alertname": "S3eNoWorkerAlive",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "critical"},
                            "exp_annotations": {
                                "summary": "No s3-enricher worker is answering on /metrics",
                                "runbook_url": "docs/operations.md#no-worker-alive",
                            },
                        }
                    ],
                },
            ],
        },
        {
            # The enrich queue grows by 10 a minute; jobs stays flat. The outbox's oldest
            # entry ages from 0; a job has 50 objects left and nothing finishes.
            "interval": "1m",
            "input_series": [
                {"series": 's3e_queue_depth{queue="enrich"}', "values": "0+10x60"},
                {"series": 's3e_queue_depth{queue="jobs"}', "values": "5x60"},
                {"series": "s3e_outbox_oldest_age_seconds", "values": "0+60x60"},
                {"series": 's3e_job_progress_objects{state="remaining"}', "values": "50x60"},
                {"series": 's3e_job_objects_total{status="classified"}', "values": "100x60"},
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": "S3eQueueGrowing", "exp_alerts": []},
                {
                    "eval_time": "40m",
                    "alertname": "S3eQueueGrowing",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning", "queue": "enrich"},
                            "exp_annotations": {
                                "summary": "Queue enrich has been growing for 15 minutes"
                                " (+10 messages/min)",
                                "runbook_url": "docs/operations.md#queue-growing",
                            },
                        }
                    ],
                },
                {"eval_time": "10m", "alertname": "S3eOutboxStale", "exp_alerts": []},
                {
                    "eval_time": "30m",
                    "alertname": "S3eOutboxStale",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning"},
                            "exp_annotations": {
                                "summary": "An Atlan write has waited in the outbox for 30m 0s",
                                "runbook_url": "docs/operations.md#outbox-stale",
                            },
                        }
                    ],
                },
                {
                    "eval_time": "40m",
                    "alertname": "S3eJobStalled",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning"},
                            "exp_annotations": {
                                "summary": "The running jobs have 50 objects left and none finished"
                                " in 15 minutes",
                                "runbook_url": "docs/operations.md#job-stalled",
                            },
                        }
                    ],
                },
            ],
        },
        {
            # A job that progresses is not stalled; event lag of about 5 s stays quiet, of
            # about 120 s fires.
            "interval": "1m",
            "input_series": [
                {"series": 's3e_job_progress_objects{state="remaining"}', "values": "500-5x60"},
                {"series": 's3e_job_objects_total{status="classified"}', "values": "0+5x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="10"}', "values": "0+10x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="60"}', "values": "0+10x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="+Inf"}', "values": "0+10x60"},
            ],
            "alert_rule_test": [
                {"eval_time": "40m", "alertname": "S3eJobStalled", "exp_alerts": []},
                {"eval_time": "40m", "alertname": "S3eEventLagHigh", "exp_alerts": []},
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                {"series": 's3e_event_lag_seconds_bucket{le="10"}', "values": "0x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="60"}', "values": "0x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="300"}', "values": "0+10x60"},
                {"series": 's3e_event_lag_seconds_bucket{le="+Inf"}', "values": "0+10x60"},
            ],
            "alert_rule_test": [
                {
                    "eval_time": "40m",
                    "alertname": "S3eEventLagHigh",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning"},
                            # 95% of the events in the 60-300 s bucket: 60 + 0.95 * 240 s.
                            "exp_annotations": {
                                "summary": "S3 events wait 4m 48s (p95) before their result is"
                                " stored",
                                "runbook_url": "docs/operations.md#event-lag-high",
                            },
                        }
                    ],
                },
            ],
        },
    ],
}


def test_alert_rules_fire_when_they_should(tmp_path: Path) -> None:
    tests = tmp_path / "rules_test.yml"
    tests.write_text(yaml.safe_dump(_RULE_TESTS), encoding="utf-8")
    result = _run("test", "rules", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    tested = {
        case["alertname"] for test in _RULE_TESTS["tests"] for case in test["alert_rule_test"]
    }
    assert tested == {rule["alert"] for rule in _rules()}  # every rule is exercised


def test_promtool_rule_tests_can_fail(tmp_path: Path) -> None:
    """A wrong expectation is reported: the rule tests above are not vacuous."""
    wrong = json.loads(json.dumps(_RULE_TESTS))
    wrong["tests"][0]["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": {"severity": "x"}}]
    tests = tmp_path / "rules_test.yml"
    tests.write_text(yaml.safe_dump(wrong), encoding="utf-8")
    assert _run("test", "rules", str(tests)).returncode != 0


# ---- the rules: the six alerts, each with a summary and a runbook


def test_every_issue_alert_has_a_rule_with_summary_and_runbook() -> None:
    rules = {rule["alert"]: rule for rule in _rules()}
    assert set(rules) == {
        "S3eQueueGrowing",
        "S3eOutboxStale",
        "S3eErrorRateHigh",
        "S3eNoWorkerAlive",
        "S3eEventLagHigh",
        "S3eJobStalled",
    }
    anchors = _anchors(OPERATIONS_DOC.read_text(encoding="utf-8"))
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"].strip(), name
        page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert page == "docs/operations.md", name
        assert anchor in anchors, f"{name}: docs/operations.md has no #{anchor}"


def test_thresholds_are_the_agreed_ones() -> None:
    rules = {rule["alert"]: rule for rule in _rules()}
    assert rules["S3eQueueGrowing"]["for"] == "15m"
    assert "> 900" in rules["S3eOutboxStale"]["expr"]
    assert "> 0.05" in rules["S3eErrorRateHigh"]["expr"]
    assert "histogram_quantile(0.95" in rules["S3eEventLagHigh"]["expr"]
    assert "> 60" in rules["S3eEventLagHigh"]["expr"]


# ---- metric names: only what the code exports


def test_dashboard_and_rules_name_only_exported_metrics() -> None:
    exported = _exported_metrics()
    queries = _dashboard_queries() + [(r["alert"], r["expr"]) for r in _rules()]
    assert queries
    for where, expr in queries:
        named = {_base_name(m) for m in _METRIC.findall(expr)}
        bare = set(re.findall(r"\b(up)\{", expr))
        assert named or bare, f"{where}: no metric in {expr!r}"
        unknown = named - exported
        assert not unknown, f"{where}: {sorted(unknown)} not in docs/metrics.md"
        assert bare <= PROMETHEUS_METRICS


def test_the_metric_name_check_can_fail() -> None:
    """A query naming an unexported metric would be caught by the check above."""
    exported = _exported_metrics()
    named = {_base_name(m) for m in _METRIC.findall("rate(s3e_made_up_total[5m])")}
    assert named - exported == {"s3e_made_up_total"}
    assert _base_name("s3e_stage_seconds_bucket") == "s3e_stage_seconds"


# ---- the dashboard and its provisioning


def test_dashboard_has_the_issue_panels() -> None:
    dashboard = _dashboard()
    titles = " | ".join(p["title"].lower() for p in dashboard["panels"])
    for wanted in (
        "throughput",
        "error rate by kind",
        "latency percentiles",
        "queue depth",
        "outbox",
        "event lag",
        "atlan errors",
        "review backlog",
    ):
        assert wanted in titles, wanted
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] == "s3-enricher"


def test_dashboard_uses_the_provisioned_datasource() -> None:
    datasource = yaml.safe_load(DATASOURCE.read_text(encoding="utf-8"))["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    for panel in _dashboard()["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"], panel["title"]
    provider = yaml.safe_load(DASHBOARD_PROVIDER.read_text(encoding="utf-8"))["providers"][0]
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    mounts = _mounts(compose["services"]["grafana"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"


def test_prometheus_scrapes_the_worker_and_the_web_service() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    worker = jobs["s3e-worker"]["dns_sd_configs"][0]
    assert worker["names"] == ["worker"]  # every replica of the compose service
    assert worker["port"] == MetricsSettings().port
    assert jobs["s3e-web"]["static_configs"][0]["targets"] == ["review-ui:8000"]
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["worker"]["environment"]["ENRICH_METRICS__BIND"] == "0.0.0.0"
    assert "ports" not in services["worker"]  # /metrics stays on the backend network
    assert {"backend"} <= set(services["prometheus"]["networks"])
    mounts = _mounts(services["prometheus"])
    assert mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./deploy/prometheus/rules.yml"] == "/etc/prometheus/rules.yml"
    assert config["rule_files"] == ["rules.yml"]  # next to the config, there as here
