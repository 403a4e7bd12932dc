"""What the real Atlan does that a kind fake hides: one test (or more) per point of issue 12.

Every test drives the real writer through real pyatlan 11.6 against
``tests/support/atlan_server.py``, which follows Atlas's code (``atlanhq/atlas-metastore``): search
lags behind writes (5 s of a clock the tests move), archived assets stay archived under a plain
upsert, tag and custom metadata definitions change under pyatlan's caches, gateways answer 502
pages, tokens see only what their personas grant, custom metadata values are checked against
their types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from models.plan import DesiredObject
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import (
    CREATE,
    GATEWAY_BODIES,
    READ,
    UPDATE,
    UPDATE_CM,
    FakeAtlan,
    FakeClock,
)
from worker.adapters.atlan.lookup import find_objects
from worker.adapters.atlan.writer import AtlanCatalogWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.core.errors import CatalogRejected, CatalogUnavailable
from worker.core.settings import AtlanSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client
atlan_clock = _atlan.atlan_clock

SETTINGS = AtlanSettings(enabled=True, batch_size=20)
#: Past the writer's lag window (``atlan.search_lag_s``): search shows everything by then.
SETTLED = SETTINGS.search_lag_s + 1


def _desired(key: str, settings: AtlanSettings = SETTINGS, **kw: Any) -> DesiredObject:
    return _atlan.desired(key, settings, **kw)


@dataclass
class Rig:
    server: FakeAtlan
    clock: FakeClock
    writer: AtlanCatalogWriter
    catalog: SqlLocalCatalog

    def assets(self, key: str, bucket: str = "lake") -> list[dict[str, Any]]:
        """The S3Object entities (any name, any status) that stand for ``bucket/key``."""
        return [
            e
            for e in self.server.entities("S3Object")
            if e["attributes"].get("s3BucketName") == bucket
            and e["attributes"].get("s3ObjectKey") == key
        ]

    def asset(self, key: str, bucket: str = "lake") -> dict[str, Any]:
        (found,) = self.assets(key, bucket)
        return found

    def tags(self, key: str) -> list[str]:
        found = self.asset(key)
        return self.server.tag_names("S3Object", found["attributes"]["qualifiedName"])

    def rejections(self) -> int:
        return SqlReviewStore(self.catalog).state_counts().get("rejected", 0)

    def mutations(self) -> int:
        return len(self.server.mutating_requests())


def _rig(
    server: FakeAtlan,
    clock: FakeClock,
    client: Any,
    tmp_path: Path,
    settings: AtlanSettings = SETTINGS,
    db: str = "c.db",
) -> Rig:
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path / db}")
    writer = AtlanCatalogWriter(settings, SqlAtlanState(catalog), client=client)
    writer.clock = clock.datetime
    return Rig(server, clock, writer, catalog)


@pytest.fixture
def rig(atlan_server: FakeAtlan, atlan_clock: FakeClock, atlan_client: Any, tmp_path: Path) -> Rig:
    r = _rig(atlan_server, atlan_clock, atlan_client, tmp_path)
    r.writer.init()
    return r


# 1 ------------------------------------------------------------------ archive and restore


def test_an_archived_object_uploaded_again_is_restored_with_its_tags(rig: Rig) -> None:
    rig.writer.write([_desired("exports/a.csv")])
    rig.clock.advance(10)
    assert rig.writer.archive("lake", "exports/a.csv") is True
    assert rig.asset("exports/a.csv")["status"] == "DELETED"
    assert rig.tags("exports/a.csv") == []  # Atlan's tag store drops them on archive
    rig.clock.advance(SETTLED)
    report = rig.writer.write([_desired("exports/a.csv", etag="e2")])
    assert report.error is None
    asset = rig.asset("exports/a.csv")  # one asset, the archived one, restored
    assert asset["status"] == "ACTIVE"
    assert asset["attributes"]["s3ETag"] == "e2"
    assert rig.tags("exports/a.csv") == ["PII", "PII Email"]
    assert report.restored == 1 and report.created == 0
    restore = [
        r
        for r in rig.server.mutating_requests()
        if "restore" in str(r.body)
        or any(e.get("status") == "ACTIVE" for e in (r.body or {}).get("entities", []))
    ]
    assert restore, "the restore carries status ACTIVE"
    assert rig.rejections() == 0  # tags dropped by archiving are not a person's removal


def test_archiving_finds_an_object_created_moments_ago(rig: Rig) -> None:
    """Search has not caught up yet; the asset is read by qualified name instead."""
    rig.writer.write([_desired("fresh.csv")])
    assert rig.writer.archive("lake", "fresh.csv") is True
    assert rig.asset("fresh.csv")["status"] == "DELETED"
    assert rig.writer.archive("lake", "fresh.csv") is False  # already archived
    assert rig.writer.archive("lake", "never-written.csv") is False


# 2 ------------------------------------------------------------------ near-real-time search


def test_a_duplicate_event_within_the_search_lag_sends_nothing_and_rejects_nothing(
    rig: Rig,
) -> None:
    # Each request takes 3 s: the asset is searchable before its tags are (5 s lag).
    rig.writer.on_request = lambda: rig.clock.advance(3)
    first = rig.writer.write([_desired("a.csv"), _desired("b.csv")])
    assert first.error is None and first.created == 2
    rig.writer.on_request = None
    # Search now shows both objects, but not yet their tags (written 3 s after them).
    found = find_objects(rig.writer.client, [("lake", "a.csv")], rig.writer.naming())
    shown = found[("lake", "a.csv")]
    assert shown.direct_tags == frozenset()
    before = rig.mutations()
    again = rig.writer.write([_desired("a.csv"), _desired("b.csv")])
    assert rig.mutations() == before, [r.body for r in rig.server.mutating_requests()[before:]]
    assert again.unchanged == 2 and again.requests == 0
    assert rig.rejections() == 0
    assert not any("removed in Atlan" in n for n in again.notes)
    # Later, once search has caught up, still nothing to send and nothing rejected.
    rig.clock.advance(SETTLED)
    rig.writer.write([_desired("a.csv"), _desired("b.csv")])
    assert rig.mutations() == before and rig.rejections() == 0
    assert rig.tags("a.csv") == ["PII", "PII Email"]


def test_a_persons_removal_is_recorded_once_search_shows_it(rig: Rig) -> None:
    rig.writer.write([_desired("c.csv")])
    rig.clock.advance(10)
    qn = rig.asset("c.csv")["attributes"]["qualifiedName"]
    rig.server.remove_tag("S3Object", qn, "PII Email")
    rig.writer.write([_desired("c.csv")])  # within the lag window: not decided yet
    assert rig.rejections() == 0
    rig.clock.advance(SETTLED)
    report = rig.writer.write([_desired("c.csv")])
    assert rig.rejections() == 1
    assert any("removed in Atlan by a person" in n for n in report.notes)
    assert rig.tags("c.csv") == ["PII"]  # not re-applied


# 3 ------------------------------------------------------------------ stale pyatlan caches


def test_a_tag_an_admin_deleted_and_recreated_is_written_with_its_new_id(rig: Rig) -> None:
    rig.writer.write([_desired("one.csv")])  # the tag cache is warm now
    rig.server.delete_tag("PII Email")
    rig.server.define_tag("PII Email")  # same name, new hashed id
    report = rig.writer.write([_desired("two.csv")])
    assert report.error is None, report.error
    assert rig.tags("two.csv") == ["PII", "PII Email"]


def test_a_deleted_tag_is_a_clear_error_and_lands_once_it_is_back(rig: Rig) -> None:
    rig.writer.write([_desired("one.csv")])
    rig.server.delete_tag("PII SSN")
    report = rig.writer.write([_desired("ssn.csv", entity="US_SSN")])
    assert report.error is not None and "enricher atlan init" in report.error
    assert rig.writer.state.outbox_status()[0] == 1  # kept, nothing lost
    rig.server.define_tag("PII SSN")
    flushed = rig.writer.flush()
    assert flushed.error is None, flushed.error
    assert rig.tags("ssn.csv") == ["PII", "PII SSN"]


def test_a_custom_metadata_attribute_added_by_another_process_is_written(rig: Rig) -> None:
    rig.writer.write([_desired("one.csv")])  # the custom metadata cache is warm now
    rig.server.add_custom_metadata_attribute("s3-enricher", "Lineage summary")
    d = _desired("two.csv")
    d.custom_metadata["Lineage summary"] = "pg -> s3"
    report = rig.writer.write([d])
    assert report.error is None, report.error
    qn = rig.asset("two.csv")["attributes"]["qualifiedName"]
    cm = rig.server.custom_metadata("S3Object", qn, "s3-enricher")
    assert cm["Lineage summary"] == "pg -> s3"


# 4 ------------------------------------------------------------------ gateway errors


@pytest.mark.parametrize("status", [502, 504, 429])
def test_gateway_and_throttling_errors_are_retryable(
    atlan_server: FakeAtlan, atlan_clock: FakeClock, tmp_path: Path, status: int
) -> None:
    client = _atlan.make_atlan_client(atlan_server, total_retries=0)
    try:
        r = _rig(atlan_server, atlan_clock, client, tmp_path)
        r.writer.init()
        r.writer.write([_desired("a.csv")])
        retry_after = 7 if status == 429 else None
        atlan_server.fail_next(
            status,
            times=3,
            path_contains="/entity/bulk",
            body=GATEWAY_BODIES[status],
            retry_after=retry_after,
        )
        report = r.writer.write([_desired("b.csv")])
        assert report.error is not None and report.queued == 1
        assert report.retry_after_s == retry_after
        assert not report.rejected  # not refused: waiting for Atlan to come back
        # Archiving maps the same answer to a retryable error (the task retries it later).
        atlan_server.reset_faults()
        atlan_server.fail_next(status, times=3, path_contains="/entity/bulk",
                               body=GATEWAY_BODIES[status])  # fmt: skip
        with pytest.raises(CatalogUnavailable) as caught:
            r.writer.archive("lake", "a.csv")
        assert caught.value.retryable
        atlan_server.reset_faults()
        assert r.writer.flush().error is None
        assert r.assets("b.csv")
    finally:
        _atlan.close_atlan_client(client)


# 5 ------------------------------------------------------------------ permissions


def _restricted(rig: Rig, tmp_path: Path, **grants: Any) -> tuple[Rig, Any]:
    """A writer whose token's persona grants only what the test says (same catalog)."""
    rig.server.add_token("persona-key")
    for prefix, actions in grants.items():
        rig.server.grant("persona-key", prefix, *actions)
    client = _atlan.make_atlan_client(rig.server, api_key="persona-key")
    settings = SETTINGS.model_copy(
        update={"connection_qualified_name": rig.writer.connection_qualified_name()}
    )
    restricted = _rig(rig.server, rig.clock, client, tmp_path, settings)
    return restricted, client


