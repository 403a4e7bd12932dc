"""The ask page ``/ask?q=`` and the header's ask box, in-process (TestClient) on the ask catalog.

The box is on every page; an answer shows the interpretation, understood or not, and the
items (kind, name linked to its page, URI, why); a question not understood shows the reason
and the closest readings as links that ask them; no question shows example questions per
family; what the question says comes back escaped.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
from starlette.exceptions import StarletteDeprecationWarning

from models.review import Role
from tests.support.ask_catalog import build_ask_catalog
from worker.bootstrap import SqlReviewService, build_review
from worker.core.settings import load_settings
from worker.web.app import create_app
from worker.web.ui_ask import EXAMPLES

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "password123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
QUESTION = "Show me all customer data flowing through S3"
HREF_RE = re.compile(r'<a href="([^"]+)"[^>]*>([^<]*)</a>')


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlReviewService]:
    folder = tmp_path_factory.mktemp("ask-web")
    url = f"sqlite:///{folder / 'ask.db'}"
    build_ask_catalog(url).catalog.engine.dispose()
    built = build_review(load_settings(None, database_url=url))
    built.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    yield built
    built.store.catalog.engine.dispose()


@pytest.fixture(scope="module")
def viewer(review: SqlReviewService) -> TestClient:
    """A viewer's browser session: the page is for every logged-in user."""
    client = TestClient(create_app(None, lambda _events: None, review=review))
    form = CSRF_RE.search(client.get("/login").text)
    assert form is not None
    done = client.post(
        "/login",
        data={"username": "vic", "password": PASSWORD, "csrf_token": form.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return client


def _links(page: str, prefix: str) -> dict[str, str]:
    """Link text → href (unescaped) of the links starting with ``prefix``."""
    return {
        html.unescape(text): html.unescape(href)
        for href, text in HREF_RE.findall(page)
        if html.unescape(href).startswith(prefix)
    }


def _q(href: str) -> str:
    return parse_qs(urlsplit(href).query)["q"][0]


def _rows(page: str) -> list[list[str]]:
    body = page.split('<table id="ask-items">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def test_the_ask_box_is_in_the_header_of_every_page(viewer: TestClient) -> None:
    for path in ("/queue", "/datasets", "/alerts", "/account", "/ask"):
        page = viewer.get(path)
        assert page.status_code == 200, path
        header = page.text.split("<main", 1)[0]
        assert '<form class="ask-box" role="search" method="get" action="/ask"' in header, path
        assert '<input id="ask-q" name="q" type="search"' in header, path


def test_an_answer_shows_the_reading_and_the_items_with_links(viewer: TestClient) -> None:
    page = viewer.get("/ask", params={"q": QUESTION})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    reading = viewer.app.state.ask_service.ask(QUESTION).interpretation  # type: ignore[attr-defined]
    assert reading.startswith("datasets in category customer whose lineage passes through S3")
    assert f'<span id="interpretation">{escape(reading)}</span>' in text
    assert '<span id="understood" class="understood">understood</span>' in text
    # The header box keeps the question, to edit it.
    assert f'value="{QUESTION}"' in text
    rows = _rows(text)
    assert [r[0] for r in rows] == ["dataset", "dataset"]
    assert [r[2] for r in rows] == ["s3://lake/crm/customers/", "s3://lake/exports/users/"]
    assert all(r[3].startswith("category customer") for r in rows)
    links = _links(text, "/datasets/show?uri=")
    assert sorted(links.values()) == [
        "/datasets/show?uri=s3%3A%2F%2Flake%2Fcrm%2Fcustomers%2F",
        "/datasets/show?uri=s3%3A%2F%2Flake%2Fexports%2Fusers%2F",
    ]
    # The item link opens the dataset's page.
    shown = viewer.get(links[rows[0][1]])
    assert shown.status_code == 200 and "s3://lake/crm/customers/" in shown.text


def test_impact_items_say_the_lineage_path(viewer: TestClient) -> None:
    page = viewer.get("/ask", params={"q": "What would break if I change the users table schema?"})
    rows = _rows(page.text)
    assert {r[2]: r[0] for r in rows} == {
        "s3://lake/exports/users/": "dataset",
        "snowflake:ANALYTICS.PUBLIC.USERS": "table",
    }
    assert any("postgres:appdb.public.users → s3://lake/exports/users/" in r[3] for r in rows)
    assert (
        "/objects?uri=snowflake%3AANALYTICS.PUBLIC.USERS" in _links(page.text, "/objects").values()
    )


def test_an_ambiguous_name_offers_readings_that_ask_them(viewer: TestClient) -> None:
    page = viewer.get("/ask", params={"q": "what breaks if I change orders"})
    assert page.status_code == 200
    assert "not understood</span>" in page.text
    assert "names several datasets" in page.text
    assert 'id="ask-items"' not in page.text  # never a guess
    readings = _links(page.text, "/ask?q=")
    asked = {text: _q(href) for text, href in readings.items()}
    assert asked == {
        "the S3 dataset sales/orders/ (s3://lake/sales/orders/)":
            "what breaks if I change s3://lake/sales/orders/",
        "the PostgreSQL table public.orders (postgres:shop.public.orders)":
            "what breaks if I change postgres:shop.public.orders",
        "the Snowflake table PUBLIC.ORDERS (snowflake:SHOP.PUBLIC.ORDERS)":
            "what breaks if I change snowflake:SHOP.PUBLIC.ORDERS",
    }  # fmt: skip
    chosen = viewer.get(
        readings["the PostgreSQL table public.orders (postgres:shop.public.orders)"]
    )
    assert '<span id="understood" class="understood">understood</span>' in chosen.text
    assert [r[2] for r in _rows(chosen.text)] == ["snowflake:SHOP.PUBLIC.ORDERS"]


@pytest.mark.parametrize(
    ("question", "reading", "asks"),
    [
        (
            "what breaks if I change usres",
            "the PostgreSQL table public.users (postgres:appdb.public.users)",
            "what breaks if I change postgres:appdb.public.users",
        ),
        (
            "drop column foo from users",
            "column email of postgres:appdb.public.users",
            "drop column email from users",
        ),
    ],
)
def test_each_kind_of_reading_asks_an_understood_question(
    viewer: TestClient, question: str, reading: str, asks: str
) -> None:
    page = viewer.get("/ask", params={"q": question})
    assert "not understood</span>" in page.text
    href = _links(page.text, "/ask?q=")[reading]
    assert _q(href) == asks
    followed = viewer.get(href)
    assert '<span id="understood" class="understood">understood</span>' in followed.text


def test_a_question_with_html_comes_back_escaped(viewer: TestClient) -> None:
    question = '<script>alert("x")</script> <b onmouseover=1>users</b> "quoted"'
    page = viewer.get("/ask", params={"q": question})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<b onmouseover" not in page.text
    escaped = escape(question)  # Jinja's autoescape: &lt; &gt; &amp; &#34; &#39;
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in escaped
    assert f'<q id="question">{escaped}</q>' in page.text
    assert f'value="{escaped}"' in page.text  # the header box
    # Every alternative link carries the question URL-encoded, never as markup.
    for href in _links(page.text, "/ask?q=").values():
        assert "<" not in href and '"' not in href


def test_no_question_shows_examples_per_family_that_are_understood(
    viewer: TestClient, review: SqlReviewService
) -> None:
    page = viewer.get("/ask")
    assert page.status_code == 200
    assert "<h2>Examples</h2>" in page.text
    examples = _links(page.text, "/ask?q=")
    for family, questions in EXAMPLES:
        assert f"<h3>{html.escape(family)}</h3>" in page.text
        for q in questions:
            assert _q(examples[q]) == q
    # The help only shows questions the service reads (on the test catalog).
    service = viewer.app.state.ask_service  # type: ignore[attr-defined]
    refused = [q for _, qs in EXAMPLES for q in qs if not service.ask(q).understood]
    assert refused == []
    assert viewer.get("/ask", params={"q": "   "}).text.count("<h3>") == len(EXAMPLES)


def test_too_long_a_question_and_no_session(viewer: TestClient, review: SqlReviewService) -> None:
    page = viewer.get("/ask", params={"q": "x" * 501})
    assert page.status_code == 400
    assert "at most 500 characters" in page.text
    assert viewer.get("/ask", params={"q": "open\x00 alerts"}).status_code == 200
    anonymous = TestClient(create_app(None, lambda _events: None, review=review))
    refused = anonymous.get("/ask", params={"q": "open alerts"}, follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")


def test_a_question_nothing_reads_says_so_without_readings(viewer: TestClient) -> None:
    page = viewer.get("/ask", params={"q": "weather in Paris"})
    assert "not understood</span>" in page.text
    assert "no catalog term matches" in page.text
    assert _links(page.text, "/ask?q=") == {}
    assert "example questions" in page.text
