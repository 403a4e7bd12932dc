"""Where an object lives (`ObjectRef`) and what its store says of it (`ObjectInfo`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A pointer to one object: ``s3://bucket/key`` or a local file.

    :param uri: ``s3://bucket/key`` or ``file:///abs/path``; build with :meth:`parse`.
    :param version_id: a specific S3 object version, or ``None`` for the current one.
    """

    uri: str
    version_id: str | None = None

    @classmethod
    def parse(cls, text: str, version_id: str | None = None) -> ObjectRef:
        """Normalise ``s3://``, ``file://`` and plain local paths into a ref.

        :raises ValueError: for an unsupported scheme or an ``s3://`` URI without a bucket.
        """
        if text.startswith("s3://"):
            bucket, _, key = text[5:].partition("/")
            if not bucket:
                raise ValueError(f"S3 URI has no bucket: {text!r}")
            return cls(f"s3://{bucket}/{key}", version_id)
        if text.startswith("file://"):
            path = unquote(urlsplit(text).path)
            return cls(Path(path).resolve().as_uri(), version_id)
        if "://" in text:
            raise ValueError(f"unsupported URI scheme in {text!r}: use s3://, file:// or a path")
        return cls(Path(text).resolve().as_uri(), version_id)

    @property
    def scheme(self) -> str:
        """``"s3"`` or ``"file"``."""
        return "s3" if self.uri.startswith("s3://") else "file"

    @property
    def bucket(self) -> str:
        """The S3 bucket (empty for local files)."""
        if self.scheme != "s3":
            return ""
        return self.uri[5:].partition("/")[0]

    @property
    def key(self) -> str:
        """The S3 key, or the absolute local path."""
        if self.scheme == "s3":
            return self.uri[5:].partition("/")[2]
        return unquote(urlsplit(self.uri).path)

    @property
    def name(self) -> str:
        """The last path segment, used for extension hints."""
        return self.key.rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return self.uri


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """Technical metadata the store reports for an object (from a listing or a HEAD).

    ``etag`` is the store's ETag without quotes; for local files it is derived from size and
    modification time so that an unchanged file keeps its ETag.
    """

    ref: ObjectRef
    size: int
    etag: str
    last_modified: datetime | None = None
    content_type: str | None = None
    storage_class: str | None = None
    version_id: str | None = None
