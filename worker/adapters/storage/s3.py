"""S3 (or an S3-compatible server: SeaweedFS, MinIO) as an :class:`~worker.core.ports.ObjectStore`.

botocore errors are mapped to :mod:`worker.core.errors` here, at the boundary. Messages name the
endpoint, bucket and key and the S3 error code; the vendor message stays on ``__cause__``.
Object data never goes into a message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from models import ObjectInfo, ObjectRef
from worker.core.errors import (
    AccessDenied,
    BucketNotFound,
    ConfigError,
    CredentialsRejected,
    EndpointUnreachable,
    ObjectChanged,
    ObjectFailed,
    ObjectVanished,
    RunError,
    SourceNotFound,
    StoreUnavailable,
)
from worker.core.settings import S3Settings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

#: ListObjectsV2 page size S3 uses when none is given (and its maximum).
DEFAULT_PAGE_SIZE = 1000

_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "InvalidSecurity",
        "AuthorizationHeaderMalformed",
    }
)
_MISSING_OBJECT_CODES = frozenset({"NoSuchKey", "NotFound", "404", "NoSuchVersion"})
_CHANGED_CODES = frozenset({"PreconditionFailed", "412", "InvalidRange", "416"})
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "503",
        "500",
    }
)

_Operation = Literal["list", "head", "get"]


def make_s3_client(settings: S3Settings) -> S3Client:
    """Build a boto3 S3 client from ``settings`` (the default client factory).

    Timeouts, retry attempts, addressing style, SigV4 and the region come from ``settings``;
    the credentials too when given, otherwise boto3's default chain is used.

    :raises ConfigError: an access key id without a secret access key (or the reverse).
    Side effects: reads the AWS configuration files and environment (boto3 session); makes
    no network request.
    """
    import boto3  # imported here: constructing the store must stay cheap.

    config = Config(
        region_name=settings.region,
        signature_version="s3v4",
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.addressing_style},
        # S3-compatible servers do not all support the newer flexible checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    key_id, secret = settings.access_key_id, settings.secret_access_key
    if (key_id is None) != (secret is None):
        raise ConfigError("s3.access_key_id and s3.secret_access_key must be given together")
    token = settings.session_token
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        config=config,
        aws_access_key_id=key_id.get_secret_value() if key_id is not None else None,
        aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
        aws_session_token=token.get_secret_value() if key_id is not None and token else None,
    )


def _split(uri: str) -> tuple[str, str]:
    """Return ``(bucket, key)`` of an ``s3://`` URI.

    :raises ValueError: not an ``s3://`` URI or no bucket.
    """
    ref = ObjectRef.parse(uri)
    if ref.scheme != "s3":
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return ref.bucket, ref.key


def _utc(value: object) -> datetime | None:
    """Return an aware datetime in UTC, or ``None`` when the store gave none."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _etag(raw: str | None) -> str:
    """Strip the quotes S3 puts around ETags (and a weak ``W/`` prefix)."""
    value = (raw or "").strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


