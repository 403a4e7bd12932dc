"""Listing one page of a job's target, resumable by key, never the whole key list at once."""

from __future__ import annotations

from collections.abc import Sequence

from models import ObjectInfo, ObjectRef
from worker.discovery import matches, relative_path
from worker.ports import ObjectStore


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
