"""``enricher lineage load --dbt target/manifest.json`` end to end, then impact from S3 to marts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_enricher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dbt"
MANIFEST = str(FIXTURES / "manifest.json")
STAGES = str(FIXTURES / "stages.sql")
SF = "snowflake:ANALYTICS."


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}"}


def _json(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, object]:
    result = run_enricher([*args, "--format", "json"], env, cwd)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_load_dbt_then_impact_from_s3_reaches_the_marts(
    env: dict[str, str], tmp_path: Path
) -> None:
    loaded = _json(["lineage", "load", "--dbt", MANIFEST, "--sql", STAGES], env, tmp_path)
    assert loaded["problems"] == []
    assert loaded["edges"] == loaded["new"] == 38
    again = _json(["lineage", "load", "--dbt", MANIFEST, "--sql", STAGES], env, tmp_path)
    assert again["new"] == 0 and again["unchanged"] == 38

    # An object in a partition of the orders export: the walk starts at its dataset.
    impact = _json(
        ["lineage", "impact", "s3://acme-lake/exports/orders/dt=2026-11-30/part-0.parquet"],
        env, tmp_path,
    )  # fmt: skip
    assert impact["start"]["dataset"] == "s3://acme-lake/exports/orders/"  # type: ignore[index]
    reached = {n["dataset"]: n for n in impact["downstream"]}  # type: ignore[attr-defined]
    assert {
        f"{SF}RAW.ORDERS",
        f"{SF}STAGING.STG_ORDERS",
        f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED",
        f"{SF}MARTS.FCT_ORDERS",
        f"{SF}MARTS.DIM_CUSTOMERS",
        f"{SF}MARTS.MART_DAILY_REVENUE",
        f"{SF}MARTS.MART_COUNTRY_SALES",
        f"{SF}MARTS.MART_CUSTOMER_LTV",
    } <= set(reached)
    assert f"{SF}MARTS.DIM_PRODUCTS" not in reached  # another branch of the project
    assert {n["origin"] for n in reached.values()} == {"sql"}

    # Column by column: the e-mail address is hashed at staging and stays hashed downstream.
    email = _json(["lineage", "impact", f"{SF}RAW.CUSTOMERS.EMAIL"], env, tmp_path)
    columns = {n["dataset"]: n["columns"] for n in email["downstream"]}  # type: ignore[attr-defined]
    assert columns[f"{SF}STAGING.STG_CUSTOMERS"] == ["EMAIL_HASH"]
    assert columns[f"{SF}MARTS.MART_MARKETING_CONTACTS"] == ["EMAIL_HASH"]
    assert f"{SF}MARTS.FCT_ORDERS" not in columns

    table = run_enricher(["lineage", "impact", "s3://acme-events/clickstream/web/"], env, tmp_path)
    assert table.returncode == 0, table.stderr
    assert f"{SF}MARTS.FCT_SESSIONS" in table.stdout


def test_unresolved_stage_is_listed_and_strict_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    result = run_enricher(["lineage", "load", "--dbt", MANIFEST, "--strict"], env, tmp_path)
    assert result.returncode == 3
    assert "source.acme_lake.lake.web_events" in result.stderr
    assert "37 edges" in result.stdout
