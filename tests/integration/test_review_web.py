"""The steward review UI and its JSON API, in-process (TestClient) on a temporary SQLite catalog.

Every test asserts the real state through the store, not only what a page says.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.exceptions import StarletteDeprecationWarning

from models.review import Role, SuggestionFilter, SuggestionState
from tests.support.review_seed import (
    ANY,
    OTHER_URI,
    S3_URI,
    seed_review,
    suggestion,
)
from worker.adapters.catalog import users as users_module
from worker.bootstrap import SqlReviewService as ReviewService
from worker.bootstrap import build_review
from worker.core.settings import ReviewSettings, WebSettings, load_settings
from worker.web.app import create_app

with warnings.catch_warnings():
    # Starlette >= 1.x prefers httpx2 for its TestClient; httpx works the same here.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "password123"
CSP = (
    "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@dataclass
class Env:
    app: FastAPI
    review: ReviewService
    ids: dict[str, int]

    def client(self, https: bool = False) -> TestClient:
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver")

    def state(self, key: str) -> SuggestionState:
        return self.review.store.get(self.ids[key]).state


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """One seeded database (suggestions, an object, users ann/sam/vic), copied per test."""
    folder = tmp_path_factory.mktemp("seed")
    review = build_review(load_settings(database_url=f"sqlite:///{folder}/e.db"))
    ids = seed_review(review)
    for name, role in (("ann", Role.ADMIN), ("sam", Role.STEWARD), ("vic", Role.VIEWER)):
        review.users.add(name, role, PASSWORD, actor="test")
    review.store.catalog.engine.dispose()  # checkpoints the WAL into e.db
    return folder / "e.db", ids


def _make(
    seeded: tuple[Path, dict[str, int]], folder: Path, settings: ReviewSettings | None = None
) -> Env:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded[0], folder / "e.db")
    review = build_review(load_settings(database_url=f"sqlite:///{folder}/e.db"))
    app = create_app(None, lambda _events: None, review=review, review_settings=settings)
    return Env(app=app, review=review, ids=dict(seeded[1]))


@pytest.fixture
def env(seeded: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[Env]:
    made = _make(seeded, tmp_path)
    yield made
    made.review.store.catalog.engine.dispose()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_token(client: TestClient) -> str:
    """The login form's CSRF token, read from the form as a browser would (kept per client:
    the pre-session cookie it is bound to stays, and a signed-in browser gets no form)."""
    page = client.get("/login", follow_redirects=False)
    if page.status_code == 200:
        match = CSRF_RE.search(page.text)
        assert match is not None and client.cookies.get("s3e_login")
        client.s3e_login_token = match.group(1)  # type: ignore[attr-defined]
    token: str = client.s3e_login_token  # type: ignore[attr-defined]
    return token


def post_login(
    client: TestClient,
    name: str,
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    """POST the login form with its CSRF token (no redirects followed)."""
    data = {"username": name, "password": password, "csrf_token": login_token(client), **fields}
    return client.post("/login", data=data, headers=headers, follow_redirects=False)


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in; return the session's CSRF token (read from a page, as a browser would)."""
    r = post_login(client, name, password)
    assert r.status_code == 303, r.text
    page = client.get("/queue")
    assert page.status_code == 200
    match = CSRF_RE.search(page.text)
    assert match is not None
    return match.group(1)


def _row(html: str, sid: int) -> str:
    match = re.search(rf'<tr id="s-{sid}".*?</tr>', html, re.S)
    assert match is not None, f"row s-{sid} not on the page"
    return match.group(0)


def _row_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="s-(\d+)"', html)]


def _flash(html: str) -> str:
    match = re.search(r'id="flash"[^>]*>(.*?)</p>', html, re.S)
    assert match is not None, "no flash message"
    return match.group(1).strip()


# -- logging in ------------------------------------------------------------------------------


def test_login_sets_session_cookie_flags(env: Env) -> None:
    with env.client() as client:
        page = client.get("/login")
        assert page.status_code == 200
        assert 'for="username"' in page.text and 'for="password"' in page.text
        assert ">Sign in</button>" in page.text
        r = post_login(client, "sam")
        assert r.status_code == 303 and r.headers["location"] == "/queue"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("s3e_session=")
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "max-age=43200" in flags
        assert "secure" not in flags
        queue = client.get("/queue")
        assert queue.status_code == 200 and "sam" in queue.text and "steward" in queue.text
    with env.client(https=True) as client:
        r = post_login(client, "sam")
        assert "secure" in r.headers["set-cookie"].lower().split("; ")


