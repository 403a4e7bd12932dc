"""Data contracts on a dataset's Atlan asset: pyatlan's ``DataContract`` against the fake Atlan.

The fake models Atlan's ``ContractPreProcessor`` (tests/support/atlan_server.py). Real Atlan
governs only tables, views and materialised views with contracts; the tests that publish on
an ``S3Prefix`` widen the fake's ``contract_asset_types`` to say so, and one test keeps the
real default to show what s3-enricher gets today.

Scenarios: first publish (the asset has the contract), the same again (no mutating request),
a changed draft (same version), certified then changed (a new version), the asset missing or
archived, Atlan down (503 from the gateway), Atlan refusing the asset type, a contract not in
Atlan's format, a verified first version, a token that may not update the asset, and a table
search does not show yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import GATEWAY_BODIES, READ, FakeAtlan, FakeClock
from worker.adapters.atlan.datasets import AtlanDatasetWriter
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.errors import (
    CatalogAssetNotFound,
    CatalogPermissionDenied,
    CatalogRejected,
    CatalogUnavailable,
)
from worker.core.settings import AtlanSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client
atlan_clock = _atlan.atlan_clock

CONN = "default/s3/1700000000"
PREFIX_QN = f"{CONN}/arn:aws:s3:::lake/exports/orders"
ATLAN = AtlanSettings(enabled=True, connection_qualified_name=CONN, max_retries=2, backoff_s=0.01)
S3_GOVERNED = ("Table", "View", "MaterialisedView", "S3Prefix", "S3Bucket", "S3Object")


def contract(status: str = "draft", description: str = "Customer orders.") -> str:
    """A contract in Atlan's format (what the server deserialises), YAML as a person writes it."""
    return (
        "kind: DataContract\n"
        f"status: {status}\n"
        "template_version: 0.0.2\n"
        "dataset: orders\n"
        "type: S3Prefix\n"
        f"description: {description}\n"
        "columns:\n"
        "  - name: email\n"
        "    data_type: string\n"
        "  - name: order_id\n"
        "    data_type: int64\n"
    )


@pytest.fixture
def server(atlan_server: FakeAtlan, atlan_client: Any) -> Iterator[FakeAtlan]:
    """The fake with the orders prefix (as the dataset writer or a crawler left it), and
    contracts allowed on S3 assets."""
    atlan_server.add_entity(
        "S3Prefix",
        PREFIX_QN,
        {"name": "orders", "connectionQualifiedName": CONN, "connectorName": "s3"},
    )
    atlan_server.contract_asset_types = S3_GOVERNED
    yield atlan_server


@pytest.fixture
def writer(atlan_client: Any, tmp_path: Path) -> AtlanDatasetWriter:
    state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'c.db'}"))
    return AtlanDatasetWriter(ATLAN, lambda: CONN, state, client=atlan_client)


def _mutations(server: FakeAtlan) -> int:
    return len(server.mutating_requests())


def _contract(server: FakeAtlan, version: int) -> dict[str, Any]:
    found = server.entity("DataContract", f"{PREFIX_QN}/S3Prefix/contract/V{version}")
    assert found is not None, f"no version {version}"
    return found


def _guid(ref: Any) -> str:
    return str(ref["guid"])


