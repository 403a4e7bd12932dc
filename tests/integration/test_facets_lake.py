"""Value facets on the sample lake, with the real classifiers: a scan keeps the top values of
country and currency columns, finds datasets by country in any spelling, and writes no value
of a personal column to the catalog (checked on the database file's bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from tests.support.cli import run_enricher
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.adapters.catalog.facet_store import SqlDatasetFacets

ROOT = Path(__file__).resolve().parents[2]
LAKE = ROOT / "examples/lake"


def test_the_sample_lake_keeps_country_and_currency_facets_only(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    env = {"ENRICH_DATABASE_URL": f"sqlite:///{db}"}
    scan = run_enricher(["scan", str(LAKE), "--force"], env, tmp_path)
    assert scan.returncode in (0, 3), scan.stderr  # landing/broken.parquet fails
    lake = f"file://{LAKE.resolve()}/"
    catalog = SqlLocalCatalog(env["ENRICH_DATABASE_URL"])
    facets = SqlDatasetFacets(catalog)

    singapore = facets.datasets_with_value("country", "Singapore")
    assert [(m.dataset_uri.removeprefix(lake), m.column, m.value) for m in singapore] == [
        ("identity/passports.csv.bz2", "nationality", "SG")
    ]
    assert facets.datasets_with_value("country", "SGP") == singapore
    euro = facets.datasets_with_value("currency_code", "eur")
    assert [m.dataset_uri.removeprefix(lake) for m in euro] == ["payments/transactions/"]
    # An enum column of country names (``pays``) is a country facet, normalised.
    (pays,) = facets.facets(lake + "crm/customers_eu.csv")
    assert (pays.column, pays.column_type) == ("pays", "country")
    assert {v.value for v in pays.values} == {"DE", "FR"}

    # No facet of a column with a PII finding, nor of city, person or free-text columns.
    store = SqlDatasetStore(catalog)
    for dataset in store.list_datasets():
        verdict = dataset.verdict
        flagged = {c.column for c in verdict.columns if c.entities} if verdict else set()
        for facet in facets.facets(dataset.summary.uri):
            assert facet.column not in flagged
            assert facet.column_type in ("country", "currency_code", "region")

    show = run_enricher(
        ["datasets", "show", lake + "payments/transactions/", "--format", "json"], env, tmp_path
    )
    assert show.returncode == 0, show.stderr
    (currency,) = json.loads(show.stdout)["facets"]
    assert currency["column"] == "currency"
    assert [v["value"] for v in currency["values"]] == ["EUR", "USD", "GBP"]
    text = run_enricher(["datasets", "show", lake + "payments/transactions/"], env, tmp_path)
    assert "facet currency (currency_code): EUR 45%, USD 42%, GBP 14%" in text.stdout

    catalog.engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    customers = pq.read_table(LAKE / "crm/customers/part-0000.parquet").to_pylist()
    for name in ("email", "phone", "street_address", "city", "last_name"):
        values = {str(row[name]) for row in customers if row[name]}
        leaked = sorted(v for v in values if len(v) >= 6 and v.encode() in stored)
        assert not leaked, (name, leaked[:3])
