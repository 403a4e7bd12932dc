"""One verdict per dataset: partition records and their merge (issue 15)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    ErrorInfo,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.datasets import PartitionInfo, PartitionRecord, SchemaColumn
from models.samples import CellValue
from worker.core.datasets.verdict import dataset_schema, merge_verdict, partition_record

URI = "s3://lake/exports/customers/"
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
#: Sampled values no record, verdict or description may carry.
SECRETS = ("zq.secret.7731@example.invalid", "Quorvath Zimmerlund", "+49 1511 7731 0042")


def _entity(name: str, confidence: float) -> EntityFinding:
    return EntityFinding(
        name, confidence, 0.9, Evidence(sampled=10, hits=9, distinct_hits=9, mean_score=0.9)
    )


def _result(
    key: str,
    columns: Sequence[tuple[str, str, Sequence[CellValue]]],
    entities: dict[str, list[tuple[str, float]]] | None = None,
    *,
    row_count: int = 1000,
    size: int = 10_000,
    categories: Sequence[tuple[str, float]] = (),
    description: str | None = None,
    modified: datetime | None = None,
) -> EnrichmentResult:
    ref = ObjectRef.parse(f"s3://lake/exports/customers/{key}part-0.parquet")
    info = ObjectInfo(ref, size, "etag", modified)
    sample = TableSample(
        info=info,
        format="parquet",
        compression=None,
        columns=tuple(ColumnSample(n, t, tuple(v)) for n, t, v in columns),
        rows_sampled=max((len(v) for _, _, v in columns), default=0),
        row_count=row_count,
        row_count_estimated=False,
        bytes_read=100,
        sampling=SamplingInfo("parquet-row-groups"),
    )
    found = entities or {}
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=tuple(
            ColumnFinding(n, t, tuple(_entity(e, c) for e, c in found.get(n, [])))
            for n, t, _ in columns
        ),
        categories=tuple(LabelScore(label, c) for label, c in categories),
        description=description,
    )


def _partition(key: str, day: int = 1, objects: int = 1, size: int = 10_000) -> PartitionInfo:
    return PartitionInfo(
        key=key,
        values=(("dt", key[3:-1]),),
        object_count=objects,
        total_bytes=size,
        newest=datetime(2025, 1, day, 6, tzinfo=UTC),
        sample_key=f"exports/customers/{key}part-0.parquet",
    )


def _record(
    key: str,
    day: int,
    columns: Sequence[tuple[str, str]],
    findings: dict[str, dict[str, float]] | None = None,
    null_shares: dict[str, float] | None = None,
) -> PartitionRecord:
    return PartitionRecord(
        dataset_uri=URI,
        info=_partition(key, day),
        first_seen=NOW,
        sampled_at=NOW,
        row_count=1000,
        null_shares=null_shares or {},
        findings=findings or {},
        columns=tuple(SchemaColumn(n, t) for n, t in columns),
    )


# --- partition_record -------------------------------------------------------------------------


def test_partition_record_keeps_schema_rows_null_shares_and_findings_but_no_value() -> None:
    result = _result(
        "dt=2025-01-01/",
        [
            ("email", "string", [SECRETS[0], None, "", SECRETS[0]]),
            ("name", "string", [SECRETS[1]] * 4),
            ("phone", "string", [SECRETS[2], None, None, None]),
        ],
        {"email": [("EMAIL_ADDRESS", 0.91), ("EMAIL_ADDRESS", 0.97), ("URL", 0.2)]},
    )
    record = partition_record(URI, _partition("dt=2025-01-01/"), result, NOW)

    assert record.columns == (
        SchemaColumn("email", "string"),
        SchemaColumn("name", "string"),
        SchemaColumn("phone", "string"),
    )
    assert record.row_count == 1000
    # Empty strings count as null, as ColumnSample.non_null says.
    assert record.null_shares == {"email": 0.5, "name": 0.0, "phone": 0.75}
    # Two classifiers found the same entity: the higher confidence is kept.
    assert record.findings == {"email": {"EMAIL_ADDRESS": 0.97, "URL": 0.2}}
    assert record.sampled_at == NOW and record.first_seen == NOW
    assert not any(secret in repr(record) for secret in SECRETS)


def test_partition_record_keeps_distinct_shares_of_the_non_null_values_but_no_value() -> None:
    result = _result(
        "dt=2025-01-01/",
        [
            ("email", "string", [SECRETS[0], None, "", SECRETS[0]]),
            ("name", "string", [SECRETS[1], SECRETS[2], SECRETS[1], SECRETS[1]]),
            ("id", "int64", [1, 2, 3, None]),
            ("empty", "string", [None, "", None, None]),
        ],
    )
    record = partition_record(URI, _partition("dt=2025-01-01/"), result, NOW)
    # distinct non-null values / non-null values; no non-null value: no share
    assert record.distinct_shares == {"email": 0.5, "name": 0.5, "id": 1.0}
    assert not any(secret in repr(record) for secret in SECRETS)
    skipped = replace(result, status=ObjectStatus.SKIPPED)
    assert partition_record(URI, _partition("dt=2025-01-01/"), skipped, NOW).distinct_shares == {}


def test_partition_record_scales_rows_by_bytes_when_the_partition_has_several_objects() -> None:
    result = _result("dt=2025-01-01/", [("id", "int64", [1, 2])], row_count=500, size=1_000)
    partition = _partition("dt=2025-01-01/", objects=4, size=4_000)
    assert partition_record(URI, partition, result, NOW).row_count == 2000
    single = _partition("dt=2025-01-01/", objects=1, size=1_000)
    assert partition_record(URI, single, result, NOW).row_count == 500


def test_a_failed_sample_gives_a_record_that_is_not_sampled() -> None:
    ref = ObjectRef.parse("s3://lake/exports/customers/dt=2025-01-01/part-0.parquet")
    failed = EnrichmentResult(
        ref=ref, status=ObjectStatus.FAILED, error=ErrorInfo("corrupt_object", "bad footer")
    )
    record = partition_record(URI, _partition("dt=2025-01-01/"), failed, NOW)
    assert record.sampled_at is None
    assert record.columns == () and record.row_count is None and record.findings == {}


# --- dataset_schema ---------------------------------------------------------------------------


def test_dataset_schema_is_the_union_with_the_newest_types() -> None:
    records = [
        _record("dt=2025-01-01/", 1, [("id", "int32"), ("legacy", "string"), ("amount", "double")]),
        _record("dt=2025-01-02/", 2, [("id", "int64"), ("amount", "double"), ("note", "string")]),
    ]
    for order in (records, records[::-1]):
        assert dataset_schema(order) == (
            SchemaColumn("id", "int64"),
            SchemaColumn("amount", "double"),
            SchemaColumn("note", "string"),
            SchemaColumn("legacy", "string"),
        )


def test_dataset_schema_keeps_the_known_type_of_a_column_all_null_in_the_newest_sample() -> None:
    records = [
        _record("dt=2025-01-01/", 1, [("amount", "double")], null_shares={"amount": 0.1}),
        _record("dt=2025-01-02/", 2, [("amount", "string")], null_shares={"amount": 1.0}),
    ]
    assert dataset_schema(records) == (SchemaColumn("amount", "double"),)


def test_dataset_schema_is_nullable_when_any_partition_says_so() -> None:
    strict = _record("dt=2025-01-02/", 2, [])
    strict = PartitionRecord(
        URI, strict.info, NOW, NOW, columns=(SchemaColumn("id", "int64", nullable=False),)
    )
    loose = _record("dt=2025-01-01/", 1, [("id", "int64")])
    assert dataset_schema([strict]) == (SchemaColumn("id", "int64", nullable=False),)
    assert dataset_schema([strict, loose]) == (SchemaColumn("id", "int64", nullable=True),)


# --- merge_verdict ----------------------------------------------------------------------------


def _four_partitions() -> list[PartitionRecord]:
    email = {"email": {"EMAIL_ADDRESS": 0.9}}
    return [
        _record("dt=2025-01-01/", 1, [("email", "string"), ("id", "int64")], email),
        _record("dt=2025-01-02/", 2, [("email", "string"), ("id", "int64")], email),
        _record("dt=2025-01-03/", 3, [("email", "string"), ("id", "int64")], email),
        # The newest partition has no email column: the share is over the partitions that
        # have it (3 of 3), not over all sampled partitions.
        _record(
            "dt=2025-01-04/",
            4,
            [("id", "int64"), ("phone", "string")],
            {"phone": {"PHONE_NUMBER": 0.8}, "id": {"US_SSN": 0.3}},
        ),
    ]


def test_an_entity_holds_with_the_share_of_partitions_that_have_the_column() -> None:
    verdict = merge_verdict(URI, _four_partitions(), 40, [], entity_share=0.5)

    by_column = {c.column: c for c in verdict.columns}
    assert by_column["email"].entities == (("EMAIL_ADDRESS", 1.0),)
    assert by_column["email"].partitions == 3
    assert by_column["id"].entities == (("US_SSN", 0.25),)
    assert by_column["id"].partitions == 4
    assert by_column["phone"].entities == (("PHONE_NUMBER", 1.0),)
    # US_SSN in 1 of 4 partitions does not hold; the others do.
    assert verdict.entities == (("EMAIL_ADDRESS", ("email",)), ("PHONE_NUMBER", ("phone",)))
    assert verdict.partitions_sampled == 4 and verdict.partitions_total == 40
    assert [c.column for c in verdict.columns] == ["id", "phone", "email"]


@pytest.mark.parametrize(
    ("found_in", "share", "holds"), [(2, 0.5, True), (1, 0.5, False), (3, 0.75, True)]
)
def test_the_entity_share_threshold_is_inclusive(found_in: int, share: float, holds: bool) -> None:
    records = [
        _record(
            f"dt=2025-01-0{i + 1}/",
            i + 1,
            [("email", "string")],
            {"email": {"EMAIL_ADDRESS": 0.9}} if i < found_in else {},
        )
        for i in range(4)
    ]
    verdict = merge_verdict(URI, records, 4, [], entity_share=share)
    assert (verdict.entities == (("EMAIL_ADDRESS", ("email",)),)) is holds


def test_the_category_is_the_one_the_results_agree_on_weighted_by_confidence() -> None:
    results = [
        _result(
            "dt=2025-01-01/",
            [("id", "int64", [1])],
            categories=[("orders", 0.6), ("customers", 0.4)],
        ),
        _result("dt=2025-01-02/", [("id", "int64", [1])], categories=[("customers", 0.9)]),
        _result("dt=2025-01-03/", [("id", "int64", [1])], categories=[("orders", 0.5)]),
        _result("dt=2025-01-04/", [("id", "int64", [1])]),
    ]
    verdict = merge_verdict(URI, [], 4, results, entity_share=0.5)
    # customers: 0.4 + 0.9 = 1.3 over 3 results that gave a category; orders 1.1.
    assert verdict.category == "customers"
    assert verdict.category_confidence == pytest.approx(1.3 / 3, abs=1e-4)


def test_the_verdict_says_whether_most_partitions_words_agreed_with_its_category() -> None:
    """Only partitions whose top category is the dataset's vote; none said: ``None``."""

    def part(day: int, label: str, agree: bool | None) -> EnrichmentResult:
        r = _result(f"dt=2025-01-0{day}/", [("id", "int64", [1])], categories=[(label, 0.9)])
        return replace(r, categories=(LabelScore(label, 0.9, agree),))

    def verdict(*results: EnrichmentResult) -> bool | None:
        merged = merge_verdict(URI, [], 4, list(results), entity_share=0.5)
        assert merged.category == "orders"
        return merged.category_words_agree

    assert verdict(part(1, "orders", True), part(2, "orders", True), part(3, "hr", False))
    assert verdict(part(1, "orders", True), part(2, "orders", False)) is False  # a tie
    assert verdict(part(1, "orders", None), part(2, "orders", True)) is True
    assert verdict(part(1, "orders", None)) is None
    again = merge_verdict(URI, [], 4, [part(1, "orders", True)], entity_share=0.5)
    from worker.adapters.catalog.dataset_store import verdict_from_dict

    assert verdict_from_dict(again.to_dict()) == again
    assert verdict_from_dict({**again.to_dict(), "category_words_agree": None}) == replace(
        again, category_words_agree=None
    )


