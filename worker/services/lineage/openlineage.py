"""OpenLineage intake: events in (the API, a recorded log), hops through the lineage service.

Each event is validated (:func:`worker.core.lineage.openlineage.parse_event`) and stored once
per (run id, event type, event time) in an :class:`OpenLineageEventStore`; a duplicate
changes nothing. A run with a new event is mapped whole from its stored events
(:func:`worker.core.lineage.openlineage.run_findings`), so a ``START`` arriving after its
``COMPLETE`` still counts, and the hops are stored as
:meth:`worker.services.lineage.service.LineageService.load` does (S3 endpoints resolved to their
datasets; origin ``openlineage`` in the precedence declared > openlineage > sql > inferred),
re-deriving lineage evidence only of the tables the hops can change (a hop per request must not
cost a read of the whole graph).

The events a request brings, the hops and the declared schemas (``schema`` facets: newest
event wins per dataset, S3 objects resolved to their datasets like hops) are written in one
unit of work (:class:`worker.core.lineage.openlineage.OpenLineageUnitOfWork`): one
transaction, one commit; then the review queue and lineage evidence are settled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from models.declared_schema import DeclaredSchema
from models.lineage import Dataset, LineageFindings, LineageProblem
from worker.core.lineage.openlineage import (
    EventConflict,
    EventKey,
    InvalidEvent,
    OpenLineageEvent,
    OpenLineageEventStore,
    parse_event,
    run_findings,
)
from worker.core.lineage.resolve import resolve_dataset
from worker.services.lineage.service import LineageService

_STATEMENT_MAX = 200
#: Tries of a request whose event a concurrent delivery stored first (the retry sees it).
_ATTEMPTS = 3


@dataclass(slots=True)
class IntakeReport:
    """What one intake did.

    :param received: events given (valid or not).
    :param new: valid events not seen before.
    :param duplicates: valid events already taken in (nothing changed for them).
    :param invalid: events the OpenLineage models refused (each is a problem).
    :param runs: runs (and jobs) mapped again because of a new event.
    :param edges: hops those runs gave; ``edges_new``/``edges_updated``/``edges_unchanged``
        what storing them did.
    :param schemas: declarations of datasets' schemas (``schema`` facets) in the runs
        mapped; ``schemas_stored`` those newer than what was stored (an older event's
        declaration changes nothing).
    """

    received: int = 0
    new: int = 0
    duplicates: int = 0
    invalid: int = 0
    runs: int = 0
    edges: int = 0
    edges_new: int = 0
    edges_updated: int = 0
    edges_unchanged: int = 0
    schemas: int = 0
    schemas_stored: int = 0
    problems: list[LineageProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the API's answer, ``lineage load --format json``).

        Every field; each problem as ``{"location", "statement", "reason"}``.
        """
        return asdict(self)


