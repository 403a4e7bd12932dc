"""The compliance report on a small catalog built through the stores with a fixed clock.

Golden files under tests/golden/compliance/ hold the CSV and JSON forms, without a contracts
folder and with the test catalog's (``*-contracts.json``, ``contracts.csv``); after a
deliberate change, regenerate them with ``S3E_UPDATE_GOLDEN=1`` and review the diff by eye.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from models.review import SuggestionFilter
from tests.support.compliance_catalog import (
    CONTRACTS,
    GOLDEN,
    MARKER,
    NOV,
    Catalog,
    build_catalog,
    write_contracts,
)
from worker.core.compliance import Period, dataset_for_object, special_categories
from worker.core.compliance_contracts import NOT_CONFIGURED
from worker.core.compliance_render import csv_tables, to_html, to_json
from worker.core.errors import ConfigError

SCHEMA = Path(__file__).resolve().parents[2] / "worker" / "core" / "compliance.schema.json"


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Catalog]:
    built = build_catalog(f"sqlite:///{tmp_path / 'catalog.db'}", monkeypatch)
    yield built
    built.review.catalog.engine.dispose()


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    return write_contracts(tmp_path / "contracts")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("S3E_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} missing: run with S3E_UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def _stable(text: str) -> str:
    # The chain hashes depend on audit row ids and times only, which the clock fixes; ids
    # of suggestions are fixed by insertion order. Nothing to mask.
    return text


def test_json_golden_and_schema(catalog: Catalog) -> None:
    report = catalog.service().build(NOV)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    _golden("compliance-2026-11.json", _stable(to_json(report)))


def test_csv_golden(catalog: Catalog) -> None:
    report = catalog.service().build(NOV)
    tables = csv_tables(report)
    assert set(tables) == {"inventory", "inventory_by_entity", "inventory_by_system", "flows",
                           "kpis", "steward_activity"}  # fmt: skip
    for name, text in sorted(tables.items()):
        _golden(f"{name}.csv", _stable(text))


def test_report_content(catalog: Catalog) -> None:
    report = catalog.service().build(NOV)
    inv = {r["dataset"]: r for r in report["inventory"]["datasets"]}
    # S3 datasets from verdicts and suggestions; tables from the flows.
    assert set(inv) == {
        "s3://lake/exports/customers/",
        "s3://lake/exports/patients/",
        "postgres:appdb.public.customers",
        "snowflake:ANALYTICS.PUBLIC.CUSTOMERS",
        "snowflake:ANALYTICS.PUBLIC.PATIENTS",
    }
    customers = inv["s3://lake/exports/customers/"]
    assert customers["decision_state"] == "pending"  # PHONE_NUMBER waits
    assert customers["special_categories"] == ["national_id"]
    assert customers["steward"] == "ann"
    # No contracts folder: the owner is the steward who decided last, and says so.
    assert (customers["owner"], customers["owner_source"]) == ("ann", "steward")
    assert (inv["s3://lake/exports/patients/"]["owner"],
            inv["s3://lake/exports/patients/"]["owner_source"]) == ("sam", "steward")  # fmt: skip
    assert (inv["postgres:appdb.public.customers"]["owner"],
            inv["postgres:appdb.public.customers"]["owner_source"]) == (None, "none")  # fmt: skip
    states = {e["entity"]: e["state"] for e in customers["entities"]}
    assert states == {"EMAIL_ADDRESS": "applied", "PHONE_NUMBER": "pending", "US_SSN": "applied"}
    assert inv["s3://lake/exports/patients/"]["special_categories"] == ["health"]
    # Snowflake customers gets only the unmasked SSN column.
    sf = inv["snowflake:ANALYTICS.PUBLIC.CUSTOMERS"]["entities"]
    assert [(e["entity"], [c["column"] for c in e["columns"]]) for e in sf] == [("US_SSN", ["SSN"])]
    assert report["inventory"]["by_system"] == {"PostgreSQL": 1, "S3": 2, "Snowflake": 2}

    flows = report["flows"]
    masked = [f["masked"] for f in flows]
    assert masked == sorted(masked), "unmasked flows first"
    ssn = [f for f in flows if f["s3_column"] == "ssn"]
    assert len(ssn) == 1 and ssn[0]["masked"] is False
    assert ssn[0]["source"] == "postgres:appdb.public.customers"
    assert ssn[0]["target"] == "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"
    email = [f for f in flows if f["s3_column"] == "email"]
    assert email[0]["downstream_masked"] is True and email[0]["upstream_masked"] is False
    # A hop without a column map cannot show masking: unmasked, and said so.
    patients = [f for f in flows if f["s3_dataset"] == "s3://lake/exports/patients/"]
    assert [(f["s3_column"], f["column_map"], f["masked"]) for f in patients] == [
        ("name", False, False)  # notes: rejected, so not personal data
    ]
    person = inv["s3://lake/exports/patients/"]["entities"][0]
    assert [(c["column"], c["state"]) for c in person["columns"]] == [
        ("name", "applied"),
        ("notes", "rejected"),
    ]
    assert person["state"] == "applied"

    kpis = {k["id"]: k for k in report["kpis"]}
    # customers and patients current; orders stale (object newer than the scan); logs none.
    assert (kpis["metadata_coverage_datasets"]["numerator"],
            kpis["metadata_coverage_datasets"]["denominator"]) == (2, 4)  # fmt: skip
    assert kpis["metadata_coverage_objects"]["value"] == pytest.approx(5 / 20)
    # Only customers has both an upstream and a downstream hop.
    assert kpis["lineage_completeness"]["numerator"] == 1
    assert kpis["lineage_completeness"]["denominator"] == 4
    assert kpis["review_backlog"]["value"] == 2
    # The oldest waiting item: first seen 2026-10-05 09:00, as of 2026-12-01 00:00.
    assert kpis["review_backlog_oldest_days"]["value"] == pytest.approx(56.625, abs=0.01)
    # Decisions after 54 h and 73.5 h.
    assert kpis["discovery_to_decision_median_hours"]["value"] == pytest.approx(63.75)
    assert kpis["discovery_to_decision_p90_hours"]["value"] == pytest.approx(73.5)
    assert all(k["definition"] for k in report["kpis"])
    # No contracts folder: the section says so, the KPI is null with the reason.
    assert report["contracts"]["configured"] is False
    assert report["contracts"]["note"] == NOT_CONFIGURED
    assert report["contracts"]["contracts"] == []
    coverage = kpis["contract_coverage"]
    assert coverage["value"] is None and coverage["note"] == NOT_CONFIGURED

    activity = report["steward_activity"]
    assert [(d["actor"], d["action"], d["state"]) for d in activity["decisions"]] == [
        ("ann", "suggestion.approve", "approved"),
        ("sam", "suggestion.reject", "rejected"),
    ]
    assert activity["decisions"][1]["reason"] == "free text, not names"
    head = catalog.review.audit_chain_head()
    assert head is not None
    assert activity["audit_chain"]["head_hash"] == head[1]
    assert activity["audit_chain"]["head_seq"] == 3
    assert (activity["audit_chain"]["period_first_seq"],
            activity["audit_chain"]["period_last_seq"]) == (1, 2)  # fmt: skip
    assert report["changes"] is None


def test_no_sampled_value_in_any_output(catalog: Catalog, tmp_path: Path) -> None:
    written = catalog.service().write(NOV, ("html", "csv", "json"), tmp_path / "out")
    texts = [p.read_text(encoding="utf-8") for p in (*written.files, written.manifest)]
    assert len(texts) == 9
    # The marker is in the catalog (evidence, verdict description, lineage SQL) ...
    assert any(MARKER in json.dumps(v.evidence) for v in catalog.review.page(
        SuggestionFilter(state=None)).items)  # fmt: skip
    # ... and in none of the files.
    for text in texts:
        assert MARKER not in text


def test_html_is_self_contained(catalog: Catalog) -> None:
    html = to_html(catalog.service().build(NOV))
    for section in ("inventory", "flows", "contracts", "kpis", "steward-activity", "changes"):
        assert f'<section id="{section}">' in html
    assert NOT_CONFIGURED in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "@media print" in html
    assert html.count("<svg") == 3
    assert '<tr class="unmasked">' in html
    for kpi in catalog.service().build(NOV)["kpis"]:
        assert kpi["definition"][:40] in html


def test_manifest_and_same_bytes(catalog: Catalog, tmp_path: Path) -> None:
    first = catalog.service().write(NOV, ("csv", "json"), tmp_path / "a")
    second = catalog.service().write(NOV, ("csv", "json"), tmp_path / "b")
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    manifest = json.loads(first.manifest.read_text())
    assert sorted(manifest["files"]) == sorted(p.name for p in first.files)
    assert manifest["catalog_state"]["audit_chain_head_seq"] == 3


def test_changes_since_previous_report(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    oct_report = catalog.service().write(Period.parse("2026-10"), ("json",), out)
    assert oct_report.report["changes"] is None
    previous = json.loads(oct_report.files[0].read_text())
    # Pretend October knew a dataset that is gone now and lacked the SSN flow.
    previous["inventory"]["datasets"].append(dict(previous["inventory"]["datasets"][0],
                                                  dataset="s3://lake/old/"))  # fmt: skip
    previous["inventory"]["datasets"] = [
        d
        for d in previous["inventory"]["datasets"]
        if d["dataset"] != "s3://lake/exports/patients/"
    ]
    previous["flows"] = [f for f in previous["flows"] if f["s3_column"] != "ssn"]
    oct_report.files[0].write_text(json.dumps(previous))
    nov = catalog.service().write(NOV, ("json",), out).report
    changes = nov["changes"]
    assert changes["previous_period"] == "2026-10"
    assert changes["new_pii_datasets"] == ["s3://lake/exports/patients/"]
    assert changes["removed_pii_datasets"] == ["s3://lake/old/"]
    assert len(changes["new_flows"]) == 1 and "| ssn |" in changes["new_flows"][0]
    assert changes["removed_flows"] == []
    assert changes["decisions_made"] == 2
    jsonschema.validate(nov, json.loads(SCHEMA.read_text()))


def test_period_and_helpers() -> None:
    assert (NOV.start, NOV.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    dec = Period.parse("2026-12")
    assert dec.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert dec.start - NOV.start == timedelta(days=30)
    for bad in ("2026-13", "2026/11", "26-11", "2026-1"):
        with pytest.raises(ValueError):
            Period.parse(bad)
    index = {"s3://b/a/": "s3://b/a/", "s3://b/a/c/": "s3://b/a/c/", "s3://b/f.csv": "s3://b/f.csv"}
    assert dataset_for_object("s3://b/a/c/d/x.parquet", index) == "s3://b/a/c/"
    assert dataset_for_object("s3://b/a/x.parquet", index) == "s3://b/a/"
    assert dataset_for_object("s3://b/f.csv", index) == "s3://b/f.csv"
    assert dataset_for_object("s3://b/z/x", index) is None
    assert special_categories(["EMAIL_ADDRESS"]) == []
    assert special_categories(["US_SSN", "UK_NHS"], "customer") == ["health", "national_id"]
    assert special_categories([], "health") == ["health"]


def test_pdf_is_printed_from_the_html(catalog: Catalog, tmp_path: Path) -> None:
    printed: list[tuple[str, str]] = []

    def printer(html: Path, pdf: Path) -> None:
        printed.append((html.name, pdf.name))
        pdf.write_bytes(b"%PDF-1.4 fake")

    service = catalog.service()
    with pytest.raises(ConfigError, match="no PDF printer"):
        service.write(NOV, ("pdf",), tmp_path / "none")
    service.pdf_printer = printer
    written = service.write(NOV, ("pdf",), tmp_path / "out")
    assert printed == [("compliance-2026-11.html", "compliance-2026-11.pdf")]
    names = [p.name for p in written.files]
    assert names == ["compliance-2026-11.html", "compliance-2026-11.json", "compliance-2026-11.pdf"]
    manifest = json.loads(written.manifest.read_text())
    assert (
        manifest["files"]["compliance-2026-11.pdf"] == hashlib.sha256(b"%PDF-1.4 fake").hexdigest()
    )


# -- data contracts ----------------------------------------------------------------------------


def test_contracts_golden_and_schema(catalog: Catalog, contracts: Path) -> None:
    report = catalog.service(contracts).build(NOV)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    _golden("compliance-2026-11-contracts.json", to_json(report))
    tables = csv_tables(report)
    assert "contracts" in tables
    _golden("contracts.csv", tables["contracts"])
    _golden("inventory-contracts.csv", tables["inventory"])


def test_contracts_section(catalog: Catalog, contracts: Path) -> None:
    report = catalog.service(contracts).build(NOV)
    section = report["contracts"]
    assert section["configured"] is True and section["note"] is None
    assert section["files"] == {
        name: hashlib.sha256(text.encode()).hexdigest() for name, text in CONTRACTS.items()
    }
    by_file = {c["contract"]: c for c in section["contracts"]}
    assert [c["contract"] for c in section["contracts"]] == ["customers.yaml", "orders.yml"]
    customers = by_file["customers.yaml"]
    assert (customers["dataset"], customers["status"], customers["outcome"]) == (
        "s3://lake/exports/customers/", "active", "violated")  # fmt: skip
    assert (customers["team"], customers["owner"]) == ("CRM data", "dana@corp.example")
    # The forbidden SSN first, then the retyped column; counts by kind.
    assert [(v["kind"], v["column"]) for v in customers["violations"]] == [
        ("classification", "ssn"),
        ("retyped_column", "ssn"),
    ]
    assert customers["violations_by_kind"] == {"classification": 1, "retyped_column": 1}
    assert list(customers["violations_by_kind"]) == ["classification", "retyped_column"]
    assert customers["violations"][0]["observed"] == "US_SSN found in 2 sampled partition(s)"
    assert customers["violations"][1]["expected"] == "int64"
    assert customers["violations"][1]["observed"] == "string"
    # A rule a sample cannot decide is listed as such, not passed.
    assert customers["not_checkable"] == [
        {
            "column": "email",
            "rule": "email: unique",
            "reason": "not checkable from a sample: uniqueness over the whole table",
        }
    ]
    orders = by_file["orders.yml"]
    assert (orders["outcome"], orders["passed"], orders["violations"]) == ("not_checked", 0, [])
    assert [u["rule"] for u in orders["not_checkable"]] == ["sla retention 3y"]
    # The placeholder of `contract init` is not an owner.
    assert (orders["team"], orders["owner"]) == (None, None)
    assert section["violations_by_kind"] == {"classification": 1, "retyped_column": 1}
    assert section["pii_datasets_without_contract"] == ["s3://lake/exports/patients/"]

    inv = {r["dataset"]: r for r in report["inventory"]["datasets"]}
    # Owner from the contract where one names the dataset, else the last steward.
    assert (inv["s3://lake/exports/customers/"]["owner"],
            inv["s3://lake/exports/customers/"]["owner_source"]) == (
        "dana@corp.example", "contract")  # fmt: skip
    assert inv["s3://lake/exports/customers/"]["steward"] == "ann"
    assert (inv["s3://lake/exports/patients/"]["owner"],
            inv["s3://lake/exports/patients/"]["owner_source"]) == ("sam", "steward")  # fmt: skip

    coverage = {k["id"]: k for k in report["kpis"]}["contract_coverage"]
    assert (coverage["value"], coverage["numerator"], coverage["denominator"]) == (0.5, 1, 2)
    assert coverage["note"] is None

    rows = list(csv.DictReader(io.StringIO(csv_tables(report)["contracts"])))
    assert [r["item"] for r in rows] == ["contract", "violation", "violation", "not_checkable",
                                         "contract", "not_checkable", "no_contract"]  # fmt: skip
    assert rows[0]["violations_by_kind"] == "classification:1;retyped_column:1"
    assert (rows[1]["kind"], rows[1]["owner"]) == ("classification", "dana@corp.example")
    assert rows[-1]["dataset"] == "s3://lake/exports/patients/"

    html = to_html(report)
    assert '<section id="contracts">' in html
    assert '<span class="flag">forbidden PII</span>' in html
    assert "email: unique" in html and "uniqueness over the whole table" in html
    assert "dana@corp.example (contract)" in html and "sam (steward)" in html
    assert NOT_CONFIGURED not in html
    assert html.count("<svg") == 3


def test_contracts_in_the_manifest_and_same_bytes(
    catalog: Catalog, contracts: Path, tmp_path: Path
) -> None:
    first = catalog.service(contracts).write(NOV, ("html", "csv", "json"), tmp_path / "a")
    assert MARKER not in "".join(p.read_text() for p in (*first.files, first.manifest))
    assert "compliance-2026-11-contracts.csv" in [p.name for p in first.files]
    manifest = json.loads(first.manifest.read_text())
    assert manifest["inputs"]["contracts"] == {
        "dir": str(contracts),
        "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(contracts.iterdir())},
    }  # fmt: skip
    # The same contract files elsewhere and the same catalog: the same bytes.
    moved = write_contracts(tmp_path / "elsewhere")
    second = catalog.service(moved).write(NOV, ("html", "csv", "json"), tmp_path / "b")
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    # A changed contract file is a changed input: its hash, and the report's bytes, change.
    text = (moved / "customers.yaml").read_text().replace("int64", "string")
    (moved / "customers.yaml").write_text(text)
    third = catalog.service(moved).write(NOV, ("json",), tmp_path / "c")
    changed = json.loads(third.manifest.read_text())["inputs"]["contracts"]["files"]
    assert changed["customers.yaml"] != manifest["inputs"]["contracts"]["files"]["customers.yaml"]
    assert changed["orders.yml"] == manifest["inputs"]["contracts"]["files"]["orders.yml"]
    customers = third.report["contracts"]["contracts"][0]
    assert [v["kind"] for v in customers["violations"]] == ["classification"]
    # Without a folder, the manifest says so.
    plain = catalog.service().write(NOV, ("json",), tmp_path / "d")
    assert json.loads(plain.manifest.read_text())["inputs"]["contracts"] is None


def test_a_broken_contract_is_reported_not_raised(
    catalog: Catalog, contracts: Path, tmp_path: Path
) -> None:
    (contracts / "broken.yaml").write_text("apiVersion: v3.1.0\nkind: DataContract\n")
    report = catalog.service(contracts).build(NOV)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    section = report["contracts"]
    assert section["configured"] is True and section["contracts"] == []
    assert section["note"] is not None and "broken.yaml" in section["note"]
    assert str(tmp_path) not in section["note"]
    assert sorted(section["files"]) == ["broken.yaml", "customers.yaml", "orders.yml"]
    assert section["pii_datasets_without_contract"] is None
    coverage = {k["id"]: k for k in report["kpis"]}["contract_coverage"]
    assert coverage["value"] is None and "could not be read" in coverage["note"]
    # Owners fall back to the stewards.
    inv = {r["dataset"]: r for r in report["inventory"]["datasets"]}
    assert inv["s3://lake/exports/customers/"]["owner_source"] == "steward"
    assert "could not be read" in to_html(report)
    missing = catalog.service(tmp_path / "nowhere").build(NOV)["contracts"]
    assert missing["note"] == "contracts folder contracts.dir does not exist"


def test_a_decision_made_in_atlan_names_no_owner(catalog: Catalog) -> None:
    # Someone added the pending PHONE_NUMBER tag in Atlan after ann's decision: the last
    # decider is "atlan", not a person, so the owner stays the last steward.
    catalog.clock.at = datetime(2026, 11, 10, tzinfo=UTC)
    recorded = catalog.review.record_atlan_decisions(
        "s3://lake/exports/customers/part-0.parquet", "qn", [], ["PII PHONE_NUMBER"]
    )
    assert recorded == 1
    report = catalog.service().build(NOV)
    customers = {r["dataset"]: r for r in report["inventory"]["datasets"]}[
        "s3://lake/exports/customers/"
    ]
    assert customers["steward"] == "atlan"
    assert (customers["owner"], customers["owner_source"]) == ("ann", "steward")