def test_a_forbidden_prefix_fails_alone_with_the_persona_to_grant(rig: Rig, tmp_path: Path) -> None:
    naming = rig.writer.naming()
    conn = naming.connection_qn
    rig.writer.write([_desired("first.csv")])  # the admin's token registered the bucket
    restricted, client = _restricted(
        rig,
        tmp_path,
        **{conn: {READ}, naming.prefix("lake", "public"): {CREATE, UPDATE, UPDATE_CM, READ}},
    )
    try:
        keys = ["public/a.csv", "secret/b.csv", "public/c.csv"]
        report = restricted.writer.write([_desired(k) for k in keys])
        assert report.error is None
        assert rig.tags("public/a.csv") == ["PII", "PII Email"]
        assert rig.tags("public/c.csv") == ["PII", "PII Email"]
        assert rig.assets("secret/b.csv") == []
        (reason,) = report.rejected.values()
        assert "403" in reason and "'Create'" in reason and "persona" in reason
        assert list(report.rejected) == ["s3://lake/secret/b.csv"]
        total, rows = restricted.writer.state.outbox_status()
        assert total == 1 and rows[0][1] == reason
    finally:
        _atlan.close_atlan_client(client)


def test_an_asset_the_token_can_no_longer_read_is_not_a_persons_edit(
    rig: Rig, tmp_path: Path
) -> None:
    """Search scrubs what the token may not read (no tags shown): that proves nothing."""
    naming = rig.writer.naming()
    restricted, client = _restricted(
        rig, tmp_path, **{naming.connection_qn: {READ, CREATE, UPDATE, UPDATE_CM}}
    )
    try:
        restricted.writer.write([_desired("x/a.csv")])
        rig.clock.advance(SETTLED)
        rig.server.revoke("persona-key", naming.connection_qn)  # the persona changed
        report = restricted.writer.write([_desired("x/a.csv", etag="e2")])
        assert restricted.rejections() == 0
        assert "403" in report.rejected["s3://lake/x/a.csv"]
        assert rig.tags("x/a.csv") == ["PII", "PII Email"]
    finally:
        _atlan.close_atlan_client(client)


