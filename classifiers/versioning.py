"""Classifier version strings: short digests of code and configuration, library versions.

A classifier's ``version`` must change whenever its results may change, so that re-scans of
unchanged objects are skipped only while nothing that matters changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterable
from pathlib import Path


def digest(data: bytes) -> str:
    """An 8-hex-digit digest (blake2b; stable across processes, unlike ``hash``)."""
    return hashlib.blake2b(data, digest_size=4).hexdigest()


def code_digest(paths: Iterable[Path]) -> str:
    """Digest of source files; a file that cannot be read counts by its name only.

    Installed without sources, a classifier falls back to its manual algorithm version.
    """
    parts = []
    for path in paths:
        try:
            parts.append(path.read_bytes())
        except OSError:
            parts.append(path.name.encode())
    return digest(b"\0".join(parts))


def distribution_version(name: str) -> str:
    """The installed version of a distribution, or ``"missing"``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"