class OpenLineageIntake:
    """OpenLineage events to stored lineage.

    :param lineage: the lineage service the hops are loaded through.
    :param events: the events taken in.
    """

    def __init__(self, lineage: LineageService, events: OpenLineageEventStore) -> None:
        self.lineage = lineage
        self.events = events

    def ingest(self, items: Iterable[tuple[str, Any]]) -> IntakeReport:
        """Take in events, each ``(location, parsed JSON)``; store their runs' hops.

        :param items: the location names the event in problems (``events.jsonl:12``,
            ``request``).
        Side effects: stores new events, their hops and declared schemas (one transaction);
        then writes review items and lineage evidence.
        :raises EventConflict: concurrent requests kept storing the same events first
            (after :data:`_ATTEMPTS` tries).
        """
        report = IntakeReport()
        valid: list[tuple[str, OpenLineageEvent]] = []
        for location, data in items:
            report.received += 1
            if isinstance(data, _NotJson):
                report.invalid += 1
                reason = f"not a JSON event: {data.error}"
                report.problems.append(LineageProblem(location, _statement(data), reason))
                continue
            try:
                valid.append((location, parse_event(data)))
            except InvalidEvent as exc:
                report.invalid += 1
                report.problems.append(LineageProblem(location, _statement(data), str(exc)))
        for attempt in range(_ATTEMPTS):
            try:
                return self._take(valid, report)
            except EventConflict:
                # Another delivery of one of these events committed between our read and
                # our write; nothing of ours was stored. Read again: it is a duplicate now.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(
        self, valid: Sequence[tuple[str, OpenLineageEvent]], report: IntakeReport
    ) -> IntakeReport:
        """Store the new events and their runs' hops in one unit of work, then settle them.

        :raises EventConflict: a concurrent delivery stored one of the events first.
        """
        report = replace(report, problems=list(report.problems))
        where: dict[str, str] = {}  # run id -> the location of its first new event here
        here: dict[str, list[OpenLineageEvent]] = {}  # run id -> its new events, parsed
        with self.events.unit_of_work() as unit:
            stored = unit.stored(sorted({e.run_id for _, e in valid}))
            known = {key for events in stored.values() for key, _ in events}
            fresh: list[tuple[EventKey, Mapping[str, Any]]] = []
            for location, event in valid:
                if event.key in known:
                    report.duplicates += 1
                    continue
                known.add(event.key)
                fresh.append((event.key, event.raw))
                report.new += 1
                where.setdefault(event.run_id, location)
                here.setdefault(event.run_id, []).append(event)
            if not where:
                return report
            unit.add(fresh)
            report.runs = len(where)
            found = LineageFindings()
            declared: list[DeclaredSchema] = []
            for run_id, new in here.items():
                events = [_reparsed(raw, new) for _, raw in stored[run_id]] + new
                # Oldest first, as the store reads them: a START after its COMPLETE counts.
                events.sort(key=lambda e: (e.key[2], e.key[1]))
                mapped = run_findings(events)
                found.edges.extend(mapped.edges)
                found.problems.extend(
                    LineageProblem(f"{where[run_id]} ({p.location})", p.statement, p.reason)
                    for p in mapped.problems
                )
                declared.extend(mapped.schemas.values())
            report.edges = len(found.edges)
            report.problems.extend(found.problems)
            report.schemas = len(declared)
            report.schemas_stored = unit.declare(self._resolved(declared)) if declared else 0
            staged = (
                self.lineage.stage(LineageFindings(found.edges), into=unit) if found.edges else None
            )
        if staged is not None:
            # Committed: queue what waits for a steward, re-derive evidence of the tables
            # these hops can change only (a hop per request must not read the whole graph).
            loaded = self.lineage.settle(staged, evidence="touched")
            report.edges_new = loaded.new
            report.edges_updated = loaded.updated
            report.edges_unchanged = loaded.unchanged
        return report

    def _resolved(self, declared: Sequence[DeclaredSchema]) -> list[DeclaredSchema]:
        """Declarations on S3 objects or partitions moved to their datasets, as hops are."""
        lookup = self.lineage.lookup
        out = []
        for s in declared:
            dataset = resolve_dataset(Dataset.parse(s.uri), lookup=lookup)
            out.append(s if dataset.uri == s.uri else replace(s, uri=dataset.uri))
        return out

    def ingest_file(self, path: Path) -> IntakeReport:
        """Take in a recorded event log: one JSON event per line (blank lines skipped).

        A line that is not JSON is a problem at ``path:line``.

        :raises OSError: the file cannot be read.
        """
        return self.ingest(_lines(path))


def read_events(body: bytes, location: str = "request") -> list[tuple[str, Any]]:
    """The events of a request body: one event (what the HTTP transport sends) or a list.

    :raises InvalidEvent: not JSON, or not an event object or a list of them.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"the body is not JSON: {exc}") from None
    if isinstance(data, list):
        return [(f"{location}[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return [(location, data)]
    raise InvalidEvent("the body must be an OpenLineage event (a JSON object) or a list of them")


def _lines(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", json.loads(line)
            except ValueError as exc:
                yield f"{path}:{number}", _NotJson(str(exc), line)


@dataclass(frozen=True, slots=True)
class _NotJson:
    """A log line that is not JSON (``parse_event`` refuses it with the parser's reason)."""

    error: str
    line: str


def _reparsed(raw: Mapping[str, Any], parsed: Sequence[OpenLineageEvent]) -> OpenLineageEvent:
    """A stored event, validated again, or the same event parsed in this request.

    Parsing is deterministic, so an equal event parsed moments ago stands in for the stored
    copy (one event per request then costs one validation, not two).
    """
    for event in parsed:
        if event.raw == raw:
            return event
    # Stored events were valid when taken in; the models have not changed since.
    return parse_event(dict(raw))


def _statement(data: Any) -> str:
    if isinstance(data, _NotJson):
        return data.line.strip()[:_STATEMENT_MAX]
    try:
        return json.dumps(data, sort_keys=True)[:_STATEMENT_MAX]
    except (TypeError, ValueError):
        return repr(data)[:_STATEMENT_MAX]