# 6 ------------------------------------------------------------------ custom metadata values


def test_a_value_beyond_atlans_32_bit_int_is_left_out_and_the_batch_lands(rig: Rig) -> None:
    desired = [_desired(f"big/{i:02d}.csv") for i in range(19)]
    desired.insert(7, _desired("big/huge.csv", row_count=3_000_000_000))
    report = rig.writer.write(desired)
    assert report.error is None and not report.rejected
    assert report.created == 20
    assert len([e for e in rig.server.entities("S3Object") if e["status"] == "ACTIVE"]) == 20
    huge = rig.asset("big/huge.csv")["attributes"]["qualifiedName"]
    cm = rig.server.custom_metadata("S3Object", huge, "s3-enricher")
    assert "Row count" not in cm and cm["Format"] == "csv"
    assert any("32-bit" in w for w in report.warnings)
    other = rig.asset("big/00.csv")["attributes"]["qualifiedName"]
    assert rig.server.custom_metadata("S3Object", other, "s3-enricher")["Row count"] == 500


def test_the_fake_rejects_what_atlas_rejects(rig: Rig) -> None:
    """The server side of point 6: Atlas answers 404 ATLAS-404-00-007 for a bad value."""
    from pyatlan.errors import NotFoundError
    from pyatlan.model.assets import S3Object

    rig.writer.write([_desired("v.csv")])
    qn = rig.asset("v.csv")["attributes"]["qualifiedName"]
    client = rig.writer.client
    u = S3Object.updater(qualified_name=qn, name="v.csv")
    cma = u.get_custom_metadata(client=client, name="s3-enricher")
    cma["Row count"] = 2**31
    u.set_custom_metadata(client=client, custom_metadata=cma)
    with pytest.raises(NotFoundError, match="ATLAS-404-00-007"):
        client.asset.save_merging_cm([u])


