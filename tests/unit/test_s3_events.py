"""S3 event notification parsing and collapsing, and the SQS consumer against a fake client."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from worker.adapters.sqs import SqsEventConsumer, make_sqs_client
from worker.core.errors import ConfigError, EnrichmentError, StoreUnavailable
from worker.core.s3_events import InvalidEvent, ObjectEvent, collapse, parse_document, parse_message


def record(
    name: str = "ObjectCreated:Put",
    key: str = "data/file.csv",
    bucket: str = "lake",
    **obj: Any,
) -> dict[str, Any]:
    """An S3 event record as AWS sends it (eventVersion 2.1)."""
    s3_object: dict[str, Any] = {"key": key, "size": 8, "eTag": "abc123", "sequencer": "0A1"}
    s3_object.update(obj)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-26T02:25:26.999Z",
        "eventName": name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "cfg",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {k: v for k, v in s3_object.items() if v is not None},
        },
    }


def body(*records: dict[str, Any]) -> str:
    return json.dumps({"Records": list(records)})


def sns(message: str) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",
            "Subject": "Amazon S3 Notification",
            "Message": message,
            "Timestamp": "2026-11-26T02:25:27.000Z",
        }
    )


TEST_EVENT = json.dumps(
    {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2026-11-26T02:25:26.993Z",
        "Bucket": "lake",
        "RequestId": "R",
        "HostId": "H",
    }
)
TIME = datetime(2026, 11, 26, 2, 25, 26, 999000, tzinfo=UTC)


def event(kind: str = "created", key: str = "data/file.csv", **fields: Any) -> ObjectEvent:
    values: dict[str, Any] = {
        "kind": kind,
        "bucket": "lake",
        "key": key,
        "version_id": None,
        "etag": "abc123",
        "size": 8,
        "sequencer": "0A1",
        "event_time": TIME,
    }
    values.update(fields)
    return ObjectEvent(**values)


# --- parsing --------------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, str | bytes, list[ObjectEvent]]] = [
    ("put", body(record()), [event()]),
    ("copy", body(record("ObjectCreated:Copy")), [event()]),
    (
        "multipart",
        body(record("ObjectCreated:CompleteMultipartUpload", eTag="d41d8cd9-3")),
        [event(etag="d41d8cd9-3")],
    ),
    (
        "delete: no size, no eTag (as AWS sends it)",
        body(record("ObjectRemoved:Delete", size=None, eTag=None)),
        [event("removed", etag=None, size=None)],
    ),
    (
        "delete marker on a versioned bucket",
        body(
            record(
                "ObjectRemoved:DeleteMarkerCreated",
                size=None,
                eTag=None,
                versionId="v-2",
            )
        ),
        [event("removed", etag=None, size=None, version_id="v-2")],
    ),
    (
        "versioned put",
        body(record(versionId="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")),
        [event(version_id="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")],
    ),
    ("plus-encoded key", body(record(key="a+b%C3%A9.csv")), [event(key="a bé.csv")]),
    (
        "slash and plus encoded (moto)",
        body(record(key="incoming%2Fwith+space%2Bplus.csv")),
        [event(key="incoming/with space+plus.csv")],
    ),
    ("quoted eTag", body(record(eTag='"abc123"')), [event()]),
    ("lower-case sequencer is upper-cased", body(record(sequencer="0a1")), [event()]),
    ("no sequencer (moto)", body(record(sequencer=None)), [event(sequencer=None)]),
    ("MinIO: s3: prefix on the event name", body(record("s3:ObjectCreated:Put")), [event()]),
    ("bytes body", body(record()).encode(), [event()]),
    ("test event", TEST_EVENT, []),
    ("SNS-wrapped", sns(body(record(key="a+b%C3%A9.csv"))), [event(key="a bé.csv")]),
    ("SNS-wrapped test event", sns(TEST_EVENT), []),
    ("other event types are ignored", body(record("ObjectRestore:Completed")), []),
    ("tagging is ignored", body(record("ObjectTagging:Put")), []),
    ("no records", body(), []),
    (
        "several records, ignored ones skipped",
        body(record(key="a"), record("ObjectAcl:Put", key="b"), record("ObjectRemoved:Delete")),
        [event(key="a"), event("removed")],
    ),
    (
        "MinIO webhook shape",
        json.dumps({"EventName": "s3:ObjectCreated:Put", "Key": "lake/x", "Records": [record()]}),
        [event()],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse_message(text: str | bytes, expected: list[ObjectEvent]) -> None:
    assert parse_message(text) == expected


def test_event_time_is_utc_and_optional() -> None:
    rec = record()
    rec["eventTime"] = "2026-11-26T03:25:26.999+01:00"
    (parsed,) = parse_document({"Records": [rec]})
    assert parsed.event_time == TIME
    assert parsed.event_time is not None and parsed.event_time.tzinfo is UTC
    del rec["eventTime"]
    assert parse_document({"Records": [rec]})[0].event_time is None


def test_object_event_is_frozen() -> None:
    with pytest.raises(AttributeError):
        event().key = "other"  # type: ignore[misc]


def _broken(path: str, value: Any) -> str:
    """A one-record body with the field at dotted ``path`` set to ``value`` (or removed)."""
    rec = record()
    parts = path.split(".")
    target: Any = rec
    for part in parts[:-1]:
        target = target[part]
    if value is _MISSING:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return body(rec)


_MISSING = object()
SECRET = "ssn-123-45-6789"

INVALID_CASES: list[tuple[str, str | bytes, str]] = [
    ("not JSON", "{" + SECRET, "body: not valid JSON"),
    ("empty body", "", "body: not valid JSON"),
    ("not UTF-8", b'{"Records": ["\xff' + SECRET.encode() + b'"]}', "body: not UTF-8"),
    ("array", json.dumps([SECRET]), "body: expected a JSON object, got array"),
    ("unknown document", json.dumps({"hello": SECRET}), "body: not an S3 event notification"),
    ("other Event", json.dumps({"Event": SECRET}), "body.Event: not an S3 event document"),
    (
        "Records not a list",
        json.dumps({"Records": {"a": SECRET}}),
        "body.Records: expected an array, got object",
    ),
    (
        "record not an object",
        json.dumps({"Records": [SECRET]}),
        "body.Records[0]: expected a JSON object, got string",
    ),
    ("no eventName", _broken("eventName", _MISSING), "body.Records[0].eventName: missing"),
    (
        "eventName a number",
        _broken("eventName", 7),
        "body.Records[0].eventName: expected a string, got number",
    ),
    ("no s3", _broken("s3", _MISSING), "body.Records[0].s3: missing"),
    (
        "s3 not an object",
        _broken("s3", SECRET),
        "body.Records[0].s3: expected a JSON object, got string",
    ),
    ("no bucket", _broken("s3.bucket", _MISSING), "body.Records[0].s3.bucket: missing"),
    (
        "no bucket name",
        _broken("s3.bucket.name", _MISSING),
        "body.Records[0].s3.bucket.name: missing",
    ),
    ("empty bucket name", _broken("s3.bucket.name", ""), "body.Records[0].s3.bucket.name: empty"),
    ("no object", _broken("s3.object", _MISSING), "body.Records[0].s3.object: missing"),
    ("no key", _broken("s3.object.key", _MISSING), "body.Records[0].s3.object.key: missing"),
    (
        "key null",
        _broken("s3.object.key", None),
        "body.Records[0].s3.object.key: expected a string, got null",
    ),
    (
        "key not UTF-8",
        _broken("s3.object.key", "%FF" + SECRET),
        "body.Records[0].s3.object.key: percent-encoded bytes are not UTF-8",
    ),
    (
        "size a string",
        _broken("s3.object.size", SECRET),
        "body.Records[0].s3.object.size: expected a non-negative integer, got string",
    ),
    (
        "size negative",
        _broken("s3.object.size", -1),
        "body.Records[0].s3.object.size: expected a non-negative integer, got negative number",
    ),
    (
        "size boolean",
        _broken("s3.object.size", True),
        "body.Records[0].s3.object.size: expected a non-negative integer, got boolean",
    ),
    (
        "eTag a number",
        _broken("s3.object.eTag", 5),
        "body.Records[0].s3.object.eTag: expected a string, got number",
    ),
    (
        "sequencer not hex",
        _broken("s3.object.sequencer", SECRET),
        "body.Records[0].s3.object.sequencer: not a hexadecimal string",
    ),
    (
        "bad eventTime",
        _broken("eventTime", SECRET),
        "body.Records[0].eventTime: not an ISO 8601 timestamp",
    ),
    (
        "SNS other Type",
        json.dumps({"Type": "SubscriptionConfirmation", "Message": SECRET}),
        "body.Type: expected 'Notification' for an SNS message, got 'SubscriptionConfirmation'",
    ),
    (
        "SNS Message not a string",
        json.dumps({"Type": "Notification", "Message": {"a": SECRET}}),
        "body.Message: expected a string holding the S3 event, got object",
    ),
    ("SNS Message not JSON", sns(SECRET), "body.Message: not valid JSON"),
    (
        "SNS Message not an event",
        sns(json.dumps({"x": SECRET})),
        "body.Message: not an S3 event notification",
    ),
    ("SNS in SNS", sns(sns(body(record()))), "body.Message: not an S3 event notification"),
    (
        "SNS-wrapped bad record",
        sns(body(record(), {"eventName": "ObjectCreated:Put"})),
        "body.Message.Records[1].s3: missing",
    ),
    ("deeply nested", "[" * 100_000, "body: "),
]


@pytest.mark.parametrize(
    ("text", "reason"), [c[1:] for c in INVALID_CASES], ids=[c[0] for c in INVALID_CASES]
)
def test_invalid_bodies_name_the_field(text: str | bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_message(text)
    assert caught.value.message.startswith(reason), caught.value.message
    assert SECRET not in str(caught.value)
    assert len(caught.value.message) < 200


def test_invalid_event_is_a_permanent_enrichment_error() -> None:
    assert issubclass(InvalidEvent, EnrichmentError)
    assert InvalidEvent.kind == "invalid_event"
    assert InvalidEvent.retryable is False


# --- collapsing -----------------------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)

COLLAPSE_CASES: list[tuple[str, list[ObjectEvent], list[ObjectEvent]]] = [
    ("empty", [], []),
    ("redelivered duplicate", [event(), event()], [event()]),
    (
        "multipart twice (moto): Put then CompleteMultipartUpload, same eTag, no sequencer",
        [event(sequencer=None, etag="e-2"), event(sequencer=None, etag="e-2")],
        [event(sequencer=None, etag="e-2")],
    ),
    (
        "higher sequencer wins, whatever the order",
        [event(sequencer="0B", etag="new"), event(sequencer="0A", etag="old")],
        [event(sequencer="0B", etag="new")],
    ),
    (
        "sequencers are left-padded before comparing",
        [event(sequencer="FF", etag="old"), event(sequencer="0100", etag="new")],
        [event(sequencer="0100", etag="new")],
    ),
    (
        "created then removed: removed wins",
        [event(sequencer="01"), event("removed", sequencer="02", etag=None, size=None)],
        [event("removed", sequencer="02", etag=None, size=None)],
    ),
    (
        "removed then re-created: created wins",
        [event("removed", sequencer="05"), event(sequencer="06", etag="v2")],
        [event(sequencer="06", etag="v2")],
    ),
    (
        "new version wins over the older version",
        [event(version_id="v1", sequencer="10"), event(version_id="v2", sequencer="11")],
        [event(version_id="v2", sequencer="11")],
    ),
    (
        "no sequencer: the later event_time wins",
        [
            event(sequencer=None, event_time=T1, etag="new"),
            event(sequencer=None, event_time=T0, etag="old"),
        ],
        [event(sequencer=None, event_time=T1, etag="new")],
    ),
    (
        "no sequencer, same time: the later in the batch wins",
        [event("removed", sequencer=None, event_time=T0), event(sequencer=None, event_time=T0)],
        [event(sequencer=None, event_time=T0)],
    ),
    (
        "missing event_time counts as earliest",
        [
            event(sequencer=None, event_time=T0, etag="timed"),
            event(sequencer=None, event_time=None, etag="untimed"),
        ],
        [event(sequencer=None, event_time=T0, etag="timed")],
    ),
    (
        "mixed: one without a sequencer falls back to time",
        [
            event(sequencer="FF", event_time=T0, etag="a"),
            event(sequencer=None, event_time=T1, etag="b"),
        ],
        [event(sequencer=None, event_time=T1, etag="b")],
    ),
    (
        "different keys and buckets stay apart, first-seen order",
        [event(key="b"), event(key="a"), event(key="a", bucket="other"), event(key="b")],
        [event(key="b"), event(key="a"), event(key="a", bucket="other")],
    ),
]


@pytest.mark.parametrize(
    ("events", "expected"), [c[1:] for c in COLLAPSE_CASES], ids=[c[0] for c in COLLAPSE_CASES]
)
def test_collapse(events: list[ObjectEvent], expected: list[ObjectEvent]) -> None:
    assert collapse(events) == expected
    assert collapse(reversed(expected)) == list(reversed(expected))  # idempotent on its output


def test_collapse_of_parsed_duplicate_deliveries() -> None:
    message = body(record(key="a+b%C3%A9.csv"))
    events = parse_message(message) + parse_message(sns(message)) + parse_message(message)
    assert collapse(events) == [event(key="a bé.csv")]


# --- the consumer against a fake client -----------------------------------------------------


class FakeSqs:
    """Records the calls; serves the queued responses; optional per-call failures."""

    def __init__(self, batches: list[list[dict[str, Any]]]) -> None:
        self.batches = batches
        self.receives: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        self.receive_error: Exception | None = None
        self.delete_error: Exception | None = None
        self.delete_failures: set[str] = set()

    def receive_message(self, **kwargs: Any) -> Mapping[str, Any]:
        self.receives.append(kwargs)
        if self.receive_error is not None:
            raise self.receive_error
        return {"Messages": self.batches.pop(0)} if self.batches else {}

    def delete_message_batch(self, **kwargs: Any) -> Mapping[str, Any]:
        if self.delete_error is not None:
            raise self.delete_error
        entries = kwargs["Entries"]
        assert len(entries) <= 10
        failed = [
            {"Id": e["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True}
            for e in entries
            if e["ReceiptHandle"] in self.delete_failures
        ]
        self.deleted += [
            e["ReceiptHandle"] for e in entries if e["ReceiptHandle"] not in self.delete_failures
        ]
        return {"Successful": [], "Failed": failed}


def msg(name: str, text: str) -> dict[str, Any]:
    return {"MessageId": f"id-{name}", "ReceiptHandle": name, "Body": text}


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": SECRET},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "ReceiveMessage")


def test_consumer_batches_collapses_and_deletes_after_handle() -> None:
    fake = FakeSqs(
        [
            [
                msg("a", body(record(key="x"))),
                msg("b", body(record(key="x"))),  # redelivered duplicate
                msg("t", TEST_EVENT),
                msg("bad", "{" + SECRET),
                msg("c", sns(body(record("ObjectRemoved:Delete", key="y")))),
            ]
        ]
    )
    calls: list[list[ObjectEvent]] = []
    consumer = SqsEventConsumer(
        "http://q", fake, calls.append, wait_seconds=3, max_messages=5, visibility_timeout=7
    )
    assert consumer.poll_once() == 5
    assert calls == [[event(key="x"), event("removed", key="y")]]
    assert sorted(fake.deleted) == ["a", "b", "bad", "c", "t"]
    assert fake.receives == [
        {
            "QueueUrl": "http://q",
            "MaxNumberOfMessages": 5,
            "WaitTimeSeconds": 3,
            "VisibilityTimeout": 7,
        }
    ]
    assert consumer.poll_once() == 0
    assert len(calls) == 1  # handle is not called for an empty batch


def test_consumer_keeps_messages_when_handle_raises(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeSqs([[msg("a", body(record())), msg("t", TEST_EVENT), msg("bad", "[1]")]])

    def handle(events: list[ObjectEvent]) -> None:
        raise RuntimeError("broker down")

    consumer = SqsEventConsumer("http://q", fake, handle)
    with caplog.at_level(logging.WARNING, logger="worker.adapters.sqs"):
        with pytest.raises(RuntimeError, match="broker down"):
            consumer.poll_once()
    assert sorted(fake.deleted) == ["bad", "t"]  # "a" stays for redelivery
    assert "id-bad" in caplog.text and "body: expected a JSON object, got array" in caplog.text


def test_consumer_keeps_a_message_whose_parsing_crashed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import worker.adapters.sqs as sqs_module

    def crash(text: str | bytes) -> list[ObjectEvent]:
        raise KeyError("bug")

    monkeypatch.setattr(sqs_module, "parse_message", crash)
    fake = FakeSqs([[msg("a", body(record()))]])
    consumer = SqsEventConsumer("http://q", fake, lambda events: None)
    with caplog.at_level(logging.ERROR, logger="worker.adapters.sqs"):
        assert consumer.poll_once() == 1
    assert fake.deleted == []
    assert "id-a" in caplog.text and "KeyError" in caplog.text


def test_consumer_logs_messages_sqs_failed_to_delete(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeSqs([[msg("a", body(record(key="1"))), msg("b", body(record(key="2")))]])
    fake.delete_failures = {"b"}
    consumer = SqsEventConsumer("http://q", fake, lambda events: None)
    with caplog.at_level(logging.WARNING, logger="worker.adapters.sqs"):
        assert consumer.poll_once() == 2
    assert fake.deleted == ["a"]
    assert "id-b" in caplog.text and "ReceiptHandleIsInvalid" in caplog.text


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (
            client_error("AWS.SimpleQueueService.NonExistentQueue", 400),
            "AWS.SimpleQueueService.NonExistentQueue (HTTP 400)",
        ),
        (client_error("ServiceUnavailable", 503), "ServiceUnavailable (HTTP 503)"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "EndpointConnectionError"),
    ],
)
def test_botocore_errors_become_store_unavailable(error: Exception, detail: str) -> None:
    fake = FakeSqs([])
    fake.receive_error = error
    consumer = SqsEventConsumer("http://q", fake, lambda events: None)
    with pytest.raises(StoreUnavailable) as caught:
        consumer.poll_once()
    assert caught.value.message == f"SQS receiving messages on http://q failed: {detail}"
    assert caught.value.__cause__ is error
    assert SECRET not in caught.value.message


def test_delete_error_after_handle_becomes_store_unavailable() -> None:
    fake = FakeSqs([[msg("a", body(record()))]])
    fake.delete_error = client_error("InternalError", 500)
    calls: list[list[ObjectEvent]] = []
    consumer = SqsEventConsumer("http://q", fake, calls.append)
    with pytest.raises(StoreUnavailable, match="deleting messages"):
        consumer.poll_once()
    assert len(calls) == 1


def test_run_retries_failed_polls_until_stopped() -> None:
    fake = FakeSqs([[msg("a", body(record()))]])
    fake.receive_error = client_error("ServiceUnavailable", 503)
    stop = threading.Event()
    calls: list[list[ObjectEvent]] = []

    def handle(events: list[ObjectEvent]) -> None:
        calls.append(events)
        stop.set()

    consumer = SqsEventConsumer(
        "http://q", fake, handle, wait_seconds=0, retry_delay_s=0.01, max_retry_delay_s=0.02
    )

    def recover() -> None:
        fake.receive_error = None

    timer = threading.Timer(0.1, recover)
    timer.start()
    worker = threading.Thread(target=consumer.run, args=(stop,))
    worker.start()
    worker.join(5)
    timer.cancel()
    assert not worker.is_alive()
    assert len(fake.receives) >= 3
    assert calls == [[event()]]
    assert fake.deleted == ["a"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"wait_seconds": 21},
        {"wait_seconds": -1},
        {"max_messages": 0},
        {"max_messages": 11},
        {"visibility_timeout": -1},
        {"visibility_timeout": 43_201},
        {"retry_delay_s": 2.0, "max_retry_delay_s": 1.0},
    ],
)
def test_consumer_rejects_settings_outside_sqs_limits(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        SqsEventConsumer("http://q", FakeSqs([]), lambda events: None, **kwargs)


def test_make_sqs_client_needs_explicit_settings() -> None:
    with pytest.raises(ConfigError, match="region"):
        make_sqs_client("http://127.0.0.1:1", "", "k", "s")
    with pytest.raises(ConfigError, match="secret"):
        make_sqs_client("http://127.0.0.1:1", "us-east-1", "k", "")
    with pytest.raises(ConfigError, match="read timeout"):
        make_sqs_client("http://127.0.0.1:1", "us-east-1", "k", "s", read_timeout_s=20)
    client: Any = make_sqs_client("http://127.0.0.1:1", "eu-west-3", "key-id", "secret")
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    assert client.meta.region_name == "eu-west-3"
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("key-id", "secret")
