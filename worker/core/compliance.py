"""Compliance report assembly: the catalog's datasets, lineage and decisions into one document.

Pure: :func:`build_report` takes a :class:`CatalogSnapshot` (what the compliance service read
through the stores) and returns the report as plain JSON data (dicts, lists, strings,
numbers), the form that :mod:`worker.core.compliance_render` writes as JSON, CSV and HTML and
that ``worker/core/compliance.schema.json`` describes. No sampled value enters it: entities,
column names, shares of sampled partitions, counts and the stewards' own words only.

The definitions of the KPIs and of the special categories live here, once; the report
carries them (docs/compliance.md repeats them for readers).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models.datasets import StoredDataset
from models.lineage import LAKE_SYSTEMS, LineageEdge, System
from models.review import AuditEntry, SuggestionView
from worker.core.compliance_contracts import (
    ContractsInput,
    contract_coverage,
    contract_owners,
    contracts_section,
)

#: 2: the data contracts section, the contract-coverage KPI, KPI notes, owner sources.
SCHEMA_VERSION = 2

#: Special categories of personal data (GDPR art. 9 and national identifiers, art. 87), by
#: the entity names the classifiers and custom entity files use. An entity listed here is
#: flagged in the inventory; a dataset whose category is ``health`` is flagged ``health``
#: whatever its entities. Custom entities join a group by name (add them here).
SPECIAL_CATEGORIES: Mapping[str, frozenset[str]] = {
    "health": frozenset(
        {
            "MEDICAL_LICENSE",
            "MEDICAL_RECORD_NUMBER",
            "HEALTH_INSURANCE_NUMBER",
            "UK_NHS",
            "DIAGNOSIS",
            "ICD10_CODE",
        }
    ),
    "biometric": frozenset(
        {"BIOMETRIC", "BIOMETRIC_TEMPLATE", "FACE_ENCODING", "FINGERPRINT", "VOICEPRINT"}
    ),
    "national_id": frozenset(
        {
            "US_SSN",
            "US_ITIN",
            "US_PASSPORT",
            "US_DRIVER_LICENSE",
            "SG_NRIC_FIN",
            "UK_NINO",
            "IT_FISCAL_CODE",
            "ES_NIF",
            "BR_CPF",
            "FR_NIR",
            "NL_BSN",
            "IN_AADHAAR",
            "IN_PAN",
            "AU_TFN",
            "PL_PESEL",
            "KR_RRN",
            "CN_RESIDENT_ID",
            "NATIONAL_ID",
        }
    ),
}

#: Dataset categories that make every entity in the dataset special-category data.
SPECIAL_DATASET_CATEGORIES: Mapping[str, str] = {"health": "health"}

#: Human names of the systems lineage endpoints live in.
SYSTEM_NAMES: Mapping[str, str] = {
    System.POSTGRES.value: "PostgreSQL",
    System.S3.value: "S3",
    System.SNOWFLAKE.value: "Snowflake",
    System.REDSHIFT.value: "Redshift",
    System.FILE.value: "Local files",
}

#: Deciders that are not a person: a tag added or removed in Atlan directly.
NOT_A_STEWARD = frozenset({"atlan"})

#: Audit actions that are steward decisions (the steward-activity section).
DECISION_ACTIONS = frozenset(
    {"suggestion.approve", "suggestion.reject", "bulk.approve", "bulk.reject"}
)

#: Each KPI's id, name, unit and definition, in report order.
KPI_DEFINITIONS: Sequence[tuple[str, str, str, str]] = (
    (
        "metadata_coverage_datasets",
        "Metadata coverage (datasets)",
        "share",
        "S3 datasets with a current classification (a verdict from a scan at or after the "
        "newest object the catalog lists for the dataset) divided by all S3 datasets in the "
        "catalog. Local folders scanned in S3's place (a synced copy, the sample lake) count "
        "as S3 datasets here and below.",
    ),
    (
        "metadata_coverage_objects",
        "Metadata coverage (S3 objects)",
        "share",
        "S3 objects in datasets with a current classification divided by all S3 objects the "
        "catalog's datasets hold (object counts from the last listing).",
    ),
    (
        "lineage_completeness",
        "Lineage completeness",
        "share",
        "S3 datasets (catalog datasets and S3 lineage endpoints) with at least one applied "
        "upstream hop and at least one applied downstream hop, divided by all of them.",
    ),
    (
        "review_backlog",
        "Review backlog",
        "count",
        "Suggestions (PII tags, categories, terms, lineage) waiting for a steward at the "
        "report's as-of time.",
    ),
    (
        "review_backlog_oldest_days",
        "Review backlog: oldest item",
        "days",
        "Age of the oldest waiting suggestion (as-of time minus first seen); 0 when none wait.",
    ),
    (
        "review_backlog_median_days",
        "Review backlog: median age",
        "days",
        "Median age of the waiting suggestions; 0 when none wait.",
    ),
    (
        "discovery_to_decision_median_hours",
        "Discovery to decision (median)",
        "hours",
        "Median of decided-at minus first-seen over the suggestions decided in the period; "
        "null when none were decided.",
    ),
    (
        "discovery_to_decision_p90_hours",
        "Discovery to decision (90th percentile)",
        "hours",
        "90th percentile (nearest rank) of the same durations; null when none were decided.",
    ),
    (
        "contract_coverage",
        "Contract coverage",
        "share",
        "S3 datasets of the PII inventory (found by scans) named by a data contract in the "
        "contracts folder (contracts.dir) divided by all S3 datasets of the PII inventory; "
        "null, with the reason, when no folder is set or it cannot be read.",
    ),
)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar month ``YYYY-MM`` (UTC): ``start`` inclusive, ``end`` exclusive."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``2026-11``.

        :raises ValueError: not ``YYYY-MM`` with a month 01 to 12.
        """
        year_text, sep, month_text = text.strip().partition("-")
        if not sep or len(year_text) != 4 or len(month_text) != 2:
            raise ValueError(f"{text!r} is not a month YYYY-MM (2026-11)")
        year, month = int(year_text), int(month_text)
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: the month must be 01 to 12")
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return cls(f"{year:04d}-{month:02d}", start, end)


