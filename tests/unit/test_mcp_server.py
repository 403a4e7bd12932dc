"""The MCP server's tools, called in-process through the SDK's client, on a small SQLite catalog.

The catalog is the compliance tests' (tests/support/compliance_catalog.py): four S3 datasets
(customers with email and SSN columns, patients, orders, logs), lineage PostgreSQL -> S3 ->
Snowflake with a hop that masks email and phone, review items with a planted marker in the
evidence keys a sampled value could hide in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from sqlalchemy import insert

from models.datasets import AlertCandidate, AlertKind, Severity
from models.review import Role, SuggestionFilter, SuggestionState, User
from tests.support.compliance_catalog import MARKER, build_catalog
from worker.adapters.catalog.schema import findings, objects
from worker.bootstrap import McpServices, build_mcp_services
from worker.core.settings import McpSettings, Settings, load_settings
from worker.mcp.access import Caller, stdio_caller
from worker.mcp.server import build_server

TOOLS = {"search", "get_dataset", "find_pii", "lineage_impact", "lineage_path", "ask",
         "list_alerts", "review_queue"}  # fmt: skip
PG = "postgres:appdb.public.customers"
SF = "snowflake:analytics.public.customers"
SF_URI = "snowflake:ANALYTICS.PUBLIC.CUSTOMERS"  # Snowflake folds unquoted names up
CUSTOMERS = "s3://lake/exports/customers/"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = build_catalog(url, monkeypatch)
    # What a scan of one customers object recorded (lineage reads PII from object findings).
    with built.review.catalog.engine.begin() as conn:
        conn.execute(
            insert(objects).values(
                uri=CUSTOMERS + "part-0.parquet",
                bucket="lake",
                key="exports/customers/part-0.parquet",
                status="classified",
                format="parquet",
                scanned_at=datetime(2026, 11, 2, tzinfo=UTC),
            )
        )
        conn.execute(
            insert(findings),
            [
                {
                    "object_uri": CUSTOMERS + "part-0.parquet",
                    "column_name": column,
                    "entity": entity,
                    "classifier": "pii",
                    "confidence": 0.95,
                    "prevalence": 0.9,
                    "evidence": {},
                }
                for column, entity in (("email", "EMAIL_ADDRESS"), ("ssn", "US_SSN"))
            ],
        )
    built.review.catalog.engine.dispose()
    yield load_settings(None, database_url=url)


@pytest.fixture
def services(settings: Settings) -> Iterator[McpServices]:
    built = build_mcp_services(settings)
    yield built
    built.review.store.catalog.engine.dispose()


def _server(services: McpServices, **mcp: Any) -> MCPServer:
    return build_server(services, McpSettings(**mcp), stdio_caller(None))


def _call(server: MCPServer, tool: str, args: dict[str, Any] | None = None) -> Any:
    """The tool's structured result, or ``("error", text)``."""

    async def main() -> Any:
        async with Client(server) as client:
            result = await client.call_tool(tool, args or {})
        if result.is_error:
            return ("error", result.content[0].text)  # type: ignore[union-attr]
        # The text content is the same JSON (clients without structured output read it).
        assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
        return result.structured_content

    return anyio.run(main)


def _tools(server: MCPServer) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        async with Client(server) as client:
            listed = await client.list_tools()
        return {t.name: t for t in listed.tools}

    return anyio.run(main)


def test_tools_are_listed_with_descriptions_examples_and_input_schemas(
    services: McpServices,
) -> None:
    tools = _tools(_server(services))
    assert set(tools) == TOOLS
    for name, tool in tools.items():
        assert len(tool.description) > 300, name
        assert f"{name}(" in tool.description and "Returns" in tool.description, name
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["properties"], name
        for prop, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{prop} has no description"
        assert tool.annotations.read_only_hint is True, name
        assert tool.output_schema is not None  # structured results
    assert tools["lineage_path"].input_schema["required"] == ["source", "target"]
    assert tools["search"].input_schema["properties"]["kind"]["enum"] == [
        "any", "dataset", "table", "dashboard", "explore", "look"]  # fmt: skip


