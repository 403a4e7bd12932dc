"""Datasets as Atlan assets: the pure plan, and the writer through real pyatlan on the fake Atlan.

Scenarios: what a dataset should carry (names shared with the lineage writer, tags through the
objects' entity → tag mapping, stewards' decisions), first write with its objects linked, an
unchanged re-run (no mutating request), a changed verdict, an archived prefix restored, a
forbidden dataset failing alone, Atlan down, and no sampled value in any request.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models import ColumnSample
from models.datasets import (
    ColumnVerdict,
    DatasetRef,
    DatasetSummary,
    DatasetVerdict,
    GroupingRule,
    PartitionInfo,
    StoredDataset,
)
from models.lineage import Dataset
from models.review import Decision, SuggestionState
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan, FakeClock, RecordedRequest
from worker.adapters.atlan.datasets import AtlanDatasetWriter
from worker.adapters.atlan.lineage import AtlanLineageWriter
from worker.adapters.atlan.writer import AtlanCatalogWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.plan.dataset_desired import DesiredDataset, dataset_desired
from worker.core.plan.naming import S3Naming
from worker.core.settings import AtlanSettings, LineageSettings, Settings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client
atlan_clock = _atlan.atlan_clock

S3 = "default/s3/1700000000"
ATLAN = AtlanSettings(enabled=True, batch_size=20, connection_qualified_name=S3)
SETTINGS = Settings(atlan=ATLAN)
NOW = datetime(2026, 1, 2, tzinfo=UTC)
ORDERS_QN = f"{S3}/arn:aws:s3:::lake/exports/orders"
OBJECT_KEYS = [f"exports/orders/dt=2025-01-0{d}/part-0.csv" for d in (1, 2, 3)]


@pytest.fixture(autouse=True)
def _category_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A category apply threshold of 0.6: these tests are about the write, not the model's
    threshold (the bundled manifest's is tested in tests/unit/test_review_policy.py)."""
    monkeypatch.setattr("classifiers.business.model.category_apply_threshold", lambda *_: 0.6)


def _stored(
    root: str = "exports/orders/",
    *,
    entities: tuple[tuple[str, tuple[str, ...]], ...] = (("EMAIL_ADDRESS", ("email",)),),
    description: str | None = "Customer orders, one row per order.",
    category: str | None = "sales",
    confidence: float | None = 0.82,
    extra_columns: tuple[ColumnVerdict, ...] = (),
    verdict: bool = True,
) -> StoredDataset:
    ref = DatasetRef("lake", root)
    partitions = tuple(
        PartitionInfo(f"dt=2025-01-0{d}/", (("dt", f"2025-01-0{d}"),), 1, 100) for d in (1, 2, 3)
    )
    summary = DatasetSummary(
        ref,
        GroupingRule.HIVE,
        "hive partitions dt",
        object_count=3,
        partition_columns=("dt",),
        partitions=partitions,
        formats=(("csv", 3),),
    )
    shares = {e: cols for e, cols in entities}
    columns = (
        ColumnVerdict(
            "email",
            "string",
            (("EMAIL_ADDRESS", 1.0),) if "EMAIL_ADDRESS" in shares else (),
            2,
        ),
        ColumnVerdict("order_id", "int64", (), 2),
        *extra_columns,
    )
    v = DatasetVerdict(
        ref.uri,
        partitions_sampled=2,
        partitions_total=3,
        columns=columns,
        category=category,
        category_confidence=confidence,
        description=description,
        entities=entities,
    )
    return StoredDataset(
        summary,
        partition_count=3,
        first_seen=NOW,
        last_seen=NOW,
        last_scanned=NOW,
        verdict=v if verdict else None,
    )


def _desired(stored: StoredDataset | None = None, settings: Settings = SETTINGS) -> DesiredDataset:
    found = dataset_desired(stored or _stored(), settings, now=NOW)
    assert found is not None
    return found


# -- the plan (pure) -----------------------------------------------------------------------------


