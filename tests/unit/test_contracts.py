"""Data contracts (ODCS v3): drawn from an observation, checked against it, seeded violations.

The observations come from real ``DatasetService`` scans on the in-memory stores, with
samples that hold raw values, so that "no value in any output" is tested on the real path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    SamplingInfo,
    TableSample,
)
from models.datasets import (
    Alert,
    AlertCandidate,
    AlertKind,
    DatasetRef,
    DatasetSummary,
    GroupingRule,
    PartitionInfo,
    Severity,
)
from models.review import Role, SuggestionFilter, SuggestionState, SuggestionView, User
from tests.support.fakes import InMemoryAlertStore, InMemoryDatasetStore, InMemoryReviewStore
from worker.core.contracts.atlan_document import atlan_contract
from worker.core.contracts.check import (
    NOT_CHECKABLE,
    CheckResult,
    ViolationKind,
    check_contract,
)
from worker.core.contracts.document import ContractError, dump_contract, parse_contract
from worker.core.contracts.observed import (
    OWNER_TEAM,
    Observation,
    contract_dataset,
    draft_contract,
    observe,
    partition_time,
)
from worker.core.errors import (
    CatalogAssetNotFound,
    CatalogRejected,
    CatalogUnavailable,
    CatalogWriteError,
)
from worker.core.ports import ContractPublication
from worker.core.settings import DatasetSettings, Settings
from worker.services.contracts.service import ContractService, lowest_distinct_shares
from worker.services.datasets.service import DatasetService
from worker.services.review.queue import ReviewQueue
from worker.services.review.service import ReviewService

NOW = datetime(2025, 1, 12, 6, tzinfo=UTC)
URI = "s3://lake/orders/"
#: Raw values in the samples: none may appear in a contract, a result or an alert.
SECRETS = ("alice.secret@example.com", "+1 415 555 0199", "ORD-77123")


def _partition(day: int) -> PartitionInfo:
    key = f"dt=2025-01-{day:02d}/"
    return PartitionInfo(
        key, (("dt", f"2025-01-{day:02d}"),), 1, 1000,
        datetime(2025, 1, day, 1, tzinfo=UTC), f"orders/{key}part-0.parquet",
    )  # fmt: skip


def _summary(days: Sequence[int], fmt: str = "parquet") -> DatasetSummary:
    parts = tuple(_partition(d) for d in days)
    return DatasetSummary(
        DatasetRef("lake", "orders/"), GroupingRule.HIVE, "hive partition folders (dt)",
        object_count=len(parts), total_bytes=1000 * len(parts), partition_columns=("dt",),
        partitions=parts, formats=((fmt, len(parts)),),
    )  # fmt: skip


def _result(key: str, rows: int = 100) -> EnrichmentResult:
    ref = ObjectRef.parse(f"s3://lake/{key}")
    info = ObjectInfo(ref, 1000, f"e-{key}", datetime(2025, 1, 11, tzinfo=UTC))
    half = rows // 2
    columns = (
        ColumnSample("order_id", "int64", tuple(range(rows))),
        ColumnSample("ref", "string", (SECRETS[2],) * rows),
        ColumnSample("email", "string", (SECRETS[0],) * rows),
        ColumnSample("phone", "string", (SECRETS[1],) * half + (None,) * (rows - half)),
    )
    sample = TableSample(
        info, "parquet", None, columns, rows, rows, False, 1000, SamplingInfo("row_groups")
    )
    evidence = Evidence(sampled=rows, hits=rows, distinct_hits=1, mean_score=0.9,
                        masked_examples=("a***@e***.com",))  # fmt: skip
    findings = (
        ColumnFinding("order_id", "int64"),
        ColumnFinding("ref", "string"),
        ColumnFinding("email", "string", (EntityFinding("EMAIL_ADDRESS", 0.97, 1.0, evidence),)),
        ColumnFinding("phone", "string"),
    )
    return EnrichmentResult(
        ref, ObjectStatus.CLASSIFIED, info=info, sample=sample, columns=findings,
        categories=(LabelScore("sales", 0.8),),
    )  # fmt: skip


class Lake:
    """A dataset service on the in-memory stores, its alerts, and a contract service."""

    def __init__(self, folder: Path | None = None, hook: bool = False) -> None:
        self.alerts = InMemoryAlertStore(clock=lambda: NOW)
        self.raised: list[AlertCandidate] = []
        self.store = InMemoryDatasetStore(clock=lambda: NOW)
        self.review = InMemoryReviewStore(clock=lambda: NOW)
        self.contracts = ContractService(
            self.store,
            folder,
            self.sink,
            clock=lambda: NOW,
            review=ReviewQueue(self.review, Settings()),
        )
        self.datasets = DatasetService(
            self.store,
            DatasetSettings(max_partitions_per_scan=8),
            self.sink,
            clock=lambda: NOW,
            contracts=self.contracts.after_scan if hook else None,
        )

    def sink(self, candidates: Sequence[AlertCandidate]) -> list[Alert]:
        self.raised.extend(candidates)
        return self.alerts.raise_alerts(candidates)

    def scan(self, days: Sequence[int], fmt: str = "parquet") -> list[Alert]:
        plan = self.datasets.plan(_summary(days, fmt))
        pairs = [(p, _result(p.sample_key or "")) for p in plan.selected]
        return self.datasets.conclude(plan, pairs).alerts

    def observation(self) -> Observation:
        obs = self.contracts.observation(URI)
        assert obs is not None
        return obs


def _scanned(fmt: str = "parquet") -> Lake:
    lake = Lake()
    lake.scan(range(1, 4), fmt)
    return lake


def _contract(obs: Observation) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(dump_contract(draft_contract(obs, NOW)))
    return data


def _check(data: dict[str, Any], obs: Observation, now: datetime = NOW) -> CheckResult:
    return check_contract(parse_contract(yaml.safe_dump(data), "test.yaml"), obs, now)


def _column(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["schema"][0]["properties"] if p["name"] == name)
    return found


def _allowed(prop: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in prop["customProperties"] if c["property"] == "allowedPii"
    )
    return found


def test_the_observation_is_counts_shares_and_types() -> None:
    obs = _scanned().observation()
    assert [c.name for c in obs.columns] == ["order_id", "ref", "email", "phone"]
    phone = obs.column("phone")
    email = obs.column("email")
    assert phone is not None and phone.null_share == 0.5 and phone.entities == ()
    assert email is not None and email.entities == ("EMAIL_ADDRESS",)
    assert obs.row_count == 300 and obs.partitions_sampled == 3
    assert obs.newest_partition == datetime(2025, 1, 3, tzinfo=UTC)
    assert partition_time(PartitionInfo("x/", (("year", "2025"), ("month", "02")))) == datetime(
        2025, 2, 1, tzinfo=UTC
    )


def test_round_trip_init_then_check_on_the_same_observation_gives_no_violation() -> None:
    obs = _scanned().observation()
    data = _contract(obs)
    result = _check(data, obs)
    assert result.violations == [] and result.unchecked == []
    # every column's type, PII and quality, the row count and the freshness SLA passed
    assert result.passed >= 4 * 3 + 2
    assert data["team"]["name"] == OWNER_TEAM
    custom = {c["property"]: c["value"] for c in data["customProperties"]}
    assert custom == {"dataset": URI, "category": "sales"}
    assert _column(data, "email")["classification"] == "restricted"
    assert _column(data, "phone")["required"] is False
    assert _column(data, "order_id")["required"] is True
    assert contract_dataset(parse_contract(yaml.safe_dump(data), "x")) == URI


def test_the_yaml_validates_with_the_odcs_models_and_schema_and_reparses() -> None:
    from jsonschema import Draft201909Validator

    obs = _scanned().observation()
    model = draft_contract(obs, NOW)
    text = dump_contract(model)
    schema = json.loads(OpenDataContractStandard.json_schema())  # type: ignore[no-untyped-call]
    assert list(Draft201909Validator(schema).iter_errors(yaml.safe_load(text))) == []
    again = OpenDataContractStandard.from_string(text)
    assert again == model and again.to_yaml() == text
    assert again.apiVersion == "v3.1.0" and again.kind == "DataContract"


def test_each_seeded_violation_kind_is_caught() -> None:
    lake = _scanned()
    obs = lake.observation()
    data = _contract(obs)
    props = data["schema"][0]["properties"]
    props.append({"name": "gone", "physicalType": "string"})  # missing
    props.remove(_column(data, "ref"))  # extra
    _column(data, "order_id")["physicalType"] = "string"  # retyped
    phone = _column(data, "phone")
    phone["required"] = True  # it has nulls
    phone["quality"][0]["mustBeLessOrEqualTo"] = 10  # the sample has 50 % nulls
    _allowed(_column(data, "email"))["value"] = []  # no PII here
    data["schema"][0]["quality"][0]["mustBeBetween"] = [1, 2]  # 300 rows
    result = _check(data, obs, NOW + timedelta(days=30))  # the SLA allows 10 days
    kinds = {v.kind for v in result.violations}
    assert kinds == set(ViolationKind) - {ViolationKind.DISTINCT_SHARE}
    by_kind = {v.kind: v for v in result.violations}
    assert by_kind[ViolationKind.MISSING_COLUMN].column == "gone"
    assert by_kind[ViolationKind.EXTRA_COLUMN].column == "ref"
    assert by_kind[ViolationKind.RETYPED_COLUMN].observed == "int64"
    assert by_kind[ViolationKind.NULL_SHARE].observed == "50.00 %"
    assert by_kind[ViolationKind.ROW_COUNT].observed == "300 rows"
    assert "EMAIL_ADDRESS found" in by_kind[ViolationKind.CLASSIFICATION].observed
    assert by_kind[ViolationKind.FRESHNESS].observed.startswith("newest partition 39")
    # distinct share: when the catalog keeps one, a sample-scoped duplicate rule is checked
    shared = observe(
        lake.store.get(URI),  # type: ignore[arg-type]
        lake.store.partitions(URI),
        distinct_shares={"order_id": 0.5},
    )
    drafted = _contract(shared)
    rule = _column(drafted, "order_id")["quality"][1]
    assert rule["metric"] == "duplicateValues" and rule["mustBeLessOrEqualTo"] == 50
    assert _check(drafted, shared).violations == []
    rule["mustBeLessOrEqualTo"] = 10
    [distinct] = _check(drafted, shared).violations
    assert distinct.kind is ViolationKind.DISTINCT_SHARE and distinct.column == "order_id"


def test_scans_keep_distinct_shares_so_init_writes_and_check_checks_the_rule(
    tmp_path: Path,
) -> None:
    lake = _scanned()
    obs = lake.observation()
    # order_id: 100 distinct of 100; ref, email: 1 of 100; phone: 1 of its 50 non-null
    shares = {c.name: c.distinct_share for c in obs.columns}
    assert shares == {"order_id": 1.0, "ref": 0.01, "email": 0.01, "phone": 0.02}
    text = lake.contracts.draft(URI)
    data = yaml.safe_load(text)
    rules = {
        p["name"]: q for p in data["schema"][0]["properties"] for q in p.get("quality", [])
        if q.get("metric") == "duplicateValues"
    }  # fmt: skip
    assert {n: r["mustBeLessOrEqualTo"] for n, r in rules.items()} == {
        "order_id": 0, "ref": 99, "email": 99, "phone": 98,
    }  # fmt: skip
    assert all(r["arguments"] == {"scope": "sample"} for r in rules.values())
    (tmp_path / "orders.yaml").write_text(text)
    [clean] = lake.contracts.check(tmp_path)
    assert clean.violations == [] and clean.unchecked == []
    rules["ref"]["mustBeLessOrEqualTo"] = 50  # the sample's ref repeats one value
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    [result] = lake.contracts.check(tmp_path)
    [violation] = result.violations
    assert violation.kind is ViolationKind.DISTINCT_SHARE and violation.column == "ref"
    outputs = [text, json.dumps(result.to_dict())]
    outputs += [a.message + json.dumps(a.evidence) for a in lake.alerts.rows.values()]
    assert lake.alerts.rows
    for out in outputs:
        for secret in SECRETS:
            assert secret not in out


def test_the_lowest_distinct_share_of_the_sampled_partitions_is_observed() -> None:
    lake = _scanned()
    parts = lake.store.partitions(URI)
    lower = replace(parts[0], distinct_shares={**parts[0].distinct_shares, "order_id": 0.4})
    unsampled = replace(parts[1], sampled_at=None, distinct_shares={"order_id": 0.1})
    assert lowest_distinct_shares([lower, unsampled, parts[2]])["order_id"] == 0.4
    assert lowest_distinct_shares([unsampled]) == {}
    # a column without a share in any sampled record has no rule to check against
    bare = [replace(p, distinct_shares={}) for p in parts]
    stored = lake.store.get(URI)
    assert stored is not None
    assert observe(stored, bare, (), lowest_distinct_shares(bare)).columns[0].distinct_share is None


def test_masked_only_and_public_classifications() -> None:
    obs = _scanned().observation()
    data = _contract(obs)
    _allowed(_column(data, "email"))["value"] = ["EMAIL_ADDRESS:masked"]
    [masked] = _check(data, obs).violations
    assert masked.kind is ViolationKind.CLASSIFICATION
    assert masked.observed.startswith("EMAIL_ADDRESS found unmasked")
    data = _contract(obs)
    email = _column(data, "email")
    email["customProperties"] = []
    email["classification"] = "public"
    [public] = _check(data, obs).violations
    assert public.expected == "no PII" and public.column == "email"
    # dataset level: no PII anywhere in the dataset
    data = _contract(obs)
    data["schema"][0]["customProperties"][0]["value"] = []
    assert [v.column for v in _check(data, obs).violations] == ["email"]


def test_rules_a_sample_cannot_decide_are_reported_not_passed() -> None:
    obs = _scanned().observation()
    data = _contract(obs)
    baseline = _check(data, obs).passed
    order_id = _column(data, "order_id")
    order_id["unique"] = True
    order_id["quality"].extend([
        {"type": "sql", "query": "SELECT COUNT(*) FROM orders", "mustBeLessThan": 5},
        {"type": "custom", "engine": "soda", "implementation": "row_count > 0"},
        {"metric": "duplicateValues", "mustBe": 0},  # over the whole table
        {"metric": "nullValues", "unit": "rows", "mustBe": 0},  # a count over the table
        {"metric": "invalidValues", "arguments": {"validValues": ["a"]}, "mustBe": 0},
    ])  # fmt: skip
    data["slaProperties"].append({"property": "retention", "value": 1, "unit": "y"})
    result = _check(data, obs)
    assert result.violations == []
    assert result.passed == baseline
    assert len(result.unchecked) == 7
    assert all(u.reason.startswith(NOT_CHECKABLE) for u in result.unchecked)
    reasons = " ".join(u.reason for u in result.unchecked)
    assert "uniqueness over the whole table" in reasons and "sql rule" in reasons
    # text formats: row counts are estimates, so a row-count rule is not checkable
    text_obs = _scanned("csv").observation()
    assert text_obs.row_count is None
    data = _contract(obs)
    [unchecked] = _check(data, text_obs).unchecked
    assert "rowCount" in unchecked.rule and "estimated" in unchecked.reason


def test_invalid_contracts_are_refused_naming_the_file() -> None:
    with pytest.raises(ContractError, match="bad.yaml is not valid ODCS v3: kind"):
        parse_contract("apiVersion: v3.1.0\nkind: Contract\nid: x\nversion: '1'\n", "bad.yaml")
    with pytest.raises(ContractError, match="not valid YAML at line"):
        parse_contract("a: [\n", "bad.yaml")
    with pytest.raises(ContractError, match="top level"):
        parse_contract("- 1\n", "bad.yaml")


def test_no_sampled_value_in_any_output(tmp_path: Path) -> None:
    lake = _scanned()
    text = lake.contracts.draft(URI)
    (tmp_path / "orders.yaml").write_text(text)
    data = yaml.safe_load(text)
    _allowed(_column(data, "email"))["value"] = []
    _column(data, "phone")["required"] = True
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    results = lake.contracts.check(tmp_path)
    outputs = [text, json.dumps([r.to_dict() for r in results])]
    outputs += [a.message + json.dumps(a.evidence) for a in lake.alerts.rows.values()]
    assert len(results[0].violations) == 2 and lake.alerts.rows
    for out in outputs:
        for secret in SECRETS:
            assert secret not in out


def test_the_service_checks_a_folder_raises_alerts_and_lists_violations(tmp_path: Path) -> None:
    lake = _scanned()
    data = yaml.safe_load(lake.contracts.draft(URI))
    _allowed(_column(data, "email"))["value"] = []
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    other = dict(data, customProperties=[{"property": "dataset", "value": "s3://lake/none/"}])
    other["servers"] = []
    (tmp_path / "none.yml").write_text(yaml.safe_dump(other))
    (tmp_path / "notes.txt").write_text("not a contract")
    results = {r.dataset: r for r in lake.contracts.check(tmp_path)}
    assert set(results) == {URI, "s3://lake/none/"}
    assert "no sampled scan" in results["s3://lake/none/"].unchecked[0].reason
    [alert] = [a for a in lake.alerts.rows.values() if a.kind is AlertKind.CONTRACT]
    assert alert.severity is Severity.CRITICAL and alert.dataset_uri == URI
    assert alert.evidence["kind"] == "classification" and alert.evidence["column"] == "email"
    violations = lake.contracts.violations(tmp_path)
    assert list(violations) == [URI] and violations[URI][0].kind is ViolationKind.CLASSIFICATION
    assert len(lake.alerts.rows) == 1  # violations() raises nothing; the same alert dedups
    (tmp_path / "broken.yaml").write_text("kind: [")
    with pytest.raises(ContractError, match="broken.yaml"):
        lake.contracts.check(tmp_path)


def test_every_scan_checks_the_contracts_of_the_datasets_it_touches(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    drafted = _scanned()
    data = yaml.safe_load(drafted.contracts.draft(URI))
    _column(data, "phone")["quality"][0]["mustBeLessOrEqualTo"] = 1
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))

    hooked = Lake(tmp_path, hook=True)
    opened = hooked.scan(range(1, 4))
    contract = [a for a in opened if a.kind is AlertKind.CONTRACT]
    assert [a.evidence["kind"] for a in contract] == ["null_share"]
    # nothing new sampled: the hook still runs (freshness is news when nothing arrives)
    hooked.scan(range(1, 4))
    assert [a.occurrences for a in hooked.alerts.rows.values() if a.kind is AlertKind.CONTRACT] == [
        2
    ]

    plain = Lake(tmp_path, hook=False)  # no contracts configured: no contract alert
    plain.scan(range(1, 4))
    assert not [c for c in plain.raised if c.kind is AlertKind.CONTRACT]
    assert not [a for a in plain.alerts.rows.values() if a.kind is AlertKind.CONTRACT]

    (tmp_path / "orders.yaml").write_text("kind: [")  # a broken file does not fail the scan
    broken = Lake(tmp_path, hook=True)
    with caplog.at_level(logging.WARNING):
        assert not [a for a in broken.scan(range(1, 4)) if a.kind is AlertKind.CONTRACT]
    assert "orders.yaml is not valid YAML" in caplog.text


# -- violations as review items -----------------------------------------------------------------


def _items(lake: Lake, state: SuggestionState | None = None) -> list[SuggestionView]:
    f = SuggestionFilter(state=state, kind="contract")
    return list(lake.review.page(f, sort="object", limit=100).items)


def _contract_alerts(lake: Lake) -> dict[str, Alert]:
    return {
        a.evidence["kind"]: a for a in lake.alerts.rows.values() if a.kind is AlertKind.CONTRACT
    }


def test_each_violation_waits_in_review_once_with_its_evidence(tmp_path: Path) -> None:
    lake = _scanned()
    data = yaml.safe_load(lake.contracts.draft(URI))
    _allowed(_column(data, "email"))["value"] = []
    _column(data, "phone")["required"] = True
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    results = lake.contracts.check(tmp_path)
    items = _items(lake, SuggestionState.PENDING)
    assert sorted((s.evidence["violation"], s.column) for s in items) == sorted(
        (v.kind.value, v.column) for v in results[0].violations
    )
    assert len(items) == 2
    email = next(s for s in items if s.column == "email")
    assert email.object_uri == URI and email.kind == "contract"
    assert email.evidence["contract"] == "orders.yaml"
    assert set(email.evidence) >= {"violation", "rule", "expected", "observed", "contract"}
    assert email.tag.startswith("orders.yaml:classification:")
    for s in items:
        for secret in SECRETS:
            assert secret not in json.dumps(s.to_dict())
    lake.contracts.check(tmp_path)  # a rerun refreshes, adds none
    assert [s.id for s in _items(lake)] == [s.id for s in items]
    lake.contracts.violations(tmp_path)  # for reports: queues nothing either
    assert len(_items(lake)) == 2


def test_approving_waives_the_violation_and_rejecting_keeps_the_alert(tmp_path: Path) -> None:
    lake = _scanned()
    data = yaml.safe_load(lake.contracts.draft(URI))
    _allowed(_column(data, "email"))["value"] = []
    _column(data, "phone")["required"] = True
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    lake.contracts.check(tmp_path)
    alerts = _contract_alerts(lake)
    assert set(alerts) == {"classification", "required"}
    items = {s.evidence["violation"]: s for s in _items(lake, SuggestionState.PENDING)}
    review = ReviewService(lake.review, None, alerts=lake.alerts)
    steward = User("ann", Role.STEWARD)

    report = review.approve(steward, [items["classification"].id], "masked downstream")
    assert report.applied == 1 and not report.waiting  # local: no Atlan write
    assert lake.review.get(items["classification"].id).state is SuggestionState.APPLIED
    waived = lake.alerts.rows[alerts["classification"].id]
    assert waived.state.value == "resolved" and waived.actor == "ann"
    review.reject(steward, [items["required"].id], "the export must fill phone")
    assert lake.alerts.rows[alerts["required"].id].state.value == "open"

    lake.raised.clear()
    lake.contracts.check(tmp_path)  # both violations persist
    assert [c.evidence["kind"] for c in lake.raised] == ["required"]  # the waived one is quiet
    assert lake.alerts.rows[alerts["classification"].id].state.value == "resolved"
    assert lake.alerts.rows[alerts["required"].id].occurrences == 2
    assert not _items(lake, SuggestionState.PENDING)  # neither decision is proposed again
    assert len(_items(lake)) == 2


def test_a_pending_item_whose_violation_went_away_is_superseded(tmp_path: Path) -> None:
    lake = _scanned()
    data = yaml.safe_load(lake.contracts.draft(URI))
    _allowed(_column(data, "email"))["value"] = []
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    lake.contracts.check(tmp_path)
    [item] = _items(lake, SuggestionState.PENDING)
    (tmp_path / "orders.yaml").write_text(lake.contracts.draft(URI))  # the rule is lifted
    lake.contracts.check(tmp_path)
    assert lake.review.get(item.id).state is SuggestionState.SUPERSEDED
    assert not _items(lake, SuggestionState.PENDING)


def test_the_scan_hook_queues_violations_too(tmp_path: Path) -> None:
    drafted = _scanned()
    data = yaml.safe_load(drafted.contracts.draft(URI))
    _column(data, "phone")["quality"][0]["mustBeLessOrEqualTo"] = 1
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(data))
    hooked = Lake(tmp_path, hook=True)
    hooked.scan(range(1, 4))
    hooked.scan(range(1, 4))
    [item] = _items(hooked)
    assert item.state is SuggestionState.PENDING and item.evidence["violation"] == "null_share"


# -- Atlan's contract document and publishing ----------------------------------------------------


def _atlan(data: dict[str, Any], asset_type: str | None = "S3Prefix") -> dict[str, Any]:
    contract = parse_contract(yaml.safe_dump(data), "orders.yaml")
    text = atlan_contract(contract, "orders", asset_type)
    assert text == atlan_contract(contract, "orders", asset_type)  # deterministic
    found: dict[str, Any] = yaml.safe_load(text)
    return found


def test_the_atlan_document_is_drawn_from_the_odcs_contract() -> None:
    data = _contract(_scanned().observation())
    _column(data, "email")["description"] = "Where receipts go."
    doc = _atlan(data)
    # Atlan's keys first, in its order; ODCS's own top-level keys are not sent as they are.
    assert list(doc)[:6] == ["kind", "status", "template_version", "dataset", "type",
                             "description"]  # fmt: skip
    assert doc["kind"] == "DataContract" and doc["dataset"] == "orders"
    assert (doc["status"], doc["type"], doc["template_version"]) == ("draft", "S3Prefix", "0.0.2")
    assert doc["description"] == data["description"]["purpose"]
    assert not {"apiVersion", "schema", "servers", "team", "customProperties"} & set(doc)
    columns = {c["name"]: c for c in doc["columns"]}
    assert list(columns) == [p["name"] for p in data["schema"][0]["properties"]]
    email = columns["email"]
    assert email["description"] == "Where receipts go."
    assert (email["data_type"], email["local_type"]) == ("string", "string")
    assert email["classification"] == "restricted" and email["allowed_pii"] == ["EMAIL_ADDRESS"]
    assert columns["order_id"]["data_type"] == "int64"
    assert columns["order_id"]["allowed_pii"] == [] and "description" not in columns["order_id"]
    assert columns["order_id"]["required"] is True and columns["phone"]["required"] is False
    assert doc["odcs"] == {
        "api_version": data["apiVersion"], "id": data["id"], "version": data["version"],
        "status": "draft", "dataset": URI, "category": "sales", "allowed_pii": ["EMAIL_ADDRESS"],
    }  # fmt: skip
    assert not any(secret in yaml.safe_dump(doc) for secret in SECRETS)


def test_only_an_active_odcs_contract_is_verified_in_atlan() -> None:
    data = _contract(_scanned().observation())
    for status, atlan in (("active", "verified"), ("proposed", "draft"), ("draft", "draft"),
                          ("deprecated", "draft"), ("retired", "draft")):  # fmt: skip
        data["status"] = status
        assert _atlan(data)["status"] == atlan, status
    assert "type" not in _atlan(data, None)
    data.pop("description")
    data["name"] = "Orders"
    assert _atlan(data)["description"] == "Orders"


class FakeContractCatalog:
    """Atlan's contract rules in memory: no verified first version nor verified after
    verified; the same text again changes nothing; assets by dataset URI."""

    def __init__(self, assets: dict[str, tuple[str, str]]) -> None:
        self.assets = assets
        self.latest: dict[str, str] = {}
        self.sent: list[tuple[str, str]] = []
        self.failures: dict[str, CatalogWriteError] = {}

    def asset_of(self, dataset_uri: str) -> tuple[str, str] | None:
        return self.assets.get(dataset_uri)

    def publish_contract(
        self, dataset_qualified_name: str, contract_yaml: str, *, asset_type: str | None = None
    ) -> ContractPublication:
        qn = dataset_qualified_name
        previous = self.latest.get(qn)
        if previous == contract_yaml:
            return ContractPublication(qn, "unchanged")
        self.sent.append((qn, contract_yaml))
        if qn in self.failures:
            raise self.failures[qn]
        verified = yaml.safe_load(contract_yaml)["status"] == "verified"
        was_verified = previous is not None and yaml.safe_load(previous)["status"] == "verified"
        if verified and (previous is None or was_verified):
            raise CatalogRejected("a verified version needs a draft first")
        outcome = "created" if previous is None else "new_version" if was_verified else "updated"
        self.latest[qn] = contract_yaml
        return ContractPublication(qn, outcome, certified=verified, requests=1)


def _folder(tmp_path: Path, **contracts: dict[str, Any]) -> Path:
    for name, data in contracts.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_publish_puts_each_contract_on_its_asset_and_reports_the_others(tmp_path: Path) -> None:
    lake = _scanned()
    data = _contract(lake.observation())
    local = json.loads(json.dumps(data))
    local["customProperties"][0]["value"] = "file:///srv/lake/orders/"
    unknown = json.loads(json.dumps(data))
    unknown["customProperties"][0]["value"] = "s3://lake/unknown/"
    nameless = json.loads(json.dumps(data))
    nameless.pop("customProperties")
    nameless.pop("servers")
    folder = _folder(tmp_path, a_orders=data, b_local=local, c_unknown=unknown, d_none=nameless)
    catalog = FakeContractCatalog({URI: ("S3Prefix", "conn/lake/orders")})

    results, stopped = lake.contracts.publish(catalog, folder)
    assert stopped is None
    assert [(r.dataset, r.published) for r in results] == [
        (URI, True), ("file:///srv/lake/orders/", False), ("s3://lake/unknown/", False),
        (None, False),
    ]  # fmt: skip
    first = results[0].publication
    assert first is not None and (first.outcome, first.certified) == ("created", False)
    [(qn, sent)] = catalog.sent
    assert qn == "conn/lake/orders"
    assert (
        yaml.safe_load(sent)["dataset"] == "orders" and yaml.safe_load(sent)["type"] == "S3Prefix"
    )
    assert "local dataset" in (results[1].reason or "")
    assert "no asset in Atlan" in (results[2].reason or "")
    assert "names no dataset" in (results[3].reason or "")
    assert results[1].to_dict()["outcome"] == "not_published"

    again, _ = lake.contracts.publish(catalog, folder)
    assert again[0].publication is not None and again[0].publication.outcome == "unchanged"
    assert len(catalog.sent) == 1


def test_an_active_contract_goes_to_atlan_as_a_draft_then_verified(tmp_path: Path) -> None:
    lake = _scanned()
    data = _contract(lake.observation())
    data["status"] = "active"
    folder = _folder(tmp_path, orders=data)
    catalog = FakeContractCatalog({URI: ("S3Prefix", "conn/lake/orders")})
    [result], _ = lake.contracts.publish(catalog, folder)
    pub = result.publication
    assert pub is not None and (pub.outcome, pub.certified, pub.requests) == ("created", True, 2)
    statuses = [yaml.safe_load(text)["status"] for _, text in catalog.sent]
    assert statuses == ["verified", "draft", "verified"]  # refused, then the way Atlan wants
    assert yaml.safe_load(catalog.latest["conn/lake/orders"])["status"] == "verified"
    # Unchanged: nothing is sent.
    [same], _ = lake.contracts.publish(catalog, folder)
    assert same.publication is not None and same.publication.outcome == "unchanged"
    assert len(catalog.sent) == 3
    # Changed after a verified version: a new version, verified in turn.
    data["schema"][0]["properties"][0]["description"] = "One per order."
    _folder(tmp_path, orders=data)
    [changed], _ = lake.contracts.publish(catalog, folder)
    assert changed.publication is not None
    assert (changed.publication.outcome, changed.publication.certified) == ("new_version", True)


def test_refusals_are_reported_and_an_outage_stops_the_run(tmp_path: Path) -> None:
    lake = _scanned()
    data = _contract(lake.observation())
    other = json.loads(json.dumps(data))
    other["customProperties"][0]["value"] = "s3://lake/other/"
    folder = _folder(tmp_path, a=data, b=other)
    catalog = FakeContractCatalog(
        {URI: ("S3Prefix", "conn/lake/orders"), "s3://lake/other/": ("S3Prefix", "conn/other")}
    )
    refused = "Atlan does not attach data contracts to S3Prefix assets"
    catalog.failures["conn/lake/orders"] = CatalogRejected(refused)
    results, stopped = lake.contracts.publish(catalog, folder)
    assert stopped is None and [r.published for r in results] == [False, True]
    assert results[0].reason == refused
    assert len([qn for qn, _ in catalog.sent if qn == "conn/lake/orders"]) == 1  # not retried

    # A verified contract on a refused asset: the draft is refused too, and that is said.
    data["status"] = "active"
    _folder(tmp_path, a=data)
    [first, _], _ = lake.contracts.publish(catalog, folder)
    assert first.reason == refused
    # A missing asset is not helped by a draft.
    catalog.failures["conn/lake/orders"] = CatalogAssetNotFound("the dataset has no asset")
    sent = len(catalog.sent)
    [missing, _], _ = lake.contracts.publish(catalog, folder)
    assert missing.reason == "the dataset has no asset" and len(catalog.sent) == sent + 1

    catalog.failures["conn/lake/orders"] = CatalogUnavailable("Atlan is unavailable")
    other["description"] = {"purpose": "changed"}
    _folder(tmp_path, b=other)
    sent = len(catalog.sent)
    results, stopped = lake.contracts.publish(catalog, folder)
    assert isinstance(stopped, CatalogUnavailable)
    assert [r.reason for r in results] == ["Atlan is unavailable"] * 2
    assert len(catalog.sent) == sent + 1  # the second contract was not tried
