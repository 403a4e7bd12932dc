"""Steward review: the suggestion queue, decisions, users, the web UI and the audit trail."""
