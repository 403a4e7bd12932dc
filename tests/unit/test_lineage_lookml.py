"""LookML → lineage: views, derived tables, explores with joins, dashboards; Looker nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.lineage import Dataset, InvalidDataset, LineageEdge, Origin, System
from worker.core.lineage.impact import ImpactNode, LineageGraph, impact_summary
from worker.core.lineage.lookml import neutralise_liquid, parse_lookml_project
from worker.services.lineage.lookml_files import load_lookml_project

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "lookml"


def _pairs(edges: list[LineageEdge]) -> set[tuple[str, str]]:
    return {(e.source.uri, e.target.uri) for e in edges}


def test_looker_dataset_parses_prints_back_and_is_neither_table_nor_lake() -> None:
    d = Dataset.parse("looker:dashboard/thelook::sales_pulse")
    assert d == Dataset.looker("dashboard", "thelook", "sales_pulse")
    assert d.system is System.LOOKER and d.uri == "looker:dashboard/thelook::sales_pulse"
    assert Dataset.parse(d.uri) == d and d.parts == ("dashboard", "thelook", "sales_pulse")
    assert not d.is_table and not d.is_lake and not d.is_prefix and d.is_looker
    assert not d.contains("s3://lake/x.csv")
    assert Dataset.parse("s3://lake/a/").is_lake and not Dataset.parse("s3://lake/a/").is_looker
    titled = Dataset.parse("looker:dashboard/Shared::Sales Pulse")  # Atlan: dashboard titles
    assert titled.parts == ("dashboard", "Shared", "Sales Pulse") and titled.uri.endswith(" Pulse")


@pytest.mark.parametrize(
    "text",
    ["looker:tile/m::x", "looker:dashboard/m", "looker:dashboard/::x", "looker:explore/m::",
     "looker:explore/a b::c", "looker:explore/a/b::c"],
)  # fmt: skip
def test_malformed_looker_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidDataset, match="looker:"):
        Dataset.parse(text)


def test_fixture_project_gives_table_to_explore_to_dashboard_edges() -> None:
    found = load_lookml_project(PROJECT)
    assert found.problems == []
    sf = "snowflake:ANALYTICS.{}"
    ex, db = "looker:explore/thelook::{}", "looker:dashboard/thelook::{}"
    assert _pairs(found.edges) == {
        # explore customers: the customers view and the derived customer_ltv (which reads
        # ORDER_ITEMS itself and the customers view through ${customers.SQL_TABLE_NAME})
        (sf.format("PUBLIC.CUSTOMERS"), ex.format("customers")),
        (sf.format("PUBLIC.ORDER_ITEMS"), ex.format("customers")),
        # explore orders: from order_items, joins customers and products (join "product")
        (sf.format("PUBLIC.ORDER_ITEMS"), ex.format("orders")),
        (sf.format("PUBLIC.CUSTOMERS"), ex.format("orders")),
        (sf.format("PUBLIC.PRODUCTS"), ex.format("orders")),
        (sf.format("PUBLIC.PRODUCTS"), ex.format("products")),
        (sf.format("MARTS.PRODUCT_SALES"), ex.format("products")),
        (ex.format("customers"), db.format("customer_overview")),
        (ex.format("orders"), db.format("sales_pulse")),
        (ex.format("products"), db.format("sales_pulse")),  # a merged query
        (ex.format("products"), db.format("product_catalog")),
    }
    assert all(e.origin.value == "sql" and e.confidence == 1.0 for e in found.edges)
    ltv = next(e for e in found.edges if e.reason == "explore customers uses view customer_ltv")
    assert ltv.location == "views/customer_ltv.view.lkml#view:customer_ltv"


def test_short_names_take_the_defaults_and_problems_are_reported() -> None:
    files = [
        ("m.model.lkml", "explore: a { join: b {} join: missing {} }"),
        ("a.view.lkml", "view: a { sql_table_name: public.orders ;; }"),
        ("b.view.lkml", "view: b { derived_table: { sql: SELECT 1 AS x ;; } }"),
        ("c.view.lkml", "view: c { sql_table_name: @{schema}.t ;; }"),
        ("bad.view.lkml", "view: { sql_table_name: "),
        ("d.dashboard.lookml", "- dashboard: d\n  elements:\n  - name: e\n    explore: a\n"),
    ]
    found = parse_lookml_project(files, database="analytics")
    # d names no model and no model includes it: no dashboard node, a problem instead.
    assert _pairs(found.edges) == {("snowflake:ANALYTICS.PUBLIC.ORDERS", "looker:explore/m::a")}
    reasons = " | ".join(f"{p.location}: {p.reason}" for p in found.problems)
    assert "derived SQL reads no table" in reasons
    assert "substitution" in reasons
    assert "not LookML" in reasons
    assert "view missing, not defined" in reasons
    assert "d.dashboard.lookml#dashboard:d: no model includes the dashboard" in reasons


def test_dashboard_model_comes_from_the_including_model_else_its_elements() -> None:
    files = [
        ("shop.model.lkml", 'include: "/dash/*.dashboard.lookml"\nexplore: t {}'),
        ("t.view.lkml", "view: t { sql_table_name: DB.S.T ;; }"),
        ("dash/x.dashboard.lookml", "- dashboard: x\n  elements:\n  - explore: t\n"),
        ("y.dashboard.lookml", "- dashboard: y\n  elements:\n  - {model: other, explore: t}\n"),
        ("z.dashboard.lookml", "- dashboard: z\n  elements:\n  - {type: text}\n"),
    ]
    found = parse_lookml_project(files)
    assert ("looker:explore/shop::t", "looker:dashboard/shop::x") in _pairs(found.edges)
    assert ("looker:explore/other::t", "looker:dashboard/other::y") in _pairs(found.edges)
    reasons = [p.reason for p in found.problems]
    assert "no model includes the dashboard" in reasons  # z: no element names a model
    assert any("not defined in the project" in r for r in reasons)  # other::t


def test_liquid_and_substitutions_are_neutralised() -> None:
    sql = (
        "SELECT {{ _user_attributes['x'] }} FROM ${other.SQL_TABLE_NAME} "
        "WHERE {% condition f %} c {% endcondition %} {% if a %}AND 1=1{% endif %} AND ${TABLE}.x"
    )
    out = neutralise_liquid(sql)
    assert "{" not in out and "s3e_lookml_view__other" in out and "1=1" in out


def test_impact_summary_counts_tables_explores_and_dashboards() -> None:
    s3 = Dataset.parse("s3://lake/exports/customers/")
    edges = [
        LineageEdge(s3, Dataset.parse("snowflake:A.B.C"), origin=Origin.DECLARED),
        *[
            LineageEdge(Dataset.parse("snowflake:A.B.C"), Dataset.looker("explore", "m", n),
                        origin=Origin.SQL)
            for n in ("e1", "e2")
        ],
        *[
            LineageEdge(Dataset.looker("explore", "m", "e1"), Dataset.looker("dashboard", "m", d),
                        origin=Origin.SQL)
            for d in ("d1", "d2", "d3")
        ],
    ]  # fmt: skip
    nodes = LineageGraph(edges).downstream(s3)
    assert impact_summary(s3, nodes) == (
        "s3://lake/exports/customers/ feeds 1 Snowflake table, 2 Looker explores and 3 dashboards"
    )
    assert impact_summary(s3, []) == "s3://lake/exports/customers/ feeds nothing known"
    one: list[ImpactNode] = nodes[:1]
    assert impact_summary(s3, one).endswith("feeds 1 Snowflake table")
