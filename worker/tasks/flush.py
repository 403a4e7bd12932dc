"""The Atlan outbox flush across workers: one flusher at a time, time-boxed, backed off in Redis.

Enrich tasks put each object's desired Atlan state in the outbox (the local catalog) and ask
for a flush (:meth:`AtlanFlush.schedule`); the ``s3e.atlan_flush`` task runs
:meth:`AtlanFlush.run`, which writes the outbox in batches under a short Redis lock. The lock
is kept alive by the writer's ``on_request`` hook, wired once per process to
:meth:`AtlanFlush.keep_alive` by :func:`worker.tasks.runtime.build_runtime`; it extends the
lock only while a flush holds it. Nothing is swapped on the writer or the review service per
flush: both are built once per process and given to :class:`AtlanFlush`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from billiard.exceptions import SoftTimeLimitExceeded

from worker.core.queues import queue_keys
from worker.core.settings import CelerySettings
from worker.tasks.asking import SendTask, once_pending
from worker.tasks.names import ATLAN_FLUSH

if TYPE_CHECKING:
    from redis import Redis
    from redis.lock import Lock

    from worker.adapters.atlan.writer import AtlanCatalogWriter

logger = logging.getLogger(__name__)

_FLUSH_LOCK = "s3e:atlan-flush:lock"
FLUSH_PENDING = "s3e:atlan-flush:pending"
#: Set while Atlan asked us to wait (or failed): flushes return at once until it expires.
_FLUSH_BACKOFF = "s3e:atlan-flush:backoff"
#: Consecutive failed flushes, for the growing pause.
_FLUSH_FAILURES = "s3e:atlan-flush:failures"
_LOCK_TTL = 20
#: Outbox entries per writer call within one flush task.
_FLUSH_CHUNK = 100


class AtlanFlush:
    """Writes the Atlan outbox in batches; asks for flushes without flooding the queue.

    :param redis: the broker's Redis (lock, pending flag, back-off, failure count).
    :param writer: the process's Atlan writer; ``None`` when Atlan is off (flushes no-op).
    :param apply_approved: delivers stewards' approvals Atlan has not confirmed yet (they
        were decided while it was down), after an outbox that went out whole; ``None``: skip.
    :param celery: the Celery settings (soft time limit, flush delay, countdown cap).
    :param send: sends a task by name (the app's ``send_task``).
    :param clock: the time budget's clock (tests move it on).
    """

    def __init__(
        self,
        redis: Redis,
        writer: AtlanCatalogWriter | None,
        apply_approved: Callable[[], object] | None,
        celery: CelerySettings,
        send: SendTask,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.writer = writer
        self.apply_approved = apply_approved
        self.celery = celery
        self.send = send
        self.clock = clock
        #: The lock of the flush running in this process, if any (see :meth:`keep_alive`).
        self._lock: Lock | None = None

    def keep_alive(self) -> None:
        """Extend the running flush's lock (the writer calls this after every request).

        A short lock, extended after every request: a flusher that dies (kill -9) frees it
        within ``_LOCK_TTL`` seconds instead of blocking every later flush.
        """
        if self._lock is not None:
            self._lock.extend(_LOCK_TTL, replace_ttl=True)

    def schedule(self, delay: float | None = None) -> None:
        """Ask for one flush within ``atlan_flush_delay_s`` (collecting writes till then).

        With no ``delay`` given and no other object waiting in the ``enrich`` queue, the
        flush is asked for at once: nothing more would come to batch, and waiting would only
        add the delay to an S3 event's latency. A bulk job keeps batching while its objects
        wait.

        Side effects: reads the pending flag and the queue's length (one round trip) and sets
        the flag in Redis; sends ``s3e.atlan_flush`` unless one is pending already.
        """
        if delay is None:
            wait = self.celery.atlan_flush_delay_s
            if wait > 0:
                pending, empty = self._pending_and_queue_empty()
                if pending:
                    # The SET NX below would not take: a flush is asked for already. Most
                    # objects of a bulk job end here, one round trip instead of two.
                    return
                if empty:
                    wait = 0.0
        else:
            wait = delay
        wait = min(wait, self.celery.max_countdown_s)
        if self.redis.set(FLUSH_PENDING, "1", nx=True, ex=max(1, int(wait) + 1)):
            self.send(ATLAN_FLUSH, countdown=wait, queue="atlan")

    def _pending_and_queue_empty(self) -> tuple[bool, bool]:
        """Whether a flush is pending, and whether no message waits in the ``enrich`` queue.

        One pipelined round trip. A Redis error: assume no flush is pending and messages do
        wait (the SET that follows then decides, or raises).
        Messages a worker has prefetched are not counted: they are being worked on.
        """
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.exists(FLUSH_PENDING)
            for key in queue_keys("enrich"):
                pipe.llen(key)
            pending, *lengths = pipe.execute()
            return bool(pending), sum(int(n) for n in lengths) == 0
        except Exception as exc:  # noqa: BLE001 - keep batching; the flush is asked below
            logger.warning("could not read the enrich queue's length (%s)", type(exc).__name__)
            return False, False

    def run(self) -> dict[str, Any]:
        """Write the outbox to Atlan in batches; one flush at a time across all workers.

        Time-boxed: no new batch starts after half the soft time limit; what is left is
        handed to another flush. A failed flush (Atlan down, Retry-After) sets a back-off in
        Redis that later flushes respect (the periodic flush asks again); no task waits on
        an ETA longer than the visibility timeout allows.

        :returns: counts (``written``, ``requests``) and how it ended (``more``, ``busy``,
            ``backoff``, ``backoff_s``).
        Side effects: Atlan writes; the outbox; the lock, flags and back-off in Redis.
        """
        self.redis.delete(FLUSH_PENDING)
        writer = self.writer
        if writer is None:
            return {"written": 0}
        if self.redis.exists(_FLUSH_BACKOFF):
            return {"written": 0, "backoff": True}
        lock = self.redis.lock(_FLUSH_LOCK, timeout=_LOCK_TTL, blocking_timeout=0)
        if not lock.acquire(blocking=False):
            # Another flush is running; one more comes for what it did not see.
            self.schedule(delay=2)
            return {"written": 0, "busy": True}
        self._lock = lock
        deadline = self.clock() + self.celery.effective_soft_time_limit_s / 2
        written = requests = 0
        error: str | None = None
        retry_after: float | None = None
        more = False
        try:
            items = writer.state.outbox_items()
            for start in range(0, len(items), _FLUSH_CHUNK):
                if self.clock() > deadline:
                    more = True
                    break
                report = writer.write(items[start : start + _FLUSH_CHUNK])
                written += report.objects
                requests += report.requests
                if report.error:
                    error, retry_after = report.error, report.retry_after_s
                    break
            if error is None and not more and self.apply_approved is not None:
                self.apply_approved()
        except SoftTimeLimitExceeded:
            more = True
        finally:
            self._lock = None
            try:
                lock.release()
            except Exception:  # expired meanwhile: nothing to release
                logger.warning("Atlan flush lock had expired before release")
        if error is not None:
            pause = self._back_off(retry_after)
            return {"written": written, "requests": requests, "backoff_s": pause}
        self.redis.delete(_FLUSH_FAILURES)
        if more:
            self.schedule(delay=0)
        return {"written": written, "requests": requests, "more": more}

    def _back_off(self, retry_after: float | None) -> float:
        """Pause flushes after a failure; return the pause in seconds.

        5 s, doubling per consecutive failure, up to 300 s; never shorter than Atlan's
        Retry-After. What failed stays in the outbox, durable. Refused assets
        (``report.rejected``) wait there too but do not count as a failed flush: the next
        flush tries them again.
        """
        failures = int(self.redis.incr(_FLUSH_FAILURES))
        self.redis.expire(_FLUSH_FAILURES, 3600)
        pause = max(min(300.0, 5.0 * 2.0 ** min(failures - 1, 6)), retry_after or 0.0)
        self.redis.set(_FLUSH_BACKOFF, "1", ex=max(1, int(pause)))
        return pause


def flush_asker(send: SendTask, redis: Redis, interval: float) -> Callable[..., None]:
    """A function that sends one ``s3e.atlan_flush`` unless one is pending already.

    The flush returns at once when the outbox is empty, so asking is cheap; it expires
    unexecuted after ``interval`` (the next ask replaces it). ``ask(True)`` sends regardless.
    """
    return once_pending(
        send, redis, ATLAN_FLUSH, "atlan", FLUSH_PENDING, 5, interval, "an Atlan flush"
    )
