"""Lineage: loading edges from SQL, YAML and inference; impact; PII evidence along hops."""
