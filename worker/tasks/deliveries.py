"""How many times a task was delivered without finishing: the guard against crash loops.

With ``acks_late`` and ``task_reject_on_worker_lost`` a task whose pool process dies (out of
memory, a segfault in a native library, the hard time limit) goes back to the queue and runs
again; so does every task of a worker killed as a whole, after the visibility timeout. An
object that kills its process every time would come back forever. :class:`DeliveryCounter`
counts, in Redis, the deliveries of one task id that started and never finished: the count is
raised when a delivery starts and removed when the task ends in any way Python sees (a
result, an exception, a retry). Only a delivery whose process died leaves it behind, so the
count a delivery sees is one more than the number of its predecessors that died.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

#: Redis key prefix of the counters; the task id follows.
KEY_PREFIX = "s3e:deliveries:"


class CounterStore(Protocol):
    """The part of a Redis client the counter uses."""

    def incr(self, name: str, amount: int = 1) -> int:
        """Redis INCR."""
        ...

    def expire(self, name: str, time: int) -> bool:
        """Redis EXPIRE."""
        ...

    def delete(self, *names: str) -> int:
        """Redis DEL."""
        ...

    def pipeline(self, transaction: bool = True) -> Any:
        """Redis pipeline: the calls above queued, sent in one round trip by ``execute()``."""
        ...


class DeliveryCounter:
    """Counts unfinished deliveries per task id in Redis.

    :param redis: a Redis client (the broker's).
    :param limit: deliveries that may die; the next one is refused (:meth:`exhausted`).
    :param ttl_s: how long a count outlives its last delivery; it must exceed the time a
        task takes to come back ``limit`` times (visibility timeout and run time each), so a
        day is ample, and a task id is never sent again, so nothing is lost when it expires.
    :raises ValueError: ``limit`` or ``ttl_s`` below 1.
    """

    def __init__(self, redis: CounterStore, limit: int, ttl_s: int = 24 * 3600) -> None:
        if limit < 1 or ttl_s < 1:
            raise ValueError("limit and ttl_s must be at least 1")
        self.redis = redis
        self.limit = limit
        self.ttl_s = ttl_s

    def arrive(self, task_id: str) -> int:
        """Count a delivery of ``task_id`` that starts now; return the count (1 the first time).

        Side effects: INCR and EXPIRE on the task's key, in one round trip.
        """
        key = KEY_PREFIX + task_id
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, self.ttl_s)
        count, _ = pipe.execute()
        return int(count)

    def exhausted(self, count: int) -> bool:
        """Whether a delivery that saw ``count`` follows ``limit`` deliveries that died."""
        return count > self.limit

    def finish(self, task_id: str) -> None:
        """Forget ``task_id``'s count: its delivery ended without its process dying.

        Side effects: DEL on the task's key.
        """
        self.redis.delete(KEY_PREFIX + task_id)


@contextmanager
def counted(counter: DeliveryCounter, task: Task) -> Iterator[int]:
    """Count this delivery of ``task`` while the body runs; yield the count.

    The count is forgotten when the body ends in any way Python sees (a retry too); only a
    process that dies leaves it behind for the next delivery to see. A task run without an
    id (eagerly, in tests) counts as a first delivery.

    Side effects: :meth:`DeliveryCounter.arrive` and :meth:`DeliveryCounter.finish`.
    """
    # Named by task and id, so an operator (or a test) can tell what keeps dying.
    task_id = f"{task.name}:{task.request.id}" if task.request.id else None
    count = counter.arrive(task_id) if task_id else 1
    try:
        yield count
    finally:
        if task_id:
            try:
                counter.finish(task_id)
            except Exception as exc:  # noqa: BLE001 - the count then expires on its own
                logger.warning("could not clear the delivery count (%s)", type(exc).__name__)


def give_up_message(task: Task, count: int) -> str:
    """Why a delivery is refused after ``count - 1`` deliveries whose process died."""
    return (
        f"{task.name}: delivered {count} times, its worker process died on the first "
        f"{count - 1}; not run again"
    )
