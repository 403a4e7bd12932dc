"""The lost-message watch's pure parts: which unacknowledged entries hold a job's message,
and which jobs count as stuck. (Against real Redis and kombu: tests/integration/
test_lost_messages.py; a lost message recovered by a real worker: tests/integration/
test_worker.py.)"""

from __future__ import annotations

import json

from worker.tasks.lost import JOB_QUEUES, _holds_job_message, stuck_jobs
from worker.tasks.names import ATLAN_FLUSH, ENRICH, LIST_PAGE, WATCH_JOBS


def _entry(task: str, routing_key: str) -> bytes:
    """An ``unacked`` hash value as kombu writes it: [message, exchange, routing key]."""
    message = {"body": "e30=", "headers": {"task": task, "id": "t-1"}, "properties": {}}
    return json.dumps([message, routing_key, routing_key]).encode()


def test_job_messages_are_held_and_watches_and_flushes_are_not() -> None:
    assert _holds_job_message(_entry(ENRICH, "enrich"), JOB_QUEUES)
    assert _holds_job_message(_entry(LIST_PAGE, "jobs"), JOB_QUEUES)
    assert not _holds_job_message(_entry(WATCH_JOBS, "jobs"), JOB_QUEUES)
    assert not _holds_job_message(_entry(ATLAN_FLUSH, "atlan"), JOB_QUEUES)


def test_an_entry_that_cannot_be_read_counts_as_held() -> None:
    """The safe side: an unreadable entry never lets the watch resend."""
    for raw in (b"not json", b"[]", b'["a", "b", "c"]', json.dumps([None, "x", "enrich"])):
        assert _holds_job_message(raw, JOB_QUEUES)


def test_a_job_is_stuck_only_when_two_quiet_looks_see_the_same_mark() -> None:
    now = {"a": "10:4:1", "b": "10:7:1", "c": "3:0:0"}
    assert stuck_jobs(None, now) == []  # the first quiet look only remembers
    assert stuck_jobs({"a": "10:4:1", "b": "10:6:1"}, now) == ["a"]  # b moved; c is new
    assert stuck_jobs(now, now) == ["a", "b", "c"]
    assert stuck_jobs(now, {}) == []
