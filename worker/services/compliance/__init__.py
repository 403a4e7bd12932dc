"""Compliance reports: PII inventory, personal-data flows, coverage KPIs, steward activity."""