class S3ObjectStore:
    """Lists, inspects and reads objects in S3 through boto3.

    The boto3 client is created on first use (never at construction or import) and shared
    by all threads (boto3 clients are thread-safe).

    :param settings: endpoint, region, credentials, timeouts and retry attempts.
    :param client_factory: builds the client from the settings; defaults to
        :func:`make_s3_client`. Tests inject their own.
    :param page_size: ``MaxKeys`` of each ListObjectsV2 request (1..1000).
    """

    def __init__(
        self,
        settings: S3Settings,
        client_factory: Callable[[S3Settings], S3Client] | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if not 1 <= page_size <= DEFAULT_PAGE_SIZE:
            raise ValueError(f"page_size must be in 1..{DEFAULT_PAGE_SIZE}, got {page_size}")
        self.settings = settings
        self.page_size = page_size
        self._factory = client_factory or make_s3_client
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The endpoint named in messages: the configured URL or ``AWS S3 (<region>)``."""
        return self.settings.endpoint_url or f"AWS S3 ({self.settings.region})"

    @property
    def client(self) -> S3Client:
        """The boto3 client, created on first access.

        :raises ConfigError: from the factory (inconsistent credentials).
        """
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory(self.settings)
        return self._client

    # -- the ObjectStore protocol -------------------------------------------------------

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        """Yield every object at or under an ``s3://`` URI, page by page as pages arrive.

        ``s3://bucket`` and ``s3://bucket/prefix/`` list everything below, recursively.
        ``s3://bucket/key`` (no trailing ``/``) yields that one object when it exists (one
        HEAD, which also gives its content type); otherwise it is taken as the directory
        ``key/``. Keys ending in ``/`` (directory markers) are skipped. Listed objects carry
        no content type (ListObjectsV2 does not report it) and no version id.

        :raises ValueError: ``uri`` is not an ``s3://`` URI.
        :raises BucketNotFound: the bucket does not exist.
        :raises SourceNotFound: nothing at all exists under a non-empty prefix.
        :raises CredentialsRejected: unknown key id, bad signature or no credentials.
        :raises AccessDenied: the credentials may not list the bucket.
        :raises EndpointUnreachable: the endpoint does not answer or keeps failing.
        Side effects: ListObjectsV2 requests (and one HeadObject for an exact key).
        """
        bucket, key = _split(uri)
        if key and not key.endswith("/"):
            try:
                yield self.head(ObjectRef(f"s3://{bucket}/{key}"))
                return
            except ObjectVanished:
                key += "/"
            except AccessDenied:
                # A HEAD has no error body: let a listing tell bad credentials or a
                # missing bucket from a plain denial, and keep the denial otherwise.
                self._probe_listing(bucket, key)
                raise
            except StoreUnavailable as exc:
                raise EndpointUnreachable(
                    f"S3 endpoint {self.endpoint} failed to answer for s3://{bucket}/{key}: "
                    f"{exc.message}"
                ) from exc
        yield from self._list_prefix(bucket, key)

    def head(self, ref: ObjectRef) -> ObjectInfo:
        """Return the object's current metadata (HeadObject, with ``VersionId`` when set).

        A HEAD response has no body, so a missing bucket looks like a missing key here.

        :raises ValueError: ``ref`` is not an S3 ref.
        :raises ObjectVanished: the object (or its version, or its bucket) does not exist.
        :raises CredentialsRejected: no credentials could be found.
        :raises AccessDenied: HTTP 403 (a HEAD cannot tell bad credentials from a denial).
        :raises EndpointUnreachable: the endpoint cannot be connected to.
        :raises StoreUnavailable: 5xx, throttling or a read timeout.
        Side effects: one HeadObject request (plus botocore's retries).
        """
        bucket, key = _split(ref.uri)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if ref.version_id:
            kwargs["VersionId"] = ref.version_id
        try:
            resp = self.client.head_object(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            self._raise(exc, "head", bucket, key)
        return ObjectInfo(
            ref=ref,
            size=int(resp.get("ContentLength", 0)),
            etag=_etag(resp.get("ETag")),
            last_modified=_utc(resp.get("LastModified")),
            content_type=resp.get("ContentType") or None,
            storage_class=resp.get("StorageClass") or "STANDARD",
            version_id=resp.get("VersionId") or ref.version_id,
        )

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        """Return bytes ``[start, end)`` with one GetObject pinned to ``info``.

        The request carries ``Range: bytes=start-(end-1)``, ``If-Match: "<etag>"`` and the
        version id when ``info`` has one. At most ``end - start`` bytes are consumed even
        if a server ignores the range.

        :raises ValueError: an empty or negative range, or not an S3 object.
        :raises ObjectVanished: the object (or version) was deleted.
        :raises ObjectChanged: the ETag no longer matches, or the range lies beyond the end.
        :raises CredentialsRejected: unknown key id, bad signature or no credentials.
        :raises AccessDenied: the credentials may not read the object.
        :raises BucketNotFound: the bucket was deleted.
        :raises EndpointUnreachable: the endpoint cannot be connected to.
        :raises StoreUnavailable: 5xx, throttling, a timeout or a broken transfer.
        Side effects: one GetObject request (plus botocore's retries).
        """
        if start < 0 or end <= start:
            raise ValueError(f"invalid byte range [{start}, {end})")
        bucket, key = _split(info.ref.uri)
        kwargs: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Range": f"bytes={start}-{end - 1}",
        }
        if info.etag:
            kwargs["IfMatch"] = f'"{info.etag}"'
        version_id = info.version_id or info.ref.version_id
        if version_id:
            kwargs["VersionId"] = version_id
        wanted = end - start
        try:
            resp = self.client.get_object(**kwargs)
            body = resp["Body"]
            try:
                content_range = resp.get("ContentRange") or ""
                if not content_range.startswith(f"bytes {start}-") and start > 0:
                    # The server ignored the Range header: reading on would return the
                    # wrong bytes (and maybe the whole object).
                    raise StoreUnavailable(
                        f"S3 endpoint {self.endpoint} did not honour the byte range "
                        f"{start}-{end - 1} of s3://{bucket}/{key}"
                    )
                data = body.read(wanted)
            finally:
                body.close()
        except (ClientError, BotoCoreError) as exc:
            self._raise(exc, "get", bucket, key)
        if len(data) != wanted and end <= info.size:
            raise ObjectChanged(
                f"s3://{bucket}/{key}: expected {wanted} bytes at offset {start}, "
                f"got {len(data)}; the object changed while it was being read"
            )
        return data

    # -- internals ----------------------------------------------------------------------

    def _list_prefix(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        """Page through ListObjectsV2 under ``prefix``; see :meth:`list_objects`."""
        token: str | None = None
        seen_any = False
        while True:
            kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": self.page_size}
            if prefix:
                kwargs["Prefix"] = prefix
            if token:
                kwargs["ContinuationToken"] = token
            try:
                page = self.client.list_objects_v2(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                self._raise(exc, "list", bucket, prefix)
            for item in page.get("Contents", []):
                seen_any = True
                key = item.get("Key", "")
                if not key or key.endswith("/"):
                    continue
                yield ObjectInfo(
                    ref=ObjectRef(f"s3://{bucket}/{key}"),
                    size=int(item.get("Size", 0)),
                    etag=_etag(item.get("ETag")),
                    last_modified=_utc(item.get("LastModified")),
                    content_type=None,
                    storage_class=item.get("StorageClass") or "STANDARD",
                )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        if prefix and not seen_any:
            raise SourceNotFound(f"nothing found at s3://{bucket}/{prefix}")

    def list_page(
        self, uri: str, start_after: str | None, limit: int = 1000
    ) -> tuple[list[ObjectInfo], str | None]:
        """One page of the objects under an ``s3://`` prefix, after key ``start_after``.

        Resumable by key (S3 lists in key order), so a bulk job can stop and resume without
        holding or re-listing what came before.

        :returns: the objects and the key to continue after, or ``None`` at the end.
        :raises BucketNotFound, CredentialsRejected, AccessDenied, EndpointUnreachable: as
            :meth:`list_objects`.
        """
        bucket, prefix = _split(uri)
        kwargs: dict[str, Any] = {"Bucket": bucket, "MaxKeys": min(limit, 1000)}
        if prefix:
            kwargs["Prefix"] = prefix
        if start_after:
            kwargs["StartAfter"] = start_after
        try:
            page = self.client.list_objects_v2(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            self._raise(exc, "list", bucket, prefix)
        infos: list[ObjectInfo] = []
        last: str | None = None
        for item in page.get("Contents", []):
            key = item.get("Key", "")
            last = key or last
            if not key or key.endswith("/"):
                continue
            infos.append(
                ObjectInfo(
                    ref=ObjectRef(f"s3://{bucket}/{key}"),
                    size=int(item.get("Size", 0)),
                    etag=_etag(item.get("ETag")),
                    last_modified=_utc(item.get("LastModified")),
                    content_type=None,
                    storage_class=item.get("StorageClass") or "STANDARD",
                )
            )
        return infos, (last if page.get("IsTruncated") and last else None)

    def _probe_listing(self, bucket: str, prefix: str) -> None:
        """List at most one key under ``prefix``, raising what the listing raises."""
        try:
            self.client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        except (ClientError, BotoCoreError) as exc:
            self._raise(exc, "list", bucket, prefix)

    def _raise(
        self, exc: ClientError | BotoCoreError, op: _Operation, bucket: str, key: str
    ) -> NoReturn:
        """Translate a botocore error into the s3-enricher error tree and raise it."""
        where = f"s3://{bucket}/{key}"
        endpoint = self.endpoint
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            detail = f"{code or 'error'} (HTTP {status})" if status else code or "error"
            raise self._client_error(code, status, detail, op, bucket, where) from exc
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            raise CredentialsRejected(
                f"no usable S3 credentials found for {endpoint} (set s3.access_key_id and "
                f"s3.secret_access_key or configure the AWS credential chain)"
            ) from exc
        if isinstance(exc, BotoConnectionError):
            raise EndpointUnreachable(
                f"cannot connect to S3 endpoint {endpoint} ({type(exc).__name__}) "
                f"while accessing {where}"
            ) from exc
        if isinstance(exc, HTTPClientError | IncompleteReadError):
            reason = f"{type(exc).__name__} from S3 endpoint {endpoint}"
            if op == "list":
                raise EndpointUnreachable(f"listing {where} failed: {reason}") from exc
            raise StoreUnavailable(f"reading {where} failed: {reason}") from exc
        if op == "list":
            raise RunError(f"listing {where} at {endpoint} failed: {type(exc).__name__}") from exc
        raise StoreUnavailable(
            f"reading {where} at {endpoint} failed: {type(exc).__name__}"
        ) from exc

    def _client_error(
        self, code: str, status: int, detail: str, op: _Operation, bucket: str, where: str
    ) -> Exception:
        """Pick the error for an S3 error response (``code`` may be empty or numeric)."""
        endpoint = self.endpoint
        if code == "NoSuchBucket":
            return BucketNotFound(f"bucket {bucket!r} does not exist at {endpoint}")
        if code in _CREDENTIAL_CODES:
            return CredentialsRejected(
                f"S3 endpoint {endpoint} rejected the credentials: {detail} on {where}"
            )
        if code == "AccessDenied" or status == 403:
            return AccessDenied(f"access denied to {where} at {endpoint}: {detail}")
        transient = code in _TRANSIENT_CODES or status == 429 or status >= 500
        if op == "list":
            if transient:
                return EndpointUnreachable(
                    f"S3 endpoint {endpoint} kept failing to list {where}: {detail}"
                )
            return RunError(f"cannot list {where} at {endpoint}: {detail}")
        if code in _MISSING_OBJECT_CODES or status == 404:
            return ObjectVanished(f"{where} no longer exists at {endpoint}")
        if code in _CHANGED_CODES or status in (412, 416):
            return ObjectChanged(f"{where} changed while it was being read ({detail})")
        if transient:
            return StoreUnavailable(f"S3 endpoint {endpoint} failed on {where}: {detail}")
        return ObjectFailed(f"S3 endpoint {endpoint} refused to serve {where}: {detail}")
