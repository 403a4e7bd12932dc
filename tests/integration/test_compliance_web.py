"""The compliance report's page, downloads and API, in-process on the compliance test catalog.

Who may see it (stewards and admins, not viewers), the report's sections on the page, and
the downloads and the API against ``enricher report compliance`` run on the same catalog
state: the same bytes. One check in headless Chromium that the page's own stylesheet loads
under the CSP.
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from models.review import Role
from tests.support.cli import run_enricher
from tests.support.compliance_catalog import MARKER, build_catalog, write_contracts
from tests.support.uvicorn_thread import serve
from worker.bootstrap import SqlReviewService, build_review
from worker.core.settings import load_settings
from worker.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "password123"
CHROMIUM = "/usr/bin/chromium"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SECTIONS = ("inventory", "flows", "kpis", "steward-activity", "changes")


@dataclass
class World:
    review: SqlReviewService
    app: Any
    tokens: dict[str, str]
    sessions: dict[str, TestClient] = field(default_factory=dict)
    cli_files: dict[str, bytes] = field(default_factory=dict)

    def client(self, name: str | None = None) -> TestClient:
        client = TestClient(self.app)
        if name is not None:
            page = client.get("/login")
            token = CSRF_RE.search(page.text)
            assert token is not None
            done = client.post(
                "/login",
                data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text
        return client

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The catalog, users ann (admin), sam (steward), vic (viewer) with tokens, logged in once
    each, and then the CLI's files for 2026-11 (so every audit row the test needs exists)."""
    folder = tmp_path_factory.mktemp("compliance-web")
    url = f"sqlite:///{folder / 'catalog.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build_catalog(url, monkeypatch)
    built.review.catalog.engine.dispose()
    review = build_review(load_settings(None, database_url=url))
    tokens = {}
    for name, role in (("ann", Role.ADMIN), ("sam", Role.STEWARD), ("vic", Role.VIEWER)):
        review.users.add(name, role, PASSWORD, actor="test")
        tokens[name] = review.users.create_token(name, "test", "test", scope="read")
    world = World(review, create_app(None, lambda _events: None, review=review), tokens)
    # Every login is an audit row: all of them before the CLI reads the catalog.
    world.sessions = {name: world.client(name) for name in ("sam", "vic")}
    out = folder / "cli"
    done = run_enricher(
        ["report", "compliance", "--period", "2026-11", "-o", str(out)],
        {"ENRICH_DATABASE_URL": url},
        folder,
    )
    assert done.returncode == 0, done.stderr
    world.cli_files = {p.name: p.read_bytes() for p in out.iterdir()}
    yield world
    review.store.catalog.engine.dispose()


def test_a_steward_sees_every_section_of_the_month(world: World) -> None:
    page = world.sessions["sam"].get("/compliance?period=2026-11")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert "<h1>Compliance report 2026-11</h1>" in html
    assert "s3://lake/exports/customers/" in html  # the inventory
    assert 'class="unmasked"' in html  # a flow not masked on any hop
    assert "free text, not names" in html  # sam's rejection, with its reason
    assert MARKER not in html
    # Framed by the UI (navigation, the page's stylesheet), no inline style (the CSP).
    assert '<a href="/compliance" aria-current="page">Compliance</a>' in html
    assert '<link rel="stylesheet" href="/static/compliance.css">' in html
    assert "<style" not in html
    assert world.sessions["sam"].get("/static/compliance.css").status_code == 200
    # The chooser, and every download link of the month.
    assert 'name="period" type="month" value="2026-11"' in html
    links = set(re.findall(r'href="/compliance/files/([^"]+)"', html))
    assert links == set(world.cli_files) - {"compliance-2026-11.manifest.json"} | {
        "compliance-2026-11-csv.zip",
        "compliance-2026-11.manifest.json",
    }
    assert 'href="/compliance?period=2026-10"' in html


def test_the_default_month_and_bad_months(world: World) -> None:
    client = world.sessions["sam"]
    now = datetime.now(UTC).strftime("%Y-%m")
    page = client.get("/compliance")
    assert page.status_code == 200
    assert f"<h1>Compliance report {now}</h1>" in page.text
    assert f'value="{now}"' in page.text and 'rel="next"' not in page.text
    assert client.get("/compliance?period=2026-13").status_code == 400
    assert client.get("/compliance?period=2999-01").status_code == 400
    assert client.get("/compliance/files/compliance-2026-11-nope.csv").status_code == 404
    assert client.get("/compliance/files/passwd").status_code == 404
    # No changes table without a previous report: not a file of this report.
    assert client.get("/compliance/files/compliance-2026-11-changes.csv").status_code == 404