def test_the_verdict_says_whether_most_partitions_read_its_category_from_the_values() -> None:
    """As the review policy judges each object: half the names saying nothing, row numbers
    left out; a tie is not a majority; stored and read back."""

    def part(day: int, names: list[str]) -> EnrichmentResult:
        columns = [(n, "int64", [3, 1, 2, 5, 4, 7, 6]) for n in names]  # no row numbers
        return _result(f"dt=2025-01-0{day}/", columns, categories=[("orders", 0.9)])

    def values_only(*results: EnrichmentResult) -> bool:
        merged = merge_verdict(URI, [], 4, list(results), entity_share=0.5)
        assert merged.category == "orders"
        return merged.category_values_only

    named, opaque = ["order_id", "amount"], ["c1", "c2"]
    assert values_only(part(1, opaque), part(2, opaque), part(3, named))
    assert not values_only(part(1, opaque), part(2, named))  # a tie
    assert not values_only(part(1, named))
    # Half the names opaque is values-led, as for the object itself.
    assert values_only(part(1, ["c1", "amount"]))
    from worker.adapters.catalog.dataset_store import verdict_from_dict

    again = merge_verdict(URI, [], 4, [part(1, opaque)], entity_share=0.5)
    assert again.category_values_only
    assert verdict_from_dict(again.to_dict()) == again
    old = {k: v for k, v in again.to_dict().items() if k != "category_values_only"}
    assert not verdict_from_dict(old).category_values_only  # stored before: not known