def test_search_finds_datasets_by_name_column_and_pii_and_tables_by_name(
    services: McpServices,
) -> None:
    server = _server(services)
    found = _call(server, "search", {"query": "customers"})
    assert {(i["kind"], i["uri"]) for i in found["items"]} == {
        ("dataset", CUSTOMERS), ("table", PG), ("table", SF_URI)}  # fmt: skip
    assert found["items"][0]["uri"] == CUSTOMERS  # a dataset's name weighs most: 3, ties by URI
    by_column = _call(server, "search", {"query": "ssn"})
    assert [i["uri"] for i in by_column["items"]] == [CUSTOMERS]
    assert by_column["items"][0]["matched"] == {"pii": ["ssn"], "column:ssn": ["ssn"]}
    # Every word must match; the stopwords of a sentence do not count.
    assert _call(server, "search", {"query": "show me the health patients"})["items"][0][
        "uri"] == "s3://lake/exports/patients/"  # fmt: skip
    tables = _call(server, "search", {"query": "customers", "kind": "table"})
    assert [i["uri"] for i in tables["items"]] == [PG, SF_URI]
    assert _call(server, "search", {"query": "nothing-like-this"})["total"] == 0


def test_get_dataset_describes_a_dataset_and_a_table(services: McpServices) -> None:
    server = _server(services)
    d = _call(server, "get_dataset", {"uri": CUSTOMERS + "part-0.parquet"})  # an object in it
    assert d["uri"] == CUSTOMERS and d["kind"] == "dataset"
    assert d["category"] == "customer"
    assert d["pii"] == {"EMAIL_ADDRESS": ["email"], "US_SSN": ["ssn"]}
    assert {c["name"]: c["pii_share"] for c in d["columns"]} == {
        "email": {"EMAIL_ADDRESS": 1.0}, "ssn": {"US_SSN": 0.5}}  # fmt: skip
    assert d["upstream"] == [PG] and d["downstream"] == [SF_URI]
    assert d["pending_review"] == 1  # phone; email was approved
    table = _call(server, "get_dataset", {"uri": SF})
    assert table["kind"] == "table"
    assert [n["dataset"] for n in table["upstream"]] == [CUSTOMERS, PG]
    # Masked on the way in: only the SSN reaches Snowflake as PII.
    assert table["pii"] == {"SSN": ["US_SSN"]}
    missing = _call(server, "get_dataset", {"uri": "s3://lake/nowhere/"})
    assert missing[0] == "error" and "no known dataset holds s3://lake/nowhere/" in missing[1]
    assert _call(server, "get_dataset", {"uri": "mysql:x"})[0] == "error"


def test_find_pii_by_entity_in_plain_words_and_by_prefix(services: McpServices) -> None:
    server = _server(services)
    every = _call(server, "find_pii")
    assert every["entities"] == {"EMAIL_ADDRESS": 1, "PERSON": 1, "US_SSN": 1}
    assert [d["uri"] for d in every["datasets"]] == [CUSTOMERS, "s3://lake/exports/patients/"]
    emails = _call(server, "find_pii", {"entity": "email"})
    assert emails["datasets"] == [
        {"uri": CUSTOMERS, "category": "customer",
         "columns": [{"column": "email", "entity": "EMAIL_ADDRESS", "share": 1.0}]}]  # fmt: skip
    assert _call(server, "find_pii", {"entity": "social ssn"})["datasets_total"] == 0
    assert _call(server, "find_pii", {"entity": "us ssn"})["entities"] == {"US_SSN": 1}
    assert _call(server, "find_pii", {"dataset": "s3://lake/exports/p"})["entities"] == {
        "PERSON": 1}  # fmt: skip


def test_lineage_impact_of_a_table_and_of_one_column(services: McpServices) -> None:
    server = _server(services)
    impact = _call(server, "lineage_impact", {"uri": PG})
    assert [n["dataset"] for n in impact["downstream"]] == [CUSTOMERS, SF_URI]
    assert impact["reached"] == {"s3": 1, "snowflake": 1}
    assert impact["summary"] == f"{PG} feeds 1 S3 dataset and 1 Snowflake table"
    assert impact["downstream"][1]["pii"] == {"SSN": ["US_SSN"]}
    column = _call(server, "lineage_impact", {"uri": PG + ".email"})
    assert [(n["dataset"], n["columns"]) for n in column["downstream"]] == [
        (CUSTOMERS, ["email"]), (SF_URI, ["EMAIL_HASH"])]  # fmt: skip
    bad = _call(server, "lineage_impact", {"uri": "users"})
    assert bad[0] == "error" and "expected postgres:" in bad[1]


