"""Bulk writes in batches where one refused asset does not sink the others.

Atlas applies a bulk request atomically: one asset it refuses (a 403, a value it rejects, a
missing reference) fails the whole request. :func:`send_isolating` splits a refused batch
until the refused assets stand alone, so that the others still land. :func:`save_refreshing`
sends one batch, refreshing pyatlan's definition caches once when a tag or custom metadata
attribute it names is unknown (another client changed the definitions). :func:`bulk_save` is
pyatlan's bulk save without parsing the answer into pyatlan models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from worker.adapters.atlan.client import atlan_errors, is_definition_miss
from worker.adapters.catalog.database import chunks
from worker.core.errors import CatalogDefinitionMissing, CatalogRejected

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

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


@dataclass(frozen=True)
class SavedHeader:
    """One asset in a bulk answer's ``mutatedEntities``: what the writers read of it."""

    guid: str | None
    qualified_name: str | None


@dataclass(frozen=True)
class MutatedHeaders:
    """``mutatedEntities`` of a bulk answer, by operation (the names pyatlan uses)."""

    CREATE: list[SavedHeader] = field(default_factory=list)
    UPDATE: list[SavedHeader] = field(default_factory=list)
    PARTIAL_UPDATE: list[SavedHeader] = field(default_factory=list)


@dataclass(frozen=True)
class BulkResult:
    """A bulk save's answer: the parts of pyatlan's ``AssetMutationResponse`` the writers use.

    :attr guid_assignments: placeholder guid -> the guid Atlan assigned.
    :attr mutated_entities: the assets Atlan created, updated or partially updated.
    """

    guid_assignments: dict[str, str]
    mutated_entities: MutatedHeaders

    @classmethod
    def of(cls, raw: Any) -> BulkResult:
        """Read a bulk answer (``_call_api``'s JSON).

        :raises TypeError: ``raw`` is no mapping (``None``: pyatlan's answer to exhausted 503
            retries and to an empty 200), as ``AssetMutationResponse(**raw)`` raises.
        """
        if not isinstance(raw, Mapping):
            raise TypeError(
                f"AssetMutationResponse() argument after ** must be a mapping, not "
                f"{type(raw).__name__}"
            )
        assigned = raw.get("guidAssignments") or {}
        mutated = raw.get("mutatedEntities") or {}
        return cls(
            {str(k): str(v) for k, v in assigned.items()} if isinstance(assigned, Mapping) else {},
            MutatedHeaders(
                **{op: _headers(mutated.get(op)) for op in MutatedHeaders.__dataclass_fields__}
            )
            if isinstance(mutated, Mapping)
            else MutatedHeaders(),
        )


def _headers(entities: Any) -> list[SavedHeader]:
    """Guid and qualified name of each entity header (``None`` where a header lacks one)."""
    out: list[SavedHeader] = []
    for entity in entities if isinstance(entities, list) else ():
        if not isinstance(entity, Mapping):
            continue
        attributes = entity.get("attributes")
        qn = attributes.get("qualifiedName") if isinstance(attributes, Mapping) else None
        guid = entity.get("guid")
        out.append(
            SavedHeader(
                str(guid) if guid is not None else None, str(qn) if qn is not None else None
            )
        )
    return out


def bulk_save(
    client: AtlanClient,
    assets: Sequence[Any],
    *,
    append_atlan_tags: bool = False,
    merge_custom_metadata: bool = False,
) -> Any:
    """Save ``assets`` in one bulk request, as ``client.asset.save`` does; read the answer lightly.

    The request is pyatlan's own (``Save.prepare_request``, then ``_call_api``: the same query
    flags and bytes as ``save(assets, append_atlan_tags=...)`` or ``save_merging_cm(assets)``).
    Only the answer differs: pyatlan validates every asset in it into a model, which costs
    about as much CPU as building the request; the writers need only guids and qualified
    names (:class:`BulkResult`). A batch with a connection goes through ``client.asset.save``, which
    waits until the new connection can be read.

    :param merge_custom_metadata: as ``save_merging_cm`` (custom metadata merged, not ignored).
    :returns: a :class:`BulkResult` (pyatlan's ``AssetMutationResponse`` for a connection).
    :raises TypeError: no usable answer (see :meth:`BulkResult.of`).
    :raises AtlanError: as ``client.asset.save`` raises.
    """
    from pyatlan.client.common.asset import Save
    from pyatlan.client.constants import BULK_UPDATE
    from pyatlan.model.assets import Connection

    entities = list(assets)
    if any(isinstance(a, Connection) for a in entities):
        return client.asset.save(
            entities,
            replace_custom_metadata=merge_custom_metadata,
            append_atlan_tags=append_atlan_tags,
        )
    query_params, request = Save.prepare_request(
        entity=entities,
        replace_atlan_tags=False,
        replace_custom_metadata=merge_custom_metadata,
        overwrite_custom_metadata=False,
        append_atlan_tags=append_atlan_tags,
        client=client,
    )
    return BulkResult.of(client._call_api(BULK_UPDATE, query_params, request))