def test_the_verdict_says_whether_most_partitions_had_their_names_contradicted() -> None:
    """As the review policy judges each object: two columns whose values contradict their
    names (e-mails under ``order_date``, names under ``sku``); a tie is not a majority."""

    def part(day: int, misnamed: bool) -> EnrichmentResult:
        names = ["order_date", "sku", "qty"] if misnamed else ["email", "buyer", "qty"]
        columns = [(n, "string", ["x"]) for n in names]
        found = {names[0]: [("EMAIL_ADDRESS", 0.9)], names[1]: [("PERSON", 0.9)]}
        return _result(f"dt=2025-01-0{day}/", columns, found, categories=[("orders", 0.9)])

    def contradicted(*results: EnrichmentResult) -> bool:
        merged = merge_verdict(URI, [], 4, list(results), entity_share=0.5)
        assert merged.category == "orders"
        return merged.category_names_contradicted

    assert contradicted(part(1, True), part(2, True), part(3, False))
    assert not contradicted(part(1, True), part(2, False))  # a tie
    assert not contradicted(part(1, False))
    from worker.adapters.catalog.dataset_store import verdict_from_dict

    again = merge_verdict(URI, [], 4, [part(1, True)], entity_share=0.5)
    assert again.category_names_contradicted
    assert verdict_from_dict(again.to_dict()) == again
    old = {k: v for k, v in again.to_dict().items() if k != "category_names_contradicted"}
    assert not verdict_from_dict(old).category_names_contradicted  # stored before: not known


