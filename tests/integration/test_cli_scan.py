"""End to end: the ``enricher`` console script on local files and on a real S3 server."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.badfiles import SECRETS, bad_objects, good_objects
from tests.support.cli import run_enricher
from worker.core.report import validate_report


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        o["uri"].rsplit("/", 2)[-2] + "/" + o["uri"].rsplit("/", 1)[-1]: o
        for o in report["objects"]
    }


def _assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"raw value {secret!r} leaked"


@pytest.fixture
def local_lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    for key, data in good_objects().items():
        (lake / key).parent.mkdir(parents=True, exist_ok=True)
        (lake / key).write_bytes(data)
    for key, (data, _, _) in bad_objects().items():
        (lake / key).parent.mkdir(parents=True, exist_ok=True)
        (lake / key).write_bytes(data)
    return lake


def test_scan_local_lake_end_to_end(local_lake: Path, tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{db}"}
    proc = run_enricher(["scan", str(local_lake), "--report", "r.json"], env, tmp_path)
    assert proc.returncode == 3, proc.stderr  # some objects failed
    assert "Traceback" not in proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    validate_report(report)
    objects = {o["uri"].split("/lake/", 1)[1]: o for o in report["objects"]}
    from urllib.parse import unquote

    objects = {unquote(k): v for k, v in objects.items()}
    for key, (_, status, kind) in bad_objects().items():
        assert objects[key]["status"] == status, (key, objects[key]["error"])
        assert objects[key]["error"]["kind"] == kind, key
    for key in good_objects():
        assert objects[key]["status"] == "classified", (key, objects[key]["error"])
    customers = objects["good/customers.parquet"]
    entities = {c["name"]: {e["entity"] for e in c["entities"]} for c in customers["columns"]}
    assert "EMAIL_ADDRESS" in entities["email"]
    assert "US_SSN" in entities["ssn"]
    assert entities["amount"] == set()
    assert customers["row_count"] == 120 and customers["row_count_estimated"] is False
    # Business context: a category, business types per column, a value-free description.
    assert customers["category"] is not None and customers["categories"]
    assert customers["description"].startswith("Parquet")
    assert "PII:" in customers["description"] and len(customers["description"]) <= 300
    types = {c["name"]: c["business_type"]["label"] for c in customers["columns"]}
    assert types["amount"] in ("amount", "measurement", "quantity")
    # the summary table names the entities
    assert "EMAIL_ADDRESS" in proc.stdout and "truncated_parquet" in proc.stdout
    # raw values never leave the worker: report, output, logs, catalog
    _assert_no_secrets(proc.stdout, proc.stderr, (tmp_path / "r.json").read_text())
    dump = "\n".join(sqlite3.connect(db).iterdump())
    _assert_no_secrets(dump)

    # Second scan: each file is a dataset of one; unchanged ones are not sampled again,
    # failed ones are retried (and fail again); --force samples everything.
    again = run_enricher(["scan", str(local_lake), "--format", "json"], env, tmp_path)
    assert again.returncode == 3
    second = json.loads(again.stdout)
    validate_report(second)
    kinds = {o["uri"].rsplit("/", 1)[-1]: (o["error"] or {}).get("kind") for o in second["objects"]}
    assert "customers.parquet" not in kinds and "empty.csv" not in kinds
    assert kinds["truncated.parquet"] == "truncated_parquet"
    assert len(second["datasets"]) == len(good_objects()) + len(bad_objects())
    forced = run_enricher(["scan", str(local_lake), "--force", "--format", "json"], env, tmp_path)
    assert forced.returncode == 3
    assert len(json.loads(forced.stdout)["objects"]) == len(good_objects()) + len(bad_objects())


def test_scan_s3_bucket_end_to_end(seaweed: Any, bucket: str, tmp_path: Path) -> None:
    client = seaweed.client()
    for key, data in good_objects().items():
        client.put_object(Bucket=bucket, Key=f"raw/{key}", Body=data)
    for key, (data, _, _) in bad_objects().items():
        client.put_object(Bucket=bucket, Key=f"raw/{key}", Body=data)
    client.put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=b"a,b\n1,2\n")
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_S3__ENDPOINT_URL": seaweed.endpoint_url,
        "ENRICH_S3__ACCESS_KEY_ID": "testing",
        "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
    }
    proc = run_enricher(
        ["scan", f"s3://{bucket}/raw/", "--exclude", "bomb*", "--format", "json"], env, tmp_path
    )
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    validate_report(report)
    objects = {o["uri"].split("/raw/", 1)[1]: o for o in report["objects"]}
    assert "bad/bomb.csv.gz" not in objects  # excluded by the glob
    assert not any("elsewhere" in o["uri"] for o in report["objects"])  # outside the prefix
    unicode_key = "good/dir with space/naïve ünïcode €.csv"
    assert objects[unicode_key]["status"] == "classified", objects[unicode_key]["error"]
    for key, (_, status, kind) in bad_objects().items():
        if key == "bad/bomb.csv.gz":
            continue
        assert (objects[key]["status"], objects[key]["error"]["kind"]) == (status, kind), key
    parquet = objects["good/customers.parquet"]
    assert parquet["etag"] and parquet["bytes_read"] <= parquet["size_bytes"]
    _assert_no_secrets(proc.stdout, proc.stderr)


def test_run_level_failures_exit_1_with_one_line(seaweed: Any, tmp_path: Path) -> None:
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "ENRICH_S3__ENDPOINT_URL": seaweed.endpoint_url,
        "ENRICH_S3__ACCESS_KEY_ID": "testing",
        "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
        "ENRICH_PII__ENABLED": "false",
    }
    missing = run_enricher(["scan", "s3://no-such-bucket-xyz/"], env, tmp_path)
    assert missing.returncode == 1
    assert "no-such-bucket-xyz" in missing.stderr and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["ENRICH_S3__ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    env["ENRICH_S3__MAX_ATTEMPTS"] = "1"
    down = run_enricher(["scan", "s3://lake/"], env, tmp_path)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert f"127.0.0.1:{port}" in down.stderr

    nowhere = run_enricher(["scan", str(tmp_path / "does-not-exist")], env, tmp_path)
    assert nowhere.returncode == 1 and "does-not-exist" in nowhere.stderr

    cfg = tmp_path / "bad.yaml"
    cfg.write_text("sampling:\n  rowz: 3\n")
    bad_cfg = run_enricher(["--config", str(cfg), "scan", str(tmp_path)], env, tmp_path)
    assert bad_cfg.returncode == 1 and "sampling.rowz" in bad_cfg.stderr
