"""Questions in plain language parsed into a small typed query over the catalog (pure)."""