# 7 ------------------------------------------------------------------ connection set-up


def test_the_connection_is_known_from_the_save_not_from_search(
    atlan_server: FakeAtlan, atlan_clock: FakeClock, atlan_client: Any, tmp_path: Path
) -> None:
    atlan_server.search_lag_s = 60.0
    r = _rig(atlan_server, atlan_clock, atlan_client, tmp_path)
    lines = r.writer.init()
    (conn,) = atlan_server.entities("Connection")
    qn = conn["attributes"]["qualifiedName"]
    assert f"connection {qn}: created" in lines
    assert r.writer.connection_qualified_name() == qn
    # Another worker on the same catalog knows it at once, search or not.
    other = _rig(atlan_server, atlan_clock, atlan_client, tmp_path)
    assert other.writer.connection_qualified_name() == qn
    assert other.writer.init()[-1] == f"connection {qn}: exists"
    assert len(atlan_server.entities("Connection")) == 1


def test_no_admin_role_is_a_clear_error(
    atlan_server: FakeAtlan, atlan_clock: FakeClock, atlan_client: Any, tmp_path: Path
) -> None:
    atlan_server.role_ids.pop("$admin")
    try:
        r = _rig(atlan_server, atlan_clock, atlan_client, tmp_path)
        with pytest.raises(CatalogRejected, match=r"no role '\$admin'"):
            r.writer.init()
        assert atlan_server.entities("Connection") == []
    finally:
        atlan_server.role_ids["$admin"] = "restored-admin-role"


