"""Declared lineage: parsing YAML pipelines PostgreSQL/Redshift table → S3 → Snowflake.

The strongest lineage source: what a person wrote down. Each pipeline gives up to two hops,
``upstream table → S3`` and ``S3 → Snowflake`` (:attr:`Origin.DECLARED`, confidence 1.0,
location ``"<file>: pipeline <n> (<name>)"``)::

    pipelines:
      - name: customers export            # optional
        postgres: appdb.public.customers  # database.schema.table
        s3: s3://lake/exports/customers/  # a prefix (ends with /) or one object
        snowflake: ANALYTICS.PUBLIC.CUSTOMERS
        sql: "COPY INTO ..."              # optional, written on the process
        columns:                          # optional: postgres column -> snowflake column
          id: ID
          email: {target: EMAIL_SHA, masked: true, expression: "sha2(email)"}
      - s3: s3://lake/exports/orders/
        snowflake: ANALYTICS.PUBLIC.ORDERS
        redshift: dev.public.orders       # alternative upstream instead of postgres
      - local: lake/hr/employees.csv      # a local folder or file instead of s3
        postgres: hrdb.public.employees

Rules:

* ``s3`` is required, and at least one of the sides: an upstream (``postgres`` *or*
  ``redshift``, not both) and/or ``snowflake``. A pipeline with one side gives one hop.
* ``local`` takes the place of ``s3`` for a lake on local disk (the bundled sample lake, a
  synced copy): a path relative to the YAML file's folder (``base``), or absolute, or a
  ``file://`` URL; a folder ends with ``/``. It names the dataset as the scan recorded it
  (``file:///abs/path``) and is taken as written (no folder resolution).
* ``s3`` is parsed literally here: ``s3://bucket/prefix/`` (trailing slash) is a prefix,
  anything else one object (see :meth:`Dataset.parse`). Loading resolves it to its dataset
  like any other endpoint (:mod:`worker.core.lineage.resolve`): an object joins the folder
  dataset that holds it unless the catalog knows it as a dataset of its own.
* Table names are ``database.schema.table`` (folded as the system folds unquoted names).
* ``columns`` maps an upstream column to its Snowflake column; the export keeps the upstream
  column names, so the ``upstream → S3`` hop gets ``col → col`` and the ``S3 → Snowflake``
  hop ``col → target`` with the ``expression`` and ``masked`` flag. A value may be a target
  name, ``{target, masked, expression}``, or empty (same name). Quote column names YAML reads
  as something else (``"no"``, ``"on"``, ``"yes"``, numbers).
* ``sql`` goes on the ``S3 → Snowflake`` hop when there is one (a ``COPY INTO``), else on
  the upstream hop (an unload).

Nothing here raises for bad content: an invalid pipeline (not a mapping, an unknown or
duplicate key, a bad table name, no ``s3``, ...) gives one :class:`LineageProblem` per
defect, whose reason names the pipeline number and the key, and no edges, while the valid
pipelines still load. Invalid YAML gives one problem with the line; unknown top-level keys
one problem each.

Pure: the caller reads the file (:func:`worker.services.lineage.source_files.load_declared`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

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
from worker.core.lineage.described import kind, shown

__all__ = ["parse_declared"]

_PIPELINE_KEYS = ("name", "postgres", "redshift", "s3", "local", "snowflake", "sql", "columns")
_COLUMN_KEYS = ("target", "masked", "expression")
_TOP_KEYS = ("pipelines",)
_STATEMENT_MAX = 200


def parse_declared(text: str, source_name: str, base: str = "/") -> LineageFindings:
    """Parse declared lineage YAML.

    :param source_name: names the source in locations (usually the file path).
    :param base: the absolute folder relative ``local`` paths start from (the YAML file's).
    :returns: one or two edges per valid pipeline, one problem per defect. Never raises for
        bad content.
    """
    findings = LineageFindings()
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        findings.problems.append(_yaml_problem(text, source_name, exc))
        return findings
    finally:
        loader.dispose()
    if root is None or data is None:
        return findings
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        findings.problems.append(
            _problem(
                text,
                source_name,
                root,
                f"the document must be a mapping with a 'pipelines' list, got {_kind(data)}",
            )
        )
        return findings
    pipelines_node: yaml.Node | None = None
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key == "pipelines":
            pipelines_node = value_node
        else:
            findings.problems.append(
                _problem(
                    text,
                    source_name,
                    key_node,
                    f"unknown top-level key {key!r} (allowed: {', '.join(_TOP_KEYS)})",
                )
            )
    pipelines = data.get("pipelines")
    if pipelines_node is None:
        findings.problems.append(
            _problem(text, source_name, root, "no 'pipelines' key: nothing is declared")
        )
        return findings
    if pipelines is None:
        return findings
    if not isinstance(pipelines, list) or not isinstance(pipelines_node, yaml.SequenceNode):
        findings.problems.append(
            _problem(
                text,
                source_name,
                pipelines_node,
                f"'pipelines' must be a list of pipelines, got {_kind(pipelines)}",
            )
        )
        return findings
    for number, (entry, node) in enumerate(zip(pipelines, pipelines_node.value, strict=True), 1):
        parsed = _Pipeline.parse(number, entry, node, source_name, base)
        if parsed.reasons:
            findings.problems.extend(
                _problem(text, source_name, node, reason, at) for reason, at in parsed.reasons
            )
        else:
            findings.edges.extend(parsed.edges())
    return findings


@dataclass
class _Pipeline:
    """One pipeline entry being validated (``reasons`` empty: valid)."""

    number: int
    source_name: str
    node: yaml.Node
    name: str | None = None
    upstream: Dataset | None = None
    s3: Dataset | None = None
    snowflake: Dataset | None = None
    sql: str | None = None
    columns: list[tuple[str, ColumnMapping]] = field(default_factory=list)
    #: (reason, the node it is about: the key's line is the problem's line)
    reasons: list[tuple[str, yaml.Node]] = field(default_factory=list)

    @classmethod
    def parse(
        cls, number: int, entry: Any, node: yaml.Node, source_name: str, base: str = "/"
    ) -> _Pipeline:
        p = cls(number, source_name, node)
        if not isinstance(entry, dict) or not isinstance(node, yaml.MappingNode):
            p.fail(f"must be a mapping of {', '.join(_PIPELINE_KEYS)}, got {_kind(entry)}")
            return p
        if isinstance(entry.get("name"), str) and entry["name"].strip():
            p.name = entry["name"].strip()
        p.check_keys(node)
        if "name" in entry and p.name is None:
            p.fail(f"key 'name' must be a non-empty string, got {_kind(entry['name'])}", "name")
        if "postgres" in entry and "redshift" in entry:
            p.fail(
                "keys 'postgres' and 'redshift' both given: one upstream per pipeline", "redshift"
            )
        for key, system in (("postgres", System.POSTGRES), ("redshift", System.REDSHIFT)):
            if key in entry:
                p.upstream = p.table(key, system, entry[key])
        if "snowflake" in entry:
            p.snowflake = p.table("snowflake", System.SNOWFLAKE, entry["snowflake"])
        if "s3" in entry and "local" in entry:
            p.fail("keys 's3' and 'local' both given: one lake dataset per pipeline", "local")
        elif "local" in entry:
            p.s3 = p.local_dataset(entry["local"], base)
        elif "s3" not in entry:
            p.fail("key 's3' is missing: every pipeline goes through S3 (or 'local')")
        else:
            p.s3 = p.s3_dataset(entry["s3"])
        if not any(k in entry for k in ("postgres", "redshift", "snowflake")):
            p.fail("needs an upstream ('postgres' or 'redshift') and/or 'snowflake'")
        if "sql" in entry:
            if isinstance(entry["sql"], str) and entry["sql"].strip():
                p.sql = entry["sql"].strip()
            else:
                p.fail(f"key 'sql' must be a non-empty string, got {_kind(entry['sql'])}", "sql")
        if "columns" in entry:
            p.parse_columns(entry["columns"])
        return p

    @property
    def label(self) -> str:
        return f"pipeline {self.number}" + (f" ({self.name})" if self.name else "")

    def fail(self, reason: str, at: str | yaml.Node | None = None) -> None:
        """Record a defect about key ``at`` (or a node; ``None``: the whole pipeline)."""
        node = self.key_node(at) if isinstance(at, str) else at
        self.reasons.append((f"{self.label}: {reason}", node or self.node))

    def key_node(self, key: str, mapping: yaml.Node | None = None) -> yaml.Node | None:
        """The node of ``key`` in the pipeline (or in ``mapping``), its first occurrence."""
        mapping = self.node if mapping is None else mapping
        if isinstance(mapping, yaml.MappingNode):
            for key_node, _ in mapping.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return key_node
        return None

    def value_node(self, key: str) -> yaml.Node | None:
        """The value node of ``key`` in the pipeline."""
        if isinstance(self.node, yaml.MappingNode):
            for key_node, value_node in self.node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return value_node if isinstance(value_node, yaml.Node) else None
        return None

    def check_keys(self, node: yaml.MappingNode) -> None:
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            if key not in _PIPELINE_KEYS:
                self.fail(f"unknown key {key!r} (allowed: {', '.join(_PIPELINE_KEYS)})", key_node)
            elif key in seen:
                self.fail(f"key {key!r} given twice", key_node)
            seen.add(key)

    def table(self, key: str, system: System, value: Any) -> Dataset | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"key {key!r} must be DATABASE.SCHEMA.TABLE, got {_kind(value)}", key)
            return None
        name = value.strip()
        if name.lower().startswith(f"{system.value}:"):
            name = name[len(system.value) + 1 :]
        try:
            return Dataset.parse(f"{system.value}:{name}")
        except InvalidDataset as exc:
            self.fail(f"key {key!r}: {exc}", key)
            return None

    def s3_dataset(self, value: Any) -> Dataset | None:
        if not isinstance(value, str) or not value.strip().startswith("s3://"):
            self.fail(f"key 's3' must be an s3://bucket/prefix/ URL, got {shown(value)}", "s3")
            return None
        url = value.strip()
        if not url[5:].split("/", 1)[0]:
            self.fail(f"key 's3': {url!r} has no bucket", "s3")
            return None
        return Dataset.parse(url)

    def local_dataset(self, value: Any, base: str) -> Dataset | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"key 'local' must be a path or file:// URL, got {shown(value)}", "local")
            return None
        text = value.strip()
        path = text[7:] if text.startswith("file://") else text
        folder = path.endswith("/")
        joined = posixpath.normpath(posixpath.join(base, path))
        return Dataset(System.FILE, joined + ("/" if folder and joined != "/" else ""))

    def parse_columns(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail(
                "key 'columns' must map upstream column names to Snowflake columns, "
                f"got {_kind(value)}",
                "columns",
            )
            return
        node = self.value_node("columns")
        key_nodes = [k for k, _ in node.value] if isinstance(node, yaml.MappingNode) else []
        seen: set[str] = set()
        for key_node in key_nodes:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.fail(f"key 'columns': column {key_node.value!r} given twice", key_node)
                seen.add(key_node.value)
        in_order = len(key_nodes) == len(value)
        for i, (source, spec) in enumerate(value.items()):
            at = key_nodes[i] if in_order else "columns"
            if not isinstance(source, str) or not source.strip():
                self.fail(
                    f"key 'columns': column name {source!r} is not a string (quote it in YAML)",
                    at,
                )
                continue
            mapping = self.column(source.strip(), spec, at)
            if mapping is not None:
                self.columns.append((source.strip(), mapping))

    def column(self, source: str, spec: Any, at: str | yaml.Node) -> ColumnMapping | None:
        where = f"key 'columns', column {source!r}"
        if spec is None:
            return ColumnMapping(source, source)
        if isinstance(spec, str) and spec.strip():
            return ColumnMapping(source, spec.strip())
        if not isinstance(spec, dict):
            self.fail(f"{where}: expected a column name or {{target, masked, expression}}", at)
            return None
        ok = True
        for key in spec:
            if key not in _COLUMN_KEYS:
                allowed = ", ".join(_COLUMN_KEYS)
                self.fail(f"{where}: unknown key {key!r} (allowed: {allowed})", at)
                ok = False
        target, masked, expression = spec.get("target"), spec.get("masked", False), None
        if not isinstance(target, str) or not target.strip():
            self.fail(f"{where}: 'target' must be a non-empty string, got {_kind(target)}", at)
            ok = False
        if not isinstance(masked, bool):
            self.fail(f"{where}: 'masked' must be true or false, got {shown(masked)}", at)
            ok = False
        if spec.get("expression") is not None:
            if isinstance(spec["expression"], str) and spec["expression"].strip():
                expression = spec["expression"].strip()
            else:
                self.fail(f"{where}: 'expression' must be a string", at)
                ok = False
        if not ok:
            return None
        assert isinstance(target, str) and isinstance(masked, bool)
        return ColumnMapping(source, target.strip(), expression, masked)

    def edges(self) -> Iterator[LineageEdge]:
        assert self.s3 is not None
        location = f"{self.source_name}: {self.label}"
        sql_upstream = self.sql if self.snowflake is None else None
        if self.upstream is not None:
            yield LineageEdge(
                source=self.upstream,
                target=self.s3,
                origin=Origin.DECLARED,
                confidence=1.0,
                columns=tuple(ColumnMapping(src, src) for src, _ in self.columns),
                sql=sql_upstream,
                location=location,
                reason="declared",
            )
        if self.snowflake is not None:
            yield LineageEdge(
                source=self.s3,
                target=self.snowflake,
                origin=Origin.DECLARED,
                confidence=1.0,
                columns=tuple(mapping for _, mapping in self.columns),
                sql=self.sql,
                location=location,
                reason="declared",
            )


def _kind(value: Any) -> str:
    return kind(value, null="nothing", mapping="a mapping")


def _problem(
    text: str, source_name: str, node: yaml.Node, reason: str, at: yaml.Node | None = None
) -> LineageProblem:
    """A problem quoting ``node``'s text, located at ``at``'s line (default: ``node``'s)."""
    start, end = node.start_mark, node.end_mark
    snippet = text[start.index : max(end.index, start.index)].strip()
    if not snippet:
        snippet = _line(text, start.line)
    line = (at or node).start_mark.line + 1
    return LineageProblem(
        location=f"{source_name}:{line}",
        statement=snippet[:_STATEMENT_MAX],
        reason=reason,
    )


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index].strip() if 0 <= index < len(lines) else ""


def _yaml_problem(text: str, source_name: str, exc: yaml.YAMLError) -> LineageProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return LineageProblem(source_name, "", f"invalid YAML: {what}")
    line = mark.line + 1
    return LineageProblem(
        location=f"{source_name}:{line}",
        statement=_line(text, mark.line)[:_STATEMENT_MAX],
        reason=f"invalid YAML at line {line}, column {mark.column + 1}: {what}",
    )
