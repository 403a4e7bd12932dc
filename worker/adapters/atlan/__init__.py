"""Atlan through pyatlan: client, connection, lookups, the writer, preflight, lineage writes."""
