"""Local files as an :class:`~worker.ports.ObjectStore` (``file://`` URIs and plain paths)."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from models import ObjectInfo, ObjectRef
from worker.errors import ObjectChanged, ObjectVanished, SourceNotFound


def local_etag(stat: os.stat_result) -> str:
    """A cheap ETag for a local file: changes whenever size or modification time change."""
    return f"local-{stat.st_size:x}-{stat.st_mtime_ns:x}"


class LocalObjectStore:
    """Reads objects from the local filesystem. Hidden files and directories are skipped."""

    def _info(self, path: Path) -> ObjectInfo:
        try:
            stat = path.stat()
        except FileNotFoundError as exc:
            raise ObjectVanished(f"{path} no longer exists") from exc
        content_type, _ = mimetypes.guess_type(path.name)
        return ObjectInfo(
            ref=ObjectRef(path.as_uri()),
            size=stat.st_size,
            etag=local_etag(stat),
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            content_type=content_type,
        )

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield the file at ``uri`` or every regular file below the directory, sorted.

        :raises SourceNotFound: the path does not exist.
        """
        root = Path(ObjectRef.parse(uri).key)
        if root.is_file():
            yield self._info(root)
            return
        if not root.is_dir():
            raise SourceNotFound(f"no such file or directory: {root}")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                if path.is_file():
                    try:
                        yield self._info(path)
                    except ObjectVanished:
                        continue

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the file's metadata.

        :raises ObjectVanished: the file does not exist.
        """
        return self._info(Path(ref.key))

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Read ``[start, end)``.

        :raises ObjectVanished: the file is gone.
        :raises ObjectChanged: its size or modification time changed since ``info``.
        """
        path = Path(info.ref.key)
        try:
            with path.open("rb") as handle:
                if local_etag(os.fstat(handle.fileno())) != info.etag:
                    raise ObjectChanged(f"{path} changed while it was being read")
                handle.seek(start)
                return handle.read(max(0, end - start))
        except FileNotFoundError as exc:
            raise ObjectVanished(f"{path} no longer exists") from exc
