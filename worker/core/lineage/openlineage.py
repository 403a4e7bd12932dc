"""OpenLineage events to lineage hops. Pure.

An ETL job (Airflow, Spark, dbt) describes each run with OpenLineage events
(https://openlineage.io/docs/spec/): a ``RunEvent`` per state change (``START``, ``RUNNING``,
``COMPLETE``, ``FAIL``, ``ABORT``, ``OTHER``) naming the run, the job and its input and output
datasets, a ``JobEvent`` (a job's static lineage, no run) or a ``DatasetEvent`` (one dataset's
metadata). :func:`parse_event` validates one event with the ``openlineage-python`` models
(:mod:`openlineage.client.event_v2`: an ``eventTime`` with a time, a UUID ``runId``, a known
``eventType``, every required field present and of its kind); :func:`run_findings` turns the
events of one run into hops.

Dataset naming (https://openlineage.io/docs/spec/naming):

===============================  ========================  ==================================
namespace                        name                      dataset
===============================  ========================  ==================================
``s3://bucket`` (``s3a``, ``s3n``) ``key`` or ``prefix/``  ``s3://bucket/key`` (resolved to its
                                                           dataset when loaded: a partition
                                                           file joins its folder dataset)
``postgres://host:port``         ``db.schema.table``       ``postgres:db.schema.table``
``snowflake://org-account``      ``DB.SCHEMA.TABLE``       ``snowflake:DB.SCHEMA.TABLE``
``redshift://cluster.region:port`` ``db.schema.table``     ``redshift:db.schema.table``
``file`` (``file://host``)       ``/absolute/path``        ``file:///absolute/path``
===============================  ========================  ==================================

The host, account or cluster of a table namespace is not part of our dataset names (they are
``system:database.schema.table``). Any other namespace is a problem naming it.

Hops: the inputs × outputs of a run that has a ``COMPLETE`` event, taken from every event of
the run (a ``START`` may name datasets the ``COMPLETE`` repeats or lacks; the order they come
in does not matter); a run with a ``FAIL`` or ``ABORT`` event gives none. A ``JobEvent``'s
inputs × outputs are hops too. Every hop is :attr:`Origin.OPENLINEAGE`, confidence 1.0,
location ``openlineage: <job namespace>/<job name> run <run id>``.

Column maps come from the output's ``columnLineage`` facet: each output field's input fields
*of that input dataset* map to it; the map is masked when a transformation says so (type or
subtype ``MASKED``, ``masking: true``, the deprecated field-level ``transformationType:
MASKED``) or its description names a hash or masking function (``sha2(email)``, ``md5``,
``hash``, ``mask``, ``redact``, ``tokenize``, ``encrypt``). A ``schema`` facet gives the
dataset's declared columns (:attr:`OpenLineageFindings.schemas`: name, type, description,
with the event time and run id; the newest event of the run wins), from every event of a run
whatever its state (a failed run still says what the dataset looks like). A ``schema``
facet whose ``fields`` is not a list of fields is a problem, not a refused event: the hops
still count.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

import attr
from openlineage.client.event_v2 import (
    Dataset as OLDataset,
)
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    JobEvent,
    OutputDataset,
    RunEvent,
    RunState,
)
from openlineage.client.generated.column_lineage_dataset import ColumnLineageDatasetFacet
from openlineage.client.generated.schema_dataset import SchemaDatasetFacet

from models.declared_schema import DeclaredField, DeclaredSchema
from models.lineage import (
    ColumnMapping,
    Dataset,
    InvalidDataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
    System,
    UpsertReport,
)
from worker.core.lineage.described import kind, shown

__all__ = [
    "EventConflict",
    "EventKey",
    "OpenLineageEvent",
    "OpenLineageEventStore",
    "OpenLineageFindings",
    "OpenLineageUnitOfWork",
    "BadFacet",
    "InvalidEvent",
    "dataset_of",
    "event_findings",
    "is_masking",
    "parse_event",
    "run_findings",
]

AnyEvent = RunEvent | JobEvent | DatasetEvent
#: ``(run id, event type, event time)``: what makes an event the same event.
EventKey = tuple[str, str, str]

#: The dataset facets read (others are kept out of validation: producers add their own).
_DATASET_FACETS: dict[str, type[Any]] = {
    "columnLineage": ColumnLineageDatasetFacet,
    "schema": SchemaDatasetFacet,
}
_TERMINAL_FAILED = frozenset({RunState.FAIL, RunState.ABORT})
_STATEMENT_MAX = 200
#: Hash and masking functions a transformation description may name.
_MASKING = re.compile(
    r"\b(?:(?:sha\d*|md5|hash\w*|hmac\w*|crc32|blake\w*|xxhash\w*|mask\w*|redact\w*|"
    r"tokeni[sz]e\w*|encrypt\w*|pseudonymi[sz]e\w*|anonymi[sz]e\w*)\s*\(|sha-?\d+\b|md5\b|"
    r"(?:hashed|masked|redacted|encrypted|tokeni[sz]ed|pseudonymi[sz]ed|anonymi[sz]ed)\b)",
    re.IGNORECASE,
)
_SCHEMES = {
    "s3": System.S3,
    "s3a": System.S3,
    "s3n": System.S3,
    "postgres": System.POSTGRES,
    "postgresql": System.POSTGRES,
    "snowflake": System.SNOWFLAKE,
    "redshift": System.REDSHIFT,
    "file": System.FILE,
}


class InvalidEvent(ValueError):
    """An event the OpenLineage models refuse (the message says which field and why)."""


@dataclass(frozen=True, slots=True)
class OpenLineageEvent:
    """One validated event and what identifies it.

    :param key: ``(run id, event type, event time)``; a ``JobEvent`` is keyed by
        ``job:<namespace>/<name>`` and a ``DatasetEvent`` by ``dataset:<namespace>/<name>``
        in place of the run id, with the type ``JOB`` or ``DATASET``.
    :param raw: the event as received (what a store keeps to replay a run).
    """

    event: AnyEvent
    key: EventKey
    raw: Mapping[str, Any]

    @property
    def run_id(self) -> str:
        """The run id (or the job's or dataset's stand-in, see :attr:`key`)."""
        return self.key[0]

    @property
    def event_type(self) -> str:
        """``START``, ``COMPLETE``, ... or ``JOB`` / ``DATASET``."""
        return self.key[1]


@dataclass(slots=True)
class OpenLineageFindings(LineageFindings):
    """Hops and problems, plus the schemas ``schema`` facets declared, per dataset URI.

    S3 URIs are as written (a partition file); the intake resolves them to their datasets.
    """

    schemas: dict[str, DeclaredSchema] = field(default_factory=dict)


class EventConflict(Exception):
    """A concurrent request stored the same event (or dataset schema) first.

    The unit of work was rolled back; reading again finds what the other one stored.
    """


class OpenLineageUnitOfWork(Protocol):
    """One transaction of the intake: the events taken in and the hops they give.

    Leaving the ``with`` block commits what was written; an exception rolls it all back, so
    an event is never stored without its hops (or the reverse).
    """

    def __enter__(self) -> OpenLineageUnitOfWork: ...

    def __exit__(self, *exc: object) -> None:
        """Commit on a clean exit, else roll back.

        :raises EventConflict: another delivery stored one of the added events first.
        """
        ...

    def stored(self, run_ids: Sequence[str]) -> dict[str, list[tuple[EventKey, Mapping[str, Any]]]]:
        """The stored events of each run (key and event as received), in one read."""
        ...

    def add(self, events: Sequence[tuple[EventKey, Mapping[str, Any]]]) -> None:
        """Store events (not stored yet: :meth:`stored` said so)."""
        ...

    def upsert(self, edges: Sequence[LineageEdge], auto_apply_threshold: float) -> UpsertReport:
        """Store hops as :meth:`worker.core.ports.LineageStore.upsert` does, in this unit."""
        ...

    def declare(self, schemas: Sequence[DeclaredSchema]) -> int:
        """Store declared schemas newer than the stored ones; how many were written."""
        ...


class OpenLineageEventStore(Protocol):
    """Where the events taken in are kept (idempotence, and runs replayed whole)."""

    def unit_of_work(self) -> OpenLineageUnitOfWork:
        """A new unit of work (a ``with`` block opens and ends its transaction)."""
        ...


# -- validation with the openlineage-python models ----------------------------------------------


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _build(tp: Any, value: Any, where: str) -> Any:
    """``value`` (parsed JSON) as the type ``tp`` of the models; raises :class:`InvalidEvent`."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        real = [o for o in options if o is not type(None)]
        if len(real) == 1:
            return _build(real[0], value, where)
        raise InvalidEvent(f"{where}: unsupported type")  # pragma: no cover - not in the models
    if origin is list:
        if not isinstance(value, list):
            raise InvalidEvent(f"{where}: expected a list, got {_kind(value)}")
        (item,) = typing.get_args(tp)
        return [_build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidEvent(f"{where}: expected an object, got {_kind(value)}")
        _, item = typing.get_args(tp)
        return {str(k): _build(item, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise InvalidEvent(f"{where}: {shown(value)} is not one of {allowed}") from None
    if isinstance(tp, type) and attr.has(tp):
        return _build_attrs(tp, value, where)
    if tp is Any:
        return value
    if tp is bool or tp is str:
        if not isinstance(value, tp):
            raise InvalidEvent(f"{where}: expected {tp.__name__}, got {_kind(value)}")
        return value
    if tp is int or tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidEvent(f"{where}: expected a number, got {_kind(value)}")
        return value
    return value


def _build_attrs(cls: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}: expected an object, got {_kind(value)}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in attr.fields(cls):
        key = f.name
        if not f.init:  # set by the model itself (a facet's _schemaURL)
            continue
        if key not in value:
            if f.default is attr.NOTHING:
                raise InvalidEvent(f"{where}: '{key.lstrip('_')}' is missing")
            continue
        inner = f"{where}.{key}" if where else key
        if key == "facets":
            kwargs[f.alias] = _facets(value[key], inner) if issubclass(cls, OLDataset) else {}
        elif key.endswith("Facets"):  # inputFacets, outputFacets: not read
            kwargs[f.alias] = {}
        else:
            kwargs[f.alias] = _build(hints[f.name], value[key], inner)
    try:
        return cls(**kwargs)
    except (ValueError, TypeError, OverflowError) as exc:  # the models' validators
        raise InvalidEvent(f"{_failed_field(cls, kwargs, where)}: {exc}") from None


def _failed_field(cls: type[Any], kwargs: dict[str, Any], where: str) -> str:
    """The field whose model validator refuses its value (the models' errors do not say)."""
    for f in attr.fields(cls):
        if f.validator is None or f.alias not in kwargs:
            continue
        try:
            f.validator(None, f, kwargs[f.alias])  # the models' validators ignore the instance
        except (ValueError, TypeError, OverflowError):
            return f"{where}.{f.name}" if where else f.name
    return where or cls.__name__


def _facets(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}: expected an object, got {_kind(value)}")
    out: dict[str, Any] = {}
    for name, cls in _DATASET_FACETS.items():
        facet = value.get(name)
        if name == "schema" and facet is not None and not isinstance(facet, dict):
            out[name] = BadFacet(f"{where}.{name}: expected an object, got {_kind(facet)}")
        elif isinstance(facet, dict) and not facet.get("_deleted"):
            try:
                out[name] = _build_attrs(cls, facet, f"{where}.{name}")
            except InvalidEvent as exc:
                if name != "schema":
                    raise
                # A malformed schema facet costs the declaration, not the event's hops.
                out[name] = BadFacet(str(exc))
    return out


@dataclass(frozen=True, slots=True)
class BadFacet:
    """A ``schema`` facet the models refused (kept so the mapping reports it as a problem)."""

    reason: str


def parse_event(data: Any) -> OpenLineageEvent:
    """Validate one event (a ``RunEvent``, ``JobEvent`` or ``DatasetEvent`` as parsed JSON).

    The kind is told by its fields: ``run`` (a run event), ``dataset`` (a dataset event),
    else a job event.

    :raises InvalidEvent: not an object, a missing or malformed field (the message names it:
        ``run.runId: badly formed hexadecimal UUID string``), a ``RunEvent`` without
        ``eventType``.
    """
    if not isinstance(data, dict):
        raise InvalidEvent(f"an event is a JSON object, got {_kind(data)}")
    if "run" in data or "eventType" in data:
        if not isinstance(data.get("run"), dict) or "runId" not in data["run"]:
            raise InvalidEvent("run.runId is missing: a RunEvent names its run")
        event = _build_attrs(RunEvent, data, "")
        if event.eventType is None:
            raise InvalidEvent("eventType is missing: a RunEvent says START, COMPLETE, ...")
        key = (event.run.runId, event.eventType.value, event.eventTime)
    elif "dataset" in data:
        event = _build_attrs(DatasetEvent, data, "")
        dataset = event.dataset
        key = (_stand_in("dataset", dataset.namespace, dataset.name), "DATASET", event.eventTime)
    else:
        event = _build_attrs(JobEvent, data, "")
        key = (_stand_in("job", event.job.namespace, event.job.name), "JOB", event.eventTime)
    return OpenLineageEvent(event, key, data)


def _stand_in(kind: str, namespace: str, name: str) -> str:
    """The run id of a job or dataset event: ``job:ns/name``, hashed when long."""
    text = f"{kind}:{namespace}/{name}"
    if len(text) <= 200:
        return text
    return f"{kind}:sha256:{hashlib.sha256(text.encode()).hexdigest()}"


# -- naming ---------------------------------------------------------------------------------------


def dataset_of(namespace: str, name: str) -> Dataset:
    """Our dataset for an OpenLineage ``namespace`` and ``name`` (see the module's table).

    An S3 dataset is the object or prefix as written; loading resolves it to its dataset.

    :raises InvalidDataset: an unknown namespace (the message names it), or a name that does
        not fit it (a table that is not ``database.schema.table``).
    """
    scheme, sep, authority = namespace.partition("://")
    if not sep:
        scheme, authority = namespace, ""
    system = _SCHEMES.get(scheme.lower())
    if system is None:
        raise InvalidDataset(
            f"unknown namespace {namespace!r}: expected s3://bucket, postgres://host:port, "
            "snowflake://account, redshift://cluster.region:port or file"
        )
    if system is System.S3:
        bucket = authority.strip("/")
        if not bucket or "/" in bucket:
            raise InvalidDataset(f"namespace {namespace!r}: expected s3://bucket")
        # Integrations name folders without the trailing slash (``exports/orders``): a last
        # segment without a dot is a folder, as the resolver expects folders to end in ``/``.
        last = name.rstrip("/").rsplit("/", 1)[-1]
        if name and not name.endswith("/") and "." not in last.strip("."):
            name += "/"
        return Dataset.s3(bucket, name)
    if system is System.FILE:
        path = name if name.startswith("/") else "/" + name
        return Dataset(System.FILE, path)
    return Dataset.parse(f"{system.value}:{name}")


# -- mapping --------------------------------------------------------------------------------------


def is_masking(kind: str | None, subtype: str | None, description: str | None) -> bool:
    """Whether a transformation hides the source's values (type/subtype MASKED, a hash)."""
    if any(t and t.strip().upper() in {"MASKED", "MASKING"} for t in (kind, subtype)):
        return True
    return bool(description and _MASKING.search(description))


def _column_maps(
    output: OutputDataset, input_: InputDataset
) -> tuple[tuple[ColumnMapping, ...], bool]:
    """The output's column maps from ``input_`` (and whether it has a columnLineage facet)."""
    facet = (output.facets or {}).get("columnLineage")
    if not isinstance(facet, ColumnLineageDatasetFacet):
        return (), False
    maps: list[ColumnMapping] = []
    for target, spec in facet.fields.items():
        for source in spec.inputFields:
            if (source.namespace, source.name) != (input_.namespace, input_.name):
                continue
            masked = is_masking(spec.transformationType, None, spec.transformationDescription)
            described = spec.transformationDescription
            for t in source.transformations or []:
                masked = masked or t.masking is True or is_masking(t.type, t.subtype, t.description)
                described = described or t.description
            mapping = ColumnMapping(source.field, target, described, masked)
            if mapping not in maps:
                maps.append(mapping)
    return tuple(maps), True


def _location(event: OpenLineageEvent) -> str:
    job = event.event.job if not isinstance(event.event, DatasetEvent) else None
    name = f"{job.namespace}/{job.name}" if job is not None else event.run_id
    if isinstance(event.event, RunEvent):
        return f"openlineage: {name} run {event.run_id}"
    return f"openlineage: {name}"


def _problem(location: str, event: OpenLineageEvent | None, reason: str) -> LineageProblem:
    statement = json.dumps(dict(event.raw) if event else {}, sort_keys=True)[:_STATEMENT_MAX]
    return LineageProblem(location, statement, reason)


def _datasets(
    items: Iterable[OLDataset],
    where: str,
    event: OpenLineageEvent,
    found: OpenLineageFindings,
) -> Iterator[tuple[OLDataset, Dataset]]:
    for item in items:
        try:
            dataset = dataset_of(item.namespace, item.name)
        except InvalidDataset as exc:
            found.problems.append(_problem(where, event, f"{item.namespace}/{item.name}: {exc}"))
            continue
        yield item, dataset


def _event_time(event: OpenLineageEvent) -> datetime | None:
    text = event.event.eventTime
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    # In UTC: a store may keep the wall time only (SQLite drops the offset).
    return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _declarations(events: Sequence[OpenLineageEvent], found: OpenLineageFindings) -> None:
    """The ``schema`` facets of every dataset of ``events`` into ``found.schemas``.

    The newest event wins per dataset (ties: the later one in ``events``). A dataset of an
    unknown namespace is skipped (the hops already report it); a malformed facet is a problem.
    """
    for e in events:
        ev = e.event
        if isinstance(ev, DatasetEvent):
            items: list[OLDataset] = [ev.dataset]
        else:
            items = [*(ev.inputs or []), *(ev.outputs or [])]
        run_id = ev.run.runId if isinstance(ev, RunEvent) else None
        when = _event_time(e)
        for item in items:
            facet = (item.facets or {}).get("schema")
            if facet is None:
                continue
            where = f"{_location(e)} {item.namespace}/{item.name}"
            if isinstance(facet, BadFacet):
                found.problems.append(
                    _problem(where, e, f"schema facet not stored: {facet.reason}")
                )
                continue
            if not isinstance(facet, SchemaDatasetFacet) or not facet.fields:
                continue
            try:
                uri = dataset_of(item.namespace, item.name).uri
            except InvalidDataset:
                continue
            if when is None:
                reason = f"schema facet not stored: eventTime {ev.eventTime!r} is not ISO 8601"
                found.problems.append(_problem(where, e, reason))
                continue
            fields = tuple(DeclaredField(f.name, f.type, f.description) for f in facet.fields)
            declared = DeclaredSchema(uri, fields, when, run_id)
            old = found.schemas.get(uri)
            if old is None or declared.event_time >= old.event_time:
                found.schemas[uri] = declared


def _hops(
    inputs: Sequence[InputDataset],
    outputs: Sequence[OutputDataset],
    event: OpenLineageEvent,
    location: str,
    found: OpenLineageFindings,
) -> None:
    resolved_in = list(_datasets(inputs, location, event, found))
    resolved_out = list(_datasets(outputs, location, event, found))
    for out_item, target in resolved_out:
        assert isinstance(out_item, OutputDataset)
        for in_item, source in resolved_in:
            assert isinstance(in_item, InputDataset)
            if source == target:
                continue
            columns, _ = _column_maps(out_item, in_item)
            found.edges.append(
                LineageEdge(
                    source=source,
                    target=target,
                    origin=Origin.OPENLINEAGE,
                    confidence=1.0,
                    columns=columns,
                    location=location,
                    reason="openlineage",
                )
            )


def _merge_datasets(items: Iterable[Any]) -> list[Any]:
    """One entry per (namespace, name); a later one with facets fills in what is missing."""
    merged: dict[tuple[str, str], Any] = {}
    for item in items:
        key = (item.namespace, item.name)
        if key not in merged:
            merged[key] = item
        elif item.facets:
            facets = {**(item.facets or {}), **(merged[key].facets or {})}
            merged[key] = attr.evolve(merged[key], facets=facets)
    return list(merged.values())


def run_findings(events: Sequence[OpenLineageEvent]) -> OpenLineageFindings:
    """The hops of one run from all its events so far (any order), or of a job or dataset event.

    A run gives hops once one of its events is ``COMPLETE`` and none is ``FAIL`` or ``ABORT``:
    every input of its events × every output. A ``JobEvent`` gives its inputs × outputs; a
    ``DatasetEvent`` gives no hop (its ``schema`` facet only). Never raises: an unknown
    namespace is a problem and the other datasets still count.
    """
    found = OpenLineageFindings()
    if not events:
        return found
    first = events[0]
    location = _location(first)
    _declarations(events, found)
    if isinstance(first.event, DatasetEvent):
        for e in events:
            assert isinstance(e.event, DatasetEvent)
            dataset = e.event.dataset
            list(_datasets([dataset], location, e, found))
        return found
    if isinstance(first.event, JobEvent):
        for e in events:
            assert isinstance(e.event, JobEvent)
            _hops(e.event.inputs or [], e.event.outputs or [], e, location, found)
        return found
    states = {e.event.eventType for e in events if isinstance(e.event, RunEvent)}
    run_events = [e.event for e in events if isinstance(e.event, RunEvent)]
    inputs = _merge_datasets(i for ev in run_events for i in ev.inputs or [])
    outputs = _merge_datasets(o for ev in run_events for o in ev.outputs or [])
    if RunState.COMPLETE not in states or states & _TERMINAL_FAILED:
        # No hops (yet, or ever), but the names are still checked.
        list(_datasets([*inputs, *outputs], location, first, found))
        return found
    complete = next(e for e in events if e.event_type == RunState.COMPLETE.value)
    _hops(inputs, outputs, complete, _location(complete), found)
    return found


def event_findings(event: OpenLineageEvent) -> OpenLineageFindings:
    """The hops of one event alone (a COMPLETE event's own inputs × outputs)."""
    return run_findings([event])


def _kind(value: Any) -> str:
    return kind(value, null="null", mapping="an object")
