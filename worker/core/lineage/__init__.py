"""Lineage rules, pure: SQL and declared-YAML parsing, impact analysis, PII as evidence."""
