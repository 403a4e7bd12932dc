"""One verdict per dataset, merged from its sampled partitions. Pure: no I/O.

A partition is sampled through one object (its largest data file); :func:`partition_record`
keeps what that sample showed (schema, row count, null shares, findings: never a value), and
:func:`merge_verdict` merges the records of every sampled partition into the dataset's
:class:`~models.datasets.DatasetVerdict`: an entity holds for a column when it was found in
at least ``entity_share`` of the sampled partitions that have the column.

"Newest" means the newest ``LastModified`` (partition key order breaks ties and stands in
when the store gave no time): a partition rewritten by the current pipeline has the current
schema even when its key is old.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from models import EnrichmentResult, ObjectStatus
from models.datasets import (
    ColumnVerdict,
    DatasetVerdict,
    PartitionInfo,
    PartitionRecord,
    SchemaColumn,
)

#: Shares and confidences are stored rounded: enough for a threshold, stable in JSON.
_DIGITS = 4
_NUMBER = re.compile(r"(\d+)")
#: Portable types a sampler gives a column it could not type (all nulls in the sample).
UNTYPED = frozenset({"null"})


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``hour=9`` before ``hour=10`` (digit runs compare as numbers)."""
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in _NUMBER.split(text) if p)


def _instant(moment: datetime | None) -> float:
    if moment is None:
        return float("-inf")
    # Naive times are UTC throughout the catalog.
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()


def time_order(info: PartitionInfo) -> tuple[float, tuple[tuple[int, int | str], ...]]:
    """Sort key of partitions, oldest first: newest ``LastModified``, then the key."""
    return (_instant(info.newest), natural_key(info.key))


def chronological(records: Iterable[PartitionRecord]) -> list[PartitionRecord]:
    """Records oldest first (:func:`time_order` of their partitions)."""
    return sorted(records, key=lambda r: time_order(r.info))


def sampled(records: Iterable[PartitionRecord]) -> list[PartitionRecord]:
    """The records whose sample gave a schema (a failed or skipped sample gives none)."""
    return [r for r in records if r.columns]


def is_all_null(record: PartitionRecord, column: SchemaColumn) -> bool:
    """Whether the record's sample of ``column`` held no value at all.

    Such a column's type says nothing: a text format types an all-null column ``string``,
    Parquet may type it ``null``.
    """
    return column.data_type in UNTYPED or record.null_shares.get(column.name, 0.0) >= 1.0


def _null_shares(result: EnrichmentResult) -> dict[str, float]:
    if result.sample is None:
        return {}
    shares: dict[str, float] = {}
    for column in result.sample.columns:
        if column.values:
            shares[column.name] = round(1.0 - column.non_null / len(column.values), _DIGITS)
    return shares


def _distinct_shares(result: EnrichmentResult) -> dict[str, float]:
    # Only the share leaves this function: the set of values is dropped here.
    if result.sample is None:
        return {}
    shares: dict[str, float] = {}
    for column in result.sample.columns:
        present = [v for v in column.values if v is not None and v != ""]
        if present:
            shares[column.name] = round(len(set(present)) / len(present), _DIGITS)
    return shares


def _row_count(partition: PartitionInfo, result: EnrichmentResult) -> int | None:
    sample = result.sample
    if sample is None or sample.row_count is None:
        return None
    size = result.info.size if result.info is not None else sample.info.size
    if partition.object_count > 1 and 0 < size < partition.total_bytes:
        # The sample object is one file of several: scale its rows by the partition's bytes,
        # so that rows stay comparable with bytes when a load is split into more files.
        return round(sample.row_count * partition.total_bytes / size)
    return sample.row_count


