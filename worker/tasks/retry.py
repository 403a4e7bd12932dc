"""Retry waits: exponential, capped so an ETA task stays under the visibility timeout, jittered.

The tasks retry explicitly (``self.retry(countdown=...)``) rather than with Celery's
``autoretry_for``, because each one has something to do when its retries are spent (mark the
object failed, end a job's listing) and some honour a ``Retry-After``; the wait is computed
here the way ``retry_backoff``/``retry_jitter`` would, with the cap from the settings.
"""

from __future__ import annotations

import random

from worker.core.settings import CelerySettings


def retry_in(retries: int, celery: CelerySettings, *, base: float, at_least: float = 0.0) -> float:
    """Seconds to wait before retry number ``retries + 1``.

    "Equal jitter": between half and all of ``base * 2**retries``, so workers that failed
    together (S3 throttling, an Atlan outage) do not all come back in the same second, and
    none comes back at once. Never below ``at_least`` (e.g. a Retry-After), never above
    ``celery.max_countdown_s`` (an ETA wait plus a run must stay under the visibility
    timeout, or the broker hands the task out twice).
    """
    cap = celery.max_countdown_s
    ceiling = min(cap, base * 2.0 ** min(retries, 16))
    wait = ceiling / 2 + random.uniform(0, ceiling / 2)
    return min(cap, max(wait, at_least))
