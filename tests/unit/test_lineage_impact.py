"""Lineage graph walks, column tracking, PII flow, dot output; the store's upsert rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin
from worker.adapters.catalog.database import SqlLocalCatalog, findings, objects
from worker.adapters.catalog.lineage_store import APPLIED, REJECTED, SUGGESTED, SqlLineageStore
from worker.core.lineage.evidence import lineage_suggestions
from worker.core.lineage.impact import ImpactNode, LineageGraph, attach_pii, to_dot
from worker.core.settings import AtlanSettings

PG = Dataset.parse("postgres:appdb.public.customers")
S3 = Dataset.parse("s3://lake/exports/customers/")
SF = Dataset.parse("snowflake:analytics.public.customers")
SF_MART = Dataset.parse("snowflake:analytics.mart.customer_360")
ORDERS = Dataset.parse("postgres:appdb.public.orders")
S3_ORDERS = Dataset.parse("s3://lake/exports/orders/")


def _m(*pairs: tuple[str, str], masked: set[str] | None = None) -> tuple[ColumnMapping, ...]:
    return tuple(ColumnMapping(a, b, masked=a in (masked or set())) for a, b in pairs)


EDGES = [
    LineageEdge(PG, S3, Origin.SQL, columns=_m(("id", "id"), ("email", "email"), ("name", "name"))),
    LineageEdge(
        S3,
        SF,
        Origin.DECLARED,
        columns=_m(("id", "ID"), ("email", "EMAIL_SHA"), ("name", "NAME"), masked={"email"}),
    ),  # fmt: skip
    LineageEdge(SF, SF_MART, Origin.SQL),  # no column map: whole dataset
    LineageEdge(ORDERS, S3_ORDERS, Origin.INFERRED, 0.7, _m(("id", "id"))),
]


def test_downstream_of_a_table_and_of_a_column() -> None:
    g = LineageGraph(EDGES)
    nodes = g.downstream(PG)
    assert [(n.dataset.uri, n.depth) for n in nodes] == [
        (S3.uri, 1), (SF.uri, 2), (SF_MART.uri, 3),
    ]  # fmt: skip
    by = {n.dataset.uri: n for n in g.downstream(PG, "email")}
    assert by[S3.uri].columns == {"email"} and by[SF.uri].columns == {"EMAIL_SHA"}
    assert by[SF_MART.uri].columns is None  # no map on that hop: the whole dataset
    # A column that no hop carries reaches nothing.
    assert g.downstream(PG, "password_hash") == []
    assert [n.dataset.uri for n in g.upstream(SF)] == [S3.uri, PG.uri]


def test_pii_flows_downstream_except_through_masking() -> None:
    g = LineageGraph(EDGES)
    nodes = g.downstream(PG)
    attach_pii(nodes, g, {S3.uri: {"email": {"EMAIL_ADDRESS"}, "name": {"PERSON"}}})
    by = {n.dataset.uri: n.pii for n in nodes}
    assert by[S3.uri] == {"email": {"EMAIL_ADDRESS"}, "name": {"PERSON"}}
    assert by[SF.uri] == {"NAME": {"PERSON"}}  # EMAIL_SHA is sha2(email)
    assert by[SF_MART.uri] == {}  # unknown columns: nothing claimed


def test_cycles_terminate_and_dot_output() -> None:
    back = LineageEdge(SF, PG, Origin.INFERRED, 0.6)
    g = LineageGraph([*EDGES, back])
    nodes = g.downstream(PG)
    assert {n.dataset.uri for n in nodes} == {S3.uri, SF.uri, SF_MART.uri}
    dot = to_dot(ImpactNode(PG, 0, None, None), nodes, g)
    assert dot.startswith("digraph lineage {") and "style=dashed" in dot
    assert dot.count(" -> ") == 4  # every edge among the shown datasets, the cycle included


def test_evidence_suggests_upstream_and_flags_unmasked_downstream() -> None:
    scanned = {S3.uri: {"email": {"EMAIL_ADDRESS": 0.98}, "name": {"PERSON": 0.9}}}
    out = lineage_suggestions(EDGES, scanned, AtlanSettings())
    pg = {(s.column, s.tag) for s in out[PG.uri]}
    assert pg == {("email", "PII Email"), ("name", "PII Person Name")}
    (sf,) = out[SF.uri]  # EMAIL_SHA is masked: only NAME
    assert (sf.column, sf.tag, sf.evidence["contradiction"]) == ("NAME", "PII Person Name", True)
    assert "flows unmasked" in sf.reason and sf.confidence == pytest.approx(0.81)


def test_upsert_strongest_origin_wins_and_decisions_stick(database_url: str) -> None:
    store = SqlLineageStore(SqlLocalCatalog(database_url))
    inferred = LineageEdge(PG, S3, Origin.INFERRED, 0.7, _m(("id", "id")), reason="names")
    first = store.upsert([inferred, EDGES[3]], auto_apply_threshold=0.85)
    assert (first.new, len(first.suggested or [])) == (2, 2)
    assert store.states() == {inferred.id: SUGGESTED, EDGES[3].id: SUGGESTED}
    store.set_state(EDGES[3].id, REJECTED)
    again = store.upsert([EDGES[3]], auto_apply_threshold=0.5)  # a later inference
    assert again.unchanged == 1 and store.states()[EDGES[3].id] == REJECTED
    sql = store.upsert([EDGES[0]], auto_apply_threshold=0.85)  # the SQL proves the guess
    assert sql.updated == 1 and store.states()[inferred.id] == APPLIED
    (edge,) = store.edges()
    assert edge.origin is Origin.SQL and len(edge.columns) == 3
    weaker = store.upsert([inferred], auto_apply_threshold=0.85)
    assert weaker.unchanged == 1 and store.edges()[0].origin is Origin.SQL
    # Indexed walks and the object → dataset lookup work on both databases.
    assert [e.target.uri for e in store.edges_of([PG.uri], downstream=True)] == [S3.uri]
    assert [e.source.uri for e in store.edges_of([S3.uri], downstream=False)] == [PG.uri]
    obj = "s3://lake/exports/customers/dt=2025-01-01/part-0.parquet"
    assert store.datasets_containing(obj) == [S3]
    assert store.datasets_containing("s3://lake/exports/customers_old/x.csv") == []
    store.catalog.engine.dispose()


def test_s3_findings_cover_every_object_of_a_dataset(database_url: str) -> None:
    catalog = SqlLocalCatalog(database_url)
    now = datetime.now(UTC)
    with catalog.engine.begin() as conn:
        for day in ("2025-01-01", "2025-01-02"):
            uri = f"s3://lake/exports/customers/dt={day}/part-0.parquet"
            conn.execute(insert(objects).values(uri=uri, bucket="lake", key=uri[10:],
                                                status="classified", scanned_at=now))  # fmt: skip
            conn.execute(insert(findings).values(
                object_uri=uri, column_name="email", entity="EMAIL_ADDRESS", classifier="pii",
                confidence=0.9 if day.endswith("1") else 0.97, prevalence=1.0,
                evidence=json.loads("{}")))  # fmt: skip
    store = SqlLineageStore(catalog)
    assert store.s3_findings([S3, SF]) == {S3.uri: {"email": {"EMAIL_ADDRESS": 0.97}}}
    assert store.s3_pii([S3_ORDERS]) == {S3_ORDERS.uri: {}}
    catalog.engine.dispose()


def test_business_types_become_term_suggestions_on_mapped_table_columns() -> None:
    from worker.core.lineage.evidence import lineage_term_suggestions

    edges = [
        LineageEdge(PG, S3, Origin.SQL, columns=_m(("total", "amount"), ("id", "id"))),
        LineageEdge(S3, SF, Origin.SQL, columns=_m(("amount", "AMOUNT_EUR"), ("id", "ID"))),
    ]
    types = {"amount": ("amount", 0.95), "id": ("identifier", 0.99)}
    terms = {"amount": "Amount@Finance"}
    out = lineage_term_suggestions(edges, S3.uri, types, terms, min_confidence=0.5)
    assert {u: [(s.column, s.tag, s.kind) for s in v] for u, v in out.items()} == {
        PG.uri: [("total", "Amount@Finance", "term")],
        SF.uri: [("AMOUNT_EUR", "Amount@Finance", "term")],
    }
    unsure = {"amount": ("amount", 0.4)}
    assert lineage_term_suggestions(edges, S3.uri, unsure, terms, min_confidence=0.5) == {}
