"""``AtlanLookerLineage``: the Looker assets Atlan's lineage shows downstream of tables.

Reads only. When Atlan's Looker connector has crawled the Looker instance, Atlan already
holds lineage from the crawled Snowflake tables to Looker views, explores, Looks and
dashboards. For each table this asks Atlan (pyatlan's ``FluentLineage`` →
``POST /api/meta/lineage/list``, downstream, every depth, only active assets traversed,
results limited to ``LookerExplore``, ``LookerLook`` and ``LookerDashboard``) and turns each
asset found into an edge ``table → looker:<kind>/<model>::<name>``, so that ``lineage
impact`` counts them. Nothing is written to Atlan: the assets are the connector's.

Names: an explore or a Look is named after its ``modelName``; a dashboard (which belongs to
a folder, not a model) after its ``folderName``, else ``atlan``. The edges are direct (table
→ dashboard, not through the explore): the list API gives what is downstream, not the path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from models.lineage import (
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
)
from worker.adapters.atlan.client import atlan_errors, build_client
from worker.core.errors import CatalogRejected
from worker.core.settings import AtlanSettings, LineageSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

#: Atlan type → Looker node kind.
LOOKER_TYPES = {"LookerExplore": "explore", "LookerLook": "look", "LookerDashboard": "dashboard"}
#: Results per lineage page (Atlas walks the graph again for each page).
_PAGE_SIZE = 100
#: Which setting holds each table system's Atlan connection.
_CONNECTION_SETTING = {
    System.POSTGRES: "postgres_connection_qualified_name",
    System.SNOWFLAKE: "snowflake_connection_qualified_name",
    System.REDSHIFT: "redshift_connection_qualified_name",
}


class AtlanLookerLineage:
    """Looker dashboards, explores and Looks downstream of tables, read from Atlan's lineage.

    :param client: a pyatlan client (built from ``atlan`` on first use when ``None``).
    """

    def __init__(
        self, atlan: AtlanSettings, lineage: LineageSettings, client: AtlanClient | None = None
    ) -> None:
        self.atlan = atlan
        self.lineage = lineage
        self._client = client

    @property
    def client(self) -> AtlanClient:
        """The pyatlan client (built lazily: importing pyatlan takes seconds)."""
        if self._client is None:
            self._client = build_client(self.atlan)
        return self._client

    def table_qualified_name(self, table: Dataset) -> str:
        """``{connection}/{db}/{schema}/{table}``, as Atlan's crawlers name tables.

        :raises CatalogRejected: not a table, or its system's connection is not configured.
        """
        setting = _CONNECTION_SETTING.get(table.system)
        if setting is None:
            raise CatalogRejected(f"{table.uri} is not a table: Atlan's lineage starts at tables")
        conn: str | None = getattr(self.lineage, setting)
        if not conn:
            raise CatalogRejected(
                f"cannot read Atlan's lineage of {table.uri}: lineage.{setting} is not set"
            )
        return "/".join([conn.rstrip("/"), *table.parts])

    def downstream(self, tables: Sequence[Dataset]) -> LineageFindings:
        """The Looker assets downstream of each table in Atlan (reads only).

        :returns: one edge per (table, Looker asset), origin ``sql``, location
            ``atlan:<table qualified name>``; a table Atlan does not have is a problem.

        :raises CatalogRejected: a table's connection is not configured (before any request).
        :raises CatalogUnavailable: Atlan is unavailable (rate limited, 5xx, network).
        :raises CatalogAuthError: Atlan refused the API key.
        :raises CatalogPermissionDenied: the token may not read a table.
        """
        from pyatlan.errors import NotFoundError
        from pyatlan.model.assets import Asset, Table
        from pyatlan.model.lineage import FilterList, FluentLineage

        named = [(t, self.table_qualified_name(t)) for t in dict.fromkeys(tables)]
        found = LineageFindings()
        seen: set[str] = set()
        for table, qn in named:
            try:
                with atlan_errors(f"reading table {qn}"):
                    asset = self.client.asset.get_by_qualified_name(
                        qn, Table, min_ext_info=True, ignore_relationships=True
                    )
            except CatalogRejected as exc:
                if isinstance(exc.__cause__, NotFoundError):
                    found.problems.append(
                        LineageProblem(f"atlan:{qn}", "", f"Atlan has no table {qn}")
                    )
                    continue
                raise
            request = FluentLineage(
                starting_guid=str(asset.guid),
                size=_PAGE_SIZE,
                where_assets=FluentLineage.ACTIVE,
                includes_in_results=[
                    Asset.TYPE_NAME.in_lineage.eq(type_name) for type_name in LOOKER_TYPES
                ],
                includes_condition=FilterList.Condition.OR,
                includes_on_results=["modelName", "folderName"],
            ).request
            with atlan_errors(f"reading the lineage of {qn}"):
                results = list(self.client.asset.get_lineage_list(request))
            for result in results:
                target = _looker_node(result)
                if target is None:
                    continue
                edge = LineageEdge(
                    table,
                    target,
                    Origin.SQL,
                    1.0,
                    location=f"atlan:{qn}",
                    reason=f"Atlan's lineage: {result.type_name} downstream of {qn}",
                )
                if edge.id not in seen:
                    seen.add(edge.id)
                    found.edges.append(edge)
        return found


def _looker_node(asset: Any) -> Dataset | None:
    """The lineage node of a Looker asset from Atlan (``None`` for anything else)."""
    kind = LOOKER_TYPES.get(str(getattr(asset, "type_name", "")))
    name = str(getattr(asset, "name", None) or "").strip()
    if kind is None or not name:
        return None
    attrs = getattr(asset, "attributes", None)
    if kind == "dashboard":
        scope = getattr(attrs, "folder_name", None) or "atlan"
    else:
        scope = getattr(attrs, "model_name", None) or "atlan"
    try:
        return Dataset.looker(kind, "_".join(str(scope).split()).replace("/", "_"), name)
    except InvalidDataset:
        return None
