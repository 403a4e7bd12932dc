"""Job objects whose task message was lost: found while the broker is quiet, and sent again.

Why: the visibility timeout brings back what a dead worker held *unacknowledged*, but kombu's
Redis transport pops a message (``BRPOP``) before it records it as unacknowledged. A worker
killed as a whole (kill -9, an OOM kill, a node lost) while the popped message still sits in
its socket, unread by a busy event loop, loses that message for good: the job then waits
forever with the object ``queued``. (``enricher job resume`` sends such objects again by
hand; this does it without a person.)

How: every ``celery.lost_check_interval_s`` a worker's main process asks for one
``s3e.watch_jobs`` task (:func:`watch_asker`; one pending across all workers, a Redis key).
The task (:func:`watch`) looks at the broker: when no ``enrich`` or ``jobs`` message waits in
a queue or is held unacknowledged by any worker (watch tasks excepted), no running job has a
task left anywhere, so a running job with objects or listing left has lost messages, unless
a message is in flight between a live worker's pop and its record. To rule that out the job
must look the same (objects listed and finished) at two quiet looks one interval or more
apart; then a resume task sends its unfinished objects, and its listing if unfinished, again.
Duplicates are harmless (a job's object with a final state is not run again; work is
idempotent), so a false alarm costs one extra delivery, never an object.

Objects enriched from S3 events outside a job have no job row to notice them by: a lost
message of theirs is recovered by the next scheduled scan.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from worker.core.queues import queue_keys
from worker.tasks.flush import SendTask
from worker.tasks.names import RESUME, WATCH_JOBS

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

#: Kombu's Redis transport: the hash of unacknowledged messages (its default key; the app
#: sets no key prefix). Each value is the JSON ``[message, exchange, routing_key]``.
UNACKED_KEY = "unacked"
#: The queues whose messages carry a job forward.
JOB_QUEUES = ("enrich", "jobs")
#: Set while a watch task is pending, so that one is asked for per interval, not per worker.
_WATCH_PENDING = "s3e:jobs-watch:pending"
#: The running jobs' progress marks at the last quiet look (JSON), while it is recent.
_LAST_QUIET = "s3e:jobs-watch:quiet"


def broker_quiet(redis: Redis, queues: Iterable[str] = JOB_QUEUES) -> bool:
    """Whether no message of ``queues`` waits in Redis or is held unacknowledged.

    Watch tasks (:data:`~worker.tasks.names.WATCH_JOBS`) are not counted: the one asking is
    unacknowledged itself while it runs.

    :raises redis.RedisError: Redis unreachable (the caller looks again next interval).
    """
    names = tuple(queues)
    pipe = redis.pipeline(transaction=False)
    for queue in names:
        for key in queue_keys(queue):
            pipe.llen(key)
    if any(int(n) for n in pipe.execute()):
        return False
    for _tag, raw in redis.hscan_iter(UNACKED_KEY):
        if _holds_job_message(raw, names):
            return False
    return True


def _holds_job_message(raw: bytes | str, queues: tuple[str, ...]) -> bool:
    """Whether one unacknowledged entry is a message of ``queues`` other than a watch task.

    An entry that cannot be read counts as held (the safe side: no resend).
    """
    try:
        message, _exchange, routing_key = json.loads(raw)
        task = (message.get("headers") or {}).get("task")
    except (ValueError, TypeError, AttributeError):
        return True
    return routing_key in queues and task != WATCH_JOBS


def stuck_jobs(before: Mapping[str, str] | None, now: Mapping[str, str]) -> list[str]:
    """Jobs whose progress mark is the same at two quiet looks (none without an earlier look)."""
    if before is None:
        return []
    return sorted(job for job, mark in now.items() if before.get(job) == mark)


def watch(
    redis: Redis,
    open_jobs: Callable[[], Mapping[str, str]],
    send: SendTask,
    interval_s: float,
) -> list[str]:
    """One look: resume the running jobs that lost their messages; return their ids.

    :param open_jobs: the running jobs with work left -> progress marks
        (:meth:`~worker.services.jobs.service.JobService.open_jobs`).
    :param interval_s: the looks' interval; a quiet look is remembered for three of them.
    :raises redis.RedisError: Redis unreachable.
    Side effects: reads the broker's queues and unacknowledged messages; keeps the last
    quiet look in Redis (forgets it when the broker is busy); sends ``s3e.resume`` per stuck
    job, and logs it.
    """
    if not broker_quiet(redis):
        redis.delete(_LAST_QUIET)
        return []
    now = dict(open_jobs())
    raw = redis.get(_LAST_QUIET)
    before: dict[str, str] | None = json.loads(raw) if raw else None
    redis.set(_LAST_QUIET, json.dumps(now), ex=max(3, int(3 * interval_s)))
    stuck = stuck_jobs(before, now)
    for job_id in stuck:
        logger.warning(
            "job %s: unfinished objects and no message left for them in the broker; "
            "sending them again",
            job_id,
        )
        send(RESUME, (job_id,), queue="jobs")
    if stuck:
        redis.delete(_LAST_QUIET)  # the resume's own progress starts the next comparison
    return stuck


def watch_asker(send: SendTask, redis: Redis, interval_s: float) -> Callable[[], None]:
    """A function that sends one ``s3e.watch_jobs`` unless one was sent this interval.

    The task expires unexecuted after ``interval_s``: a backlog on the ``jobs`` queue never
    collects stale watches.
    """

    def ask() -> None:
        try:
            if redis.set(_WATCH_PENDING, "1", nx=True, ex=max(1, int(interval_s))):
                send(WATCH_JOBS, queue="jobs", expires=interval_s)
        except Exception as exc:  # noqa: BLE001 - the broker is down: the next tick asks again
            logger.warning("could not ask for a jobs watch (%s)", type(exc).__name__)

    return ask
