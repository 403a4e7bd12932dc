"""``enricher contract publish`` as a user runs it, against the fake Atlan server.

The dataset's ``S3Prefix`` is in the fake Atlan and in the local catalog's record of what
s3-enricher wrote (as a scan with Atlan enabled leaves them). Real Atlan governs contracts
only on tables, views and materialised views: with the fake's defaults the contract is
refused; with ``contract_asset_types`` widened to S3 assets it is published, and an
unchanged contract is not sent again. Atlan's contract document is checked against what
the fake's contract preprocessor requires and against pyatlan's ``DataContractSpec``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.plan import WrittenState
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import AtlasError, FakeAtlan
from tests.support.cli import run_enricher
from worker.adapters.catalog.atlan_state import SqlAtlanState
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.contracts.atlan_document import atlan_contract
from worker.core.contracts.document import read_contract
from worker.core.plan.naming import S3Naming
from worker.core.settings import AtlanSettings

atlan_server = _atlan.atlan_server

CONN = "default/s3/1700000000"
DATASET = "s3://lake/exports/orders/"
PREFIX_QN = S3Naming(CONN, AtlanSettings().s3_naming).prefix("lake", "exports/orders/")
S3_GOVERNED = ("Table", "View", "MaterialisedView", "S3Prefix", "S3Bucket", "S3Object")
#: What the CLI prints for a contract Atlan refuses on an S3 asset.
REFUSED = (
    f"{DATASET}: not published: Atlan does not attach data contracts to S3Prefix assets "
    "(only to tables, views and materialised views)"
)


def _odcs(dataset: str = DATASET, status: str = "draft") -> dict[str, Any]:
    """An ODCS v3 contract as ``enricher contract init`` writes one, trimmed."""
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": "s3e-orders",
        "name": "orders",
        "version": "0.1.0",
        "status": status,
        "description": {"purpose": "Customer orders, one row per order."},
        "customProperties": [
            {"property": "dataset", "vendor": "s3-enricher", "value": dataset},
            {"property": "category", "vendor": "s3-enricher", "value": "sales"},
        ],
        "schema": [
            {
                "name": "orders",
                "physicalName": dataset,
                "properties": [
                    {
                        "name": "order_id",
                        "physicalType": "int64",
                        "logicalType": "integer",
                        "required": True,
                        "classification": "internal",
                        "customProperties": [
                            {"property": "allowedPii", "vendor": "s3-enricher", "value": []}
                        ],
                    },
                    {
                        "name": "email",
                        "physicalType": "string",
                        "logicalType": "string",
                        "description": "Where the receipt goes.",
                        "classification": "restricted",
                        "tags": ["pii:EMAIL_ADDRESS"],
                        "customProperties": [
                            {
                                "property": "allowedPii",
                                "vendor": "s3-enricher",
                                "value": ["EMAIL_ADDRESS"],
                            }
                        ],
                    },
                ],
            }
        ],
    }


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def fake(atlan_server: FakeAtlan) -> FakeAtlan:
    """The fake Atlan, reset (real contract types), with the orders prefix in it."""
    atlan_server.reset()
    atlan_server.add_entity(
        "S3Prefix",
        PREFIX_QN,
        {"name": "orders", "connectionQualifiedName": CONN, "connectorName": "s3"},
    )
    return atlan_server


@pytest.fixture
def env(fake: FakeAtlan, tmp_path: Path) -> dict[str, str]:
    """Settings for the CLI, on a local catalog that knows the prefix as written."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    entity = fake.entity("S3Prefix", PREFIX_QN)
    assert entity is not None
    catalog = SqlLocalCatalog(url)
    try:
        SqlAtlanState(catalog).save_written_states(
            [WrittenState(PREFIX_QN, guid=str(entity["guid"]))]
        )
    finally:
        catalog.engine.dispose()
    return {
        "ENRICH_DATABASE_URL": url,
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__CONNECTION_QUALIFIED_NAME": CONN,
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_ATLAN__BACKOFF_S": "0.05",
        "ATLAN_BASE_URL": fake.base_url,
        "ATLAN_API_KEY": _atlan.API_KEY,
    }


def _contract_requests(server: FakeAtlan) -> list[Any]:
    return [
        r
        for r in server.mutating_requests()
        if any(e.get("typeName") == "DataContract" for e in (r.body or {}).get("entities", []))
    ]


