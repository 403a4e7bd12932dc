"""WebhookAlertNotifier against a real HTTP receiver on a loopback port: the signature, the
body a Slack-compatible receiver and a program read, the URL rule, and error mapping."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from models.datasets import Alert, AlertKind, AlertState, Severity
from worker.adapters.alerts import webhook_notifier
from worker.adapters.alerts.webhook import WebhookAlertNotifier, check_url, sign
from worker.core.errors import AlertDeliveryError, AlertDeliveryRejected, ConfigError
from worker.core.settings import AlertSettings

SECRET = "s3cr3t-key"
NOW = 1_770_000_000


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers ``status`` to every POST; with ``hold`` set, waits for ``release`` first."""

    status: int = 200
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(dict(self.headers.items()), body))
            if state.hold:
                state.release.wait(10)
            self.send_response(state.status)
            if state.status in (301, 302):
                self.send_header("Location", "http://elsewhere.example/")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts?token=abc"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _alert(n: int = 1, **kw: Any) -> Alert:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": n,
        "kind": AlertKind.NEW_PII,
        "severity": Severity.CRITICAL,
        "dataset_uri": "s3://lake/exports/orders/",
        "subject": "EMAIL_ADDRESS",
        "message": "EMAIL_ADDRESS appeared in column contact <new>",
        "evidence": {"partitions": 2, "share": 0.4},
        "state": AlertState.OPEN,
        "first_seen": at,
        "last_seen": at,
    }
    values.update(kw)
    return Alert(**values)


def _notifier(
    url: str, secret: str | None = SECRET, timeout_s: float = 5.0
) -> WebhookAlertNotifier:
    return WebhookAlertNotifier(
        url, SecretStr(secret) if secret else None, timeout_s, clock=lambda: NOW + 0.9
    )


