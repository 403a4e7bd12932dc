"""``AtlanLineageWriter``: lineage edges as Atlan ``Process`` and ``ColumnProcess`` entities.

One :meth:`AtlanLineageWriter.write` call, in the order Atlan needs (referenced assets must
exist before a process names them, and a bulk request is atomic):

1. S3 prefix datasets: search for their ``S3Prefix`` assets (``S3Bucket`` for a bucket-root
   dataset) and create only the missing ones.
2. Read the existing ``Process``/``ColumnProcess`` entities with their inputs, outputs, SQL
   and parent, so that an unchanged re-run sends no mutating request.
3. One ``Process`` per edge that is new or differs, in batches of ``lineage.batch_size``.
4. ``ColumnProcess`` entities (table column → table column, composed through an S3 hop when
   a ``table → s3`` and an ``s3 → table`` edge share the S3 dataset), in batches.

A batch Atlan rejects (typically "Referenced entity ... is not found" because a crawled table
is missing) is retried one entity at a time so that the others still land; the missing
qualified names and the failed edges are reported, never raised. Atlan being unavailable or
refusing the API key stops the write (:class:`~worker.core.errors.CatalogUnavailable` /
:class:`~worker.core.errors.CatalogAuthError`).

Qualified names (tables and columns as Atlan's crawlers write them): tables
``{conn}/{db}/{schema}/{table}`` (``Table``), columns ``{table_qn}/{column}`` (``Column``),
processes ``{s3_conn}/{edge.process_id}``, column processes
``{parent_qn}/column/{target column}``. S3 names follow ``atlan.s3_naming``
(:class:`~worker.core.plan.naming.S3Naming`): with ``arn``, a prefix dataset is
``{s3_conn}/arn:aws:s3:::{bucket}/{prefix}`` (its ``awsArn`` the same ARN), objects are the
assets the S3 writer wrote (adopted crawler names included).

A prefix dataset is an ``S3Prefix`` linked to its objects: every object s3-enricher wrote
under it (the deepest dataset prefix that holds it) is appended to the prefix's
``s3Objects``, once; the local catalog remembers the link.

:meth:`AtlanLineageWriter.tag_table_columns` is the other direction of lineage evidence: it
appends the tags and glossary terms stewards approved to the crawled table columns.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from models.lineage import Dataset, InvalidDataset, LineageEdge, System
from models.plan import WrittenState
from models.review import SuggestionView
from worker.adapters.atlan.batches import send_isolating
from worker.adapters.atlan.client import atlan_errors, build_client, tag_changes
from worker.adapters.atlan.lookup import all_results
from worker.adapters.catalog.database import chunks
from worker.core.errors import CatalogRejected, CatalogWriteError
from worker.core.plan.naming import S3Naming, bucket_arn, object_arn
from worker.core.settings import AtlanSettings, LineageSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)

_SEARCH_CHUNK = 50
_T = TypeVar("_T")
#: Atlas: ``Referenced entity <AtlasObjectId{..., uniqueAttributes={qualifiedName:QN}}>`` or
#: ``Referenced entity Type:QN`` ``is not found``.
_NOT_FOUND = re.compile(r"Referenced entity (.+?) is not found")
_UNIQUE_QN = re.compile(r"qualifiedName[:=]\s*([^,}]+)")
_TYPED_QN = re.compile(r"^\w+:(.+)$")
#: Which setting holds each table system's Atlan connection.
_CONNECTION_SETTING = {
    System.POSTGRES: "postgres_connection_qualified_name",
    System.SNOWFLAKE: "snowflake_connection_qualified_name",
    System.REDSHIFT: "redshift_connection_qualified_name",
}


class ObjectLinks(Protocol):
    """What the lineage writer reads and keeps of the S3 writer's state (``SqlAtlanState``)."""

    def written_under(self, uri_prefix: str) -> list[WrittenState]:
        """The objects s3-enricher wrote whose URI starts with ``uri_prefix``."""
        ...

    def written_by_uri(self, object_uris: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes by object URI."""
        ...

    def save_written_states(self, states: Sequence[WrittenState]) -> None:
        """Remember what was written (here: the prefix an object is linked to)."""
        ...


@dataclass(slots=True)
class LineageWriteReport:
    """What one :meth:`AtlanLineageWriter.write` did.

    :param processes: ``Process`` entities created or updated.
    :param column_processes: ``ColumnProcess`` entities created or updated.
    :param unchanged: processes and column processes already in Atlan as wanted (not sent).
    :param requests: mutating requests sent (bulk upserts, including rejected ones).
    :param missing: qualified names Atlan reported as not found (sorted, each once).
    :param failed_edges: edge id -> why its process was not written.
    :param prefixes: ``S3Prefix`` (or bucket-root ``S3Bucket``) assets created.
    :param failed_columns: column process qualified name -> why it was not written.
    :param linked: objects newly linked to their ``S3Prefix``.
    :param local: edges not sent because an end is a local file or folder
        (:attr:`System.FILE`), which has no Atlan asset.
    :param looker: edges not sent because an end is a Looker dashboard, explore or Look
        (:attr:`System.LOOKER`): Atlan's own Looker connector owns those assets and their
        lineage.
    """

    processes: int = 0
    column_processes: int = 0
    unchanged: int = 0
    requests: int = 0
    missing: list[str] = field(default_factory=list)
    failed_edges: dict[str, str] = field(default_factory=dict)
    prefixes: int = 0
    failed_columns: dict[str, str] = field(default_factory=dict)
    linked: int = 0
    local: int = 0
    looker: int = 0


@dataclass(frozen=True, order=True, slots=True)
class _Ref:
    type_name: str
    qualified_name: str


@dataclass(frozen=True, slots=True)
class _Planned:
    """One ``Process`` (``parent is None``) or ``ColumnProcess`` to have in Atlan."""

    qualified_name: str
    name: str
    process_id: str
    inputs: frozenset[_Ref]
    outputs: frozenset[_Ref]
    sql: str | None = None
    parent: str | None = None
    #: The edge whose process this is (column processes: their parent's edge).
    edge_id: str = ""

    @property
    def type_name(self) -> str:
        return "Process" if self.parent is None else "ColumnProcess"


@dataclass(frozen=True, slots=True)
class _Current:
    type_name: str
    inputs: frozenset[_Ref] | None
    outputs: frozenset[_Ref] | None
    sql: str | None
    parent: str | None


def _placeholder_guid() -> str:
    """A negative placeholder guid, as pyatlan's ``creator`` methods assign."""
    return str(-random.randint(10**15, 10**16 - 1))  # noqa: S311 - not security relevant


def _fold_column(system: System, column: str) -> str:
    """A column name as the system stores it: quoted kept, unquoted folded like tables."""
    name = column.strip()
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return name[1:-1]
    if system is System.SNOWFLAKE:
        return name.upper()
    return name.lower()


def missing_qualified_names(error: BaseException) -> list[str]:
    """The qualified names an Atlas "Referenced entity ... is not found" error names.

    Looks at ``error`` and its ``__cause__`` chain (our :class:`CatalogWriteError` messages
    never quote the vendor message; the pyatlan error on ``__cause__`` does).
    """
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for ref in _NOT_FOUND.findall(str(current)):
            unique = _UNIQUE_QN.search(ref)
            typed = _TYPED_QN.match(ref)
            qn = unique.group(1) if unique else typed.group(1) if typed else ref
            qn = qn.strip().strip("'\"")
            if qn and qn not in found:
                found.append(qn)
        current = current.__cause__
    return found


def link_prefix_objects(
    objects: ObjectLinks,
    prefixes: Mapping[str, str],
    save: Callable[[str, Any], str | None],
) -> int:
    """Append to each ``S3Prefix`` the objects s3-enricher wrote under it, once.

    An object belongs to the deepest of ``prefixes`` that holds it (Atlas keeps one
    ``s3Prefix`` per object: appending it to another prefix moves it). Objects archived or
    never written are left out: a reference to a missing asset would fail the request. The
    link is remembered in the local catalog (``prefix_qn``), so a re-run sends nothing.

    :param objects: the S3 writer's state (which objects are in Atlan, and their links).
    :param prefixes: ``S3Prefix`` qualified name -> the URI prefix of its objects
        (``s3://bucket/prefix/``, with the trailing slash).
    :param save: sends one ``S3Prefix`` asset (``(qualified name, asset)``); returns ``None``
        when it landed, else why Atlan refused it; raises when Atlan stops the write.
    :returns: how many objects were newly linked.
    Side effects: upserts the prefixes with ``s3Objects`` appended; saves written states.
    """
    from pyatlan.model.assets import S3Object, S3Prefix
    from pyatlan.model.enums import SaveSemantic

    best: dict[str, tuple[str, WrittenState]] = {}
    for qn, under in prefixes.items():
        for state in objects.written_under(under):
            uri = state.object_uri or ""
            if not state.guid or state.status == "DELETED" or uri.count("/") < 3:
                continue
            if uri not in best or len(prefixes[best[uri][0]]) < len(under):
                best[uri] = (qn, state)
    todo: dict[str, list[WrittenState]] = {}
    for qn, state in best.values():
        if state.prefix_qn != qn:
            todo.setdefault(qn, []).append(state)
    linked = 0
    for qn, states in sorted(todo.items()):
        name = prefixes[qn].rstrip("/").rsplit("/", 1)[-1]
        for chunk in chunks(sorted(states, key=lambda s: s.qualified_name), 200):
            prefix = S3Prefix(attributes=S3Prefix.Attributes(qualified_name=qn, name=name))
            prefix.guid = _placeholder_guid()
            prefix.s3_objects = [
                S3Object.ref_by_qualified_name(s.qualified_name, semantic=SaveSemantic.APPEND)
                for s in chunk
            ]
            if save(qn, prefix) is not None:
                continue
            linked += len(chunk)
            objects.save_written_states([replace(s, prefix_qn=qn) for s in chunk])
    return linked


def _column_pairs(
    parent: LineageEdge, into: Mapping[Dataset, Sequence[LineageEdge]]
) -> list[tuple[str, Dataset, str]]:
    """(target column, source table, source column) of a hop into a table.

    A table→table hop: its own map. An S3→table hop: composed with the table→S3 hops into
    the same S3 dataset (``into``), matching the S3 column names exactly, else ignoring case.
    """
    if parent.source.is_table:
        return [(m.target, parent.source, m.source) for m in parent.columns]
    pairs: list[tuple[str, Dataset, str]] = []
    for upstream in into.get(parent.source, ()):
        exact: dict[str, list[str]] = {}
        folded: dict[str, list[str]] = {}
        for m in upstream.columns:
            exact.setdefault(m.target, []).append(m.source)
            folded.setdefault(m.target.strip('"').lower(), []).append(m.source)
        for m in parent.columns:
            matched = exact.get(m.source) or folded.get(m.source.strip('"').lower()) or []
            pairs.extend((m.target, upstream.source, source_col) for source_col in matched)
    return pairs


def _ref_of(value: Any) -> _Ref | None:
    """A relationship reference read back from a search result, or None if unreadable."""
    type_name = getattr(value, "type_name", None)
    unique = getattr(value, "unique_attributes", None) or {}
    qn = unique.get("qualifiedName") if isinstance(unique, dict) else None
    qn = qn or getattr(value, "qualified_name", None)
    if not type_name or not qn:
        return None
    return _Ref(str(type_name), str(qn))


def _refs_of(values: Any) -> frozenset[_Ref] | None:
    """The set of references, or None when any of them cannot be read (forces a rewrite)."""
    refs = [_ref_of(v) for v in values or []]
    if any(r is None for r in refs):
        return None
    return frozenset(r for r in refs if r is not None)


class AtlanLineageWriter:
    """Writes lineage edges to Atlan with pyatlan; see the module docstring.

    :param atlan: the ``atlan`` settings section (client construction, retries).
    :param lineage: the ``lineage`` settings section (connections of the crawled databases,
        batch size).
    :param s3_connection_qn: returns s3-enricher's S3 connection qualified name (for example
        ``AtlanCatalogWriter.connection_qualified_name``); called once per write, lazily.
        Processes belong to this connection.
    :param client: an ``AtlanClient``; when ``None``, ``client_factory()`` (e.g. the S3
        writer's client, to share one) or a client built from ``atlan``, on first use.
    :param objects: the S3 writer's state in the local catalog: which objects are in Atlan
        under which name, and which prefix each is linked to (no linking when ``None``).
    """

    def __init__(
        self,
        atlan: AtlanSettings,
        lineage: LineageSettings,
        s3_connection_qn: Callable[[], str],
        client: AtlanClient | None = None,
        *,
        client_factory: Callable[[], AtlanClient] | None = None,
        objects: ObjectLinks | None = None,
    ) -> None:
        self.atlan = atlan
        self.lineage = lineage
        self._s3_connection_qn = s3_connection_qn
        self._client = client
        self._client_factory = client_factory
        self._objects = objects
        #: Object URI -> the name the S3 writer wrote its asset under (read once per write).
        self._object_qns: dict[str, str] = {}
        self._s3_conn: str | None = None
        #: Called after every mutating request (a Celery task uses it to keep its lock alive).
        self.on_request: Callable[[], None] | None = None

    @property
    def client(self) -> AtlanClient:
        """The pyatlan client (built lazily: importing pyatlan takes seconds)."""
        if self._client is None:
            factory = self._client_factory
            self._client = factory() if factory is not None else build_client(self.atlan)
        return self._client

    # -- qualified names -----------------------------------------------------------------------

    def _s3_connection(self) -> str:
        if self._s3_conn is None:
            self._s3_conn = self._s3_connection_qn()
        return self._s3_conn

    def _naming(self) -> S3Naming:
        return S3Naming(self._s3_connection(), self.atlan.s3_naming)

    def _table_connection(self, dataset: Dataset) -> str:
        setting = _CONNECTION_SETTING[dataset.system]
        conn: str | None = getattr(self.lineage, setting)
        if not conn:
            raise CatalogRejected(
                f"cannot reference {dataset.uri} in Atlan: lineage.{setting} is not set "
                f"(the qualified name of the crawled {dataset.system.value} connection, "
                f"default/{dataset.system.value}/<epoch>, shown on the connection in Atlan)"
            )
        return conn.rstrip("/")

    def qualified_name(self, dataset: Dataset, column: str | None = None) -> tuple[str, str]:
        """The Atlan type name and qualified name of ``dataset`` (or of its ``column``).

        Tables: ``Table`` ``{conn}/{db}/{schema}/{table}``; columns: ``Column``
        ``{table_qn}/{column}`` (folded like the table: Snowflake upper case, PostgreSQL and
        Redshift lower case, quoted names kept). S3 (``atlan.s3_naming``): ``S3Prefix`` for a
        prefix (no trailing slash), ``S3Bucket`` for a bucket-root prefix, ``S3Object`` for
        one object (the name the S3 writer wrote it under, when known).
        Reading the S3 connection may search Atlan once (see ``s3_connection_qn``).

        :raises CatalogRejected: the system's connection qualified name is not configured, a
            column of an S3 dataset is asked for (S3 assets have no columns in Atlan), or the
            dataset is local (:attr:`System.FILE`) or a Looker asset (:attr:`System.LOOKER`).
        """
        if dataset.system is System.FILE:
            raise CatalogRejected(f"{dataset.uri} is a local file or folder: it has no Atlan asset")
        if dataset.is_looker:
            raise CatalogRejected(
                f"{dataset.uri} is a Looker asset: Atlan's Looker connector owns it, "
                "s3-enricher does not write it"
            )
        if dataset.is_table:
            table_qn = "/".join([self._table_connection(dataset), *dataset.parts])
            if column is None:
                return "Table", table_qn
            return "Column", f"{table_qn}/{_fold_column(dataset.system, column)}"
        if column is not None:
            raise CatalogRejected(
                f"{dataset.uri} is an S3 dataset: Atlan has no columns for S3 assets"
            )
        naming = self._naming()
        bucket, key = dataset.parts
        if dataset.is_prefix:
            prefix = key.strip("/")
            if not prefix:
                return "S3Bucket", naming.bucket(bucket)
            return "S3Prefix", naming.prefix(bucket, prefix)
        if self._objects is not None and dataset.uri not in self._object_qns:
            self._remember_objects([dataset.uri])
        return "S3Object", self._object_qns.get(dataset.uri) or naming.object(bucket, key)

    def _remember_objects(self, uris: Sequence[str]) -> None:
        """Read the S3 writer's names for these objects in one query (unknown ones: empty)."""
        if self._objects is None:
            return
        known = self._objects.written_by_uri(list(uris))
        for uri in uris:
            state = known.get(uri)
            self._object_qns[uri] = state.qualified_name if state is not None else ""

    def _ref(self, dataset: Dataset, column: str | None = None) -> _Ref:
        return _Ref(*self.qualified_name(dataset, column))

    # -- planning ------------------------------------------------------------------------------

    def _plan_processes(self, edges: Sequence[LineageEdge]) -> list[_Planned]:
        conn = self._s3_connection()
        return [
            _Planned(
                qualified_name=f"{conn}/{e.process_id}",
                name=e.name,
                process_id=e.process_id,
                inputs=frozenset([self._ref(e.source)]),
                outputs=frozenset([self._ref(e.target)]),
                sql=e.sql,
                edge_id=e.id,
            )
            for e in edges
        ]

    def _plan_columns(self, edges: Sequence[LineageEdge]) -> list[_Planned]:
        """Column processes: direct table→table maps, and table→S3→table maps composed."""
        conn = self._s3_connection()
        into: dict[Dataset, list[LineageEdge]] = {}
        for e in edges:
            if e.source.is_table and e.target.is_lake:
                into.setdefault(e.target, []).append(e)
        planned: list[_Planned] = []
        for parent in edges:
            if not parent.target.is_table or not parent.columns:
                continue
            # target column -> its source column refs (and names), in first-seen order
            sources: dict[str, list[_Ref]] = {}
            names: dict[str, list[str]] = {}
            for target_col, source, source_col in _column_pairs(parent, into):
                col = _fold_column(parent.target.system, target_col)
                ref = self._ref(source, source_col)
                if ref not in sources.setdefault(col, []):
                    sources[col].append(ref)
                    names.setdefault(col, []).append(_fold_column(source.system, source_col))
            parent_qn = f"{conn}/{parent.process_id}"
            target_ref = self._ref(parent.target)
            for col, refs in sources.items():
                planned.append(
                    _Planned(
                        qualified_name=f"{parent_qn}/column/{col}",
                        name=f"{', '.join(names[col])} -> {col}",
                        process_id=f"{parent.process_id}/column/{col}",
                        inputs=frozenset(refs),
                        outputs=frozenset([_Ref("Column", f"{target_ref.qualified_name}/{col}")]),
                        parent=parent_qn,
                        edge_id=parent.id,
                    )
                )
        return planned

    # -- reading -------------------------------------------------------------------------------

    def _existing_containers(self, qualified_names: Sequence[str]) -> set[str]:
        """Qualified names of the active ``S3Prefix``/``S3Bucket`` assets among these."""
        from pyatlan.model.assets import S3Bucket, S3Prefix
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        found: set[str] = set()
        for chunk in chunks(sorted(set(qualified_names)), _SEARCH_CHUNK):
            search = (
                FluentSearch()
                .where(CompoundQuery.active_assets())
                .where(CompoundQuery.asset_types([S3Prefix, S3Bucket]))
                .where(S3Prefix.QUALIFIED_NAME.within(list(chunk)))
                .page_size(_SEARCH_CHUNK)
            )
            with atlan_errors("reading S3 prefixes"):
                found |= {
                    str(a.qualified_name) for a in all_results(search.execute(client=self.client))
                }
        return found

    def _existing_processes(self, qualified_names: Sequence[str]) -> dict[str, _Current]:
        """The active processes and column processes among these, with what we compare."""
        from pyatlan.model.assets import ColumnProcess, Process
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        found: dict[str, _Current] = {}
        for chunk in chunks(sorted(set(qualified_names)), _SEARCH_CHUNK):
            search = (
                FluentSearch()
                .where(CompoundQuery.active_assets())
                .where(CompoundQuery.asset_types([Process, ColumnProcess]))
                .where(Process.QUALIFIED_NAME.within(list(chunk)))
                .include_on_results(ColumnProcess.INPUTS)
                .include_on_results(ColumnProcess.OUTPUTS)
                .include_on_results(Process.SQL)
                .include_on_results(ColumnProcess.PROCESS)
                # Related entities' qualified names (Atlan returns only guids otherwise).
                .include_on_relations(Process.QUALIFIED_NAME)
                .page_size(_SEARCH_CHUNK)
            )
            with atlan_errors("reading lineage processes"):
                for asset in all_results(search.execute(client=self.client)):
                    parent = _ref_of(getattr(asset, "process", None))
                    found[str(asset.qualified_name)] = _Current(
                        type_name=str(asset.type_name),
                        inputs=_refs_of(getattr(asset, "inputs", None)),
                        outputs=_refs_of(getattr(asset, "outputs", None)),
                        sql=getattr(asset, "sql", None),
                        parent=parent.qualified_name if parent else None,
                    )
        return found

    @staticmethod
    def _unchanged(planned: _Planned, current: _Current | None) -> bool:
        return (
            current is not None
            and current.type_name == planned.type_name
            and current.inputs == planned.inputs
            and current.outputs == planned.outputs
            and (planned.sql is None or current.sql == planned.sql)
            and current.parent == planned.parent
        )

    # -- writing -------------------------------------------------------------------------------

    def write(
        self,
        edges: Sequence[LineageEdge],
        s3_objects: Mapping[str, Sequence[str]] | None = None,
    ) -> LineageWriteReport:
        """Write ``edges`` to Atlan: S3 prefixes, one process per edge, column processes.

        Only what differs from Atlan is sent (an unchanged re-run sends no mutating request;
        an edge without SQL leaves the SQL already on its process alone).
        Edges Atlan rejects (a referenced table missing, ...) are reported in
        ``failed_edges`` / ``missing`` while the others land.

        :param edges: the hops to write (duplicates of the same hop: the first one wins).
        :param s3_objects: dataset URI -> object URIs known in the local catalog; only
            informational (a partitioned dataset is still one process per hop).
        :returns: counts, missing qualified names and per-edge failures.
        :raises CatalogRejected: a connection qualified name needed for an edge is not
            configured (raised before any request), or no S3 connection exists.
        :raises CatalogUnavailable: Atlan is unavailable (rate limited, 5xx, network); what
            was sent before stays written, the rest is not sent.
        :raises CatalogAuthError: Atlan refused the API key.

        Side effects: creates/updates ``S3Prefix``, ``Process`` and ``ColumnProcess`` assets.
        """
        report = LineageWriteReport()
        self._s3_conn = None  # asked once per write
        self._object_qns = {}
        unique: dict[str, LineageEdge] = {}
        for e in edges:
            if System.FILE in (e.source.system, e.target.system):
                report.local += 1
                continue
            if e.source.is_looker or e.target.is_looker:
                report.looker += 1
                continue
            unique.setdefault(e.id, e)
        edges = list(unique.values())
        if not edges:
            return report
        for uri, objects in (s3_objects or {}).items():
            logger.debug(
                "lineage dataset %s covers %d objects (one process per hop)", uri, len(objects)
            )
        self._remember_objects(
            sorted(
                {
                    d.uri
                    for e in edges
                    for d in (e.source, e.target)
                    if d.is_lake and not d.is_prefix
                }
            )
        )
        # Every qualified name first: a missing connection setting fails before any request.
        processes = self._plan_processes(edges)
        columns = self._plan_columns(edges)
        missing: list[str] = []

        failed_refs = self._ensure_prefixes(edges, report, missing)
        existing = self._existing_processes(
            [p.qualified_name for p in processes] + [c.qualified_name for c in columns]
        )

        to_send: list[_Planned] = []
        for p in processes:
            blocked = [
                failed_refs[r.qualified_name]
                for r in sorted(p.inputs | p.outputs)
                if r.qualified_name in failed_refs
            ]
            if blocked:
                report.failed_edges[p.edge_id] = blocked[0]
            elif self._unchanged(p, existing.get(p.qualified_name)):
                report.unchanged += 1
            else:
                to_send.append(p)
        failed = self._save_all(
            to_send, self._process_asset, "writing lineage processes", report, missing
        )
        report.processes += len(to_send) - len(failed)
        report.failed_edges.update({p.edge_id: reason for p, reason in failed.items()})

        failed_parents = {
            p.qualified_name: report.failed_edges[p.edge_id]
            for p in processes
            if p.edge_id in report.failed_edges
        }
        to_send = []
        for c in columns:
            if self._unchanged(c, existing.get(c.qualified_name)):
                report.unchanged += 1
            elif c.parent in failed_parents:
                report.failed_columns[c.qualified_name] = (
                    f"skipped: its parent process was not written ({failed_parents[c.parent]})"
                )
            else:
                to_send.append(c)
        failed = self._save_all(
            to_send, self._process_asset, "writing column lineage", report, missing
        )
        report.column_processes += len(to_send) - len(failed)
        report.failed_columns.update({c.qualified_name: r for c, r in failed.items()})
        report.missing = sorted(set(missing))
        return report

    def _ensure_prefixes(
        self, edges: Sequence[LineageEdge], report: LineageWriteReport, missing: list[str]
    ) -> dict[str, str]:
        """Create the missing ``S3Prefix`` (bucket root: ``S3Bucket``) assets of the edges.

        :returns: qualified name -> reason, for the ones Atlan refused to create.
        """
        naming = self._naming()
        wanted: dict[str, Dataset] = {}
        for e in edges:
            for d in (e.source, e.target):
                if d.is_prefix:
                    wanted.setdefault(self.qualified_name(d)[1], d)
        if not wanted:
            return {}
        buckets = {naming.bucket(d.parts[0]) for d in wanted.values()}
        existing = self._existing_containers([*wanted, *buckets])
        to_create = sorted(qn for qn in wanted if qn not in existing)

        def build(qn: str) -> Any:
            return self._container_asset(qn, wanted[qn], existing)

        failed = self._save_all(to_create, build, "registering S3 prefixes", report, missing)
        report.prefixes += len(to_create) - len(failed)
        self._link_objects(
            {qn: d for qn, d in wanted.items() if qn not in failed and d.parts[1].strip("/")},
            report,
            missing,
        )
        return {qn: f"the S3 prefix could not be registered: {r}" for qn, r in failed.items()}

    def _link_objects(
        self, prefixes: Mapping[str, Dataset], report: LineageWriteReport, missing: list[str]
    ) -> None:
        """Append to each ``S3Prefix`` the objects s3-enricher wrote under it, once.

        See :func:`link_prefix_objects`.
        """
        if self._objects is None or not prefixes:
            return

        def save(qn: str, asset: Any) -> str | None:
            failed = self._save_all(
                [qn], lambda _: asset, "linking objects to S3 prefixes", report, missing
            )
            return failed.get(qn)

        under = {qn: f"s3://{d.parts[0]}/{d.parts[1].strip('/')}/" for qn, d in prefixes.items()}
        report.linked += link_prefix_objects(self._objects, under, save)

    def _container_asset(self, qn: str, dataset: Dataset, existing: set[str]) -> Any:
        """A new ``S3Prefix`` (or, for a bucket root, ``S3Bucket``) asset for ``dataset``.

        pyatlan 11.6 has no ``S3Prefix.creator``: it is built from its attributes, with a
        placeholder guid as the creators assign. The bucket is linked when it is in Atlan.
        """
        from pyatlan.model.assets import S3Bucket, S3Prefix

        conn = self._s3_connection()
        naming = self._naming()
        bucket, key = dataset.parts
        bucket_qn = naming.bucket(bucket)
        arn = naming.scheme == "arn"
        if qn == bucket_qn:
            return S3Bucket.creator(
                name=bucket,
                connection_qualified_name=conn,
                aws_arn=bucket_arn(bucket) if arn else None,
            )
        attributes = S3Prefix.Attributes(
            qualified_name=qn,
            name=key.strip("/").rsplit("/", 1)[-1],
            connection_qualified_name=conn,
            connector_name="s3",
            s3_bucket_name=bucket,
            s3_bucket_qualified_name=bucket_qn,
        )
        if arn:
            attributes.aws_arn = object_arn(bucket, key.strip("/"))
        if bucket_qn in existing:
            attributes.s3_bucket = S3Bucket.ref_by_qualified_name(bucket_qn)
        prefix = S3Prefix(attributes=attributes)
        prefix.guid = _placeholder_guid()
        return prefix

    def _process_asset(self, planned: _Planned) -> Any:
        """The pyatlan ``Process``/``ColumnProcess`` of ``planned`` (deterministic QN).

        :raises CatalogRejected: pyatlan did not derive the qualified name from the process id
            (it would then hash the name and collide; see the pyatlan notes §5).
        """
        from pyatlan.model.assets import (
            Column,
            ColumnProcess,
            Process,
            S3Bucket,
            S3Object,
            S3Prefix,
            Table,
        )

        kinds: dict[str, Any] = {
            "Table": Table,
            "Column": Column,
            "S3Prefix": S3Prefix,
            "S3Bucket": S3Bucket,
            "S3Object": S3Object,
        }
        inputs = [
            kinds[r.type_name].ref_by_qualified_name(r.qualified_name)
            for r in sorted(planned.inputs)
        ]
        outputs = [
            kinds[r.type_name].ref_by_qualified_name(r.qualified_name)
            for r in sorted(planned.outputs)
        ]
        conn = self._s3_connection()
        if planned.parent is None:
            asset = Process.creator(
                name=planned.name,
                connection_qualified_name=conn,
                process_id=planned.process_id,
                inputs=inputs,
                outputs=outputs,
            )
        else:
            asset = ColumnProcess.creator(
                name=planned.name,
                connection_qualified_name=conn,
                process_id=planned.process_id,
                parent=Process.ref_by_qualified_name(planned.parent),
                inputs=inputs,
                outputs=outputs,
            )
        if planned.sql is not None:
            asset.sql = planned.sql
        if asset.qualified_name != planned.qualified_name:
            raise CatalogRejected(
                f"pyatlan named process {planned.process_id!r} {asset.qualified_name!r}, "
                f"not {planned.qualified_name!r}: refusing to write a colliding process"
            )
        return asset

    def _save_all(
        self,
        items: Sequence[_T],
        build: Callable[[_T], Any],
        operation: str,
        report: LineageWriteReport,
        missing: list[str],
    ) -> dict[_T, str]:
        """Save ``items`` in batches; a rejected batch is retried one item at a time.

        :returns: item -> reason, for the items Atlan rejected on their own.
        :raises CatalogUnavailable: Atlan is unavailable (stops at once).
        :raises CatalogAuthError: Atlan refused the API key.
        """

        def send(batch: list[_T]) -> list[None]:
            self._save([build(item) for item in batch], operation, report)
            return [None] * len(batch)

        _, refused = send_isolating(items, self.lineage.batch_size, send, halves=False)
        return {item: self._reason(exc, missing) for item, exc in refused}

    def _save(self, assets: list[Any], operation: str, report: LineageWriteReport) -> None:
        """One bulk upsert (tags and custom metadata untouched)."""
        report.requests += 1
        try:
            with atlan_errors(operation):
                self.client.asset.save(assets)
        finally:
            if self.on_request is not None:
                self.on_request()

    def tag_table_columns(
        self, approved: Sequence[SuggestionView]
    ) -> tuple[list[int], dict[int, str]]:
        """Append approved tags and glossary terms to PostgreSQL/Snowflake/Redshift columns.

        These come from lineage evidence (PII or a business type found in the S3 dataset
        the column exports to or loads from).

        Only columns that exist in Atlan are tagged (an upsert of a missing column would
        create a bare asset); the others wait with the reason. Never raises for a refusal.

        :returns: (ids Atlan confirmed, {id: why not}).
        """
        from pyatlan.model.assets import AtlasGlossaryTerm, Column
        from pyatlan.model.enums import SaveSemantic
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        failed: dict[int, str] = {}
        targets: dict[str, list[SuggestionView]] = {}
        for s in approved:
            try:
                dataset = Dataset.parse(s.object_uri)
                _, qn = self.qualified_name(dataset, s.column)
            except (InvalidDataset, CatalogRejected) as exc:
                failed[s.id] = exc.message if isinstance(exc, CatalogRejected) else str(exc)
                continue
            targets.setdefault(qn, []).append(s)
        if not targets:
            return [], failed
        found: set[str] = set()
        try:
            for chunk in chunks(sorted(targets), _SEARCH_CHUNK):
                search = (
                    FluentSearch()
                    .where(CompoundQuery.active_assets())
                    .where(CompoundQuery.asset_type(Column))
                    .where(Column.QUALIFIED_NAME.within(list(chunk)))
                    .page_size(_SEARCH_CHUNK)
                )
                with atlan_errors("reading table columns"):
                    found |= {
                        str(a.qualified_name)
                        for a in all_results(search.execute(client=self.client))
                    }
        except CatalogWriteError as exc:
            return [], {s.id: exc.message for s in approved}
        updates: list[tuple[Any, list[int]]] = []
        for qn, items in sorted(targets.items()):
            if qn not in found:
                for s in items:
                    failed[s.id] = f"not in Atlan: {qn} (not crawled yet, or wrong connection?)"
                continue
            tags = {s.tag for s in items if s.kind == "tag"}
            terms = sorted({s.tag for s in items if s.kind == "term"})
            if tags and self.atlan.umbrella_tag:
                tags.add(self.atlan.umbrella_tag)
            u = Column.updater(qualified_name=qn, name=qn.rsplit("/", 1)[-1])
            tag_changes(u, tags, propagate=self.atlan.propagate)
            if terms:
                u.assigned_terms = [
                    AtlasGlossaryTerm.ref_by_qualified_name(t, semantic=SaveSemantic.APPEND)
                    for t in terms
                ]
            updates.append((u, [s.id for s in items]))

        def send(batch: list[tuple[Any, list[int]]]) -> list[str | None]:
            """None per column tagged; Atlan being down fails the batch, not the rest."""
            try:
                with atlan_errors("tagging table columns"):
                    self.client.asset.save([u for u, _ in batch], append_atlan_tags=True)
            except CatalogRejected:
                raise  # one column refused (403, ...): the others still land
            except CatalogWriteError as exc:
                return [exc.message] * len(batch)
            finally:
                if self.on_request is not None:
                    self.on_request()
            return [None] * len(batch)

        sent, refused = send_isolating(updates, self.lineage.batch_size, send, halves=False)
        done: list[int] = []
        for (_, ids), error in sent:
            if error is None:
                done.extend(ids)
            else:
                failed.update({i: error for i in ids})
        failed.update({i: exc.message for (_, ids), exc in refused for i in ids})
        return done, failed

    @staticmethod
    def _reason(exc: CatalogRejected, missing: list[str]) -> str:
        """Why one item was rejected; the missing qualified names go to ``missing``."""
        qns = missing_qualified_names(exc)
        if not qns:
            return exc.message
        missing.extend(qns)
        return f"not in Atlan: {', '.join(qns)} (not crawled yet, or wrong connection?)"
