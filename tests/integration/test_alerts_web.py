"""The Alerts page and ``/api/v1/alerts``, in-process (TestClient) on a temporary SQLite catalog
with the real alert store; every test checks the stored alert, not only the page."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from models.datasets import AlertKind, AlertState, Severity
from models.review import Role
from tests.support.alert_fakes import candidate
from worker.adapters.catalog.alert_store import SqlAlertStore
from worker.bootstrap import SqlReviewService, build_review
from worker.core.settings import load_settings
from worker.web.app import create_app
from worker.web.ui_alerts import dataset_alerts
from worker.web.ui_filters import MAX_TEXT

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "password123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ORDERS = "s3://lake/exports/orders/"
CUSTOMERS = "s3://lake/customers/"


@dataclass
class Env:
    app: FastAPI
    review: SqlReviewService
    store: SqlAlertStore

    def client(self) -> TestClient:
        return TestClient(self.app)

    def token(self, name: str, scope: str = "write") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.review.users.create_token(name, 't', 't', scope)}"}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    review = build_review(load_settings(database_url=f"sqlite:///{tmp_path}/e.db"))
    for name, role in (("ann", Role.ADMIN), ("sam", Role.STEWARD), ("vic", Role.VIEWER)):
        review.users.add(name, role, PASSWORD, actor="test")
    store = SqlAlertStore(review.store.catalog)
    store.raise_alerts(
        [
            candidate(1, severity=Severity.CRITICAL, dataset=ORDERS),
            candidate(2, kind=AlertKind.NEW_PII, dataset=CUSTOMERS),
            candidate(3, severity=Severity.INFO, kind=AlertKind.ROW_COUNT, dataset=ORDERS),
        ]
    )
    app = create_app(None, lambda _events: None, review=review)
    yield Env(app, review, store)
    review.store.catalog.engine.dispose()


def login(client: TestClient, name: str) -> str:
    """Sign in through the login form; the session's CSRF token, read from the Alerts page."""
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match is not None
    r = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/alerts")
    found = CSRF_RE.search(page.text)
    assert page.status_code == 200 and found is not None
    return found.group(1)


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="alert-(\d+)"', html)]


def _id(env: Env, subject: str) -> int:
    return next(a.id for a in env.store.list_alerts() if a.subject == subject)


