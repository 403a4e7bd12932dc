"""Consume S3 event notifications from an SQS queue and hand them to a callback.

One poll receives up to ``max_messages`` messages (long polling), parses each body with
:func:`~worker.core.s3_events.parse_message`, collapses the events of the whole batch with
:func:`~worker.core.s3_events.collapse` and calls ``handle`` once with them. A message is
deleted only once nothing more needs doing for it:

* its events were handed to ``handle`` and ``handle`` returned without raising;
* or it carries no object events (``s3:TestEvent``, other event types);
* or it is permanently invalid (:class:`~worker.core.s3_events.InvalidEvent`): logged with its
  message id and the reason, then deleted, since redelivering it cannot help.

Everything else stays on the queue and comes back after the visibility timeout, so delivery
is at-least-once: ``handle`` must be idempotent (and should be cheap, e.g. only enqueue tasks,
since one failing call keeps the whole batch on the queue). A message that always fails keeps
coming back until the queue's redrive policy moves it to a dead-letter queue.

botocore errors are mapped to :class:`~worker.core.errors.StoreUnavailable`
(``raise ... from exc``); the message names the operation, the queue and the error code,
never the vendor text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError

from worker.core.errors import ConfigError, EnrichmentError, StoreUnavailable
from worker.core.s3_events import InvalidEvent, ObjectEvent, collapse, parse_message

if TYPE_CHECKING:
    from worker.core.settings import Settings

logger = logging.getLogger(__name__)

#: SQS limits: messages per receive / per delete batch, long-poll wait, visibility timeout.
SQS_MAX_MESSAGES = 10
SQS_MAX_WAIT_SECONDS = 20
SQS_MAX_VISIBILITY_TIMEOUT = 43_200


class SqsClient(Protocol):
    """The part of a boto3 SQS client the consumer uses."""

    def receive_message(self, **kwargs: Any) -> Mapping[str, Any]:
        """SQS ReceiveMessage."""
        ...

    def delete_message_batch(self, **kwargs: Any) -> Mapping[str, Any]:
        """SQS DeleteMessageBatch."""
        ...


def make_sqs_client(
    endpoint_url: str | None,
    region: str,
    access_key: str | None = None,
    secret_key: str | None = None,
    *,
    session_token: str | None = None,
    connect_timeout_s: float = 5.0,
    read_timeout_s: float = 30.0,
    max_attempts: int = 3,
) -> SqsClient:
    """Build a boto3 SQS client with an explicit endpoint and region.

    Credentials: the keys given (both or neither); with neither, boto3's default chain
    (environment variables, shared credentials and config files, container and instance
    roles, web identity as on EKS with IRSA), as S3 uses. ``endpoint_url`` ``None`` means
    AWS's own endpoint for ``region``. ``read_timeout_s`` must exceed the long-poll wait (at
    most 20 s).

    :raises ConfigError: the region is empty, only one of the two keys is given, or
        ``read_timeout_s`` is not above the longest long-poll wait.
    Side effects: creates a boto3 session (reads the AWS config files and environment);
    makes no network request (the chain resolves credentials on the first request).
    """
    if not region:
        raise ConfigError("the SQS region must be given")
    if bool(access_key) != bool(secret_key):
        raise ConfigError(
            "the SQS access key id and secret access key must be given together (or neither, "
            "for the AWS default credential chain)"
        )
    if read_timeout_s <= SQS_MAX_WAIT_SECONDS:
        raise ConfigError(
            f"the SQS read timeout ({read_timeout_s} s) must exceed the long-poll wait "
            f"({SQS_MAX_WAIT_SECONDS} s)"
        )
    import boto3  # imported here: importing this module must stay cheap.
    from botocore.config import Config

    config = Config(
        region_name=region,
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
    )
    session = boto3.session.Session(region_name=region)
    client = session.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name=region,
        config=config,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        aws_session_token=session_token if access_key else None,
    )
    return cast(SqsClient, client)


def sqs_client_from_settings(settings: Settings) -> SqsClient:
    """The SQS client of ``enricher events sqs``: the events section, then the s3 section.

    Keys: ``events.access_key_id``/``secret_access_key`` when either is given, else the s3
    section's keys when either is given, else the AWS default chain. Region: ``events.region``
    or ``s3.region``.

    :raises ConfigError: as :func:`make_sqs_client` raises.
    """
    ev, s3 = settings.events, settings.s3
    source = ev if (ev.access_key_id or ev.secret_access_key) else s3
    key_id, secret, token = source.access_key_id, source.secret_access_key, source.session_token
    return make_sqs_client(
        ev.sqs_endpoint_url,
        ev.region or s3.region,
        key_id.get_secret_value() if key_id else None,
        secret.get_secret_value() if secret else None,
        session_token=token.get_secret_value() if token else None,
        connect_timeout_s=s3.connect_timeout_s,
    )


class SqsEventConsumer:
    """Polls one SQS queue for S3 event notifications and passes them to ``handle``.

    :param queue_url: the queue's URL.
    :param client: a boto3 SQS client (see :func:`make_sqs_client`); thread-safe clients may
        be shared.
    :param handle: called with the collapsed events of one batch (never with an empty list).
        It must be idempotent; when it raises, the batch's messages stay on the queue.
    :param wait_seconds: the long-poll wait, 0 to 20 s; also bounds how long :meth:`run`
        takes to notice ``stop``.
    :param max_messages: messages per receive, 1 to 10.
    :param visibility_timeout: overrides the queue's visibility timeout for received messages
        (seconds); ``None`` keeps the queue's setting.
    :param retry_delay_s: :meth:`run`'s first back-off after a failed poll; doubled per
        consecutive failure up to ``max_retry_delay_s``.
    :raises ConfigError: a parameter is outside SQS's limits.
    """

    def __init__(
        self,
        queue_url: str,
        client: SqsClient,
        handle: Callable[[list[ObjectEvent]], None],
        wait_seconds: int = 10,
        max_messages: int = 10,
        visibility_timeout: int | None = None,
        *,
        retry_delay_s: float = 1.0,
        max_retry_delay_s: float = 30.0,
    ) -> None:
        if not queue_url:
            raise ConfigError("the SQS queue URL must be given")
        if not 0 <= wait_seconds <= SQS_MAX_WAIT_SECONDS:
            raise ConfigError(f"wait_seconds must be 0..{SQS_MAX_WAIT_SECONDS}, got {wait_seconds}")
        if not 1 <= max_messages <= SQS_MAX_MESSAGES:
            raise ConfigError(f"max_messages must be 1..{SQS_MAX_MESSAGES}, got {max_messages}")
        if visibility_timeout is not None and not (
            0 <= visibility_timeout <= SQS_MAX_VISIBILITY_TIMEOUT
        ):
            raise ConfigError(
                f"visibility_timeout must be 0..{SQS_MAX_VISIBILITY_TIMEOUT}, "
                f"got {visibility_timeout}"
            )
        if retry_delay_s < 0 or max_retry_delay_s < retry_delay_s:
            raise ConfigError("retry delays must satisfy 0 <= retry_delay_s <= max_retry_delay_s")
        self.queue_url = queue_url
        self.client = client
        self.handle = handle
        self.wait_seconds = wait_seconds
        self.max_messages = max_messages
        self.visibility_timeout = visibility_timeout
        self.retry_delay_s = retry_delay_s
        self.max_retry_delay_s = max_retry_delay_s

    def poll_once(self) -> int:
        """Receive one batch, hand its events to ``handle``, delete what is done.

        Returns the number of messages received (0 when the long poll timed out empty).

        :raises StoreUnavailable: receiving or deleting failed (botocore error).
        :raises Exception: whatever ``handle`` raised; the messages with events stay on the
            queue, the invalid and event-less ones of the batch are deleted first.
        Side effects: one ReceiveMessage call (blocks up to ``wait_seconds``), at most one
        ``handle`` call, DeleteMessageBatch calls; logs each invalid or unparsable message.
        """
        messages = self._receive()
        done: list[Mapping[str, Any]] = []  # deletable whatever handle does
        pending: list[Mapping[str, Any]] = []  # deletable once handle returned
        events: list[ObjectEvent] = []
        for message in messages:
            message_id = str(message.get("MessageId", "?"))
            body = message.get("Body")
            try:
                if not isinstance(body, str):
                    raise InvalidEvent("body: missing")
                parsed = parse_message(body)
            except InvalidEvent as exc:
                logger.warning(
                    "SQS message %s on %s is not a valid S3 event, deleting it: %s",
                    message_id,
                    self.queue_url,
                    exc.message,
                )
                done.append(message)
                continue
            except Exception as exc:  # a bug, not bad input: keep it for redelivery
                logger.error(
                    "SQS message %s on %s could not be parsed, leaving it on the queue: %s",
                    message_id,
                    self.queue_url,
                    type(exc).__name__,
                    exc_info=True,
                )
                continue
            if parsed:
                events.extend(parsed)
                pending.append(message)
            else:
                logger.debug("SQS message %s carries no object events", message_id)
                done.append(message)
        batch = collapse(events)
        if batch:
            try:
                self.handle(batch)
            except Exception:
                try:
                    self._delete(done)
                except StoreUnavailable as exc:  # the handle error is the one to report
                    logger.warning("%s", exc.message)
                raise
        self._delete(done + pending)
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; failed polls are logged and retried with back-off.

        Returns within about ``wait_seconds`` of ``stop`` being set (the current long poll
        finishes first).

        Side effects: as :meth:`poll_once`, repeatedly; logs each failed poll.
        """
        failures = 0
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:
                failures += 1
                delay = min(self.max_retry_delay_s, self.retry_delay_s * 2 ** min(failures - 1, 20))
                if isinstance(exc, EnrichmentError):
                    logger.warning(
                        "polling %s failed, retrying in %.1f s: %s",
                        self.queue_url,
                        delay,
                        exc.message,
                    )
                else:
                    logger.error(
                        "handling events from %s failed, retrying in %.1f s",
                        self.queue_url,
                        delay,
                        exc_info=True,
                    )
                stop.wait(delay)
            else:
                failures = 0

    def _receive(self) -> Sequence[Mapping[str, Any]]:
        """One ReceiveMessage call with long polling."""
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": self.max_messages,
            "WaitTimeSeconds": self.wait_seconds,
        }
        if self.visibility_timeout is not None:
            request["VisibilityTimeout"] = self.visibility_timeout
        try:
            response = self.client.receive_message(**request)
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable("receiving messages", exc) from exc
        messages = response.get("Messages") or []
        return cast(Sequence[Mapping[str, Any]], messages)

    def _delete(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Delete ``messages`` in batches of ten; a per-message failure is only logged.

        A message that could not be deleted comes back after its visibility timeout and is
        handled again, which idempotent handling tolerates.
        """
        for start in range(0, len(messages), SQS_MAX_MESSAGES):
            chunk = messages[start : start + SQS_MAX_MESSAGES]
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(chunk)
                if message.get("ReceiptHandle")
            ]
            if not entries:
                continue
            try:
                response = self.client.delete_message_batch(
                    QueueUrl=self.queue_url, Entries=entries
                )
            except (ClientError, BotoCoreError) as exc:
                raise self._unavailable("deleting messages", exc) from exc
            for failure in response.get("Failed") or []:
                message = chunk[int(failure.get("Id", 0))]
                logger.warning(
                    "could not delete SQS message %s from %s (%s); it will be redelivered",
                    message.get("MessageId", "?"),
                    self.queue_url,
                    failure.get("Code", "error"),
                )

    def _unavailable(self, operation: str, exc: ClientError | BotoCoreError) -> StoreUnavailable:
        """A :class:`StoreUnavailable` naming the operation, the queue and the error code."""
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "error")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = f"{code} (HTTP {status})" if status else code
        else:
            detail = type(exc).__name__
        return StoreUnavailable(f"SQS {operation} on {self.queue_url} failed: {detail}")
