"""One :class:`~worker.core.ports.ObjectStore` that sends each call to the S3 or the local store."""

from __future__ import annotations

from collections.abc import Iterator

from models import ObjectInfo, ObjectRef
from worker.core.ports import ObjectStore


class RoutingObjectStore:
    """Dispatches on the URI scheme: ``s3://`` to ``s3``, ``file://`` and plain paths to ``local``.

    :param local: the store for local files.
    :param s3: the store for ``s3://`` URIs.
    """

    def __init__(self, local: ObjectStore, s3: ObjectStore) -> None:
        self.local = local
        self.s3 = s3

    def store_for(self, ref: ObjectRef) -> ObjectStore:
        """Return the store that serves ``ref``."""
        return self.s3 if ref.scheme == "s3" else self.local

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield the objects at or under ``uri`` from the matching store.

        :raises ValueError: an unsupported URI scheme or an ``s3://`` URI without a bucket.
        :raises RunError: as raised by the matching store.
        """
        ref = ObjectRef.parse(uri)
        return self.store_for(ref).list_objects(ref.uri)

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the object's metadata from the matching store.

        :raises ObjectVanished, RunError, StoreUnavailable: as raised by that store.
        """
        return self.store_for(ref).head(ref)

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` from the matching store.

        :raises ObjectVanished, ObjectChanged, StoreUnavailable: as raised by that store.
        """
        return self.store_for(info.ref).read_range(info, start, end)