def test_the_description_comes_from_the_most_representative_result() -> None:
    records = _four_partitions()
    results = [
        _result(
            "dt=2025-01-01/",
            [("other", "string", ["x"])],
            categories=[("orders", 0.9)],
            description="Parquet, 10 rows, 1 columns. Orders data.",
        ),
        _result(
            "dt=2025-01-02/",
            [("email", "string", [SECRETS[0]]), ("id", "int64", [1])],
            categories=[("customers", 0.8)],
            description="Parquet, 1,000 rows, 2 columns. Customers data.",
        ),
        _result(
            "dt=2025-01-03/",
            [("email", "string", [SECRETS[0]]), ("id", "int64", [1])],
            categories=[("customers", 0.7)],
            description=None,
        ),
    ]
    verdict = merge_verdict(URI, records, 40, results, entity_share=0.5)
    assert verdict.category == "customers"
    assert verdict.description == (
        "One of 40 partitions (4 sampled): Parquet, 1,000 rows, 2 columns. Customers data."
    )
    assert not any(secret in repr(verdict) for secret in SECRETS)
    assert merge_verdict(URI, records, 4, [], entity_share=0.5).description is None


def test_failed_results_and_unsampled_records_do_not_count() -> None:
    unsampled = PartitionRecord(URI, _partition("dt=2025-01-09/", 9), NOW)
    failed = EnrichmentResult(
        ObjectRef.parse("s3://lake/x"), ObjectStatus.FAILED, categories=(LabelScore("hr", 1.0),)
    )
    verdict = merge_verdict(URI, [*_four_partitions(), unsampled], 40, [failed], entity_share=0.5)
    assert verdict.partitions_sampled == 4
    assert verdict.category is None and verdict.category_confidence is None


def test_the_verdict_does_not_depend_on_the_order_of_records_or_results() -> None:
    records = _four_partitions()
    results = [
        _result(
            f"dt=2025-01-0{i}/",
            [("id", "int64", [i])],
            categories=[("a", 0.5), ("b", 0.5)],
            description=f"Parquet {i}.",
            modified=NOW - timedelta(days=i),
        )
        for i in range(1, 5)
    ]
    expected = merge_verdict(URI, records, 40, results, entity_share=0.5)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(records)
        rng.shuffle(results)
        assert merge_verdict(URI, records, 40, results, entity_share=0.5) == expected
    # Ties go to the name: "a" and "b" weigh the same.
    assert expected.category == "a"
    # The newest result describes the dataset when all else is equal.
    assert expected.description is not None and expected.description.endswith("Parquet 1.")