def test_publish_puts_the_contract_on_the_asset(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    mark = _mutations(server)
    text = contract()
    published = writer.publish_contract(PREFIX_QN, text, asset_type="S3Prefix")
    assert (published.outcome, published.version, published.requests) == ("created", 1, 1)
    assert published.contract_qualified_name == f"{PREFIX_QN}/S3Prefix/contract/V1"
    assert not published.certified
    # One bulk request: pyatlan's DataContract.creator, named after the asset.
    (sent,) = server.mutating_requests()[mark:]
    assert sent.path == "/api/meta/entity/bulk/"
    (entity,) = sent.body["entities"]
    assert entity["typeName"] == "DataContract"
    assert entity["attributes"]["qualifiedName"] == f"{PREFIX_QN}/contract"
    assert entity["attributes"]["dataContractSpec"] == text
    assert entity["attributes"]["name"] == "Data contract for orders"
    assert not entity["attributes"].get("dataContractJson")  # deprecated: the server derives it
    # Atlan's side: the version, and the asset linked to it.
    stored = _contract(server, 1)["attributes"]
    assert stored["dataContractSpec"] == text and stored["dataContractVersion"] == 1
    assert stored["certificateStatus"] == "DRAFT"
    prefix = server.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None and prefix["attributes"]["hasContract"] is True
    assert stored["dataContractAssetGuid"] == prefix["guid"]
    assert _guid(prefix["attributes"]["dataContractLatest"]) == _contract(server, 1)["guid"]
    assert "dataContractLatestCertified" not in prefix["attributes"]


def test_the_same_contract_again_sends_nothing(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    first = writer.publish_contract(PREFIX_QN, contract())
    mark = _mutations(server)
    again = writer.publish_contract(PREFIX_QN, contract())  # the type is looked up this time
    assert (again.outcome, again.requests, again.version) == ("unchanged", 0, 1)
    assert again.contract_qualified_name == first.contract_qualified_name
    assert _mutations(server) == mark
    assert server.entities("DataContract") == [_contract(server, 1)]


def test_a_changed_draft_replaces_the_draft_version(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    writer.publish_contract(PREFIX_QN, contract())
    changed = contract(description="Orders, one row per order line.")
    published = writer.publish_contract(PREFIX_QN, changed)
    assert (published.outcome, published.version, published.requests) == ("updated", 1, 1)
    assert [e["attributes"]["dataContractSpec"] for e in server.entities("DataContract")] == [
        changed
    ]


def test_a_change_after_a_certified_version_is_a_new_version(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    writer.publish_contract(PREFIX_QN, contract())
    verified = writer.publish_contract(PREFIX_QN, contract("verified"))
    assert (verified.outcome, verified.version, verified.certified) == ("updated", 1, True)
    v1 = _contract(server, 1)
    prefix = server.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None and v1["attributes"]["certificateStatus"] == "VERIFIED"
    assert _guid(prefix["attributes"]["dataContractLatestCertified"]) == v1["guid"]

    changed = contract(description="Orders, one row per order line.")
    published = writer.publish_contract(PREFIX_QN, changed)
    assert (published.outcome, published.version, published.certified) == (
        "new_version",
        2,
        False,
    )
    v2 = _contract(server, 2)
    assert v2["attributes"]["dataContractSpec"] == changed
    assert _guid(v2["attributes"]["dataContractPreviousVersion"]) == v1["guid"]
    assert _contract(server, 1)["attributes"]["dataContractSpec"] == contract("verified")
    prefix = server.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None
    assert _guid(prefix["attributes"]["dataContractLatest"]) == v2["guid"]
    # The certified version stays the one consumers rely on until the draft is verified.
    assert _guid(prefix["attributes"]["dataContractLatestCertified"]) == v1["guid"]
    mark = _mutations(server)
    assert writer.publish_contract(PREFIX_QN, changed).outcome == "unchanged"
    assert _mutations(server) == mark


def test_a_missing_or_archived_asset_is_a_specific_error(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    mark = _mutations(server)
    with pytest.raises(CatalogAssetNotFound) as missing:
        writer.publish_contract(f"{CONN}/arn:aws:s3:::lake/exports/unknown", contract())
    assert not missing.value.retryable and "no asset in Atlan" in missing.value.message
    server.archive("S3Prefix", PREFIX_QN)
    mark = _mutations(server)
    with pytest.raises(CatalogAssetNotFound) as archived:
        writer.publish_contract(PREFIX_QN, contract())
    assert "archived" in archived.value.message
    assert _mutations(server) == mark and server.entities("DataContract") == []


def test_atlan_down_is_retryable_and_the_next_try_publishes(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    server.fail_next(503, times=50, path_contains="entity/bulk", body=GATEWAY_BODIES[503])
    with pytest.raises(CatalogUnavailable) as down:
        writer.publish_contract(PREFIX_QN, contract())
    assert down.value.retryable and "unavailable" in down.value.message
    assert server.entities("DataContract") == []
    server.reset_faults()
    assert writer.publish_contract(PREFIX_QN, contract()).outcome == "created"


def test_atlan_governs_no_contract_on_s3_assets_today(
    atlan_server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    # The real server's types (the fixture's default): tables, views, materialised views.
    atlan_server.add_entity("S3Prefix", PREFIX_QN, {"connectionQualifiedName": CONN})
    untyped = contract().replace("type: S3Prefix\n", "")
    with pytest.raises(CatalogRejected) as refused:
        writer.publish_contract(PREFIX_QN, untyped)  # Atlan: 500 "Dataset doesn't exist"
    assert not refused.value.retryable
    assert "only to tables, views and materialised views" in refused.value.message
    with pytest.raises(CatalogRejected) as typed:
        writer.publish_contract(PREFIX_QN, contract())  # Atlan: 400, type not accepted
    assert typed.value.message == refused.value.message
    assert atlan_server.entities("DataContract") == []


def test_a_contract_atlan_cannot_read_is_refused_before_sending(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    mark = _mutations(server)
    # An ODCS v3 contract as such: Atlan needs a 'dataset' (its answer would be a 500).
    odcs = "apiVersion: v3.0.2\nkind: DataContract\nid: orders\nstatus: active\n"
    with pytest.raises(CatalogRejected, match="'dataset'"):
        writer.publish_contract(PREFIX_QN, odcs)
    with pytest.raises(CatalogRejected, match="kind: DataContract"):
        writer.publish_contract(PREFIX_QN, "dataset: orders\n")
    with pytest.raises(CatalogRejected, match="not a YAML mapping"):
        writer.publish_contract(PREFIX_QN, "- a list\n")
    assert _mutations(server) == mark


def test_a_verified_first_version_is_refused_with_the_way_out(
    server: FakeAtlan, writer: AtlanDatasetWriter
) -> None:
    with pytest.raises(CatalogRejected, match="'status: draft' first"):
        writer.publish_contract(PREFIX_QN, contract("verified"))
    assert server.entities("DataContract") == []


def test_a_token_that_may_not_update_the_asset_is_told_what_to_grant(
    server: FakeAtlan, tmp_path: Path
) -> None:
    server.add_token("reader-key")
    server.grant("reader-key", CONN, READ)
    client = _atlan.make_atlan_client(server, api_key="reader-key")
    try:
        state = SqlAtlanState(SqlLocalCatalog(f"sqlite:///{tmp_path / 'r.db'}"))
        reader = AtlanDatasetWriter(ATLAN, lambda: CONN, state, client=client)
        with pytest.raises(CatalogPermissionDenied) as denied:
            reader.publish_contract(PREFIX_QN, contract())
        assert "403" in denied.value.message and "'Update'" in denied.value.message
        assert server.entities("DataContract") == []
    finally:
        _atlan.close_atlan_client(client)


def test_a_table_search_does_not_show_yet_is_retryable(
    atlan_server: FakeAtlan, writer: AtlanDatasetWriter, atlan_clock: FakeClock
) -> None:
    # A governed type (the real default), written a moment ago: Atlan finds the asset for
    # a contract through search, which lags behind the graph the writer reads.
    table_qn = "default/snowflake/1700000000/DB/SCHEMA/ORDERS"
    conn = "default/snowflake/1700000000"
    atlan_server.add_entity("Table", table_qn, {"connectionQualifiedName": conn})
    text = contract().replace("type: S3Prefix", "type: Table")
    with pytest.raises(CatalogUnavailable) as lagging:
        writer.publish_contract(table_qn, text, asset_type="Table")
    assert lagging.value.retryable and "search" in lagging.value.message
    atlan_clock.advance(_atlan.SEARCH_LAG_S + 1)
    published = writer.publish_contract(table_qn, text, asset_type="Table")
    assert published.contract_qualified_name == f"{table_qn}/Table/contract/V1"
