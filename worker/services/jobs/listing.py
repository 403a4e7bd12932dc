"""Listing one page of a job's target, resumable by key, never the whole key list at once."""

from __future__ import annotations

import json
from collections.abc import Sequence

from models import ObjectInfo, ObjectRef
from worker.core.discovery import matches, relative_path
from worker.core.ports import ObjectStore


def is_local(uri: str) -> bool:
    """Whether ``uri`` names a local file (``file://`` or a plain path)."""
    return uri.startswith("file://") or "://" not in uri


def list_page(
    store: ObjectStore,
    uri: str,
    start_after: str | None,
    limit: int,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> tuple[list[ObjectInfo], str | None]:
    """Objects under ``uri`` after key ``start_after``, at most ``limit`` keys looked at.

    S3 targets use the store's ``list_page`` (ListObjectsV2 with ``StartAfter``), so a job
    of tens of millions of keys lists page by page and resumes where it stopped. Local
    targets (small by nature) are listed and sorted whole.

    :returns: the matching objects and the key to continue after (``None``: the end).
    :raises RunError: as the store's listing raises.
    """
    ref = ObjectRef.parse(uri)
    s3 = getattr(store, "store_for", lambda r: store)(ref)
    root = ref.uri
    if ref.scheme == "s3" and hasattr(s3, "list_page"):
        infos, next_key = s3.list_page(root, start_after, limit)
    else:
        every = sorted(store.list_objects(root), key=lambda i: i.ref.key)
        after = [i for i in every if start_after is None or i.ref.key > start_after]
        infos = after[:limit]
        next_key = infos[-1].ref.key if len(after) > limit else None
    kept = [i for i in infos if matches(relative_path(i, ref), include, exclude)]
    return kept, next_key


def inventory_page(
    store: ObjectStore,
    manifest_uri: str,
    target: str,
    cursor: str | None,
    limit: int,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> tuple[list[ObjectInfo], str | None]:
    """The next objects of an S3 Inventory report (no LIST at all), after ``cursor``.

    :param target: ``s3://bucket/prefix`` the job covers (filters the report's rows).
    :param cursor: the JSON cursor returned by the previous page, ``None`` to start.
    :returns: the objects and the JSON cursor to continue from (``None``: the end).
    :raises InventoryError: the manifest or a data file is invalid.
    """
    from worker.core.inventory import InventoryCursor, iter_inventory, read_manifest

    manifest = read_manifest(store, manifest_uri)
    start = InventoryCursor.from_dict(json.loads(cursor)) if cursor else None
    ref = ObjectRef.parse(target)
    for objects, after in iter_inventory(store, manifest, prefix=target, chunk_size=limit,
                                         start=start):  # fmt: skip
        kept = [i for i in objects if matches(relative_path(i, ref), include, exclude)]
        done = after.file_index >= len(manifest.files)
        return kept, None if done else json.dumps(after.as_dict())
    return [], None