def test_publish_needs_atlan_enabled(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    _write(folder, "orders", _odcs())
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    off = run_enricher(["contract", "publish", "--contracts", str(folder)], env, tmp_path)
    assert off.returncode == 1 and "Atlan is not enabled" in off.stderr


def test_atlan_refuses_contracts_on_s3_assets_today(
    fake: FakeAtlan, env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "contracts"
    _write(folder, "orders", _odcs())
    published = run_enricher(["contract", "publish", "--contracts", str(folder)], env, tmp_path)
    assert published.returncode == 3, published.stdout + published.stderr
    assert REFUSED in published.stdout.splitlines()
    assert "Traceback" not in published.stderr
    assert "0 of 1 contracts published" in published.stderr
    # One request, refused by Atlan's preprocessor; not retried, nothing stored.
    assert len(_contract_requests(fake)) == 1
    assert fake.entities("DataContract") == []
    prefix = fake.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None and "hasContract" not in prefix["attributes"]


def test_publish_then_an_unchanged_rerun_sends_nothing(
    fake: FakeAtlan, env: dict[str, str], tmp_path: Path
) -> None:
    fake.contract_asset_types = S3_GOVERNED  # as if Atlan governed S3 assets
    folder = tmp_path / "contracts"
    path = _write(folder, "orders", _odcs())
    _write(folder, "unknown", _odcs("s3://lake/exports/unknown/"))
    args = ["contract", "publish", "--contracts", str(folder)]

    first = run_enricher(args, env, tmp_path)
    assert first.returncode == 3, first.stdout + first.stderr  # the unknown dataset
    lines = first.stdout.splitlines()
    assert f"{DATASET}: created (version 1)" in lines
    assert any(
        line.startswith("s3://lake/exports/unknown/: not published: the dataset has no asset")
        for line in lines
    )
    [stored] = fake.entities("DataContract")
    assert stored["attributes"]["qualifiedName"] == f"{PREFIX_QN}/S3Prefix/contract/V1"
    # Atlan holds the rendered document, not the ODCS file.
    expected = atlan_contract(read_contract(path), "orders", "S3Prefix")
    assert stored["attributes"]["dataContractSpec"] == expected
    assert stored["attributes"]["certificateStatus"] == "DRAFT"
    prefix = fake.entity("S3Prefix", PREFIX_QN)
    assert prefix is not None and prefix["attributes"]["hasContract"] is True

    (folder / "unknown.yaml").unlink()
    mark = len(fake.mutating_requests())
    again = run_enricher([*args, "--format", "json"], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    report = json.loads(again.stdout)
    assert (report["contracts"], report["published"]) == (1, 1)
    [result] = report["results"]
    assert (result["dataset"], result["outcome"], result["requests"]) == (DATASET, "unchanged", 0)
    assert result["version"] == 1 and result["reason"] is None
    assert len(fake.mutating_requests()) == mark  # nothing sent

    # ODCS active: the same version, now verified in Atlan.
    _write(folder, "orders", _odcs(status="active"))
    verified = run_enricher(args, env, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{DATASET}: updated (version 1, verified)" in verified.stdout.splitlines()
    [stored] = fake.entities("DataContract")
    assert stored["attributes"]["certificateStatus"] == "VERIFIED"


def test_an_active_contract_is_published_as_a_draft_then_verified(
    fake: FakeAtlan, env: dict[str, str], tmp_path: Path
) -> None:
    fake.contract_asset_types = S3_GOVERNED
    folder = tmp_path / "contracts"
    _write(folder, "orders", _odcs(status="active"))
    published = run_enricher(["contract", "publish", "--contracts", str(folder)], env, tmp_path)
    assert published.returncode == 0, published.stdout + published.stderr
    assert f"{DATASET}: created (version 1, verified)" in published.stdout.splitlines()
    [stored] = fake.entities("DataContract")
    assert stored["attributes"]["certificateStatus"] == "VERIFIED"
    assert yaml.safe_load(stored["attributes"]["dataContractSpec"])["status"] == "verified"


def test_the_atlan_document_is_what_atlan_requires(tmp_path: Path) -> None:
    from pyatlan.model.contract import DataContractSpec

    path = _write(tmp_path, "orders", _odcs(status="active"))
    text = atlan_contract(read_contract(path), "orders", "S3Prefix")
    fields = FakeAtlan._contract_fields(text)  # the preprocessor's checks: no AtlasError
    assert (fields["kind"], fields["dataset"], fields["type"]) == (
        "DataContract",
        "orders",
        "S3Prefix",
    )
    spec = DataContractSpec.from_yaml(text)
    assert getattr(spec.status, "value", spec.status) == "verified"
    assert spec.template_version == "0.0.2"
    columns = {c.name: c for c in spec.columns or []}
    assert columns["email"].description == "Where the receipt goes."
    assert columns["email"].data_type == "string" and columns["order_id"].required is True
    # The ODCS file as it is: Atlan answers 500 (no dataset), hence the rendering.
    with pytest.raises(AtlasError) as refused:
        FakeAtlan._contract_fields(path.read_text())
    assert refused.value.status == 500 and "dataset" in str(refused.value)
