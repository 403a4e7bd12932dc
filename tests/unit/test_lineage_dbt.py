from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.lineage import ColumnMapping, Dataset, LineageEdge, LineageFindings, Origin, System
from worker.core.lineage.dbt import parse_dbt_manifest
from worker.services.lineage.source_files import load_dbt_manifest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dbt"
MANIFEST = FIXTURES / "manifest.json"
STAGES = (FIXTURES / "stages.sql").read_text()
NAME = "target/manifest.json"


def _manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text())


def _parse(data: dict[str, Any], *, stages: bool = True) -> LineageFindings:
    return parse_dbt_manifest(json.dumps(data), NAME, stage_sql=[STAGES] if stages else [])


def _hops(found: LineageFindings) -> set[tuple[str, str]]:
    return {(e.source.uri, e.target.uri) for e in found.edges}


def _edge(found: LineageFindings, source: str, target: str) -> LineageEdge:
    (edge,) = [e for e in found.edges if e.source.uri == source and e.target.uri == target]
    return edge


SF = "snowflake:ANALYTICS."
EXPECTED = {
    # External sources: stages resolved through the on-run-start hook's CREATE STAGE
    # (lake_stage) and the SQL script given beside the manifest (events_stage).
    ("s3://acme-lake/exports/crm/customers/", f"{SF}RAW.CUSTOMERS"),
    ("s3://acme-lake/exports/crm/addresses/", f"{SF}RAW.ADDRESSES"),
    ("s3://acme-lake/exports/orders/", f"{SF}RAW.ORDERS"),
    ("s3://acme-lake/exports/erp/order_items/", f"{SF}RAW.ORDER_ITEMS"),
    ("s3://acme-lake/exports/finance/payments/", f"{SF}RAW.PAYMENTS"),
    ("s3://acme-events/clickstream/web/", f"{SF}RAW.WEB_EVENTS"),
    # Staging.
    (f"{SF}RAW.CUSTOMERS", f"{SF}STAGING.STG_CUSTOMERS"),
    (f"{SF}RAW.ADDRESSES", f"{SF}STAGING.STG_CUSTOMER_ADDRESSES"),
    (f"{SF}RAW.ORDERS", f"{SF}STAGING.STG_ORDERS"),
    (f"{SF}RAW.ORDER_ITEMS", f"{SF}STAGING.STG_ORDER_ITEMS"),
    (f"{SF}RAW.PAYMENTS", f"{SF}STAGING.STG_PAYMENTS"),
    (f"{SF}RAW.WEB_EVENTS", f"{SF}STAGING.STG_WEB_EVENTS"),
    (f"{SF}RAW.PRODUCTS", f"{SF}STAGING.STG_PRODUCTS"),
    (f"{SF}RAW.CUSTOMERS", f"{SF}SNAPSHOTS.SNAP_CUSTOMERS"),
    # Intermediate (int_sessions is ephemeral: passed through).
    (f"{SF}STAGING.STG_ORDERS", f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED"),
    (f"{SF}STAGING.STG_PAYMENTS", f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED"),
    (f"{SF}STAGING.STG_ORDER_ITEMS", f"{SF}INTERMEDIATE.INT_ORDER_ITEMS_PRICED"),
    (f"{SF}STAGING.STG_PRODUCTS", f"{SF}INTERMEDIATE.INT_ORDER_ITEMS_PRICED"),
    (f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED", f"{SF}INTERMEDIATE.INT_CUSTOMER_ORDERS"),
    (f"{SF}STAGING.STG_PAYMENTS", f"{SF}INTERMEDIATE.INT_PAYMENTS_PIVOTED"),
    (f"{SF}STAGING.STG_WEB_EVENTS", f"{SF}INTERMEDIATE.INT_CUSTOMER_SESSIONS"),
    (f"{SF}STAGING.STG_CUSTOMERS", f"{SF}INTERMEDIATE.INT_CUSTOMER_SESSIONS"),
    # Marts.
    (f"{SF}STAGING.STG_CUSTOMERS", f"{SF}MARTS.DIM_CUSTOMERS"),
    (f"{SF}STAGING.STG_CUSTOMER_ADDRESSES", f"{SF}MARTS.DIM_CUSTOMERS"),
    (f"{SF}INTERMEDIATE.INT_CUSTOMER_ORDERS", f"{SF}MARTS.DIM_CUSTOMERS"),
    (f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED", f"{SF}MARTS.FCT_ORDERS"),
    (f"{SF}INTERMEDIATE.INT_PAYMENTS_PIVOTED", f"{SF}MARTS.FCT_ORDERS"),
    (f"{SF}INTERMEDIATE.INT_ORDER_ITEMS_PRICED", f"{SF}MARTS.FCT_ORDER_ITEMS"),
    (f"{SF}STAGING.STG_PRODUCTS", f"{SF}MARTS.DIM_PRODUCTS"),
    (f"{SF}INTERMEDIATE.INT_CUSTOMER_SESSIONS", f"{SF}MARTS.FCT_SESSIONS"),
    (f"{SF}MARTS.DIM_CUSTOMERS", f"{SF}MARTS.MART_CUSTOMER_LTV"),
    (f"{SF}MARTS.FCT_ORDERS", f"{SF}MARTS.MART_DAILY_REVENUE"),
    (f"{SF}MARTS.DIM_CUSTOMERS", f"{SF}MARTS.MART_MARKETING_CONTACTS"),
    (f"{SF}MARTS.FCT_ORDERS", f"{SF}MARTS.MART_COUNTRY_SALES"),
    (f"{SF}MARTS.DIM_CUSTOMERS", f"{SF}MARTS.MART_COUNTRY_SALES"),
    (f"{SF}SEEDS.COUNTRY_CODES", f"{SF}MARTS.MART_COUNTRY_SALES"),
    (f"{SF}MARTS.FCT_ORDER_ITEMS", f"{SF}MARTS.MART_PRODUCT_PERFORMANCE"),
    (f"{SF}MARTS.DIM_PRODUCTS", f"{SF}MARTS.MART_PRODUCT_PERFORMANCE"),
}


def test_fixture_is_a_realistic_project() -> None:
    data = _manifest()
    kinds = [n["resource_type"] for n in data["nodes"].values()]
    assert kinds.count("model") >= 20
    external = [s for s in data["sources"].values() if s["external"]]
    assert len(external) >= 5


def test_manifest_gives_exactly_the_expected_hops() -> None:
    found = load_dbt_manifest(MANIFEST, [FIXTURES / "stages.sql"])

    assert found.problems == []
    assert len(found.edges) == len(EXPECTED)  # no hop twice
    assert _hops(found) == EXPECTED
    assert all(e.origin is Origin.SQL and e.confidence == 1.0 for e in found.edges)
    # Nothing of the ephemeral model, the test, the hook or the analysis becomes a node.
    names = {d.uri for e in found.edges for d in (e.source, e.target)}
    assert not any("INT_SESSIONS" in n or "NOT_NULL" in n or "ON-RUN" in n for n in names)


def test_model_hops_carry_the_compiled_sql_and_the_unique_id() -> None:
    data = _manifest()
    found = _parse(data)
    node = data["nodes"]["model.acme_lake.fct_orders"]
    edge = _edge(found, f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED", f"{SF}MARTS.FCT_ORDERS")
    assert edge.sql == node["compiled_code"]
    assert edge.location == f"{NAME}#model.acme_lake.fct_orders"
    source = _edge(found, "s3://acme-lake/exports/orders/", f"{SF}RAW.ORDERS")
    assert source.location == f"{NAME}#source.acme_lake.lake.orders" and source.sql is None


def test_column_maps_with_hashing_marked_masked() -> None:
    found = _parse(_manifest())

    stg = _edge(found, f"{SF}RAW.CUSTOMERS", f"{SF}STAGING.STG_CUSTOMERS")
    assert stg.columns == (
        ColumnMapping("ID", "CUSTOMER_ID"),
        ColumnMapping("EMAIL", "EMAIL_HASH", "sha2(email, 256)", masked=True),
        ColumnMapping("FIRST_NAME", "FIRST_NAME"),
        ColumnMapping("LAST_NAME", "LAST_NAME"),
        ColumnMapping("PHONE", "PHONE_HASH", "sha2(phone, 256)", masked=True),
        ColumnMapping("COUNTRY", "COUNTRY_CODE", "upper(country)"),
        ColumnMapping("CREATED_AT", "CREATED_AT"),
    )
    payments = _edge(found, f"{SF}RAW.PAYMENTS", f"{SF}STAGING.STG_PAYMENTS")
    by_target = {c.target: c for c in payments.columns}
    assert by_target["CARD_FINGERPRINT"].masked and by_target["CARD_FINGERPRINT"].source == (
        "CARD_NUMBER"
    )
    assert not by_target["PAYMENT_METHOD"].masked  # lower() is not masking
    # A join: each column maps from the table its alias names.
    dim = f"{SF}MARTS.DIM_CUSTOMERS"
    assert _edge(found, f"{SF}STAGING.STG_CUSTOMER_ADDRESSES", dim).columns == (
        ColumnMapping("CITY", "CITY"),
    )
    # A copy of an already hashed column is not a masking hop; hashing again is.
    contacts = _edge(found, dim, f"{SF}MARTS.MART_MARKETING_CONTACTS")
    assert {c.target: c.masked for c in contacts.columns} == {
        "CUSTOMER_ID": False,
        "EMAIL_HASH": False,
        "FIRST_NAME_HASH": True,
        "COUNTRY_CODE": False,
    }
    # The external source's declared columns, by name, folded as Snowflake folds.
    source = _edge(found, "s3://acme-lake/exports/crm/customers/", f"{SF}RAW.CUSTOMERS")
    assert [(c.source, c.target) for c in source.columns][:2] == [("id", "ID"), ("email", "EMAIL")]


def test_ctes_and_star_give_table_level_hops_only() -> None:
    found = _parse(_manifest())
    assert _edge(found, f"{SF}RAW.PRODUCTS", f"{SF}STAGING.STG_PRODUCTS").columns == ()
    assert _edge(found, f"{SF}RAW.CUSTOMERS", f"{SF}SNAPSHOTS.SNAP_CUSTOMERS").columns == ()
    sessions = f"{SF}INTERMEDIATE.INT_CUSTOMER_SESSIONS"
    assert _edge(found, f"{SF}STAGING.STG_WEB_EVENTS", sessions).columns == ()


def test_unknown_stage_is_a_problem_and_the_rest_still_loads() -> None:
    found = _parse(_manifest(), stages=False)

    assert ("s3://acme-events/clickstream/web/", f"{SF}RAW.WEB_EVENTS") not in _hops(found)
    assert _hops(found) == EXPECTED - {("s3://acme-events/clickstream/web/", f"{SF}RAW.WEB_EVENTS")}
    (problem,) = found.problems
    assert problem.location == f"{NAME}#source.acme_lake.lake.web_events"
    assert "events_stage" in problem.reason and "not defined" in problem.reason


def test_non_s3_and_jinja_locations_are_problems() -> None:
    data = _manifest()
    data["sources"]["source.acme_lake.lake.orders"]["external"]["location"] = "gcs://b/orders/"
    data["sources"]["source.acme_lake.lake.payments"]["external"]["location"] = (
        "{{ var('stage') }}/payments/"
    )
    found = _parse(data)
    reasons = {p.location.rsplit("#", 1)[1]: p.reason for p in found.problems}
    assert "not an S3 location" in reasons["source.acme_lake.lake.orders"]
    assert "Jinja" in reasons["source.acme_lake.lake.payments"]
    assert not any(e.target.uri == f"{SF}RAW.ORDERS" for e in found.edges)
    assert (f"{SF}RAW.ORDERS", f"{SF}STAGING.STG_ORDERS") in _hops(found)


def test_unparseable_compiled_sql_is_a_problem_hops_stay_without_columns() -> None:
    data = _manifest()
    data["nodes"]["model.acme_lake.fct_orders"]["compiled_code"] = "select ((( from where"
    found = _parse(data)

    (problem,) = found.problems
    assert problem.location == f"{NAME}#model.acme_lake.fct_orders"
    assert problem.reason.startswith("compiled SQL not parsed") and "sqlglot" in problem.reason
    assert problem.statement == "select ((( from where"
    assert _hops(found) == EXPECTED
    assert (
        _edge(found, f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED", f"{SF}MARTS.FCT_ORDERS").columns == ()
    )


def test_uncompiled_models_give_one_summary_problem() -> None:
    data = _manifest()
    for node in data["nodes"].values():
        if node["resource_type"] == "model":
            node["compiled_code"] = None
            node["compiled"] = False
    found = _parse(data)
    assert _hops(found) == EXPECTED
    assert all(not e.columns for e in found.edges if e.source.is_table)
    models = [n for n in data["nodes"].values() if n["resource_type"] == "model"]
    built = [n for n in models if n["config"]["materialized"] != "ephemeral"]
    (problem,) = found.problems
    assert problem.reason.startswith(f"{len(built)} models have no compiled SQL")


def test_missing_dependency_is_a_problem() -> None:
    data = _manifest()
    node = data["nodes"]["model.acme_lake.dim_products"]
    node["depends_on"]["nodes"].append("model.acme_lake.disabled_model")
    found = _parse(data)
    (problem,) = found.problems
    assert problem.location == f"{NAME}#model.acme_lake.dim_products"
    assert "model.acme_lake.disabled_model" in problem.reason
    assert (f"{SF}STAGING.STG_PRODUCTS", f"{SF}MARTS.DIM_PRODUCTS") in _hops(found)


@pytest.mark.parametrize("adapter", ["bigquery", None])
def test_unknown_adapter_is_one_problem_and_no_edges(adapter: str | None) -> None:
    data = _manifest()
    data["metadata"]["adapter_type"] = adapter
    found = _parse(data)
    assert found.edges == []
    (problem,) = found.problems
    assert problem.location == NAME and "not supported" in problem.reason


@pytest.mark.parametrize(("adapter", "system"), [("postgres", System.POSTGRES),
                                                 ("redshift", System.REDSHIFT)])  # fmt: skip
def test_postgres_and_redshift_adapters_map_to_their_systems(adapter: str, system: System) -> None:
    data = _manifest()
    data["metadata"]["adapter_type"] = adapter
    node = data["nodes"]["model.acme_lake.stg_orders"]
    node["compiled_code"] = (
        'select id as order_id, md5(customer_email) as email_md5\nfrom "analytics"."raw"."orders"'
    )
    found = _parse(data)
    edge = _edge(
        found, f"{adapter}:analytics.raw.orders", f"{adapter}:analytics.staging.stg_orders"
    )
    assert edge.target == Dataset.table(system, "ANALYTICS", "STAGING", "STG_ORDERS")
    assert edge.columns == (
        ColumnMapping("id", "order_id"),
        ColumnMapping("customer_email", "email_md5", "md5(customer_email)", masked=True),
    )
    assert ("s3://acme-lake/exports/orders/", f"{adapter}:analytics.raw.orders") in _hops(found)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "invalid JSON at line 1"),
        ("[1, 2]", "not a dbt manifest"),
        ('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"}}',
         "not a dbt manifest"),
        ('{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v11.json"}}',
         "older than v12"),
    ],
)  # fmt: skip
def test_what_is_not_a_v12_manifest_is_one_problem(text: str, reason: str) -> None:
    found = parse_dbt_manifest(text, NAME)
    assert found.edges == []
    (problem,) = found.problems
    assert reason in problem.reason


def test_validation_errors_name_fields_not_values() -> None:
    data = _manifest()
    source = data["sources"]["source.acme_lake.lake.customers"]
    del source["identifier"]
    source["loader"] = ["secret-value-123"]
    found = _parse(data)
    assert found.edges == []
    (problem,) = found.problems
    assert problem.reason.startswith("not a valid dbt manifest (schema v12):")
    assert "identifier" in problem.reason and "loader" in problem.reason
    assert "secret-value-123" not in problem.reason + problem.statement


def test_ephemeral_chain_is_passed_through_and_the_input_is_not_changed() -> None:
    data = _manifest()
    before = copy.deepcopy(data)
    # A second ephemeral model between int_sessions and its reader.
    nodes = data["nodes"]
    extra = copy.deepcopy(nodes["model.acme_lake.int_sessions"])
    extra["unique_id"] = extra["name"] = extra["alias"] = "int_sessions_2"
    extra["unique_id"] = "model.acme_lake.int_sessions_2"
    extra["depends_on"]["nodes"] = ["model.acme_lake.int_sessions"]
    nodes[extra["unique_id"]] = extra
    reader = nodes["model.acme_lake.int_customer_sessions"]
    reader["depends_on"]["nodes"] = ["model.acme_lake.int_sessions_2"]
    found = _parse(data)
    sessions = f"{SF}INTERMEDIATE.INT_CUSTOMER_SESSIONS"
    assert {e.source.uri for e in found.edges if e.target.uri == sessions} == {
        f"{SF}STAGING.STG_WEB_EVENTS"
    }
    assert _manifest() == before


def test_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    found = load_dbt_manifest(tmp_path / "missing.json")
    assert found.edges == []
    (problem,) = found.problems
    assert problem.location == str(tmp_path / "missing.json")


def test_the_parser_is_imported_only_when_a_manifest_loads() -> None:
    code = (
        "import sys, worker.cli, worker.cli.lineage, worker.core.lineage.dbt, "
        "worker.services.lineage.source_files; "
        "print('dbt_artifacts_parser' in ' '.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_relation_without_database_is_one_problem_and_its_readers_keep_the_rest() -> None:
    data = _manifest()
    data["nodes"]["model.acme_lake.stg_payments"]["database"] = None
    found = _parse(data)
    (problem,) = found.problems
    assert problem.location == f"{NAME}#model.acme_lake.stg_payments"
    assert "no database" in problem.reason
    assert not any("STG_PAYMENTS" in d.uri for e in found.edges for d in (e.source, e.target))
    enriched = f"{SF}INTERMEDIATE.INT_ORDERS_ENRICHED"
    assert {e.source.uri for e in found.edges if e.target.uri == enriched} == {
        f"{SF}STAGING.STG_ORDERS"
    }
