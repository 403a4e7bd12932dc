"""``enricher lineage ...`` end to end: real PostgreSQL, a scanned local catalog, declared
YAML, SQL scripts and a Snowflake schema export; impact, show, review items; a 10,000-edge
graph."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from models.review import Role, SuggestionFilter, SuggestionState
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.cli import run_enricher
from tests.support.lineage_graph import generated_edges
from worker.adapters.catalog.database import SqlLocalCatalog, columns, findings, objects
from worker.bootstrap import build_lineage, build_review
from worker.core.settings import load_settings

atlan_server = _atlan.atlan_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lineage"
CUSTOMERS = (("id", "int64"), ("email", "string"), ("first_name", "string"),
             ("last_name", "string"), ("phone", "string"), ("country", "string"),
             ("created_at", "timestamp[us]"))  # fmt: skip


def _scanned_catalog(url: str) -> None:
    """A local catalog as a scan of two partitions of the customers export leaves it."""
    catalog = SqlLocalCatalog(url)
    now = datetime.now(UTC)
    with catalog.engine.begin() as conn:
        for day in ("2025-01-01", "2025-01-02"):
            key = f"exports/customers/dt={day}/part-0.parquet"
            uri = f"s3://lake/{key}"
            conn.execute(insert(objects).values(uri=uri, bucket="lake", key=key,
                                                status="classified", scanned_at=now))  # fmt: skip
            conn.execute(insert(columns), [
                {"object_uri": uri, "name": n, "position": i, "data_type": t}
                for i, (n, t) in enumerate(CUSTOMERS)])  # fmt: skip
            for column, entity in (("email", "EMAIL_ADDRESS"), ("phone", "PHONE_NUMBER"),
                                   ("first_name", "PERSON")):  # fmt: skip
                conn.execute(insert(findings).values(
                    object_uri=uri, column_name=column, entity=entity, classifier="pii",
                    confidence=0.97, prevalence=0.99, evidence={}))  # fmt: skip
    catalog.engine.dispose()


@pytest.fixture
def env(postgres_url: str, tmp_path: Path) -> dict[str, str]:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text((FIXTURES / "infer" / "appdb.sql").read_text()))
    engine.dispose()
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    _scanned_catalog(url)
    return {
        "ENRICH_DATABASE_URL": url,
        "ENRICH_LINEAGE__POSTGRES_URL": postgres_url,
        "ENRICH_LINEAGE__POSTGRES_DATABASE": "appdb",
        "ENRICH_LINEAGE__SNOWFLAKE_SCHEMA_FILE": str(FIXTURES / "infer" / "snowflake_columns.csv"),
    }


def test_load_infer_declared_then_impact_show_and_review(
    env: dict[str, str], tmp_path: Path
) -> None:
    inferred = run_enricher(["lineage", "load", "--infer", "--format", "json"], env, tmp_path)
    assert inferred.returncode == 0, inferred.stderr
    first = json.loads(inferred.stdout)
    assert first["new"] >= 2
    declared = run_enricher(
        ["lineage", "load", "--declared", str(FIXTURES / "declared" / "lineage.yaml")],
        env, tmp_path,
    )  # fmt: skip
    assert declared.returncode == 0, declared.stderr
    # The declaration describes the same customers hops: they are updated, not duplicated.
    again = run_enricher(
        ["lineage", "load", "--declared", str(FIXTURES / "declared" / "lineage.yaml"),
         "--format", "json"], env, tmp_path,
    )  # fmt: skip
    assert json.loads(again.stdout)["new"] == 0

    impact = run_enricher(
        ["lineage", "impact", "postgres:appdb.public.customers.email", "--format", "json"],
        env, tmp_path,
    )  # fmt: skip
    assert impact.returncode == 0, impact.stderr
    result = json.loads(impact.stdout)
    by = {n["dataset"]: n for n in result["downstream"]}
    s3 = by["s3://lake/exports/customers/"]
    assert s3["columns"] == ["email"] and s3["pii"]["email"] == ["EMAIL_ADDRESS"]
    assert s3["origin"] == "declared"
    sf = by["snowflake:ANALYTICS.PUBLIC.CUSTOMERS"]
    assert sf["columns"] == ["EMAIL_SHA"] and "EMAIL_SHA" not in sf["pii"]  # sha2(email)
    assert sf["pii"]["FIRST_NAME"] == ["PERSON"]
    table = run_enricher(["lineage", "impact", "postgres:appdb.public.customers"], env, tmp_path)
    assert "snowflake:ANALYTICS.PUBLIC.CUSTOMERS" in table.stdout and "with PII" in table.stdout

    show = run_enricher(
        ["lineage", "show", "s3://lake/exports/customers/dt=2025-01-02/part-0.parquet",
         "--format", "dot"], env, tmp_path,
    )  # fmt: skip
    assert show.stdout.startswith("digraph lineage {")
    assert "postgres:appdb.public.customers" in show.stdout and " -> " in show.stdout

    # Lineage as evidence: the exported PostgreSQL columns get PII suggestions; FIRST_NAME
    # flows unmasked into Snowflake, which is a contradiction for a steward.
    review = build_review(load_settings(None, database_url=env["ENRICH_DATABASE_URL"]))
    pg = review.store.page(SuggestionFilter(object_uri="postgres:appdb.public.customers"))
    assert {(s.column, s.tag) for s in pg.items} >= {("email", "PII Email"),
                                                     ("first_name", "PII Person Name")}  # fmt: skip
    sf_items = review.store.page(
        SuggestionFilter(object_uri="snowflake:ANALYTICS.PUBLIC.CUSTOMERS")
    ).items
    assert [(s.column, s.evidence["contradiction"]) for s in sf_items] == [("FIRST_NAME", True)]
    review.store.catalog.engine.dispose()


def test_uncertain_inferred_edges_go_to_review_and_decisions_stick(
    env: dict[str, str], tmp_path: Path
) -> None:
    strict = {**env, "ENRICH_LINEAGE__AUTO_APPLY_THRESHOLD": "1.0"}
    assert run_enricher(["lineage", "load", "--infer"], strict, tmp_path).returncode == 0
    settings = load_settings(None, database_url=env["ENRICH_DATABASE_URL"])
    review = build_review(settings)
    items = review.store.page(SuggestionFilter(kind="lineage"), limit=50).items
    assert items and all(s.object_uri.startswith("s3://lake/") for s in items)
    listed = run_enricher(["review", "list", "--kind", "lineage"], strict, tmp_path)
    assert listed.returncode == 0 and "s3://lake/" in listed.stdout, listed.stderr
    target = next(s for s in items if s.tag == "snowflake:ANALYTICS.PUBLIC.CUSTOMERS")
    steward = review.users.add("ann", Role.STEWARD, "steward-pass", actor="test")
    review.reject(steward, [target.id], "the load comes from another export")
    assert review.store.get(target.id).state is SuggestionState.REJECTED
    lineage = build_lineage(settings)
    assert lineage.store.states()[target.evidence["lineage_edge"]] == "rejected"
    # A later inference does not bring it back, as an edge or as a suggestion.
    assert run_enricher(["lineage", "load", "--infer"], strict, tmp_path).returncode == 0
    assert lineage.store.states()[target.evidence["lineage_edge"]] == "rejected"
    assert review.store.count(SuggestionFilter(kind="lineage", tag=target.tag)) == 0
    impact = run_enricher(["lineage", "impact", "s3://lake/exports/customers/", "--format",
                           "json"], strict, tmp_path)  # fmt: skip
    assert json.loads(impact.stdout)["downstream"] == []
    review.store.catalog.engine.dispose()


def test_impact_on_a_10000_edge_graph(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.db'}"
    service = build_lineage(load_settings(None, database_url=url))
    service.store.upsert(generated_edges(10_000), auto_apply_threshold=0.85)
    service.store.catalog.engine.dispose()
    out = run_enricher(["lineage", "impact", "postgres:appdb.s5.t12.email", "--format", "json"],
                       {"ENRICH_DATABASE_URL": url}, tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [(n["dataset"], n["columns"]) for n in result["downstream"]] == [
        ("s3://lake/exports/s5/t12/", ["email"]),
        ("snowflake:RAW.S5.T12", ["EMAIL"]),
        ("snowflake:ANALYTICS.MART.M1", ["EMAIL"]),
    ]
    bad = run_enricher(["lineage", "impact", "mysql:x.y.z"], {"ENRICH_DATABASE_URL": url}, tmp_path)
    assert bad.returncode == 1 and "expected postgres:" in bad.stderr


def test_lineage_write_to_atlan_is_idempotent_and_names_what_is_missing(
    env: dict[str, str], tmp_path: Path, atlan_server: FakeAtlan
) -> None:
    atlan_server.reset()
    s3, pg, sf = "default/s3/1700000000", "default/postgres/1690000000", "default/snowflake/1690"
    atlan_server.add_entity("Connection", s3, {"name": "s3-enricher", "connectorName": "s3"})
    atlan_server.add_entity("S3Bucket", f"{s3}/lake", {"connectionQualifiedName": s3})
    atlan_server.add_entity("Table", f"{pg}/appdb/public/customers")
    atlan_server.add_entity("Table", f"{sf}/ANALYTICS/PUBLIC/CUSTOMERS")
    for col in ("id", "email", "first_name", "country"):
        atlan_server.add_entity("Column", f"{pg}/appdb/public/customers/{col}")
    for col in ("ID", "EMAIL_SHA", "FIRST_NAME", "COUNTRY"):
        atlan_server.add_entity("Column", f"{sf}/ANALYTICS/PUBLIC/CUSTOMERS/{col}")
    full = {
        **env,
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__CONNECTION_QUALIFIED_NAME": s3,
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_LINEAGE__POSTGRES_CONNECTION_QUALIFIED_NAME": pg,
        "ENRICH_LINEAGE__SNOWFLAKE_CONNECTION_QUALIFIED_NAME": sf,
        "ATLAN_BASE_URL": atlan_server.base_url,
        "ATLAN_API_KEY": _atlan.API_KEY,
    }
    declared = str(FIXTURES / "declared" / "lineage.yaml")
    assert run_enricher(["lineage", "load", "--declared", declared], full, tmp_path).returncode == 0
    first = run_enricher(["lineage", "write"], full, tmp_path)
    # The customers chain lands; the Redshift and products hops name what Atlan lacks. The
    # declared products.parquet resolves to its dataset, the folder s3://lake/reference/ (a
    # prefix the writer creates), so what is missing is the Snowflake table.
    assert first.returncode == 3, first.stderr
    assert "2 processes" in first.stdout and "4 column processes" in first.stdout
    assert "skipped redshift:dev.public.orders -> s3://lake/exports/orders/" in first.stderr
    assert "lineage.redshift_connection_qualified_name is not set" in first.stderr
    assert "not in Atlan: default/snowflake/1690/ANALYTICS/PUBLIC/PRODUCTS" in first.stderr
    processes = {p["attributes"]["qualifiedName"] for p in atlan_server.entities("Process")}
    assert all(qn.startswith(f"{s3}/s3e/") for qn in processes) and len(processes) == 2
    before = len(atlan_server.mutating_requests())
    again = run_enricher(["lineage", "write"], full, tmp_path)
    assert "0 processes and 0 column processes written" in again.stdout
    # Only the hop that failed is tried again (and fails again); nothing written is re-sent.
    retried = atlan_server.mutating_requests()[before:]
    assert retried and all(r.status == 404 and "PRODUCTS" in str(r.body) for r in retried)


def test_load_sql_scripts_and_query_history(tmp_path: Path) -> None:
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    out = run_enricher(
        ["lineage", "load", "--sql", str(FIXTURES / "snowflake"), "--sql",
         str(FIXTURES / "postgres"), "--sql", str(FIXTURES / "redshift"), "--history",
         str(FIXTURES / "history" / "snowflake_query_history.csv"), "--strict"],
        env, tmp_path,
    )  # fmt: skip
    # Problem statements are listed with their reason and skipped; --strict makes it exit 3.
    assert out.returncode == 3, out.stderr
    assert "skipped " in out.stderr and ".sql:" in out.stderr
    settings = load_settings(None, database_url=env["ENRICH_DATABASE_URL"])
    edges = build_lineage(settings).store.edges()
    systems = {(e.source.system.value, e.target.system.value) for e in edges}
    assert {("postgres", "s3"), ("s3", "snowflake"), ("redshift", "s3")} <= systems
    assert all(e.origin.value == "sql" and e.sql for e in edges)
    # A second load of the same files changes nothing.
    again = run_enricher(
        ["lineage", "load", "--sql", str(FIXTURES / "snowflake"), "--format", "json"],
        env, tmp_path,
    )  # fmt: skip
    assert json.loads(again.stdout)["new"] == 0


def test_a_file_writing_export_and_a_prefix_loading_copy_form_one_chain(tmp_path: Path) -> None:
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    load = run_enricher(
        ["lineage", "load", "--sql", str(FIXTURES / "postgres"), "--sql",
         str(FIXTURES / "snowflake")], env, tmp_path,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr
    out = run_enricher(
        ["lineage", "impact", "postgres:appdb.app.customers", "--format", "json"], env, tmp_path
    )
    assert out.returncode == 0, out.stderr
    by = {n["dataset"]: n for n in json.loads(out.stdout)["downstream"]}
    # The export wrote raw/appdb/customers/customers.csv; the COPY loads @raw_stage/appdb/
    # customers/: one dataset between them, and the walk goes on into Snowflake.
    s3 = by["s3://acme-lake/raw/appdb/customers/"]
    assert s3["written"] == {
        "source": None,
        "target": "s3://acme-lake/raw/appdb/customers/customers.csv",
    }
    sf = by["snowflake:RAW.LANDING.CUSTOMERS"]
    assert (sf["depth"], sf["columns"]) == (2, ["CUSTOMER_ID", "EMAIL"])
    assert by["snowflake:RAW.LANDING.ORDERS"]["depth"] == 2
    # The exported object, as written, is a start too; so is a partition of its dataset.
    for uri in ("s3://acme-lake/raw/appdb/customers/customers.csv",
                "s3://acme-lake/raw/appdb/customers/dt=2025-01-01/"):  # fmt: skip
        show = run_enricher(["lineage", "show", uri, "--format", "json"], env, tmp_path)
        shown = json.loads(show.stdout)
        assert shown["dataset"]["dataset"] == "s3://acme-lake/raw/appdb/customers/"
        assert [n["dataset"] for n in shown["upstream"]] == ["postgres:appdb.app.customers"]
        assert [n["dataset"] for n in shown["downstream"]] == ["snowflake:RAW.LANDING.CUSTOMERS"]
    again = run_enricher(["lineage", "reresolve"], env, tmp_path)
    assert again.returncode == 0 and "0 stored edges re-keyed" in again.stdout
