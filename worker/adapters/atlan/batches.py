"""Bulk writes in batches where one refused asset does not sink the others.

Atlas applies a bulk request atomically: one asset it refuses (a 403, a value it rejects, a
missing reference) fails the whole request. :func:`send_isolating` splits a refused batch
until the refused assets stand alone, so that the others still land.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from worker.adapters.catalog.database import chunks
from worker.core.errors import CatalogDefinitionMissing, CatalogRejected

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_R = TypeVar("_R")


def send_isolating(
    items: Sequence[_T],
    size: int,
    send: Callable[[list[_T]], Sequence[_R]],
    *,
    halves: bool = True,
) -> tuple[list[tuple[_T, _R]], list[tuple[_T, CatalogRejected]]]:
    """Send ``items`` in batches of ``size``; split a refused batch until the refused stand alone.

    :param send: sends one batch and returns one result per item (e.g. its guid); raises
        :class:`CatalogRejected` when Atlan refuses the batch.
    :param halves: split a refused batch in halves (a few requests find one bad item among
        many); ``False``: retry each of its items alone.
    :returns: ((item, its result) for what landed, (item, why Atlan refused it)).
    :raises CatalogDefinitionMissing: every item would fail the same way: never split.
    :raises CatalogWriteError: whatever else ``send`` raises (Atlan down, the key refused).
    """
    sent: list[tuple[_T, _R]] = []
    refused: list[tuple[_T, CatalogRejected]] = []
    queue = [list(c) for c in chunks(list(items), size)]
    while queue:
        batch = queue.pop(0)
        try:
            results = send(batch)
        except CatalogDefinitionMissing:
            raise
        except CatalogRejected as exc:
            if len(batch) == 1:
                refused.append((batch[0], exc))
                continue
            logger.info("Atlan refused a batch of %d (%s): splitting it", len(batch), exc)
            mid = len(batch) // 2
            queue[0:0] = [batch[:mid], batch[mid:]] if halves else [[item] for item in batch]
            continue
        sent.extend(zip(batch, results, strict=True))
    return sent, refused
