"""dbt lineage: a project's ``target/manifest.json`` as hops S3 → sources → models.

The manifest is validated with ``dbt-artifacts-parser`` (schema v12, dbt 1.8 and later; a
newer schema is tried as v12), never with a parser of our own. What it gives, all
:attr:`~models.lineage.Origin.SQL` with confidence 1.0 and location
``"<manifest>#<unique_id>"``:

* **External sources.** A source with dbt-external-tables' ``external.location`` over S3
  (``@stage/path``, resolved through ``CREATE STAGE ... URL=`` definitions: the manifest's
  compiled SQL and hooks, and SQL scripts the caller passes; or a literal ``s3://...``)
  gives the hop S3 dataset → the source's table, with its declared columns mapped by name.
* **Models and snapshots** are tables ``database.schema.alias`` of the adapter's system
  (``metadata.adapter_type``: snowflake, postgres or redshift; names folded as the system
  folds unquoted identifiers). Each gets a hop from every node it depends on (sources,
  seeds, models, snapshots; an ephemeral model is passed through to what it depends on),
  with the compiled SQL as the hop's ``sql``. Column maps come from the compiled SQL where
  it is one SELECT over tables (the same code as the SQL scripts' transforms:
  :func:`worker.core.lineage.sql.columns.projection_mappings`; hashing marks a column
  masked); CTEs, unions and ``*`` give table-level hops only.

Nothing here raises for bad content: invalid JSON, a manifest the parser rejects, an
unsupported adapter, an unresolved stage, a dependency missing from the manifest or
compiled SQL sqlglot cannot read are :class:`~models.lineage.LineageProblem` objects (the
hops that do not need the failing part are still given). Validation errors name fields,
never values.

Pure: the caller reads the file (:func:`worker.services.lineage.source_files.load_dbt_manifest`).
Importing the parser's models takes about half a second, so it happens in
:func:`parse_dbt_manifest`, not at import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.lineage import (
    ColumnMapping,
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
)
from worker.core.lineage.sql.columns import fold, projection_mappings
from worker.core.lineage.sql.lexer import Script
from worker.core.lineage.sql.results import Context, NoLineage, at
from worker.core.lineage.sql.stages import collect_stages, location_dataset
from worker.core.lineage.sql.trees import parse

if TYPE_CHECKING:
    from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12, Sources

__all__ = ["ADAPTER_SYSTEMS", "parse_dbt_manifest"]

#: dbt adapters (``metadata.adapter_type``) and the systems their relations live in.
ADAPTER_SYSTEMS: dict[str, System] = {
    "snowflake": System.SNOWFLAKE,
    "postgres": System.POSTGRES,
    "redshift": System.REDSHIFT,
}
#: Whether the adapter's string literals take backslash escapes (how select items are lexed).
_BACKSLASH = {System.SNOWFLAKE: True, System.POSTGRES: False, System.REDSHIFT: True}
_SUPPORTED_VERSION = 12
_SCHEMA_VERSION = re.compile(r"/manifest/v(\d+)\.json$")
#: Node types that are relations (tables or views) a model can depend on.
_RELATIONS = frozenset({"model", "seed", "snapshot"})
#: Node types built from SQL, which get hops from their dependencies.
_BUILT = frozenset({"model", "snapshot"})
_STATEMENT_MAX = 200
_VALIDATION_ERRORS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class _Relation:
    """A node or source as lineage sees it: its dataset (``None``: ephemeral) and parents."""

    unique_id: str
    resource_type: str
    dataset: Dataset | None
    parents: tuple[str, ...] = ()
    sql: str | None = None
    database: str | None = None
    schema: str | None = None


def parse_dbt_manifest(
    text: str, source_name: str, *, stage_sql: Sequence[str] = ()
) -> LineageFindings:
    """The lineage of a dbt project's ``manifest.json`` (see the module docstring).

    :param text: the manifest's JSON.
    :param source_name: names the manifest in locations (usually its path).
    :param stage_sql: SQL scripts whose ``CREATE STAGE`` statements resolve the stages that
        external sources name (the manifest's own compiled SQL is searched too).
    :returns: the hops and the problems. Never raises for bad content.
    """
    findings = LineageFindings()
    manifest = _validated(text, source_name, findings.problems)
    if manifest is None:
        return findings
    adapter = (manifest.metadata.adapter_type or "").lower()
    system = ADAPTER_SYSTEMS.get(adapter)
    if system is None:
        supported = ", ".join(ADAPTER_SYSTEMS)
        findings.problems.append(
            LineageProblem(
                source_name,
                f"metadata.adapter_type: {adapter or '(none)'}",
                f"dbt adapter {adapter or '(none)'!r} is not supported ({supported}): "
                "no lineage from this manifest",
            )
        )
        return findings
    mapper = _Mapper(source_name, system, adapter, findings)
    mapper.stages = _stages(
        [*stage_sql, *(getattr(n, "compiled_code", None) or "" for n in manifest.nodes.values())],
        adapter,
    )
    relations = mapper.relations(manifest)
    for source in manifest.sources.values():
        mapper.external_source(source, relations.get(source.unique_id))
    for relation in relations.values():
        if relation.resource_type in _BUILT and relation.dataset is not None:
            mapper.model(relation, relations)
    if mapper.uncompiled:
        findings.problems.append(
            LineageProblem(
                source_name,
                "",
                f"{mapper.uncompiled} models have no compiled SQL (a manifest from `dbt parse`; "
                "run `dbt compile`): their hops have no column maps",
            )
        )
    return findings


def _validated(text: str, source_name: str, problems: list[LineageProblem]) -> ManifestV12 | None:
    """The manifest validated as schema v12, or ``None`` with a problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(
            LineageProblem(
                f"{source_name}:{exc.lineno}", "", f"invalid JSON at line {exc.lineno}: {exc.msg}"
            )
        )
        return None
    metadata = data.get("metadata") if isinstance(data, dict) else None
    version_url = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    match = _SCHEMA_VERSION.search(version_url) if isinstance(version_url, str) else None
    if match is None:
        problems.append(
            LineageProblem(
                source_name,
                "",
                "not a dbt manifest: no metadata.dbt_schema_version naming a manifest schema",
            )
        )
        return None
    if int(match.group(1)) < _SUPPORTED_VERSION:
        problems.append(
            LineageProblem(
                source_name,
                str(version_url),
                f"manifest schema v{match.group(1)} is older than v{_SUPPORTED_VERSION}: "
                "compile the project with dbt 1.8 or later",
            )
        )
        return None
    # Half a second of imports (thousands of generated models): only when a manifest loads.
    from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12
    from pydantic import ValidationError

    try:
        return ManifestV12.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][:6])}: {e['msg']}"
            for e in errors[:_VALIDATION_ERRORS_SHOWN]
        )
        more = len(errors) - _VALIDATION_ERRORS_SHOWN
        problems.append(
            LineageProblem(
                source_name,
                str(version_url),
                f"not a valid dbt manifest (schema v{_SUPPORTED_VERSION}): {shown}"
                + (f" (and {more} more errors)" if more > 0 else ""),
            )
        )
        return None


