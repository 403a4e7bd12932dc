"""The typed query a question parses into, and its reading in words (pure data).

A question becomes one :class:`AskQuery`: what it asks for (:class:`Target`), what to do
(:class:`Operation`: list, count, top-N, impact, consumers, path, flows) and the filters
(:class:`Filters`). The words each part was read from are kept (:attr:`AskQuery.matched`),
so an answer can show how it was understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Target(StrEnum):
    """What the answer lists."""

    DATASETS = "datasets"  # lake datasets (S3 prefixes, local folders), tables where lineage says
    TABLES = "tables"  # PostgreSQL, Snowflake, Redshift tables
    COLUMNS = "columns"  # columns holding an entity
    DASHBOARDS = "dashboards"  # Looker dashboards, Looks and explores
    SUGGESTIONS = "suggestions"  # review items
    ALERTS = "alerts"
    CONTRACTS = "contracts"  # datasets breaking their data contract


class Operation(StrEnum):
    """What the query does with what it selects."""

    LIST = "list"
    COUNT = "count"
    TOP = "top"  # the N with the most PII columns (or bytes: ``rank_by``)
    IMPACT = "impact"  # everything downstream of one dataset (or column)
    CONSUMERS = "consumers"  # the dashboards downstream of something
    PATH = "path"  # the lineage path from one dataset to another
    FLOWS = "flows"  # where an entity (or a category's data) flows, masked or not
    STORED = "stored"  # where an entity is stored (columns)
    CHANGED = "changed"  # datasets whose schema changed (or appeared) since a date


class Masking(StrEnum):
    """Whether a flow's personal data is masked on the way."""

    ANY = "any"
    MASKED = "masked"
    UNMASKED = "unmasked"


#: The systems a question can name; ``lake`` is S3 and local folders alike.
SYSTEMS = ("lake", "postgres", "snowflake", "redshift", "looker")
#: Every entity (``"pii"``, ``"personal data"``): any PII finding qualifies.
ANY_ENTITY = "*"


@dataclass(frozen=True, slots=True)
class NameRef:
    """A dataset (or table, or dashboard) a question names, linked to the catalog.

    :param phrase: the words of the question that named it.
    :param uri: the linked dataset's URI (``postgres:db.schema.table``, ``s3://...``).
    :param column: a column of it the question names (``drop column email``).
    :param candidates: every URI the phrase links to closely enough, best first; more than
        one that the service cannot order along lineage makes the question ambiguous.
    """

    phrase: str
    uri: str
    column: str | None = None
    candidates: tuple[str, ...] = ()
    score: float = 100.0


@dataclass(frozen=True, slots=True)
class Filters:
    """What an item must satisfy (every field optional; all given must hold)."""

    categories: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # entity names (``EMAIL_ADDRESS``) or ``ANY_ENTITY``
    systems: tuple[str, ...] = ()  # where the items live (``SYSTEMS``)
    through: tuple[str, ...] = ()  # systems their lineage passes through
    source_system: str | None = None  # flows from this system ...
    destination_system: str | None = None  # ... to this one
    owner: str | None = None
    countries: tuple[str, ...] = ()  # ISO codes or regions (``SG``, ``EU``): value facets
    currencies: tuple[str, ...] = ()  # ISO 4217 codes (``SGD``): value facets
    masking: Masking = Masking.ANY
    since: date | None = None
    state: str | None = None  # review state (``pending``) or alert state (``open``)

    def is_empty(self) -> bool:
        """Whether nothing narrows the selection."""
        return self == Filters()


@dataclass(frozen=True, slots=True)
class AskQuery:
    """One parsed question.

    :param family: the question family (``find``, ``flows``, ``impact``, ``consumers``,
        ``pii``, ``governance``, ``count``), for reports and the benchmark.
    :param names: the linked datasets: the start of an impact or consumers question, the two
        ends of a path.
    :param limit: N of a top-N question.
    :param rank_by: ``pii`` (PII columns) or ``bytes`` for top-N.
    :param matched: (what was recognised, the words it was read from), in question order.
    """

    family: str
    target: Target
    operation: Operation
    filters: Filters = field(default_factory=Filters)
    names: tuple[NameRef, ...] = ()
    limit: int | None = None
    rank_by: str = "pii"
    matched: tuple[tuple[str, str], ...] = ()


