"""``enricher atlan ...`` and ``enricher scan`` with Atlan enabled, as processes, end to end.

Real SeaweedFS, real pyatlan, the fake Atlan server; the scan's findings land in Atlan, an
unchanged re-scan sends nothing, an outage keeps writes in the outbox until ``flush``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.badfiles import SECRETS, good_objects
from tests.support.cli import run_enricher
from tests.support.service_env import service_env

atlan_server = _atlan.atlan_server


def _env(seaweed: Any, server: FakeAtlan, tmp_path: Path) -> dict[str, str]:
    return service_env(
        f"sqlite:///{tmp_path / 'c.db'}",
        s3_endpoint=seaweed.endpoint_url,
        atlan_url=server.base_url,
    )


def test_scan_writes_to_atlan_and_rescan_sends_nothing(
    seaweed: Any, bucket: str, atlan_server: FakeAtlan, tmp_path: Path
) -> None:
    atlan_server.reset()
    atlan_server.search_lag_s = 30.0  # nothing below relies on search showing a write
    client = seaweed.client()
    data = good_objects()
    client.put_object(
        Bucket=bucket, Key="crm/customers.parquet", Body=data["good/customers.parquet"]
    )
    env = _env(seaweed, atlan_server, tmp_path)

    check = run_enricher(["atlan", "check"], env, tmp_path)
    assert check.returncode == 1 and "missing tags" in check.stdout
    init = run_enricher(["atlan", "init"], env, tmp_path)
    assert init.returncode == 0, init.stderr
    assert "tag 'PII': created" in init.stdout
    assert run_enricher(["atlan", "check"], env, tmp_path).returncode == 0

    dry = run_enricher(["scan", f"s3://{bucket}/crm/", "--dry-run"], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "create" in dry.stdout and atlan_server.entities("S3Object") == []

    scan = run_enricher(["scan", f"s3://{bucket}/crm/", "--force"], env, tmp_path)
    assert scan.returncode == 0, scan.stderr
    assert "Atlan: 1 created" in scan.stderr
    (obj,) = atlan_server.entities("S3Object")
    qn = obj["attributes"]["qualifiedName"]
    assert obj["attributes"]["awsRegion"] == "us-east-1"
    assert obj["attributes"]["s3ObjectSize"] == len(data["good/customers.parquet"])
    assert qn.endswith(f"/arn:aws:s3:::{bucket}/crm/customers.parquet")  # Atlan's naming
    tags = set(atlan_server.tag_names("S3Object", qn))
    assert {"PII", "PII Email", "PII SSN"} <= tags
    for secret in SECRETS:  # no sampled value reached Atlan
        assert all(secret not in str(r.body) for r in atlan_server.requests)

    before = len(atlan_server.mutating_requests())
    again = run_enricher(["scan", f"s3://{bucket}/crm/", "--force"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "1 unchanged" in again.stderr and "0 write requests" in again.stderr
    assert len(atlan_server.mutating_requests()) == before


def test_outage_then_flush(
    seaweed: Any, bucket: str, atlan_server: FakeAtlan, tmp_path: Path
) -> None:
    atlan_server.reset()
    client = seaweed.client()
    client.put_object(
        Bucket=bucket, Key="x/customers.csv", Body=good_objects()["good/customers.csv"]
    )
    env = _env(seaweed, atlan_server, tmp_path)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    atlan_server.fail_next(503, times=100, path_contains="entity/bulk")
    scan = run_enricher(["scan", f"s3://{bucket}/x/"], env, tmp_path)
    assert scan.returncode == 0, scan.stderr  # the scan itself succeeded
    assert "kept in the outbox" in scan.stderr
    status = run_enricher(["atlan", "status"], env, tmp_path)
    assert "1 writes pending" in status.stdout and "unavailable" in status.stdout
    still = run_enricher(["atlan", "flush"], env, tmp_path)
    assert still.returncode == 1 and "1 still pending" in still.stdout
    atlan_server.reset_faults()
    flush = run_enricher(["atlan", "flush"], env, tmp_path)
    assert flush.returncode == 0, flush.stdout + flush.stderr
    assert "1 delivered" in flush.stdout
    assert len(atlan_server.entities("S3Object")) == 1
    assert "0 writes pending" in run_enricher(["atlan", "status"], env, tmp_path).stdout
