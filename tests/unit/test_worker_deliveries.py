"""Delivery counting (the crash-loop guard) and the worker's limits derived from the settings."""

from __future__ import annotations

import pytest

from worker.core.settings import load_settings
from worker.tasks.deliveries import KEY_PREFIX, DeliveryCounter


class MemoryRedis:
    """INCR, EXPIRE and DEL on a dict, recording each key's last expiry."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.ttls: dict[str, int] = {}

    def incr(self, name: str, amount: int = 1) -> int:
        self.values[name] = self.values.get(name, 0) + amount
        return self.values[name]

    def expire(self, name: str, time: int) -> bool:
        self.ttls[name] = time
        return name in self.values

    def delete(self, *names: str) -> int:
        found = [n for n in names if n in self.values]
        for n in names:
            self.values.pop(n, None)
            self.ttls.pop(n, None)
        return len(found)


def test_each_unfinished_delivery_counts_and_the_fourth_is_exhausted() -> None:
    redis = MemoryRedis()
    counter = DeliveryCounter(redis, limit=3, ttl_s=600)
    seen = [counter.arrive("s3e.enrich:t1") for _ in range(4)]  # three processes died
    assert seen == [1, 2, 3, 4]
    assert [counter.exhausted(c) for c in seen] == [False, False, False, True]
    assert redis.ttls == {KEY_PREFIX + "s3e.enrich:t1": 600}


def test_a_finished_delivery_starts_the_count_again_and_tasks_count_apart() -> None:
    redis = MemoryRedis()
    counter = DeliveryCounter(redis, limit=3)
    counter.arrive("a")
    counter.arrive("a")  # the first delivery died; this one finishes (e.g. a retry)
    counter.finish("a")
    assert counter.arrive("a") == 1
    assert counter.arrive("b") == 1
    assert redis.values == {KEY_PREFIX + "a": 1, KEY_PREFIX + "b": 1}
    assert redis.ttls[KEY_PREFIX + "b"] == 24 * 3600


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        DeliveryCounter(MemoryRedis(), limit=0)
    with pytest.raises(ValueError):
        DeliveryCounter(MemoryRedis(), limit=3, ttl_s=0)


def test_default_limits_keep_the_visibility_timeout_short_and_above_the_hard_limit() -> None:
    c = load_settings(None).celery
    assert (c.task_time_limit_s, c.effective_soft_time_limit_s) == (60, 45)
    assert c.effective_visibility_timeout_s == 80
    # An ETA wait plus a whole run stays under the visibility timeout.
    assert c.max_countdown_s + c.task_time_limit_s < c.effective_visibility_timeout_s
    longer = load_settings(None, celery={"visibility_timeout_s": 1800}).celery
    assert longer.effective_visibility_timeout_s == 1800
    shorter = load_settings(
        None,
        celery={
            "visibility_timeout_s": 10,
            "task_time_limit_s": 100,
            "task_soft_time_limit_s": 600,
        },
    ).celery
    assert shorter.effective_visibility_timeout_s == 120
    assert shorter.effective_soft_time_limit_s == 95


def test_the_app_requeues_timeouts_and_beat_flushes_the_outbox_when_atlan_is_on() -> None:
    from worker.tasks.app import make_app

    app = make_app(load_settings(None, atlan={"enabled": True}))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.task_acks_on_timeout is False
    assert app.conf.broker_transport_options["visibility_timeout"] == 80
    assert (app.conf.task_time_limit, app.conf.task_soft_time_limit) == (60, 45)
    flush = app.conf.beat_schedule["atlan-flush"]
    assert flush["task"] == "s3e.atlan_flush" and flush["schedule"] == 30.0
    assert "atlan-flush" not in make_app(load_settings(None)).conf.beat_schedule


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("s3://bucket/key.csv", False),
        ("file:///etc/passwd", True),
        ("/etc/passwd", True),
        ("relative/dir", True),
        ("https://example.com/x", False),
    ],
)
def test_local_paths_are_told_from_s3_uris(uri: str, local: bool) -> None:
    from worker.tasks.tasks import is_local

    assert is_local(uri) is local
