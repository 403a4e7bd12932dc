"""``enricher mcp``: the MCP server for AI agents on standard input and output.

An agent (Claude Desktop, an IDE, any MCP client) starts ``enricher mcp`` and talks JSON-RPC
to it over its stdin and stdout; logs go to standard error. The tools read the local catalog
(``database_url``). Over stdio there is no token: the server is read-only unless
``mcp.allow_decisions`` is on *and* ``--steward USER`` names an active steward or admin, whom
decisions are then recorded as (audit address ``mcp-stdio``). The same server is served over
HTTP by ``enricher serve`` at ``/mcp``, behind API tokens (docs/mcp.md).
"""

from __future__ import annotations

import click

from worker.cli.common import EnricherCliError, load_cli_settings
from worker.core.errors import EnrichmentError


@click.command("mcp")
@click.option(
    "--steward",
    metavar="USER",
    help="Record review decisions as this active steward or admin (with "
    "mcp.allow_decisions; without it the server is read-only).",
)
@click.pass_context
def mcp(ctx: click.Context, steward: str | None) -> None:
    """Serve the catalog to an AI agent over MCP (stdio): search, datasets, PII, lineage, ask.

    Tools: search, get_dataset, find_pii, lineage_impact, lineage_path, ask, list_alerts,
    review_queue (and decide_suggestion with mcp.allow_decisions and --steward).
    Runs until standard input closes.
    """
    from worker.bootstrap import build_mcp_services
    from worker.mcp.access import stdio_caller
    from worker.mcp.server import build_server

    settings = load_cli_settings(ctx)
    try:
        services = build_mcp_services(settings)
        user = None
        if steward is not None:
            if not settings.mcp.allow_decisions:
                raise EnricherCliError(
                    "--steward needs mcp.allow_decisions (ENRICH_MCP__ALLOW_DECISIONS=true)"
                )
            user = services.review.users.get(steward)
            if user is None:
                raise EnricherCliError(f"no user {steward!r} (see `enricher users list`)")
            if not user.active or not user.role.can_decide:
                raise EnricherCliError(
                    f"user {steward!r} may not decide: needs an active steward or admin"
                )
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    server = build_server(
        services, settings.mcp, stdio_caller(user), decisions_possible=user is not None
    )
    server.run("stdio")
