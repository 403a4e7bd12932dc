"""The fake Atlan server, driven through real pyatlan 11.6 (serialisation, retries, errors).

These tests pin both the fake's behaviour and the pyatlan behaviour s3-enricher relies on;
the assertions look at the server's state, not only at what pyatlan returned.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from pyatlan.errors import (
    AtlanError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    RateLimitError,
)
from pyatlan.model.assets import Asset, Connection, Process, S3Bucket, S3Object, Table
from pyatlan.model.core import AtlanTag, AtlanTagName
from pyatlan.model.enums import (
    AtlanConnectorType,
    AtlanCustomAttributePrimitiveType,
    AtlanTagColor,
    CertificateStatus,
)
from pyatlan.model.fields.atlan_fields import CustomMetadataField
from pyatlan.model.fluent_search import CompoundQuery, FluentSearch
from pyatlan.model.typedef import AtlanTagDef, AttributeDef, CustomMetadataDef

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client

CONN_QN = "default/s3/1700000000"
BUCKET = "raw-bucket"
BUCKET_QN = f"{CONN_QN}/{BUCKET}"


def _object(name: str, prefix: str = "exports/2024", **attrs: Any) -> S3Object:
    obj = S3Object.creator_with_prefix(
        name=name,
        connection_qualified_name=CONN_QN,
        prefix=prefix,
        s3_bucket_name=BUCKET,
        s3_bucket_qualified_name=BUCKET_QN,
    )
    for key, value in attrs.items():
        setattr(obj, key, value)
    return obj


def _bucket() -> S3Bucket:
    return S3Bucket.creator(name=BUCKET, connection_qualified_name=CONN_QN)


def _tag(name: str) -> AtlanTag:
    return AtlanTag(type_name=AtlanTagName(name), propagate=True)  # type: ignore[call-arg]


def _qn(asset: Asset) -> str:
    """An asset's qualified name (pyatlan types it as optional)."""
    assert asset.qualified_name is not None
    return asset.qualified_name


def _stored(server: FakeAtlan, type_name: str, qualified_name: str) -> dict[str, Any]:
    """The server's copy of an entity, which must exist."""
    found = server.entity(type_name, qualified_name)
    assert found is not None, f"{type_name} {qualified_name} not stored"
    return found


def _seed_objects(client: AtlanClient, *names: str) -> list[str]:
    """Save a bucket and objects; returns the objects' qualified names."""
    objects = [_object(n, s3_object_size=100) for n in names]
    client.asset.save([_bucket(), *objects])
    return [_qn(o) for o in objects]


# --------------------------------------------------------------------- typedefs