@dataclass(slots=True)
class CatalogSnapshot:
    """What the report is built from, read by the compliance service.

    :param datasets: every S3 dataset the catalog holds.
    :param edges: the applied lineage edges.
    :param suggestions: every suggestion, any state.
    :param decisions: the audit entries of the period that are decisions, oldest first.
    :param chain_head: the audit chain's head (``seq``, hash) read before anything else.
    :param period_seqs: the ``seq`` range of the period's audit rows.
    :param previous: the previous report's JSON data, when one is kept.
    :param contracts: the contracts folder as read and checked at the as-of time; ``None``:
        no folder is configured.
    """

    datasets: list[StoredDataset]
    edges: list[LineageEdge]
    suggestions: list[SuggestionView]
    decisions: list[AuditEntry]
    chain_head: tuple[int, str] | None
    period_seqs: tuple[int, int] | None = None
    previous: dict[str, Any] | None = None
    audit_rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    contracts: ContractsInput | None = None


def special_categories(entities: Iterable[str], category: str | None = None) -> list[str]:
    """The special categories ``entities`` (and the dataset ``category``) fall in, sorted."""
    found = {group for e in entities for group, names in SPECIAL_CATEGORIES.items() if e in names}
    if category is not None and category in SPECIAL_DATASET_CATEGORIES:
        found.add(SPECIAL_DATASET_CATEGORIES[category])
    return sorted(found)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _system_of(uri: str) -> str:
    if uri.startswith("s3://"):
        return System.S3.value
    if uri.startswith("file://"):
        return "file"
    return uri.partition(":")[0]


def _dataset_index(uris: Iterable[str]) -> dict[str, str]:
    return {u: u for u in uris}


def dataset_for_object(object_uri: str, index: Mapping[str, str]) -> str | None:
    """The dataset (of ``index``) an object URI lies in: the longest matching root."""
    if object_uri in index:
        return index[object_uri]
    cut = len(object_uri)
    while True:
        cut = object_uri.rfind("/", 0, cut)
        if cut < len("s3://"):
            return None
        candidate = object_uri[: cut + 1]
        if candidate in index:
            return index[candidate]


_STATE_RANK = {"pending": 3, "applied": 2, "rejected": 1}


def _suggestion_state(view: SuggestionView) -> str | None:
    state = view.state.value
    if state in ("approved", "applied"):
        return "applied"
    if state in ("pending", "rejected"):
        return state
    return None  # superseded: no longer produced