def partition_record(
    dataset_uri: str, partition: PartitionInfo, result: EnrichmentResult, now: datetime
) -> PartitionRecord:
    """What the sample of one partition showed, without any value.

    :param result: the enrichment of the partition's sample object; one that was not
        classified gives a record with no schema, rows or findings and ``sampled_at=None``
        (the partition was seen, not sampled).
    :param now: the time of the scan: ``sampled_at``, and ``first_seen`` (the store keeps
        the earlier ``first_seen`` of a known partition).
    :returns: the schema (result column types, in file order, nullable since a sample cannot
        prove otherwise), the row count (the sample object's, scaled by bytes when the
        partition has several objects; estimated for text formats), each column's null
        share and distinct share (distinct non-null values / non-null values) in the
        sample, and column → entity → the highest confidence found.
    """
    if result.status is not ObjectStatus.CLASSIFIED:
        return PartitionRecord(dataset_uri=dataset_uri, info=partition, first_seen=now)
    findings: dict[str, dict[str, float]] = {}
    for column in result.columns:
        for found in column.entities:
            entities = findings.setdefault(column.column, {})
            confidence = round(found.confidence, _DIGITS)
            entities[found.entity] = max(confidence, entities.get(found.entity, 0.0))
    return PartitionRecord(
        dataset_uri=dataset_uri,
        info=partition,
        first_seen=now,
        sampled_at=now,
        row_count=_row_count(partition, result),
        null_shares=_null_shares(result),
        findings=findings,
        columns=tuple(SchemaColumn(c.column, c.data_type) for c in result.columns),
        distinct_shares=_distinct_shares(result),
    )


def dataset_schema(records: Sequence[PartitionRecord]) -> tuple[SchemaColumn, ...]:
    """The dataset's schema: the union of the sampled partitions' columns.

    Columns come in the newest partition's order, then those only older partitions have
    (newest first). A column's type is the newest partition's in which the sample held a
    value (a column that is all null in the newest sample keeps its known type); it is
    nullable if any partition says so.
    """
    newest_first = chronological(sampled(records))[::-1]
    order: dict[str, None] = {}
    types: dict[str, str] = {}
    fallback: dict[str, str] = {}
    nullable: dict[str, bool] = {}
    for record in newest_first:
        for column in record.columns:
            order.setdefault(column.name, None)
            fallback.setdefault(column.name, column.data_type)
            if not is_all_null(record, column):
                types.setdefault(column.name, column.data_type)
            nullable[column.name] = nullable.get(column.name, False) or column.nullable
    return tuple(
        SchemaColumn(name, types.get(name, fallback[name]), nullable[name]) for name in order
    )


@dataclass(frozen=True, slots=True)
class _Category:
    label: str
    weight: float


def _category(results: Sequence[EnrichmentResult]) -> tuple[_Category | None, int]:
    """The label with the highest summed confidence over the results (ties: by name)."""
    weights: dict[str, float] = {}
    voters = 0
    for result in results:
        if not result.categories:
            continue
        voters += 1
        for score in result.categories:
            weights[score.label] = weights.get(score.label, 0.0) + score.confidence
    if not weights:
        return None, 0
    label = min(weights, key=lambda name: (-weights[name], name))
    return _Category(label, weights[label]), voters


def _words_agree(results: Sequence[EnrichmentResult], label: str) -> bool | None:
    """Whether most results whose top category is ``label`` had the words agree with it.

    ``None`` when none of them said (no business model, or words that say nothing); a tie
    is not a majority (the review policy's stricter threshold then applies).
    """
    said = [
        top.words_agree
        for r in results
        if r.categories and (top := r.categories[0]).label == label and top.words_agree is not None
    ]
    return 2 * sum(said) > len(said) if said else None


def _most(
    results: Sequence[EnrichmentResult], label: str, holds: Callable[[EnrichmentResult], object]
) -> bool:
    """Whether ``holds`` is true of most results whose top category is ``label``.

    Per partition as the review policy judges an object, so a dataset and its objects decide
    alike; a tie is not a majority.
    """
    said = [bool(holds(r)) for r in results if r.categories and r.categories[0].label == label]
    return 2 * sum(said) > len(said)


def _values_only(results: Sequence[EnrichmentResult], label: str) -> bool:
    """Whether most results whose top category is ``label`` read it from the values alone.

    :func:`from_values_alone`: at least half of the column names say nothing, row numbers
    left out.
    """
    from worker.core.review_policy import from_values_alone

    return _most(results, label, from_values_alone)