def _stages(texts: Iterable[str], dialect: str) -> dict[str, str]:
    """``CREATE STAGE`` definitions in ``texts`` (a later one wins)."""
    stages: dict[str, str] = {}
    for text in texts:
        if "stage" in text.lower():
            stages.update(collect_stages(Script.of(text, dialect).statements()))
    return stages


class _Mapper:
    """The manifest's nodes to hops, collecting problems on the way."""

    def __init__(
        self, source_name: str, system: System, dialect: str, findings: LineageFindings
    ) -> None:
        self.source_name = source_name
        self.system = system
        self.dialect = dialect
        self.findings = findings
        self.stages: dict[str, str] = {}
        self.uncompiled = 0
        #: Relations whose table could not be named (already a problem each).
        self.unnamed: set[str] = set()

    def location(self, unique_id: str) -> str:
        return f"{self.source_name}#{unique_id}"

    def problem(self, unique_id: str, statement: str, reason: str) -> None:
        self.findings.problems.append(
            LineageProblem(self.location(unique_id), statement[:_STATEMENT_MAX], reason)
        )

    def table(self, unique_id: str, database: str | None, schema: str, name: str) -> Dataset | None:
        """The relation's dataset, or ``None`` with a problem."""
        if not database:
            self.problem(unique_id, "", "no database: cannot name its table")
            return None
        try:
            return Dataset.table(self.system, database, schema, name)
        except InvalidDataset as exc:
            self.problem(unique_id, "", str(exc))
            return None

    def relations(self, manifest: ManifestV12) -> dict[str, _Relation]:
        """Every source, model, seed and snapshot by unique id."""
        found: dict[str, _Relation] = {}
        for source in manifest.sources.values():
            dataset = self.table(
                source.unique_id, source.database, source.schema_, source.identifier
            )
            if dataset is None:
                self.unnamed.add(source.unique_id)
                continue
            found[source.unique_id] = _Relation(source.unique_id, "source", dataset)
        for node in manifest.nodes.values():
            kind = node.resource_type
            if kind not in _RELATIONS:
                continue
            config: Any = node.config
            materialized = getattr(config, "materialized", None)
            dataset = None
            if materialized != "ephemeral":
                dataset = self.table(node.unique_id, node.database, node.schema_, node.alias)
                if dataset is None:
                    self.unnamed.add(node.unique_id)
                    continue
            depends = getattr(node, "depends_on", None)
            found[node.unique_id] = _Relation(
                node.unique_id,
                kind,
                dataset,
                tuple(getattr(depends, "nodes", None) or ()),
                getattr(node, "compiled_code", None),
                node.database,
                node.schema_,
            )
        return found

    def external_source(self, source: Sources, relation: _Relation | None) -> None:
        """The hop S3 → an external source's table (when ``external.location`` is S3)."""
        location = source.external.location if source.external is not None else None
        if not location or relation is None or relation.dataset is None:
            return
        location = location.strip()
        if "{{" in location or "{%" in location:
            self.problem(source.unique_id, location, "external.location is unrendered Jinja")
            return
        ctx = Context(
            self.dialect,
            source.database,
            source.schema_,
            self.stages,
            at(self.location(source.unique_id)),
        )
        try:
            s3 = location_dataset(location, ctx)
        except NoLineage as exc:
            self.problem(source.unique_id, location, f"external.location: {exc}")
            return
        columns = tuple(
            ColumnMapping(c.name, fold(c.name, bool(c.quote), self.system))
            for c in (source.columns or {}).values()
        )
        self.findings.edges.append(
            LineageEdge(
                source=s3,
                target=relation.dataset,
                origin=Origin.SQL,
                confidence=1.0,
                columns=columns,
                location=self.location(source.unique_id),
                reason=f"dbt external source {source.source_name}.{source.name}",
            )
        )

    def upstream(
        self, relation: _Relation, relations: dict[str, _Relation], seen: set[str] | None = None
    ) -> list[Dataset]:
        """The datasets ``relation`` reads, through ephemeral models; unknown ids are problems."""
        seen = set() if seen is None else seen
        found: list[Dataset] = []
        for parent_id in relation.parents:
            if parent_id in seen or parent_id in self.unnamed:
                continue
            seen.add(parent_id)
            parent = relations.get(parent_id)
            if parent is None:
                if not parent_id.startswith(("model.", "seed.", "snapshot.", "source.")):
                    continue  # macros' nodes, metrics, semantic models: not relations
                self.problem(
                    relation.unique_id,
                    parent_id,
                    f"depends on {parent_id}, which the manifest does not have (disabled?)",
                )
                continue
            if parent.dataset is None:  # ephemeral: inlined as a CTE, read what it reads
                found.extend(d for d in self.upstream(parent, relations, seen) if d not in found)
            elif parent.dataset not in found:
                found.append(parent.dataset)
        return found

    def model(self, relation: _Relation, relations: dict[str, _Relation]) -> None:
        """The hops into a model or snapshot from what it depends on."""
        assert relation.dataset is not None
        sources = self.upstream(relation, relations)
        if not sources:
            return
        mappings = self.column_maps(relation)
        for source in sources:
            self.findings.edges.append(
                LineageEdge(
                    source=source,
                    target=relation.dataset,
                    origin=Origin.SQL,
                    confidence=1.0,
                    columns=tuple(mappings.get(source, ())),
                    sql=relation.sql.strip() if relation.sql else None,
                    location=self.location(relation.unique_id),
                    reason=f"dbt {relation.resource_type} depends on it",
                )
            )

    def column_maps(self, relation: _Relation) -> dict[Dataset, list[ColumnMapping]]:
        """Column maps from the compiled SQL, per source table (empty when it gives none)."""
        sql = (relation.sql or "").strip().rstrip(";").strip()
        if not sql:
            self.uncompiled += 1
            return {}
        ctx = Context(
            self.dialect,
            relation.database,
            relation.schema,
            self.stages,
            at(self.location(relation.unique_id)),
        )
        try:
            tree = parse(sql, [self.dialect])
        except NoLineage as exc:
            self.problem(
                relation.unique_id, sql, f"compiled SQL not parsed, hops without column maps: {exc}"
            )
            return {}
        return projection_mappings(
            tree, self.system, ctx, sql, self.dialect, _BACKSLASH[self.system]
        )
