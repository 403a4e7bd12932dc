"""Parse S3 event notifications into :class:`ObjectEvent` values, and collapse duplicates.

Accepted documents (as an SQS message body, or a webhook body from MinIO/Ceph):

* an S3 event: ``{"Records": [{"eventName": "ObjectCreated:Put", "s3": {...}}, ...]}``;
* the same wrapped by SNS: ``{"Type": "Notification", "Message": "<the S3 event as JSON>"}``;
* the test message S3 sends when a notification configuration is saved,
  ``{"Event": "s3:TestEvent", ...}``: it parses to no events.

``ObjectCreated:*`` records become ``created`` events and ``ObjectRemoved:*`` records (including
``DeleteMarkerCreated``) become ``removed`` events; the ``s3:`` prefix MinIO puts on event names
is accepted. Any other event (``ObjectRestore``, ``ObjectTagging``, ``ObjectAccessed``...) is
ignored. Keys arrive form-encoded (``a+b%C3%A9.csv``) and are decoded with
:func:`urllib.parse.unquote_plus`.

A document parses completely or raises :class:`InvalidEvent`, whose message names the field
(``Records[0].s3.object.key: ...``) and never quotes the body or a value from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from worker.core.errors import EnrichmentError

EventKind = Literal["created", "removed"]

_KIND_BY_PREFIX: dict[str, EventKind] = {
    "ObjectCreated:": "created",
    "ObjectRemoved:": "removed",
}
_TEST_EVENT = "s3:TestEvent"
_HEX = re.compile(r"[0-9A-Fa-f]+")
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class InvalidEvent(EnrichmentError):
    """An event notification that cannot be parsed; retrying will not help.

    The message names the offending field and never quotes the body.
    """

    kind = "invalid_event"
    retryable = False


class TooManyRecords(InvalidEvent):
    """A document with more records than the caller accepts at once (the webhook: 413)."""

    kind = "too_many_records"


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """One object created in or removed from a bucket, as told by an S3 event record.

    :ivar kind: ``"created"`` (``ObjectCreated:*``) or ``"removed"`` (``ObjectRemoved:*``).
    :ivar bucket: the bucket name.
    :ivar key: the object key, decoded (``unquote_plus``).
    :ivar version_id: the object version, on versioned buckets; else ``None``.
    :ivar etag: the ETag without quotes; ``None`` when absent (S3 omits it on removals).
    :ivar size: the object size in bytes; ``None`` when absent (S3 omits it on removals).
    :ivar sequencer: S3's per-key ordering token (hex, upper-cased); ``None`` when absent
        (moto and some S3-compatible servers send none).
    :ivar event_time: when the event happened (UTC); ``None`` when absent.
    """

    kind: EventKind
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int | None
    sequencer: str | None
    event_time: datetime | None


def parse_message(body: str | bytes) -> list[ObjectEvent]:
    """Parse one SQS message body (or webhook body) into the object events it carries.

    Returns an empty list for ``s3:TestEvent`` and for documents whose records are all of
    other event types.

    :raises InvalidEvent: the body is not UTF-8 JSON, or not one of the accepted documents, or
        a record lacks or mistypes a required field.
    Side effects: none.
    """
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEvent(f"body: not UTF-8 (invalid byte at offset {exc.start})") from exc
    document = _loads(body, "body")
    return parse_document(document)


def parse_document(document: object, max_records: int | None = None) -> list[ObjectEvent]:
    """Parse an already decoded notification document (see the module docstring).

    :param max_records: refuse a document with more records than this (``None``: no limit).
    :raises TooManyRecords: more than ``max_records`` records (checked before parsing any).
    :raises InvalidEvent: as for :func:`parse_message`.
    Side effects: none.
    """
    return _parse_document(document, "body", sns_allowed=True, max_records=max_records)


def _parse_document(
    document: object, where: str, *, sns_allowed: bool, max_records: int | None = None
) -> list[ObjectEvent]:
    """Dispatch on the document's shape; ``where`` names it in error messages."""
    if not isinstance(document, Mapping):
        raise InvalidEvent(f"{where}: expected a JSON object, got {_json_type(document)}")
    if "Records" in document:
        records = document["Records"]
        if not isinstance(records, list):
            raise InvalidEvent(f"{where}.Records: expected an array, got {_json_type(records)}")
        if max_records is not None and len(records) > max_records:
            raise TooManyRecords(
                f"{where}.Records: {len(records)} records in one document, at most {max_records}"
            )
        events: list[ObjectEvent] = []
        for index, record in enumerate(records):
            event = parse_record(record, f"{where}.Records[{index}]")
            if event is not None:
                events.append(event)
        return events
    if document.get("Event") == _TEST_EVENT:
        return []
    if "Type" in document and sns_allowed:
        kind = document["Type"]
        if kind != "Notification":
            raise InvalidEvent(
                f"{where}.Type: expected 'Notification' for an SNS message, got {_short(kind)}"
            )
        message = document.get("Message")
        if not isinstance(message, str):
            raise InvalidEvent(
                f"{where}.Message: expected a string holding the S3 event, got "
                f"{_json_type(message)}"
            )
        inner = _loads(message, f"{where}.Message")
        return _parse_document(
            inner, f"{where}.Message", sns_allowed=False, max_records=max_records
        )
    if "Event" in document:
        raise InvalidEvent(f"{where}.Event: not an S3 event document (only s3:TestEvent is known)")
    raise InvalidEvent(
        f"{where}: not an S3 event notification (no Records, no SNS Type/Message, no s3:TestEvent)"
    )