# 8 ------------------------------------------------------------------ key normalisation


def _named(
    server: FakeAtlan, clock: FakeClock, client: Any, tmp_path: Path, naming: str
) -> tuple[Rig, AtlanSettings]:
    """An initialised rig whose writer names S3 assets under ``naming``."""
    settings = AtlanSettings(enabled=True, s3_naming=naming)  # type: ignore[arg-type]
    r = _rig(server, clock, client, tmp_path, settings)
    r.writer.init()
    return r, settings


@pytest.mark.parametrize("naming", ["arn", "path"])
def test_odd_keys_get_one_asset_each_and_are_not_rewritten(
    atlan_server: FakeAtlan,
    atlan_clock: FakeClock,
    atlan_client: Any,
    tmp_path: Path,
    naming: str,
) -> None:
    r, settings = _named(atlan_server, atlan_clock, atlan_client, tmp_path, naming)
    keys = ["/lead.csv", "x//y.csv", "plain.csv"]
    first = r.writer.write([_desired(k, settings) for k in keys])
    assert first.error is None and first.created == 3
    atlan_clock.advance(SETTLED)
    before = r.mutations()
    again = r.writer.write([_desired(k, settings) for k in keys])
    assert r.mutations() == before and again.unchanged == 3
    for key in keys:
        (asset,) = r.assets(key)
        assert asset["attributes"]["qualifiedName"] == r.writer.naming().object("lake", key)
    if naming == "path":  # pyatlan's construct_object_key drops the leading / and the //
        conn = r.writer.connection_qualified_name()
        assert r.asset("/lead.csv")["attributes"]["qualifiedName"] == f"{conn}/lake/lead.csv"
        assert r.asset("x//y.csv")["attributes"]["qualifiedName"] == f"{conn}/lake/x/y.csv"


# 9 ------------------------------------------------------------------ naming interop


@pytest.mark.parametrize("naming", ["arn", "path"])
def test_an_asset_atlans_crawler_made_is_updated_not_duplicated(
    atlan_server: FakeAtlan,
    atlan_clock: FakeClock,
    atlan_client: Any,
    tmp_path: Path,
    naming: str,
) -> None:
    r, settings = _named(atlan_server, atlan_clock, atlan_client, tmp_path, naming)
    conn = r.writer.connection_qualified_name()
    # What Atlan's S3 crawler registers: ARN names, awsArn, bucket name and key.
    atlan_server.add_entity(
        "S3Bucket",
        f"{conn}/arn:aws:s3:::lake",
        {"name": "lake", "awsArn": "arn:aws:s3:::lake", "connectionQualifiedName": conn},
        by="s3-crawler",
    )
    crawled = f"{conn}/arn:aws:s3:::lake/crawled/x.csv"
    atlan_server.add_entity(
        "S3Object",
        crawled,
        {
            "name": "x.csv",
            "awsArn": "arn:aws:s3:::lake/crawled/x.csv",
            "s3BucketName": "lake",
            "s3ObjectKey": "crawled/x.csv",
            "connectionQualifiedName": conn,
            "description": "Crawled by Atlan",
        },
        by="s3-crawler",
    )
    atlan_clock.advance(SETTLED)
    report = r.writer.write([_desired("crawled/x.csv", settings)])
    assert report.error is None and report.created == 0
    assert report.adopted == (1 if naming == "path" else 0)
    (asset,) = r.assets("crawled/x.csv")
    assert asset["attributes"]["qualifiedName"] == crawled
    assert atlan_server.tag_names("S3Object", crawled) == ["PII", "PII Email"]
    assert atlan_server.custom_metadata("S3Object", crawled, "s3-enricher")["Format"] == "csv"
    assert asset["attributes"]["description"] == "Crawled by Atlan"  # the crawler's text
    assert len(atlan_server.entities("S3Bucket")) == 1
    # A new object in the same bucket goes under the crawler's bucket.
    r.writer.write([_desired("crawled/new.csv", settings)])
    new = r.asset("crawled/new.csv")["attributes"]
    assert new["s3BucketQualifiedName"] == f"{conn}/arn:aws:s3:::lake"
    assert len(atlan_server.entities("S3Bucket")) == 1
    # Its lineage and archive go to the same asset.
    assert r.writer.object_qualified_name("lake", "crawled/x.csv") == crawled


