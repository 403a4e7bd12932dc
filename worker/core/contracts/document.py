"""Read, validate and write ODCS v3 contract YAML with the standard's own models and schema.

Validation is the ``open-data-contract-standard`` package's: its JSON Schema (the standard's,
shipped with the package) and its pydantic models. Nothing here hand-writes a schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from worker.core.errors import DatasetError

#: Errors listed in one message at most (the rest are counted).
MAX_ERRORS = 5
#: Files read from a contracts folder.
SUFFIXES = (".yaml", ".yml")


class ContractError(DatasetError):
    """A contract file cannot be read or is not valid ODCS v3; the message names the file."""

    kind = "contract_error"


@cache
def _validator() -> Any:
    from jsonschema import Draft201909Validator

    schema = json.loads(OpenDataContractStandard.json_schema())  # type: ignore[no-untyped-call]
    return Draft201909Validator(schema)


def _false_alarm(error: Any) -> bool:
    """An error the bundled schema raises on valid ODCS: a property without ``logicalType``.

    Its ``if: {properties: {logicalType: {const: map}}}`` lacks ``required: [logicalType]``,
    so an absent ``logicalType`` (optional in the standard) matches and ``map`` is demanded.
    """
    instance = error.instance
    return (
        error.validator == "required"
        and error.validator_value == ["map"]
        and isinstance(instance, dict)
        and instance.get("logicalType") != "map"
    )


def _where(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def parse_contract(text: str, source: str) -> OpenDataContractStandard:
    """The contract in ``text`` (YAML), validated by the ODCS JSON Schema and models.

    :param source: what to name in errors (the file path).
    :raises ContractError: not YAML, not a mapping, or not valid ODCS v3 (up to
        :data:`MAX_ERRORS` errors, each with its place in the document).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ContractError(f"contract {source} is not valid YAML{where}") from exc
    if not isinstance(data, dict):
        raise ContractError(f"contract {source} must hold a mapping at the top level")
    errors = sorted(
        (e for e in _validator().iter_errors(data) if not _false_alarm(e)),
        key=lambda e: list(map(str, e.path)),
    )
    if errors:
        listed = "; ".join(f"{_where(e.path)}: {e.message}" for e in errors[:MAX_ERRORS])
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise ContractError(f"contract {source} is not valid ODCS v3: {listed}{more}")
    try:
        return OpenDataContractStandard.model_validate(data)
    except ValidationError as exc:
        listed = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()[:MAX_ERRORS])
        raise ContractError(f"contract {source} is not valid ODCS v3: {listed}") from exc


def read_contract(path: Path) -> OpenDataContractStandard:
    """The contract in the file ``path``.

    :raises ContractError: unreadable, or as :func:`parse_contract`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read contract {path}: {type(exc).__name__}") from exc
    return parse_contract(text, str(path))


def contract_files(directory: Path) -> list[Path]:
    """The contract files of a folder (``*.yaml``, ``*.yml``, not hidden), in name order.

    :raises ContractError: the folder does not exist or is not a folder.
    """
    if not directory.is_dir():
        raise ContractError(f"contracts folder {directory} does not exist")
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def dump_contract(contract: OpenDataContractStandard) -> str:
    """The contract as ODCS YAML (unset fields left out), validated before it is returned.

    :raises ContractError: the contract is not valid ODCS v3 (a bug in what built it).
    """
    text = contract.to_yaml()
    parse_contract(text, contract.id or "contract")
    return text