def parse_record(record: object, where: str = "record") -> ObjectEvent | None:
    """Parse one element of ``Records``; ``None`` for event types other than created/removed.

    :param where: how error messages name the record, e.g. ``body.Records[2]``.
    :raises InvalidEvent: a required field (``eventName``, ``s3.bucket.name``,
        ``s3.object.key``) is missing or mistyped, or an optional one is mistyped.
    Side effects: none.
    """
    if not isinstance(record, Mapping):
        raise InvalidEvent(f"{where}: expected a JSON object, got {_json_type(record)}")
    name = _required_str(record, "eventName", where)
    kind = _kind(name)
    if kind is None:
        return None
    s3 = _object(record, "s3", where)
    bucket = _object(s3, "bucket", f"{where}.s3")
    obj = _object(s3, "object", f"{where}.s3")
    bucket_name = _required_str(bucket, "name", f"{where}.s3.bucket")
    raw_key = _required_str(obj, "key", f"{where}.s3.object")
    try:
        key = unquote_plus(raw_key, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"{where}.s3.object.key: percent-encoded bytes are not UTF-8") from exc
    etag = _optional_str(obj, "eTag", f"{where}.s3.object")
    if etag is not None:
        etag = etag.strip('"') or None
    sequencer = _optional_str(obj, "sequencer", f"{where}.s3.object")
    if sequencer is not None:
        if not _HEX.fullmatch(sequencer):
            raise InvalidEvent(f"{where}.s3.object.sequencer: not a hexadecimal string")
        sequencer = sequencer.upper()
    return ObjectEvent(
        kind=kind,
        bucket=bucket_name,
        key=key,
        version_id=_optional_str(obj, "versionId", f"{where}.s3.object") or None,
        etag=etag,
        size=_optional_size(obj, f"{where}.s3.object"),
        sequencer=sequencer,
        event_time=_optional_time(record, "eventTime", where),
    )


