"""Everything that touches the world: storage, sampling, catalog, CLI, settings."""
