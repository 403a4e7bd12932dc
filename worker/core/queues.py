"""Celery's queues, and the Redis keys that hold the messages waiting in each.

One definition for the worker's routing, ``enricher status``, the Prometheus gauge and the
Atlan flush's "is anything else waiting?" (pure: names only, nothing connects).
"""

from __future__ import annotations

#: The queues the worker consumes: objects, job listings, Atlan flushes.
QUEUES = ("enrich", "jobs", "atlan")

#: Celery's Redis transport keeps each priority step in a list of its own,
#: ``<queue>\x06\x16<n>`` (steps 3, 6 and 9 by default); 1-9 covers any configured steps.
PRIORITY_SUFFIXES = ("", *(f"\x06\x16{n}" for n in range(1, 10)))


def queue_keys(queue: str) -> tuple[str, ...]:
    """The Redis keys of ``queue``: its plain list and one per priority step."""
    return tuple(queue + suffix for suffix in PRIORITY_SUFFIXES)
