"""End to end: ``enricher scan`` on tables named for another table (names their values contradict).

The same customer table (Faker values, typed Parquet) three times: under its own names, under a
sensor table's names with one contradicted column, and under an invoice's names with two. The
real classifiers run in the console script; the report says what a steward sees.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.cli import run_enricher
from tests.support.people import CUSTOMER_NAMES, customer_values
from worker.core.report import validate_report

HONEST = list(CUSTOMER_NAMES)
SENSOR = ["sensor_id", "station", "site", "probe", "weight", "humidity"]
INVOICE = ["invoice_no", "issue_date", "due_date", "net_amount", "vat_rate", "total"]


def _write(path: Path, names: list[str]) -> None:
    columns = customer_values()
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(dict(zip(names, columns, strict=True))), path)


def test_a_scan_does_not_apply_categories_whose_names_the_values_contradict(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    _write(lake / "crm" / "customers" / "part-0.parquet", HONEST)
    _write(lake / "iot" / "sensor_readings" / "part-0.parquet", SENSOR)
    _write(lake / "billing" / "invoices" / "part-0.parquet", INVOICE)
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}"}
    proc = run_enricher(["scan", str(lake), "--report", "r.json"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    validate_report(report)
    objects: dict[str, Any] = {o["uri"].split("/lake/", 1)[1]: o for o in report["objects"]}

    honest = objects["crm/customers/part-0.parquet"]
    assert honest["category"]["label"] == "customer"
    assert "values_agree" not in honest["category"]
    assert honest["category_decision"]["decision"] == "applied"

    # One contradicted name (dates under ``weight``): the sensor names still make it science,
    # but the values alone do not, so a steward confirms it.
    sensor = objects["iot/sensor_readings/part-0.parquet"]
    assert sensor["category"]["label"] == "science"
    assert sensor["category"]["values_agree"] is False
    decision = sensor["category_decision"]
    assert decision["decision"] == "review" and decision["threshold"] is None
    assert decision["reason"].startswith("the values contradict the column name weight")

    # Two contradicted names: none is believed, the category is read from the values.
    invoice = objects["billing/invoices/part-0.parquet"]
    decision = invoice["category_decision"]
    assert decision["decision"] == "review" and decision["threshold"] is None
    assert decision["reason"].startswith(
        "the values contradict column names (issue_date, net_amount)"
    )
    assert "values_agree" not in invoice["category"]  # not asked: no name was believed
    # The PII findings are the values': e-mails under ``issue_date`` are still e-mails.
    entities = {c["name"]: {e["entity"] for e in c["entities"]} for c in invoice["columns"]}
    assert "EMAIL_ADDRESS" in entities["issue_date"]