def test_tag_definition_is_created_with_a_hashed_id(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    assert atlan_client.atlan_tag_cache.get_id_for_name("PII") is None

    atlan_client.typedef.create(AtlanTagDef.create(name="PII", color=AtlanTagColor.RED))

    assert atlan_server.typedef_names("CLASSIFICATION") == ["PII"]
    tag_id = atlan_client.atlan_tag_cache.get_id_for_name("PII")
    assert tag_id and tag_id != "PII"
    assert atlan_server.typedef_names("STRUCT") == ["SourceTagAttachment"]


def test_concurrent_tag_creation_one_worker_gets_conflict(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    other = _atlan.make_atlan_client(atlan_server)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def create(client: AtlanClient) -> None:
        barrier.wait()
        try:
            client.typedef.create(AtlanTagDef.create(name="EMAIL_ADDRESS"))
            outcomes.append("created")
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            outcomes.append(err)

    threads = [threading.Thread(target=create, args=(c,)) for c in (atlan_client, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    _atlan.close_atlan_client(other)

    assert outcomes.count("created") == 1
    (error,) = [o for o in outcomes if o != "created"]
    assert isinstance(error, ConflictError)
    assert atlan_server.typedef_names("CLASSIFICATION") == ["EMAIL_ADDRESS"]
    # The loser refreshes its cache and carries on with the winner's definition.
    atlan_client.atlan_tag_cache.refresh_cache()
    assert atlan_client.atlan_tag_cache.get_id_for_name("EMAIL_ADDRESS")


def _create_scan_set(client: AtlanClient) -> None:
    types = AtlanCustomAttributePrimitiveType
    cm = CustomMetadataDef.create(display_name="Data Scan")
    cm.attribute_defs = [
        AttributeDef.create(
            client=client, display_name="PII Types", attribute_type=types.STRING, multi_valued=True
        ),
        AttributeDef.create(client=client, display_name="Scanned At", attribute_type=types.DATE),
        AttributeDef.create(client=client, display_name="Row Count", attribute_type=types.INTEGER),
    ]
    client.typedef.create(cm)


def test_custom_metadata_set_and_merging_writes(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    _create_scan_set(atlan_client)
    assert atlan_server.typedef_names("BUSINESS_METADATA") == ["Data Scan"]
    (qn,) = _seed_objects(atlan_client, "customers.csv")

    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    cma = update.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["PII Types"] = ["EMAIL_ADDRESS"]
    cma["Row Count"] = 42
    update.set_custom_metadata(client=atlan_client, custom_metadata=cma)
    atlan_client.asset.save_merging_cm([update])

    expected = {"PII Types": ["EMAIL_ADDRESS"], "Row Count": 42}
    assert atlan_server.custom_metadata("S3Object", qn, "Data Scan") == expected
    bulk = atlan_server.mutating_requests()[-1]
    assert bulk.query["replaceBusinessAttributes"] == "true"
    assert bulk.query["overwriteBusinessAttributes"] == "false"

    # A merge of one attribute leaves the others alone.
    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    cma = update.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["Scanned At"] = 1700000000000
    update.set_custom_metadata(client=atlan_client, custom_metadata=cma)
    atlan_client.asset.save_merging_cm([update])
    expected["Scanned At"] = 1700000000000
    assert atlan_server.custom_metadata("S3Object", qn, "Data Scan") == expected

    # Plain save() ignores custom metadata (replaceBusinessAttributes=false).
    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    cma = update.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["Row Count"] = 7
    update.set_custom_metadata(client=atlan_client, custom_metadata=cma)
    atlan_client.asset.save([update])
    assert atlan_server.custom_metadata("S3Object", qn, "Data Scan")["Row Count"] == 42

    # Readable back through pyatlan (display names, via the CM cache)...
    asset = atlan_client.asset.get_by_qualified_name(qualified_name=qn, asset_type=S3Object)
    assert asset.get_custom_metadata(client=atlan_client, name="Data Scan")["Row Count"] == 42
    # ... and writable per asset by guid (POST entity/guid/{g}/businessmetadata/{id} -> 204).
    cma = asset.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["Row Count"] = 43
    atlan_client.asset.update_custom_metadata_attributes(guid=asset.guid, custom_metadata=cma)
    assert atlan_server.custom_metadata("S3Object", qn, "Data Scan")["Row Count"] == 43


# --------------------------------------------------------------------- assets


def test_connection_lookup_and_creation(atlan_client: AtlanClient, atlan_server: FakeAtlan) -> None:
    with pytest.raises(NotFoundError):
        atlan_client.asset.find_connections_by_name(
            name="pii-scanner-s3", connector_type=AtlanConnectorType.S3
        )
    admin = atlan_client.role_cache.get_id_for_name("$admin")
    assert admin == atlan_server.role_ids["$admin"]
    conn = Connection.creator(
        client=atlan_client,
        name="pii-scanner-s3",
        connector_type=AtlanConnectorType.S3,
        admin_roles=[admin],
    )
    response = atlan_client.asset.save(conn)

    (created,) = response.assets_created(Connection)
    stored = atlan_server.entity("Connection", _qn(created))
    assert stored and stored["guid"] == created.guid
    # save() of a new Connection waits until it can read it back by guid.
    assert atlan_server.requests[-1].path == f"/api/meta/entity/guid/{created.guid}"
    found = atlan_client.asset.find_connections_by_name(
        name="pii-scanner-s3", connector_type=AtlanConnectorType.S3
    )
    assert [c.qualified_name for c in found] == [created.qualified_name]


def test_bulk_save_creates_then_updates_and_merges_attributes(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    bucket = _bucket()
    obj = _object("customers.csv", s3_object_size=1234, description="by the scanner")
    response = atlan_client.asset.save([bucket, obj])

    assert len(response.assets_created(S3Object)) == 1
    assert len(response.assets_created(S3Bucket)) == 1
    stored = atlan_server.entity("S3Object", _qn(obj))
    assert stored is not None
    assert (response.guid_assignments or {})[obj.guid] == stored["guid"]
    assert stored["attributes"]["s3ObjectSize"] == 1234
    assert stored["attributes"]["s3ObjectKey"] == "exports/2024/customers.csv"
    bucket_guid = _stored(atlan_server, "S3Bucket", BUCKET_QN)["guid"]
    assert stored["attributes"]["bucket"]["guid"] == bucket_guid

    # An unchanged upsert changes nothing: Atlas leaves it out of mutatedEntities (but
    # still assigns its guid), and its updateTime stays.
    unchanged = _object("customers.csv", s3_object_size=1234, description="by the scanner")
    again = atlan_client.asset.save([unchanged])
    assert not again.assets_updated(S3Object) and not again.assets_created(S3Object)
    assert (again.guid_assignments or {})[unchanged.guid] == stored["guid"]
    assert _stored(atlan_server, "S3Object", _qn(obj))["updateTime"] == stored["updateTime"]
    changed = atlan_client.asset.save([_object("customers.csv", s3_object_size=99)])
    assert [a.guid for a in changed.assets_updated(S3Object)] == [stored["guid"]]

    # Only sent attributes change; an explicit None clears.
    update = S3Object.updater(qualified_name=obj.qualified_name, name="customers.csv")
    update.user_description = None
    update.s3_e_tag = "abc"
    atlan_client.asset.save([update])
    attrs = _stored(atlan_server, "S3Object", _qn(obj))["attributes"]
    assert attrs["s3ObjectSize"] == 99 and attrs["s3ETag"] == "abc"
    assert attrs["description"] == "by the scanner" and "userDescription" not in attrs

    # Partial update by unique attribute (PUT), e.g. the certificate helper.
    atlan_client.asset.update_certificate(
        asset_type=S3Object,
        qualified_name=_qn(obj),
        name="customers.csv",
        certificate_status=CertificateStatus.DRAFT,
    )
    attrs = _stored(atlan_server, "S3Object", _qn(obj))["attributes"]
    assert attrs["certificateStatus"] == "DRAFT"


def test_bulk_request_with_a_missing_reference_changes_nothing(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    pg_table = "default/postgres/1690000000/appdb/public/customers"
    obj = _object("customers.csv")
    process = Process.creator(
        name="customers -> s3",
        connection_qualified_name=CONN_QN,
        process_id="pg2s3/1",
        inputs=[Table.ref_by_qualified_name(pg_table)],
        outputs=[S3Object.ref_by_qualified_name(_qn(obj))],
    )

    with pytest.raises(NotFoundError):
        atlan_client.asset.save([_bucket(), obj, process])
    assert atlan_server.entities() == []

    atlan_server.add_entity("Table", pg_table)
    atlan_client.asset.save([_bucket(), obj, process])
    stored = atlan_server.entity("Process", process.qualified_name)
    assert stored and stored["attributes"]["inputs"][0]["uniqueAttributes"] == {
        "qualifiedName": pg_table
    }


# --------------------------------------------------------------------- tags


def test_append_tags_leave_a_persons_tag_alone(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    for name in ("PII", "EMAIL_ADDRESS", "Reviewed"):
        atlan_client.typedef.create(AtlanTagDef.create(name=name))
    (qn,) = _seed_objects(atlan_client, "customers.csv")
    atlan_server.add_tag("S3Object", qn, "Reviewed")  # a person, in the UI

    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    update.add_or_update_classifications = [_tag("PII"), _tag("EMAIL_ADDRESS")]
    atlan_client.asset.save([update], append_atlan_tags=True)

    assert atlan_server.tag_names("S3Object", qn) == ["EMAIL_ADDRESS", "PII", "Reviewed"]
    bulk = atlan_server.mutating_requests()[-1]
    assert bulk.query["appendTags"] == "true" and bulk.query["replaceTags"] == "false"
    sent = bulk.body["entities"][0]["addOrUpdateClassifications"][0]["typeName"]
    assert sent == atlan_client.atlan_tag_cache.get_id_for_name("PII")  # hashed on the wire
    stored = atlan_server.entity("S3Object", qn)
    assert stored and all(c["propagate"] for c in stored["classifications"][1:])

    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    update.remove_classifications = [
        AtlanTag(type_name=AtlanTagName("EMAIL_ADDRESS"))  # type: ignore[call-arg]
    ]
    atlan_client.asset.save([update], append_atlan_tags=True)
    assert atlan_server.tag_names("S3Object", qn) == ["PII", "Reviewed"]

    # Without a tag flag, tags in the payload are ignored.
    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    update.atlan_tags = [_tag("EMAIL_ADDRESS")]
    atlan_client.asset.save([update])
    assert atlan_server.tag_names("S3Object", qn) == ["PII", "Reviewed"]

    # Read side: hashed ids come back as names.
    asset = atlan_client.asset.get_by_qualified_name(qualified_name=qn, asset_type=S3Object)
    assert sorted(asset.atlan_tag_names) == ["PII", "Reviewed"]


def test_replace_tags_would_remove_a_persons_tag(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    """Why s3-enricher never uses replace_atlan_tags: the fake mirrors Atlas here."""
    for name in ("PII", "Reviewed"):
        atlan_client.typedef.create(AtlanTagDef.create(name=name))
    (qn,) = _seed_objects(atlan_client, "customers.csv")
    atlan_server.add_tag("S3Object", qn, "Reviewed")
    atlan_server.add_tag("S3Object", qn, "PII", propagated_from="upstream-guid")

    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    update.atlan_tags = [_tag("PII")]
    atlan_client.asset.save([update], replace_atlan_tags=True)

    assert atlan_server.tag_names("S3Object", qn) == ["PII"]
    stored = atlan_server.entity("S3Object", qn)
    assert stored and len(stored["classifications"]) == 2  # the propagated one stays


# --------------------------------------------------------------------- search


def test_fluent_search_pages_through_all_results(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    names = [f"part-{i:03d}.parquet" for i in range(120)]
    objects: list[Asset] = [_object(n, s3_object_size=i) for i, n in enumerate(names)]
    atlan_client.asset.save([_bucket()])
    for start in range(0, len(objects), 40):
        atlan_client.asset.save(objects[start : start + 40])
    atlan_server.add_entity("S3Object", "default/s3/other/bucket/x.csv")

    search = (
        FluentSearch()
        .where(CompoundQuery.active_assets())
        .where(CompoundQuery.asset_type(S3Object))
        .where(S3Object.QUALIFIED_NAME.startswith(BUCKET_QN + "/"))
        .include_on_results(S3Object.S3OBJECT_SIZE)
        .page_size(50)
    )
    results = list(search.execute(client=atlan_client))

    assert sorted(r.name for r in results) == names
    assert {r.s3_object_size for r in results} == set(range(120))
    pages = [r.body["dsl"]["from"] for r in atlan_server.requests if r.path.endswith("indexsearch")]
    assert pages[:3] == [0, 50, 100]

    wanted = [f"{BUCKET_QN}/exports/2024/{n}" for n in names[:3]]
    by_qn = FluentSearch().where(S3Object.QUALIFIED_NAME.within(wanted)).page_size(50)
    assert sorted(_qn(a) for a in by_qn.execute(client=atlan_client)) == wanted


def test_search_returns_tags_and_only_requested_custom_metadata(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    _create_scan_set(atlan_client)
    atlan_server.define_tag("PII")
    (qn,) = _seed_objects(atlan_client, "customers.csv")
    atlan_server.add_tag("S3Object", qn, "PII")
    update = S3Object.updater(qualified_name=qn, name="customers.csv")
    cma = update.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["Row Count"] = 5
    update.set_custom_metadata(client=atlan_client, custom_metadata=cma)
    atlan_client.asset.save_merging_cm([update])

    search = (
        FluentSearch().where(S3Object.QUALIFIED_NAME.eq(qn)).include_on_results(S3Object.ATLAN_TAGS)
    )
    (plain,) = search.execute(client=atlan_client)
    assert plain.atlan_tag_names == ["PII"]
    assert plain.get_custom_metadata(client=atlan_client, name="Data Scan")["Row Count"] is None

    field = CustomMetadataField(atlan_client, "Data Scan", "Row Count")
    (with_cm,) = search.include_on_results(field).execute(client=atlan_client)
    assert with_cm.get_custom_metadata(client=atlan_client, name="Data Scan")["Row Count"] == 5


# --------------------------------------------------------------------- faults


def test_429_with_retry_after_then_success(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(429, retry_after=1, path_contains="/entity/bulk")
    started = time.monotonic()
    atlan_client.asset.save([_bucket()])
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in atlan_server.requests] == [429, 200]
    assert atlan_server.entity("S3Bucket", BUCKET_QN)

    atlan_server.fail_next(429, times=2)  # no Retry-After: jittered backoff, still succeeds
    atlan_client.asset.save([_bucket()])
    assert [r.status for r in atlan_server.requests][-3:] == [429, 429, 200]


def test_429_exhausted_raises_rate_limit_error(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(429, times=4)
    with pytest.raises(RateLimitError):
        atlan_client.asset.save([_bucket()])


def test_503_exhausted_surfaces_as_type_error(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    """pyatlan 11.6 returns None on a final 503 and then fails parsing it: a bare TypeError."""
    atlan_server.fail_next(503, times=4, path_contains="/entity/bulk")
    with pytest.raises(TypeError):
        atlan_client.asset.save([_bucket()])
    assert [r.status for r in atlan_server.requests] == [503] * 4  # 1 try + 3 retries
    assert atlan_server.entities() == []

    atlan_server.fail_next(503, times=2)  # fewer than the retry budget: success
    atlan_client.asset.save([_bucket()])
    assert atlan_server.entity("S3Bucket", BUCKET_QN)


def test_200_with_empty_body_surfaces_as_type_error(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(200, path_contains="/entity/bulk")
    with pytest.raises(TypeError):
        atlan_client.asset.save([_bucket()])


def test_401_raises_authentication_error(atlan_server: FakeAtlan) -> None:
    atlan_server.reset()
    wrong = _atlan.make_atlan_client(atlan_server, api_key="wrong-key")
    try:
        with pytest.raises(AuthenticationError):
            wrong.asset.save([_bucket()])
    finally:
        _atlan.close_atlan_client(wrong)
    assert atlan_server.requests[-1].status == 401
    assert atlan_server.entities() == []


def test_injected_401_raises_authentication_error(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    atlan_server.fail_next(401)
    with pytest.raises(AuthenticationError):
        atlan_client.asset.save([_bucket()])
    assert len(atlan_server.requests) == 1  # not retried


def test_404_needs_an_atlas_error_body_to_become_not_found(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    with pytest.raises(NotFoundError):
        atlan_client.asset.get_by_qualified_name(
            qualified_name=f"{BUCKET_QN}/missing.csv", asset_type=S3Object
        )

    atlan_server.fail_next(404, body=b"<html>not found</html>")
    with pytest.raises(AtlanError) as caught:
        atlan_client.asset.get_by_qualified_name(
            qualified_name=f"{BUCKET_QN}/missing.csv", asset_type=S3Object
        )
    assert not isinstance(caught.value, NotFoundError)


def test_read_timeout_is_retried(atlan_server: FakeAtlan) -> None:
    atlan_server.reset()
    client = _atlan.make_atlan_client(atlan_server, read_timeout=0.3)
    try:
        atlan_server.delay_next(1.0, path_contains="/entity/bulk")
        atlan_client_response = client.asset.save([_bucket()])
    finally:
        _atlan.close_atlan_client(client)
    assert atlan_client_response.mutated_entities is not None
    assert len(atlan_server.mutating_requests()) == 2
    assert atlan_server.entity("S3Bucket", BUCKET_QN)


# --------------------------------------------------------------------- Atlas semantics


def test_archive_then_plain_upsert_stays_archived_until_status_active(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    from pyatlan.model.enums import EntityStatus

    define_tags(atlan_server, "PII")
    (qn,) = _seed_objects(atlan_client, "gone.csv")
    tagged = S3Object.updater(qualified_name=qn, name="gone.csv")
    tagged.add_or_update_classifications = [_tag("PII")]
    atlan_client.asset.save([tagged], append_atlan_tags=True)
    guid = _stored(atlan_server, "S3Object", qn)["guid"]
    atlan_client.asset.delete_by_guid(guid)
    assert _stored(atlan_server, "S3Object", qn)["status"] == "DELETED"
    assert atlan_server.tag_names("S3Object", qn) == []  # Cassandra tag store: dropped
    atlan_client.asset.save([_object("gone.csv", s3_object_size=5)])
    stored = _stored(atlan_server, "S3Object", qn)
    assert stored["status"] == "DELETED" and stored["attributes"]["s3ObjectSize"] == 5
    restore = S3Object.updater(qualified_name=qn, name="gone.csv")
    restore.status = EntityStatus.ACTIVE
    response = atlan_client.asset.save([restore])
    assert [a.guid for a in response.assets_updated(S3Object)] == [guid]  # no RESTORE kind
    assert _stored(atlan_server, "S3Object", qn)["status"] == "ACTIVE"
    # Deleting twice is no error and reports nothing the second time.
    atlan_client.asset.delete_by_guid(guid)
    assert atlan_client.asset.get_by_guid(guid, asset_type=S3Object).status == EntityStatus.DELETED


def define_tags(server: FakeAtlan, *names: str) -> None:
    for name in names:
        server.define_tag(name)


def test_search_lags_behind_writes_while_reads_by_name_do_not(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    from tests.support.atlan_server import FakeClock

    clock = FakeClock()
    atlan_server.clock = clock
    atlan_server.search_lag_s = 5.0
    (qn,) = _seed_objects(atlan_client, "late.csv")

    def searched() -> list[str]:
        search = (
            FluentSearch()
            .where(CompoundQuery.asset_type(S3Object))
            .where(S3Object.QUALIFIED_NAME.eq(qn))
        )
        return [str(a.qualified_name) for a in search.execute(client=atlan_client)]

    assert searched() == []
    assert atlan_client.asset.get_by_qualified_name(qn, S3Object).qualified_name == qn
    clock.advance(5)
    assert searched() == [qn]
    found = next(
        iter(FluentSearch().where(S3Object.QUALIFIED_NAME.eq(qn)).execute(client=atlan_client))
    )
    assert found.update_time is not None and found.status is not None


def test_unreadable_assets_are_scrubbed_or_hidden_in_search(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    define_tags(atlan_server, "PII")
    (qn,) = _seed_objects(atlan_client, "private.csv")
    atlan_server.add_tag("S3Object", qn, "PII")
    atlan_server.add_token("reader-key")
    reader = _atlan.make_atlan_client(atlan_server, api_key="reader-key")
    try:
        search = (
            FluentSearch()
            .where(S3Object.QUALIFIED_NAME.eq(qn))
            .include_on_results(S3Object.S3OBJECT_SIZE)
        )
        (scrubbed,) = list(search.execute(client=reader))
        assert scrubbed.scrubbed and scrubbed.s3_object_size is None and not scrubbed.atlan_tags
        atlan_server.read_restriction = "full"
        assert list(search.execute(client=reader)) == []
        from pyatlan.errors import PermissionError as AtlanPermissionError

        with pytest.raises(AtlanPermissionError, match="ATLAS-403-00-001"):
            reader.asset.get_by_qualified_name(qn, S3Object)
    finally:
        _atlan.close_atlan_client(reader)


def test_only_one_tag_flag_and_bad_custom_metadata_values_are_refused(
    atlan_client: AtlanClient, atlan_server: FakeAtlan
) -> None:
    from pyatlan.errors import InvalidRequestError

    _create_scan_set(atlan_client)
    (qn,) = _seed_objects(atlan_client, "flags.csv")
    update = S3Object.updater(qualified_name=qn, name="flags.csv")
    with pytest.raises(InvalidRequestError, match="ATLAS-400-00-029"):
        atlan_client.asset.save([update], replace_atlan_tags=True, append_atlan_tags=True)
    cma = update.get_custom_metadata(client=atlan_client, name="Data Scan")
    cma["Row Count"] = 3_000_000_000
    update.set_custom_metadata(client=atlan_client, custom_metadata=cma)
    with pytest.raises(NotFoundError, match="invalid value for type int"):
        atlan_client.asset.save_merging_cm([update])
    assert "Row Count" not in atlan_server.custom_metadata("S3Object", qn, "Data Scan")
