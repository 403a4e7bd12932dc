"""Lineage from a LookML project: Snowflake tables → Looker explores → dashboards. Pure.

The caller reads the files (:mod:`worker.services.lineage.lookml_files`) and passes their
text; nothing here touches the disk. What links what:

- a **view** reads Snowflake tables: its ``sql_table_name``, or the tables its derived
  table's SQL selects from (parsed with sqlglot by the SQL lineage code,
  :func:`worker.core.lineage.sql.trees.query_tables`; ``${other.SQL_TABLE_NAME}`` reads the
  other view's tables, ``explore_source`` the explore's, Liquid tags are neutralised);
- an **explore** (``explore:`` in a ``*.model.lkml`` file, or in a file the model includes)
  joins views (its base view, ``from``/``view_name``, and each ``join``, ``from`` or its
  name); it becomes the node ``looker:explore/<model>::<explore>`` and gets one edge from
  every table its views read;
- a **dashboard** (``*.dashboard.lookml``, YAML) links to the explores its elements query
  (``model:`` and ``explore:`` on an element, its ``query:`` or its ``merged_queries:``);
  it becomes ``looker:dashboard/<model>::<dashboard>``, ``<model>`` being the model that
  includes the file (else the model most of its elements use), as Looker names LookML
  dashboards.

Views are not nodes: a change to a table reaches the explores and dashboards either way,
and Looker's users know explores and dashboards. Refinements (``explore: +orders``) add no
new explore. Anything that gives no lineage (an unparseable file, a view with neither a
table nor SQL, SQL that names no table) is a :class:`~models.lineage.LineageProblem`; the
rest still loads.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from models.lineage import (
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
)

#: ``${view.SQL_TABLE_NAME}`` in derived-table SQL: the other view's table (or SQL).
_VIEW_TABLE = re.compile(r"\$\{\s*([A-Za-z0-9_]+)\.SQL_TABLE_NAME\s*\}", re.IGNORECASE)
#: Any other LookML substitution (``${TABLE}``, ``${field}``) or constant (``@{name}``).
_SUBSTITUTION = re.compile(r"[$@]\{[^}]*\}")
_CONDITION = re.compile(r"\{%\s*condition\b.*?%\}.*?\{%\s*endcondition\s*%\}", re.DOTALL)
_LIQUID_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
_LIQUID_OUTPUT = re.compile(r"\{\{.*?\}\}", re.DOTALL)
#: Placeholder table a ``${view.SQL_TABLE_NAME}`` becomes, so that sqlglot can parse.
_PLACEHOLDER = "s3e_lookml_view__"
_STATEMENT_PREVIEW = 200


@dataclass(slots=True)
class _View:
    name: str
    location: str
    tables: list[Dataset] = field(default_factory=list)
    views: list[str] = field(default_factory=list)  # ${other.SQL_TABLE_NAME}
    explores: list[str] = field(default_factory=list)  # explore_source


@dataclass(slots=True)
class _Explore:
    model: str
    name: str
    location: str
    views: list[str]


def _model_of(path: str) -> str | None:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return base[: -len(".model.lkml")] if base.endswith(".model.lkml") else None


def _included(path: str, patterns: Iterable[str]) -> bool:
    """Whether the project file ``path`` (relative, ``/`` separated) matches an include."""
    for pattern in patterns:
        if pattern.startswith("//"):
            continue  # another project's files (remote dependency)
        pattern = pattern.lstrip("/")
        # Looker's ``**`` spans folders; fnmatch's ``*`` already does.
        if fnmatch.fnmatchcase(path, pattern.replace("**/", "*")) or fnmatch.fnmatchcase(
            path, pattern
        ):
            return True
    return False


def neutralise_liquid(sql: str) -> str:
    """``sql`` with Liquid and LookML substitutions made parseable (tables kept).

    ``{% condition %}...{% endcondition %}`` becomes ``1=1``, other tags go, outputs
    (``{{ }}``) and substitutions (``${TABLE}``, ``@{constant}``) become ``NULL``, and
    ``${view.SQL_TABLE_NAME}`` a placeholder table naming the view.
    """
    sql = _CONDITION.sub("1=1", sql)
    sql = _LIQUID_TAG.sub(" ", sql)
    sql = _LIQUID_OUTPUT.sub("NULL", sql)
    sql = _VIEW_TABLE.sub(lambda m: f"{_PLACEHOLDER}{m.group(1).lower()}", sql)
    return _SUBSTITUTION.sub("NULL", sql)


def _table_name(
    text: str, database: str | None, schema: str | None
) -> tuple[Dataset | None, str | None]:
    """The Snowflake table of a ``sql_table_name`` (or the reason it has none)."""
    cleaned = text.strip().rstrip(";").strip()
    if _SUBSTITUTION.search(cleaned) or "{" in cleaned:
        return None, f"sql_table_name {cleaned[:80]!r} uses a substitution s3e cannot resolve"
    parts = [p.strip().strip('"').strip("`") for p in cleaned.split(".")]
    if len(parts) == 2 and database:
        parts = [database, *parts]
    elif len(parts) == 1 and database and schema:
        parts = [database, schema, *parts]
    if len(parts) != 3:
        return None, (
            f"sql_table_name {cleaned[:80]!r} is not DATABASE.SCHEMA.TABLE "
            "(give --database/--schema for unqualified names)"
        )
    try:
        return Dataset.table(System.SNOWFLAKE, *parts), None
    except InvalidDataset as exc:
        return None, str(exc)


def _sql_tables(
    sql: str,
    location: str,
    database: str | None,
    schema: str | None,
    dialect: str,
    problems: list[LineageProblem],
) -> tuple[list[Dataset], list[str]]:
    """The tables (and ``${view.SQL_TABLE_NAME}`` views) a derived table's SQL reads."""
    from worker.core.lineage.sql.results import Collector, Context, NoLineage, at
    from worker.core.lineage.sql.trees import parse, query_tables

    cleaned = neutralise_liquid(sql)
    views = [m.group(1).lower() for m in _VIEW_TABLE.finditer(sql)]
    try:
        tree = parse(cleaned, [dialect])
    except NoLineage as exc:
        problems.append(LineageProblem(location, sql[:_STATEMENT_PREVIEW], str(exc)))
        return [], views
    out = Collector()
    ctx = Context(dialect, database, schema, {}, at(location))
    # Placeholders are single names; give them a schema so that they resolve, then drop them.
    tables = [
        t
        for t in query_tables(tree, System.SNOWFLAKE, ctx, out, location, sql)
        if not t.parts[2].lower().startswith(_PLACEHOLDER)
    ]
    problems.extend(
        p for p in out.problems if _PLACEHOLDER not in p.reason.lower()
    )  # a placeholder without a default schema is no problem
    return tables, list(dict.fromkeys(views))


