"""Structured logs (issue 19): text or JSON lines, context ids, one INFO line per object.

Each test empties the root logger first (pytest adds its capture handlers just before the test
body runs) and the fixture restores it afterwards, so what is checked is what
:func:`worker.core.logs.configure_logging` installs.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from models import ObjectRef
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog, InMemoryObjectStore
from worker.core.logs import (
    OBJECT_LOGGER,
    configure_logging,
    context,
    log_context,
)
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.settings import Settings

SECRET_VALUE = "jane.doe.4711@example.com"
CSV = b"id,email\n" + b"".join(f"{i},user{i}.{SECRET_VALUE}\n".encode() for i in range(30))


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    logger = logging.getLogger()
    saved, level = logger.handlers[:], logger.level
    try:
        yield logger
    finally:
        logger.handlers = saved
        logger.setLevel(level)


def _bare(root: logging.Logger) -> None:
    """No handler on the root logger (pytest's capture handlers removed until teardown)."""
    root.handlers = []


def _lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_json_lines_carry_the_fields_and_the_context(root: logging.Logger) -> None:
    _bare(root)
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    log = logging.getLogger("worker.test")
    log.info("outside %d", 1)
    with log_context(job_id="job-1", task_id="task-9", object_uri="s3://lake/a.csv"):
        log.warning("inside %s", "a job")
        with log_context(object_uri="s3://lake/b.csv"):  # nested: only the URI changes
            log.info("nested")
    log.debug("below the level")
    first, second, third = _lines(buf)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["message"] == "outside 1" and first["level"] == "INFO"
    assert first["logger"] == "worker.test" and first["time"].endswith("+00:00")
    assert second["level"] == "WARNING" and second["message"] == "inside a job"
    assert (second["job_id"], second["task_id"]) == ("job-1", "task-9")
    assert second["object_uri"] == "s3://lake/a.csv"
    assert third["object_uri"] == "s3://lake/b.csv" and third["job_id"] == "job-1"
    assert context() == {}  # reset on the way out


def test_an_exception_is_logged_by_type_never_by_text(root: logging.Logger) -> None:
    _bare(root)
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    try:
        raise ValueError(f"could not parse {SECRET_VALUE}")
    except ValueError:
        logging.getLogger("worker.test").exception("parsing failed")
    (line,) = _lines(buf)
    assert line["exc_type"] == "ValueError" and line["message"] == "parsing failed"
    assert SECRET_VALUE not in buf.getvalue()


def test_text_format_appends_the_context(root: logging.Logger) -> None:
    _bare(root)
    buf = io.StringIO()
    configure_logging("INFO", "text", buf)
    with log_context(job_id="job-1"):
        logging.getLogger("worker.test").info("hello")
    logging.getLogger("worker.test").info("bye")
    first, second = buf.getvalue().splitlines()
    assert first.endswith("INFO worker.test: hello [job_id=job-1]")
    assert second.endswith("INFO worker.test: bye")


def test_configuring_again_replaces_the_handler_and_respects_foreign_ones(
    root: logging.Logger,
) -> None:
    _bare(root)
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "text", first)
    configure_logging("WARNING", "json", second)
    assert len(root.handlers) == 1 and root.level == logging.WARNING
    logging.getLogger("worker.test").warning("once")
    assert first.getvalue() == "" and _lines(second)[0]["message"] == "once"
    # Someone else configured logging (as basicConfig would): left alone.
    root.handlers = [logging.StreamHandler(io.StringIO())]
    configure_logging("DEBUG", "json", io.StringIO())
    assert len(root.handlers) == 1 and root.level == logging.WARNING


def test_one_info_line_per_object_with_outcome_and_timings(root: logging.Logger) -> None:
    _bare(root)
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    store = InMemoryObjectStore({"s3://lake/a.csv": CSV, "s3://lake/empty.csv": b""})
    deps = Deps(store=store, classifiers=[FakeClassifier()], catalog=InMemoryLocalCatalog())
    for uri in ("s3://lake/a.csv", "s3://lake/empty.csv"):
        enrich_object(ObjectRef.parse(uri), deps, EnrichOptions(run_id="r"))
    lines = [line for line in _lines(buf) if line["logger"] == OBJECT_LOGGER]
    assert [line["object_uri"] for line in lines] == ["s3://lake/a.csv", "s3://lake/empty.csv"]
    classified, empty = lines
    assert classified["level"] == "INFO" and classified["outcome"] == "classified"
    assert classified["format"] == "csv" and classified["error_kind"] is None
    assert classified["bytes_read"] == len(CSV) and classified["columns"] == 2
    assert classified["pii_columns"] == 1
    assert classified["duration_ms"] >= classified["enrich_ms"] > 0
    assert empty["outcome"] == "skipped" and empty["error_kind"] == "empty_object"
    assert SECRET_VALUE not in buf.getvalue()  # counts and kinds, never sampled values


def test_no_object_line_below_info(root: logging.Logger) -> None:
    _bare(root)
    buf = io.StringIO()
    configure_logging("WARNING", "json", buf)
    store = InMemoryObjectStore({"s3://lake/a.csv": CSV})
    deps = Deps(store=store, classifiers=[FakeClassifier()], catalog=InMemoryLocalCatalog())
    enrich_object(ObjectRef.parse("s3://lake/a.csv"), deps, EnrichOptions())
    assert buf.getvalue() == ""


def test_celery_logs_through_the_one_setup(root: logging.Logger) -> None:
    """Celery's setup_logging signal has our receiver: Celery installs no handler of its own,
    and the level comes from the worker's --loglevel."""
    _bare(root)
    from worker.tasks.app import make_app

    app = make_app(Settings(log_format="json"))  # type: ignore[call-arg]
    app.log.setup_logging_subsystem(loglevel=logging.DEBUG)
    assert len(root.handlers) == 1 and root.level == logging.DEBUG
    formatter = root.handlers[0].formatter
    assert formatter is not None and type(formatter).__name__ == "JsonFormatter"


def test_a_task_binds_its_ids_for_its_records(root: logging.Logger) -> None:
    _bare(root)
    from celery import signals

    from worker.tasks.app import make_app

    make_app(Settings())  # type: ignore[call-arg]

    class FakeTask:
        def run(self, uri: str, job_id: str | None = None, force: bool = False) -> None: ...

    task = FakeTask()
    signals.task_prerun.send(
        sender=task, task_id="t-1", task=task, args=("s3://lake/a.csv", "job-7"), kwargs={}
    )
    try:
        assert context() == {"job_id": "job-7", "task_id": "t-1", "object_uri": "s3://lake/a.csv"}
    finally:
        signals.task_postrun.send(sender=task, task_id="t-1", task=task)
    assert context() == {}
    # A task without those arguments gets its task id only.

    class Listing:
        def run(self, bucket: str, key: str) -> None: ...

    other = Listing()
    signals.task_prerun.send(sender=other, task_id="t-2", task=other, args=("b", "k"), kwargs={})
    try:
        assert context() == {"task_id": "t-2"}
    finally:
        signals.task_postrun.send(sender=other, task_id="t-2", task=other)
    assert context() == {}
