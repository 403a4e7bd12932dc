"""``AtlanAnnouncementNotifier``: an alert as an announcement on the dataset's Atlan asset.

A dataset of a folder is an ``S3Prefix`` asset, a dataset of one object an ``S3Object``, a
whole bucket its ``S3Bucket`` (:func:`asset_type_name`); which qualified name it has is the
caller's (``qualified_name_of``: ``None`` for a dataset
without an asset, which is skipped and counted). For each dataset of a send:

1. the asset is read by qualified name (the graph, not search: consistent right after a
   write). No asset, or an archived one: skipped and counted.
2. An announcement that s3-enricher did not write (its title does not start with
   :data:`TITLE_PREFIX`) is a person's and is left alone (counted): announcements are
   something people curate.
3. The announcement is set with pyatlan's ``update_announcement``: a partial update, ``PUT
   /api/meta/entity/uniqueAttribute/type/{S3Prefix|S3Object|S3Bucket}?attr:qualifiedName=...``,
   carrying ``announcementType`` (``issue`` for critical alerts, ``warning``,
   ``information``), ``announcementTitle`` and ``announcementMessage`` plus the asset's own
   name (read in step 1: the update writes it). Unlike an upsert through ``entity/bulk``, it
   cannot create a half-made asset when the name is wrong: Atlas answers 404.

Digests (alerts over the hourly limit) are not announced: a digest belongs to no asset; the
alerts are in the UI, the CLI and the webhook's digest. Errors are mapped by
:func:`~worker.adapters.atlan.client.atlan_errors` (``CatalogUnavailable`` is retryable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models.datasets import Alert, Severity
from worker.adapters.atlan.client import atlan_errors

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)

CHANNEL = "atlan"
#: Every announcement s3-enricher writes starts with this (the others are people's).
TITLE_PREFIX = "s3-enricher: "
#: Longest announcement message written (Atlan shows it on the asset's overview).
MAX_MESSAGE = 2000
_TYPE_OF = {Severity.CRITICAL: "issue", Severity.WARNING: "warning", Severity.INFO: "information"}
_RANK = {s: i for i, s in enumerate(Severity)}


@dataclass(slots=True)
class AnnouncementCounts:
    """What the notifier did since it was built (datasets, except ``digested``: alerts)."""

    announced: int = 0
    no_asset: int = 0
    kept_person: int = 0
    digested: int = 0


def announcement_text(alerts: Sequence[Alert]) -> tuple[str, str, str]:
    """(type, title, message) of the announcement for the alerts of one dataset."""
    worst = max((a.severity for a in alerts), key=_RANK.__getitem__)
    if len(alerts) == 1:
        title = f"{TITLE_PREFIX}{alerts[0].kind.value} ({worst.value})"
    else:
        kinds = ", ".join(sorted({a.kind.value for a in alerts}))
        title = f"{TITLE_PREFIX}{len(alerts)} alerts ({kinds})"
    lines = [
        f"• [{a.severity.value}] {a.kind.value}: {a.message}"
        + (f" ({a.subject})" if a.subject else "")
        for a in sorted(alerts, key=lambda a: (-_RANK[a.severity], a.id))
    ]
    ids = ", ".join(str(a.id) for a in alerts)
    lines.append(f"Acknowledge or resolve in s3-enricher (alert {ids}).")
    message = "\n".join(lines)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return _TYPE_OF[worst], title, message


def asset_type_name(dataset_uri: str) -> str:
    """The asset type of a dataset's URI: ``S3Bucket``, ``S3Prefix`` or ``S3Object``.

    A bucket's root (``s3://bucket/``) is its bucket, a folder (a URI ending with ``/``) its
    prefix, anything else one object.
    """
    _, _, path = dataset_uri.partition("://")
    _, _, root = path.partition("/")
    if not root.strip("/"):
        return "S3Bucket"
    return "S3Prefix" if dataset_uri.endswith("/") else "S3Object"


def _asset_class(type_name: str) -> Any:
    from pyatlan.model.assets import S3Bucket, S3Object, S3Prefix

    return {"S3Bucket": S3Bucket, "S3Prefix": S3Prefix}.get(type_name, S3Object)


class AtlanAnnouncementNotifier:
    """Sets an announcement on each alert's dataset asset (see the module docstring).

    :param qualified_name_of: the dataset URI's asset qualified name, or ``None`` (no asset).
    :param client_factory: the pyatlan client (called on first use: pyatlan loads slowly;
        share the S3 writer's client).
    """

    channel = CHANNEL

    def __init__(
        self,
        qualified_name_of: Callable[[str], str | None],
        client_factory: Callable[[], AtlanClient],
    ) -> None:
        self.qualified_name_of = qualified_name_of
        self._client_factory = client_factory
        self._client: AtlanClient | None = None
        self.counts = AnnouncementCounts()

    @property
    def client(self) -> AtlanClient:
        """The pyatlan client (built on first use)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def send(self, alerts: Sequence[Alert], digest: str | None = None) -> None:
        """Announce ``alerts`` on their datasets' assets, one announcement per dataset.

        A digest is not announced (counted in ``counts.digested``).
        Side effects: Atlan reads and partial updates; ``counts``.

        :raises CatalogWriteError: Atlan refused or is unavailable (``CatalogUnavailable``
            is retryable); datasets before the failing one are announced.
        """
        if digest is not None:
            self.counts.digested += len(alerts)
            return
        by_dataset: dict[str, list[Alert]] = {}
        for alert in alerts:
            by_dataset.setdefault(alert.dataset_uri, []).append(alert)
        for uri, group in sorted(by_dataset.items()):
            self.announce(uri, group)

    def announce(self, dataset_uri: str, alerts: Sequence[Alert]) -> bool:
        """Set the announcement of ``alerts`` on the dataset's asset; whether it was set.

        :raises CatalogWriteError: as :meth:`send`.
        """
        qualified_name = self.qualified_name_of(dataset_uri)
        if qualified_name is None:
            self.counts.no_asset += 1
            return False
        type_name = asset_type_name(dataset_uri)
        asset = self._read(type_name, qualified_name)
        if asset is None or str(getattr(asset, "status", "ACTIVE")).endswith("DELETED"):
            self.counts.no_asset += 1
            return False
        current_title = getattr(asset, "announcement_title", None)
        if current_title and not str(current_title).startswith(TITLE_PREFIX):
            logger.info("left a person's announcement on %s %s alone", type_name, qualified_name)
            self.counts.kept_person += 1
            return False
        from pyatlan.model.core import Announcement
        from pyatlan.model.enums import AnnouncementType

        kind, title, message = announcement_text(alerts)
        asset_type = _asset_class(type_name)
        name = asset.name or qualified_name.rstrip("/").rsplit("/", 1)[-1]
        with atlan_errors(f"setting an announcement on {type_name} {qualified_name}"):
            self.client.asset.update_announcement(
                asset_type=asset_type,
                qualified_name=qualified_name,
                name=name,
                announcement=Announcement(
                    announcement_type=AnnouncementType(kind),
                    announcement_title=title,
                    announcement_message=message,
                ),
            )
        self.counts.announced += 1
        return True

    def _read(self, type_name: str, qualified_name: str) -> Any:
        """The asset by qualified name, or ``None`` when Atlan has none.

        :raises CatalogWriteError: Atlan refused or is unavailable.
        """
        from pyatlan.errors import NotFoundError

        asset_type = _asset_class(type_name)
        with atlan_errors(f"reading {type_name} {qualified_name}"):
            try:
                return self.client.asset.get_by_qualified_name(
                    qualified_name=qualified_name,
                    asset_type=asset_type,
                    min_ext_info=True,
                    ignore_relationships=True,
                )
            except NotFoundError:
                return None