def test_viewers_and_strangers_are_kept_out(world: World) -> None:
    vic = world.sessions["vic"]
    assert vic.get("/compliance?period=2026-11").status_code == 403
    assert vic.get("/compliance/files/compliance-2026-11.json").status_code == 403
    assert 'href="/compliance"' not in vic.get("/queue").text
    stranger = world.client()
    first = stranger.get("/compliance?period=2026-11", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/login?next=")
    api = "/api/v1/reports/compliance?period=2026-11"
    assert stranger.get(api).status_code == 401
    denied = stranger.get(api, headers=world.bearer("vic"))
    assert denied.status_code == 403 and denied.json()["error"] == "permission_denied"
    # The API does not take the browser's session cookie.
    assert world.sessions["sam"].get(api).status_code == 401


def test_downloads_are_the_cli_files_byte_for_byte(world: World) -> None:
    client = world.sessions["sam"]
    assert len(world.cli_files) == 9
    for name, body in sorted(world.cli_files.items()):
        got = client.get(f"/compliance/files/{name}")
        assert got.status_code == 200, name
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert got.content == body, f"{name} differs from the CLI's"
    manifest = json.loads(world.cli_files["compliance-2026-11.manifest.json"])
    assert set(manifest["files"]) == set(world.cli_files) - {"compliance-2026-11.manifest.json"}
    archive = client.get("/compliance/files/compliance-2026-11-csv.zip")
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    assert members == {n: b for n, b in world.cli_files.items() if n.endswith(".csv")}
    # The same catalog state gives the same zip.
    assert client.get("/compliance/files/compliance-2026-11-csv.zip").content == archive.content


def test_the_api_gives_the_same_bytes(world: World) -> None:
    client = world.client()
    api = "/api/v1/reports/compliance?period=2026-11"
    for who in ("sam", "ann"):
        got = client.get(api, headers=world.bearer(who))  # json by default; a read token
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/json"
        assert got.content == world.cli_files["compliance-2026-11.json"]
    html = client.get(api + "&format=html", headers=world.bearer("sam"))
    assert html.content == world.cli_files["compliance-2026-11.html"]
    flows = client.get(api + "&format=csv&table=flows", headers=world.bearer("sam"))
    assert flows.headers["content-type"].startswith("text/csv")
    assert flows.content == world.cli_files["compliance-2026-11-flows.csv"]
    archive = client.get(api + "&format=csv", headers=world.bearer("sam"))
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert (
            z.read("compliance-2026-11-kpis.csv") == world.cli_files["compliance-2026-11-kpis.csv"]
        )
    for bad in ("&format=pdf", "&table=flows", "&format=csv&table=nope"):
        refused = client.get(api + bad, headers=world.bearer("sam"))
        assert refused.status_code in (400, 422), bad
    future = client.get(api.replace("2026-11", "2999-01"), headers=world.bearer("sam"))
    assert future.status_code == 400 and "has not begun" in future.json()["message"]
    assert "/api/v1/reports/compliance" in world.app.openapi()["paths"]


def test_the_page_in_chromium_uses_its_stylesheet(world: World) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make browser` (make test does)")
    with serve(world.app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context()
        # sam's session from the fixture: a new login would add an audit row.
        cookie = world.sessions["sam"].cookies.get("s3e_session")
        assert cookie
        context.add_cookies([{"name": "s3e_session", "value": cookie, "url": base}])
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        page.goto(base + "/queue")
        page.get_by_role("link", name="Compliance").click()
        page.wait_for_url(base + "/compliance")
        page.get_by_label("Month (UTC)").fill("2026-11")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(base + "/compliance?period=2026-11")
        unmasked = page.locator("#flows tr.unmasked td").first
        colour = unmasked.evaluate("td => getComputedStyle(td).backgroundColor")
        assert colour == "rgb(253, 236, 234)"  # compliance.css, not an inline style
        assert page.locator("#inventory svg[role=img]").count() == 2
        browser.close()
    assert refused == []


def test_with_a_contracts_folder_the_api_gives_the_cli_bytes(world: World, tmp_path: Path) -> None:
    """`enricher serve` passes contracts.dir to the app: its report holds the contracts section
    the CLI writes with the same folder."""
    from fastapi.testclient import TestClient

    contracts = write_contracts(tmp_path / "contracts")
    url = str(world.review.store.catalog.engine.url)
    out = tmp_path / "cli"
    done = run_enricher(
        ["report", "compliance", "--period", "2026-11", "--format", "json"]
        + ["--contracts", str(contracts), "-o", str(out)],
        {"ENRICH_DATABASE_URL": url},
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    app = create_app(None, lambda _events: None, review=world.review, contracts_dir=contracts)
    with TestClient(app) as client:
        got = client.get("/api/v1/reports/compliance?period=2026-11", headers=world.bearer("sam"))
    assert got.status_code == 200, got.text
    assert got.content == (out / "compliance-2026-11.json").read_bytes()
    assert json.loads(got.content)["contracts"]["files"], "the contracts were read"
