"""Everything that touches the world, in four layers (top may import below, never up).

- entry points: :mod:`worker.cli`, :mod:`worker.tasks`, :mod:`worker.web`;
- the composition root :mod:`worker.bootstrap`, which builds every adapter once from settings;
- services: :mod:`worker.services` (review, lineage, jobs);
- adapters: :mod:`worker.adapters` (Atlan, the local catalog database, object stores, SQS);
- core: :mod:`worker.core` (``enrich_object``, ports, errors, settings, sampling, pure policy
  and planning).

The order is enforced by the import contract in ``pyproject.toml`` (``lint-imports``).
"""
