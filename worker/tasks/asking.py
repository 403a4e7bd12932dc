"""Asking for a task from a worker's event loop at most once per period, across all workers.

The Atlan flush (:func:`worker.tasks.flush.flush_asker`) and the lost-message watch
(:func:`worker.tasks.lost.watch_asker`) are asked for this way: a Redis key set with NX
marks one as pending, so N workers ticking on the same interval send one, not N; the task
expires unexecuted, so a backlog never collects stale ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)


class SendTask(Protocol):
    """``Celery.send_task``: queue a task by name."""

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Send task ``name``."""
        ...


def once_pending(
    send: SendTask,
    redis: Redis,
    task: str,
    queue: str,
    pending_key: str,
    pending_s: float,
    expires_s: float,
    what: str,
) -> Callable[..., None]:
    """A function ``ask(always=False)`` that sends ``task`` unless one is pending already.

    :param pending_key: the Redis key that marks one pending, for ``pending_s`` seconds.
    :param expires_s: the task expires unexecuted after this long.
    :param what: the task in words, for the warning when the broker is down.
    Side effects of ``ask``: SET NX on ``pending_key``; sends the task (``always``: whatever
    the key says); logs a warning instead of raising when Redis or the broker fails (the
    next tick asks again).
    """

    def ask(always: bool = False) -> None:
        try:
            if redis.set(pending_key, "1", nx=True, ex=max(1, int(pending_s))) or always:
                send(task, queue=queue, expires=expires_s)
        except Exception as exc:  # noqa: BLE001 - the broker is down: the next tick asks again
            logger.warning("could not ask for %s (%s)", what, type(exc).__name__)

    return ask
