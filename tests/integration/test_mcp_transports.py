"""The MCP server over its two transports, driven by the official SDK's client.

stdio: ``enricher mcp`` as a subprocess (the installed console script), as Claude Desktop
starts it. HTTP: ``/mcp`` on the serve app, on uvicorn on a loopback port (lifespan on: the
MCP session manager runs in it), behind the review users' API tokens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from models.review import Role, SuggestionFilter
from tests.support.cli import ENRICHER, enricher_env, spawn_enricher
from tests.support.compliance_catalog import build_catalog
from tests.support.polling import wait_until
from tests.support.seaweed import free_ports
from worker.bootstrap import build_mcp_services, build_review
from worker.core.settings import load_settings
from worker.mcp.access import http_caller
from worker.mcp.server import build_server
from worker.web.app import create_app

PASSWORD = "correct horse battery"
READ_TOOLS = {"search", "get_dataset", "find_pii", "lineage_impact", "lineage_path", "ask",
              "list_alerts", "review_queue"}  # fmt: skip


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build_catalog(url, monkeypatch)
    built.review.catalog.engine.dispose()
    return url


def test_stdio_enricher_mcp_initializes_lists_tools_and_answers(
    catalog_url: str, tmp_path: Path
) -> None:
    params = StdioServerParameters(
        command=ENRICHER,
        args=["mcp"],
        env=enricher_env({"ENRICH_DATABASE_URL": catalog_url}),
        cwd=tmp_path,
    )

    async def main() -> tuple[Any, set[str], Any]:
        # "legacy": the initialize handshake that Claude Desktop and most clients do.
        async with Client(params, mode="legacy", read_timeout_seconds=120) as client:
            info = client.server_info
            tools = {t.name for t in (await client.list_tools()).tools}
            found = await client.call_tool("find_pii", {"entity": "email"})
        return info, tools, found

    info, tools, found = anyio.run(main)
    assert info is not None and info.name == "s3-enricher"
    assert tools == READ_TOOLS  # read-only: no decide_suggestion
    assert not found.is_error
    assert [d["uri"] for d in found.structured_content["datasets"]] == [
        "s3://lake/exports/customers/"]  # fmt: skip


def test_stdio_steward_needs_the_setting_and_a_steward(catalog_url: str, tmp_path: Path) -> None:
    import subprocess

    review = build_review(load_settings(None, database_url=catalog_url))
    review.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    review.store.catalog.engine.dispose()
    env = enricher_env({"ENRICH_DATABASE_URL": catalog_url})
    args = [ENRICHER, "mcp", "--steward", "vic"]
    run = {"cwd": tmp_path, "capture_output": True, "text": True, "timeout": 120,
           "stdin": subprocess.DEVNULL}  # fmt: skip
    off = subprocess.run(args, env=env, **run)  # type: ignore[call-overload]
    assert off.returncode == 1 and "needs mcp.allow_decisions" in off.stderr
    env["ENRICH_MCP__ALLOW_DECISIONS"] = "true"
    viewer = subprocess.run(args, env=env, **run)  # type: ignore[call-overload]
    assert viewer.returncode == 1 and "may not decide" in viewer.stderr


@contextlib.contextmanager
def _serve(app: Any) -> Iterator[str]:
    """uvicorn in a thread on a free loopback port, with the app's lifespan."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 15, "uvicorn did not start", interval=0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Http:
    url: str
    tokens: dict[str, str]
    review: Any
    decisions: bool  # mcp.allow_decisions


@pytest.fixture(params=[False, True], ids=["read-only", "decisions-on"])
def http(request: pytest.FixtureRequest, catalog_url: str) -> Iterator[Http]:
    settings = load_settings(None, database_url=catalog_url, mcp={"allow_decisions": request.param})
    review = build_review(settings)
    tokens = {}
    for name, role in (("sam", Role.STEWARD), ("vic", Role.VIEWER)):
        review.users.add(name, role, PASSWORD, actor="test")
        for scope in ("read", "write", "lineage"):
            tokens[f"{name}-{scope}"] = review.users.create_token(name, scope, "test", scope=scope)
    server = build_server(
        build_mcp_services(settings, review.store.catalog), settings.mcp, http_caller
    )
    app = create_app(None, lambda _events: None, review=review, mcp=server)
    with _serve(app) as url:
        yield Http(url + "/mcp", tokens, review, request.param)
    review.store.catalog.engine.dispose()


