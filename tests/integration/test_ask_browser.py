"""The header's ask box in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

On the ask catalog (tests/support/ask_catalog.py): a viewer logs in, types a question in the
box at the top of the queue page, submits it, reads the interpretation, opens an item's page;
then asks an ambiguous question and follows one of the readings offered. No script is run
by the page and none is refused by the CSP (no console error). The results page's screenshot
goes to ``docs/ask.png`` when ``S3E_UPDATE_SCREENSHOTS=1`` (``make screenshots``), else to a
temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from models.review import Role
from tests.support.ask_catalog import build_ask_catalog
from tests.support.uvicorn_thread import serve
from worker.bootstrap import build_review
from worker.core.settings import load_settings
from worker.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "password123"


def test_ask_from_the_header_box_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (make test does)")
    url = f"sqlite:///{tmp_path / 'ask.db'}"
    build_ask_catalog(url).catalog.engine.dispose()
    review = build_review(load_settings(None, database_url=url))
    review.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    shots = REPO / "docs" if os.environ.get("S3E_UPDATE_SCREENSHOTS") == "1" else tmp_path
    app = create_app(None, lambda _events: None, review=review)
    errors: list[str] = []
    try:
        with serve(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base + "/login")
            page.get_by_label("User name").fill("vic")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/queue**")

            # Ask from the header box of the queue page.
            box = page.get_by_role("searchbox", name="Ask the catalog")
            box.fill("What would break if I change the customers table schema?")
            page.get_by_role("button", name="Ask").click()
            page.wait_for_url(re.compile(r"/ask\?q=What\+would\+break"))
            expect(page.locator("#understood")).to_have_text("understood")
            expect(page.locator("#interpretation")).to_contain_text(
                "what is downstream of postgres:appdb.public.customers"
            )
            # The box keeps the question; the items say the path that makes them qualify.
            expect(box).to_have_value("What would break if I change the customers table schema?")
            rows = page.locator("#ask-items tbody tr")
            expect(rows.first).to_be_visible()
            uris = rows.locator("td:nth-child(3)").all_inner_texts()
            assert "snowflake:ANALYTICS.CRM.CUSTOMERS" in uris
            assert any(u.startswith("looker:dashboard") for u in uris), uris
            expect(page.locator("#ask-items")).to_contain_text(
                "postgres:appdb.public.customers → s3://lake/crm/customers/"
            )
            page.screenshot(path=str(shots / "ask.png"), full_page=True)

            # An item's name opens its page.
            page.get_by_role("link", name="s3://lake/crm/customers/", exact=True).click()
            page.wait_for_url(re.compile(r"/datasets/show\?uri=s3%3A%2F%2Flake%2Fcrm"))
            expect(page.get_by_role("heading", level=1)).to_be_visible()

            # An ambiguous name: not understood, the readings are links that ask them.
            box = page.get_by_role("searchbox", name="Ask the catalog")
            box.fill("what breaks if I change orders")
            box.press("Enter")
            page.wait_for_url(re.compile(r"/ask\?q=what\+breaks"))
            expect(page.locator("#understood")).to_have_text("not understood")
            expect(page.locator("#interpretation")).to_contain_text("names several datasets")
            assert page.locator("#ask-items").count() == 0
            page.get_by_role("link", name="the PostgreSQL table public.orders").click()
            page.wait_for_url(re.compile(r"postgres%3Ashop\.public\.orders"))
            expect(page.locator("#understood")).to_have_text("understood")
            expect(box).to_have_value("what breaks if I change postgres:shop.public.orders")
            expect(page.locator("#ask-items")).to_contain_text("snowflake:SHOP.PUBLIC.ORDERS")
            browser.close()
    finally:
        review.store.catalog.engine.dispose()
    assert errors == []
