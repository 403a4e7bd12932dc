"""Alert delivery channels (the :class:`~worker.core.ports.AlertNotifier` port): a webhook.

Atlan announcements are in :mod:`worker.adapters.atlan.announcement`, beside the other
pyatlan code.
"""

from __future__ import annotations

from worker.adapters.alerts.webhook import WebhookAlertNotifier
from worker.core.settings import AlertSettings

__all__ = ["WebhookAlertNotifier", "webhook_notifier"]


def webhook_notifier(settings: AlertSettings) -> WebhookAlertNotifier | None:
    """The webhook channel of ``alerts.webhook_url`` (``None`` when no URL is set).

    :raises ConfigError: the URL is not https (nor http to a loopback address).
    """
    if not settings.webhook_url:
        return None
    return WebhookAlertNotifier(settings.webhook_url, settings.webhook_secret, settings.timeout_s)
