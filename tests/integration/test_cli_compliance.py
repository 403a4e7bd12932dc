"""``enricher report compliance`` as a user runs it, on both catalog databases."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_enricher
from tests.support.compliance_catalog import (
    GOLDEN,
    MARKER,
    Catalog,
    build_catalog,
    write_contracts,
)
from worker.cli.report import CHROMIUM


@pytest.fixture
def catalog(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Catalog]:
    built = build_catalog(database_url, monkeypatch)
    monkeypatch.undo()
    yield built
    built.review.catalog.engine.dispose()


def test_report_compliance_writes_every_format(catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    env = {"ENRICH_DATABASE_URL": catalog.url}
    done = run_enricher(["report", "compliance", "--period", "2026-11", "-o", str(out)], env,
                        tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([
        "compliance-2026-11.json", "compliance-2026-11.html", "compliance-2026-11.manifest.json",
        "compliance-2026-11-inventory.csv", "compliance-2026-11-inventory-by-entity.csv",
        "compliance-2026-11-inventory-by-system.csv", "compliance-2026-11-flows.csv",
        "compliance-2026-11-kpis.csv", "compliance-2026-11-steward-activity.csv",
    ])  # fmt: skip
    assert "compliance 2026-11: 5 PII datasets, 4 flows (2 unmasked), 2 decisions" in done.stdout
    # A past month is drawn as of its end: the same document as the golden one.
    report = (out / "compliance-2026-11.json").read_text(encoding="utf-8")
    assert report == (GOLDEN / "compliance-2026-11.json").read_text(encoding="utf-8")
    for path in out.iterdir():
        assert MARKER not in path.read_text(encoding="utf-8")

    # The next month compares with November's JSON kept in the directory.
    dec = run_enricher(["report", "compliance", "--period", "2026-12", "--format", "json",
                        "-o", str(out)], env, tmp_path)  # fmt: skip
    assert dec.returncode == 0, dec.stderr
    changes = json.loads((out / "compliance-2026-12.json").read_text())["changes"]
    assert changes["previous_period"] == "2026-11"
    assert changes["new_pii_datasets"] == [] and changes["decisions_made"] == 0


def test_report_compliance_checks_the_contracts(catalog: Catalog, tmp_path: Path) -> None:
    folder = write_contracts(tmp_path / "contracts")
    out = tmp_path / "reports"
    # contracts.dir from the settings ...
    env = {"ENRICH_DATABASE_URL": catalog.url, "ENRICH_CONTRACTS__DIR": str(folder)}
    done = run_enricher(["report", "compliance", "--period", "2026-11", "-o", str(out)], env,
                        tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "contracts: 2 checked, 2 violations" in done.stdout
    # Contracts are inputs: the same files and catalog give the golden document.
    report = (out / "compliance-2026-11.json").read_text(encoding="utf-8")
    assert report == (GOLDEN / "compliance-2026-11-contracts.json").read_text(encoding="utf-8")
    table = (out / "compliance-2026-11-contracts.csv").read_text(encoding="utf-8")
    assert table == (GOLDEN / "contracts.csv").read_text(encoding="utf-8")
    inputs = json.loads((out / "compliance-2026-11.manifest.json").read_text())["inputs"]
    assert inputs["contracts"]["dir"] == str(folder)
    assert sorted(inputs["contracts"]["files"]) == ["customers.yaml", "orders.yml"]

    # ... and --contracts over it: a folder that does not exist is said in the report.
    done = run_enricher(["report", "compliance", "--period", "2026-11", "--format", "json",
                         "--contracts", str(tmp_path / "none"), "-o", str(tmp_path / "b")],
                        env, tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    section = json.loads((tmp_path / "b/compliance-2026-11.json").read_text())["contracts"]
    assert section["note"] == "contracts folder contracts.dir does not exist"
    assert "contracts: 0 checked, 0 violations (contracts folder" in done.stdout


def test_report_compliance_rejects_a_bad_period(catalog: Catalog, tmp_path: Path) -> None:
    env = {"ENRICH_DATABASE_URL": catalog.url}
    bad = run_enricher(["report", "compliance", "--period", "2026-13", "-o", str(tmp_path)], env,
                       tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert "the month must be 01 to 12" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's Chromium is not installed")
def test_pdf_and_the_html_in_chromium(catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    env = {"ENRICH_DATABASE_URL": catalog.url}
    done = run_enricher(["report", "compliance", "--period", "2026-11", "--format", "pdf",
                         "-o", str(out)], env, tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "compliance-2026-11.pdf").read_bytes().startswith(b"%PDF-")
    # The browser's DOM of the page: every section, the charts, the unmasked flows marked.
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={profile}",
                "--dump-dom",
                (out / "compliance-2026-11.html").as_uri(),
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    for section in ("inventory", "flows", "kpis", "steward-activity", "changes"):
        assert f'<section id="{section}">' in dom
    assert dom.count("<svg") == 3
    assert dom.count('<tr class="unmasked">') == 2


def test_the_sample_lake_and_its_declared_lineage_give_flows(tmp_path: Path) -> None:
    """What `make demo` runs: scan the sample lake, load examples/lineage.yaml (local lake
    datasets between PostgreSQL and Snowflake), report: the flows are there, unmasked first."""
    root = Path(__file__).resolve().parents[2]
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    scan = run_enricher(["scan", str(root / "examples/lake"), "--force"], env, tmp_path)
    assert scan.returncode in (0, 3), scan.stderr
    load = run_enricher(
        ["lineage", "load", "--declared", str(root / "examples/lineage.yaml"), "--strict"],
        env,
        tmp_path,
    )
    assert load.returncode == 0, load.stderr
    assert "7 edges: 7 new" in load.stdout, load.stdout
    # A plain relative path names the local dataset the scan recorded; -o makes its folder.
    relative = os.path.relpath(root / "examples/lake/hr/employees.csv", tmp_path)
    init = run_enricher(["contract", "init", relative, "-o", "c/hr.yaml"], env, tmp_path)
    assert init.returncode == 0, init.stderr
    proc = run_enricher(
        ["report", "compliance", "--period", "2026-11", "--format", "json"]
        + ["--contracts", "c", "-o", "out"],
        env,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out/compliance-2026-11.json").read_text())
    flows = report["flows"]
    lake = f"file://{(root / 'examples/lake').resolve()}/"
    by_column = {(f["s3_dataset"].removeprefix(lake), f["s3_column"]): f for f in flows}
    ssn = by_column[("hr/employees.csv", "ssn")]
    assert ssn["masked"] is False and ssn["special_categories"] == ["national_id"]
    assert (ssn["source"], ssn["target"]) == (
        "postgres:hrdb.public.employees",
        "snowflake:HR.PUBLIC.EMPLOYEES",
    )
    email = by_column[("crm/customers/", "email")]
    assert email["masked"] is True and email["target_column"] == "EMAIL_SHA"
    assert by_column[("support/tickets.csv", "body")]["column_map"] is False
    masked = [f["masked"] for f in flows]
    assert masked == sorted(masked), "unmasked flows come first"
    assert masked.count(False) >= 5 and masked.count(True) == 3
    contracts = json.dumps(report["contracts"])
    assert "hr.yaml" in contracts and "hr/employees.csv" in contracts, contracts[:500]
    systems = report["inventory"]["by_system"]
    assert systems["Local files"] >= 5 and systems["Snowflake"] == 4
