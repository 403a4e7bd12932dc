"""Pure dataset rules: grouping, partition selection."""
