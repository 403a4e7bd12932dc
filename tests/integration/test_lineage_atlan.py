"""The lineage writer through real pyatlan against the fake Atlan server: state after each run.

Scenarios: PostgreSQL → S3 prefix (partitioned) → Snowflake with composed column lineage,
an unchanged re-run, a changed SQL statement, a missing Snowflake table, a single-object
dataset, an unconfigured connection and Atlan being down.
"""

from __future__ import annotations

from typing import Any

import pytest

from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin, System
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan, RecordedRequest
from worker.adapters.atlan.lineage import AtlanLineageWriter, missing_qualified_names
from worker.core.errors import CatalogRejected, CatalogUnavailable
from worker.core.settings import AtlanSettings, LineageSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client

S3 = "default/s3/1700000000"
PG = "default/postgres/1690000000"
SF = "default/snowflake/1690000001"
ATLAN = AtlanSettings(enabled=True, connection_qualified_name=S3)
LINEAGE = LineageSettings(
    postgres_connection_qualified_name=PG, snowflake_connection_qualified_name=SF, batch_size=20
)

PG_CUSTOMERS = Dataset.table(System.POSTGRES, "appdb", "public", "customers")
PG_ORDERS = Dataset.table(System.POSTGRES, "appdb", "public", "orders")
SF_CUSTOMERS = Dataset.table(System.SNOWFLAKE, "analytics", "public", "customers")
SF_ORDERS = Dataset.table(System.SNOWFLAKE, "analytics", "public", "orders")
S3_CUSTOMERS = Dataset.s3("lake", "exports/customers/")
S3_ORDERS = Dataset.s3("lake", "exports/orders/")

PG_CUSTOMERS_QN = f"{PG}/appdb/public/customers"
SF_CUSTOMERS_QN = f"{SF}/ANALYTICS/PUBLIC/CUSTOMERS"
SF_ORDERS_QN = f"{SF}/ANALYTICS/PUBLIC/ORDERS"
PREFIX_QN = f"{S3}/arn:aws:s3:::lake/exports/customers"

UNLOAD = (
    "COPY (SELECT id, sha2(email) AS email_hash FROM customers) TO 's3://lake/exports/customers/'"
)
LOAD = "COPY INTO analytics.public.customers FROM 's3://lake/exports/customers/'"


def _export(source: Dataset = PG_CUSTOMERS, target: Dataset = S3_CUSTOMERS) -> LineageEdge:
    return LineageEdge(
        source,
        target,
        Origin.SQL,
        columns=(
            ColumnMapping("id", "id"),
            ColumnMapping("email", "email_hash", "sha2(email)", masked=True),
        ),
        sql=UNLOAD,
    )


def _load(
    source: Dataset = S3_CUSTOMERS, target: Dataset = SF_CUSTOMERS, sql: str | None = LOAD
) -> LineageEdge:
    return LineageEdge(
        source,
        target,
        Origin.SQL,
        columns=(ColumnMapping("id", "id"), ColumnMapping("email_hash", "email")),
        sql=sql,
    )


def _seed_table(server: FakeAtlan, qn: str, columns: list[str]) -> None:
    server.add_entity("Table", qn, {"connectionQualifiedName": qn.rsplit("/", 3)[0]})
    for col in columns:
        server.add_entity("Column", f"{qn}/{col}", {"tableQualifiedName": qn})


@pytest.fixture
def seeded(atlan_server: FakeAtlan, atlan_client: Any) -> FakeAtlan:
    """Crawled-looking tables and columns, the S3 connection and bucket."""
    atlan_server.add_entity("Connection", S3, {"name": "s3-enricher", "connectorName": "s3"})
    atlan_server.add_entity("S3Bucket", f"{S3}/arn:aws:s3:::lake", {"connectionQualifiedName": S3})
    _seed_table(atlan_server, PG_CUSTOMERS_QN, ["id", "email"])
    _seed_table(atlan_server, f"{PG}/appdb/public/orders", ["id", "total"])
    _seed_table(atlan_server, SF_CUSTOMERS_QN, ["ID", "EMAIL"])
    return atlan_server


@pytest.fixture
def writer(atlan_client: Any, seeded: FakeAtlan) -> AtlanLineageWriter:
    return AtlanLineageWriter(ATLAN, LINEAGE, lambda: S3, client=atlan_client)


