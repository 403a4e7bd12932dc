"""``WebhookAlertNotifier``: alerts as Slack-compatible JSON, HMAC-signed, over HTTPS.

One POST per alert, or one per digest (see :mod:`worker.services.alerts.service`). The body is
what a Slack incoming webhook accepts (``text`` and ``blocks``; Slack ignores the rest) plus
what a program wants::

    {"text": "...", "blocks": [...],
     "alerts": [Alert.to_dict(), ...],   # the alert of this message; [] in a digest
     "digest": null | {"text": "...", "count": 2980, "kinds": {"schema_drift": 2000, ...},
                       "severities": {"warning": 2980}, "alert_ids": [...]}}

**Signature.** Every request carries ``X-S3E-Timestamp: <unix seconds>`` and, when
``alerts.webhook_secret`` is set, ``X-S3E-Signature: v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the secret as key over ``f"{timestamp}.{body}"`` (the raw body bytes, UTF-8).
A receiver recomputes it over the bytes it received, compares in constant time and refuses
timestamps more than a few minutes old (replays); see ``docs/alerts.md`` for a snippet.

The URL must be ``https://``; ``http://`` only to a loopback address (a receiver on the same
host). Redirects are not followed (one could lead to plain HTTP). Errors never name the URL
(a Slack webhook URL is itself a secret), the secret or the alert's content.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from models.datasets import Alert, Severity
from worker.core.errors import AlertDeliveryError, AlertDeliveryRejected, ConfigError

CHANNEL = "webhook"
TIMESTAMP_HEADER = "X-S3E-Timestamp"
SIGNATURE_HEADER = "X-S3E-Signature"
SIGNATURE_VERSION = "v1"
#: Slack's limits: header text, section text, blocks per message.
_HEADER_CHARS = 150
_SECTION_CHARS = 3000
_EMOJI = {Severity.INFO: ":information_source:", Severity.WARNING: ":warning:"}
_EMOJI_CRITICAL = ":rotating_light:"
#: Datasets listed by name in a digest message (the rest are counted).
_DIGEST_DATASETS = 10


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256(secret, ``timestamp.body``): the ``X-S3E-Signature`` value."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback IP address."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """``url`` if alerts may be posted there: https, or http to a loopback address.

    :raises ConfigError: another scheme, no host, or plain http to another host (the message
        names the scheme and host only: the path of a Slack webhook is its secret).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise ConfigError("alerts.webhook_url is not a valid URL") from exc
    if not host:
        raise ConfigError("alerts.webhook_url has no host")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and is_loopback(host):
        return url
    raise ConfigError(
        f"alerts.webhook_url must be https:// (http:// only to a loopback address), not "
        f"{parts.scheme}://{host}"
    )


def _escape(text: str) -> str:
    """Slack mrkdwn control characters as entities (``<`` would start a link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_line(evidence: dict[str, Any]) -> str:
    """``rows: 12 · median: 10000`` from the alert's evidence (counts and shares only)."""
    parts = []
    for key, value in evidence.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The message of one alert (Slack ``text`` and ``blocks``, and ``alerts`` for programs)."""
    emoji = _EMOJI.get(alert.severity, _EMOJI_CRITICAL)
    title = f"{alert.severity.value.upper()} {alert.kind.value}: {alert.dataset_uri}"
    details = [f"*{_escape(alert.message)}*"]
    if alert.subject:
        details.append(f"subject: `{_escape(alert.subject)}`")
    if alert.evidence:
        details.append(_escape(_evidence_line(alert.evidence)))
    context = (
        f"alert {alert.id} · {alert.state.value} · seen {alert.occurrences}× since "
        f"{alert.first_seen.isoformat(timespec='seconds')} · s3-enricher"
    )
    return {
        "text": _cut(f"{emoji} {_escape(title)}: {_escape(alert.message)}", _SECTION_CHARS),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(title, _HEADER_CHARS)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut("\n".join(details), _SECTION_CHARS)},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(context)}]},
        ],
        "alerts": [alert.to_dict()],
        "digest": None,
    }


def digest_payload(alerts: Sequence[Alert], text: str) -> dict[str, Any]:
    """One message standing for ``alerts`` (over the hourly limit): counts, never each alert."""
    datasets = Counter(a.dataset_uri for a in alerts)
    lines = [f"• {_escape(uri)}: {n}" for uri, n in datasets.most_common(_DIGEST_DATASETS)]
    if len(datasets) > _DIGEST_DATASETS:
        lines.append(f"• and {len(datasets) - _DIGEST_DATASETS} more datasets")
    return {
        "text": _cut(f":bell: {_escape(text)}", _SECTION_CHARS),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f"s3-enricher: {len(alerts)} more alerts"},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_escape(text), 3000)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), _SECTION_CHARS)},
            },
        ],
        "alerts": [],
        "digest": {
            "text": text,
            "count": len(alerts),
            "kinds": dict(Counter(a.kind.value for a in alerts)),
            "severities": dict(Counter(a.severity.value for a in alerts)),
            "alert_ids": [a.id for a in alerts],
        },
    }


class WebhookAlertNotifier:
    """Posts alerts to a webhook (see the module docstring for the body and the signature).

    :param url: https, or http to a loopback address.
    :param secret: the HMAC key (``None``: requests are not signed).
    :param timeout_s: connect, read and write timeout of each request.
    :param clock: Unix time in seconds (tests fix it).
    :raises ConfigError: the URL is not allowed (see :func:`check_url`).
    """

    channel = CHANNEL

    def __init__(
        self,
        url: str,
        secret: SecretStr | None,
        timeout_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = check_url(url)
        self._secret = secret
        self.timeout_s = timeout_s
        self.clock = clock

    def send(self, alerts: Sequence[Alert], digest: str | None = None) -> None:
        """POST one message: the alert (one alert) or, with ``digest``, the digest of all.

        Several alerts without a digest are posted one message each.
        Side effects: HTTP requests.

        :raises AlertDeliveryError: timeout, network error, 429 or 5xx (retryable).
        :raises AlertDeliveryRejected: another non-2xx answer, a redirect included.
        """
        if digest is not None:
            self.post(digest_payload(alerts, digest))
            return
        for alert in alerts:
            self.post(alert_payload(alert))

    def post(self, payload: dict[str, Any]) -> None:
        """POST ``payload`` as compact JSON with the timestamp and signature headers.

        :raises AlertDeliveryError: see :meth:`send`.
        """
        import httpx

        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "s3-enricher-alerts",
            TIMESTAMP_HEADER: timestamp,
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret.get_secret_value(), timestamp, body)
        try:
            with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise AlertDeliveryError(
                f"webhook: no answer within {self.timeout_s:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise AlertDeliveryError(f"webhook unreachable ({type(exc).__name__})") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500:
            raise AlertDeliveryError(f"webhook answered HTTP {status}")
        if 300 <= status < 400:
            raise AlertDeliveryRejected(
                f"webhook answered HTTP {status} (a redirect: not followed; fix the URL)"
            )
        raise AlertDeliveryRejected(f"webhook refused the alert (HTTP {status})")
