"""The datasets pages, in-process (TestClient) on a temporary SQLite catalog holding a dataset
recorded by the real dataset service: list, dataset page (by its URI, an object URI or a
partition), alerts shown with the dataset, unknown URIs answered 404."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from models import (
    ColumnFinding,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
)
from models.datasets import DatasetRef, DatasetSummary, GroupingRule, PartitionInfo
from models.review import Role
from tests.support.alert_fakes import candidate
from worker.adapters.catalog.alert_store import SqlAlertStore
from worker.adapters.catalog.dataset_store import SqlDatasetStore
from worker.bootstrap import build_review
from worker.core.settings import DatasetSettings, load_settings
from worker.services.datasets.service import DatasetService
from worker.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "password123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ORDERS = "s3://lake/exports/orders/"


def _result(key: str) -> EnrichmentResult:
    ref = ObjectRef.parse(f"s3://lake/{key}")
    info = ObjectInfo(ref, 1000, "etag-" + key, datetime(2025, 1, 3, tzinfo=UTC))
    finding = EntityFinding(
        entity="EMAIL_ADDRESS", confidence=0.95, prevalence=1.0, classifier="pii",
        evidence=Evidence(sampled=50, hits=50, distinct_hits=50, mean_score=0.9,
                          masked_examples=("s***@e***.org",)),
    )  # fmt: skip
    column = ColumnFinding(column="contact_email", data_type="string", entities=(finding,))
    return EnrichmentResult(ref=ref, status=ObjectStatus.CLASSIFIED, info=info, columns=(column,))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    review = build_review(load_settings(database_url=f"sqlite:///{tmp_path}/w.db"))
    review.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    catalog = review.store.catalog
    service = DatasetService(SqlDatasetStore(catalog), DatasetSettings())
    partitions = tuple(
        PartitionInfo(f"dt=2025-01-0{d}/", (("dt", f"2025-01-0{d}"),), 1, 1000,
                      datetime(2025, 1, d, tzinfo=UTC), f"exports/orders/dt=2025-01-0{d}/p.parquet")
        for d in (1, 2, 3)
    )  # fmt: skip
    summary = DatasetSummary(
        DatasetRef("lake", "exports/orders/"), GroupingRule.HIVE, "hive partition folders (dt)",
        object_count=3, total_bytes=3000, partition_columns=("dt",), partitions=partitions,
    )  # fmt: skip
    plan = service.plan(summary)
    service.conclude(plan, [(p, _result(p.sample_key or "")) for p in plan.selected])
    SqlAlertStore(catalog).raise_alerts([candidate(1, dataset=ORDERS)])
    with TestClient(create_app(None, lambda _events: None, review=review)) as c:
        page = c.get("/login")
        match = CSRF_RE.search(page.text)
        assert match is not None
        form = {"username": "vic", "password": PASSWORD, "csrf_token": match.group(1)}
        assert c.post("/login", data=form, follow_redirects=False).status_code == 303
        yield c
    catalog.engine.dispose()


def test_the_list_links_each_dataset_with_its_rule_and_pii(client: TestClient) -> None:
    page = client.get("/datasets")
    assert page.status_code == 200
    assert f'href="/datasets/show?uri={quote(ORDERS, safe="/")}"' in page.text
    assert "<code>hive</code>" in page.text and "EMAIL_ADDRESS" in page.text


@pytest.mark.parametrize(
    "uri", [ORDERS, ORDERS + "dt=2025-01-02/p.parquet", ORDERS + "dt=2025-01-01/"]
)
def test_the_dataset_page_answers_for_the_dataset_an_object_or_a_partition(
    client: TestClient, uri: str
) -> None:
    page = client.get("/datasets/show", params={"uri": uri})
    assert page.status_code == 200, page.text
    text = page.text
    assert f'<code id="dataset-uri">{ORDERS}</code>' in text
    assert "3 of 3 partitions sampled" in text and "contact_email" in text
    assert "dt=2025-01-03/" in text and "v1 (scan" in text
    assert "column col1 changed type from int64 to string" in text
    assert "s***@e***.org" not in text  # evidence examples stay on the object pages


def test_an_unknown_dataset_is_404_with_a_hint(client: TestClient) -> None:
    page = client.get("/datasets/show", params={"uri": "s3://lake/nowhere/x.csv"})
    assert page.status_code == 404 and "enricher scan" in page.text


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CUSTOMERS = "s3://lake/exports/customers/"


def test_the_dataset_page_shows_the_chain_from_postgres_to_looker(
    client: TestClient, tmp_path: Path
) -> None:
    """A postgres → S3 → Snowflake → Looker chain, loaded through the lineage service from the
    declared fixture and the LookML project, on the catalog the page reads."""
    from worker.bootstrap import build_lineage
    from worker.core.lineage.declared import parse_declared
    from worker.services.lineage.lookml_files import load_lookml_project

    settings = load_settings(database_url=f"sqlite:///{tmp_path}/w.db")
    lineage = build_lineage(settings)
    datasets = DatasetService(SqlDatasetStore(lineage.store.catalog), DatasetSettings())
    key = "exports/customers/dt=2025-01-01/p.parquet"
    part = PartitionInfo("dt=2025-01-01/", (("dt", "2025-01-01"),), 1, 1000,
                         datetime(2025, 1, 1, tzinfo=UTC), key)  # fmt: skip
    summary = DatasetSummary(
        DatasetRef("lake", "exports/customers/"), GroupingRule.HIVE, "hive partition folders (dt)",
        object_count=1, total_bytes=1000, partition_columns=("dt",), partitions=(part,),
    )  # fmt: skip
    plan = datasets.plan(summary)
    datasets.conclude(plan, [(p, _result(p.sample_key or "")) for p in plan.selected])
    declared = FIXTURES / "lineage" / "declared" / "lineage.yaml"
    assert lineage.load(parse_declared(declared.read_text(), "lineage.yaml")).problems == []
    assert lineage.load(load_lookml_project(FIXTURES / "lookml")).problems == []
    lineage.store.catalog.engine.dispose()

    page = client.get("/datasets/show", params={"uri": CUSTOMERS})
    assert page.status_code == 200, page.text
    text = page.text
    assert f'<code id="dataset-uri">{CUSTOMERS}</code>' in text
    section = text.split('<div id="lineage">', 1)[1]
    listed = re.findall(
        r'<span class="system system-\w+">([^<]+)</span></td><td class="uri">([^<]+)</td>'
        r"<td>(\w+)</td>",
        section,
    )
    assert set(listed) == {
        ("PostgreSQL", "postgres:appdb.public.customers", "declared"),
        ("Snowflake", "snowflake:ANALYTICS.PUBLIC.CUSTOMERS", "declared"),
        ("Looker explore", "looker:explore/thelook::customers", "sql"),
        ("Looker explore", "looker:explore/thelook::orders", "sql"),
        ("Looker dashboard", "looker:dashboard/thelook::customer_overview", "sql"),
        ("Looker dashboard", "looker:dashboard/thelook::sales_pulse", "sql"),
    }
    chain = section.split('id="lineage-chain"', 1)[1]
    hops = re.findall(r'<li class="lineage-hop lineage-hop-\w+">(.*?)</li>', chain, re.S)
    # postgres → S3, S3 → Snowflake, 2 × Snowflake → explore, 2 × explore → dashboard
    assert len(hops) == 6
    assert '<span class="system system-s3">S3</span> <code class="uri">' + CUSTOMERS in hops[0]
    assert hops[0].count('class="origin origin-declared"') == 1
    assert "looker:dashboard/thelook::sales_pulse" in hops[-1]
    # The hashed e-mail is marked masked on the load; nothing on the export is.
    assert 'class="masked"' not in hops[0]
    assert '<code>EMAIL_SHA</code> <span class="masked">masked</span>' in hops[1]
    assert "style=" not in text and "<script" not in text
    # The products dataset is not on this chain.
    assert "product_catalog" not in text and "s3://lake/reference/" not in text


def test_the_dataset_page_lists_the_kept_value_facets(client: TestClient, tmp_path: Path) -> None:
    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.adapters.catalog.facet_store import SqlDatasetFacets
    from worker.core.facets import ColumnCounts

    page = client.get("/datasets/show", params={"uri": ORDERS})
    assert 'id="facets"' not in page.text  # none kept yet
    catalog = SqlLocalCatalog(f"sqlite:///{tmp_path}/w.db")
    SqlDatasetFacets(catalog).record_facets(
        ORDERS, {"dt=2025-01-01/": {"country": ColumnCounts("country", 4, {"SG": 3, "DE": 1})}},
        excluded=[], partitions=["dt=2025-01-01/"],
    )  # fmt: skip
    catalog.engine.dispose()
    page = client.get("/datasets/show", params={"uri": ORDERS})
    assert page.status_code == 200
    facets = page.text.split('id="facets"', 1)[1].split("</p>", 1)[0]
    assert "<code>country</code> (country) SG 75" in facets and "DE 25" in facets
