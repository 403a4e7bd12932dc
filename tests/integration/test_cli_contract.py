"""``enricher contract init|check`` as a user runs them, on the bundled sample lake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from tests.support.cli import run_enricher

LAKE = Path(__file__).resolve().parents[2] / "examples" / "lake"


def _column(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["schema"][0]["properties"] if p["name"] == name)
    return found


def test_init_then_check_then_seeded_violations(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(LAKE, lake)
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}"}
    scan = run_enricher(["scan", str(lake), "--format", "json"], env, tmp_path)
    assert scan.returncode == 3, scan.stderr  # landing/broken.parquet fails, as it should
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    path = contracts / "transactions.yaml"
    dataset = f"file://{lake}/payments/transactions/"
    # An object of the dataset names it too, as for `enricher datasets show`.
    init = run_enricher(
        ["contract", "init", f"{dataset}dt=2025-01-02/part-0.parquet", "-o", str(path)],
        env, tmp_path,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert f"wrote the contract of {dataset}" in init.stderr
    again = run_enricher(["contract", "init", dataset, "-o", str(path)], env, tmp_path)
    assert again.returncode == 1 and "pass --force" in again.stderr

    clean = run_enricher(["contract", "check", "--contracts", str(contracts), "--format",
                          "json"], env, tmp_path)  # fmt: skip
    assert clean.returncode == 0, clean.stdout + clean.stderr
    report = json.loads(clean.stdout)
    assert report["contracts"] == 1 and report["violations"] == 0
    [result] = report["results"]
    assert result["dataset"] == dataset and result["passed"] > 20

    data = yaml.safe_load(path.read_text())
    assert data["kind"] == "DataContract" and "TO FILL IN" in data["team"]["name"]
    data["schema"][0]["properties"].remove(_column(data, "merchant"))
    card = _column(data, "card_number")
    next(c for c in card["customProperties"] if c["property"] == "allowedPii")["value"] = []
    _column(data, "iban")["quality"][0]["mustBeLessOrEqualTo"] = 1
    path.write_text(yaml.safe_dump(data))

    # contracts.dir from the settings; the table names every violation
    env_dir = env | {"ENRICH_CONTRACTS__DIR": str(contracts)}
    broken = run_enricher(["contract", "check"], env_dir, tmp_path)
    assert broken.returncode == 3, broken.stdout + broken.stderr
    for text in ("extra_column", "merchant", "classification", "CREDIT_CARD", "null_share",
                 "iban"):  # fmt: skip
        assert text in broken.stdout, text
    as_json = run_enricher(["contract", "check", "--format", "json"], env_dir, tmp_path)
    assert as_json.returncode == 3
    found = {
        (v["kind"], v["column"]) for v in json.loads(as_json.stdout)["results"][0]["violations"]
    }
    assert found == {("extra_column", "merchant"), ("classification", "card_number"),
                     ("null_share", "iban")}  # fmt: skip

    alerts = run_enricher(["alerts", "list", "--kind", "contract", "--format", "json"], env,
                          tmp_path)  # fmt: skip
    assert alerts.returncode == 0, alerts.stderr
    listed = json.loads(alerts.stdout)
    kinds = {(a["kind"], a["evidence"]["kind"]) for a in listed}
    assert kinds == {("contract", "extra_column"), ("contract", "classification"),
                     ("contract", "null_share")}  # fmt: skip
    assert all(a["dataset"] == dataset for a in listed)

    # a contract that is not ODCS: a run error (exit 1), one line naming the file
    (contracts / "bad.yaml").write_text("apiVersion: v3.1.0\nkind: Table\nid: x\nversion: '1'\n")
    bad = run_enricher(["contract", "check"], env_dir, tmp_path)
    assert bad.returncode == 1
    assert "bad.yaml is not valid ODCS v3" in bad.stderr and "Traceback" not in bad.stderr
    none = run_enricher(["contract", "check"], env, tmp_path)
    assert none.returncode == 1 and "no contracts folder" in none.stderr


def _forbid_card_pii(dataset: str) -> str:
    """An ODCS contract, written by hand, that allows no PII in the card_number column."""
    return yaml.safe_dump(
        {
            "apiVersion": "v3.1.0",
            "kind": "DataContract",
            "id": "transactions-no-card-numbers",
            "version": "1.0.0",
            "status": "active",
            "customProperties": [{"property": "dataset", "value": dataset}],
            "schema": [
                {
                    "name": "transactions",
                    "physicalName": dataset,
                    "properties": [
                        {
                            "name": "card_number",
                            "classification": "public",
                            "customProperties": [
                                {"property": "allowedPii", "vendor": "s3-enricher", "value": []}
                            ],
                        }
                    ],
                }
            ],
        },
        sort_keys=False,
    )


def _contract_alerts(env: dict[str, str], cwd: Path) -> list[dict[str, Any]]:
    listed = run_enricher(["alerts", "list", "--kind", "contract", "--format", "json"], env, cwd)
    assert listed.returncode == 0, listed.stderr
    found: list[dict[str, Any]] = json.loads(listed.stdout)
    return found


def test_every_scan_checks_the_contracts_of_its_datasets(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(LAKE, lake)
    dataset = f"file://{lake}/payments/transactions/"
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "transactions.yaml").write_text(_forbid_card_pii(dataset))

    # Without contracts.dir the folder is not read: no contract alert.
    plain = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}"}
    scan = run_enricher(["scan", str(lake), "--format", "json"], plain, tmp_path)
    assert scan.returncode == 3, scan.stderr  # landing/broken.parquet fails, as it should
    assert _contract_alerts(plain, tmp_path) == []

    # With it, the scan itself checks the contract of the dataset it concluded.
    checked = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'checked.db'}",
        "ENRICH_CONTRACTS__DIR": str(contracts),
    }
    scan = run_enricher(["scan", str(lake), "--format", "json"], checked, tmp_path)
    assert scan.returncode == 3, scan.stderr
    alerts = _contract_alerts(checked, tmp_path)
    violations = {(a["dataset"], a["evidence"]["kind"], a["evidence"]["column"]) for a in alerts}
    assert (dataset, "classification", "card_number") in violations
    card = next(a for a in alerts if a["evidence"]["column"] == "card_number")
    assert card["kind"] == "contract" and card["severity"] == "critical"
    assert "CREDIT_CARD" in card["message"]
    # Only the dataset with a contract is checked.
    assert {a["dataset"] for a in alerts} == {dataset}

    # A rescan (nothing new to classify) checks again; the open alert is not raised twice.
    again = run_enricher(["scan", str(lake), "--format", "json"], checked, tmp_path)
    assert again.returncode == 3, again.stderr
    assert len(_contract_alerts(checked, tmp_path)) == len(alerts)

    # A broken contract file is logged and does not fail the scan.
    (contracts / "transactions.yaml").write_text("apiVersion: v3.1.0\nkind: Table\n")
    broken = run_enricher(["scan", str(lake), "--format", "json"], checked, tmp_path)
    assert broken.returncode == 3 and "Traceback" not in broken.stderr
    assert "data contracts not checked" in broken.stderr
    assert "transactions.yaml is not valid ODCS v3" in broken.stderr


def _review_items(env: dict[str, str], cwd: Path, state: str = "pending") -> list[dict[str, Any]]:
    listed = run_enricher(
        ["review", "list", "--kind", "contract", "--state", state, "--format", "json"], env, cwd
    )
    assert listed.returncode == 0, listed.stderr
    items: list[dict[str, Any]] = json.loads(listed.stdout)["items"]
    return items


def test_violations_wait_in_review_and_a_decision_stands(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(LAKE, lake)
    dataset = f"file://{lake}/payments/transactions/"
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    users = [{"name": "ann", "role": "steward", "password_hash": "$argon2id$v=19$m=1,t=1,p=1$x$y"}]
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
        "ENRICH_REVIEW__USERS": json.dumps(users),
    }
    scan = run_enricher(["scan", str(lake), "--format", "json"], env, tmp_path)
    assert scan.returncode == 3, scan.stderr  # landing/broken.parquet fails, as it should
    path = contracts / "transactions.yaml"
    init = run_enricher(["contract", "init", dataset, "-o", str(path)], env, tmp_path)
    assert init.returncode == 0, init.stderr
    data = yaml.safe_load(path.read_text())
    data["schema"][0]["properties"].remove(_column(data, "merchant"))
    card = _column(data, "card_number")
    next(c for c in card["customProperties"] if c["property"] == "allowedPii")["value"] = []
    path.write_text(yaml.safe_dump(data))
    assert _review_items(env, tmp_path) == []  # nothing checked yet

    env |= {"ENRICH_CONTRACTS__DIR": str(contracts)}
    check = run_enricher(["contract", "check"], env, tmp_path)
    assert check.returncode == 3, check.stdout + check.stderr
    items = {i["evidence"]["violation"]: i for i in _review_items(env, tmp_path)}
    assert set(items) == {"extra_column", "classification"}
    waiver = items["classification"]
    assert waiver["kind"] == "contract" and waiver["object_uri"] == dataset
    assert waiver["column"] == "card_number" and waiver["state"] == "pending"
    assert waiver["evidence"]["contract"] == "transactions.yaml"
    assert "CREDIT_CARD" in waiver["evidence"]["observed"]

    # a rerun (the check, or a scan whose hook checks) proposes nothing new
    again = run_enricher(["contract", "check"], env, tmp_path)
    assert again.returncode == 3
    rescan = run_enricher(["scan", str(lake), "--format", "json"], env, tmp_path)
    assert rescan.returncode == 3, rescan.stderr
    assert sorted(i["id"] for i in _review_items(env, tmp_path, "any")) == sorted(
        i["id"] for i in items.values()
    )

    approve = run_enricher(["review", "approve", str(waiver["id"]), "--as", "ann", "--reason",
                            "masked before it leaves"], env, tmp_path)  # fmt: skip
    assert approve.returncode == 0, approve.stdout + approve.stderr
    assert "1 applied" in approve.stdout
    reject = run_enricher(["review", "reject", str(items["extra_column"]["id"]), "--as", "ann",
                           "--reason", "the export must drop merchant"], env, tmp_path)  # fmt: skip
    assert reject.returncode == 0, reject.stdout + reject.stderr
    [applied] = _review_items(env, tmp_path, "applied")
    assert applied["id"] == waiver["id"] and applied["decided_by"] == "ann"

    def alert_states() -> dict[str, str]:
        listed = run_enricher(["alerts", "list", "--kind", "contract", "--state", "any",
                               "--format", "json"], env, tmp_path)  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        return {a["evidence"]["kind"]: a["state"] for a in json.loads(listed.stdout)}

    assert alert_states() == {"classification": "resolved", "extra_column": "open"}
    # both violations persist: neither is proposed again, the waived one stays quiet
    third = run_enricher(["contract", "check"], env, tmp_path)
    assert third.returncode == 3
    assert _review_items(env, tmp_path) == []
    assert len(_review_items(env, tmp_path, "any")) == 2
    assert alert_states() == {"classification": "resolved", "extra_column": "open"}
