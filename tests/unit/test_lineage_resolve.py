"""Lineage joins through datasets: endpoint resolution, merging, re-keying stored edges, and
impact chains across a file-writing export and a prefix-loading COPY."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from models.datasets import DatasetRef, DatasetSummary, GroupingRule
from models.lineage import ColumnMapping, Dataset, LineageEdge, LineageFindings, Origin
from tests.support.fakes import InMemoryDatasetStore, InMemoryLineageStore, InMemoryReviewStore
from worker.adapters.catalog.database import SqlLocalCatalog, suggestions
from worker.adapters.catalog.lineage_store import (
    APPLIED,
    REJECTED,
    SUGGESTED,
    SqlLineageStore,
    read_reason,
    stored_reason,
)
from worker.adapters.catalog.schema import SuggestionRow
from worker.core.lineage.impact import LineageGraph, name_positions, positional_names
from worker.core.lineage.resolve import (
    catalog_lookup,
    lone_file_folder,
    longest_root,
    merge_hops,
    rekey_edges,
    resolve_edges,
    resolve_s3,
)
from worker.core.lineage.sql import parse_sql_text
from worker.core.settings import Settings
from worker.services.lineage.service import LineageService
from worker.services.lineage.source_files import parse_sql_files

FIXTURES = Path(__file__).parents[1] / "fixtures" / "lineage"
PG = Dataset.parse("postgres:appdb.public.users")
SF = Dataset.parse("snowflake:raw.landing.users")
USERS = Dataset.parse("s3://lake/exports/users/")
# What a scan of the lake records: two reference tables as files of one folder, a
# partitioned dataset, and the users export alone in its folder.
CATALOG = ("reference/countries.csv", "reference/currencies.csv", "exports/orders/",
           "exports/users/users.csv")  # fmt: skip
_catalog = catalog_lookup([DatasetRef("lake", root) for root in CATALOG])


def _datasets(*roots: str) -> InMemoryDatasetStore:
    store = InMemoryDatasetStore()
    for root in roots:
        ref = DatasetRef("lake", root)
        rule = GroupingRule.HIVE if ref.is_prefix else GroupingRule.SINGLE
        store.record_grouping(DatasetSummary(ref, rule, "as a scan grouped it"))
    return store


def _m(*pairs: tuple[str, str]) -> tuple[ColumnMapping, ...]:
    return tuple(ColumnMapping(a, b) for a, b in pairs)


# --- the resolver ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "dataset"),
    [
        ("s3://lake/exports/users/users.csv", "s3://lake/exports/users/"),
        ("s3://lake/exports/users/", "s3://lake/exports/users/"),
        ("s3://lake/exports/users/dt=2025-01-01/", "s3://lake/exports/users/"),
        ("s3://lake/exports/users/dt=2025-01-01/part-0.parquet", "s3://lake/exports/users/"),
        ("s3://lake/exports/users/2025/01/02/", "s3://lake/exports/users/"),
        ("s3a://lake/exports/users/users.csv", "s3://lake/exports/users/"),
        ("s3://lake/users.csv", "s3://lake/users.csv"),  # a file at the bucket root: itself
        ("s3://lake", "s3://lake/"),
    ],
)
def test_heuristic_resolves_files_prefixes_and_partitions_to_the_dataset_folder(
    written: str, dataset: str
) -> None:
    assert resolve_s3(written).uri == dataset


def test_the_catalog_comes_first_and_keeps_single_file_datasets_apart() -> None:
    countries = resolve_s3("s3://lake/reference/countries.csv", _catalog)
    currencies = resolve_s3("s3://lake/reference/currencies.csv", _catalog)
    assert (countries.uri, currencies.uri) == (
        "s3://lake/reference/countries.csv",
        "s3://lake/reference/currencies.csv",
    )
    # Without the catalog the heuristic folds both into one folder.
    assert resolve_s3("s3://lake/reference/countries.csv").uri == "s3://lake/reference/"
    # A key the catalog groups into a folder dataset, however deep.
    deep = "s3://lake/exports/orders/region=eu/dt=2025-01-01/x.parquet"
    assert resolve_s3(deep, _catalog).uri == "s3://lake/exports/orders/"
    # Unknown to the catalog: the heuristic.
    assert resolve_s3("s3://lake/other/x/y.csv", _catalog).uri == "s3://lake/other/x/"
    # A file the scan found alone in its folder stands for the folder a COPY loads.
    assert resolve_s3("s3://lake/exports/users/users.csv", _catalog) == USERS
    assert resolve_s3("s3://lake/exports/users/", _catalog) == USERS


def test_a_lone_file_stands_for_its_folder_a_file_beside_others_does_not() -> None:
    lone = DatasetRef("lake", "exports/users/dt=2025-01-01/users.csv")
    assert lone_file_folder(lone, [lone]) == DatasetRef("lake", "exports/users/")
    beside = [lone, DatasetRef("lake", "exports/users/archive/")]
    assert lone_file_folder(lone, beside) == lone
    root_file = DatasetRef("lake", "users.csv")
    assert lone_file_folder(root_file, [root_file]) == root_file
    assert lone_file_folder(DatasetRef("lake", "a/"), []) == DatasetRef("lake", "a/")


def test_a_bucket_root_dataset_does_not_swallow_keys_in_folders() -> None:
    roots = [DatasetRef("lake", "")]
    assert resolve_s3("s3://lake/a/b.csv", lambda b, k: longest_root(roots, b, k)).uri == (
        "s3://lake/a/"
    )
    assert resolve_s3("s3://lake/b.csv", lambda b, k: longest_root(roots, b, k)).uri == (
        "s3://lake/"
    )


def test_resolving_an_edge_keeps_what_was_written_and_merges_the_same_hop() -> None:
    file_edge = LineageEdge(
        PG, Dataset.parse("s3://lake/exports/users/users.csv"), Origin.SQL,
        columns=_m(("id", "id")), location="a.sql:1",
    )  # fmt: skip
    declared = LineageEdge(PG, USERS, Origin.DECLARED, location="lineage.yaml")
    inferred = LineageEdge(PG, USERS, Origin.INFERRED, 0.6, _m(("email", "email")))
    (merged,) = resolve_edges([file_edge, declared, inferred])
    # The declaration wins; it has no column map, so the SQL's is kept (not the guess's).
    assert (merged.source, merged.target, merged.origin) == (PG, USERS, Origin.DECLARED)
    assert merged.columns == _m(("id", "id")) and merged.location == "lineage.yaml"
    (resolved,) = resolve_edges([file_edge])
    assert resolved.target_path == "s3://lake/exports/users/users.csv"
    assert resolved.source_path is None  # a table resolves to itself
    # Resolving again starts from what was written: nothing changes.
    assert resolve_edges([resolved]) == [resolved]


def test_merge_hops_joins_maps_of_the_same_origin() -> None:
    a = LineageEdge(PG, USERS, Origin.SQL, columns=_m(("id", "id")), location="a.sql:1")
    b = LineageEdge(PG, USERS, Origin.SQL, columns=_m(("id", "id"), ("email", "email")))
    merged = merge_hops([a, b])
    assert merged.location == "a.sql:1" and merged.columns == _m(("id", "id"), ("email", "email"))


def test_written_paths_survive_the_reason_column() -> None:
    edge = LineageEdge(PG, USERS, Origin.INFERRED, 0.7, reason="3 matching columns",
                       target_path="s3://lake/exports/users/my users.csv")  # fmt: skip
    text = stored_reason(edge)
    assert read_reason(text) == ("3 matching columns", None, "s3://lake/exports/users/my users.csv")
    assert read_reason(None) == ("", None, None)
    assert read_reason("plain") == ("plain", None, None)


# --- positional columns through a dataset ------------------------------------------------


def test_positional_sources_are_named_after_the_one_writer() -> None:
    writer = LineageEdge(PG, USERS, Origin.SQL, columns=_m(("id", "id"), ("email", "email")))
    hashed = ColumnMapping("$2", "EMAIL_HASH", "sha2($2)", True)
    reader = LineageEdge(USERS, SF, Origin.SQL, columns=(ColumnMapping("$1", "USER_ID"), hashed))
    names = positional_names([writer])
    assert names == ["id", "email"]
    named = name_positions(reader, names)
    assert [(c.source, c.target, c.expression, c.masked) for c in named.columns] == [
        ("id", "USER_ID", "$1", False), ("email", "EMAIL_HASH", "sha2($2)", True),
    ]  # fmt: skip
    # Two writers of different shapes: the order is unknown, nothing is named.
    other = LineageEdge(Dataset.parse("postgres:appdb.public.admins"), USERS, Origin.SQL,
                        columns=_m(("email", "email"), ("id", "id")))  # fmt: skip
    assert positional_names([writer, other]) is None
    # A JSON load's $1 beside named keys is the whole record: left alone.
    mixed = LineageEdge(USERS, SF, Origin.SQL, columns=_m(("$1", "PAYLOAD"), ("id", "ID")))
    assert name_positions(mixed, names) == mixed
    # A position past the written columns: left alone.
    assert (
        name_positions(LineageEdge(USERS, SF, Origin.SQL, columns=_m(("$3", "X"))), names)
        .columns[0]
        .source
        == "$3"
    )


# --- every pair of endpoint forms --------------------------------------------------------

STAGES = {"out_stage": "s3://lake/exports/", "in_stage": "s3://lake/exports"}
_SELECT = "SELECT id, email, name FROM {table}"
WRITERS = {
    "file": (
        "SELECT * FROM aws_s3.query_export_to_s3('" + _SELECT.format(table="app.users") + "', "
        "aws_commons.create_s3_uri('lake', 'exports/users/users.csv', 'eu-west-1'));",
        "postgres:appdb.app.users",
    ),
    "prefix": (
        "UNLOAD ('" + _SELECT.format(table="dev.app.users") + "') "
        "TO 's3://lake/exports/users/' IAM_ROLE default;",
        "redshift:dev.app.users",
    ),
    "stage": (
        "COPY INTO @out_stage/users/ FROM (" + _SELECT.format(table="src.app.users") + ");",
        "snowflake:SRC.APP.USERS",
    ),
    "partition": (
        "SELECT * FROM aws_s3.query_export_to_s3('" + _SELECT.format(table="app.users") + "', "
        "aws_commons.create_s3_uri('lake', 'exports/users/dt=2025-01-01/part-0.csv', "
        "'eu-west-1'));",
        "postgres:appdb.app.users",
    ),
}
_LOAD = (
    "COPY INTO raw.landing.users (USER_ID, EMAIL_HASH, NAME) "
    "FROM (SELECT $1, sha2($2), $3 FROM {src});"
)
READERS = {
    "file": _LOAD.format(src="'s3://lake/exports/users/users.csv'"),
    "prefix": _LOAD.format(src="'s3://lake/exports/users/'"),
    "stage": _LOAD.format(src="@in_stage/users/"),
    "partition": _LOAD.format(src="'s3://lake/exports/users/dt=2025-01-02/'"),
}


def _parsed(sql: str) -> LineageFindings:
    found = parse_sql_text(sql, "x.sql", stages=STAGES, default_database="appdb",
                           default_schema="app")  # fmt: skip
    assert found.problems == [] and len(found.edges) == 1, found
    return found


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_pair_of_endpoint_forms_joins_through_the_dataset(writer: str, reader: str) -> None:
    sql, start = WRITERS[writer]
    store = InMemoryLineageStore()
    service = LineageService(store, InMemoryReviewStore(), Settings())
    found = _parsed(sql)
    found.edges.extend(_parsed(READERS[reader]).edges)
    service.load(found)
    # What the scan found in the dataset's files (column names as the writer wrote them).
    written = {c.source.lower(): c.target for e in found.edges[:1] for c in e.columns}
    store.findings += [("s3://lake/exports/users/dt=2025-01-03/part-9.csv", written["email"],
                        "EMAIL_ADDRESS", 0.99),
                       ("s3://lake/exports/users/dt=2025-01-03/part-9.csv", written["name"],
                        "PERSON", 0.9)]  # fmt: skip
    _, nodes, _ = service.impact(start)
    assert [n.dataset.uri for n in nodes] == [USERS.uri, "snowflake:RAW.LANDING.USERS"]
    sf = nodes[1]
    assert sf.columns == {"USER_ID", "EMAIL_HASH", "NAME"}
    # PII flows through the joined node along the composed map, except through sha2($2).
    assert sf.pii == {"NAME": {"PERSON"}}
    _, by_column, _ = service.impact(f"{start}.email")
    assert [(n.dataset.uri, n.columns) for n in by_column] == [
        (USERS.uri, {written["email"]}), ("snowflake:RAW.LANDING.USERS", {"EMAIL_HASH"}),
    ]  # fmt: skip
    # The walk also starts from any written form of the S3 side.
    for uri in ("s3://lake/exports/users/users.csv", "s3://lake/exports/users/dt=2025-01-09/"):
        _, down, _ = service.impact(uri)
        assert [n.dataset.uri for n in down] == ["snowflake:RAW.LANDING.USERS"]


# --- the repository's fixtures -----------------------------------------------------------


def test_fixture_exports_and_loads_form_one_chain_with_column_maps() -> None:
    found = parse_sql_files(
        [
            *sorted((FIXTURES / "postgres").glob("*.sql")),
            *sorted((FIXTURES / "snowflake").glob("*.sql")),
        ]
    )
    service = LineageService(InMemoryLineageStore(), InMemoryReviewStore(), Settings())
    service.load(found)
    _, nodes, _ = service.impact("postgres:appdb.app.customers")
    assert [(n.dataset.uri, n.depth) for n in nodes] == [
        ("s3://acme-lake/raw/appdb/customers/", 1),
        ("s3://acme-lake/raw/appdb/orders/", 1),
        ("snowflake:RAW.LANDING.CUSTOMERS", 2),
        ("snowflake:RAW.LANDING.ORDERS", 2),
    ]
    by = {n.dataset.uri: n for n in nodes}
    assert by["s3://acme-lake/raw/appdb/customers/"].columns == {
        "customer_id", "email_sha256", "phone", "country", "created_at"}  # fmt: skip
    assert by["snowflake:RAW.LANDING.CUSTOMERS"].columns == {"CUSTOMER_ID", "EMAIL"}
    assert by["snowflake:RAW.LANDING.ORDERS"].columns is None  # that COPY has no column map
    # The export hop keeps the file it wrote; its e-mail column is masked (a SHA-256).
    via = by["s3://acme-lake/raw/appdb/customers/"].via
    assert via is not None
    assert via.target_path == "s3://acme-lake/raw/appdb/customers/customers.csv"
    assert [c.masked for c in via.columns if c.source == "email"] == [True]
    _, email, _ = service.impact("postgres:appdb.app.customers.email")
    assert [(n.dataset.uri, n.columns) for n in email] == [
        ("s3://acme-lake/raw/appdb/customers/", {"email_sha256"}),
        ("snowflake:RAW.LANDING.CUSTOMERS", {"EMAIL"}),
    ]
    # Show from the exported object: its dataset, both sides.
    start, up, down, _ = service.show("s3://acme-lake/raw/appdb/customers/customers.csv")
    assert start.dataset.uri == "s3://acme-lake/raw/appdb/customers/"
    assert [n.dataset.uri for n in up] == ["postgres:appdb.app.customers"]
    assert [n.dataset.uri for n in down] == ["snowflake:RAW.LANDING.CUSTOMERS"]


# --- re-keying stored edges --------------------------------------------------------------


def test_rekey_merges_duplicates_strongest_origin_and_decisions_stand() -> None:
    countries = Dataset.parse("s3://lake/reference/countries.csv")
    sf_countries = Dataset.parse("snowflake:raw.ref.countries")
    people = Dataset.parse("snowflake:raw.landing.people")
    exported = Dataset.parse("s3://lake/exports/users/users.csv")
    rows = [
        # Stored before: the export's file and the load's prefix, two nodes.
        (LineageEdge(PG, exported, Origin.SQL, columns=_m(("id", "id"))), APPLIED),
        (LineageEdge(PG, USERS, Origin.INFERRED, 0.6, _m(("email", "email"))), REJECTED),
        (LineageEdge(USERS, SF, Origin.SQL), APPLIED),  # already a dataset: unchanged
        # Two inferred guesses of the same hop: a steward's rejection stands.
        (LineageEdge(Dataset.parse("s3://lake/exports/users/a.csv"), people, Origin.INFERRED,
                     0.5), SUGGESTED),
        (LineageEdge(Dataset.parse("s3://lake/exports/users/b.csv"), people, Origin.INFERRED,
                     0.5), REJECTED),
        # A single-file dataset in the catalog stays itself.
        (LineageEdge(countries, sf_countries, Origin.SQL), APPLIED),
    ]  # fmt: skip
    changes = rekey_edges(rows, _catalog)
    assert [(c.edge.name, c.state, len(c.replaces)) for c in changes] == [
        (f"{PG.uri} -> {USERS.uri}", APPLIED, 2),  # the SQL applies it over a rejected guess
        (f"{USERS.uri} -> {people.uri}", REJECTED, 2),
    ]
    export = changes[0]
    assert export.edge.origin is Origin.SQL and export.edge.columns == _m(("id", "id"))
    assert export.edge.target_path == exported.uri
    assert export.renamed[rows[0][0].id] == {exported.uri: USERS.uri}
    assert export.renamed[rows[1][0].id] == {}
    # Once re-keyed, nothing changes on a second pass.
    keyed = {c.edge.id: (c.edge, c.state) for c in changes}
    others = [r for r in rows if not any(r[0].id in c.replaces for c in changes)]
    assert rekey_edges([*keyed.values(), *others], _catalog) == []


def test_service_reresolve_rekeys_stored_edges_and_review_items(database_url: str) -> None:
    catalog = SqlLocalCatalog(database_url)
    store = SqlLineageStore(catalog)
    file_edge = LineageEdge(PG, Dataset.parse("s3://lake/exports/users/users.csv"), Origin.SQL,
                            columns=_m(("id", "id")))  # fmt: skip
    guess = LineageEdge(Dataset.parse("s3://lake/reference/countries.csv"), SF, Origin.INFERRED,
                        0.5, _m(("id", "ID")), reason="names")  # fmt: skip
    store.upsert([file_edge, guess, LineageEdge(USERS, SF, Origin.SQL)], 0.85)  # the old form
    now = datetime.now(UTC)
    with catalog.engine.begin() as conn:
        conn.execute(insert(SuggestionRow).values(
            object_uri=file_edge.target.uri, qualified_name="", kind="lineage", tag=PG.uri,
            reason="r", state="pending", first_seen=now, last_seen=now,
            classifier_version="lineage-infer=1",
            evidence={"lineage_edge": file_edge.id, "source": PG.uri,
                      "target": file_edge.target.uri}))  # fmt: skip
    datasets = _datasets(*CATALOG)
    service = LineageService(store, InMemoryReviewStore(), Settings(), datasets)
    assert service.reresolve() == 1
    assert service.reresolve() == 0  # idempotent
    states = store.states()
    merged = LineageEdge(PG, USERS, Origin.SQL)
    assert states == {merged.id: APPLIED, guess.id: SUGGESTED,
                      LineageEdge(USERS, SF, Origin.SQL).id: APPLIED}  # fmt: skip
    (stored,) = store.edges_of([PG.uri], downstream=True)
    assert stored.target == USERS and stored.columns == _m(("id", "id"))
    assert stored.target_path == "s3://lake/exports/users/users.csv"
    with catalog.engine.connect() as conn:
        item = conn.execute(select(suggestions)).one()
    assert item.evidence["lineage_edge"] == merged.id
    assert (item.object_uri, item.evidence["target"]) == (USERS.uri, USERS.uri)
    # The SQL applies that hop: a decision on the old item must not overrule it.
    assert item.state == "superseded"
    # The chain now reaches Snowflake from the table.
    _, nodes, _ = service.impact(PG.uri)
    assert [n.dataset.uri for n in nodes] == [USERS.uri, SF.uri]
    catalog.engine.dispose()


def test_load_resolves_through_the_catalog_datasets(database_url: str) -> None:
    catalog = SqlLocalCatalog(database_url)
    service = LineageService(
        SqlLineageStore(catalog), InMemoryReviewStore(), Settings(), _datasets(*CATALOG)
    )
    edges = [
        LineageEdge(Dataset.parse("postgres:appdb.ref.countries"),
                    Dataset.parse("s3://lake/reference/countries.csv"), Origin.SQL),
        LineageEdge(Dataset.parse("postgres:appdb.ref.currencies"),
                    Dataset.parse("s3://lake/reference/currencies.csv"), Origin.SQL),
        LineageEdge(Dataset.parse("s3://lake/reference/countries.csv"),
                    Dataset.parse("snowflake:raw.ref.countries"), Origin.SQL),
    ]  # fmt: skip
    service.load(LineageFindings(edges=edges))
    _, nodes, _ = service.impact("postgres:appdb.ref.countries")
    assert [n.dataset.uri for n in nodes] == [
        "s3://lake/reference/countries.csv", "snowflake:RAW.REF.COUNTRIES"]  # fmt: skip
    _, nodes, _ = service.impact("postgres:appdb.ref.currencies")
    assert [n.dataset.uri for n in nodes] == ["s3://lake/reference/currencies.csv"]
    catalog.engine.dispose()


def test_the_graph_names_positions_lazily_and_walks_upstream_too() -> None:
    writer = LineageEdge(PG, USERS, Origin.SQL, columns=_m(("id", "id"), ("email", "email")))
    reader = LineageEdge(USERS, SF, Origin.SQL, columns=_m(("$1", "USER_ID"), ("$2", "EMAIL")))
    complete = LineageGraph([writer, reader])

    def loader(uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        index = complete.down if downstream else complete.up
        return [e for u in uris for e in index.get(u, [])]

    graph = LineageGraph.lazy(loader)
    up = graph.upstream(SF, "EMAIL")
    assert [(n.dataset.uri, n.columns) for n in up] == [(USERS.uri, {"email"}), (PG.uri, {"email"})]