def _session(http: Http, token: str | None, calls: list[tuple[str, dict[str, Any]]]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def main() -> Any:
        async with httpx2.AsyncClient(headers=headers, timeout=60) as client:
            transport = streamable_http_client(http.url, http_client=client)
            async with Client(transport, mode="legacy") as mcp:
                tools = {t.name for t in (await mcp.list_tools()).tools}
                results = [await mcp.call_tool(name, args) for name, args in calls]
        return tools, results

    return anyio.run(main)


def test_http_refuses_requests_without_a_valid_token(http: Http) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    for auth in (
        None,
        "Bearer s3e_not-a-token",
        "Basic c2FtOnB3",
        f"Bearer {http.tokens['sam-write']}x",
    ):
        sent = headers | ({"Authorization": auth} if auth else {})
        done = httpx.post(http.url, json=body, headers=sent, timeout=30)
        assert done.status_code == 401, (auth, done.text)
        assert done.headers["www-authenticate"] == "Bearer"
        assert "tools" not in done.text
    lineage_token = {"Authorization": f"Bearer {http.tokens['sam-lineage']}"}
    lineage = httpx.post(http.url, json=body, headers=headers | lineage_token, timeout=30)
    assert lineage.status_code == 403 and "lineage token" in lineage.json()["message"]
    with pytest.raises(Exception):  # noqa: B017 - the SDK's client fails its handshake
        _session(http, None, [])


def test_http_lists_and_calls_tools_with_a_read_token(http: Http) -> None:
    tools, (path, queue) = _session(
        http,
        http.tokens["vic-read"],
        [
            ("lineage_path", {"source": "postgres:appdb.public.customers",
                              "target": "snowflake:analytics.public.customers"}),
            ("review_queue", {}),
        ],
    )  # fmt: skip
    assert tools == READ_TOOLS | ({"decide_suggestion"} if http.decisions else set())
    assert path.structured_content["found"] is True
    assert len(path.structured_content["hops"]) == 2
    assert queue.structured_content["total"] == 2


def test_http_decisions_need_the_setting_a_write_token_and_a_steward(http: Http) -> None:
    phone = http.review.store.page(SuggestionFilter(entity="PHONE_NUMBER")).items[0].id
    decide = ("decide_suggestion", {"ids": [phone], "decision": "approve"})
    tools, (refused,) = _session(http, http.tokens["sam-read"], [decide])
    assert ("decide_suggestion" in tools) is http.decisions
    if not http.decisions:  # off (the default): no such tool, whoever asks
        assert refused.is_error
        assert http.review.store.count(SuggestionFilter(entity="PHONE_NUMBER")) == 1
        _, (also,) = _session(http, http.tokens["sam-write"], [decide])
        assert also.is_error
        return
    assert refused.is_error and "write API token of a steward" in refused.content[0].text
    _, (viewer,) = _session(http, http.tokens["vic-write"], [decide])
    assert viewer.is_error
    assert http.review.store.count(SuggestionFilter(entity="PHONE_NUMBER")) == 1
    _, (done,) = _session(http, http.tokens["sam-write"], [decide])
    assert not done.is_error, done.content
    assert done.structured_content["decided"] == [{"id": phone, "state": "approved"}]
    audit = http.review.store.audit_entries(actor="sam", action_prefix="suggestion")
    assert audit and audit[0].address == "127.0.0.1"


def _wait_healthy(url: str, proc: Any) -> None:
    def up() -> bool:
        assert proc.poll() is None, "serve exited"
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, 60, "serve did not answer /healthz")


def test_enricher_serve_mounts_mcp_behind_tokens(catalog_url: str, tmp_path: Path) -> None:
    review = build_review(load_settings(None, database_url=catalog_url))
    review.users.add("vic", Role.VIEWER, PASSWORD, actor="test")
    token = review.users.create_token("vic", "agent", "test", scope="read")
    review.store.catalog.engine.dispose()
    (port,) = free_ports(1)
    env = {"ENRICH_DATABASE_URL": catalog_url, "ENRICH_WEB__PORT": str(port)}
    proc = spawn_enricher(["serve"], env, tmp_path, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        assert httpx.post(f"{url}/mcp", json=body, timeout=30).status_code == 401
        http = Http(f"{url}/mcp", {"vic-read": token}, None, False)
        tools, (impact,) = _session(
            http, token, [("lineage_impact", {"uri": "postgres:appdb.public.customers"})]
        )
        assert tools == READ_TOOLS
        assert impact.structured_content["reached"] == {"s3": 1, "snowflake": 1}
    finally:
        proc.terminate()
        proc.wait(15)
    # Off with mcp.http: no /mcp at all.
    (port,) = free_ports(1)
    env |= {"ENRICH_WEB__PORT": str(port), "ENRICH_MCP__HTTP": "false"}
    proc = spawn_enricher(["serve"], env, tmp_path, tmp_path / "serve-off.log")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{url}/mcp", json=body, headers=headers, timeout=30).status_code == 404
    finally:
        proc.terminate()
        proc.wait(15)