def _is_current(ds: StoredDataset) -> bool:
    if ds.verdict is None or ds.last_scanned is None:
        return False
    newest = ds.summary.newest
    return newest is None or _aware(ds.last_scanned) >= _aware(newest)


def _owner(
    uri: str, owners: Mapping[str, str], person: Mapping[str, tuple[datetime, str]]
) -> dict[str, str | None]:
    """The contract's owner of the dataset, else the person who decided on it last."""
    if uri in owners:
        return {"owner": owners[uri], "owner_source": "contract"}
    if uri in person:
        return {"owner": person[uri][1], "owner_source": "steward"}
    return {"owner": None, "owner_source": "none"}


def _inventory(
    snapshot: CatalogSnapshot, flows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    """Datasets with personal data: S3 datasets from verdicts and suggestions, tables from flows."""
    uris = [ds.summary.ref.uri for ds in snapshot.datasets]
    index = _dataset_index(uris)
    owners = contract_owners(snapshot.contracts)
    # dataset -> entity -> latest suggestion (last seen, id, state); dataset -> latest decider
    states: dict[str, dict[tuple[str, str | None], tuple[datetime, int, str]]] = defaultdict(dict)
    steward: dict[str, tuple[datetime, str]] = {}
    # The latest decider who is a person ("atlan": someone in Atlan, unnamed): the owner's
    # fallback.
    person: dict[str, tuple[datetime, str]] = {}
    sugg_columns: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for view in snapshot.suggestions:
        if view.entity is None:
            continue
        state = _suggestion_state(view)
        ds_uri = dataset_for_object(view.object_uri, index)
        if state is None or ds_uri is None:
            continue
        stamp = (_aware(view.last_seen), view.id, state)
        key = (view.entity, view.column)
        known = states[ds_uri].get(key)
        if known is None or stamp[:2] > known[:2]:
            states[ds_uri][key] = stamp
        if view.column:
            sugg_columns[ds_uri][view.entity].add(view.column)
        if view.decided_by and view.decided_at is not None:
            at = _aware(view.decided_at)
            if ds_uri not in steward or (at, view.decided_by) > steward[ds_uri]:
                steward[ds_uri] = (at, view.decided_by)
            if view.decided_by not in NOT_A_STEWARD and (
                ds_uri not in person or (at, view.decided_by) > person[ds_uri]
            ):
                person[ds_uri] = (at, view.decided_by)

    rows: list[dict[str, Any]] = []
    for ds in snapshot.datasets:
        uri = ds.summary.ref.uri
        verdict = ds.verdict
        entity_cols: dict[str, set[str]] = defaultdict(set)
        shares: dict[tuple[str, str], float] = {}
        if verdict is not None:
            for entity, vcols in verdict.entities:
                entity_cols[entity].update(vcols)
            for col in verdict.columns:
                for entity, share in col.entities:
                    shares[(col.column, entity)] = share
        for entity, cols in sugg_columns.get(uri, {}).items():
            entity_cols[entity].update(cols)
        ds_states = states.get(uri, {})
        for entity, _column in ds_states:
            entity_cols.setdefault(entity, set())
        if not entity_cols:
            continue
        entities: list[dict[str, Any]] = []
        for entity in sorted(entity_cols):
            columns: list[dict[str, Any]] = [
                {
                    "column": c,
                    "partition_share": shares.get((c, entity)),
                    "state": ds_states[(entity, c)][2] if (entity, c) in ds_states else "applied",
                }
                for c in sorted(entity_cols[entity])
            ]
            column_states: list[str] = [c["state"] for c in columns]
            if (entity, None) in ds_states:
                column_states.append(ds_states[(entity, None)][2])
            entities.append(
                {
                    "entity": entity,
                    "state": max(column_states, key=lambda s: _STATE_RANK[s]),
                    "columns": columns,
                }
            )
        entity_states = {e["state"] for e in entities}
        decision = max(entity_states, key=lambda s: _STATE_RANK[s])
        category = verdict.category if verdict is not None else None
        rows.append(
            {
                "dataset": uri,
                "system": SYSTEM_NAMES.get(_system_of(uri), _system_of(uri)),
                "source": "scan",
                "entities": entities,
                "special_categories": special_categories(entity_cols, category),
                "category": category,
                **_owner(uri, owners, person),
                "steward": steward[uri][1] if uri in steward else None,
                "decision_state": decision,
            }
        )

    # Tables: the columns personal data comes from (upstream) and reaches unmasked (downstream).
    table_entities: dict[str, dict[str, dict[str, bool]]] = defaultdict(lambda: defaultdict(dict))
    table_special: dict[str, set[str]] = defaultdict(set)
    for flow in flows:
        for side, masked in (("source", False), ("target", flow["downstream_masked"])):
            table = flow[side]
            column = flow[f"{side}_column"]
            if table is None or column is None or masked:
                continue
            table_special[table].update(flow["special_categories"])
            for entity in flow["entities"]:
                table_entities[table][entity][column] = True
    for table in sorted(table_entities):
        per_entity = table_entities[table]
        entities = [
            {
                "entity": entity,
                "state": "applied",
                "columns": [
                    {"column": c, "partition_share": None, "state": "applied"}
                    for c in sorted(per_entity[entity])
                ],
            }
            for entity in sorted(per_entity)
        ]
        rows.append(
            {
                "dataset": table,
                "system": SYSTEM_NAMES.get(_system_of(table), _system_of(table)),
                "source": "lineage",
                "entities": entities,
                "special_categories": sorted(table_special[table]),
                "category": None,
                **_owner(table, owners, person),
                "steward": None,
                "decision_state": "applied",
            }
        )
    rows.sort(key=lambda r: (r["system"], r["dataset"]))
    by_entity: Counter[str] = Counter()
    by_system: Counter[str] = Counter()
    for row in rows:
        by_system[row["system"]] += 1
        for e in row["entities"]:
            by_entity[e["entity"]] += 1
    return rows, dict(sorted(by_entity.items())), dict(sorted(by_system.items()))


def _pii_columns(snapshot: CatalogSnapshot) -> dict[str, dict[str, set[str]]]:
    """S3 dataset → column → entities (verdicts, plus pending/applied suggestions)."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    uris = [ds.summary.ref.uri for ds in snapshot.datasets]
    for ds in snapshot.datasets:
        if ds.verdict is None:
            continue
        for entity, cols in ds.verdict.entities:
            for col in cols:
                out[ds.summary.ref.uri][col].add(entity)
    index = _dataset_index(uris)
    for view in snapshot.suggestions:
        if view.entity is None or view.column is None:
            continue
        if _suggestion_state(view) not in ("pending", "applied"):
            continue
        ds_uri = dataset_for_object(view.object_uri, index)
        if ds_uri is not None:
            out[ds_uri][view.column].add(view.entity)
    return out


def _hops(
    edges: list[LineageEdge], column: str, upstream: bool
) -> list[tuple[str | None, str | None, bool, bool]]:
    """The far ends of ``edges`` for the S3 ``column``: (table, its column, masked, mapped).

    Upstream edges end at the S3 dataset (their maps' ``target`` is the column), downstream
    ones start there (``source``). An edge without a column map carries the column unmasked.
    """
    out: list[tuple[str | None, str | None, bool, bool]] = []
    for edge in edges:
        far = edge.source.uri if upstream else edge.target.uri
        if not edge.columns:
            out.append((far, column, False, False))
        for m in edge.columns:
            near, other = (m.target, m.source) if upstream else (m.source, m.target)
            if near == column:
                out.append((far, other, m.masked, True))
    return out


def _flows(snapshot: CatalogSnapshot) -> list[dict[str, Any]]:
    """Each path table → S3 dataset → table carrying a PII column of the S3 dataset.

    A hop whose edge has no column map is taken to carry every column, unmasked (the catalog
    cannot show it masks), and says so (``column_map: false``). A PII column with no table
    upstream or downstream gives a flow with that side empty.
    """
    pii = _pii_columns(snapshot)
    categories = {ds.summary.ref.uri: ds.verdict.category for ds in snapshot.datasets if ds.verdict}
    into: dict[str, list[LineageEdge]] = defaultdict(list)
    out_of: dict[str, list[LineageEdge]] = defaultdict(list)
    for edge in snapshot.edges:
        if edge.target.system in LAKE_SYSTEMS and edge.source.is_table:
            into[edge.target.uri].append(edge)
        if edge.source.system in LAKE_SYSTEMS and edge.target.is_table:
            out_of[edge.source.uri].append(edge)
    flows: list[dict[str, Any]] = []
    for s3_uri in sorted(pii):
        for column in sorted(pii[s3_uri]):
            entities = sorted(pii[s3_uri][column])
            ups = _hops(into.get(s3_uri, []), column, upstream=True)
            downs = _hops(out_of.get(s3_uri, []), column, upstream=False)
            if not ups and not downs:
                continue
            for up in ups or [(None, None, False, True)]:
                for down in downs or [(None, None, False, True)]:
                    up_masked = up[2] if up[0] is not None else None
                    down_masked = down[2] if down[0] is not None else None
                    hops = [m for m in (up_masked, down_masked) if m is not None]
                    flows.append(
                        {
                            "source": up[0],
                            "source_system": SYSTEM_NAMES.get(_system_of(up[0])) if up[0] else None,
                            "source_column": up[1],
                            "s3_dataset": s3_uri,
                            "s3_column": column,
                            "target": down[0],
                            "target_system": SYSTEM_NAMES.get(_system_of(down[0]))
                            if down[0]
                            else None,
                            "target_column": down[1],
                            "entities": entities,
                            "special_categories": special_categories(
                                entities, categories.get(s3_uri)
                            ),
                            "upstream_masked": up_masked,
                            "downstream_masked": down_masked,
                            "masked": any(hops),
                            "column_map": up[3] and down[3],
                        }
                    )
    flows.sort(
        key=lambda f: (
            f["masked"],
            f["source"] or "",
            f["s3_dataset"],
            f["s3_column"],
            f["target"] or "",
            f["source_column"] or "",
            f["target_column"] or "",
        )
    )
    return flows


def flow_key(flow: Mapping[str, Any]) -> str:
    """A flow's identity across reports (its endpoints and columns)."""
    parts = ("source", "source_column", "s3_dataset", "s3_column", "target", "target_column")
    return " | ".join(str(flow.get(p) or "-") for p in parts)


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _nearest_rank(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))
    return ordered[int(rank) - 1]


def _kpis(
    snapshot: CatalogSnapshot,
    period: Period,
    as_of: datetime,
    coverage: tuple[float | None, int | None, int | None, str | None],
) -> list[dict[str, Any]]:
    # The lake's datasets: S3, and local folders scanned in its place (the sample lake).
    s3 = list(snapshot.datasets)
    current = [ds for ds in s3 if _is_current(ds)]
    objects_total = sum(ds.summary.object_count for ds in s3)
    objects_current = sum(ds.summary.object_count for ds in current)

    upstream: set[str] = set()
    downstream: set[str] = set()
    s3_nodes = {ds.summary.ref.uri for ds in s3}
    for edge in snapshot.edges:
        if edge.target.system in LAKE_SYSTEMS:
            upstream.add(edge.target.uri)
            s3_nodes.add(edge.target.uri)
        if edge.source.system in LAKE_SYSTEMS:
            downstream.add(edge.source.uri)
            s3_nodes.add(edge.source.uri)
    complete = len(s3_nodes & upstream & downstream)

    pending_ages = [
        (as_of - _aware(v.first_seen)).total_seconds() / 86400
        for v in snapshot.suggestions
        if v.state.value == "pending" and _aware(v.first_seen) <= as_of
    ]
    durations = [
        (_aware(v.decided_at) - _aware(v.first_seen)).total_seconds() / 3600
        for v in snapshot.suggestions
        if v.decided_at is not None
        and v.decided_by not in (None, "atlan")
        and period.start <= _aware(v.decided_at) < period.end
    ]
    values: dict[str, tuple[float | int | None, int | None, int | None]] = {
        "metadata_coverage_datasets": (_share(len(current), len(s3)), len(current), len(s3)),
        "metadata_coverage_objects": (
            _share(objects_current, objects_total),
            objects_current,
            objects_total,
        ),
        "lineage_completeness": (_share(complete, len(s3_nodes)), complete, len(s3_nodes)),
        "review_backlog": (len(pending_ages), None, None),
        "review_backlog_oldest_days": (round(max(pending_ages, default=0.0), 2), None, None),
        "review_backlog_median_days": (
            round(statistics.median(pending_ages), 2) if pending_ages else 0.0,
            None,
            None,
        ),
        "discovery_to_decision_median_hours": (
            round(statistics.median(durations), 2) if durations else None,
            len(durations),
            None,
        ),
        "discovery_to_decision_p90_hours": (
            round(_nearest_rank(durations, 0.9), 2) if durations else None,
            len(durations),
            None,
        ),
        "contract_coverage": coverage[:3],
    }
    notes = {"contract_coverage": coverage[3]}
    return [
        {
            "id": kpi_id,
            "name": name,
            "unit": unit,
            "value": values[kpi_id][0],
            "numerator": values[kpi_id][1],
            "denominator": values[kpi_id][2],
            "definition": definition,
            "note": notes.get(kpi_id),
        }
        for kpi_id, name, unit, definition in KPI_DEFINITIONS
    ]


def _steward_activity(snapshot: CatalogSnapshot) -> dict[str, Any]:
    decisions = []
    by_actor: Counter[str] = Counter()
    for entry in snapshot.decisions:
        after = entry.after or {}
        count = after.get("count", 1)
        decisions.append(
            {
                "audit_id": entry.id,
                "at": _iso(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target,
                "state": after.get("state"),
                "count": int(count) if isinstance(count, int) else 1,
                "reason": entry.detail,
            }
        )
        by_actor[entry.actor] += 1
    head = snapshot.chain_head
    return {
        "decisions": decisions,
        "by_actor": dict(sorted(by_actor.items())),
        "audit_chain": {
            "rows": snapshot.audit_rows,
            "head_seq": head[0] if head else None,
            "head_hash": head[1] if head else None,
            "period_first_seq": snapshot.period_seqs[0] if snapshot.period_seqs else None,
            "period_last_seq": snapshot.period_seqs[1] if snapshot.period_seqs else None,
        },
    }


def _changes(
    previous: Mapping[str, Any] | None,
    inventory: list[dict[str, Any]],
    flows: list[dict[str, Any]],
    decisions: int,
) -> dict[str, Any] | None:
    if previous is None:
        return None
    before_ds = {r["dataset"] for r in previous.get("inventory", {}).get("datasets", [])}
    now_ds = {r["dataset"] for r in inventory}
    before_flows = {flow_key(f) for f in previous.get("flows", [])}
    now_flows = {flow_key(f) for f in flows}
    return {
        "previous_period": previous.get("period"),
        "new_pii_datasets": sorted(now_ds - before_ds),
        "removed_pii_datasets": sorted(before_ds - now_ds),
        "new_flows": sorted(now_flows - before_flows),
        "removed_flows": sorted(before_flows - now_flows),
        "decisions_made": decisions,
    }


def report_as_of(period: Period, now: datetime) -> datetime:
    """The time ``period``'s report is drawn at: ``now``, or the period's end once it is over."""
    return min(_aware(now), period.end)


def build_report(snapshot: CatalogSnapshot, period: Period, now: datetime) -> dict[str, Any]:
    """The compliance report of ``period`` as JSON data (see compliance.schema.json).

    :param now: the clock's time; the report is drawn as of ``min(now, period end)``, so a
        past month's report from the same catalog state is the same document whenever built.
    """
    as_of = report_as_of(period, now)
    flows = _flows(snapshot)
    inventory, by_entity, by_system = _inventory(snapshot, flows)
    contracts = contracts_section(snapshot.contracts, inventory)
    coverage = contract_coverage(contracts, inventory)
    activity = _steward_activity(snapshot)
    head = snapshot.chain_head
    return {
        "report": "compliance",
        "schema_version": SCHEMA_VERSION,
        "period": period.label,
        "period_start": _iso(period.start),
        "period_end": _iso(period.end),
        "as_of": _iso(as_of),
        "catalog_state": {
            "datasets": len(snapshot.datasets),
            "lineage_edges": len(snapshot.edges),
            "suggestions": len(snapshot.suggestions),
            "audit_rows": snapshot.audit_rows,
            "audit_chain_head_seq": head[0] if head else None,
            "audit_chain_head_hash": head[1] if head else None,
        },
        "special_categories": {k: sorted(v) for k, v in sorted(SPECIAL_CATEGORIES.items())},
        "inventory": {"datasets": inventory, "by_entity": by_entity, "by_system": by_system},
        "flows": flows,
        "contracts": contracts,
        "kpis": _kpis(snapshot, period, as_of, coverage),
        "steward_activity": activity,
        "changes": _changes(snapshot.previous, inventory, flows, len(activity["decisions"])),
    }


def previous_period(period: Period) -> Period:
    """The month before ``period``."""
    return Period.parse((period.start - timedelta(days=1)).strftime("%Y-%m"))
