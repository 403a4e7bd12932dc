"""Steward review in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

End to end: the bundled sample lake is uploaded to SeaweedFS and scanned by an ``enricher``
process with Atlan enabled (the fake Atlan server, real pyatlan); the review UI runs on
uvicorn; a steward logs in, filters the queue, approves one suggestion (the tag appears in
Atlan) and rejects another with a reason; a viewer sees no decision buttons and a forged POST
is refused; a POST without the CSRF token is refused; a re-scan does not resurrect the
rejected suggestion. Screenshots of the queue and an object page go to ``docs/`` when
``S3E_UPDATE_SCREENSHOTS=1`` (``make screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from models.review import Role, SuggestionFilter, SuggestionState
from tests.support import atlan_fixtures as _atlan
from tests.support.atlan_server import FakeAtlan
from tests.support.cli import run_enricher
from tests.support.uvicorn_thread import serve
from worker.bootstrap import SqlReviewService as ReviewService
from worker.bootstrap import build_review
from worker.core.settings import load_settings
from worker.web.app import create_app

atlan_server = _atlan.atlan_server

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
LAKE = REPO / "examples" / "lake"
TERMS = '{"amount": "Amount@Finance Glossary", "country": "Country@Reference Glossary"}'
PASSWORD = "review-pass-1"


def _env(seaweed: Any, server: FakeAtlan, db: Path) -> dict[str, str]:
    return {
        "ENRICH_DATABASE_URL": f"sqlite:///{db}",
        "ENRICH_S3__ENDPOINT_URL": seaweed.endpoint_url,
        "ENRICH_S3__ACCESS_KEY_ID": "testing",
        "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
        "ENRICH_ATLAN__ENABLED": "true",
        "ENRICH_ATLAN__MAX_RETRIES": "1",
        "ENRICH_ATLAN__BACKOFF_S": "0.05",
        # A stricter threshold than the default leaves more for stewards to decide.
        "ENRICH_ATLAN__APPLY_THRESHOLD": "0.985",
        "ENRICH_BUSINESS__GLOSSARY_TERMS": TERMS,
        "ATLAN_BASE_URL": server.base_url,
        "ATLAN_API_KEY": _atlan.API_KEY,
    }


@pytest.fixture
def world(seaweed: Any, atlan_server: FakeAtlan, tmp_path: Path) -> dict[str, Any]:
    """The lake in S3, scanned into Atlan and the review queue; two users; the service."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (make test does)")
    # A readable bucket name: it is in the screenshots. Only this test uses it.
    bucket = "acme-lake"
    client = seaweed.client()
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    atlan_server.reset()
    atlan_server.add_entity("AtlasGlossaryTerm", "Amount@Finance Glossary")
    atlan_server.add_entity("AtlasGlossaryTerm", "Country@Reference Glossary")
    for path in sorted(LAKE.rglob("*")):
        if path.is_file() and path.name != "README.txt":
            client.put_object(
                Bucket=bucket, Key=str(path.relative_to(LAKE)), Body=path.read_bytes()
            )
    db = tmp_path / "catalog.db"
    env = _env(seaweed, atlan_server, db)
    assert run_enricher(["atlan", "init"], env, tmp_path).returncode == 0
    scan = run_enricher(["scan", f"s3://{bucket}/"], env, tmp_path)
    assert scan.returncode == 3, scan.stderr  # landing/broken.parquet fails, the rest goes on
    assert "suggestions pending" in scan.stdout
    settings = load_settings(
        None,
        database_url=f"sqlite:///{db}",
        atlan={
            "enabled": True,
            "base_url": atlan_server.base_url,
            "api_key": _atlan.API_KEY,
            "max_retries": 1,
            "backoff_s": 0.05,
            "apply_threshold": 0.985,
        },
    )
    service = build_review(settings)
    service.users.add("ann", Role.STEWARD, PASSWORD, actor="test")
    service.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    return {"service": service, "env": env, "bucket": bucket, "tmp": tmp_path, "db": db}