_TARGET_WORDS = {
    Target.DATASETS: "datasets",
    Target.TABLES: "tables",
    Target.COLUMNS: "columns",
    Target.DASHBOARDS: "dashboards",
    Target.SUGGESTIONS: "review items",
    Target.ALERTS: "alerts",
    Target.CONTRACTS: "datasets breaking their data contract",
}

_SYSTEM_WORDS = {
    "lake": "S3 (the lake)",
    "postgres": "PostgreSQL",
    "snowflake": "Snowflake",
    "redshift": "Redshift",
    "looker": "Looker",
}


def system_words(system: str) -> str:
    """A system as a reader names it (``lake`` → ``S3 (the lake)``)."""
    return _SYSTEM_WORDS.get(system, system)


def _entities(entities: tuple[str, ...]) -> str:
    return "any PII" if ANY_ENTITY in entities else " or ".join(entities)


def describe_filters(f: Filters) -> list[str]:
    """The filters as phrases (``in category customer``, ``holding EMAIL_ADDRESS``)."""
    parts: list[str] = []
    if f.categories:
        parts.append("in category " + " or ".join(f.categories))
    if f.entities:
        parts.append("holding " + _entities(f.entities))
    if f.systems:
        parts.append("in " + " or ".join(system_words(s) for s in f.systems))
    if f.countries:
        parts.append("about " + " or ".join(f.countries))
    if f.currencies:
        parts.append("with amounts in " + " or ".join(f.currencies))
    if f.owner:
        parts.append(f"owned by {f.owner}")
    if f.through:
        parts.append(
            "whose lineage passes through " + " or ".join(system_words(s) for s in f.through)
        )
    if f.source_system:
        parts.append("from " + system_words(f.source_system))
    if f.destination_system:
        parts.append("to " + system_words(f.destination_system))
    if f.masking is not Masking.ANY:
        parts.append(f.masking.value)
    if f.since:
        parts.append(f"since {f.since.isoformat()}")
    return parts


def describe(query: AskQuery) -> str:
    """The query in words: ``datasets in category customer whose lineage passes through S3``."""
    f = query.filters
    filters = " ".join(describe_filters(replace_masking(f)))
    names = [n.uri + (f" column {n.column}" if n.column else "") for n in query.names]
    op = query.operation
    if op is Operation.IMPACT:
        what = names[0] if names else "?"
        verb = "dropping or changing" if query.names and query.names[0].column else "changing"
        return f"what is downstream of {what} (what breaks when {verb} it)"
    if op is Operation.CONSUMERS:
        kinds = "dashboards and Looks"
        if names:
            return f"{kinds} downstream of {names[0]}"
        return f"{kinds} downstream of the datasets {filters}".rstrip()
    if op is Operation.PATH:
        return f"the lineage path from {names[0]} to {names[1]}" if len(names) == 2 else "a path"
    if op is Operation.FLOWS:
        what = _entities(f.entities) if f.entities else "data"
        if f.categories:
            what = f"{what} of category {' or '.join(f.categories)}"
        tail = [p for p in describe_filters(f) if not p.startswith(("holding", "in category"))]
        return f"where {what} flows" + ("" if not tail else " " + " ".join(tail))
    if op is Operation.STORED:
        return (
            f"columns holding {_entities(f.entities)}"
            + (
                " " + " ".join(p for p in describe_filters(f) if not p.startswith("holding"))
            ).rstrip()
        )
    if op is Operation.CHANGED:
        return f"datasets whose schema changed or that appeared {filters}".rstrip()
    head = _TARGET_WORDS[query.target]
    if query.target is Target.SUGGESTIONS:
        head = f"{f.state or 'pending'} review items"
    elif query.target is Target.ALERTS:
        head = f"{f.state or 'open'} alerts"
    text = f"{head} {filters}".rstrip()
    if op is Operation.COUNT:
        return f"how many {text}"
    if op is Operation.TOP:
        by = "size" if query.rank_by == "bytes" else "number of PII columns"
        return f"the top {query.limit} {text} by {by}"
    return text


def replace_masking(f: Filters) -> Filters:
    """``f`` without its masking (only flows read it)."""
    from dataclasses import replace

    return replace(f, masking=Masking.ANY)
