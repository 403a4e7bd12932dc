"""Publishing a data contract on a dataset's Atlan asset, as pyatlan 11.6's ``DataContract``.

How Atlan's server treats a contract (``atlanhq/atlas-metastore``, ``ContractPreProcessor``,
``AbstractContractPreProcessor``, ``DataContract``; docs "Manage data contracts via SDKs"):

* The client sends one ``DataContract`` entity named ``<asset qualifiedName>/contract``
  (``DataContract.creator``) with the text in ``dataContractSpec`` (YAML, kept as sent;
  ``dataContractJson`` is deprecated and the server derives it). The text must be Atlan's
  contract format: ``kind: DataContract`` and a ``dataset``; ``type`` names the asset type,
  and without it only SQL assets are looked at. ``status`` is ``draft`` or ``verified``
  (anything else counts as draft).
* The server finds the asset by search, stores the version as
  ``<asset qualifiedName>/<asset type>/contract/V<n>`` and links the asset: ``hasContract``,
  ``dataContractLatest`` and, for a verified version, ``dataContractLatestCertified``.
* Versions: the same contract again changes nothing; a changed contract replaces the latest
  version when that is a draft, and becomes version ``n + 1`` (linked to the previous one)
  when the latest is verified. A verified contract cannot be created directly (create a
  draft, then send it verified) nor follow a verified one: 409.
* Only tables, views and materialised views are governed today (``DatasetType``; docs:
  "Limited availability"). For any other asset the server answers 500 "Dataset doesn't
  exist for given qualified name" (or 400 for a ``type`` it does not know).

So before sending, :func:`publish_contract` reads the asset (by qualified name, the graph:
no search lag) and its latest contract version, refuses a missing or archived asset, and
sends nothing when the latest version already holds the same text. The server's 500 for a
governed asset that is there means its search has not caught up (retryable); for any other
type, that contracts are not governed there (rejected).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from worker.adapters.atlan.client import atlan_errors, http_status
from worker.core.errors import CatalogAssetNotFound, CatalogRejected, CatalogUnavailable
from worker.core.ports import ContractPublication

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

#: Where a dataset's asset may be, in the order they are tried when the type is not given.
DATASET_ASSET_TYPES = ("S3Prefix", "S3Bucket", "S3Object")
#: The asset types Atlan governs with data contracts (atlas-metastore ``DatasetType``).
ATLAN_CONTRACT_TYPES = ("Table", "View", "MaterialisedView")
#: Atlan refuses attribute values longer than this (``AtlasConfiguration``).
MAX_CONTRACT_CHARS = 100_000
_VERSION = re.compile(r"/V(\d+)$")
#: The server's answer when no asset of a governed type has the name (an AtlasBaseException
#: without a code: HTTP 500).
_NO_DATASET = "doesn't exist for given qualified name"
#: The server's 400 for a contract ``type`` it does not govern (``DatasetType``).
_TYPE_REFUSED = re.compile(r"type: \S+ is inappropriate")
_PUBLISHED_VERSION = "published version"


def contract_fields(contract_text: str) -> dict[str, Any]:
    """The top-level keys of a contract in YAML or JSON (JSON is YAML too).

    :raises CatalogRejected: not a mapping, not ``kind: DataContract``, or no ``dataset``:
        Atlan would refuse it (the missing dataset with a 500, which looks like an outage).
    """
    import yaml

    if len(contract_text) > MAX_CONTRACT_CHARS:
        raise CatalogRejected(
            f"the data contract is longer than Atlan accepts ({MAX_CONTRACT_CHARS} characters)"
        )
    try:
        fields = yaml.safe_load(contract_text)
    except yaml.YAMLError as exc:
        raise CatalogRejected("the data contract is neither YAML nor JSON") from exc
    if not isinstance(fields, dict):
        raise CatalogRejected("the data contract is not a YAML mapping")
    if fields.get("kind") != "DataContract":
        raise CatalogRejected("Atlan needs 'kind: DataContract' at the top of a data contract")
    if not fields.get("dataset"):
        raise CatalogRejected(
            "Atlan needs a 'dataset' key (the asset's name) at the top of a data contract"
        )
    return fields


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _find_asset(client: AtlanClient, qualified_name: str, asset_type: str | None) -> Any:
    """The dataset's asset with its relationships (the graph: current, archived included).

    :raises CatalogAssetNotFound: no asset of these types has the name, or it is archived.
    """
    import pyatlan.model.assets as assets
    from pyatlan.errors import AtlanError, NotFoundError

    for type_name in (asset_type,) if asset_type else DATASET_ASSET_TYPES:
        kind = getattr(assets, type_name, None)
        if kind is None:
            raise CatalogRejected(f"pyatlan knows no asset type {type_name!r}")
        with atlan_errors("reading the dataset's asset for its data contract"):
            try:
                asset = client.asset.get_by_qualified_name(
                    qualified_name=qualified_name,
                    asset_type=kind,
                    min_ext_info=True,
                    ignore_relationships=False,
                )
            except AtlanError as exc:
                if isinstance(exc, NotFoundError) or http_status(exc) == 404:
                    continue  # not of this type (a typed NotFoundError or a bare 404)
                raise
        if str(_plain(asset.status) or "ACTIVE") != "ACTIVE":
            raise CatalogAssetNotFound(
                f"the dataset's {type_name} is archived in Atlan: restore it (write the "
                "dataset again) before publishing its data contract"
            )
        return asset
    raise CatalogAssetNotFound(
        "the dataset has no asset in Atlan: write the dataset to Atlan before publishing its "
        "data contract"
    )


def _latest_ref(asset: Any) -> Any:
    """The asset's ``dataContractLatest`` reference (an attribute or a relationship)."""
    latest = getattr(asset.attributes, "data_contract_latest", None)
    if latest is None and isinstance(asset.relationship_attributes, dict):
        latest = asset.relationship_attributes.get("dataContractLatest")
    return latest