# 10 ----------------------------------------------------------------- userDescription


def test_a_persons_description_is_user_description_and_ours_stays_underneath(rig: Rig) -> None:
    rig.writer.write([_desired("d.csv")])
    qn = rig.asset("d.csv")["attributes"]["qualifiedName"]
    rig.clock.advance(10)
    rig.server.edit_as_person("S3Object", qn, user_description="Orders export, owned by Sales")
    rig.clock.advance(SETTLED)
    report = rig.writer.write([_desired("d.csv", etag="e2", entity="US_SSN")])
    attrs = rig.asset("d.csv")["attributes"]
    assert attrs["userDescription"] == "Orders export, owned by Sales"
    assert "US_SSN" in attrs["description"]  # the machine description is still ours
    assert any("userDescription" in n for n in report.notes)
    sent = [r.body for r in rig.server.mutating_requests()]
    assert "userDescription" not in str(sent)


def test_custom_metadata_applies_to_dataset_prefixes_new_set_or_old(
    atlan_server: FakeAtlan, atlan_clock: FakeClock, atlan_client: Any, tmp_path: Path
) -> None:
    """pyatlan's default applicable types leave S3Prefix out (Atlan's UI would not offer the
    set on dataset assets): init adds it to a new set, and to a set an older version made."""
    from pyatlan.model.typedef import AttributeDef, CustomMetadataDef

    from worker.core.plan.desired import CM_ATTRIBUTES

    name = SETTINGS.custom_metadata_set
    cache = atlan_client.custom_metadata_cache

    def applicable() -> list[set[str]]:
        cache.refresh_cache()
        return [
            set(a.applicable_asset_types)
            for a in cache.get_custom_metadata_def(name).attribute_defs
        ]

    r = _rig(atlan_server, atlan_clock, atlan_client, tmp_path)
    r.writer.init()
    assert all({"S3Prefix", "S3Object", "S3Bucket"} <= types for types in applicable())

    # An older s3-enricher's set: pyatlan's defaults (no S3Prefix).
    atlan_server.reset()
    from pyatlan.model.enums import AtlanCustomAttributePrimitiveType as Prim

    prims = {"string": Prim.STRING, "int": Prim.INTEGER, "date": Prim.DATE}
    old = CustomMetadataDef.create(display_name=name)
    old.attribute_defs = [
        AttributeDef.create(client=atlan_client, display_name=attr,
                            attribute_type=prims[kind], multi_valued=multi)
        for attr, (kind, multi) in CM_ATTRIBUTES.items()
    ]  # fmt: skip
    atlan_client.typedef.create(old)
    assert not any("S3Prefix" in types for types in applicable())
    again = _rig(atlan_server, atlan_clock, atlan_client, tmp_path, db="d.db")
    assert f"custom metadata {name!r}: applicable to S3Prefix" in again.writer.init()
    assert all("S3Prefix" in types and "S3Object" in types for types in applicable())
    assert f"custom metadata {name!r}: exists" in again.writer.init()