def _refs(entity: dict[str, Any], name: str) -> list[tuple[str, str]]:
    value = entity["attributes"][name]
    refs = value if isinstance(value, list) else [value]
    return [(r["typeName"], r["uniqueAttributes"]["qualifiedName"]) for r in refs]


def _bulk_types(requests: list[RecordedRequest]) -> list[list[str]]:
    return [sorted(e["typeName"] for e in r.body["entities"]) for r in requests]


def test_chain_writes_processes_prefix_and_composed_columns(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    export, load = _export(), _load()
    partitions = [f"s3://lake/exports/customers/dt=2025-01-0{d}/part-0.parquet" for d in (1, 2)]
    report = writer.write([export, load], {S3_CUSTOMERS.uri: partitions})

    assert (report.processes, report.column_processes, report.prefixes) == (2, 2, 1)
    assert report.failed_edges == {} and report.missing == [] and report.unchanged == 0
    # S3 prefix first, then the processes, then the column processes: 3 mutating requests.
    writes = seeded.mutating_requests()
    assert [r.path for r in writes] == ["/api/meta/entity/bulk/"] * 3
    assert _bulk_types(writes) == [
        ["S3Prefix"],
        ["Process", "Process"],
        ["ColumnProcess", "ColumnProcess"],
    ]
    assert report.requests == 3

    prefix = seeded.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None
    attrs = prefix["attributes"]
    assert attrs["name"] == "customers" and attrs["connectorName"] == "s3"
    assert (
        attrs["s3BucketName"] == "lake"
        and attrs["s3BucketQualifiedName"] == f"{S3}/arn:aws:s3:::lake"
    )
    assert attrs["connectionQualifiedName"] == S3
    assert _refs(prefix, "s3Bucket") == [("S3Bucket", f"{S3}/arn:aws:s3:::lake")]

    # One process per hop (not per partition), QN = {connection}/{process_id}.
    assert len(seeded.entities("Process")) == 2
    p1 = seeded.entity("Process", f"{S3}/{export.process_id}")
    p2 = seeded.entity("Process", f"{S3}/{load.process_id}")
    assert p1 is not None and p2 is not None
    assert _refs(p1, "inputs") == [("Table", PG_CUSTOMERS_QN)]
    assert _refs(p1, "outputs") == [("S3Prefix", PREFIX_QN)]
    assert p1["attributes"]["sql"] == UNLOAD
    assert p1["attributes"]["name"] == f"{PG_CUSTOMERS.uri} -> {S3_CUSTOMERS.uri}"
    assert _refs(p2, "inputs") == [("S3Prefix", PREFIX_QN)]
    assert _refs(p2, "outputs") == [("Table", SF_CUSTOMERS_QN)]
    assert p2["attributes"]["sql"] == LOAD

    # Column lineage composed pg col -> s3 col -> sf col, parented to the s3 -> sf process.
    parent_qn = f"{S3}/{load.process_id}"
    columns = {e["attributes"]["qualifiedName"]: e for e in seeded.entities("ColumnProcess")}
    assert sorted(columns) == [f"{parent_qn}/column/EMAIL", f"{parent_qn}/column/ID"]
    email = columns[f"{parent_qn}/column/EMAIL"]
    assert email["attributes"]["name"] == "email -> EMAIL"
    assert _refs(email, "inputs") == [("Column", f"{PG_CUSTOMERS_QN}/email")]
    assert _refs(email, "outputs") == [("Column", f"{SF_CUSTOMERS_QN}/EMAIL")]
    assert _refs(email, "process") == [("Process", parent_qn)]
    assert _refs(columns[f"{parent_qn}/column/ID"], "inputs") == [
        ("Column", f"{PG_CUSTOMERS_QN}/id")
    ]


def test_rerun_sends_nothing_and_changed_sql_updates_one_process(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    writer.write([_export(), _load()])
    before = len(seeded.mutating_requests())

    again = writer.write([_export(), _load()])
    assert len(seeded.mutating_requests()) == before
    assert (again.processes, again.column_processes, again.prefixes) == (0, 0, 0)
    assert again.unchanged == 4 and again.requests == 0

    changed = _load(sql=LOAD + " FILE_FORMAT = (TYPE = PARQUET)")
    third = writer.write([_export(), changed])
    writes = seeded.mutating_requests()[before:]
    assert len(writes) == 1 and _bulk_types(writes) == [["Process"]]
    assert writes[0].body["entities"][0]["attributes"]["qualifiedName"] == (
        f"{S3}/{changed.process_id}"
    )
    assert third.processes == 1 and third.unchanged == 3
    stored = seeded.entity("Process", f"{S3}/{changed.process_id}")
    assert stored is not None and stored["attributes"]["sql"].endswith("(TYPE = PARQUET)")
    assert len(seeded.entities("Process")) == 2


def test_missing_snowflake_table_is_reported_and_the_rest_lands(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    broken = _load(S3_ORDERS, SF_ORDERS)
    edges = [_export(), _load(), _export(PG_ORDERS, S3_ORDERS), broken]
    report = writer.write(edges)

    assert report.missing == [SF_ORDERS_QN]
    assert list(report.failed_edges) == [broken.id]
    assert SF_ORDERS_QN in report.failed_edges[broken.id]
    assert report.processes == 3 and report.prefixes == 2
    for edge in edges[:3]:
        assert seeded.entity("Process", f"{S3}/{edge.process_id}") is not None
    assert seeded.entity("Process", f"{S3}/{broken.process_id}") is None
    # Its column processes were never sent, and are reported.
    assert report.column_processes == 2
    assert sorted(report.failed_columns) == [
        f"{S3}/{broken.process_id}/column/EMAIL",
        f"{S3}/{broken.process_id}/column/ID",
    ]
    assert all("parent process" in r for r in report.failed_columns.values())
    # The batch of 4 was rejected as a whole, then retried one by one.
    process_writes = [
        r for r in seeded.mutating_requests() if r.body["entities"][0]["typeName"] == "Process"
    ]
    assert [len(r.body["entities"]) for r in process_writes] == [4, 1, 1, 1, 1]
    assert [r.status for r in process_writes] == [404, 200, 200, 200, 404]

    # Once the table is crawled, a re-run writes only what was missing. The orders export
    # maps a column PostgreSQL does not have: that column process alone fails.
    _seed_table(seeded, SF_ORDERS_QN, ["ID", "EMAIL"])
    again = writer.write(edges)
    assert again.failed_edges == {}
    assert again.missing == [f"{PG}/appdb/public/orders/email"]
    assert list(again.failed_columns) == [f"{S3}/{broken.process_id}/column/EMAIL"]
    assert (again.processes, again.column_processes, again.unchanged) == (1, 1, 5)
    assert seeded.entity("ColumnProcess", f"{S3}/{broken.process_id}/column/ID") is not None


def test_single_object_dataset_references_the_s3_object(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    obj_qn = f"{S3}/arn:aws:s3:::lake/exports/customers.csv"
    seeded.add_entity("S3Object", obj_qn, {"s3BucketName": "lake"})
    edge = _load(Dataset.s3("lake", "exports/customers.csv"))
    report = writer.write([edge])

    assert report.processes == 1 and report.prefixes == 0 and report.failed_edges == {}
    process = seeded.entity("Process", f"{S3}/{edge.process_id}")
    assert process is not None
    assert _refs(process, "inputs") == [("S3Object", obj_qn)]
    assert seeded.entities("S3Prefix") == []
    # No table -> S3 hop feeds it, so there is no column lineage to compose.
    assert report.column_processes == 0
    assert writer.qualified_name(Dataset.s3("lake", "exports/customers.csv")) == (
        "S3Object",
        obj_qn,
    )


def test_qualified_names_and_unconfigured_connection(
    atlan_client: Any, atlan_server: FakeAtlan
) -> None:
    writer = AtlanLineageWriter(ATLAN, LINEAGE, lambda: S3, client=atlan_client)
    assert writer.qualified_name(PG_CUSTOMERS, "Email") == ("Column", f"{PG_CUSTOMERS_QN}/email")
    assert writer.qualified_name(SF_CUSTOMERS, "email") == ("Column", f"{SF_CUSTOMERS_QN}/EMAIL")
    assert writer.qualified_name(SF_CUSTOMERS, '"MixedCase"') == (
        "Column",
        f"{SF_CUSTOMERS_QN}/MixedCase",
    )
    assert writer.qualified_name(Dataset.parse("s3://lake")) == (
        "S3Bucket",
        f"{S3}/arn:aws:s3:::lake",
    )

    no_snowflake = LineageSettings(postgres_connection_qualified_name=PG)
    writer = AtlanLineageWriter(ATLAN, no_snowflake, lambda: S3, client=atlan_client)
    with pytest.raises(CatalogRejected, match="lineage.snowflake_connection_qualified_name"):
        writer.qualified_name(SF_CUSTOMERS)
    with pytest.raises(CatalogRejected, match="snowflake:ANALYTICS.PUBLIC.CUSTOMERS"):
        writer.write([_export(), _load()])
    assert atlan_server.requests == []


def test_edges_with_a_local_end_are_left_out_without_a_request(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    """A local lake folder (the sample lake's declared lineage) has no Atlan asset."""
    local = Dataset.parse("file:///srv/lake/crm/customers/")
    with pytest.raises(CatalogRejected, match="local file or folder"):
        writer.qualified_name(local)
    seeded.requests.clear()
    report = writer.write([_export(target=local), _load(source=local)])
    assert (report.local, report.processes, report.requests) == (2, 0, 0)
    assert [r for r in seeded.requests if r.method != "GET"] == []


def test_atlan_unavailable_raises(writer: AtlanLineageWriter, seeded: FakeAtlan) -> None:
    seeded.fail_next(503, times=20)
    with pytest.raises(CatalogUnavailable):
        writer.write([_export(), _load()])
    seeded.reset_faults()
    assert seeded.entities("Process") == []


def test_missing_names_parsed_from_both_atlas_message_forms() -> None:
    fake = Exception("ATLAS-404-00-00A Referenced entity Table:default/x/db/s/t is not found.")
    real = Exception(
        "Referenced entity AtlasObjectId{guid='null', typeName='Table', "
        "uniqueAttributes={qualifiedName:default/snowflake/1/DB/S/T}} is not found"
    )
    wrapped = CatalogRejected("Atlan rejected writing lineage processes")
    wrapped.__cause__ = real
    assert missing_qualified_names(fake) == ["default/x/db/s/t"]
    assert missing_qualified_names(wrapped) == ["default/snowflake/1/DB/S/T"]


def test_direct_table_edges_in_batches_with_their_own_column_maps(
    atlan_client: Any, seeded: FakeAtlan
) -> None:
    small = LINEAGE.model_copy(update={"batch_size": 2})
    writer = AtlanLineageWriter(ATLAN, small, lambda: S3, client=atlan_client)
    edges = [
        LineageEdge(
            PG_CUSTOMERS,
            SF_CUSTOMERS,
            Origin.DECLARED,
            columns=(ColumnMapping("id", "id"), ColumnMapping("email", "email")),
        ),
        LineageEdge(PG_ORDERS, SF_CUSTOMERS, Origin.DECLARED, columns=(ColumnMapping("id", "id"),)),
        LineageEdge(SF_CUSTOMERS, PG_ORDERS, Origin.INFERRED, columns=(ColumnMapping("ID", "id"),)),
    ]
    report = writer.write(edges)

    assert (report.processes, report.column_processes, report.prefixes) == (3, 4, 0)
    writes = seeded.mutating_requests()
    assert [len(r.body["entities"]) for r in writes] == [2, 1, 2, 2]
    assert _bulk_types(writes)[:2] == [["Process", "Process"], ["Process"]]
    first = f"{S3}/{edges[0].process_id}"
    cp = seeded.entity("ColumnProcess", f"{first}/column/EMAIL")
    assert cp is not None and cp["attributes"]["name"] == "email -> EMAIL"
    assert _refs(cp, "inputs") == [("Column", f"{PG_CUSTOMERS_QN}/email")]
    assert _refs(cp, "process") == [("Process", first)]
    back = seeded.entity("ColumnProcess", f"{S3}/{edges[2].process_id}/column/id")
    assert back is not None
    assert _refs(back, "outputs") == [("Column", f"{PG}/appdb/public/orders/id")]
    assert seeded.entities("S3Prefix") == []


def test_approved_lineage_evidence_tags_table_columns(
    writer: AtlanLineageWriter, seeded: FakeAtlan
) -> None:
    from datetime import UTC, datetime

    from models.review import SuggestionState, SuggestionView

    seeded.define_tag("PII")
    seeded.define_tag("PII Email")
    now = datetime.now(UTC)

    def view(sid: int, uri: str, column: str) -> SuggestionView:
        state = SuggestionState.APPROVED
        return SuggestionView(
            sid, uri, "tag", "PII Email", "EMAIL_ADDRESS", column, 0.88, "lineage", {}, None,
            state, now, now,
        )  # fmt: skip

    seeded.add_entity("AtlasGlossaryTerm", "Email@Glossary")
    term = SuggestionView(
        5, SF_CUSTOMERS.uri, "term", "Email@Glossary", None, "email", 0.9, "lineage", {},
        None, SuggestionState.APPROVED, now, now,
    )  # fmt: skip
    done, failed = writer.tag_table_columns(
        [
            term,
            view(1, PG_CUSTOMERS.uri, "email"),
            view(2, SF_CUSTOMERS.uri, "email"),  # folded to EMAIL
            view(3, PG_ORDERS.uri, "customer_email"),  # not crawled
            view(4, "redshift:dev.public.sales", "email"),  # no connection configured
        ]
    )
    assert sorted(done) == [1, 2, 5]
    assert "not in Atlan" in failed[3] and f"{PG}/appdb/public/orders/customer_email" in failed[3]
    assert "redshift_connection_qualified_name" in failed[4]
    assert seeded.tag_names("Column", f"{PG_CUSTOMERS_QN}/email") == ["PII", "PII Email"]
    assert seeded.tag_names("Column", f"{SF_CUSTOMERS_QN}/EMAIL") == ["PII", "PII Email"]
    assert seeded.entity("Column", f"{PG}/appdb/public/orders/customer_email") is None
    column = seeded.entity("Column", f"{SF_CUSTOMERS_QN}/EMAIL")
    assert column is not None
    meanings = column["attributes"]["meanings"]
    assert [m["uniqueAttributes"]["qualifiedName"] for m in meanings] == ["Email@Glossary"]


def test_a_prefix_is_linked_to_the_objects_the_s3_writer_wrote(
    atlan_client: Any, seeded: FakeAtlan, tmp_path: Any
) -> None:
    from datetime import UTC, datetime

    from models.plan import WrittenState
    from worker.adapters.catalog.atlan_state import SqlAtlanState
    from worker.adapters.catalog.database import SqlLocalCatalog

    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    now = datetime.now(UTC)
    written = []
    for key in ("exports/customers/dt=1/a.parquet", "exports/customers/dt=2/b.parquet",
                "exports/other/c.parquet"):  # fmt: skip
        qn = f"{S3}/arn:aws:s3:::lake/{key}"
        guid = seeded.add_entity(
            "S3Object", qn, {"s3BucketName": "lake", "connectionQualifiedName": S3}
        )
        written.append(WrittenState(qn, guid=guid, written_at=now, object_uri=f"s3://lake/{key}"))
    state.save_written_states(written)
    writer = AtlanLineageWriter(ATLAN, LINEAGE, lambda: S3, client=atlan_client, objects=state)
    report = writer.write([_export(), _load()])
    assert report.failed_edges == {} and report.linked == 2
    prefix = seeded.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None
    assert sorted(q for _, q in _refs(prefix, "s3Objects")) == [
        w.qualified_name for w in written[:2]
    ]
    linked = state.written_by_uri(["s3://lake/exports/customers/dt=1/a.parquet"])
    assert linked["s3://lake/exports/customers/dt=1/a.parquet"].prefix_qn == PREFIX_QN
    # A re-run links nothing again and writes nothing.
    before = len(seeded.mutating_requests())
    again = writer.write([_export(), _load()])
    assert again.linked == 0 and len(seeded.mutating_requests()) == before


def test_a_forbidden_edge_fails_alone_with_the_permission_to_grant(
    seeded: FakeAtlan,
) -> None:
    from tests.support.atlan_server import READ

    seeded.add_token("lineage-key")
    seeded.grant("lineage-key", S3)  # everything on s3-enricher's own connection
    seeded.grant("lineage-key", PG)  # PostgreSQL: may link (update) its tables
    seeded.grant("lineage-key", SF, READ)  # Snowflake: may only read
    client = _atlan.make_atlan_client(seeded, api_key="lineage-key")
    try:
        writer = AtlanLineageWriter(ATLAN, LINEAGE, lambda: S3, client=client)
        export, load = _export(), _load()
        report = writer.write([export, load])
        assert report.processes == 1 and list(report.failed_edges) == [load.id]
        reason = report.failed_edges[load.id]
        assert "403" in reason and "relationship" in reason and "Update" in reason
        assert seeded.entity("Process", f"{S3}/{export.process_id}") is not None
        assert seeded.entity("Process", f"{S3}/{load.process_id}") is None
        assert all("skipped" in r for r in report.failed_columns.values())
    finally:
        _atlan.close_atlan_client(client)
