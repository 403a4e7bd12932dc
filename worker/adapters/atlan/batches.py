"""Bulk writes in batches where one refused asset does not sink the others.

Atlas applies a bulk request atomically: one asset it refuses (a 403, a value it rejects, a
missing reference) fails the whole request. :func:`send_isolating` splits a refused batch
until the refused assets stand alone, so that the others still land. :func:`save_refreshing`
sends one batch, refreshing pyatlan's definition caches once when a tag or custom metadata
attribute it names is unknown (another client changed the definitions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from worker.adapters.atlan.client import atlan_errors, is_definition_miss
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


def save_refreshing(
    chunk: Sequence[_T],
    build: Callable[[_T], Any],
    save: Callable[[list[Any]], Any],
    operation: str,
    *,
    refresh: Callable[[], None],
    sent: Callable[[], None],
) -> tuple[Any, list[Any]]:
    """Build and save one batch; on a stale-cache miss ``refresh`` the caches and retry once.

    :param sent: called once per request sent (count it, keep a lock alive).
    :returns: the mutation response and the assets sent (for their placeholder guids).
    :raises CatalogRejected: Atlan refused the batch, or pyatlan refused to build one of
        its assets (a ``ValueError``, e.g. an object key without a name).
    :raises CatalogDefinitionMissing: a tag or attribute is undefined even after a refresh.
    """
    for attempt in (1, 2):
        try:
            with atlan_errors(operation):
                try:
                    assets = [build(item) for item in chunk]
                except ValueError as exc:
                    raise CatalogRejected(
                        f"pyatlan refused to build the asset for {operation} ({type(exc).__name__})"
                    ) from exc
                try:
                    return save(assets), assets
                finally:
                    sent()
        except KeyError as exc:  # a custom metadata attribute pyatlan's cache lacks
            miss = f"custom metadata attribute {exc.args[0] if exc.args else exc}"
            cause: BaseException = exc
        except CatalogRejected as exc:
            if not is_definition_miss(exc):
                raise
            miss, cause = exc.message, exc
        if attempt == 1:
            logger.info("Atlan definitions changed (%s): refreshing the caches", operation)
            refresh()
            continue
        raise CatalogDefinitionMissing(
            f"{operation}: a tag or custom metadata attribute is not defined in Atlan "
            f"({miss}); run `enricher atlan init`"
        ) from cause
    raise AssertionError("unreachable")
