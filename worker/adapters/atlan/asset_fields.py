"""Description and custom metadata on an asset about to be saved, as Atlas will accept them.

Both writers (objects: :mod:`worker.adapters.atlan.writer`; datasets:
:mod:`worker.adapters.atlan.datasets`) fill their assets through one :class:`AssetFields`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from worker.adapters.atlan.batches import bulk_save
from worker.core.plan.cm_values import attribute_kinds, value_problem

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)


class AssetFields:
    """Sets status, description and custom metadata; leaves out values Atlas would reject.

    :param client: the pyatlan client (called when needed: it is built lazily).
    :param custom_metadata_set: the set's display name (``atlan.custom_metadata_set``).
    Warnings gather in :attr:`warnings` until the writer moves them into its report.
    """

    def __init__(self, client: Callable[[], AtlanClient], custom_metadata_set: str) -> None:
        self._client = client
        self.custom_metadata_set = custom_metadata_set
        self.warnings: list[str] = []
        self._kinds: tuple[Any, dict[str, tuple[str, int | None]]] = (None, {})

    def fill(
        self,
        asset: Any,
        qualified_name: str,
        *,
        restore: bool,
        description: str | None,
        custom_metadata: dict[str, Any] | None,
    ) -> Any:
        """Set the fields on ``asset`` (returned). Side effects: warnings, a log line each."""
        from pyatlan.model.enums import EntityStatus  # pyatlan loads on first use: seconds

        if restore:
            asset.status = EntityStatus.ACTIVE  # a plain upsert leaves an archived asset so
        if description is not None:
            asset.description = description  # never user_description
        if custom_metadata is not None:
            client = self._client()
            cma = asset.get_custom_metadata(client=client, name=self.custom_metadata_set)
            for key, value in self.checked(qualified_name, custom_metadata).items():
                cma[key] = value
            asset.set_custom_metadata(client=client, custom_metadata=cma)
            object.__setattr__(asset, "_s3e_has_cm", True)
        return asset

    def checked(self, qualified_name: str, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` without those Atlan would reject (wrong type, beyond its limits).

        Atlas checks every custom metadata value against its attribute: ``int`` is 32-bit,
        strings have a maximum length. One bad value would fail the whole request, so it is
        left out here, with a warning (the value itself is a count, never sampled data).
        """
        try:
            definition = self._client().custom_metadata_cache.get_custom_metadata_def(
                self.custom_metadata_set
            )
        except Exception:  # the write itself reports a missing set, with the cache refreshed
            return values
        if self._kinds[0] is not definition:  # once per definition, not per asset
            self._kinds = (definition, attribute_kinds(definition))
        kept: dict[str, Any] = {}
        for name, value in values.items():
            kind, max_len = self._kinds[1].get(name, ("", None))
            problem = value_problem(kind, max_len, value)
            if problem is None:
                kept[name] = value
            else:
                warning = f"{qualified_name}: custom metadata {name!r}: {problem}"
                if warning not in self.warnings:
                    logger.warning("%s", warning)
                    self.warnings.append(warning)
        return kept

    def take_warnings(self) -> list[str]:
        """The warnings gathered so far, cleared."""
        taken, self.warnings = self.warnings, []
        return taken


def save_assets(client: AtlanClient, assets: list[Any]) -> Any:
    """Save ``assets`` in one bulk request, merging custom metadata when any carries some.

    A plain save ignores custom metadata; the merge keeps the attributes it does not name.
    The request is pyatlan's own (see :func:`~worker.adapters.atlan.batches.bulk_save`).
    """
    merge = any(getattr(a, "_s3e_has_cm", False) for a in assets)
    return bulk_save(client, assets, merge_custom_metadata=merge)
