"""The MCP server: the catalog's tools, declared for agents with the official ``mcp`` SDK.

:func:`build_server` declares each tool (name, what it answers, its arguments with examples,
what it returns) over :class:`~worker.mcp.tools.CatalogTools`, on the services the
composition root built (:func:`worker.bootstrap.build_mcp_services`). The same server runs
over stdio (``enricher mcp``) and streamable HTTP (``/mcp`` on ``enricher serve``, mounted by
:mod:`worker.web.mcp_http`).

Every tool reads, except ``decide_suggestion``, which exists only with
``mcp.allow_decisions`` and, over stdio, a ``--steward`` (see :mod:`worker.mcp.access`).
Refusals and bad arguments come back as tool errors (``isError``) with the reason in words;
anything unexpected as ``internal error (<type>)``, its details in the server's log only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from models.lineage import InvalidDataset
from worker.core.errors import EnrichmentError
from worker.mcp.access import CallerSource
from worker.mcp.tools import AlertStateName, CatalogTools, ReviewStateName, SearchKind

if TYPE_CHECKING:
    from worker.bootstrap import McpServices
    from worker.core.settings import McpSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

NAME = "s3-enricher"
INSTRUCTIONS = """\
s3-enricher's catalog of a data lake: S3 datasets with the PII found per column (entities,
shares of sampled partitions; never values), lineage PostgreSQL -> S3 -> Snowflake -> Looker
with masking per column, alerts, and the steward review queue.
Names: S3 datasets `s3://bucket/prefix/`, tables `postgres:DB.SCHEMA.TABLE` or
`snowflake:DB.SCHEMA.TABLE` (a column: add `.COLUMN`), Looker `looker:dashboard/MODEL::NAME`.
Start with `ask` for a question in plain words, or `search` to find names; then
`get_dataset`, `find_pii`, `lineage_impact`, `lineage_path`, `list_alerts`, `review_queue`.
"""

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DECIDES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)

_URI = (
    "A dataset or table: `s3://bucket/prefix/` (an object or partition in it works too), "
    "`postgres:DB.SCHEMA.TABLE`, `snowflake:DB.SCHEMA.TABLE`, `looker:dashboard/MODEL::NAME`."
)
_LIMIT = "How many items to return at most."

SEARCH = """\
Find datasets, tables and dashboards by name or content. Use it when you have a word
(a table name, a column, a category, a PII entity, a system) and need the catalog's exact
names (URIs) to pass to the other tools.
Every word must match: the URI, a column name, the business category, a PII entity found on
the dataset, or its description (case-insensitive substrings; ranked name > column, category,
PII > description). Example: `search(query="customers email")`,
`search(query="orders", kind="table")`.
Returns {query, terms, total, items: [{kind: dataset|table|dashboard|explore|look, uri,
system, category, pii, matched: {field: [words]}}]}."""

GET_DATASET = """\
Describe one dataset: how it was grouped (objects, bytes, partitions, formats), its business
category and description, the PII found per column (entity -> share of sampled partitions),
its schema version and latest changes, its direct upstream and downstream, open alerts and
how many review items wait. For a table or Looker asset (postgres:, snowflake:, looker:): its
upstream and downstream with PII per column.
Example: `get_dataset(uri="s3://lake/exports/customers/")`.
Returns a dict with `kind` (dataset|table|dashboard|...) and `uri` first."""

FIND_PII = """\
Where personal data is stored: the datasets on which a PII entity holds (found in at least
the configured share of sampled partitions), per column. Filter by entity in plain or
product words (`email`, `EMAIL_ADDRESS`, `ssn`, `US_SSN`, `iban`, `phone`, `person`) and/or
a dataset URI prefix. Use `lineage_impact` to see where it flows from there.
Example: `find_pii(entity="email")`, `find_pii(dataset="s3://lake/exports/")`.
Returns {entity, dataset_prefix, datasets_total, entities: {ENTITY: datasets},
datasets: [{uri, category, columns: [{column, entity, share}]}]}."""

LINEAGE_IMPACT = """\
What breaks if this changes: everything downstream of a table, a column or an S3 dataset
(S3 datasets, Snowflake tables, Looker explores and dashboards), hop by hop, with the columns
the change reaches (when column maps are known) and the PII that reaches each (masking hops
such as sha2(email) stop it). Use it for "what would break if I change/drop ...", "who
consumes ...", "which dashboards use ...".
Example: `lineage_impact(uri="postgres:appdb.public.users")`,
`lineage_impact(uri="postgres:appdb.public.users.email")` (one column).
Returns {start, summary (one sentence), reached: {system or looker kind: count},
downstream_total, with_pii, downstream: [{dataset, system, depth, columns, via, origin,
confidence, pii: {column: [entities]}}]}."""

LINEAGE_PATH = """\
How data gets from one place to another: the shortest chain of lineage hops from `source` to
`target` (tried the other way round too), each hop with its origin (declared, sql, inferred
...), its column map and the columns it masks, and the PII on each dataset along the way.
Use it for "does X flow to Y", "is it masked on the way".
Example: `lineage_path(source="postgres:appdb.public.customers",
target="snowflake:analytics.public.customers")`.
Returns {source, target, found, reversed, hops: [{source, target, origin, confidence,
location, columns: [{source, target, masked}], masked_columns}], datasets: [{uri, kind,
pii}], unmasked_pii_at_end}."""

ASK = """\
Answer a question about the catalog in plain English, offline and deterministically: the
question is parsed into a query over datasets, columns, PII entities, categories, systems,
lineage, review state, alerts and contracts, then run. Use it first for questions like
"Show me all customer data flowing through S3", "What would break if I change the users
table schema?", "Which reports use Singapore transaction data?", "How many datasets have
IBANs?". When it did not understand, `understood` is false and `alternatives` offers the
closest readings: pick one, or use the specific tools.
Example: `ask(question="Where do social security numbers flow unmasked?")`.
Returns {question, interpretation (how it was read, in words), understood,
items: [{kind, name, uri, why}] (the first `limit`, 200 by default), alternatives,
count (every item, listed or not)}."""

LIST_ALERTS = """\
Alerts raised by scans: schema drift, lineage drift, row count and byte anomalies,
freshness, null shares, new PII, broken data contracts. Newest first. Filter by state
(default open), severity, dataset URI and kind (schema_drift, lineage_drift, row_count,
bytes, freshness, null_share, new_pii, contract).
Example: `list_alerts()`, `list_alerts(severity="critical", state="any")`.
Returns {count, alerts: [{id, kind, severity, dataset, subject, message, evidence
(counts/shares), state, first_seen, last_seen, occurrences}]}."""

REVIEW_QUEUE = """\
The steward review queue: suggestions s3-enricher was not sure enough to apply on its own
(PII tags on columns, glossary terms, categories, inferred lineage hops, contract waivers),
with confidence and evidence (counts, shares, masked examples). Default: pending items, most
confident first. Filter by kind (tag, term, category, lineage, contract), entity, object URI
(prefix or glob).
Example: `review_queue()`, `review_queue(entity="EMAIL_ADDRESS", uri="s3://lake/exports/")`.
Returns {filter, total, offset, limit, items: [{id, object_uri, kind, tag, entity, column,
confidence, reason, evidence, state, ...}]}."""

DECIDE = """\
Approve or reject pending review items (ids from `review_queue`) as the calling steward;
an approval is written to Atlan when Atlan is enabled. Rejecting needs a reason. Only for
stewards and admins with a write token; the decision is in the audit log under their name.
Example: `decide_suggestion(ids=[12, 13], decision="approve")`,
`decide_suggestion(ids=[14], decision="reject", reason="free text, not names")`.
Returns {summary, decided: [{id, state}], applied, waiting, decided_by}."""


def _answer(tool: str, call: Callable[[], T]) -> T:
    """Run a tool; refusals and bad arguments become tool errors with the reason."""
    try:
        return call()
    except EnrichmentError as exc:
        raise ToolError(exc.message) from exc
    except InvalidDataset as exc:
        raise ToolError(str(exc)) from exc
    except ToolError:
        raise
    except Exception as exc:
        # Only the type reaches the agent; the traceback stays in this process's log.
        log.exception("MCP tool %s failed", tool)
        raise ToolError(f"internal error ({type(exc).__name__})") from exc


def _version() -> str:
    try:
        return version("s3-enricher")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0"


def build_server(
    services: McpServices,
    settings: McpSettings,
    caller: CallerSource,
    *,
    decisions_possible: bool = True,
) -> MCPServer:
    """The MCP server over ``services``.

    :param settings: the ``mcp`` settings (``allow_decisions`` offers ``decide_suggestion``).
    :param caller: who calls, read in each tool call (:mod:`worker.mcp.access`).
    :param decisions_possible: ``False`` leaves ``decide_suggestion`` out whatever the
        settings say (stdio without ``--steward``: nobody to record decisions as).
    """
    tools = CatalogTools(services, caller)
    server: MCPServer = MCPServer(
        NAME, instructions=INSTRUCTIONS, version=_version(), log_level="WARNING"
    )

    @server.tool(name="search", title="Search the catalog", description=SEARCH,
                 annotations=READ_ONLY)  # fmt: skip
    def search(
        query: Annotated[str, Field(description="Words to find.", examples=["customers email"])],
        kind: Annotated[SearchKind, Field(description="Only items of this kind.")] = "any",
        limit: Annotated[int, Field(ge=1, le=200, description=_LIMIT)] = 20,
    ) -> dict[str, Any]:
        return _answer("search", lambda: tools.search(query, kind, limit))

    @server.tool(name="get_dataset", title="Describe a dataset", description=GET_DATASET,
                 annotations=READ_ONLY)  # fmt: skip
    def get_dataset(
        uri: Annotated[str, Field(description=_URI, examples=["s3://lake/exports/customers/"])],
    ) -> dict[str, Any]:
        return _answer("get_dataset", lambda: tools.get_dataset(uri))

    @server.tool(name="find_pii", title="Find personal data", description=FIND_PII,
                 annotations=READ_ONLY)  # fmt: skip
    def find_pii(
        entity: Annotated[
            str | None,
            Field(description="A PII entity, plain or product words.", examples=["email"]),
        ] = None,
        dataset: Annotated[
            str | None,
            Field(description="Only datasets under this URI prefix.", examples=["s3://lake/"]),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=500, description=_LIMIT)] = 50,
    ) -> dict[str, Any]:
        return _answer("find_pii", lambda: tools.find_pii(entity, dataset, limit))

    @server.tool(name="lineage_impact", title="Downstream impact", description=LINEAGE_IMPACT,
                 annotations=READ_ONLY)  # fmt: skip
    def lineage_impact(
        uri: Annotated[
            str,
            Field(
                description=_URI + " Add `.COLUMN` to a table for one column.",
                examples=["postgres:appdb.public.users", "postgres:appdb.public.users.email"],
            ),
        ],
    ) -> dict[str, Any]:
        return _answer("lineage_impact", lambda: tools.lineage_impact(uri))

    @server.tool(name="lineage_path", title="Path between two datasets",
                 description=LINEAGE_PATH, annotations=READ_ONLY)  # fmt: skip
    def lineage_path(
        source: Annotated[
            str,
            Field(
                description="Where the data starts. " + _URI,
                examples=["postgres:appdb.public.customers"],
            ),
        ],  # fmt: skip
        target: Annotated[
            str,
            Field(
                description="Where it may end up. " + _URI,
                examples=["snowflake:analytics.public.customers"],
            ),
        ],  # fmt: skip
    ) -> dict[str, Any]:
        return _answer("lineage_path", lambda: tools.lineage_path(source, target))

    @server.tool(name="ask", title="Ask in plain English", description=ASK,
                 annotations=READ_ONLY)  # fmt: skip
    def ask(
        question: Annotated[
            str,
            Field(
                description="The question, in English.",
                examples=["Show me all customer data flowing through S3"],
            ),
        ],  # fmt: skip
        limit: Annotated[
            int | None,
            Field(
                description="Items to return at most (default 200, up to 5000); `count` is "
                "always the exact total.",
                ge=1,
                le=5000,
            ),
        ] = None,
    ) -> dict[str, Any]:
        return _answer("ask", lambda: tools.ask(question, limit))

    @server.tool(name="list_alerts", title="List alerts", description=LIST_ALERTS,
                 annotations=READ_ONLY)  # fmt: skip
    def list_alerts(
        state: Annotated[AlertStateName, Field(description="Alert state.")] = "open",
        severity: Annotated[
            Literal["info", "warning", "critical"] | None, Field(description="Only this severity.")
        ] = None,
        dataset: Annotated[
            str | None,
            Field(
                description="Only this dataset's URI.", examples=["s3://lake/exports/customers/"]
            ),
        ] = None,  # fmt: skip
        kind: Annotated[
            str | None, Field(description="Only this kind.", examples=["schema_drift"])
        ] = None,
        limit: Annotated[int, Field(ge=1, le=500, description=_LIMIT)] = 50,
    ) -> dict[str, Any]:
        return _answer(
            "list_alerts", lambda: tools.list_alerts(state, severity, dataset, kind, limit)
        )

    @server.tool(name="review_queue", title="Review queue", description=REVIEW_QUEUE,
                 annotations=READ_ONLY)  # fmt: skip
    def review_queue(
        state: Annotated[ReviewStateName, Field(description="Item state.")] = "pending",
        kind: Annotated[
            str | None, Field(description="tag, term, category, lineage or contract.")
        ] = None,
        entity: Annotated[
            str | None, Field(description="PII entity.", examples=["EMAIL_ADDRESS"])
        ] = None,
        uri: Annotated[
            str | None,
            Field(description="Object URI prefix or glob.", examples=["s3://lake/exports/*"]),
        ] = None,
        sort: Annotated[
            Literal[
                "-confidence", "confidence", "-last_seen", "last_seen", "-first_seen", "object"
            ],
            Field(description="Order (- for descending)."),
        ] = "-confidence",  # fmt: skip
        offset: Annotated[int, Field(ge=0, description="Items to skip (paging).")] = 0,
        limit: Annotated[int, Field(ge=1, le=200, description=_LIMIT)] = 20,
    ) -> dict[str, Any]:
        return _answer(
            "review_queue",
            lambda: tools.review_queue(state, kind, entity, uri, sort, offset, limit),
        )

    if settings.allow_decisions and decisions_possible:

        @server.tool(name="decide_suggestion", title="Approve or reject review items",
                     description=DECIDE, annotations=DECIDES)  # fmt: skip
        def decide_suggestion(
            ids: Annotated[
                list[int], Field(min_length=1, max_length=500, description="Review item ids.")
            ],  # fmt: skip
            decision: Annotated[Literal["approve", "reject"], Field(description="What to do.")],
            reason: Annotated[
                str | None, Field(max_length=2000, description="Why (required to reject).")
            ] = None,
        ) -> dict[str, Any]:
            return _answer(
                "decide_suggestion", lambda: tools.decide_suggestion(ids, decision, reason)
            )

    return server
