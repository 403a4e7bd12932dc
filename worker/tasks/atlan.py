"""The ``atlan`` queue's task: flush the outbox to Atlan (:class:`~worker.tasks.flush.AtlanFlush`).

Asked for by enrich tasks (after a short delay, to batch), by every worker at start and every
``celery.atlan_flush_interval_s``, and by ``enricher beat``; rate-limited by
``celery.atlan_rate_limit`` (a task annotation in :mod:`worker.tasks.app`). Nobody reads its
result (``ignore_result``).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from worker.tasks import names, runtime


@shared_task(name=names.ATLAN_FLUSH, ignore_result=True)
def atlan_flush() -> dict[str, Any]:
    """Write the outbox to Atlan in batches; one flush at a time across all workers."""
    return runtime.current().flush.run()
