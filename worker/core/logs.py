"""Logging: one setup for the CLI, the worker and the web service; text or JSON lines.

:func:`configure_logging` is the only place logging is configured (``log_level`` and
``log_format`` settings); the Celery worker calls it from its ``setup_logging`` signal
(:mod:`worker.tasks.app`), so Celery does not install its own handlers.

Context: the job id, Celery task id and object URI a record belongs to live in context
variables, set where each enters (a task's arguments, :func:`log_context`) and added to every
record by the formatters. JSON lines carry ``time``, ``level``, ``logger``, ``message``, those
ids where set, and the fields a caller passes as ``extra={"s3e": {...}}``: counts, kinds and
timings only. An exception adds its type, never its text (it may quote sampled values).

:func:`log_object_result` writes the one INFO line per object, with its outcome and timings.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any, Literal

from models import EnrichmentResult

LogFormat = Literal["text", "json"]

JOB_ID: ContextVar[str | None] = ContextVar("s3e_job_id", default=None)
TASK_ID: ContextVar[str | None] = ContextVar("s3e_task_id", default=None)
OBJECT_URI: ContextVar[str | None] = ContextVar("s3e_object_uri", default=None)

_CONTEXT = (("job_id", JOB_ID), ("task_id", TASK_ID), ("object_uri", OBJECT_URI))

OBJECT_LOGGER = "worker.objects"
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def context() -> dict[str, str]:
    """The job id, task id and object URI set in this context (only those that are set)."""
    return {name: value for name, var in _CONTEXT if (value := var.get()) is not None}


@contextmanager
def log_context(
    job_id: str | None = None, task_id: str | None = None, object_uri: str | None = None
) -> Iterator[None]:
    """Attach the given ids to every record logged inside the block (``None``: unchanged)."""
    tokens = bind_context(job_id=job_id, task_id=task_id, object_uri=object_uri)
    try:
        yield
    finally:
        reset_context(tokens)


def bind_context(
    job_id: str | None = None, task_id: str | None = None, object_uri: str | None = None
) -> list[tuple[ContextVar[str | None], Token[str | None]]]:
    """Set the given ids (``None``: left as they are); :func:`reset_context` undoes it."""
    values = {"job_id": job_id, "task_id": task_id, "object_uri": object_uri}
    return [(var, var.set(values[name])) for name, var in _CONTEXT if values[name] is not None]


def reset_context(tokens: list[tuple[ContextVar[str | None], Token[str | None]]]) -> None:
    """Undo a :func:`bind_context` (in reverse order)."""
    for var, token in reversed(tokens):
        var.reset(token)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    extra = getattr(record, "s3e", None)
    return dict(extra) if isinstance(extra, dict) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context ids and fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (an exception as its type only)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context(),
            **_fields(record),
        }
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's text may quote sampled values.
            line["exc_type"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, with the context ids appended in brackets when set."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """``time LEVEL logger: message [job_id=… task_id=… object_uri=…]``."""
        line = super().format(record)
        ids = context()
        if ids:
            line += " [" + " ".join(f"{k}={v}" for k, v in ids.items()) + "]"
        return line


class _S3eHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure_logging` installs (replaced, never duplicated)."""


def configure_logging(
    level: str, log_format: LogFormat = "text", stream: IO[str] | None = None
) -> None:
    """Log records at ``level`` and above to ``stream`` (standard error), as text or JSON.

    Calling it again replaces its own handler (new level, format or stream). A root logger
    that already has other handlers (configured by someone else, e.g. a test harness) is
    left alone, as :func:`logging.basicConfig` would.
    Side effects: the root logger's handlers and level.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _S3eHandler)]
    if len(ours) != len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    handler = _S3eHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))


def log_object_result(result: EnrichmentResult, duration_s: float) -> None:
    """The one INFO line of an object: outcome, error kind, format, sizes and timings.

    :param duration_s: from the start of the object to its result recorded (``enrich_ms``:
        to its result, before recording; zero for an object that failed early).
    """
    logger = logging.getLogger(OBJECT_LOGGER)
    if not logger.isEnabledFor(logging.INFO):
        return
    kind = result.error.kind if result.error else None
    fmt = result.sample.format if result.sample is not None else None
    fields: dict[str, Any] = {
        "object_uri": result.ref.uri,
        "outcome": result.status.value,
        "error_kind": kind,
        "format": fmt,
        "duration_ms": round(duration_s * 1000, 1),
        "enrich_ms": round(result.duration_s * 1000, 1),
        "bytes_read": result.bytes_read,
        "columns": len(result.columns),
        "pii_columns": sum(1 for c in result.columns if c.entities),
    }
    logger.info(
        "%s: %s%s in %.0f ms (%d bytes read, %d columns, %d with PII)",
        result.ref.uri,
        result.status.value,
        f" ({kind})" if kind else "",
        duration_s * 1000,
        result.bytes_read,
        fields["columns"],
        fields["pii_columns"],
        extra={"s3e": fields},
    )
