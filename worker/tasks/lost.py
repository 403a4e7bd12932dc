"""Job objects whose task message was lost: found while the broker is quiet, and sent again.

Why: the visibility timeout brings back what a dead worker held *unacknowledged*, but kombu's
Redis transport pops a message (``BRPOP``) before it records it as unacknowledged. A worker
killed as a whole (kill -9, an OOM kill, a node lost) while the popped message still sits in
its socket, unread by a busy event loop, loses that message for good: the job then waits
forever with the object ``queued``. (``enricher job resume`` sends such objects again by
hand; this does it without a person.)

How: every ``celery.lost_check_interval_s`` a worker's main process asks for one
``s3e.watch_jobs`` task (:func:`watch_asker`; one pending across all workers, a Redis key).
The task (:func:`watch`) looks at the broker: when no ``enrich`` or ``jobs`` message at all
waits in a queue or is held unacknowledged by any worker (watch tasks excepted), no running
job has a task left anywhere, so a running job with objects or listing left has lost
messages, unless a message is in flight between a live worker's pop and its record. To rule
that out the job must look the same (objects listed and finished) at two quiet looks at
least one interval apart; then a resume task sends its unfinished objects, and its listing
if unfinished, again, unless the job stopped running meanwhile (a cancel is never undone).
One watch runs at a time (a Redis lock). Duplicates are harmless (a job's object with a
final state is not run again; work is idempotent), so a false alarm costs one extra
delivery, never an object.

The broker must be quiet as a whole: the messages are not read for their job (a queue of a
million objects cannot be read each interval), so while S3-event traffic or another job keeps
``enrich`` busy, a stuck job waits for a lull (``enricher job resume`` does not).

Objects enriched from S3 events outside a job have no job row to notice them by: a lost
message of theirs is recovered by the next scheduled scan.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from worker.core.queues import queue_keys
from worker.tasks.asking import SendTask, once_pending
from worker.tasks.names import RESUME, WATCH_JOBS

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

#: Kombu's Redis transport: the hash of unacknowledged messages (its default key; the app
#: sets no key prefix). Each value is the JSON ``[message, exchange, routing_key]``.
UNACKED_KEY = "unacked"
#: The queues whose messages carry a job forward.
JOB_QUEUES = ("enrich", "jobs")
#: A queue list longer than this is busy without reading it message by message.
READ_AT_MOST = 100
#: Set while a watch task is pending, so that one is asked for per interval, not per worker.
_WATCH_PENDING = "s3e:jobs-watch:pending"
#: Held while a watch runs: two never compare and resend at once.
_WATCH_LOCK = "s3e:jobs-watch:lock"
#: The last quiet look (JSON: its time and the running jobs' progress marks), while recent.
_LAST_QUIET = "s3e:jobs-watch:quiet"


def broker_quiet(redis: Redis, queues: Iterable[str] = JOB_QUEUES) -> bool:
    """Whether no message of ``queues`` waits in Redis or is held unacknowledged.

    Watch tasks (:data:`~worker.tasks.names.WATCH_JOBS`) are not counted, waiting or held:
    the one asking is unacknowledged itself while it runs. One transaction reads the queues'
    lists (every priority step; a list longer than :data:`READ_AT_MOST` is busy unread)
    and the unacknowledged messages, so a message moving between them is seen in one place.

    :raises redis.RedisError: Redis unreachable (the caller looks again next interval).
    """
    names = tuple(queues)
    pipe = redis.pipeline(transaction=True)
    for queue in names:
        for key in queue_keys(queue):
            pipe.lrange(key, 0, READ_AT_MOST)
    pipe.hvals(UNACKED_KEY)
    *waiting, held = pipe.execute()
    for entries in waiting:
        if len(entries) > READ_AT_MOST or any(_task_of(raw) != WATCH_JOBS for raw in entries):
            return False
    return not any(_holds_job_message(raw, names) for raw in held)


def _task_of(raw: bytes | str) -> str | None:
    """The task name of a queued message (kombu's JSON payload), ``None`` when unreadable."""
    try:
        task = json.loads(raw)["headers"]["task"]
    except (ValueError, TypeError, KeyError):
        return None
    return task if isinstance(task, str) else None


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
    clock: Callable[[], float] = time.time,
) -> list[str]:
    """One look: resume the running jobs that lost their messages; return their ids.

    :param open_jobs: the running jobs with work left -> progress marks
        (:meth:`~worker.services.jobs.service.JobService.open_jobs`).
    :param interval_s: the looks' interval: a job is compared with a quiet look at least
        this long before (a nearer one is kept for later), remembered for three intervals.
    :raises redis.RedisError: Redis unreachable.
    Side effects: reads the broker's queues and unacknowledged messages; keeps the last
    quiet look in Redis (forgets it when the broker is busy); sends ``s3e.resume`` (running
    jobs only) per stuck job, and logs it; holds a Redis lock while it runs (another watch
    running meanwhile returns at once).
    """
    if not redis.set(_WATCH_LOCK, "1", nx=True, ex=max(5, int(3 * interval_s))):
        return []
    try:
        return _look(redis, open_jobs, send, interval_s, clock())
    finally:
        redis.delete(_WATCH_LOCK)


def _look(
    redis: Redis,
    open_jobs: Callable[[], Mapping[str, str]],
    send: SendTask,
    interval_s: float,
    now_s: float,
) -> list[str]:
    """:func:`watch` under its lock."""
    if not broker_quiet(redis):
        redis.delete(_LAST_QUIET)
        return []
    marks = dict(open_jobs())
    raw = redis.get(_LAST_QUIET)
    last: dict[str, Any] = json.loads(raw) if raw else {}
    if last and now_s - float(last.get("at", now_s)) < interval_s:
        return []  # too near the last quiet look to tell a lost message from a slow one
    redis.set(
        _LAST_QUIET, json.dumps({"at": now_s, "marks": marks}), ex=max(3, int(3 * interval_s))
    )
    stuck = stuck_jobs(last.get("marks") if last else None, marks)
    for job_id in stuck:
        logger.warning(
            "job %s: unfinished objects and no message left for them in the broker; "
            "sending them again",
            job_id,
        )
        send(RESUME, (job_id, None, True), queue="jobs")
    if stuck:
        redis.delete(_LAST_QUIET)  # the resume's own progress starts the next comparison
    return stuck


def watch_asker(send: SendTask, redis: Redis, interval_s: float) -> Callable[..., None]:
    """A function that sends one ``s3e.watch_jobs`` unless one was sent this interval.

    The task expires unexecuted after ``interval_s``: a backlog on the ``jobs`` queue never
    collects stale watches.
    """
    return once_pending(
        send, redis, WATCH_JOBS, "jobs", _WATCH_PENDING, interval_s, interval_s, "a jobs watch"
    )
