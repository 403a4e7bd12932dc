"""The lineage statement forms of each engine: one module per engine, one handler per form.

Every handler takes ``(statement, ctx, out, location)``, adds edges and problems to ``out``
and raises :class:`~worker.core.lineage.sql.results.NoLineage` when its statement gives no
edge. Which handler a statement goes to is decided in
:mod:`worker.core.lineage.sql.dispatch`.
"""
