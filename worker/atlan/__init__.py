"""Atlan adapter: the CatalogWriter on pyatlan, its planning and its error mapping."""
