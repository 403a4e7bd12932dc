"""``GET /api/v1/ask?q=`` in-process (TestClient) on a SQLite catalog built through the stores."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from models.review import Role
from tests.support.ask_catalog import build_ask_catalog
from worker.bootstrap import SqlReviewService, build_review
from worker.core.settings import load_settings
from worker.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def review(tmp_path: Path) -> Iterator[SqlReviewService]:
    url = f"sqlite:///{tmp_path}/ask.db"
    build_ask_catalog(url).catalog.engine.dispose()
    built = build_review(load_settings(database_url=url))
    built.users.add("vic", Role.VIEWER, "password123", actor="test")
    yield built
    built.store.catalog.engine.dispose()


def _client(review: SqlReviewService) -> TestClient:
    return TestClient(create_app(None, lambda _events: None, review=review))


def test_a_read_token_asks(review: SqlReviewService) -> None:
    token = review.users.create_token("vic", "t", "t", "read")
    r = _client(review).get(
        "/api/v1/ask",
        params={"q": "Show me all customer data flowing through S3"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["understood"] is True
    assert [i["uri"] for i in body["items"]] == [
        "s3://lake/crm/customers/",
        "s3://lake/exports/users/",
    ]
    assert body["items"][0]["link"].startswith("/datasets/show?uri=")


def test_not_understood_is_an_answer(review: SqlReviewService) -> None:
    token = review.users.create_token("vic", "t", "t", "read")
    r = _client(review).get(
        "/api/v1/ask",
        params={"q": "what breaks if I change usres"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    assert r.json()["understood"] is False and r.json()["alternatives"]


def test_auth_and_validation(review: SqlReviewService) -> None:
    client = _client(review)
    assert client.get("/api/v1/ask", params={"q": "open alerts"}).status_code == 401
    lineage = review.users.create_token("vic", "t", "t", "lineage")
    denied = client.get(
        "/api/v1/ask", params={"q": "open alerts"}, headers={"Authorization": f"Bearer {lineage}"}
    )
    assert denied.status_code == 403
    token = review.users.create_token("vic", "t", "t", "read")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/ask", headers=auth).status_code == 422
    assert client.get("/api/v1/ask", params={"q": "a\x00b"}, headers=auth).status_code == 400


def test_limit_cuts_the_items_and_is_bounded(review: SqlReviewService) -> None:
    token = review.users.create_token("vic", "t", "t", "read")
    auth = {"Authorization": f"Bearer {token}"}
    client = _client(review)
    q = "Show me all customer data flowing through S3"
    r = client.get("/api/v1/ask", params={"q": q, "limit": 1}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["uri"] for i in body["items"]] == ["s3://lake/crm/customers/"]
    assert body["count"] == 2 and "the first 1 of 2 items" in body["interpretation"]
    for bad in (0, 5001):
        assert (
            client.get("/api/v1/ask", params={"q": q, "limit": bad}, headers=auth).status_code
            == 422
        )
