"""What parsing one script collects (edges, problems) and what its statements resolve against.

Pure. :class:`NoLineage` is the package's internal signal that one statement gives no edge;
the dispatcher turns it into a :class:`~models.lineage.LineageProblem` and it never leaves
the package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from models.lineage import (
    ColumnMapping,
    Dataset,
    LineageEdge,
    LineageFindings,
    LineageProblem,
    Origin,
)
from worker.core.lineage.sql.lexer import Statement

_STATEMENT_PREVIEW = 200


class NoLineage(Exception):
    """A lineage statement that cannot be turned into an edge (the message is the reason)."""


class Collector:
    """Edges (deduplicated by source and target) and problems, in the order found."""

    def __init__(self) -> None:
        self._edges: dict[tuple[Dataset, Dataset], LineageEdge] = {}
        self.problems: list[LineageProblem] = []

    def edge(
        self,
        source: Dataset,
        target: Dataset,
        columns: Sequence[ColumnMapping],
        sql: str,
        location: str,
    ) -> None:
        """Record the hop ``source`` → ``target`` (merged into an earlier one if found)."""
        key = (source, target)
        existing = self._edges.get(key)
        if existing is None:
            self._edges[key] = LineageEdge(
                source, target, Origin.SQL, 1.0, tuple(columns), sql, location
            )
            return
        # The same hop found again: keep the first location and SQL, add new mappings.
        merged = list(existing.columns)
        merged.extend(c for c in columns if c not in merged)
        self._edges[key] = replace(existing, columns=tuple(merged))

    def problem(self, location: str, statement: str, reason: str) -> None:
        """Record a problem; only the start of ``statement`` is kept."""
        self.problems.append(LineageProblem(location, statement[:_STATEMENT_PREVIEW], reason))

    @property
    def found_anything(self) -> bool:
        """Whether any edge or problem was collected."""
        return bool(self._edges or self.problems)

    def findings(self) -> LineageFindings:
        """What was collected, edges in the order first found."""
        return LineageFindings(list(self._edges.values()), list(self.problems))


@dataclass(slots=True)
class Context:
    """What statements of one script (or history row) resolve names against."""

    dialect: str | None
    database: str | None
    schema: str | None
    stages: dict[str, str]
    locate: Callable[[int], str]
    psql_vars: dict[str, tuple[str, str]] = field(default_factory=dict)
    previous: Statement | None = None


def at_line(name: str) -> Callable[[int], str]:
    """Locations ``"<name>:<line>"`` (statements of a script)."""

    def locate(line: int) -> str:
        return f"{name}:{line}"

    return locate


def at(location: str) -> Callable[[int], str]:
    """The one ``location`` whatever the line (statements of a history row)."""

    def locate(_line: int) -> str:
        return location

    return locate
