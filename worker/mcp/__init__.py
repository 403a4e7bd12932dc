"""The MCP server for AI agents: the catalog's tools over stdio (``enricher mcp``) and HTTP.

:mod:`worker.mcp.server` builds the server from the services the composition root builds
(:func:`worker.bootstrap.build_mcp_services`); :mod:`worker.mcp.tools` turns their answers into
JSON for agents; :mod:`worker.mcp.access` says who is calling and whether they may decide.
``enricher serve`` mounts the HTTP transport at ``/mcp`` behind API tokens
(:mod:`worker.web.mcp_http`). Nothing here connects at import.
"""