def _login(page: Any, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/queue**")


def _shots() -> Path | None:
    return REPO / "docs" if os.environ.get("S3E_UPDATE_SCREENSHOTS") == "1" else None


def test_steward_and_viewer_in_a_real_browser(
    world: dict[str, Any], atlan_server: FakeAtlan
) -> None:
    from playwright.sync_api import expect, sync_playwright

    service: ReviewService = world["service"]
    store = service.store
    bucket = world["bucket"]
    shots = _shots() or world["tmp"]
    app = create_app(None, lambda events: None, review=service)
    pending_before = store.count(SuggestionFilter())
    assert pending_before >= 10
    with serve(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        _login(page, base, "ann")
        expect(page.locator("#queue")).to_be_visible()

        # Filter: one prefix, by URI pattern.
        page.get_by_label("URI pattern").fill(f"s3://{bucket}/crm/customers/*")
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("#queue tbody tr")
        expect(rows.first).to_be_visible()
        uris = rows.locator("td.uri").all_inner_texts()
        assert uris and all(u.startswith(f"s3://{bucket}/crm/customers/") for u in uris)

        # Approve the first person-name suggestion shown.
        target = next(
            s
            for s in store.page(
                SuggestionFilter(uri_pattern=f"s3://{bucket}/crm/customers/*", kind="tag"),
                sort="-confidence",
                limit=50,
            ).items
            if s.tag == "PII Person Name"
        )
        row = page.locator(f"#s-{target.id}")
        row.get_by_role("button", name="Approve").click()
        expect(page.locator("#flash")).to_contain_text("1 suggestion approved; 1 applied")
        qn = f"{atlan_server.entities('Connection')[0]['attributes']['qualifiedName']}/" + (
            target.object_uri.replace("s3://", "arn:aws:s3:::", 1)  # atlan.s3_naming: arn
        )
        assert "PII Person Name" in atlan_server.tag_names("S3Object", qn)
        assert store.get(target.id).state is SuggestionState.APPLIED

        # Reject another with a reason (on the unfiltered queue).
        page.goto(base + "/queue")
        victim = next(
            s
            for s in store.page(SuggestionFilter(kind="tag"), sort="-confidence").items
            if s.tag == "PII URL"
        )
        row = page.locator(f"#s-{victim.id}")
        row.get_by_label("Reason").fill("public marketing URLs, not personal data")
        row.get_by_role("button", name="Reject").click()
        expect(page.locator("#flash")).to_contain_text("1 suggestion rejected")
        rejected = store.get(victim.id)
        assert rejected.state is SuggestionState.REJECTED
        assert rejected.decided_by == "ann"
        assert rejected.decision_reason == "public marketing URLs, not personal data"
        page.goto(base + "/queue?kind=tag&state=any&sort=object")
        page.screenshot(path=str(shots / "review-queue.png"))

        # The object page of the approved suggestion: columns, masked evidence, history.
        page.goto(base + "/queue?state=any&uri_pattern=" + target.object_uri)
        page.locator(f"#s-{target.id} td.uri a").click()
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        expect(page.locator("body")).to_contain_text("suggestion.approve")
        page.screenshot(path=str(shots / "review-object.png"), full_page=True)

        # A POST without the CSRF token is refused, nothing changes.
        other = store.page(SuggestionFilter(), sort="-confidence").items[0]
        refused = page.request.post(f"{base}/suggestions/{other.id}/approve", form={})
        assert refused.status == 403
        assert store.get(other.id).state is SuggestionState.PENDING

        # A viewer sees no decision buttons; a forged POST with the viewer's own CSRF token
        # is refused by role.
        page.get_by_role("button", name="Log out").click()
        _login(page, base, "vic")
        expect(page.locator("#queue")).to_be_visible()
        assert page.get_by_role("button", name="Approve").count() == 0
        assert page.get_by_role("button", name="Reject").count() == 0
        assert page.get_by_text("Bulk decision").count() == 0
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        assert csrf
        forged = page.request.post(
            f"{base}/suggestions/{other.id}/approve", form={"csrf_token": csrf}
        )
        assert forged.status == 403
        assert store.get(other.id).state is SuggestionState.PENDING
        browser.close()

    # A re-scan of everything does not bring the rejected suggestion back.
    again = run_enricher(["scan", "--force", f"s3://{bucket}/"], world["env"], world["tmp"])
    assert again.returncode == 3, again.stderr
    same_key = SuggestionFilter(
        state=None, object_uri=victim.object_uri, column=victim.column, tag=victim.tag
    )
    states = [s.state for s in store.page(same_key).items]
    assert states == [SuggestionState.REJECTED]
    assert store.get(target.id).state is SuggestionState.APPLIED
    assert "PII Person Name" in atlan_server.tag_names("S3Object", qn)
    # The audit trail has both decisions and both logins.
    actions = [e.action for e in store.audit_entries(limit=None)]
    for action in ("login.ok", "suggestion.approve", "suggestion.applied", "suggestion.reject"):
        assert action in actions
    for shot in ("review-queue.png", "review-object.png"):
        assert (shots / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
