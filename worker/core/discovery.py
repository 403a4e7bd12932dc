"""Turn the URIs given to a scan into the objects to enrich, with include/exclude globs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatchcase

from models import ObjectInfo, ObjectRef
from worker.core.ports import ObjectStore


def relative_path(info: ObjectInfo, root: ObjectRef) -> str:
    """The object's path relative to the scanned ``root`` (its name when they are equal)."""
    key, base = info.ref.key, root.key
    if base and key.startswith(base):
        return key[len(base) :].lstrip("/") or info.ref.name
    return key


def matches(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether a relative path passes the globs.

    A pattern without ``/`` is matched against the file name, one with ``/`` against the
    path relative to the scanned prefix (``fnmatch`` rules: ``*`` also crosses ``/``).
    """

    def hit(pattern: str) -> bool:
        target = path if "/" in pattern else path.rsplit("/", 1)[-1]
        return fnmatchcase(target, pattern)

    if include and not any(hit(p) for p in include):
        return False
    return not any(hit(p) for p in exclude)


def discover(
    store: ObjectStore,
    uris: Iterable[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Iterator[ObjectInfo]:
    """Yield each object under ``uris`` once, in listing order, filtered by the globs.

    What a listing yields is the store's business: the local store lists a symbolic link as
    an entry whose reading is refused (reported ``skipped``, kind ``symlink_skipped``), or,
    with ``sampling.follow_symlinks``, under its target's path when the target is a regular
    file under the scanned directory; a target listed twice that way is yielded once.

    Lazy end to end: nothing is listed before the first object is asked for, and the stores
    list as they go (an S3 listing requests its next page of ``MaxKeys`` keys when the
    previous page is used up; a local one reads a directory at a time). What it keeps is the
    URIs yielded so far, to yield each once (about 170 bytes an object: 16 MiB at 100,000).

    :raises RunError: a listing cannot be made (missing bucket or path, bad credentials ...).
    """
    seen: set[str] = set()
    for uri in uris:
        root = ObjectRef.parse(uri)
        for info in store.list_objects(root.uri):
            if info.ref.uri in seen:
                continue
            if not matches(relative_path(info, root), include, exclude):
                continue
            seen.add(info.ref.uri)
            yield info
