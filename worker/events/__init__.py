"""S3 event intake: parse S3 event notifications and consume them from SQS.

:mod:`worker.events.s3_events` is pure parsing (also used for S3-format webhooks from MinIO
and Ceph); :mod:`worker.events.sqs` polls a queue and hands each batch's events to a callback.
"""

from worker.events.s3_events import (
    EventKind,
    InvalidEvent,
    ObjectEvent,
    collapse,
    parse_document,
    parse_message,
    parse_record,
)

__all__ = [
    "EventKind",
    "InvalidEvent",
    "ObjectEvent",
    "collapse",
    "parse_document",
    "parse_message",
    "parse_record",
]