def _views(
    path: str,
    items: Sequence[Mapping[str, Any]],
    database: str | None,
    schema: str | None,
    dialect: str,
    problems: list[LineageProblem],
) -> list[_View]:
    out: list[_View] = []
    for item in items:
        name = str(item.get("name", "")).strip().lower()
        if not name or name.startswith("+"):
            continue  # refinements add fields, not sources
        view = _View(name, f"{path}#view:{name}")
        derived = item.get("derived_table")
        if isinstance(derived, Mapping) and isinstance(derived.get("sql"), str):
            view.tables, view.views = _sql_tables(
                derived["sql"], view.location, database, schema, dialect, problems
            )
            if not view.tables and not view.views:
                problems.append(
                    LineageProblem(
                        view.location, derived["sql"][:200], "derived SQL reads no table"
                    )
                )
        elif isinstance(derived, Mapping) and derived.get("explore_source"):
            source = derived["explore_source"]
            source_name = source.get("name") if isinstance(source, Mapping) else source
            view.explores = [str(source_name).strip().lower()]
        elif isinstance(item.get("sql_table_name"), str):
            table, reason = _table_name(item["sql_table_name"], database, schema)
            if table is not None:
                view.tables = [table]
            else:
                problems.append(
                    LineageProblem(view.location, item["sql_table_name"][:200], reason or "")
                )
        elif item.get("extends") or item.get("extension"):
            continue  # a template view: the extending views name their tables
        else:
            # A view without sql_table_name reads the table named like itself; only trust
            # that with a default database and schema.
            table, _ = _table_name(name, database, schema) if database and schema else (None, None)
            if table is None:
                problems.append(
                    LineageProblem(view.location, "", "view has no sql_table_name or derived table")
                )
                continue
            view.tables = [table]
        out.append(view)
    return out


def _explores(path: str, model: str, items: Sequence[Mapping[str, Any]]) -> list[_Explore]:
    out: list[_Explore] = []
    for item in items:
        name = str(item.get("name", "")).strip().lower()
        if not name or name.startswith("+"):
            continue
        base = str(item.get("from") or item.get("view_name") or name).strip().lower()
        views = [base]
        for join in item.get("joins", []) or []:
            if isinstance(join, Mapping):
                view = str(join.get("from") or join.get("name") or "").strip().lower()
                if view and view not in views:
                    views.append(view)
        out.append(_Explore(model, name, f"{path}#explore:{name}", views))
    return out


