"""The core: ``enrich_object``, its ports, the error tree, settings, sampling, pure rules.

Nothing here imports an adapter, a service or an entry point; nothing here talks to Atlan, a
database or a queue (object bytes arrive through the :class:`~worker.core.ports.ObjectStore`
port). The pure rules that the services apply live here too: the review policy, Atlan
planning (:mod:`worker.core.plan`) and lineage parsing and analysis (:mod:`worker.core.lineage`).
"""