def test_lineage_path_hops_with_masking_either_way_round(services: McpServices) -> None:
    server = _server(services)
    path = _call(server, "lineage_path", {"source": PG, "target": SF})
    assert path["found"] is True and path["reversed"] is False
    assert [(h["source"], h["target"]) for h in path["hops"]] == [
        (PG, CUSTOMERS),
        (CUSTOMERS, SF_URI),
    ]
    assert path["hops"][0]["masked_columns"] == []
    assert path["hops"][1]["masked_columns"] == ["EMAIL_HASH", "PHONE"]
    assert [d["uri"] for d in path["datasets"]] == [PG, CUSTOMERS, SF_URI]
    assert path["datasets"][1]["pii"] == {"email": ["EMAIL_ADDRESS"], "ssn": ["US_SSN"]}
    assert path["unmasked_pii_at_end"] is True  # the SSN is copied as it is
    back = _call(server, "lineage_path", {"source": SF, "target": PG})
    assert back["found"] is True and back["reversed"] is True and len(back["hops"]) == 2
    apart = _call(server, "lineage_path",
                  {"source": "postgres:appdb.public.orders", "target": SF})  # fmt: skip
    assert apart["found"] is False and apart["hops"] == []
    assert MARKER not in json.dumps([path, back])  # the hops' SQL quotes a literal


def test_list_alerts_filters_by_state_severity_and_kind(services: McpServices) -> None:
    services.alerts.raise_alerts(
        [
            AlertCandidate(AlertKind.NEW_PII, Severity.CRITICAL, CUSTOMERS, "entity:US_SSN",
                           "US_SSN appeared in ssn", {"share": 0.5}),
            AlertCandidate(AlertKind.NULL_SHARE, Severity.WARNING, CUSTOMERS, "column:email",
                           "email nulls jumped", {"before": 0.0, "after": 0.4}),
        ]
    )  # fmt: skip
    server = _server(services)
    listed = _call(server, "list_alerts")
    assert listed["count"] == 2
    assert {a["kind"] for a in listed["alerts"]} == {"new_pii", "null_share"}
    critical = _call(server, "list_alerts", {"severity": "critical"})
    assert [a["message"] for a in critical["alerts"]] == ["US_SSN appeared in ssn"]
    assert _call(server, "list_alerts", {"kind": "null_share"})["count"] == 1
    assert _call(server, "list_alerts", {"state": "resolved"})["count"] == 0
    assert _call(server, "list_alerts", {"dataset": "s3://lake/raw/logs/"})["count"] == 0
    unknown = _call(server, "list_alerts", {"kind": "weather"})
    assert unknown[0] == "error" and "unknown alert kind" in unknown[1]
    assert _call(server, "get_dataset", {"uri": CUSTOMERS})["open_alerts"][0]["kind"] in (
        "new_pii", "null_share")  # fmt: skip


def test_review_queue_pages_and_filters_without_sample_bearing_evidence(
    services: McpServices,
) -> None:
    server = _server(services)
    queue = _call(server, "review_queue")
    assert queue["total"] == 2
    assert {(i["kind"], i["column"]) for i in queue["items"]} == {
        ("tag", "phone"), ("lineage", None)}  # fmt: skip
    assert all("examples" not in i["evidence"] for i in queue["items"])
    assert queue["items"][0]["evidence"]["prevalence"] == 0.4
    everything = _call(server, "review_queue", {"state": "any", "limit": 200})
    assert everything["total"] == 4
    assert MARKER not in json.dumps(everything)  # planted in every item's "examples"
    phones = _call(server, "review_queue", {"entity": "PHONE_NUMBER"})
    assert [i["column"] for i in phones["items"]] == ["phone"]
    prefix = _call(server, "review_queue", {"uri": "s3://lake/raw/", "state": "any"})
    assert [i["kind"] for i in prefix["items"]] == ["lineage"]
    paged = _call(server, "review_queue", {"state": "any", "limit": 2, "offset": 3})
    assert paged["total"] == 4 and len(paged["items"]) == 1


