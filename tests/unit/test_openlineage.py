"""OpenLineage events to hops: validation, naming, runs, column maps and masking, problems."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from models.lineage import Dataset, InvalidDataset, Origin, System
from worker.core.lineage.openlineage import (
    InvalidEvent,
    OpenLineageEvent,
    dataset_of,
    is_masking,
    parse_event,
    run_findings,
)
from worker.core.lineage.resolve import resolve_edges

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"
RUN = "0193a6f0-5c1e-7b7e-9f0a-1a2b3c4d5e99"


def _log(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _events(name: str) -> list[OpenLineageEvent]:
    return [parse_event(e) for e in _log(name)]


def _event(
    event_type: str = "COMPLETE",
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    time: str = "2025-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN},
        "job": {"namespace": "airflow", "name": "dag.task"},
        "inputs": inputs if inputs is not None else [{"namespace": "s3://lake", "name": "a/x.csv"}],
        "outputs": outputs
        if outputs is not None
        else [{"namespace": "snowflake://org-acct", "name": "db.public.t"}],
    }


# -- naming ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "name", "uri"),
    [
        ("s3://lake", "exports/orders/dt=2025-01-01/part-0000.parquet",
         "s3://lake/exports/orders/dt=2025-01-01/part-0000.parquet"),
        ("s3a://lake", "exports/orders", "s3://lake/exports/orders/"),
        ("s3://lake", "exports/orders/", "s3://lake/exports/orders/"),
        ("postgres://db.internal:5432", "appdb.Public.Customers",
         "postgres:appdb.public.customers"),
        ("postgresql://db:5432", "appdb.public.c", "postgres:appdb.public.c"),
        ("snowflake://acme-analytics", "analytics.public.customers",
         "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"),
        ("redshift://cluster.eu-west-1:5439", "dev.public.sales", "redshift:dev.public.sales"),
        ("file", "/srv/landing/orders.csv", "file:///srv/landing/orders.csv"),
    ],
)  # fmt: skip
def test_naming_conventions_map_to_our_datasets(namespace: str, name: str, uri: str) -> None:
    assert dataset_of(namespace, name).uri == uri


def test_a_file_namespace_is_a_local_dataset() -> None:
    assert dataset_of("file", "/lake/hr/").system is System.FILE


@pytest.mark.parametrize(
    ("namespace", "name", "message"),
    [
        ("bigquery", "proj.ds.t", "unknown namespace 'bigquery'"),
        ("kafka://broker:9092", "topic", "unknown namespace 'kafka://broker:9092'"),
        ("s3://", "key.csv", "expected s3://bucket"),
        ("postgres://h:5432", "public.customers", "expected DATABASE.SCHEMA.TABLE"),
    ],
)
def test_unknown_namespaces_and_bad_names_are_named(
    namespace: str, name: str, message: str
) -> None:
    with pytest.raises(InvalidDataset, match=message.replace(".", r"\.")):
        dataset_of(namespace, name)


# -- validation ---------------------------------------------------------------------------------


def test_every_fixture_event_is_valid() -> None:
    for name in ("airflow_postgres_to_s3.jsonl", "spark_partitioned_parquet.jsonl",
                 "snowflake_copy.jsonl"):  # fmt: skip
        events = _events(name)
        assert len({e.run_id for e in events}) == 1
        assert len({e.key for e in events}) == len(events)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["run"].pop("runId"), "run.runId is missing"),
        (lambda e: e.pop("run"), "run.runId is missing"),
        (lambda e: e["run"].update(runId="not-a-uuid"), "run.runId"),
        (lambda e: e.update(eventTime="2025-01-01"), "has to contain time"),
        (lambda e: e.update(eventTime="yesterday"), "eventTime"),
        (lambda e: e.update(eventType="DONE"), "'DONE' is not one of START"),
        (lambda e: e.pop("eventType"), "eventType is missing"),
        (lambda e: e["job"].pop("name"), "job: 'name' is missing"),
        (lambda e: e.update(inputs={"namespace": "s3://x"}), "inputs: expected a list"),
        (lambda e: e["inputs"][0].update(name=7), r"inputs\[0\]\.name: expected str"),
    ],
)
def test_invalid_events_are_refused_naming_the_field(change: Any, message: str) -> None:
    event = _event()
    change(event)
    with pytest.raises(InvalidEvent, match=message):
        parse_event(event)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="JSON object, got a list"):
        parse_event([_event()])


def test_a_bad_column_lineage_facet_is_refused() -> None:
    event = _event()
    event["outputs"][0]["facets"] = {"columnLineage": {"fields": {"A": {"inputFields": 3}}}}
    with pytest.raises(InvalidEvent, match="columnLineage.fields.A.inputFields: expected a list"):
        parse_event(event)


def test_facets_we_do_not_read_are_not_validated() -> None:
    event = _event()
    event["outputs"][0]["facets"] = {"custom": {"whatever": [1, 2]}, "dataSource": 5}
    event["run"]["facets"] = {"nominalTime": "not an object"}
    assert parse_event(event).event_type == "COMPLETE"


def test_job_and_dataset_events_are_keyed_by_their_names() -> None:
    job = {k: v for k, v in _event().items() if k not in ("run", "eventType")}
    parsed = parse_event(job)
    assert parsed.key == ("job:airflow/dag.task", "JOB", "2025-01-01T00:00:00Z")
    dataset = {
        "eventTime": "2025-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "s3://lake", "name": "a/", "facets": {}},
    }
    assert parse_event(dataset).key[:2] == ("dataset:s3://lake/a/", "DATASET")


# -- runs to hops -------------------------------------------------------------------------------


def test_airflow_postgres_export_gives_one_hop_with_a_masked_column() -> None:
    found = run_findings(_events("airflow_postgres_to_s3.jsonl"))
    assert found.problems == []
    (edge,) = found.edges
    assert edge.source == Dataset.parse("postgres:appdb.public.customers")
    assert edge.target.uri == "s3://lake/exports/customers/customers_2025-01-01.csv"
    assert (edge.origin, edge.confidence) == (Origin.OPENLINEAGE, 1.0)
    assert edge.location == (
        "openlineage: airflow-prod/customers_export.export_customers_to_s3 "
        "run 0193a6f0-5c1e-7b7e-9f0a-1a2b3c4d5e01"
    )
    maps = {(c.source, c.target): c for c in edge.columns}
    assert set(maps) == {("id", "id"), ("email", "email_sha256"), ("country", "country"),
                         ("created_at", "created_at")}  # fmt: skip
    assert maps["email", "email_sha256"].masked
    assert "sha256" in (maps["email", "email_sha256"].expression or "")
    assert not any(c.masked for k, c in maps.items() if k != ("email", "email_sha256"))
    # The export's file joins the folder dataset a COPY of the prefix loads.
    (resolved,) = resolve_edges(found.edges)
    assert resolved.target.uri == "s3://lake/exports/customers/"
    assert resolved.target_path == "s3://lake/exports/customers/customers_2025-01-01.csv"


def test_spark_partitioned_parquet_output_joins_its_dataset() -> None:
    found = run_findings(_events("spark_partitioned_parquet.jsonl"))
    (edge,) = resolve_edges(found.edges)
    assert edge.target.uri == "s3://lake/exports/orders/"
    card = next(c for c in edge.columns if c.target == "card_last4")
    # substring() keeps part of the value: not masking.
    assert (card.source, card.masked) == ("card_number", False)
    assert set(found.schemas) == {
        "postgres:appdb.public.orders",
        "s3://lake/exports/orders/dt=2025-01-01/part-0000.parquet",
    }
    declared = found.schemas["s3://lake/exports/orders/dt=2025-01-01/part-0000.parquet"]
    assert ("card_last4", "string") in {(f.name, f.type) for f in declared.fields}
    assert declared.run_id == "0193a6f1-0000-7000-8000-00000000a001"
    assert declared.origin == "openlineage"


def test_snowflake_copy_maps_the_prefix_to_the_table() -> None:
    (edge,) = run_findings(_events("snowflake_copy.jsonl")).edges
    assert (edge.source.uri, edge.target.uri) == (
        "s3://lake/exports/customers/",
        "snowflake:ANALYTICS.PUBLIC.CUSTOMERS",
    )
    assert ("email_sha256", "EMAIL_SHA256") in {(c.source, c.target) for c in edge.columns}


def test_only_a_complete_run_gives_hops_in_any_order() -> None:
    start, complete = _events("airflow_postgres_to_s3.jsonl")
    assert run_findings([start]).edges == []
    in_order = run_findings([start, complete]).edges
    assert in_order and run_findings([complete, start]).edges == in_order


def test_datasets_only_a_start_names_still_count() -> None:
    start = parse_event(_event("START", outputs=[{"namespace": "s3://lake", "name": "b/y.csv"}]))
    complete = parse_event(_event("COMPLETE", outputs=[], time="2025-01-01T00:01:00Z"))
    targets = {e.target.uri for e in run_findings([complete, start]).edges}
    assert targets == {"s3://lake/b/y.csv"}


@pytest.mark.parametrize("terminal", ["FAIL", "ABORT"])
def test_a_failed_or_aborted_run_gives_no_hops(terminal: str) -> None:
    start = parse_event(_event("START"))
    end = parse_event(_event(terminal, time="2025-01-01T00:05:00Z"))
    assert run_findings([start, end]).edges == []
    complete = parse_event(_event("COMPLETE", time="2025-01-01T00:04:00Z"))
    assert run_findings([start, complete, end]).edges == []


def test_an_unknown_namespace_is_a_problem_and_the_rest_still_counts() -> None:
    event = _event(
        inputs=[
            {"namespace": "bigquery", "name": "proj.ds.t"},
            {"namespace": "postgres://h:5432", "name": "db.public.a"},
        ]
    )
    found = run_findings([parse_event(event)])
    assert [e.source.uri for e in found.edges] == ["postgres:db.public.a"]
    (problem,) = found.problems
    assert "unknown namespace 'bigquery'" in problem.reason
    assert problem.location == f"openlineage: airflow/dag.task run {RUN}"


def test_a_job_event_gives_its_static_lineage() -> None:
    job = {k: v for k, v in _event().items() if k not in ("run", "eventType")}
    (edge,) = run_findings([parse_event(job)]).edges
    assert (edge.source.uri, edge.target.uri) == ("s3://lake/a/x.csv", "snowflake:DB.PUBLIC.T")
    assert edge.location == "openlineage: airflow/dag.task"


def test_column_maps_take_only_the_input_they_name() -> None:
    event = _event(
        inputs=[
            {"namespace": "postgres://h:1", "name": "db.s.a"},
            {"namespace": "postgres://h:1", "name": "db.s.b"},
        ],
        outputs=[
            {
                "namespace": "s3://lake",
                "name": "out/x.parquet",
                "facets": {
                    "columnLineage": {
                        "fields": {
                            "k": {"inputFields": [
                                {"namespace": "postgres://h:1", "name": "db.s.a", "field": "id"},
                                {"namespace": "postgres://h:1", "name": "db.s.b", "field": "key"},
                            ]},
                            "e": {"inputFields": [
                                {"namespace": "postgres://h:1", "name": "db.s.b", "field": "mail",
                                 "transformations": [{"type": "INDIRECT", "subtype": "MASKED"}]},
                            ]},
                        }
                    }
                },
            }
        ],
    )  # fmt: skip
    by_source = {e.source.uri: e for e in run_findings([parse_event(event)]).edges}
    assert [(c.source, c.target) for c in by_source["postgres:db.s.a"].columns] == [("id", "k")]
    maps = {(c.source, c.target, c.masked) for c in by_source["postgres:db.s.b"].columns}
    assert maps == {("key", "k", False), ("mail", "e", True)}


@pytest.mark.parametrize(
    ("kind", "subtype", "description", "masked"),
    [
        ("DIRECT", "MASKED", None, True),
        ("MASKED", None, None, True),
        ("DIRECT", "TRANSFORMATION", "sha2(email, 256)", True),
        ("DIRECT", "TRANSFORMATION", "MD5(phone)", True),
        ("DIRECT", "TRANSFORMATION", "hash_email(email)", True),
        ("DIRECT", "TRANSFORMATION", "redact(ssn)", True),
        ("DIRECT", "TRANSFORMATION", "lower(email)", False),
        ("DIRECT", "IDENTITY", None, False),
        ("DIRECT", "TRANSFORMATION", "hashtag_count + 1", False),
    ],
)
def test_masking_is_told_by_type_and_hash_functions(
    kind: str, subtype: str | None, description: str | None, masked: bool
) -> None:
    assert is_masking(kind, subtype, description) is masked


def test_masking_flag_and_field_level_type_mark_masking() -> None:
    base = _event(inputs=[{"namespace": "postgres://h:1", "name": "db.s.a"}])
    field = {"namespace": "postgres://h:1", "name": "db.s.a", "field": "ssn"}
    flagged = copy.deepcopy(base)
    flagged["outputs"][0]["facets"] = {"columnLineage": {"fields": {"SSN": {"inputFields": [
        {**field, "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION",
                                       "masking": True}]}]}}}}  # fmt: skip
    legacy = copy.deepcopy(base)
    legacy["outputs"][0]["facets"] = {"columnLineage": {"fields": {"SSN": {
        "inputFields": [field], "transformationType": "MASKED"}}}}  # fmt: skip
    for event in (flagged, legacy):
        (edge,) = run_findings([parse_event(event)]).edges
        assert [(c.source, c.target, c.masked) for c in edge.columns] == [("ssn", "SSN", True)]


# -- declared schemas --------------------------------------------------------------------------


def _with_schema(event: dict[str, Any], fields: Any) -> dict[str, Any]:
    out = copy.deepcopy(event)
    out["outputs"][0]["facets"] = {"schema": {"fields": fields}}
    return out


def test_the_newest_event_of_a_run_declares_the_schema_in_any_order() -> None:
    start = parse_event(_with_schema(_event("START"), [{"name": "a", "type": "string"}]))
    complete = parse_event(
        _with_schema(
            _event("COMPLETE", time="2025-01-01T00:05:00Z"),
            [{"name": "a", "type": "string", "description": "the A"}, {"name": "b"}],
        )
    )
    for events in ([start, complete], [complete, start]):
        declared = run_findings(events).schemas["snowflake:DB.PUBLIC.T"]
        assert [(f.name, f.type, f.description) for f in declared.fields] == [
            ("a", "string", "the A"),
            ("b", None, None),
        ]
        assert declared.event_time.isoformat() == "2025-01-01T00:05:00+00:00"
        assert declared.run_id == RUN


@pytest.mark.parametrize("fields", ["id,email", {"name": "id"}, [{"type": "string"}], [3]])
def test_a_bad_schema_facet_is_a_problem_and_the_hops_still_count(fields: Any) -> None:
    event = parse_event(_with_schema(_event(), fields))  # not refused
    found = run_findings([event])
    assert [(e.source.uri, e.target.uri) for e in found.edges] == [
        ("s3://lake/a/x.csv", "snowflake:DB.PUBLIC.T")
    ]
    assert found.schemas == {}
    (problem,) = found.problems
    assert problem.reason.startswith("schema facet not stored: ")
    assert "db.public.t" in problem.location


def test_a_schema_facet_that_is_not_an_object_is_a_problem() -> None:
    event = _event()
    event["outputs"][0]["facets"] = {"schema": ["id"]}
    (problem,) = run_findings([parse_event(event)]).problems
    assert "expected an object, got a list" in problem.reason