def _element_queries(element: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """(model, explore) of a dashboard element's queries."""
    found: list[tuple[str | None, str]] = []
    for query in [element, element.get("query"), *(element.get("merged_queries") or [])]:
        if isinstance(query, Mapping) and query.get("explore"):
            model = query.get("model")
            found.append(
                (str(model).strip().lower() if model else None, str(query["explore"]).lower())
            )
    return found


def _dashboards(
    path: str, text: str, models: Mapping[str, Sequence[str]], problems: list[LineageProblem]
) -> list[tuple[Dataset, list[Dataset], str]]:
    """(dashboard, explores it queries, location) of a ``*.dashboard.lookml`` file."""
    try:
        docs = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(LineageProblem(path, "", f"not a LookML dashboard (YAML): {exc}"))
        return []
    if isinstance(docs, Mapping):
        docs = [docs]
    including = sorted(m for m, includes in models.items() if _included(path, includes))
    out: list[tuple[Dataset, list[Dataset], str]] = []
    for doc in docs if isinstance(docs, list) else []:
        if not isinstance(doc, Mapping) or not doc.get("dashboard"):
            continue
        name = str(doc["dashboard"]).strip()
        location = f"{path}#dashboard:{name}"
        queries = [
            q
            for e in doc.get("elements") or []
            if isinstance(e, Mapping)
            for q in _element_queries(e)
        ]
        modelled = Counter(m for m, _ in queries if m)
        model = including[0] if including else (modelled.most_common(1)[0][0] if modelled else None)
        if model is None:
            problems.append(LineageProblem(location, "", "no model includes the dashboard"))
            continue
        try:
            dashboard = Dataset.looker("dashboard", model, name)
            explores = list(
                dict.fromkeys(Dataset.looker("explore", m or model, x) for m, x in queries)
            )
        except InvalidDataset as exc:
            problems.append(LineageProblem(location, "", str(exc)))
            continue
        if not explores:
            problems.append(LineageProblem(location, "", "no element queries an explore"))
            continue
        out.append((dashboard, explores, location))
    return out


def parse_lookml_project(
    files: Sequence[tuple[str, str]],
    *,
    database: str | None = None,
    schema: str | None = None,
    dialect: str = "snowflake",
) -> LineageFindings:
    """Lineage edges of a LookML project: table → explore and explore → dashboard.

    :param files: (path relative to the project root, ``/`` separated; text) of its
        ``*.lkml`` and ``*.dashboard.lookml`` files.
    :param database: database of ``sql_table_name``/derived-table names without one.
    :param schema: schema of names without one.
    :returns: edges (origin ``sql``, confidence 1.0, no column maps) and problems.
    """
    import lkml  # lazily: only ``lineage load --lookml`` parses LookML

    problems: list[LineageProblem] = []
    views: dict[str, _View] = {}
    explores: list[_Explore] = []
    parsed: dict[str, dict[str, Any]] = {}
    for path, text in files:
        if path.endswith(".lkml"):
            try:
                parsed[path] = lkml.load(text) or {}
            except Exception as exc:  # noqa: BLE001 - lkml raises plain errors on bad syntax
                problems.append(LineageProblem(path, "", f"not LookML: {exc}"))
    models = {
        m: [str(i) for i in doc.get("includes", []) or []]
        for path, doc in parsed.items()
        if (m := _model_of(path)) is not None
    }
    for path, doc in parsed.items():
        for view in _views(path, doc.get("views", []) or [], database, schema, dialect, problems):
            views.setdefault(view.name, view)
        model = _model_of(path)
        owners = (
            [model] if model else sorted(m for m, inc in models.items() if _included(path, inc))
        )
        for owner in owners:
            explores.extend(_explores(path, owner, doc.get("explores", []) or []))
    by_name = {(e.model, e.name): e for e in explores}

    def view_tables(name: str, seen: frozenset[str] = frozenset()) -> list[Dataset]:
        view = views.get(name)
        if view is None or name in seen:
            return []
        seen = seen | {name}
        found = list(view.tables)
        for other in view.views:
            found.extend(view_tables(other, seen))
        for explore in view.explores:
            for e in explores:
                if e.name == explore:
                    for v in e.views:
                        found.extend(view_tables(v, seen))
        return list(dict.fromkeys(found))

    edges: dict[str, LineageEdge] = {}
    for e in explores:
        target = Dataset.looker("explore", e.model, e.name)
        for view_name in e.views:
            if view_name not in views:
                problems.append(
                    LineageProblem(e.location, "", f"explore joins view {view_name}, not defined")
                )
                continue
            for table in view_tables(view_name):
                edge = LineageEdge(
                    table,
                    target,
                    Origin.SQL,
                    1.0,
                    location=views[view_name].location,
                    reason=f"explore {e.name} uses view {view_name}",
                )
                edges.setdefault(edge.id, edge)
    for path, text in files:
        if path.endswith(".dashboard.lookml"):
            for dashboard, used, location in _dashboards(path, text, models, problems):
                for explore in used:
                    if (explore.parts[1], explore.parts[2]) not in by_name:
                        problems.append(
                            LineageProblem(
                                location, "", f"{explore.uri} is not defined in the project"
                            )
                        )
                    edge = LineageEdge(
                        explore,
                        dashboard,
                        Origin.SQL,
                        1.0,
                        location=location,
                        reason=f"dashboard {dashboard.parts[2]} queries {explore.parts[2]}",
                    )
                    edges.setdefault(edge.id, edge)
    return LineageFindings(list(edges.values()), problems)
