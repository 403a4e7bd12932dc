"""The contract document Atlan accepts, rendered from an ODCS v3 contract.

Atlan parses a contract's text as its own format (``DataContract`` in
``atlanhq/atlas-metastore``; pyatlan's ``DataContractSpec``), not as ODCS: it needs
``kind: DataContract`` and ``dataset`` (the asset's name), reads ``status`` (``draft`` or
``verified``), ``type`` (the asset type), ``template_version`` (semantic version),
``description`` and ``columns`` (``name``, ``description``, ``data_type``), and keeps any
other key as it was sent. ODCS forbids extra top-level keys, so the ODCS file cannot be sent
as it is; :func:`atlan_contract` renders this document from it instead:

==============================  ===========================================================
Atlan key                       from the ODCS contract
==============================  ===========================================================
``kind``                        ``DataContract``
``status``                      ``verified`` when the ODCS ``status`` is ``active``, else
                                ``draft`` (``proposed``, ``draft``, ``deprecated``, ...)
``template_version``            ``0.0.2`` (pyatlan's template)
``dataset``, ``type``           the asset's name and type in Atlan (given by the caller)
``description``                 ``description.purpose``, else the contract's ``name``
``columns[]``                   one per property of the dataset's schema object:
                                ``name``, ``description``, ``data_type`` (``physicalType``,
                                else ``logicalType``), ``local_type`` (``logicalType``: pyatlan's
                                name for the logical type), ``required``, ``is_primary``
                                (``primaryKey``), ``unique``, ``classification`` and
                                ``allowed_pii`` (the s3-enricher ``allowedPii`` property)
``odcs``                        the source: ``api_version``, ``id``, ``version``, ``status``,
                                ``dataset`` (its URI), ``category``, ``allowed_pii`` (the
                                dataset's: the contract's or the schema object's)
==============================  ===========================================================

Keys Atlan does not parse (``local_type``, ``required``, ``classification``, ``odcs`` ...)
are kept in the contract's text, which Atlan shows. Not carried: quality rules, SLAs, servers
and the team. s3-enricher checks the rules against its scans (``enricher contract check``);
Atlan's ``owners``, ``tags`` and ``certificate`` are Atlan user names, tags and certificates
that the ODCS team and tags do not name, and the dataset writer already manages the asset's
tags. The rendering is deterministic (same contract, same text), so publishing an unchanged
contract again sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from open_data_contract_standard.model import (
    CustomProperty,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
)

from worker.core.contracts.observed import ALLOWED_PII, CATEGORY, VENDOR, contract_dataset

#: The version of Atlan's contract template the document follows (pyatlan's default).
TEMPLATE_VERSION = "0.0.2"
#: The ODCS status that Atlan's ``verified`` stands for.
ACTIVE = "active"


def atlan_status(odcs_status: str | None) -> str:
    """Atlan's status for an ODCS status: ``verified`` for ``active``, else ``draft``."""
    return "verified" if (odcs_status or "").strip().lower() == ACTIVE else "draft"


def _custom(props: Sequence[CustomProperty] | None, name: str) -> Any:
    """The value of s3-enricher's custom property ``name`` (vendor s3-enricher or none)."""
    for prop in props or []:
        if prop.property == name and prop.vendor in (None, VENDOR):
            return prop.value
    return None


def _allowed(props: Sequence[CustomProperty] | None) -> list[str] | None:
    """An ``allowedPii`` list (a list or a comma-separated text), or ``None`` when absent."""
    value = _custom(props, ALLOWED_PII)
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return None


def _schema_object(contract: OpenDataContractStandard, dataset_uri: str | None) -> SchemaObject:
    """The schema object of the dataset: the one named by its URI, else the first."""
    objects = contract.schema_ or []
    for obj in objects:
        if dataset_uri is not None and obj.physicalName == dataset_uri:
            return obj
    return objects[0] if objects else SchemaObject()


def _column(prop: SchemaProperty) -> dict[str, Any]:
    column: dict[str, Any] = {"name": prop.name}
    if prop.description:
        column["description"] = prop.description
    data_type = prop.physicalType or prop.logicalType
    if data_type:
        column["data_type"] = data_type
    if prop.logicalType:
        column["local_type"] = prop.logicalType
    for key, value in (
        ("required", prop.required),
        ("is_primary", prop.primaryKey),
        ("unique", prop.unique),
        ("classification", prop.classification),
        ("allowed_pii", _allowed(prop.customProperties)),
    ):
        if value is not None:
            column[key] = value
    return column


def atlan_document(
    contract: OpenDataContractStandard, dataset_name: str, asset_type: str | None = None
) -> dict[str, Any]:
    """Atlan's contract document for ``contract`` as a mapping (see the module docstring).

    :param dataset_name: the name of the dataset's asset in Atlan (``dataset``).
    :param asset_type: the asset's type name (``type``); ``None`` leaves ``type`` out.
    """
    uri = contract_dataset(contract)
    obj = _schema_object(contract, uri)
    doc: dict[str, Any] = {
        "kind": "DataContract",
        "status": atlan_status(contract.status),
        "template_version": TEMPLATE_VERSION,
        "dataset": dataset_name,
    }
    if asset_type:
        doc["type"] = asset_type
    purpose = contract.description.purpose if contract.description is not None else None
    description = purpose or contract.name
    if description:
        doc["description"] = description
    columns = [_column(p) for p in obj.properties or [] if p.name]
    if columns:
        doc["columns"] = columns
    source: dict[str, Any] = {
        "api_version": contract.apiVersion,
        "id": contract.id,
        "version": contract.version,
        "status": contract.status,
    }
    if uri is not None:
        source["dataset"] = uri
    category = _custom(contract.customProperties, CATEGORY)
    if category is not None:
        source["category"] = category
    allowed = _allowed(contract.customProperties)
    if allowed is None:
        allowed = _allowed(obj.customProperties)
    if allowed is not None:
        source["allowed_pii"] = allowed
    doc["odcs"] = source
    return doc


def atlan_contract(
    contract: OpenDataContractStandard, dataset_name: str, asset_type: str | None = None
) -> str:
    """Atlan's contract document for ``contract`` as YAML text, keys in the order above.

    :param dataset_name: the name of the dataset's asset in Atlan.
    :param asset_type: the asset's type name; ``None`` leaves ``type`` out.
    """
    return yaml.safe_dump(
        atlan_document(contract, dataset_name, asset_type),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )
