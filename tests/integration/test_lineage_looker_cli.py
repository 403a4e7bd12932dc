"""``enricher lineage load --lookml`` then ``lineage impact``: which dashboards use this S3
dataset (declared S3 → Snowflake hops, a LookML project for Snowflake → Looker)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_enricher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_which_dashboards_use_this_s3_dataset(tmp_path: Path) -> None:
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}"}
    declared = FIXTURES / "lineage" / "declared" / "lineage.yaml"
    assert (
        run_enricher(["lineage", "load", "--declared", str(declared)], env, tmp_path).returncode
        == 0
    )
    load = run_enricher(
        ["lineage", "load", "--lookml", str(FIXTURES / "lookml"), "--format", "json", "--strict"],
        env, tmp_path,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr
    loaded = json.loads(load.stdout)
    assert loaded["new"] == 11 and loaded["problems"] == []

    impact = run_enricher(
        ["lineage", "impact", "s3://lake/exports/customers/dt=2025-01-01/part-0.parquet",
         "--format", "json"], env, tmp_path,
    )  # fmt: skip
    assert impact.returncode == 0, impact.stderr
    result = json.loads(impact.stdout)
    reached = {n["dataset"] for n in result["downstream"]}
    dashboards = {d for d in reached if d.startswith("looker:dashboard/")}
    # customers feeds CUSTOMERS, which the customers and orders explores join; the product
    # catalogue reads only products.
    assert dashboards == {
        "looker:dashboard/thelook::customer_overview",
        "looker:dashboard/thelook::sales_pulse",
    }
    assert result["reached"] == {"snowflake": 1, "looker:explore": 2, "looker:dashboard": 2}

    products = run_enricher(
        ["lineage", "impact", "s3://lake/reference/products.parquet"], env, tmp_path
    )
    assert products.returncode == 0, products.stderr
    # The lone file resolves to its folder's dataset, which the summary names.
    assert (
        "s3://lake/reference/ feeds 1 Snowflake table, 2 Looker explores and 2 dashboards"
        in products.stdout
    )
    assert "looker:dashboard/thelook::product_catalog" in products.stdout

    # A dashboard is a node too: its upstream reaches back to the lake.
    show = run_enricher(
        ["lineage", "show", "looker:dashboard/thelook::customer_overview", "--format", "json"],
        env, tmp_path,
    )  # fmt: skip
    assert show.returncode == 0, show.stderr
    upstream = {n["dataset"] for n in json.loads(show.stdout)["upstream"]}
    assert {"s3://lake/exports/customers/", "postgres:appdb.public.customers"} <= upstream
