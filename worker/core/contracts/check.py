"""Check an :class:`~worker.core.contracts.observed.Observation` against an ODCS v3 contract.

Pure. Each rule of the contract ends in one of three places: passed (counted), a
:class:`Violation` (counts, shares and types: never a sampled value), or :class:`Unchecked`
with the reason a sample cannot decide it. A rule is never passed because it could not be
checked. The rules and how each is read are in ``docs/contracts.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from open_data_contract_standard.model import (
    CustomProperty,
    DataQuality,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    ServiceLevelAgreementProperty,
)

from models.datasets import AlertCandidate, AlertKind, Severity
from worker.core.contracts.observed import (
    ALLOWED_PII,
    MASKED,
    VENDOR,
    Observation,
    ObservedColumn,
    logical_type,
)
from worker.core.datasets.verdict import UNTYPED

#: A sample cannot decide these (the phrase every :class:`Unchecked` reason starts with).
NOT_CHECKABLE = "not checkable from a sample"
#: Classifications that allow no PII at all.
NO_PII_CLASSES = frozenset({"public", "no-pii", "none"})
#: SLA properties about the newest data's age.
FRESHNESS_PROPERTIES = frozenset({"latency", "freshness"})
_EPS = 1e-9
_UNITS = {
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
    "y": 31_557_600.0, "yr": 31_557_600.0, "year": 31_557_600.0, "years": 31_557_600.0,
}  # fmt: skip


class ViolationKind(StrEnum):
    """What kind of rule the latest scan breaks."""

    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    RETYPED_COLUMN = "retyped_column"
    REQUIRED = "required"
    CLASSIFICATION = "classification"
    NULL_SHARE = "null_share"
    DISTINCT_SHARE = "distinct_share"
    ROW_COUNT = "row_count"
    FRESHNESS = "freshness"


#: Kinds that raise critical alerts (personal data where the contract forbids it).
CRITICAL = frozenset({ViolationKind.CLASSIFICATION})


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule.

    :param rule: the rule as the contract states it (``card_number: nullValues <= 31.4 %``).
    :param expected: what the contract allows; ``observed``: what the scan saw (counts,
        shares, types, entity names, ages: never a sampled value).
    """

    kind: ViolationKind
    dataset: str
    column: str | None
    rule: str
    expected: str
    observed: str

    @property
    def message(self) -> str:
        """One line: ``contract: card_number: nullValues <= 5 % (observed 31.4 %)``."""
        return f"contract violated: {self.rule}: expected {self.expected}, observed {self.observed}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind.value,
            "dataset": self.dataset,
            "column": self.column,
            "rule": self.rule,
            "expected": self.expected,
            "observed": self.observed,
        }

    def to_alert(self) -> AlertCandidate:
        """The alert candidate (kind ``contract``); the subject is stable from scan to scan."""
        return AlertCandidate(
            kind=AlertKind.CONTRACT,
            severity=Severity.CRITICAL if self.kind in CRITICAL else Severity.WARNING,
            dataset_uri=self.dataset,
            subject=f"contract:{self.kind.value}:{self.column or ''}:{self.rule}",
            message=self.message,
            evidence=self.to_dict(),
        )


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A rule the check could not decide, and why (never counted as passed)."""

    rule: str
    reason: str
    dataset: str = ""
    column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "dataset": self.dataset,
            "column": self.column,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(slots=True)
class CheckResult:
    """The outcome of checking one dataset against one contract.

    :param passed: rules checked and kept.
    """

    dataset: str
    contract: str
    violations: list[Violation] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    passed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "dataset": self.dataset,
            "contract": self.contract,
            "passed": self.passed,
            "violations": [v.to_dict() for v in self.violations],
            "unchecked": [u.to_dict() for u in self.unchecked],
        }


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else f"{value:.6g}"


@dataclass(frozen=True, slots=True)
class _Bound:
    """One ``mustBe...`` operator of a quality rule."""

    op: str
    low: float
    high: float = math.nan

    @property
    def text(self) -> str:
        if self.op in ("between", "not between"):
            return f"{self.op} {_fmt(self.low)} and {_fmt(self.high)}"
        return f"{self.op} {_fmt(self.low)}"

    def holds(self, x: float) -> bool:
        inside = self.low - _EPS <= x <= self.high + _EPS
        return {
            "=": abs(x - self.low) <= _EPS,
            "!=": abs(x - self.low) > _EPS,
            ">": x > self.low + _EPS,
            ">=": x >= self.low - _EPS,
            "<": x < self.low - _EPS,
            "<=": x <= self.low + _EPS,
            "between": inside,
            "not between": not inside,
        }[self.op]


def _num(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _bounds(q: DataQuality) -> list[_Bound]:
    """The numeric operators of a quality rule (an operator on a non-number is left out)."""
    out: list[_Bound] = []
    for op, value in (
        ("=", q.mustBe), ("!=", q.mustNotBe), (">", q.mustBeGreaterThan),
        (">=", q.mustBeGreaterOrEqualTo), ("<", q.mustBeLessThan),
        ("<=", q.mustBeLessOrEqualTo),
    ):  # fmt: skip
        number = _num(value)
        if number is not None:
            out.append(_Bound(op, number))
    for op, pair in (("between", q.mustBeBetween), ("not between", q.mustNotBeBetween)):
        if pair is not None:
            out.append(_Bound(op, float(pair[0]), float(pair[1])))
    return out


def _allowed(props: Sequence[CustomProperty] | None) -> list[str] | None:
    """The ``allowedPii`` list of a custom-property block, or ``None`` when it has none."""
    for prop in props or []:
        if prop.property == ALLOWED_PII and prop.vendor in (None, VENDOR):
            value = prop.value
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            if isinstance(value, list):
                return [str(v) for v in value]
    return None


class _Checker:
    def __init__(self, contract: OpenDataContractStandard, obs: Observation, now: datetime):
        self.contract = contract
        self.obs = obs
        self.now = now
        self.result = CheckResult(obs.dataset_uri, contract.id or contract.name or "contract")

    # -- outcomes ------------------------------------------------------------------------------

    def ok(self) -> None:
        self.result.passed += 1

    def violate(
        self, kind: ViolationKind, column: str | None, rule: str, expected: str, observed: str
    ) -> None:
        self.result.violations.append(
            Violation(kind, self.obs.dataset_uri, column, rule, expected, observed)
        )

    def skip(self, rule: str, reason: str, column: str | None = None) -> None:
        self.result.unchecked.append(
            Unchecked(rule, f"{NOT_CHECKABLE}: {reason}", self.obs.dataset_uri, column)
        )

    # -- the contract ----------------------------------------------------------------------------

    def run(self) -> CheckResult:
        objects = list(self.contract.schema_ or [])
        chosen = next((o for o in objects if o.name == self.obs.name), None)
        chosen = chosen or (objects[0] if objects else None)
        for other in objects:
            if other is not chosen:
                self.skip(
                    f"schema {other.name}", "the dataset is one table; this object is another"
                )
        dataset_allowed = _allowed(self.contract.customProperties)
        if chosen is not None:
            self.schema(chosen, dataset_allowed)
        elif dataset_allowed is not None:
            for column in self.obs.columns:
                self.classification(column, dataset_allowed, "dataset allowedPii")
        for sla in self.contract.slaProperties or []:
            self.sla(sla)
        return self.result

    def schema(self, obj: SchemaObject, contract_allowed: list[str] | None) -> None:
        props = {p.name: p for p in obj.properties or [] if p.name}
        object_allowed = _allowed(obj.customProperties)
        if obj.properties is not None:  # no properties listed: the columns are not stated
            for name in props:
                if self.obs.column(name) is None:
                    self.violate(ViolationKind.MISSING_COLUMN, name, f"column {name}",
                                 "present", "absent from the latest scan")  # fmt: skip
                else:
                    self.ok()
            for column in self.obs.columns:
                if column.name not in props:
                    self.violate(ViolationKind.EXTRA_COLUMN, column.name,
                                 f"column {column.name}", "not in the contract",
                                 f"present ({column.data_type})")  # fmt: skip
        for name, prop in props.items():
            self.column(prop, self.obs.column(name))
        for allowed, where in ((object_allowed, "schema"), (contract_allowed, "dataset")):
            if allowed is not None:
                for observed in self.obs.columns:
                    self.classification(observed, allowed, f"{where} allowedPii")
        for q in obj.quality or []:
            self.quality(q, None, None)

    def column(self, prop: SchemaProperty, observed: ObservedColumn | None) -> None:
        name = prop.name or ""
        if observed is None:
            for q in prop.quality or []:
                self.skip(self.rule_text(q, name), "the column is absent from the scan", name)
            return
        self.data_type(prop, observed)
        if prop.required:
            self.required(observed)
        if prop.unique:
            self.skip(f"{name}: unique", "uniqueness over the whole table", name)
        if prop.primaryKey:
            self.skip(f"{name}: primaryKey", "uniqueness over the whole table", name)
        allowed, source = _allowed(prop.customProperties), "allowedPii"
        classification = (prop.classification or "").strip().lower()
        if allowed is None and classification in NO_PII_CLASSES:
            allowed, source = [], f"classification {classification}"
        if allowed is not None:
            self.classification(observed, allowed, source)
        for q in prop.quality or []:
            self.quality(q, name, observed)

    def data_type(self, prop: SchemaProperty, observed: ObservedColumn) -> None:
        name = prop.name or ""
        seen = observed.data_type.strip().lower()
        if seen in UNTYPED:
            if prop.physicalType or prop.logicalType:
                self.skip(f"{name}: type", "every sampled value was null", name)
            return
        if prop.physicalType:
            if prop.physicalType.strip().lower() == seen:
                self.ok()
            else:
                self.violate(ViolationKind.RETYPED_COLUMN, name,
                             f"{name}: physicalType {prop.physicalType}", prop.physicalType,
                             observed.data_type)  # fmt: skip
        elif prop.logicalType:
            logical = logical_type(seen)
            if logical is None:
                self.skip(f"{name}: logicalType {prop.logicalType}",
                          f"type {observed.data_type} has no known logical type", name)  # fmt: skip
            elif logical == prop.logicalType:
                self.ok()
            else:
                self.violate(ViolationKind.RETYPED_COLUMN, name,
                             f"{name}: logicalType {prop.logicalType}", prop.logicalType,
                             f"{logical} ({observed.data_type})")  # fmt: skip

    def required(self, observed: ObservedColumn) -> None:
        name = observed.name
        if observed.null_share is None:
            self.skip(f"{name}: required", "no null share was kept for the column", name)
        elif observed.null_share > 0:
            self.violate(ViolationKind.REQUIRED, name, f"{name}: required", "no nulls",
                         f"{observed.null_share:.1%} null in a sampled partition")  # fmt: skip
        else:
            self.ok()

    def classification(self, observed: ObservedColumn, allowed: list[str], source: str) -> None:
        clear = {a for a in allowed if not a.endswith(MASKED)}
        masked = {a[: -len(MASKED)] for a in allowed if a.endswith(MASKED)}
        rule_allowed = ", ".join(allowed) if allowed else "no PII"
        broken = False
        for entity in observed.entities:
            if entity in clear:
                continue
            broken = True
            seen = f"{entity} found unmasked" if entity in masked else f"{entity} found"
            self.violate(ViolationKind.CLASSIFICATION, observed.name,
                         f"{observed.name}: {source} [{rule_allowed}]", rule_allowed,
                         f"{seen} in {observed.partitions} sampled partition(s)")  # fmt: skip
        if not broken:
            self.ok()

    # -- quality ----------------------------------------------------------------------------------

    @staticmethod
    def rule_text(q: DataQuality, column: str | None) -> str:
        what = q.metric or q.rule or q.name or q.type or "rule"
        ops = " and ".join(b.text for b in _bounds(q))
        unit = f" {q.unit}" if q.unit and ops else ""
        head = f"{column}: " if column else ""
        return f"{head}{what}{(' ' + ops) if ops else ''}{unit}"

    def quality(self, q: DataQuality, column: str | None, observed: ObservedColumn | None) -> None:
        text = self.rule_text(q, column)
        kind = (q.type or "library").lower()
        if kind != "library":
            self.skip(text, f"a {kind} rule needs the whole table or its own engine", column)
            return
        metric = q.metric or q.rule or ""
        unit = (q.unit or "").strip().lower()
        value: float | None = None
        violation = ViolationKind.NULL_SHARE
        if column is not None and observed is not None and metric == "nullValues":
            if unit not in ("percent", "%"):
                self.skip(text, "a count of nulls over the whole table (use unit: percent)", column)
                return
            if observed.null_share is None:
                self.skip(text, "no null share was kept for the column", column)
                return
            value = observed.null_share * 100
        elif column is not None and observed is not None and metric == "duplicateValues":
            scope = (q.arguments or {}).get("scope")
            if unit not in ("percent", "%") or scope != "sample":
                self.skip(text, "duplicates over the whole table (a share within the sample "
                          "is arguments: {scope: sample}, unit: percent)", column)  # fmt: skip
                return
            if observed.distinct_share is None:
                self.skip(text, "the catalog keeps no distinct share for the column", column)
                return
            value = (1 - observed.distinct_share) * 100
            violation = ViolationKind.DISTINCT_SHARE
        elif column is None and metric == "rowCount":
            if self.obs.row_count is None:
                self.skip(text, self.obs.row_count_note or "the row count is not known")
                return
            value = float(self.obs.row_count)
            violation = ViolationKind.ROW_COUNT
        else:
            where = "a column" if column is not None else "the table"
            self.skip(text, f"metric {metric or '(none)'} on {where} needs the values or "
                      "the whole table", column)  # fmt: skip
            return
        bounds = _bounds(q)
        if not bounds:
            self.skip(text, "the rule states no bound (mustBe...)", column)
            return
        failed = [b.text for b in bounds if not b.holds(value)]
        if not failed:
            self.ok()
            return
        shown = f"{value:.2f} %" if unit in ("percent", "%") else f"{value:,.0f} {q.unit or ''}"
        expected = " and ".join(failed) + (f" {q.unit}" if q.unit else "")
        self.violate(violation, column, text, expected, shown.strip())

    # -- SLA ---------------------------------------------------------------------------------------

    def sla(self, sla: ServiceLevelAgreementProperty) -> None:
        name = (sla.property or "").strip()
        text = f"sla {name} {sla.value}{sla.unit or ''}"
        if name.lower() not in FRESHNESS_PROPERTIES:
            self.skip(text, f"the SLA property {name or '(none)'} is not about partition times")
            return
        newest = self.obs.newest_partition
        if newest is None:
            self.skip(text, "no partition times: the dataset is not partitioned")
            return
        seconds = _UNITS.get((sla.unit or "d").strip().lower())
        value = sla.value
        if seconds is None or isinstance(value, bool) or not isinstance(value, int | float):
            self.skip(text, f"unit {sla.unit!r} or value {value!r} is not a duration")
            return
        limit = timedelta(seconds=float(value) * seconds)
        age = self.now - newest
        if age <= limit:
            self.ok()
            return
        days = age.total_seconds() / 86400
        self.violate(ViolationKind.FRESHNESS, None, text,
                     f"newest partition at most {_fmt(float(value))} {sla.unit or 'd'} old",
                     f"newest partition {math.floor(days * 10) / 10:g} days old")  # fmt: skip


def check_contract(
    contract: OpenDataContractStandard, obs: Observation, now: datetime
) -> CheckResult:
    """Check the observation against every rule of the contract.

    :param now: the time freshness is judged at (aware).
    :returns: violations, rules a sample cannot decide (with the reason) and the count of
        rules passed.
    """
    return _Checker(contract, obs, now).run()