def test_a_folder_dataset_is_the_s3_prefix_the_lineage_writer_names() -> None:
    d = _desired()
    assert (d.type_name, d.qualified_name, d.name) == ("S3Prefix", ORDERS_QN, "orders")
    lineage = AtlanLineageWriter(ATLAN, LineageSettings(), lambda: S3)
    assert lineage.qualified_name(Dataset.s3("lake", "exports/orders/")) == ("S3Prefix", ORDERS_QN)
    assert d.description == (
        "Customer orders, one row per order.\n"
        "3 objects in 3 partitions (rule: hive: hive partitions dt)"
    )
    assert d.tags == frozenset({"PII", "PII Email"})
    cm = d.custom_metadata
    assert cm["PII entities"] == ["EMAIL_ADDRESS"]
    assert cm["Column findings"] == ["email → EMAIL_ADDRESS in 100% of 2 sampled partition(s)"]
    assert cm["Schema"] == ["email: string", "order_id: int64"]
    assert cm["Category"] == "sales 0.82" and cm["Format"] == "csv"
    assert cm["Review state"] == "applied"
    # The hash ignores the timestamp: the same dataset later is the same write.
    later = dataset_desired(_stored(), SETTINGS, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert later is not None and later.attributes_hash == d.attributes_hash
    assert later.custom_metadata["Results updated at"] != cm["Results updated at"]
    changed = _desired(_stored(description="Orders."))
    assert changed.attributes_hash != d.attributes_hash


def test_tags_follow_the_objects_mapping_policy_and_decisions() -> None:
    custom = Settings(
        atlan=AtlanSettings(
            connection_qualified_name=S3, tags={"EMAIL_ADDRESS": "Contact e-mail"}, umbrella_tag=""
        )
    )
    assert _desired(settings=custom).tags == frozenset({"Contact e-mail"})
    suggest = Settings(atlan=ATLAN.model_copy(update={"write_policy": "suggest"}))
    quiet = _desired(settings=suggest)
    assert quiet.tags == frozenset() and quiet.custom_metadata["Review state"] == "pending review"
    # A sure category waits for a steward under suggest, as the objects' does.
    assert quiet.custom_metadata["Category"] == "sales 0.82 (suggested)"
    assert _desired().custom_metadata["Category"] == "sales 0.82"
    no = Decision("tag", "PII Email", "email", SuggestionState.REJECTED, None)
    yes = Decision("category", "sales", None, SuggestionState.APPROVED, None)
    rejected = {("tag", "PII Email", "email"): no, ("category", "sales", None): yes}
    decided = dataset_desired(_stored(), SETTINGS, rejected, now=NOW)
    assert decided is not None and decided.tags == frozenset()
    assert decided.custom_metadata["PII entities"] == []
    assert decided.custom_metadata["Category"] == "sales 0.82 (confirmed by a steward)"
    weak = _desired(_stored(confidence=0.4))
    assert weak.custom_metadata["Category"] == "sales 0.40 (suggested)"


def test_a_datasets_category_takes_the_threshold_its_partitions_words_earned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Most partitions' words agreeing: the lower threshold, as for each object; else (or
    not known, e.g. a verdict stored before) the stricter one."""

    def thresholds(version: object = None, words_agree: bool | None = None) -> float:
        return 0.7 if words_agree else 0.85

    monkeypatch.setattr("classifiers.business.model.category_apply_threshold", thresholds)

    def category(agree: bool | None) -> str:
        stored = _stored(confidence=0.8)
        assert stored.verdict is not None
        verdict = replace(stored.verdict, category_words_agree=agree)
        return str(_desired(replace(stored, verdict=verdict)).custom_metadata["Category"])

    assert category(True) == "sales 0.80"
    assert category(False) == category(None) == "sales 0.80 (suggested)"
    # Read from the values alone by most partitions: suggested, however sure.
    stored = _stored(confidence=0.99)
    assert stored.verdict is not None
    verdict = replace(stored.verdict, category_words_agree=True, category_values_only=True)
    assert str(_desired(replace(stored, verdict=verdict)).custom_metadata["Category"]) == (
        "sales 0.99 (suggested)"
    )
    # Names the values contradicted in most partitions: suggested too.
    verdict = replace(stored.verdict, category_words_agree=True, category_names_contradicted=True)
    assert str(_desired(replace(stored, verdict=verdict)).custom_metadata["Category"]) == (
        "sales 0.99 (suggested)"
    )


def test_which_datasets_get_an_asset_of_their_own() -> None:
    off = Settings(atlan=ATLAN.model_copy(update={"write_policy": "off"}))
    assert dataset_desired(_stored(), off) is None
    assert dataset_desired(_stored(verdict=False), SETTINGS) is None
    # A dataset of one object is its S3Object: the object writer already enriches it.
    assert dataset_desired(_stored("exports/orders.csv"), SETTINGS) is None
    local = StoredDataset(
        DatasetSummary(DatasetRef("", "/srv/data/orders/"), GroupingRule.HIVE, "hive"),
        partition_count=1,
        first_seen=NOW,
        last_seen=NOW,
        verdict=_stored().verdict,
    )
    assert dataset_desired(local, SETTINGS) is None  # a local dataset has no Atlan asset
    root = _desired(_stored(""))
    assert (root.type_name, root.qualified_name) == ("S3Bucket", f"{S3}/arn:aws:s3:::lake")
    # Without a configured connection the writer names the asset (same S3Naming).
    unnamed = Settings(atlan=AtlanSettings())
    assert _desired(settings=unnamed).qualified_name is None
    named = dataset_desired(_stored(), unnamed, naming=S3Naming(S3, "path"), now=NOW)
    assert named is not None and named.qualified_name == f"{S3}/lake/exports/orders"


# -- the writer on the fake Atlan --------------------------------------------------------------


@pytest.fixture
def objects(atlan_client: Any, atlan_clock: FakeClock, tmp_path: Path) -> AtlanCatalogWriter:
    """The object writer, initialised (tags, custom metadata, connection), with the dataset's
    three objects written."""
    atlan_server_settings = ATLAN.model_copy(update={"connection_qualified_name": None})
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    w = AtlanCatalogWriter(
        atlan_server_settings, state, client=atlan_client, clock=atlan_clock.datetime
    )
    w.init()
    report = w.write([_atlan.desired(k, atlan_server_settings) for k in OBJECT_KEYS])
    assert report.error is None and report.created == 3
    return w


def _writer(
    objects: AtlanCatalogWriter, client: Any, clock: FakeClock, **settings: Any
) -> AtlanDatasetWriter:
    return AtlanDatasetWriter(
        objects.settings.model_copy(update=settings),
        objects.connection_qualified_name,
        objects.state,
        client=client,
        clock=clock.datetime,
    )


@pytest.fixture
def writer(
    objects: AtlanCatalogWriter, atlan_client: Any, atlan_clock: FakeClock
) -> AtlanDatasetWriter:
    return _writer(objects, atlan_client, atlan_clock)


def _for(writer: AtlanDatasetWriter, stored: StoredDataset | None = None) -> DesiredDataset:
    """The desired dataset as the scan plans it: without a configured connection."""
    found = dataset_desired(
        stored or _stored(), Settings(atlan=writer.settings), now=NOW, naming=writer.naming()
    )
    assert found is not None
    return found


def _refs(entity: dict[str, Any], name: str) -> list[str]:
    value = entity["attributes"].get(name) or []
    refs = value if isinstance(value, list) else [value]
    return sorted(r["uniqueAttributes"]["qualifiedName"] for r in refs)


def _since(server: FakeAtlan, mark: int) -> list[RecordedRequest]:
    return server.mutating_requests()[mark:]


def test_create_links_objects_and_an_unchanged_rerun_sends_nothing(
    writer: AtlanDatasetWriter, objects: AtlanCatalogWriter, atlan_server: FakeAtlan
) -> None:
    mark = len(atlan_server.mutating_requests())
    desired = _for(writer)
    qn = str(desired.qualified_name)
    report = writer.write([desired])
    assert report.error is None and report.failed == {}, report
    assert (report.created, report.linked, report.tags_added) == (1, 3, 2)
    # Asset (with custom metadata), tags, then the links: three bulk requests.
    assert report.requests == 3 == len(_since(atlan_server, mark))
    prefix = atlan_server.entity("S3Prefix", qn)
    assert prefix is not None and prefix["status"] == "ACTIVE"
    attrs = prefix["attributes"]
    assert attrs["name"] == "orders" and attrs["connectorName"] == "s3"
    assert attrs["s3BucketName"] == "lake" and attrs["awsArn"] == "arn:aws:s3:::lake/exports/orders"
    assert attrs["description"] == desired.description and "userDescription" not in attrs
    assert _refs(prefix, "s3Bucket") == [objects.naming().bucket("lake")]
    assert _refs(prefix, "s3Objects") == sorted(
        objects.object_qualified_name("lake", k) for k in OBJECT_KEYS
    )
    assert atlan_server.tag_names("S3Prefix", qn) == ["PII", "PII Email"]
    cm = atlan_server.custom_metadata("S3Prefix", qn, "s3-enricher")
    assert cm["PII entities"] == ["EMAIL_ADDRESS"] and cm["Category"] == "sales 0.82"
    assert writer.qualified_name_of("s3://lake/exports/orders/") == qn
    assert writer.qualified_name_of(f"s3://lake/{OBJECT_KEYS[0]}") == objects.object_qualified_name(
        "lake", OBJECT_KEYS[0]
    )
    assert writer.qualified_name_of("s3://lake/exports/unknown/") is None
    assert writer.qualified_name_of("file:///srv/data/") is None

    mark = len(atlan_server.mutating_requests())
    again = writer.write([_for(writer)])
    assert again.failed == {} and again.unchanged == 1 and again.linked == 0
    assert again.requests == 0 and _since(atlan_server, mark) == []
    # The links were sent once: each object once in s3Objects.
    prefix = atlan_server.entity("S3Prefix", qn)
    assert prefix is not None and len(prefix["attributes"]["s3Objects"]) == 3


def test_a_changed_verdict_updates_description_and_tags(
    objects: AtlanCatalogWriter,
    atlan_client: Any,
    atlan_clock: FakeClock,
    atlan_server: FakeAtlan,
) -> None:
    writer = _writer(objects, atlan_client, atlan_clock)
    writer.write([_for(writer)])
    qn = ORDERS_QN.replace(S3, objects.connection_qualified_name())
    atlan_clock.advance(10)
    phone = ColumnVerdict("phone", "string", (("PHONE_NUMBER", 1.0),), 2)
    changed = _stored(
        entities=(("PHONE_NUMBER", ("phone",)),),
        description="Orders with contact phones.",
        extra_columns=(phone,),
    )
    mark = len(atlan_server.mutating_requests())
    report = writer.write([_for(writer, changed)])
    assert report.failed == {} and report.updated == 1 and report.tags_added == 1
    assert len(_since(atlan_server, mark)) == 2  # the asset, then its tags
    attrs = atlan_server.entity("S3Prefix", qn)["attributes"]  # type: ignore[index]
    assert attrs["description"].startswith("Orders with contact phones.\n3 objects")
    # Tags are appended; the e-mail tag s3-enricher no longer supports stays (auto_remove off).
    assert atlan_server.tag_names("S3Prefix", qn) == ["PII", "PII Email", "PII Phone"]
    assert any("'PII Email'" in n for n in report.notes)
    cm = atlan_server.custom_metadata("S3Prefix", qn, "s3-enricher")
    assert cm["PII entities"] == ["PHONE_NUMBER"]

    atlan_clock.advance(10)
    removing = _writer(objects, atlan_client, atlan_clock, auto_remove=True)
    report = removing.write([_for(removing, changed)])
    assert report.failed == {} and report.tags_removed == 1
    assert atlan_server.tag_names("S3Prefix", qn) == ["PII", "PII Phone"]


def test_an_archived_prefix_is_restored_not_duplicated(
    writer: AtlanDatasetWriter, atlan_server: FakeAtlan, atlan_clock: FakeClock
) -> None:
    writer.write([_for(writer)])
    qn = str(_for(writer).qualified_name)
    atlan_clock.advance(10)
    atlan_server.archive("S3Prefix", qn)
    assert atlan_server.tag_names("S3Prefix", qn) == []  # archiving dropped the tags
    atlan_clock.advance(_atlan.SEARCH_LAG_S + writer.settings.search_lag_s + 1)

    report = writer.write([_for(writer)])
    assert report.failed == {} and report.restored == 1 and report.created == 0
    prefix = atlan_server.entity("S3Prefix", qn)
    assert prefix is not None and prefix["status"] == "ACTIVE"
    assert atlan_server.tag_names("S3Prefix", qn) == ["PII", "PII Email"]
    assert [e["attributes"]["qualifiedName"] for e in atlan_server.entities("S3Prefix")] == [qn]


def test_a_forbidden_dataset_fails_alone(
    objects: AtlanCatalogWriter, atlan_server: FakeAtlan, atlan_clock: FakeClock
) -> None:
    from tests.support.atlan_server import READ

    conn = objects.connection_qualified_name()
    orders_qn = ORDERS_QN.replace(S3, conn)
    atlan_server.add_token("datasets-key")
    atlan_server.grant("datasets-key", conn, READ)
    atlan_server.grant("datasets-key", orders_qn)  # everything on the orders prefix only
    client = _atlan.make_atlan_client(atlan_server, api_key="datasets-key")
    try:
        writer = _writer(objects, client, atlan_clock)
        report = writer.write([_for(writer), _for(writer, _stored("exports/customers/"))])
        assert report.error is None and report.created == 1
        assert list(report.failed) == ["s3://lake/exports/customers/"]
        reason = report.failed["s3://lake/exports/customers/"]
        assert "403" in reason and "'Create'" in reason
        assert atlan_server.entity("S3Prefix", orders_qn) is not None
        assert (
            atlan_server.entity("S3Prefix", f"{conn}/arn:aws:s3:::lake/exports/customers") is None
        )
        assert writer.qualified_name_of("s3://lake/exports/customers/") is None
    finally:
        _atlan.close_atlan_client(client)


def test_atlan_down_stops_the_write_and_the_next_run_finishes_it(
    writer: AtlanDatasetWriter, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(503, times=50, path_contains="entity/bulk")
    report = writer.write([_for(writer)])
    assert report.error is not None and "unavailable" in report.error
    assert report.failed == {"s3://lake/exports/orders/": report.error}
    assert writer.qualified_name_of("s3://lake/exports/orders/") is None
    atlan_server.reset_faults()
    again = writer.write([_for(writer)])
    assert again.failed == {} and again.created == 1 and again.linked == 3


def test_no_sampled_value_reaches_atlan(
    writer: AtlanDatasetWriter, atlan_server: FakeAtlan
) -> None:
    # What the scan sampled: the values stay in the process; only the column's name and
    # type, and the entity found in it, make up the verdict.
    sample = ColumnSample(
        "zq_contact_mail", "string", ("zq.secret.person@example.org", "zq-4111111111111111")
    )
    column = ColumnVerdict(sample.name, sample.data_type, (("EMAIL_ADDRESS", 1.0),), 2)
    stored = _stored(entities=(("EMAIL_ADDRESS", (sample.name,)),), extra_columns=(column,))
    mark = len(atlan_server.mutating_requests())
    report = writer.write([_for(writer, stored)])
    assert report.failed == {} and report.created == 1
    bodies = "\n".join(json.dumps(r.body) for r in _since(atlan_server, mark))
    assert sample.name in bodies  # the column name is schema, and it is there
    for value in sample.values:
        assert str(value) not in bodies
        assert "zq.secret" not in bodies and "4111111111111111" not in bodies


def test_a_bucket_root_dataset_enriches_the_bucket_itself(
    writer: AtlanDatasetWriter, objects: AtlanCatalogWriter, atlan_server: FakeAtlan
) -> None:
    bucket_qn = objects.naming().bucket("lake")
    report = writer.write([_for(writer, _stored(""))])
    assert report.failed == {} and (report.updated, report.created, report.linked) == (1, 0, 0)
    assert [e["attributes"]["qualifiedName"] for e in atlan_server.entities("S3Bucket")] == [
        bucket_qn
    ]
    bucket = atlan_server.entity("S3Bucket", bucket_qn)
    assert bucket is not None and bucket["attributes"]["description"].endswith(
        "(rule: hive: hive partitions dt)"
    )
    assert atlan_server.tag_names("S3Bucket", bucket_qn) == ["PII", "PII Email"]
    assert atlan_server.custom_metadata("S3Bucket", bucket_qn, "s3-enricher")["Format"] == "csv"
    assert writer.qualified_name_of("s3://lake/") == bucket_qn
    # The object writer still knows its bucket (the record is shared), and nothing is resent.
    assert objects.state.written_by_uri(["s3://lake"])["s3://lake"].qualified_name == bucket_qn
    mark = len(atlan_server.mutating_requests())
    assert writer.write([_for(writer, _stored(""))]).unchanged == 1
    assert _since(atlan_server, mark) == []