def _verify(secret: str, received: Received) -> bool:
    """What a receiver does (the snippet of docs/alerts.md)."""
    timestamp = received.headers["X-S3E-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    scheme, _, given = received.headers["X-S3E-Signature"].partition("=")
    return scheme == "v1" and hmac.compare_digest(expected, given)


def test_one_alert_is_one_signed_slack_compatible_post(receiver: Receiver) -> None:
    alert = _alert()
    _notifier(receiver.url).send([alert])
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.headers["X-S3E-Timestamp"] == str(NOW)
    assert got.headers["Content-Type"].startswith("application/json")
    assert _verify(SECRET, got)
    assert got.headers["X-S3E-Signature"] == sign(SECRET, str(NOW), got.body)
    assert not _verify("another-key", got)
    tampered = Received(got.headers, got.body.replace(b"orders", b"orderz"))
    assert not _verify(SECRET, tampered)

    body = got.json()
    assert body["alerts"] == [alert.to_dict()] and body["digest"] is None
    assert "new_pii" in body["text"] and "s3://lake/exports/orders/" in body["text"]
    # Slack mrkdwn: < and > escaped (else Slack reads a link)
    assert "&lt;new&gt;" in body["text"] and "<new>" not in body["text"]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    header = body["blocks"][0]["text"]
    assert header["type"] == "plain_text" and len(header["text"]) <= 150
    assert header["text"] == "CRITICAL new_pii: s3://lake/exports/orders/"
    section = body["blocks"][1]["text"]["text"]
    assert "partitions: 2 · share: 0.4" in section and "`EMAIL_ADDRESS`" in section


def test_several_alerts_without_a_digest_are_one_post_each(receiver: Receiver) -> None:
    _notifier(receiver.url).send([_alert(1), _alert(2), _alert(3)])
    assert [r.json()["alerts"][0]["id"] for r in receiver.received] == [1, 2, 3]


def test_a_digest_is_one_post_with_counts_not_the_alerts(receiver: Receiver) -> None:
    alerts = [
        _alert(
            i,
            kind=AlertKind.SCHEMA_DRIFT if i % 3 else AlertKind.NEW_PII,
            dataset_uri=f"s3://lake/t{i % 12}/",
            severity=Severity.WARNING,
        )
        for i in range(1, 301)
    ]
    _notifier(receiver.url).send(alerts, "300 more alerts over the limit of 20 an hour: ...")
    assert len(receiver.received) == 1
    body = receiver.received[0].json()
    assert _verify(SECRET, receiver.received[0])
    assert body["alerts"] == []
    digest = body["digest"]
    assert digest["count"] == 300 and digest["alert_ids"] == list(range(1, 301))
    assert digest["kinds"] == {"schema_drift": 200, "new_pii": 100}
    assert digest["severities"] == {"warning": 300}
    assert body["text"].endswith("300 more alerts over the limit of 20 an hour: ...")
    listing = body["blocks"][2]["text"]["text"]
    assert listing.count("• s3://lake/t") == 10 and "and 2 more datasets" in listing
    assert len(receiver.received[0].body) < 20_000  # not 300 alerts' worth


def test_without_a_secret_there_is_no_signature(receiver: Receiver) -> None:
    _notifier(receiver.url, secret=None).send([_alert()])
    assert "X-S3E-Signature" not in receiver.received[0].headers
    assert receiver.received[0].headers["X-S3E-Timestamp"] == str(NOW)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/xyz",
        "http://127.0.0.1:8080/x",
        "http://127.8.9.10/x",
        "http://localhost:9000/x",
        "http://[::1]:9000/x",
    ],
)
def test_https_or_loopback_urls_are_accepted(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/services/secret-path", "not http://hooks.example.com"),
        ("http://10.0.0.5/x", "not http://10.0.0.5"),
        ("http://localhost.evil.example/x", "not http://localhost.evil.example"),
        ("ftp://127.0.0.1/x", "not ftp://127.0.0.1"),
        ("https:///nohost", "has no host"),
        ("hooks.example.com/x", "has no host"),
    ],
)
def test_other_urls_are_refused_without_quoting_the_path(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        WebhookAlertNotifier(url, None)
    assert "secret-path" not in info.value.message


def test_from_settings() -> None:
    assert webhook_notifier(AlertSettings()) is None
    built = webhook_notifier(
        AlertSettings(webhook_url="https://h.example/x", webhook_secret=SecretStr("k"), timeout_s=3)
    )
    assert built is not None and built.channel == "webhook" and built.timeout_s == 3


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_throttling_are_retryable(receiver: Receiver, status: int) -> None:
    receiver.status = status
    with pytest.raises(AlertDeliveryError) as info:
        _notifier(receiver.url).send([_alert()])
    assert info.value.retryable and not isinstance(info.value, AlertDeliveryRejected)
    assert info.value.message == f"webhook answered HTTP {status}"


@pytest.mark.parametrize("status", [400, 403, 404, 302])
def test_other_answers_are_rejections(receiver: Receiver, status: int) -> None:
    receiver.status = status
    with pytest.raises(AlertDeliveryRejected) as info:
        _notifier(receiver.url).send([_alert()])
    assert not info.value.retryable and f"HTTP {status}" in info.value.message
    assert "token=abc" not in info.value.message and "127.0.0.1" not in info.value.message
    assert len(receiver.received) == 1  # a redirect is not followed


def test_a_receiver_that_does_not_answer_times_out(receiver: Receiver) -> None:
    receiver.hold = True
    with pytest.raises(AlertDeliveryError) as info:
        _notifier(receiver.url, timeout_s=0.3).send([_alert()])
    assert info.value.retryable
    assert info.value.message == "webhook: no answer within 0.3 s (ReadTimeout)"


def test_nobody_listening_is_retryable() -> None:
    # Bind a port, then free it: nothing listens there.
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    with pytest.raises(AlertDeliveryError) as info:
        _notifier(f"http://127.0.0.1:{port}/x").send([_alert()])
    assert info.value.retryable and info.value.message == "webhook unreachable (ConnectError)"