def collapse(events: Iterable[ObjectEvent]) -> list[ObjectEvent]:
    """Reduce ``events`` to the latest event per object key (bucket and key).

    Duplicates of one upload (S3's at-least-once redelivery; multipart and copy uploads that
    produce several ``created`` events with one ETag) collapse to one, and of several events
    for one key only the latest survives, since it alone describes the key's current state.

    "Latest" follows S3's documented rule: the highest ``sequencer``, compared as hex strings
    after left-padding with zeros to equal length. When any event of a key has no sequencer,
    ``event_time`` decides instead (a missing time counts as earliest); ties go to the event
    that came later in ``events``. The result keeps the order in which keys first appeared.

    Side effects: none.
    """
    groups: dict[tuple[str, str], list[ObjectEvent]] = {}
    for event in events:
        groups.setdefault((event.bucket, event.key), []).append(event)
    return [_latest(group) for group in groups.values()]


def _latest(group: Sequence[ObjectEvent]) -> ObjectEvent:
    """The latest of several events on one key (see :func:`collapse`)."""
    if len(group) == 1:
        return group[0]
    if all(event.sequencer is not None for event in group):
        width = max(len(event.sequencer or "") for event in group)
        return group[max(range(len(group)), key=lambda i: _by_sequencer(group[i], width, i))]
    return group[max(range(len(group)), key=lambda i: _by_time(group[i], i))]


def _by_sequencer(event: ObjectEvent, width: int, index: int) -> tuple[str, int]:
    """Sort key: the zero-padded sequencer, then the position."""
    return (event.sequencer or "").rjust(width, "0"), index


def _by_time(event: ObjectEvent, index: int) -> tuple[datetime, int]:
    """Sort key: the event time (missing counts as earliest), then the position."""
    return event.event_time or _EARLIEST, index


def _kind(event_name: str) -> EventKind | None:
    """Map ``ObjectCreated:Put`` (or ``s3:ObjectCreated:Put``) to a kind, else ``None``."""
    name = event_name.removeprefix("s3:")
    for prefix, kind in _KIND_BY_PREFIX.items():
        if name.startswith(prefix):
            return kind
    return None


def _loads(text: str, where: str) -> object:
    """``json.loads`` whose error names ``where`` and the position, never the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEvent(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise InvalidEvent(f"{where}: JSON nested too deeply") from exc


def _object(parent: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """The JSON object ``parent[name]``, required."""
    if name not in parent:
        raise InvalidEvent(f"{where}.{name}: missing")
    value = parent[name]
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{where}.{name}: expected a JSON object, got {_json_type(value)}")
    return value


def _required_str(parent: Mapping[str, Any], name: str, where: str) -> str:
    """The non-empty string ``parent[name]``, required."""
    if name not in parent:
        raise InvalidEvent(f"{where}.{name}: missing")
    value = parent[name]
    if not isinstance(value, str):
        raise InvalidEvent(f"{where}.{name}: expected a string, got {_json_type(value)}")
    if not value:
        raise InvalidEvent(f"{where}.{name}: empty")
    return value


def _optional_str(parent: Mapping[str, Any], name: str, where: str) -> str | None:
    """The string ``parent[name]``, or ``None`` when absent or null."""
    value = parent.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f"{where}.{name}: expected a string, got {_json_type(value)}")
    return value


def _optional_size(parent: Mapping[str, Any], where: str) -> int | None:
    """``parent["size"]`` as a non-negative integer, or ``None`` when absent or null."""
    value = parent.get("size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidEvent(
            f"{where}.size: expected a non-negative integer, got {_json_type(value)}"
        )
    return value


def _optional_time(parent: Mapping[str, Any], name: str, where: str) -> datetime | None:
    """``parent[name]`` as an aware UTC datetime (ISO 8601), or ``None`` when absent or null."""
    text = _optional_str(parent, name, where)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidEvent(f"{where}.{name}: not an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _json_type(value: object) -> str:
    """The JSON type name of ``value`` (for messages that must not quote values)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "negative number" if value < 0 else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _short(value: object) -> str:
    """A short rendering of a type tag (SNS ``Type`` values are fixed words, not data)."""
    if isinstance(value, str) and len(value) <= 40 and value.isidentifier():
        return repr(value)
    return _json_type(value)