def test_decisions_are_refused_by_default(services: McpServices) -> None:
    server = _server(services)
    assert "decide_suggestion" not in _tools(server)
    refused = _call(server, "decide_suggestion", {"ids": [1], "decision": "approve"})
    assert refused[0] == "error"
    # The setting alone does not do it over stdio: nobody to record the decision as.
    on = build_server(services, McpSettings(allow_decisions=True), stdio_caller(None),
                      decisions_possible=False)  # fmt: skip
    assert "decide_suggestion" not in _tools(on)
    assert services.review.store.count(SuggestionFilter()) == 2  # still pending


def _fixed(caller: Caller) -> Callable[[], Caller]:
    return lambda: caller


def _pending_phone(services: McpServices) -> int:
    page = services.review.store.page(SuggestionFilter(entity="PHONE_NUMBER"))
    return page.items[0].id


def test_decisions_need_the_setting_and_a_caller_who_may_decide(services: McpServices) -> None:
    viewer = Caller(User("vic", Role.VIEWER), may_decide=False, address="10.0.0.9")
    read_token = Caller(User("sam", Role.STEWARD), may_decide=False, address="10.0.0.9")
    steward = Caller(User("sam", Role.STEWARD), may_decide=True, address="10.0.0.7")
    phone = _pending_phone(services)
    for caller in (viewer, read_token):
        server = build_server(services, McpSettings(allow_decisions=True), _fixed(caller))
        tool = _tools(server)["decide_suggestion"]
        assert tool.annotations.read_only_hint is False
        refused = _call(server, "decide_suggestion", {"ids": [phone], "decision": "approve"})
        assert refused[0] == "error" and "write API token of a steward" in refused[1]
    server = build_server(services, McpSettings(allow_decisions=True), lambda: steward)
    no_reason = _call(server, "decide_suggestion", {"ids": [phone], "decision": "reject"})
    assert no_reason[0] == "error"
    done = _call(server, "decide_suggestion", {"ids": [phone], "decision": "approve"})
    assert done["decided"] == [{"id": phone, "state": "approved"}]
    assert done["decided_by"] == "sam"
    assert done["waiting"] == {str(phone): "Atlan is not enabled"}
    decided = services.review.store.page(SuggestionFilter(state=SuggestionState.APPROVED))
    assert {s.id: s.decided_by for s in decided.items}[phone] == "sam"
    again = _call(server, "decide_suggestion", {"ids": [phone], "decision": "approve"})
    assert again[0] == "error"  # not pending any more


def test_unexpected_failures_name_only_their_type(services: McpServices) -> None:
    def broken(question: str, limit: int | None = None) -> dict[str, Any]:
        raise RuntimeError(f"boom {question}")

    server = _server(
        McpServices(services.datasets, services.lineage, services.alerts, services.review, broken)
    )
    failed = _call(server, "ask", {"question": f"where is {MARKER}"})
    assert failed[0] == "error" and failed[1].endswith("internal error (RuntimeError)")
    assert MARKER not in failed[1]


def test_ask_answers_with_the_ask_services_json_contract(services: McpServices) -> None:
    server = _server(services)
    answer = _call(server, "ask", {"question": "Which datasets have emails?"})
    assert set(answer) >= {"question", "interpretation", "understood", "items", "alternatives"}
    assert answer["question"] == "Which datasets have emails?"
    assert answer["understood"] is True
    assert CUSTOMERS in {i["uri"] for i in answer["items"]}
    nonsense = _call(server, "ask", {"question": "purple elephants dancing quietly"})
    assert nonsense["understood"] is False
    assert _call(server, "ask", {"question": "  "})[0] == "error"


def test_ask_passes_a_limit_on_items_and_keeps_the_count(services: McpServices) -> None:
    server = _server(services)
    question = f"What would break if I change {PG}?"
    whole = _call(server, "ask", {"question": question})
    assert whole["count"] >= 2 and len(whole["items"]) == whole["count"]  # under the default
    cut = _call(server, "ask", {"question": question, "limit": 1})
    assert cut["count"] == whole["count"]
    assert cut["items"] == whole["items"][:1]
    assert "the first 1 of" in cut["interpretation"]
    assert _call(server, "ask", {"question": question, "limit": 0})[0] == "error"