def _names_contradicted(results: Sequence[EnrichmentResult], label: str) -> bool:
    """Whether most results whose top category is ``label`` had their names contradicted.

    :func:`contradicted_names`: enough column names their values contradict.
    """
    from worker.core.review_policy import contradicted_names

    return _most(results, label, contradicted_names)


def _representative(
    results: Sequence[EnrichmentResult], category: str | None, columns: set[str]
) -> EnrichmentResult | None:
    """The result most like the dataset: same top category, most shared columns, newest."""

    def score(result: EnrichmentResult) -> tuple[bool, float, float, str]:
        names = {c.column for c in result.columns}
        union = names | columns
        overlap = len(names & columns) / len(union) if union else 0.0
        top = result.categories[0].label if result.categories else None
        modified = result.info.last_modified if result.info is not None else None
        # max() over this tuple: the URI last, so that equal candidates pick one stably.
        return (top == category, overlap, _instant(modified), result.ref.uri)

    described = [r for r in results if r.description]
    return max(described, key=score) if described else None


def merge_verdict(
    dataset_uri: str,
    records: Sequence[PartitionRecord],
    partitions_total: int,
    results: Sequence[EnrichmentResult],
    entity_share: float,
) -> DatasetVerdict:
    """Merge the sampled partitions' findings into one verdict for the dataset.

    Per column: each entity's share is the partitions where it was found over the sampled
    partitions that have the column; it holds for the dataset at ``entity_share`` or above.
    The category is the one the results agree on most (confidences summed; its confidence
    is that sum over the results that gave a category); the description is the most
    representative result's, introduced by the partition counts.

    :param records: every sampled partition known (records without a schema are ignored).
    :param partitions_total: partitions of the dataset, sampled or not.
    :param results: the enrichment results of the sample objects (only classified ones
        count), for the category and the description.
    :returns: a verdict whose columns follow :func:`dataset_schema`, entities by share then
        name; ``entities`` maps each holding entity (by name) to its columns (by name).
    """
    usable = sampled(records)
    schema = dataset_schema(usable)
    columns: list[ColumnVerdict] = []
    holds: dict[str, list[str]] = {}
    names = [({c.name for c in r.columns}, r) for r in usable]
    for column in schema:
        having = [r for columns_of, r in names if column.name in columns_of]
        counts: dict[str, int] = {}
        for record in having:
            for entity in record.findings.get(column.name, {}):
                counts[entity] = counts.get(entity, 0) + 1
        shares = sorted(
            ((entity, count / len(having)) for entity, count in counts.items()),
            key=lambda pair: (-pair[1], pair[0]),
        )
        for entity, count in counts.items():
            # Compare counts, not rounded shares: 2 of 4 holds at a 0.5 threshold.
            if count >= entity_share * len(having) - 1e-9:
                holds.setdefault(entity, []).append(column.name)
        columns.append(
            ColumnVerdict(
                column=column.name,
                data_type=column.data_type,
                entities=tuple((e, round(s, _DIGITS)) for e, s in shares),
                partitions=len(having),
            )
        )
    classified = [r for r in results if r.status is ObjectStatus.CLASSIFIED]
    category, voters = _category(classified)
    representative = _representative(
        classified, category.label if category else None, {c.name for c in schema}
    )
    description = None
    if representative is not None and representative.description:
        description = representative.description
        if partitions_total > 1:
            description = (
                f"One of {partitions_total:,} partitions ({len(usable)} sampled): {description}"
            )
    return DatasetVerdict(
        dataset_uri=dataset_uri,
        partitions_sampled=len(usable),
        partitions_total=max(partitions_total, len(usable)),
        columns=tuple(columns),
        category=category.label if category else None,
        category_confidence=round(min(category.weight / voters, 1.0), _DIGITS)
        if category
        else None,
        category_words_agree=_words_agree(classified, category.label) if category else None,
        category_values_only=_values_only(classified, category.label) if category else False,
        category_names_contradicted=(
            _names_contradicted(classified, category.label) if category else False
        ),
        description=description,
        entities=tuple((e, tuple(sorted(cols))) for e, cols in sorted(holds.items())),
    )
