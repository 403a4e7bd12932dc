"""Lineage PostgreSQL → S3 → Snowflake: sources (declared, SQL, inferred), store, impact, Atlan."""
