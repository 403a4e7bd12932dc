"""Looker assets downstream of Snowflake tables, read from Atlan's lineage (``lineage/list``)
through real pyatlan against the fake Atlan server; then ``lineage load --atlan-looker`` and
``lineage impact`` count them, and ``lineage write`` creates none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.lineage import Dataset, System
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.cli import run_enricher
from worker.adapters.atlan import lineage_read
from worker.adapters.atlan.lineage_read import AtlanLookerLineage
from worker.core.errors import CatalogRejected
from worker.core.settings import AtlanSettings, LineageSettings

atlan_server = _atlan.atlan_server
atlan_client = _atlan.atlan_client

SF = "default/snowflake/1690000001"
LOOKER = "default/looker/1690000002"
ATLAN = AtlanSettings(enabled=True, connection_qualified_name="default/s3/1700000000")
LINEAGE = LineageSettings(snowflake_connection_qualified_name=SF)
CUSTOMERS = Dataset.table(System.SNOWFLAKE, "analytics", "public", "customers")
ORDERS = Dataset.table(System.SNOWFLAKE, "analytics", "public", "orders")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _ref(server: FakeAtlan, type_name: str, qn: str) -> dict[str, Any]:
    entity = server.entity(type_name, qn)
    assert entity is not None
    return {
        "typeName": type_name,
        "guid": entity["guid"],
        "uniqueAttributes": {"qualifiedName": qn},
    }


def _hop(server: FakeAtlan, name: str, source: tuple[str, str], target: tuple[str, str]) -> str:
    qn = f"{LOOKER}/process/{name}"
    server.add_entity(
        "Process",
        qn,
        {"inputs": [_ref(server, *source)], "outputs": [_ref(server, *target)],
         "connectionQualifiedName": LOOKER},
    )  # fmt: skip
    return qn


def _looker_graph(server: FakeAtlan, dashboards: int = 2) -> None:
    """CUSTOMERS → view → explore thelook::customers → dashboards and a Look (as the Looker
    connector crawls them); ORDERS → explore orders; a tile and an archived hop beside them."""
    customers, orders = f"{SF}/ANALYTICS/PUBLIC/CUSTOMERS", f"{SF}/ANALYTICS/PUBLIC/ORDERS"
    for qn in (customers, orders):
        server.add_entity("Table", qn, {"connectionQualifiedName": SF})
    conn = {"connectionQualifiedName": LOOKER}
    view, explore = f"{LOOKER}/view/customers", f"{LOOKER}/explore/thelook/customers"
    server.add_entity("LookerView", view, {**conn, "name": "customers"})
    server.add_entity(
        "LookerExplore", explore, {**conn, "name": "customers", "modelName": "thelook"}
    )
    server.add_entity("LookerExplore", f"{LOOKER}/explore/thelook/orders",
                      {**conn, "name": "orders", "modelName": "thelook"})  # fmt: skip
    server.add_entity("LookerLook", f"{LOOKER}/look/7", {**conn, "name": "Top customers",
                                                       "modelName": "thelook"})  # fmt: skip
    server.add_entity("LookerTile", f"{LOOKER}/tile/1", {**conn, "name": "a tile"})
    _hop(server, "t-v", ("Table", customers), ("LookerView", view))
    _hop(server, "v-e", ("LookerView", view), ("LookerExplore", explore))
    _hop(server, "e-l", ("LookerExplore", explore), ("LookerLook", f"{LOOKER}/look/7"))
    _hop(server, "e-t", ("LookerExplore", explore), ("LookerTile", f"{LOOKER}/tile/1"))
    for i in range(dashboards):
        qn = f"{LOOKER}/dashboard/{i}"
        server.add_entity("LookerDashboard", qn, {**conn, "name": f"Customer board {i}",
                                                  "folderName": "Shared"})  # fmt: skip
        _hop(server, f"t-d{i}", ("LookerTile", f"{LOOKER}/tile/1"), ("LookerDashboard", qn))
    _hop(server, "o-e", ("Table", orders), ("LookerExplore", f"{LOOKER}/explore/thelook/orders"))
    # An archived hop: Atlas walks active edges only.
    server.add_entity("LookerDashboard", f"{LOOKER}/dashboard/old", {**conn, "name": "Old"})
    old = _hop(server, "e-old", ("LookerExplore", explore),
               ("LookerDashboard", f"{LOOKER}/dashboard/old"))  # fmt: skip
    server.archive("Process", old)


def test_looker_assets_downstream_of_tables_paged(
    atlan_server: FakeAtlan, atlan_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _looker_graph(atlan_server, dashboards=5)
    monkeypatch.setattr(lineage_read, "_PAGE_SIZE", 2)  # several pages of lineage/list
    missing = Dataset.table(System.SNOWFLAKE, "analytics", "public", "nowhere")
    found = AtlanLookerLineage(ATLAN, LINEAGE, atlan_client).downstream(
        [CUSTOMERS, ORDERS, missing]
    )
    pairs = {(e.source.uri, e.target.uri) for e in found.edges}
    customers = CUSTOMERS.uri
    assert pairs == {
        (customers, "looker:explore/thelook::customers"),
        (customers, "looker:look/thelook::Top customers"),
        *((customers, f"looker:dashboard/Shared::Customer board {i}") for i in range(5)),
        (ORDERS.uri, "looker:explore/thelook::orders"),
    }  # no view, tile or archived dashboard
    assert [p.reason for p in found.problems] == [
        f"Atlan has no table {SF}/ANALYTICS/PUBLIC/NOWHERE"
    ]
    lists = [r for r in atlan_server.requests if r.path.endswith("/lineage/list")]
    assert len(lists) > 2 and all(r.body["direction"] == "OUTPUT" for r in lists)
    assert not atlan_server.mutating_requests()  # reads only


def test_lineage_list_semantics_depth_offset_and_has_more(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    """The fake answers as Atlas does: processes are levels and results, filters, paging."""
    from pyatlan.model.enums import LineageDirection
    from pyatlan.model.lineage import LineageListRequest

    _looker_graph(atlan_server, dashboards=1)
    table = atlan_server.entity("Table", f"{SF}/ANALYTICS/PUBLIC/CUSTOMERS")
    assert table is not None
    request = LineageListRequest.create(guid=table["guid"])
    request.depth, request.size = 2, 10  # the process and the view
    page = atlan_client.asset.get_lineage_list(request)
    assert [a.type_name for a in page.current_page()] == ["Process", "LookerView"]
    assert [a.depth for a in page.current_page()] == [1, 1] and page.has_more is False
    request.depth, request.size, request.offset = 1_000_000, 1, 1
    one = atlan_client.asset.get_lineage_list(request)
    assert [a.type_name for a in one.current_page()] == ["LookerView"] and one.has_more
    request.direction, request.offset, request.size = LineageDirection.UPSTREAM, 0, 10
    assert list(atlan_client.asset.get_lineage_list(request)) == []  # nothing upstream
    request.direction = LineageDirection.BOTH
    with pytest.raises(Exception, match="BOTH|direction"):
        atlan_client.asset.get_lineage_list(request)


def test_unconfigured_connection_is_refused_before_any_request(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    reader = AtlanLookerLineage(ATLAN, LineageSettings(), atlan_client)
    with pytest.raises(CatalogRejected, match="snowflake_connection_qualified_name"):
        reader.downstream([CUSTOMERS])
    assert not [r for r in atlan_server.requests if "lineage" in r.path]


def test_cli_atlan_looker_counts_in_impact_and_write_skips_looker(
    atlan_server: FakeAtlan, atlan_client: Any, tmp_path: Path
) -> None:
    _looker_graph(atlan_server, dashboards=3)
    s3 = "default/s3/1700000000"
    atlan_server.add_entity("Connection", s3, {"name": "s3-enricher", "connectorName": "s3"})
    env = {
        "ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__CONNECTION_QUALIFIED_NAME": s3,
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_LINEAGE__SNOWFLAKE_CONNECTION_QUALIFIED_NAME": SF,
        "ATLAN_BASE_URL": atlan_server.base_url,
        "ATLAN_API_KEY": _atlan.API_KEY,
    }
    declared = tmp_path / "lineage.yaml"
    declared.write_text(
        "pipelines:\n  - s3: s3://lake/exports/customers/\n"
        "    snowflake: ANALYTICS.PUBLIC.CUSTOMERS\n"
    )
    load = run_enricher(
        ["lineage", "load", "--declared", str(declared), "--atlan-looker", "--format", "json"],
        env, tmp_path,
    )  # fmt: skip
    assert load.returncode == 0, load.stderr
    assert json.loads(load.stdout)["new"] == 1 + 5  # the declared hop, 5 Looker assets
    impact = run_enricher(["lineage", "impact", "s3://lake/exports/customers/"], env, tmp_path)
    assert impact.returncode == 0, impact.stderr
    assert (
        "s3://lake/exports/customers/ feeds 1 Snowflake table, 1 Looker explore, 1 Look and "
        "3 dashboards" in impact.stdout
    )
    before = len(atlan_server.mutating_requests())
    write = run_enricher(["lineage", "write"], env, tmp_path)
    assert "5 with a Looker end" in write.stdout, write.stdout + write.stderr
    sent = atlan_server.mutating_requests()[before:]
    assert not any(
        str(e.get("typeName", "")).startswith("Looker")
        for r in sent
        for e in (r.body or {}).get("entities", [])
    )


def test_lineage_list_applies_no_read_permission_as_atlas_metastore(
    atlan_server: FakeAtlan, atlan_client: Any
) -> None:
    """``lineage/list`` neither checks the start asset nor scrubs or leaves out results the
    token may not read (atlas-metastore's ``traverseEdgesUsingBFS`` has no authorisation);
    search scrubs the same asset, and reading the table itself is refused."""
    from pyatlan.errors import PermissionError as AtlanPermissionError
    from pyatlan.model.assets import LookerDashboard, Table
    from pyatlan.model.fluent_search import FluentSearch
    from pyatlan.model.lineage import LineageListRequest

    from tests.support.atlan_fixtures import close_atlan_client, make_atlan_client

    _looker_graph(atlan_server, dashboards=1)
    table_qn = f"{SF}/ANALYTICS/PUBLIC/CUSTOMERS"
    table = atlan_server.entity("Table", table_qn)
    assert table is not None
    atlan_server.add_token("sf-reader", policies={SF: {"entity-read"}})
    atlan_server.add_token("nobody")
    reader = make_atlan_client(atlan_server, api_key="sf-reader", total_retries=0)
    nobody = make_atlan_client(atlan_server, api_key="nobody", total_retries=0)
    try:
        request = LineageListRequest.create(guid=table["guid"])
        request.depth, request.size = 1_000_000, 50
        request.attributes = ["folderName"]
        seen = {a.type_name: a for a in reader.asset.get_lineage_list(request)}
        board = seen["LookerDashboard"]  # a Looker asset the token may not read: whole
        assert isinstance(board, LookerDashboard)
        assert board.name == "Customer board 0"
        assert board.folder_name == "Shared"
        assert not getattr(board, "scrubbed", False)
        # Nobody may read the start table either: the lineage still answers, counted whole.
        everything = list(nobody.asset.get_lineage_list(request))
        assert sorted(a.type_name for a in everything) == sorted(
            a.type_name for a in reader.asset.get_lineage_list(request)
        )
        with pytest.raises(AtlanPermissionError):
            nobody.asset.get_by_qualified_name(table_qn, Table, min_ext_info=True)
        # Search, by contrast, scrubs the dashboard for the Snowflake reader.
        search = (
            FluentSearch()
            .where(FluentSearch.asset_type(LookerDashboard))
            .where(LookerDashboard.QUALIFIED_NAME.eq(f"{LOOKER}/dashboard/0"))
            .include_on_results(LookerDashboard.FOLDER_NAME)
        )
        (hit,) = list(reader.asset.search(search.to_request()))
        assert isinstance(hit, LookerDashboard)
        assert hit.folder_name is None  # scrubbed: folderName is not kept
    finally:
        close_atlan_client(reader)
        close_atlan_client(nobody)
