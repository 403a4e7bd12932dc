"""Delivery counting (the crash-loop guard) and the worker's limits derived from the settings."""

from __future__ import annotations

import pytest

from tests.support.memory_redis import InMemoryRedis
from worker.core.settings import load_settings
from worker.tasks.deliveries import KEY_PREFIX, DeliveryCounter


def test_each_unfinished_delivery_counts_and_the_fourth_is_exhausted() -> None:
    redis = InMemoryRedis()
    counter = DeliveryCounter(redis, limit=3, ttl_s=600)
    seen = [counter.arrive("s3e.enrich:t1") for _ in range(4)]  # three processes died
    assert seen == [1, 2, 3, 4]
    assert [counter.exhausted(c) for c in seen] == [False, False, False, True]
    assert redis.ttls == {KEY_PREFIX + "s3e.enrich:t1": 600}


def test_a_finished_delivery_starts_the_count_again_and_tasks_count_apart() -> None:
    redis = InMemoryRedis()
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
        DeliveryCounter(InMemoryRedis(), limit=0)
    with pytest.raises(ValueError):
        DeliveryCounter(InMemoryRedis(), limit=3, ttl_s=0)


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


def test_the_app_names_its_task_modules_and_routes_the_task_names_of_before() -> None:
    """The app imports no task module (the worker imports them by name); queued messages and
    routes keep their names; nobody reads results, so none are stored."""
    import importlib

    from worker.tasks import names
    from worker.tasks.app import make_app

    app = make_app(load_settings(None, celery={"atlan_rate_limit": "10/m"}))
    assert set(app.conf.include) == set(names.TASK_MODULES)
    assert app.conf.task_routes == {
        "s3e.enrich": {"queue": "enrich"},
        "s3e.list_page": {"queue": "jobs"},
        "s3e.resume": {"queue": "jobs"},
        "s3e.watch_jobs": {"queue": "jobs"},
        "s3e.start_scheduled": {"queue": "jobs"},
        "s3e.atlan_flush": {"queue": "atlan"},
        "s3e.object_removed": {"queue": "enrich"},
        "s3e.compliance_report": {"queue": "jobs"},
    }
    for module in names.TASK_MODULES:
        importlib.import_module(module)
    for name in app.conf.task_routes:
        assert app.tasks[name].ignore_result, name
    assert app.tasks["s3e.atlan_flush"].rate_limit == "10/m"
    assert app.tasks["s3e.enrich"].rate_limit is None


def test_retry_waits_grow_with_jitter_and_stay_under_the_countdown_cap() -> None:
    from worker.tasks.retry import retry_in

    celery = load_settings(None).celery
    waits = [[retry_in(n, celery, base=2) for _ in range(200)] for n in range(6)]
    assert all(1 <= w <= 2 for w in waits[0]) and all(2 <= w <= 4 for w in waits[1])
    assert len({round(w, 3) for w in waits[1]}) > 50  # jittered, not all alike
    assert max(max(w) for w in waits) <= celery.max_countdown_s == 15
    assert all(retry_in(0, celery, base=5, at_least=12) >= 12 for _ in range(50))
    assert retry_in(0, celery, base=5, at_least=600) == 15


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
    from worker.services.jobs.listing import is_local

    assert is_local(uri) is local
