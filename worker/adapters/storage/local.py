"""Local files as an :class:`~worker.core.ports.ObjectStore` (``file://`` URIs and plain paths).

Symbolic links are not followed: a link in a scanned directory could point anywhere (a
secrets file, ``/etc``), and its first line would become column names. A link found while
listing is still listed, so the scan reports it, and reading it is refused: its result is
``skipped`` with kind ``symlink_skipped``. With ``follow_symlinks`` on, a link whose target is
a regular file under the scanned directory is listed under the target's own path instead (so a
target listed anyway is scanned once); links to directories are never descended (what they
point to under the directory is scanned anyway). A path named on the command line is taken as
the user gave it: :meth:`ObjectRef.parse` resolves it, links included.

Reads are guarded on their own, whatever produced the ref: a path that is not absolute,
contains ``..`` or goes through a symbolic link is refused, and files are opened with
``O_NOFOLLOW`` so that a file swapped for a link after the check is refused too.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import stat as st
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from models import ObjectInfo, ObjectRef
from worker.core.errors import (
    LocalPathRefused,
    ObjectChanged,
    ObjectSkipped,
    ObjectVanished,
    SourceNotFound,
    UnsupportedFormat,
)

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class SymlinkSkipped(ObjectSkipped):
    """A local symbolic link that is not followed (status ``skipped``).

    Part of the :class:`~worker.core.errors.ObjectSkipped` branch of the error tree; it lives with
    the only store that has symbolic links.
    """

    kind = "symlink_skipped"


def local_etag(stat: os.stat_result) -> str:
    """A cheap ETag for a local file: changes whenever size or modification time change."""
    return f"local-{stat.st_size:x}-{stat.st_mtime_ns:x}"


def _symlink_refused(path: Path, how: str) -> SymlinkSkipped:
    return SymlinkSkipped(
        f"not read: {path.name} {how}; local scans do not follow symbolic links unless "
        "sampling.follow_symlinks is on, and then only to regular files under the scanned "
        "directory"
    )


def check_path(path: Path) -> None:
    """Refuse a local path that is not canonical: relative, with ``..``, or through a link.

    :raises LocalPathRefused: relative or containing ``..``.
    :raises SymlinkSkipped: the path is a symbolic link or goes through one.
    """
    if not path.is_absolute() or ".." in path.parts:
        raise LocalPathRefused(
            "local path refused: it is not absolute or contains '..' (paths are read as "
            "listed, never relative to another)"
        )
    if path.is_symlink():
        raise _symlink_refused(path, "is a symbolic link")
    if os.path.realpath(path) != str(path):
        raise _symlink_refused(path, "is reached through a symbolically linked directory")


class LocalObjectStore:
    """Reads objects from the local filesystem. Hidden files and directories are skipped.

    :param follow_symlinks: list a symbolic link whose target is a regular file under the
        listed directory, under the target's path (off: every link is listed as a skipped
        entry; see the module docstring).
    """

    def __init__(self, follow_symlinks: bool = False) -> None:
        self.follow_symlinks = follow_symlinks

    def _info(self, path: Path, stat: os.stat_result | None = None) -> ObjectInfo:
        if stat is None:
            try:
                stat = path.stat()
            except FileNotFoundError as exc:
                raise ObjectVanished(f"{path} no longer exists") from exc
        if not st.S_ISREG(stat.st_mode):
            raise UnsupportedFormat(f"not a regular file: {path.name} is a device, pipe or socket")
        content_type, _ = mimetypes.guess_type(path.name)
        return ObjectInfo(
            ref=ObjectRef(path.as_uri()),
            size=stat.st_size,
            etag=local_etag(stat),
            last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            content_type=content_type,
        )

    def _link(self, path: Path, root: Path) -> Iterator[ObjectInfo]:
        """What a symbolic link found under ``root`` lists as."""
        if self.follow_symlinks:
            try:
                target = path.resolve(strict=True)
                target_stat = target.stat()
            except (OSError, RuntimeError):
                target = None
            if target is not None and target.is_relative_to(root):
                if st.S_ISREG(target_stat.st_mode):
                    yield self._info(target, target_stat)
                    return
                if st.S_ISDIR(target_stat.st_mode):
                    return  # scanned under its own path
        try:
            link = path.lstat()
        except FileNotFoundError:
            return
        # Listed so the scan reports it; reading it is refused (symlink_skipped).
        yield ObjectInfo(
            ref=ObjectRef(path.as_uri()),
            size=max(1, link.st_size),
            etag=local_etag(link),
            last_modified=datetime.fromtimestamp(link.st_mtime, tz=UTC),
        )

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield the file at ``uri`` or every regular file below the directory, sorted.

        Symbolic links below it are listed as entries whose reading is refused, or followed
        (see the module docstring).

        :raises SourceNotFound: the path does not exist.
        """
        root = Path(ObjectRef.parse(uri).key)
        if root.is_file():
            yield self._info(root)
            return
        if not root.is_dir():
            raise SourceNotFound(f"no such file or directory: {root}")
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            entries: list[tuple[str, bool]] = []
            keep: list[str] = []
            for name in dirnames:
                if name.startswith("."):
                    continue
                if (here / name).is_symlink():
                    entries.append((name, True))
                else:
                    keep.append(name)
            dirnames[:] = sorted(keep)
            entries.extend((name, False) for name in filenames if not name.startswith("."))
            for name, _ in sorted(entries):
                path = here / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                if st.S_ISLNK(stat.st_mode):
                    yield from self._link(path, root)
                elif st.S_ISREG(stat.st_mode):
                    yield self._info(path, stat)

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the file's metadata.

        :raises ObjectVanished: the file does not exist.
        :raises SymlinkSkipped, LocalPathRefused: see :func:`check_path`.
        :raises UnsupportedFormat: not a regular file (a device, pipe or socket).
        """
        path = Path(ref.key)
        check_path(path)
        return self._info(path)

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Read ``[start, end)``.

        :raises ObjectVanished: the file is gone.
        :raises ObjectChanged: its size or modification time changed since ``info``.
        :raises SymlinkSkipped, LocalPathRefused: see :func:`check_path`.
        """
        path = Path(info.ref.key)
        check_path(path)
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        except FileNotFoundError as exc:
            raise ObjectVanished(f"{path} no longer exists") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _symlink_refused(path, "is a symbolic link") from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if not st.S_ISREG(stat.st_mode):
                raise UnsupportedFormat(
                    f"not a regular file: {path.name} is a device, pipe or socket"
                )
            if local_etag(stat) != info.etag:
                raise ObjectChanged(f"{path} changed while it was being read")
            handle.seek(start)
            return handle.read(max(0, end - start))
