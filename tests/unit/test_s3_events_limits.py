"""The record cap of :func:`parse_document` (the webhook refuses larger documents with 413)."""

from __future__ import annotations

import json

import pytest

from worker.core.s3_events import InvalidEvent, TooManyRecords, parse_document

RECORD = {
    "eventName": "ObjectCreated:Put",
    "s3": {"bucket": {"name": "lake"}, "object": {"key": "a.csv"}},
}


def test_more_records_than_allowed_are_refused_before_parsing() -> None:
    assert len(parse_document({"Records": [RECORD] * 3}, max_records=3)) == 3
    with pytest.raises(TooManyRecords, match=r"body.Records: 4 records .* at most 3"):
        # Even when the extra records are malformed: nothing is parsed.
        parse_document({"Records": [RECORD] * 3 + ["junk"]}, max_records=3)
    assert len(parse_document({"Records": [RECORD] * 4})) == 4  # no cap by default


def test_the_cap_applies_inside_an_sns_envelope() -> None:
    inner = json.dumps({"Records": [RECORD] * 5})
    envelope = {"Type": "Notification", "Message": inner}
    with pytest.raises(TooManyRecords) as refused:
        parse_document(envelope, max_records=2)
    assert (
        isinstance(refused.value, InvalidEvent) and "body.Message.Records" in refused.value.message
    )
