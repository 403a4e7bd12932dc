"""Qualified names of S3 assets in Atlan, built the way pyatlan's own creators build them.

Two conventions (setting ``atlan.s3_naming``):

* ``arn`` (default), Atlan's own S3 tooling: ``{connection}/arn:aws:s3:::{bucket}`` for a
  bucket and ``{connection}/arn:aws:s3:::{bucket}/{key}`` for an object, as
  ``S3Bucket.creator(aws_arn=...)`` and ``S3Object.creator(aws_arn=...)`` name them. The key
  is kept exactly, so ``a//b.csv`` and ``a/b.csv`` stay two assets.
* ``path``, s3-enricher's first convention: ``{connection}/{bucket}`` and
  ``{connection}/{bucket}/{object key}`` as ``S3Object.creator_with_prefix`` names them: the
  object key goes through pyatlan's ``construct_object_key``, which drops a leading ``/`` and
  collapses the ``//`` where prefix and name meet.

Prefixes (datasets) follow the bucket: ``{bucket QN}/{prefix}`` without a trailing slash.

Only ``pyatlan.model.utils`` is imported (a fraction of a second), lazily, never pyatlan's
client or asset models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scheme = Literal["arn", "path"]


def bucket_arn(bucket: str) -> str:
    """The ARN of a bucket: ``arn:aws:s3:::bucket``."""
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    """The ARN of an object: ``arn:aws:s3:::bucket/key`` (the key exactly as in S3)."""
    return f"arn:aws:s3:::{bucket}/{key}"


def split_key(key: str) -> tuple[str, str]:
    """(prefix, name) of an object key, as s3-enricher passes them to pyatlan's creators."""
    prefix, _, name = key.rpartition("/")
    return prefix, name


def path_object_key(key: str) -> str:
    """The object key ``S3Object.creator_with_prefix`` derives.

    The same joining as pyatlan's ``pyatlan.model.utils.construct_object_key`` (11.6.0), kept
    here so the core imports no vendor client; ``tests/unit/test_atlan_naming.py`` checks the
    two agree.
    """
    prefix, name = split_key(key)
    if not prefix:
        return name
    if prefix.endswith("/") or name.startswith("/"):
        return f"{prefix}{name.strip('/')}"
    return f"{prefix}/{name.strip('/')}"


@dataclass(frozen=True, slots=True)
class S3Naming:
    """Qualified names in one S3 connection under one convention.

    :param connection_qn: the S3 connection's qualified name (``default/s3/<epoch>``).
    :param scheme: ``arn`` (Atlan's convention) or ``path``.
    """

    connection_qn: str
    scheme: Scheme = "arn"

    def bucket(self, bucket: str) -> str:
        """The bucket's qualified name."""
        if self.scheme == "arn":
            return f"{self.connection_qn}/{bucket_arn(bucket)}"
        return f"{self.connection_qn}/{bucket}"

    def object(self, bucket: str, key: str) -> str:
        """The object's qualified name."""
        if self.scheme == "arn":
            return f"{self.connection_qn}/{object_arn(bucket, key)}"
        return f"{self.connection_qn}/{bucket}/{path_object_key(key)}"

    def prefix(self, bucket: str, prefix: str) -> str:
        """A prefix's qualified name (the bucket's for an empty prefix)."""
        prefix = prefix.strip("/")
        if not prefix:
            return self.bucket(bucket)
        return f"{self.bucket(bucket)}/{prefix}"

    def object_name(self, key: str) -> str:
        """The display name of an object: the last segment of its key."""
        return split_key(key)[1] or key