def test_the_page_needs_a_login_and_is_in_the_nav(env: Env) -> None:
    with env.client() as client:
        r = client.get("/alerts", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        login(client, "vic")
        queue = client.get("/queue")
        assert '<a href="/alerts">Alerts</a>' in queue.text
        page = client.get("/alerts")
        assert 'href="/alerts" aria-current="page">Alerts</a>' in page.text


def test_filters(env: Env) -> None:
    c1, c2, c3 = _id(env, "col1"), _id(env, "col2"), _id(env, "col3")
    with env.client() as client:
        login(client, "vic")
        assert sorted(_ids(client.get("/alerts").text)) == sorted([c1, c2, c3])
        for params, expected in (
            ({"severity": "critical"}, [c1]),
            ({"kind": "new_pii"}, [c2]),
            ({"dataset": ORDERS}, [c1, c3]),
            ({"dataset": ORDERS, "severity": "info"}, [c3]),
            ({"state": "resolved"}, []),
        ):
            page = client.get("/alerts", params=params)
            assert page.status_code == 200 and sorted(_ids(page.text)) == expected, params
        bad = client.get("/alerts", params={"severity": "dire", "kind": "x" * (MAX_TEXT + 5)})
        assert bad.status_code == 200 and "unknown severity &#39;dire&#39;" in bad.text
        assert len(_ids(bad.text)) == 3  # bad filters are ignored, not errors
        row = re.search(rf'<tr id="alert-{c1}".*?</tr>', client.get("/alerts").text, re.S)
        assert row is not None
        assert "partitions</span> 3" in row.group(0)
        assert "types</span> [&#34;int64&#34;, &#34;string&#34;]" in row.group(0)


def test_a_viewer_reads_but_cannot_act(env: Env) -> None:
    c1 = _id(env, "col1")
    with env.client() as client:
        csrf = login(client, "vic")
        page = client.get("/alerts")
        assert ">Acknowledge</button>" not in page.text and ">Resolve</button>" not in page.text
        r = client.post(f"/alerts/{c1}/ack", data={"csrf_token": csrf})
        assert r.status_code == 403
        r = client.post(f"/alerts/{c1}/resolve", data={"csrf_token": csrf})
        assert r.status_code == 403
    assert env.store.get(c1).state is AlertState.OPEN  # type: ignore[union-attr]


def test_a_steward_acknowledges_then_resolves(env: Env) -> None:
    c1 = _id(env, "col1")
    with env.client() as client:
        csrf = login(client, "sam")
        page = client.get("/alerts")
        assert page.text.count(">Acknowledge</button>") == 3
        back = f"/alerts?dataset={ORDERS}"
        r = client.post(
            f"/alerts/{c1}/ack",
            data={"csrf_token": csrf, "back": back, "note": "on it"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == back
        alert = env.store.get(c1)
        assert alert is not None and alert.state is AlertState.ACKNOWLEDGED
        assert (alert.actor, alert.note) == ("sam", "on it")
        shown = client.get(r.headers["location"])
        assert f"alert {c1} acknowledged" in shown.text

        again = client.post(f"/alerts/{c1}/ack", data={"csrf_token": csrf, "back": "/alerts"})
        assert f"alert {c1} is acknowledged: it cannot be acknowledged" in again.text
        done = client.post(f"/alerts/{c1}/resolve", data={"csrf_token": csrf})
        assert done.status_code == 200 and f"alert {c1} resolved" in done.text
        assert env.store.get(c1).state is AlertState.RESOLVED  # type: ignore[union-attr]
        assert c1 not in _ids(client.get("/alerts").text)  # open ones by default
        assert c1 in _ids(client.get("/alerts", params={"state": "resolved"}).text)

        # no CSRF token, a forged one, an open redirect: refused or ignored
        c2 = _id(env, "col2")
        for data in ({}, {"csrf_token": "forged"}):
            assert client.post(f"/alerts/{c2}/ack", data=data).status_code == 403
        r = client.post(
            f"/alerts/{c2}/ack",
            data={"csrf_token": csrf, "back": "//evil.example/"},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/alerts"
        missing = client.post("/alerts/99999/ack", data={"csrf_token": csrf})
        assert "no alert with id 99999" in missing.text


def test_the_dataset_page_partial(env: Env) -> None:
    sam = env.review.users.get("sam")
    vic = env.review.users.get("vic")
    assert sam is not None and vic is not None
    service = env.app.state.alert_service
    context = dataset_alerts(service, ORDERS, sam)
    assert sorted(r["alert"].subject for r in context["rows"]) == ["col1", "col3"]
    assert context["can_act"] is True and context["open"] == 2
    assert context["href"] == "/alerts?state=any&dataset=s3%3A%2F%2Flake%2Fexports%2Forders%2F"
    assert dataset_alerts(service, ORDERS, vic)["can_act"] is False
    # The dataset page includes the macro; rendered here on its own, as it would be there.
    ui = env.app.state.review_context.ui
    html = ui.templates.env.from_string(
        '{% from "_alerts.html" import alert_table %}'
        "{{ alert_table(rows, can_act, 'tok', '/datasets', show_dataset=False) }}"
    ).render(**context)
    assert sorted(_ids(html)) == sorted(r["alert"].id for r in context["rows"])
    assert '<th scope="col">Dataset</th>' not in html and 'value="tok"' in html


# -- the JSON API ---------------------------------------------------------------------------


def test_api_lists_with_filters(env: Env) -> None:
    viewer = env.token("vic", "read")
    with env.client() as client:
        assert client.get("/api/v1/alerts").status_code == 401
        r = client.get("/api/v1/alerts", headers=viewer)
        assert r.status_code == 200 and r.json()["limit"] == 200
        items = r.json()["items"]
        assert {a["subject"] for a in items} == {"col1", "col2", "col3"}
        first = next(a for a in items if a["subject"] == "col1")
        assert first["severity"] == "critical" and first["dataset"] == ORDERS
        assert first["evidence"] == {"partitions": 3, "share": 0.25, "types": ["int64", "string"]}
        assert first["state"] == "open" and first["occurrences"] == 1
        for params, subjects in (
            ({"severity": "critical"}, {"col1"}),
            ({"kind": "new_pii"}, {"col2"}),
            ({"dataset": ORDERS}, {"col1", "col3"}),
            ({"state": "acknowledged"}, set()),
        ):
            got = client.get("/api/v1/alerts", params=params, headers=viewer)
            assert {a["subject"] for a in got.json()["items"]} == subjects, params
        for bad in ({"severity": "dire"}, {"state": "x"}, {"limit": "0"}):
            assert client.get("/api/v1/alerts", params=bad, headers=viewer).status_code == 422


def test_api_ack_and_resolve(env: Env) -> None:
    c1, c2 = _id(env, "col1"), _id(env, "col2")
    steward = env.token("sam")
    with env.client() as client:
        for headers in (env.token("vic"), env.token("sam", "read")):
            r = client.post(f"/api/v1/alerts/{c1}/ack", headers=headers)
            assert r.status_code == 403 and r.json()["error"] == "permission_denied"
        assert env.store.get(c1).state is AlertState.OPEN  # type: ignore[union-attr]

        r = client.post(f"/api/v1/alerts/{c1}/ack", json={"note": "looking"}, headers=steward)
        assert r.status_code == 200
        assert (r.json()["state"], r.json()["actor"], r.json()["note"]) == (
            "acknowledged",
            "sam",
            "looking",
        )
        twice = client.post(f"/api/v1/alerts/{c1}/ack", headers=steward)
        assert twice.status_code == 409 and twice.json()["error"] == "dataset_error"
        r = client.post(f"/api/v1/alerts/{c1}/resolve", headers=steward)
        assert r.status_code == 200 and r.json()["state"] == "resolved" and r.json()["note"] is None
        assert env.store.get(c1).state is AlertState.RESOLVED  # type: ignore[union-attr]
        r = client.post(f"/api/v1/alerts/{c2}/resolve", json={"note": "fine"}, headers=steward)
        assert r.json()["state"] == "resolved"

        missing = client.post("/api/v1/alerts/99999/resolve", headers=steward)
        assert missing.status_code == 404 and missing.json()["error"] == "alert_not_found"
        assert client.post("/api/v1/alerts/0/ack", headers=steward).status_code == 422
        extra = client.post(f"/api/v1/alerts/{c2}/ack", json={"x": 1}, headers=steward)
        assert extra.status_code == 422
        nul = client.post(f"/api/v1/alerts/{c2}/ack", json={"note": "a\x00b"}, headers=steward)
        assert nul.status_code == 422


def test_api_schema_documents_the_alert_routes(env: Env) -> None:
    with env.client() as client:
        schema: httpx.Response = client.get("/openapi.json", headers=env.token("vic"))
        paths = schema.json()["paths"]
        assert set(paths["/api/v1/alerts"]) == {"get"}
        assert set(paths["/api/v1/alerts/{alert_id}/ack"]["post"]["responses"]) >= {
            "200",
            "404",
            "409",
        }
