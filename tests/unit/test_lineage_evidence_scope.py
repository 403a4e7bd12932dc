"""``LineageService.load(..., evidence="touched")`` re-derives lineage evidence only for the
tables the loaded hops can change, and leaves the review queue exactly as the whole-graph
refresh does: random graphs of exports, loads, lake-to-lake copies and positional loads
(``$2``), loaded batch by batch into two services on fakes, one per scope."""

from __future__ import annotations

import random
from typing import Any

import pytest

from models.lineage import ColumnMapping, Dataset, LineageEdge, LineageFindings, Origin
from tests.support.fakes import InMemoryLineageStore, InMemoryReviewStore
from worker.core.settings import Settings
from worker.services.lineage.service import EvidenceScope, LineageService

TABLES = [Dataset.parse(f"postgres:appdb.public.t{i}") for i in range(3)] + [
    Dataset.parse(f"snowflake:analytics.public.s{i}") for i in range(3)
]
LAKES = [Dataset.parse(f"s3://lake/d{i}/") for i in range(4)]
COLUMNS = ["id", "email", "phone", "name"]
ORIGINS = [Origin.DECLARED, Origin.OPENLINEAGE, Origin.SQL, Origin.INFERRED]


def _edge(rng: random.Random) -> LineageEdge:
    kind = rng.choice(["export", "load", "copy", "table"])
    if kind == "export":
        source, target = rng.choice(TABLES), rng.choice(LAKES)
    elif kind == "load":
        source, target = rng.choice(LAKES), rng.choice(TABLES)
    elif kind == "copy":
        source, target = rng.sample(LAKES, 2)
    else:
        source, target = rng.sample(TABLES, 2)
    picked = rng.sample(COLUMNS, rng.randint(0, 3))
    positional = source.is_lake and rng.random() < 0.3
    columns = tuple(
        ColumnMapping(
            f"${n}" if positional else c,
            c.upper() if target.system.value == "snowflake" else c,
            "sha2(x)" if masked else None,
            masked,
        )
        for n, c in enumerate(picked, 1)
        for masked in [rng.random() < 0.25]
    )
    origin = rng.choice(ORIGINS)
    confidence = rng.choice([0.95, 0.5]) if origin is Origin.INFERRED else 1.0
    return LineageEdge(source, target, origin, confidence, columns)


def _service(scope: EvidenceScope, seed: int) -> tuple[LineageService, InMemoryReviewStore]:
    rng = random.Random(seed)
    store = InMemoryLineageStore()
    for lake in LAKES:
        for column in rng.sample(COLUMNS, rng.randint(0, 2)):
            entity = rng.choice(["EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"])
            store.findings.append((lake.uri + "part-0.parquet", column, entity, 0.9))
    review = InMemoryReviewStore()
    return LineageService(store, review, Settings()), review


def _queue(review: InMemoryReviewStore) -> list[tuple[Any, ...]]:
    return sorted(
        (s.object_uri, s.kind, s.tag, s.column, s.state.value, s.confidence, repr(s.evidence))
        for s in review.rows.values()
    )


@pytest.mark.parametrize("seed", range(40))
def test_touched_evidence_leaves_the_queue_as_the_whole_graph_refresh(seed: int) -> None:
    whole, whole_queue = _service("all", seed)
    scoped, scoped_queue = _service("touched", seed)
    rng = random.Random(seed * 7919)
    derived = 0
    for _ in range(rng.randint(3, 12)):
        batch = LineageFindings([_edge(rng) for _ in range(rng.randint(1, 4))])
        full = whole.load(batch)
        touched = scoped.load(batch, evidence="touched")
        assert touched.evidence == full.evidence
        assert _queue(scoped_queue) == _queue(whole_queue)
        derived += full.evidence
    if seed == 0:
        assert derived > 0  # the generator does produce lineage evidence


def test_a_hop_to_an_unscanned_dataset_reads_no_tables() -> None:
    service, review = _service("touched", 0)
    assert isinstance(service.store, InMemoryLineageStore)
    service.store.findings.clear()
    pg, lake = TABLES[0], LAKES[0]
    report = service.load(
        LineageFindings(
            [LineageEdge(pg, lake, Origin.OPENLINEAGE, 1.0, (ColumnMapping("email", "email"),))]
        ),
        evidence="touched",
    )
    assert report.new == 1 and report.evidence == 0 and review.rows == {}
    # Once the lake dataset has findings, the same hop gives the export's table evidence.
    service.store.findings.append((lake.uri + "p.parquet", "email", "EMAIL_ADDRESS", 0.9))
    again = service.load(
        LineageFindings(
            [LineageEdge(pg, lake, Origin.OPENLINEAGE, 1.0, (ColumnMapping("email", "email"),))]
        ),
        evidence="touched",
    )
    assert again.evidence == 1
    assert [(s.object_uri, s.column) for s in review.rows.values()] == [(pg.uri, "email")]


def test_a_new_writer_names_the_positional_load_downstream() -> None:
    """``COPY ... SELECT $1, $2`` from a scanned dataset gives evidence once an export tells
    the dataset's column order: the hop loaded later re-derives the load's table too."""
    pg, lake, sf = TABLES[0], LAKES[1], TABLES[3]
    positional = (ColumnMapping("$1", "ID"), ColumnMapping("$2", "EMAIL"))
    export = (ColumnMapping("id", "id"), ColumnMapping("email", "email"))
    queues = []
    for scope in ("all", "touched"):
        store = InMemoryLineageStore()
        store.findings.append((lake.uri + "p.parquet", "email", "EMAIL_ADDRESS", 0.9))
        review = InMemoryReviewStore()
        service = LineageService(store, review, Settings())
        load = LineageFindings([LineageEdge(lake, sf, Origin.SQL, 1.0, positional)])
        assert service.load(load, evidence=scope).evidence == 0  # $2 is not known yet
        hop = LineageFindings([LineageEdge(pg, lake, Origin.OPENLINEAGE, 1.0, export)])
        assert service.load(hop, evidence=scope).evidence == 2
        queues.append(_queue(review))
        assert {(s.object_uri, s.column) for s in review.rows.values()} == {
            (pg.uri, "email"),
            (sf.uri, "EMAIL"),
        }
    assert queues[0] == queues[1]