def _latest_contract(client: AtlanClient, asset: Any) -> Any | None:
    """The asset's latest contract version, read by guid; ``None`` when it has none."""
    from pyatlan.errors import NotFoundError
    from pyatlan.model.assets import DataContract

    ref = _latest_ref(asset)
    guid = ref.get("guid") if isinstance(ref, dict) else getattr(ref, "guid", None)
    if not guid or str(guid).startswith("-"):
        return None
    with atlan_errors("reading the latest data contract"):
        try:
            return client.asset.get_by_guid(
                str(guid), asset_type=DataContract, min_ext_info=True, ignore_relationships=True
            )
        except NotFoundError:
            return None  # purged since the asset was read


def _version(qualified_name: str | None) -> int | None:
    found = _VERSION.search(qualified_name or "")
    return int(found.group(1)) if found else None


def publish_contract(
    client: AtlanClient,
    dataset_qualified_name: str,
    contract_text: str,
    *,
    asset_type: str | None = None,
) -> ContractPublication:
    """Create or update the data contract of the dataset's asset; see the module docstring.

    :param dataset_qualified_name: the asset's qualified name (``AtlanDatasetWriter.asset_of``).
    :param contract_text: the contract, YAML or JSON, in Atlan's contract format.
    :param asset_type: the asset's type; ``None`` tries ``S3Prefix``, ``S3Bucket``, ``S3Object``.
    :raises CatalogAssetNotFound: the asset is not in Atlan, or is archived.
    :raises CatalogRejected: the contract is not in Atlan's format, Atlan governs no contracts
        on this asset type, or a verified version would be created directly.
    :raises CatalogUnavailable: Atlan is unavailable, or its search does not show a governed
        asset yet (retryable).
    :raises CatalogAuthError: the API key is refused.
    :raises CatalogPermissionDenied: the token may not update the asset.
    Side effects: at most one bulk request creating or updating a ``DataContract`` (and, on
    Atlan's side, the asset's contract links); none when the contract is unchanged.
    """
    from pyatlan.errors import AtlanError
    from pyatlan.model.assets import DataContract

    fields = contract_fields(contract_text)
    certified = str(fields.get("status") or "").lower() == "verified"
    asset = _find_asset(client, dataset_qualified_name, asset_type)
    latest = _latest_contract(client, asset)
    if latest is not None and latest.data_contract_spec == contract_text:
        return ContractPublication(
            dataset_qualified_name,
            "unchanged",
            contract_qualified_name=latest.qualified_name,
            version=latest.data_contract_version or _version(latest.qualified_name),
            certified=str(_plain(latest.certificate_status) or "") == "VERIFIED",
        )
    contract = DataContract.creator(  # type: ignore[call-overload]
        asset_qualified_name=dataset_qualified_name, contract_spec=contract_text
    )
    with atlan_errors("publishing a data contract"):
        try:
            response = client.asset.save(contract)
        except AtlanError as exc:
            text = str(exc)
            if _NO_DATASET in text and asset.type_name in ATLAN_CONTRACT_TYPES:
                # The asset is there (read above): search has not caught up with it yet.
                raise CatalogUnavailable(
                    "Atlan's search does not show the dataset's asset yet (publishing a data "
                    "contract); try again shortly"
                ) from exc
            if _NO_DATASET in text or _TYPE_REFUSED.search(text):
                raise CatalogRejected(
                    f"Atlan does not attach data contracts to {asset.type_name} assets (only "
                    "to tables, views and materialised views)"
                ) from exc
            if _PUBLISHED_VERSION in text:
                raise CatalogRejected(
                    "Atlan refused a verified data contract version: publish it with "
                    "'status: draft' first, then again with 'status: verified'"
                ) from exc
            raise
    return _publication(dataset_qualified_name, response, certified)


def _publication(asset_qn: str, response: Any, certified: bool) -> ContractPublication:
    """What the bulk answer says happened to the contract."""
    mutated = getattr(response, "mutated_entities", None)
    created = [a for a in getattr(mutated, "CREATE", None) or [] if a.type_name == "DataContract"]
    updated = [a for a in getattr(mutated, "UPDATE", None) or [] if a.type_name == "DataContract"]
    if created:
        qn = str(created[0].qualified_name)
        version = _version(qn)
        outcome = "created" if version in (None, 1) else "new_version"
    elif updated:
        # A new version also updates the previous one: the created one is the answer then.
        qn = str(updated[0].qualified_name)
        version, outcome = _version(qn), "updated"
    else:
        return ContractPublication(asset_qn, "unchanged", requests=1, certified=certified)
    return ContractPublication(
        asset_qn,
        outcome,
        contract_qualified_name=qn,
        version=version,
        certified=certified,
        requests=1,
    )


__all__ = ["DATASET_ASSET_TYPES", "contract_fields", "publish_contract"]
