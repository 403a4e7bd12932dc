"""The compliance report's data contracts: each contract's check, its owner, contract coverage.

Pure: the compliance service reads the contracts folder and checks it (through the contract
service, at the report's as-of time) into a :class:`ContractsInput`; :func:`contracts_section`
turns that into the report's ``contracts`` section and :func:`contract_coverage` into the
KPI. Violations carry counts, shares and types only (as the checker words them), never a
sampled value; contract files are named by their name in the folder, so the report does not
depend on where the folder is mounted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from open_data_contract_standard.model import OpenDataContractStandard, TeamMember

from worker.core.contracts.check import CheckResult, ViolationKind

#: What a contract's owner placeholder starts with (``enricher contract init`` writes it).
PLACEHOLDER = "TO FILL IN"
#: Team member roles read as the owner (case-insensitive).
OWNER_ROLES = frozenset({"owner", "data owner", "dataowner", "data_owner", "product owner"})
#: The violation kind listed first: personal data the contract forbids.
FORBIDDEN_PII = ViolationKind.CLASSIFICATION.value
#: Why the contract sections are empty when no folder is configured.
NOT_CONFIGURED = (
    "No contracts folder was given (the contracts.dir setting, or --contracts): no data "
    "contract was checked, and contract coverage is not computed."
)


@dataclass(frozen=True, slots=True)
class ContractState:
    """One contract file as the report reads it.

    :param file: its name in the contracts folder.
    :param result: the check of the dataset's latest scan against it.
    """

    file: str
    dataset: str | None
    status: str | None
    team: str | None
    owner: str | None
    result: CheckResult


@dataclass(frozen=True, slots=True)
class ContractsInput:
    """The contracts folder as read for one report.

    :param files: every contract file of the folder (name → sha256), read or not.
    :param error: why the folder could not be read or checked (a file that is not ODCS v3,
        a missing folder); ``contracts`` is then empty.
    """

    files: Mapping[str, str]
    contracts: tuple[ContractState, ...] = ()
    error: str | None = None


def _real(text: str | None) -> str | None:
    text = (text or "").strip()
    return text if text and not text.upper().startswith(PLACEHOLDER) else None


def contract_owner(contract: OpenDataContractStandard) -> tuple[str | None, str | None]:
    """The contract's team name and owner: ``(team, owner)``, either ``None`` when not stated.

    The owner is the username (else name) of the first team member whose role is an owner
    role and who has no ``dateOut``; ``enricher contract init``'s placeholders count as not
    stated. ODCS v3.0's bare member list has no team name.
    """
    team = contract.team
    if team is None:
        return None, None
    members: list[TeamMember]
    if isinstance(team, list):
        members, name = team, None
    else:
        members, name = list(team.members or []), team.name
    owner = None
    for member in members:
        if (member.role or "").strip().lower() in OWNER_ROLES and not member.dateOut:
            owner = _real(member.username) or _real(member.name)
            if owner is not None:
                break
    return _real(name), owner


def contract_owners(contracts: ContractsInput | None) -> dict[str, str]:
    """Dataset URI → its owner from a contract (the owner, else the team; first file wins)."""
    out: dict[str, str] = {}
    for state in contracts.contracts if contracts is not None else ():
        who = state.owner or state.team
        if state.dataset and who and state.dataset not in out:
            out[state.dataset] = who
    return out


def _by_kind(kinds: Iterable[str]) -> dict[str, int]:
    counts = Counter(kinds)
    return {k: counts[k] for k in sorted(counts, key=lambda k: (k != FORBIDDEN_PII, k))}


def _entry(state: ContractState) -> dict[str, Any]:
    result = state.result
    # Forbidden PII first; the others in the contract's order (the checker's).
    violations = sorted(result.violations, key=lambda v: v.kind.value != FORBIDDEN_PII)
    if violations:
        outcome = "violated"
    elif result.passed:
        outcome = "kept"
    else:
        outcome = "not_checked"
    return {
        "contract": state.file,
        "dataset": state.dataset,
        "status": state.status,
        "team": state.team,
        "owner": state.owner,
        "outcome": outcome,
        "passed": result.passed,
        "violations_by_kind": _by_kind(v.kind.value for v in violations),
        "violations": [
            {
                "kind": v.kind.value,
                "column": v.column,
                "rule": v.rule,
                "expected": v.expected,
                "observed": v.observed,
            }
            for v in violations
        ],
        "not_checkable": [
            {"column": u.column, "rule": u.rule, "reason": u.reason} for u in result.unchecked
        ],
    }


def pii_lake_datasets(inventory: Iterable[Mapping[str, Any]]) -> list[str]:
    """The lake datasets (``source: scan``) of the PII inventory, the ones a contract covers."""
    return sorted(r["dataset"] for r in inventory if r["source"] == "scan")


def contracts_section(
    contracts: ContractsInput | None, inventory: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The report's ``contracts`` section (see compliance.schema.json).

    Contracts with violations of forbidden PII come first, then the others with violations,
    then the rest, each group by file name.
    """
    if contracts is None:
        return {
            "configured": False,
            "note": NOT_CONFIGURED,
            "files": {},
            "contracts": [],
            "violations_by_kind": {},
            "pii_datasets_without_contract": None,
        }
    entries = sorted(
        (_entry(s) for s in contracts.contracts),
        key=lambda e: (
            FORBIDDEN_PII not in e["violations_by_kind"],
            not e["violations"],
            e["contract"],
        ),
    )
    covered = {e["dataset"] for e in entries if e["dataset"]}
    uncovered = (
        None
        if contracts.error is not None
        else [d for d in pii_lake_datasets(inventory) if d not in covered]
    )
    return {
        "configured": True,
        "note": contracts.error,
        "files": dict(sorted(contracts.files.items())),
        "contracts": entries,
        "violations_by_kind": _by_kind(v["kind"] for e in entries for v in e["violations"]),
        "pii_datasets_without_contract": uncovered,
    }


def contract_coverage(
    section: Mapping[str, Any], inventory: Iterable[Mapping[str, Any]]
) -> tuple[float | None, int | None, int | None, str | None]:
    """The contract-coverage KPI: ``(value, numerator, denominator, note)``.

    ``None`` value with a note when no folder is configured, it could not be read, or no
    lake dataset holds personal data.
    """
    if not section["configured"]:
        return None, None, None, NOT_CONFIGURED
    if section["note"] is not None:
        return None, None, None, f"the contracts could not be read: {section['note']}"
    pii = pii_lake_datasets(inventory)
    covered = {e["dataset"] for e in section["contracts"] if e["dataset"]}
    with_contract = sum(1 for d in pii if d in covered)
    if not pii:
        return None, 0, 0, "no lake dataset holds personal data"
    return round(with_contract / len(pii), 4), with_contract, len(pii), None