def test_secure_cookie_setting_always_and_never(
    seeded: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    always = _make(seeded, tmp_path / "a", ReviewSettings(secure_cookies="always", session_hours=2))
    with always.client() as client:
        # Even over plain HTTP (a proxy terminating TLS that is not configured as trusted).
        form = client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower().split("; ")
    with always.client(https=True) as client:
        r = post_login(client, "vic")
        flags = r.headers["set-cookie"].lower().split("; ")
        assert "secure" in flags and "max-age=7200" in flags
    never = _make(seeded, tmp_path / "n", ReviewSettings(secure_cookies="never"))
    with never.client(https=True) as client:
        r = post_login(client, "vic")
        assert "secure" not in r.headers["set-cookie"].lower().split("; ")


def test_wrong_password_is_401_and_next_only_goes_to_local_paths(env: Env) -> None:
    with env.client() as client:
        r = post_login(client, "sam", "nope-nope")
        assert r.status_code == 401
        assert "wrong user name or password" in r.text
        assert "s3e_session" not in r.headers.get("set-cookie", "")
        assert client.get("/queue", follow_redirects=False).status_code == 303
        for target, expected in (
            ("/audit?offset=0", "/audit?offset=0"),
            ("https://evil.example/", "/queue"),
            ("//evil.example/x", "/queue"),
            ("/\\evil.example", "/queue"),
        ):
            r = post_login(client, "sam", next=target)
            assert r.headers["location"] == expected


def test_sixth_failed_login_is_throttled_with_retry_after(env: Env) -> None:
    with env.client() as client:
        for _ in range(5):
            r = post_login(client, "vic", "wrong-password")
            assert r.status_code == 401
        r = post_login(client, "vic")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert "too many failed logins" in r.text
        assert client.get("/queue", follow_redirects=False).status_code == 303


def test_pages_need_a_session_and_logout_needs_csrf(env: Env) -> None:
    with env.client() as client:
        r = client.get("/audit?offset=0", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Faudit%3Foffset%3D0"
        assert client.get("/", follow_redirects=False).headers["location"] == "/queue"
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/static/style.css").status_code == 200
        csrf = login(client, "sam")
        assert client.post("/logout", data={}).status_code == 403
        assert client.get("/queue", follow_redirects=False).status_code == 200
        r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert client.get("/queue", follow_redirects=False).status_code == 303


# -- the queue --------------------------------------------------------------------------------


def test_queue_filters_paging_and_sorting(env: Env) -> None:
    with env.client() as client:
        login(client, "vic")
        page = client.get("/queue", params={"limit": 5})
        assert page.status_code == 200
        assert 'id="queue"' in page.text and 'id="filters"' in page.text
        assert ">Filter</button>" in page.text
        assert "showing 1–5 of 12" in page.text
        ids = _row_ids(page.text)
        assert len(ids) == 5
        confidences = [env.review.store.get(i).confidence or 0 for i in ids]
        assert confidences == sorted(confidences, reverse=True)
        assert ids[0] == env.ids["s3_email"]
        assert 'rel="next"' in page.text and "offset=5" in page.text
        assert 'rel="prev"' not in page.text

        second = client.get("/queue", params={"limit": 5, "offset": 5})
        assert "showing 6–10 of 12" in second.text and 'rel="prev"' in second.text
        assert not set(_row_ids(second.text)) & set(ids)

        ascending = client.get("/queue", params={"sort": "confidence", "limit": 500})
        all_ids = _row_ids(ascending.text)
        values = [env.review.store.get(i).confidence or 0 for i in all_ids]
        assert len(all_ids) == 12 and values == sorted(values)

        emails = client.get("/queue", params={"entity": "EMAIL_ADDRESS", "min_confidence": ""})
        assert sorted(_row_ids(emails.text)) == sorted(
            [env.ids["s3_email"], env.ids["local_email"]]
        )
        assert "showing 1–2 of 2" in emails.text

        by_uri = client.get("/queue", params={"uri_pattern": "s3://lake/exports/"})
        assert len(_row_ids(by_uri.text)) == 3
        glob = client.get("/queue", params={"uri_pattern": "*.parquet", "min_confidence": "0.65"})
        assert len(_row_ids(glob.text)) == 2  # 0.65 and 0.66
        version = client.get("/queue", params={"classifier_version": "pii=0.9"})
        assert _row_ids(version.text) == [env.ids[f"{S3_URI}#name"]]
        nothing = client.get("/queue", params={"state": "approved"})
        assert _row_ids(nothing.text) == [] and "no suggestions match" in nothing.text
        bad = client.get("/queue", params={"min_confidence": "lots", "sort": "random"})
        assert bad.status_code == 200
        assert "minimum confidence must be a number" in bad.text and "unknown sort" in bad.text

        row = _row(page.text, env.ids["s3_email"])
        assert 'data-state="pending"' in row
        assert "0.97" in row and "62% (55–68%)" in row and "98% pass" in row
        assert "<code>Xxxx@xxxx.xxx</code>" in row and "fourth-not-shown" not in row
        assert f'href="/objects?uri={S3_URI.replace(":", "%3A")}"' in row


def test_viewer_sees_no_decision_buttons_and_cannot_decide(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "vic")
        page = client.get("/queue")
        assert ">Approve</button>" not in page.text and ">Reject</button>" not in page.text
        assert "Bulk decision" not in page.text
        assert "Users</a>" not in page.text
        sid = env.ids["s3_email"]
        r = client.post(f"/suggestions/{sid}/approve", data={"csrf_token": csrf})
        assert r.status_code == 403 and "viewer" in r.text
        r = client.post(
            f"/suggestions/{sid}/reject", data={"csrf_token": csrf, "reason": "not PII"}
        )
        assert r.status_code == 403
        r = client.post(
            "/queue/bulk",
            data={"csrf_token": csrf, "action": "approve", "expected": "12", "state": "pending"},
        )
        assert r.status_code == 403
        assert env.state("s3_email") is SuggestionState.PENDING
        assert env.review.store.count(ANY) == 12
        assert env.review.store.state_counts() == {"pending": 12}


def test_steward_approves_and_rejects_with_reason(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "sam")
        page = client.get("/queue", params={"entity": "EMAIL_ADDRESS"})
        row = _row(page.text, env.ids["local_email"])
        assert ">Approve</button>" in row and ">Reject</button>" in row
        assert f'<label for="reason-{env.ids["local_email"]}">Reason</label>' in row
        back = "/queue?state=pending&entity=EMAIL_ADDRESS"

        r = client.post(
            f"/suggestions/{env.ids['local_email']}/approve",
            data={"csrf_token": csrf, "back": back},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == back
        shown = client.get(r.headers["location"])
        assert _flash(shown.text) == "1 suggestion approved; 1 applied"
        # A local object has no Atlan asset: approved means applied.
        assert env.state("local_email") is SuggestionState.APPLIED
        assert 'id="flash"' not in client.get(back).text  # shown once

        r = client.post(
            f"/suggestions/{env.ids['s3_email']}/approve", data={"csrf_token": csrf, "back": back}
        )
        assert "waiting (Atlan is not enabled)" in _flash(r.text)
        assert env.state("s3_email") is SuggestionState.APPROVED

        r = client.post(
            f"/suggestions/{env.ids['s3_phone']}/reject",
            data={"csrf_token": csrf, "reason": "   ", "back": back},
        )
        assert _flash(r.text) == "a rejection needs a reason"
        assert env.state("s3_phone") is SuggestionState.PENDING

        r = client.post(
            f"/suggestions/{env.ids['s3_phone']}/reject",
            data={"csrf_token": csrf, "reason": "product codes, not phones", "back": back},
        )
        assert _flash(r.text) == "1 suggestion rejected"
        phone = env.review.store.get(env.ids["s3_phone"])
        assert phone.state is SuggestionState.REJECTED
        assert phone.decision_reason == "product codes, not phones"
        assert phone.decided_by == "sam"

        again = client.post(
            f"/suggestions/{env.ids['s3_phone']}/approve", data={"csrf_token": csrf, "back": back}
        )
        assert "not pending" in _flash(again.text)
        assert env.state("s3_phone") is SuggestionState.REJECTED
        assert (
            client.post("/suggestions/99999/approve", data={"csrf_token": csrf}).status_code == 404
        )

    actions = {
        (e.actor, e.action, e.target)
        for e in env.review.store.audit_entries(action_prefix="suggestion.")
    }
    assert ("sam", "suggestion.approve", f"suggestion {env.ids['local_email']}") in actions
    assert ("sam", "suggestion.approve", f"suggestion {env.ids['s3_email']}") in actions
    assert ("sam", "suggestion.reject", f"suggestion {env.ids['s3_phone']}") in actions
    reject = next(e for e in env.review.store.audit_entries(action_prefix="suggestion.reject"))
    assert reject.detail == "product codes, not phones"
    assert reject.before is not None and reject.before["state"] == "pending"
    assert reject.after is not None and reject.after["state"] == "rejected"


def test_posts_without_the_csrf_token_are_refused(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "sam")
        sid = env.ids["s3_email"]
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf[:-1]}):
            r = client.post(f"/suggestions/{sid}/approve", data=data)
            assert r.status_code == 403 and "CSRF token missing or wrong" in r.text
        r = client.post(
            "/queue/bulk",
            data={"action": "approve", "expected": "12", "state": "pending"},
        )
        assert r.status_code == 403
        r = client.post("/admin/users", data={"name": "x1", "role": "admin", "password": PASSWORD})
        assert r.status_code == 403
        assert env.state("s3_email") is SuggestionState.PENDING
        assert env.review.store.state_counts() == {"pending": 12}
    with env.client() as other:
        # Another browser's token is not this session's.
        login(other, "ann")
        r = other.post(f"/suggestions/{sid}/approve", data={"csrf_token": csrf})
        assert r.status_code == 403
    assert env.state("s3_email") is SuggestionState.PENDING


def test_bulk_confirm_shows_the_count_and_a_stale_count_is_refused(env: Env) -> None:
    store = env.review.store
    with env.client() as client:
        csrf = login(client, "sam")
        page = client.get("/queue", params={"entity": "IP_ADDRESS"})
        assert "Bulk decision" in page.text
        filters = {"state": "pending", "entity": "IP_ADDRESS", "uri_pattern": "s3://lake/raw/"}
        r = client.post(
            "/queue/bulk/confirm", data={**filters, "action": "approve", "csrf_token": csrf}
        )
        assert r.status_code == 200
        assert (
            "This will approve <strong>7</strong> pending suggestions matching: "
            "<code>state=pending, entity=IP_ADDRESS, uri=s3://lake/raw/</code>"
        ) in r.text
        assert 'name="expected" value="7"' in r.text

        # Meanwhile a scan adds one more matching suggestion.
        store.sync(
            OTHER_URI,
            [
                suggestion(OTHER_URI, f"col{i}", "IP_ADDRESS", 0.60 + i / 100, tag="PII_IP")
                for i in range(8)
            ],
        )
        stale = client.post(
            "/queue/bulk",
            data={**filters, "action": "approve", "expected": "7", "csrf_token": csrf},
        )
        assert stale.status_code == 409
        assert "the queue changed: 8 suggestions match now, 7 were confirmed" in stale.text
        assert 'name="expected" value="8"' in stale.text
        assert store.state_counts().get("approved", 0) == 0

        no_reason = client.post(
            "/queue/bulk",
            data={**filters, "action": "reject", "expected": "8", "csrf_token": csrf},
        )
        assert no_reason.status_code == 400 and "a rejection needs a reason" in no_reason.text

        done = client.post(
            "/queue/bulk",
            data={
                **filters,
                "action": "reject",
                "expected": "8",
                "reason": "internal service addresses",
                "csrf_token": csrf,
                "back": "/queue?state=pending&entity=IP_ADDRESS",
            },
        )
        assert done.status_code == 200
        assert _flash(done.text) == "8 suggestions rejected"
        assert _row_ids(done.text) == []
    rejected = store.page(
        SuggestionFilter(state=SuggestionState.REJECTED, entity="IP_ADDRESS"), limit=50
    )
    assert rejected.total == 8
    assert {s.decision_reason for s in rejected.items} == {"internal service addresses"}
    bulk = store.audit_entries(action_prefix="bulk.")
    assert len(bulk) == 1 and bulk[0].action == "bulk.reject" and bulk[0].actor == "sam"
    assert bulk[0].after == {"state": "rejected", "count": 8}


def test_object_page_shows_columns_findings_suggestions_and_history(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "sam")
        client.post(
            f"/suggestions/{env.ids['s3_phone']}/reject",
            data={"csrf_token": csrf, "reason": "not a phone"},
        )
        page = client.get("/objects", params={"uri": S3_URI})
        assert page.status_code == 200
        text = page.text
        assert "<dd>csv</dd>" in text and "12,345" in text and "2.0 MiB" in text
        assert "classified" in text
        assert "<code>string</code>" in text and "<code>double</code>" in text
        assert "62% (55–68%)" in text and "<code>Xxxx@xxxx.xxx</code>" in text
        assert "nothing found" in text  # the amount column
        assert ">Approve</button>" in _row(text, env.ids["s3_email"])
        assert 'data-state="rejected"' in _row(text, env.ids["s3_phone"])
        assert "suggestion.reject" in text and "state: pending → rejected" in text
        missing = client.get("/objects", params={"uri": "s3://lake/nope.csv"})
        assert missing.status_code == 404


def test_audit_page_and_exports(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "sam")
        client.post(f"/suggestions/{env.ids['local_card']}/approve", data={"csrf_token": csrf})
        page = client.get("/audit")
        assert page.status_code == 200
        assert "/audit/export.csv" in page.text and "/audit/export.json" in page.text
        assert "suggestion.approve" in page.text and "login.ok" in page.text
        newest = [int(x) for x in re.findall(r'<tr id="a-(\d+)"', page.text)]
        assert newest == sorted(newest, reverse=True)
        small = client.get("/audit", params={"limit": 2})
        assert len(re.findall(r'<tr id="a-', small.text)) == 2 and 'rel="next"' in small.text

        exported = client.get("/audit/export.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        approve = [r for r in rows if r["action"] == "suggestion.approve"]
        assert len(approve) == 1 and approve[0]["actor"] == "sam"
        assert json.loads(approve[0]["after"])["state"] == "approved"
        assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)

        as_json = client.get("/audit/export.json")
        assert as_json.headers["content-disposition"].startswith("attachment;")
        entries = json.loads(as_json.text)
        assert len(entries) == len(rows) == len(list(env.review.store.iter_audit()))
        assert {"suggestion.approve", "suggestion.applied", "login.ok", "user.add"} <= {
            e["action"] for e in entries
        }


# -- admin ------------------------------------------------------------------------------------


def test_user_admin_is_for_admins_and_disabling_ends_sessions(env: Env) -> None:
    users = env.review.users
    with env.client() as steward:
        csrf = login(steward, "sam")
        assert steward.get("/admin/users").status_code == 403
        r = steward.post(
            "/admin/users",
            data={"csrf_token": csrf, "name": "mallory", "role": "admin", "password": PASSWORD},
        )
        assert r.status_code == 403 and users.get("mallory") is None
    with env.client() as admin, env.client() as carol:
        csrf = login(admin, "ann")
        page = admin.get("/admin/users")
        assert page.status_code == 200 and "Users</a>" in page.text and "Add a user" in page.text
        r = admin.post(
            "/admin/users",
            data={"csrf_token": csrf, "name": "carol", "role": "steward", "password": PASSWORD},
        )
        assert _flash(r.text) == "user carol added as steward"
        added = users.get("carol")
        assert added is not None and added.role is Role.STEWARD and added.active

        short = admin.post(
            "/admin/users",
            data={"csrf_token": csrf, "name": "dave", "role": "viewer", "password": "short"},
        )
        assert "at least 8 characters" in _flash(short.text) and users.get("dave") is None

        login(carol, "carol")
        assert carol.get("/queue", follow_redirects=False).status_code == 200

        r = admin.post(
            "/admin/users/role", data={"csrf_token": csrf, "name": "carol", "role": "viewer"}
        )
        assert _flash(r.text) == "carol is now viewer"
        carol_now = users.get("carol")
        assert carol_now is not None and carol_now.role is Role.VIEWER
        r = admin.post(
            "/admin/users/active", data={"csrf_token": csrf, "name": "carol", "active": "false"}
        )
        assert "carol disabled" in _flash(r.text)
        carol_now = users.get("carol")
        assert carol_now is not None and not carol_now.active
        assert carol.get("/queue", follow_redirects=False).status_code == 303
        again = post_login(carol, "carol")
        assert again.status_code == 401

        myself = admin.post(
            "/admin/users/active", data={"csrf_token": csrf, "name": "ann", "active": "false"}
        )
        assert "your own account" in _flash(myself.text)
        ann = users.get("ann")
        assert ann is not None and ann.active
    updates = [e for e in env.review.store.audit_entries(action_prefix="user.") if e.actor == "ann"]
    assert {e.action for e in updates} == {"user.add", "user.update"}


# -- headers ----------------------------------------------------------------------------------


def test_security_headers_on_pages(env: Env) -> None:
    with env.client() as client:
        for response in (client.get("/login"), client.get("/objects?uri=x")):
            assert response.headers["content-security-policy"] == CSP
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
            assert response.headers["x-frame-options"] == "DENY"
        login(client, "vic")
        page = client.get("/queue")
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["cache-control"] == "no-store"
        assert "Skip to content" in page.text and '<main id="content"' in page.text
        assert "<title>Review queue · s3-enricher review</title>" in page.text
        # Autoescaping: a crafted filter value is shown as text.
        crafted = client.get("/queue", params={"tag": '"><script>alert(1)</script>'})
        assert "<script>alert(1)</script>" not in crafted.text
        assert "&lt;script&gt;" in crafted.text


# -- the JSON API -----------------------------------------------------------------------------


def _token(env: Env, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.review.users.create_token(name, 'test', 'test')}"}


def test_api_needs_a_bearer_token_not_a_cookie(env: Env) -> None:
    with env.client() as client:
        r = client.get("/api/v1/suggestions")
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"] == "not_authenticated"
        login(client, "ann")
        assert client.get("/api/v1/me").status_code == 401
        bad = client.get("/api/v1/me", headers={"Authorization": "Bearer s3e_nope"})
        assert bad.status_code == 401 and bad.json()["message"] == "unknown or revoked API token"
        me = client.get("/api/v1/me", headers=_token(env, "vic"))
        assert me.json() | {"expires_at": ""} == {
            "name": "vic",
            "role": "viewer",
            "can_decide": False,
            "can_admin": False,
            "scope": "write",
            "expires_at": "",
        }


def test_api_list_get_approve_reject(env: Env) -> None:
    steward = _token(env, "sam")
    with env.client() as client:
        r = client.get(
            "/api/v1/suggestions",
            params={"entity": "EMAIL_ADDRESS", "sort": "confidence"},
            headers=steward,
        )
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 2 and body["offset"] == 0 and body["limit"] == 50
        assert [s["id"] for s in body["items"]] == [env.ids["local_email"], env.ids["s3_email"]]
        item = body["items"][1]
        assert (
            item["state"] == "pending" and item["evidence"]["masked_examples"][0] == "Xxxx@xxxx.xxx"
        )
        paged = client.get(
            "/api/v1/suggestions", params={"limit": 5, "offset": 10}, headers=steward
        )
        assert paged.json()["total"] == 12 and len(paged.json()["items"]) == 2
        assert (
            client.get("/api/v1/suggestions", params={"sort": "x"}, headers=steward).status_code
            == 422
        )

        one = client.get(f"/api/v1/suggestions/{env.ids['s3_phone']}", headers=steward)
        assert one.json()["column"] == "phone"
        missing = client.get("/api/v1/suggestions/99999", headers=steward)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"

        ok = client.post(f"/api/v1/suggestions/{env.ids['local_email']}/approve", headers=steward)
        assert ok.status_code == 200
        assert ok.json()["suggestion"]["state"] == "applied" and ok.json()["applied"] == 1
        assert env.state("local_email") is SuggestionState.APPLIED
        twice = client.post(
            f"/api/v1/suggestions/{env.ids['local_email']}/approve", headers=steward
        )
        assert twice.status_code == 409 and twice.json()["error"] == "invalid_decision"

        waiting = client.post(
            f"/api/v1/suggestions/{env.ids['s3_email']}/approve",
            json={"reason": "checked"},
            headers=steward,
        )
        assert waiting.json()["waiting"] == "Atlan is not enabled"
        assert env.review.store.get(env.ids["s3_email"]).decision_reason == "checked"

        url = f"/api/v1/suggestions/{env.ids['s3_phone']}/reject"
        assert client.post(url, json={}, headers=steward).status_code == 422
        blank = client.post(url, json={"reason": "  "}, headers=steward)
        assert blank.status_code == 400 and blank.json()["message"] == "a rejection needs a reason"
        assert env.state("s3_phone") is SuggestionState.PENDING
        rejected = client.post(url, json={"reason": "not a phone"}, headers=steward)
        assert rejected.status_code == 200 and rejected.json()["suggestion"]["state"] == "rejected"
        assert env.review.store.get(env.ids["s3_phone"]).decided_by == "sam"


def test_api_viewer_cannot_decide(env: Env) -> None:
    viewer = _token(env, "vic")
    with env.client() as client:
        assert client.get("/api/v1/suggestions", headers=viewer).status_code == 200
        r = client.post(f"/api/v1/suggestions/{env.ids['s3_email']}/approve", headers=viewer)
        assert r.status_code == 403 and r.json()["error"] == "permission_denied"
        r = client.post("/api/v1/suggestions/bulk", json={"action": "approve"}, headers=viewer)
        assert r.status_code == 403
    assert env.review.store.state_counts() == {"pending": 12}


def test_api_bulk_dry_run_then_decide(env: Env) -> None:
    steward = _token(env, "sam")
    store = env.review.store
    with env.client() as client:
        flt = {"entity": "IP_ADDRESS", "min_confidence": 0.63}
        dry = client.post(
            "/api/v1/suggestions/bulk",
            json={"filter": flt, "action": "approve", "dry_run": True},
            headers=steward,
        )
        assert dry.status_code == 200
        assert dry.json()["matched"] == 4 and dry.json()["decided"] == 0
        assert store.state_counts() == {"pending": 12}

        typo = client.post(
            "/api/v1/suggestions/bulk",
            json={"filter": {"entitty": "IP_ADDRESS"}, "action": "approve"},
            headers=steward,
        )
        assert typo.status_code == 422 and store.state_counts() == {"pending": 12}
        stale = client.post(
            "/api/v1/suggestions/bulk",
            json={"filter": flt, "action": "approve", "expected": 3},
            headers=steward,
        )
        assert stale.status_code == 409 and "the queue changed" in stale.json()["message"]
        assert store.state_counts() == {"pending": 12}

        done = client.post(
            "/api/v1/suggestions/bulk",
            json={"filter": flt, "action": "approve", "expected": 4, "reason": "ok"},
            headers=steward,
        )
        assert done.status_code == 200
        assert done.json() | {"summary": ""} == {
            "matched": 4,
            "decided": 4,
            "applied": 0,
            "waiting": 4,
            "dry_run": False,
            "description": "state=pending, entity=IP_ADDRESS, min_conf=0.63",
            "summary": "",
        }
        assert store.state_counts() == {"pending": 8, "approved": 4}
        none_left = client.post(
            "/api/v1/suggestions/bulk",
            json={"filter": flt, "action": "approve"},
            headers=steward,
        )
        assert none_left.status_code == 409


def test_api_objects_audit_and_openapi(env: Env) -> None:
    steward = _token(env, "sam")
    with env.client() as client:
        client.post(
            f"/api/v1/suggestions/{env.ids['s3_phone']}/reject",
            json={"reason": "no"},
            headers=steward,
        )
        obj = client.get("/api/v1/objects", params={"uri": S3_URI}, headers=steward)
        assert obj.status_code == 200
        body = obj.json()
        assert body["object"]["format"] == "csv" and body["object"]["row_count"] == 12345
        assert [c["name"] for c in body["columns"]] == ["email", "amount"]
        finding = body["columns"][0]["findings"][0]
        assert finding["entity"] == "EMAIL_ADDRESS" and finding["prevalence"] == 0.62
        assert finding["evidence"]["prevalence_interval"] == [0.55, 0.68]
        assert len(body["suggestions"]) == 3
        assert [h["action"] for h in body["history"]] == ["suggestion.reject"]
        assert (
            client.get("/api/v1/objects", params={"uri": "s3://x/y"}, headers=steward).status_code
            == 404
        )

        audit = client.get("/api/v1/audit", params={"limit": 2}, headers=steward)
        assert audit.status_code == 200
        page = audit.json()
        assert len(page["items"]) == 2 and page["has_more"] is True
        assert page["items"][0]["action"] == "suggestion.reject"
        assert page["items"][0]["id"] > page["items"][1]["id"]

        assert client.get("/openapi.json").status_code == 401  # logged-in users, API tokens
        schema = client.get("/openapi.json", headers=steward).json()
        assert schema["info"]["title"] == "s3-enricher"
        assert "Authorization: Bearer" in schema["info"]["description"]
        paths = set(schema["paths"])
        assert {
            "/api/v1/suggestions",
            "/api/v1/suggestions/{suggestion_id}",
            "/api/v1/suggestions/{suggestion_id}/approve",
            "/api/v1/suggestions/{suggestion_id}/reject",
            "/api/v1/suggestions/bulk",
            "/api/v1/objects",
            "/api/v1/audit",
            "/api/v1/me",
            "/events/s3",
        } <= paths
        assert "/queue" not in paths and "/login" not in paths
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert {"401", "403"} <= set(schema["paths"]["/api/v1/suggestions"]["get"]["responses"])


def test_object_page_shows_lineage_as_a_graph_and_a_list(
    seeded: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    from models.lineage import ColumnMapping, Dataset, LineageEdge, Origin

    env = _make(seeded, tmp_path / "lineage")
    assert env.review.lineage is not None
    pg = Dataset.parse("postgres:appdb.public.customers")
    s3 = Dataset.parse("s3://lake/exports/customers.csv")
    sf = Dataset.parse("snowflake:analytics.public.customers")
    env.review.lineage.upsert(
        [
            LineageEdge(pg, s3, Origin.SQL, columns=(ColumnMapping("email", "email"),)),
            LineageEdge(s3, sf, Origin.INFERRED, 0.9, (ColumnMapping("email", "EMAIL"),)),
        ],
        auto_apply_threshold=0.85,
    )
    client = env.client()
    login(client, "vic")
    page = client.get("/objects", params={"uri": S3_URI})
    assert page.status_code == 200
    html = page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "postgres:appdb.public.customers" in html
    assert "snowflake:ANALYTICS.PUBLIC.CUSTOMERS" in html
    assert 'stroke-dasharray="5 4"' in html  # the inferred hop
    assert "PII: EMAIL_ADDRESS" in html  # PII flows to the Snowflake column
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: no inline CSS


# -- hardening (issue 13): login CSRF, proxies, audit access, docs, tokens, account, idle ----


def test_login_needs_the_forms_csrf_token_and_a_same_origin_post(env: Env) -> None:
    refused = "the sign-in form had expired"
    with env.client() as client:
        bare = client.post("/login", data={"username": "sam", "password": PASSWORD})
        assert bare.status_code == 403 and refused in bare.text
        assert "s3e_session" not in bare.headers.get("set-cookie", "")
        token = login_token(client)
        forged = client.post(
            "/login", data={"username": "sam", "password": PASSWORD, "csrf_token": "f" * 64}
        )
        assert forged.status_code == 403 and refused in forged.text
        # The token is bound to this browser's pre-session cookie: another has none.
        with env.client() as other:
            stolen = other.post(
                "/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token}
            )
            assert stolen.status_code == 403
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/login"},
        ):
            r = post_login(client, "sam", headers=headers)
            assert r.status_code == 403 and "another site" in r.text, headers
        assert client.get("/queue", follow_redirects=False).status_code == 303
        same = post_login(client, "sam", headers={"Origin": "http://testserver"})
        assert same.status_code == 303
    # Refused forms never reached the password check.
    assert env.review.store.audit_entries(action_prefix="login.failed") == []


def test_forwarded_headers_count_only_from_trusted_proxies(env: Env) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    with env.client() as client:  # the default: no trusted proxies
        r = post_login(client, "sam", headers=spoofed)
        assert "secure" not in r.headers["set-cookie"].lower().split("; ")
        # Rotating X-Forwarded-For does not escape the throttle either.
        for i in range(5):
            bad = post_login(client, "vic", "wrong-pass", headers={"X-Forwarded-For": f"1.1.1.{i}"})
            assert bad.status_code == 401
        assert post_login(client, "vic", headers={"X-Forwarded-For": "1.1.1.9"}).status_code == 429
    addresses = {e.address for e in env.review.store.audit_entries(action_prefix="login.")}
    assert addresses == {"testclient"}

    trusted = create_app(
        None,
        lambda _events: None,
        review=env.review,
        web_settings=WebSettings(trusted_proxies=["10.0.0.0/8", "::1"]),
    )
    with TestClient(trusted, client=("10.1.2.3", 4000)) as via_proxy:
        r = post_login(via_proxy, "sam", headers=spoofed)
        assert "secure" in r.headers["set-cookie"].lower().split("; ")
        for _ in range(5):
            post_login(via_proxy, "ann", "wrong-pass", headers={"X-Forwarded-For": "198.51.100.7"})
        assert (
            post_login(via_proxy, "ann", headers={"X-Forwarded-For": "198.51.100.7"}).status_code
            == 429
        )
        assert (
            post_login(via_proxy, "ann", headers={"X-Forwarded-For": "198.51.100.8"}).status_code
            == 303
        )
    with TestClient(trusted, client=("192.0.2.1", 4000)) as direct:
        r = post_login(direct, "sam", headers=spoofed)
        assert "secure" not in r.headers["set-cookie"].lower().split("; ")
    logins = env.review.store.audit_entries(action_prefix="login.", limit=None)
    assert {"203.0.113.9", "198.51.100.7", "198.51.100.8", "192.0.2.1"} <= {
        e.address for e in logins
    }
    with pytest.raises(ValidationError, match="not an IP address"):
        WebSettings(trusted_proxies=["proxy.internal"])


def test_the_audit_log_is_for_stewards_and_admins(env: Env) -> None:
    steward, viewer = _token(env, "sam"), _token(env, "vic")
    with env.client() as client:
        client.post(
            f"/api/v1/suggestions/{env.ids['s3_phone']}/reject",
            json={"reason": "no"},
            headers=steward,
        )
        login(client, "vic")
        assert 'href="/audit"' not in client.get("/queue").text
        for path in ("/audit", "/audit/export.csv", "/audit/export.json"):
            r = client.get(path)
            assert r.status_code == 403 and "viewer" in r.text, path
        api = client.get("/api/v1/audit", headers=viewer)
        assert api.status_code == 403 and api.json()["error"] == "permission_denied"
        assert client.get("/api/v1/audit", headers=steward).status_code == 200
        # An object's history: viewers see who and when, not the address.
        seen = client.get("/api/v1/objects", params={"uri": S3_URI}, headers=viewer).json()
        assert [h["address"] for h in seen["history"]] == [None]
        full = client.get("/api/v1/objects", params={"uri": S3_URI}, headers=steward).json()
        assert [h["address"] for h in full["history"]] == ["testclient"]
    with env.client() as client:
        login(client, "sam")
        assert 'href="/audit"' in client.get("/queue").text
        assert client.get("/audit").status_code == 200


def test_api_docs_are_off_by_default_and_the_schema_needs_a_login(env: Env) -> None:
    with env.client() as client:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/openapi.json", headers={"Authorization": "Bearer x"}).status_code == 401
        login(client, "vic")  # a session cookie will do, for the docs page's own fetch
        schema = client.get("/openapi.json")
        assert schema.status_code == 200 and "/api/v1/suggestions" in schema.json()["paths"]
    with_docs = create_app(
        None, lambda _events: None, review=env.review, web_settings=WebSettings(api_docs=True)
    )
    with TestClient(with_docs) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200 and "swagger-ui" in docs.text
        assert "content-security-policy" not in docs.headers
        assert client.get("/redoc").status_code == 200


def test_read_only_and_expired_tokens(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    users = env.review.users
    read = {"Authorization": f"Bearer {users.create_token('sam', 'dash', 'test', scope='read')}"}
    short = users.create_token("sam", "short", "test", days=1)
    with env.client() as client:
        me = client.get("/api/v1/me", headers=read).json()
        assert me["role"] == "steward" and me["scope"] == "read" and me["can_decide"] is False
        assert client.get("/api/v1/suggestions", headers=read).status_code == 200
        sid = env.ids["s3_email"]
        denied = client.post(f"/api/v1/suggestions/{sid}/approve", headers=read)
        assert denied.status_code == 403 and "read-only" in denied.json()["message"]
        bulk = client.post(
            "/api/v1/suggestions/bulk", json={"action": "approve", "dry_run": True}, headers=read
        )
        assert bulk.status_code == 403
        assert env.state("s3_email") is SuggestionState.PENDING
        later = datetime.now(UTC) + timedelta(days=2)
        monkeypatch.setattr(users_module, "_now", lambda: later)
        expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"})
        assert expired.status_code == 401 and "expired" in expired.json()["message"]
        assert client.get("/api/v1/me", headers=read).status_code == 200


def test_my_account_tokens_are_shown_once_and_revocable(env: Env) -> None:
    with env.client() as client:
        csrf = login(client, "vic")
        page = client.get("/account")
        assert page.status_code == 200 and "My account" in page.text
        assert 'href="/account"' in page.text and "No API tokens." in page.text
        assert client.post("/account/tokens", data={"label": "x"}).status_code == 403
        made = client.post(
            "/account/tokens",
            data={"csrf_token": csrf, "label": "notebook", "scope": "read", "days": "7"},
        )
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        match = re.search(r'id="token-secret"[^>]*value="(s3e_[^"]+)"', made.text)
        assert match is not None
        secret = match.group(1)
        bearer = {"Authorization": f"Bearer {secret}"}
        me = client.get("/api/v1/me", headers=bearer).json()
        assert me["name"] == "vic" and me["scope"] == "read"
        again = client.get("/account")
        assert secret not in again.text and "notebook" in again.text
        (token,) = env.review.users.tokens("vic")
        assert token.scope == "read" and (token.expires_at - token.created_at).days == 7
        assert f'id="t-{token.id}"' in again.text
        no_csrf = client.post("/account/tokens/revoke", data={"token_id": token.id})
        assert no_csrf.status_code == 403
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        gone = client.post(
            "/account/tokens/revoke", data={"csrf_token": csrf, "token_id": token.id}
        )
        assert _flash(gone.text) == f"API token {token.id} revoked"
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
        # Another user's token id is not yours to revoke.
        env.review.users.create_token("sam", "theirs", "test")
        (theirs,) = env.review.users.tokens("sam")
        r = client.post("/account/tokens/revoke", data={"csrf_token": csrf, "token_id": theirs.id})
        assert "has no API token" in _flash(r.text)
        assert env.review.users.tokens("sam")[0].state() == "active"


def test_changing_my_password_ends_other_sessions_and_tokens(env: Env) -> None:
    api = _token(env, "sam")
    with env.client() as client, env.client() as elsewhere:
        csrf = login(client, "sam")
        login(elsewhere, "sam")
        form = {"csrf_token": csrf, "new_password": "brand new pass", "new_password_confirm": ""}
        assert client.post("/account/password", data={**form, "csrf_token": ""}).status_code == 403
        differ = client.post("/account/password", data={**form, "current_password": PASSWORD})
        assert _flash(differ.text) == "the new passwords differ"
        form["new_password_confirm"] = form["new_password"]
        wrong = client.post("/account/password", data={**form, "current_password": "nope-nope"})
        assert _flash(wrong.text) == "the current password is wrong"
        assert elsewhere.get("/queue", follow_redirects=False).status_code == 200
        done = client.post("/account/password", data={**form, "current_password": PASSWORD})
        assert "password changed" in _flash(done.text)
        assert client.get("/queue", follow_redirects=False).status_code == 200  # this one stays
        assert elsewhere.get("/queue", follow_redirects=False).status_code == 303
        assert client.get("/api/v1/me", headers=api).status_code == 401
    with env.client() as client:
        assert post_login(client, "sam").status_code == 401
        assert post_login(client, "sam", "brand new pass").status_code == 303
    entries = env.review.store.audit_entries(action_prefix="password.", limit=None)
    assert [(e.actor, e.action) for e in entries] == [("sam", "password.failed")]
    (update,) = [
        e for e in env.review.store.audit_entries(action_prefix="user.update") if e.actor == "sam"
    ]
    assert update.detail == "password changed; 1 API token revoked"


def test_a_session_ends_after_30_idle_minutes(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    offset = timedelta()
    monkeypatch.setattr(users_module, "_now", lambda: datetime.now(UTC) + offset)
    with env.client() as client:
        login(client, "vic")
        for _ in range(3):  # active: each request keeps it alive, well past 30 minutes in all
            offset += timedelta(minutes=25)
            assert client.get("/queue", follow_redirects=False).status_code == 200
        offset += timedelta(minutes=31)
        r = client.get("/queue", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        offset += timedelta(minutes=1)
        assert client.get("/queue", follow_redirects=False).status_code == 303


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_chain(database_url: str) -> None:
    """PostgreSQL → S3 → Snowflake (declared) and Snowflake → Looker (LookML), loaded through
    the lineage service as ``enricher lineage load`` does."""
    from worker.bootstrap import build_lineage
    from worker.core.lineage.declared import parse_declared
    from worker.services.lineage.lookml_files import load_lookml_project

    service = build_lineage(load_settings(database_url=database_url))
    declared = FIXTURES / "lineage" / "declared" / "lineage.yaml"
    assert service.load(parse_declared(declared.read_text(), "lineage.yaml")).problems == []
    assert service.load(load_lookml_project(FIXTURES / "lookml")).problems == []
    service.store.catalog.engine.dispose()


def test_object_page_shows_the_whole_chain_to_looker_with_origins_and_column_maps(
    seeded: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    env = _make(seeded, tmp_path / "chain")
    _load_chain(f"sqlite:///{tmp_path / 'chain' / 'e.db'}")
    client = env.client()
    login(client, "vic")
    page = client.get(
        "/objects", params={"uri": "s3://lake/exports/customers/dt=2025-01-01/part-0.parquet"}
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert page.headers["content-security-policy"].startswith(CSP)
    chain = html.split('id="lineage-chain"', 1)[1]
    hops = re.findall(r'<li class="lineage-hop lineage-hop-(\w+)">(.*?)</li>', chain, re.S)
    ends = [
        tuple(re.findall(r'class="system system-\w+">([^<]+)</span> <code class="uri">([^<]+)<', h))
        for _, h in hops
    ]
    # Every node of the chain, each hop with its systems, upstream end first.
    assert ends[0] == (
        ("PostgreSQL", "postgres:appdb.public.customers"),
        ("S3", "s3://lake/exports/customers/"),
    )
    assert (
        ("S3", "s3://lake/exports/customers/"),
        ("Snowflake", "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"),
    ) in ends
    looker = {e[1] for e in ends if e[1][0].startswith("Looker")}
    assert {
        ("Looker explore", "looker:explore/thelook::customers"),
        ("Looker dashboard", "looker:dashboard/thelook::customer_overview"),
        ("Looker dashboard", "looker:dashboard/thelook::sales_pulse"),
    } <= looker
    assert [d for d, _ in hops][0] == "upstream" and [d for d, _ in hops][-1] == "downstream"
    # Origins: the declared hops and the LookML ones (parsed, origin sql).
    origins = re.findall(r'<span class="origin origin-(\w+)">', chain)
    assert origins[:2] == ["declared", "declared"] and "sql" in origins
    # The declared column map, the hashed e-mail marked as masked, the others plain copies.
    load = next(h for _, h in hops if "snowflake:ANALYTICS.PUBLIC.CUSTOMERS</code></p>" in h)
    assert (
        '<tr class="masked-row"><td><code>email</code></td><td><code>EMAIL_SHA</code> '
        '<span class="masked">masked</span></td><td><code>sha2(email)</code></td></tr>'
    ) in load
    assert "<td><code>first_name</code></td><td><code>FIRST_NAME</code></td>" in load
    assert load.count('class="masked"') == 1
    assert "style=" not in html and "<script" not in html  # CSP: classes only, no scripts
