"""S3ObjectStore and RoutingObjectStore against a real SeaweedFS server.

A few failure modes SeaweedFS cannot be made to produce (5xx, throttling, a read timeout, a
server that ignores ``Range``) are served by a tiny HTTP stub on 127.0.0.1 that answers
like S3 does; those tests check our mapping of the real botocore errors.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from models import ObjectInfo, ObjectRef
from tests.support.seaweed import READER_KEY, READER_SECRET, SeaweedServer, free_ports
from worker.adapters.storage.local import LocalObjectStore
from worker.adapters.storage.routing import RoutingObjectStore
from worker.adapters.storage.s3 import S3ObjectStore, make_s3_client
from worker.core.errors import (
    AccessDenied,
    BucketNotFound,
    ConfigError,
    CredentialsRejected,
    EndpointUnreachable,
    ObjectChanged,
    ObjectVanished,
    SourceNotFound,
    StoreUnavailable,
)
from worker.core.ports import ObjectStore
from worker.core.sampling.reader import ObjectReader
from worker.core.settings import S3Settings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

pytestmark = pytest.mark.s3

UNICODE_KEY = "dir with space/naïve ünïcode €.csv"


def _put_many(client: S3Client, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))


def _counting_factory(calls: list[str]) -> Callable[[S3Settings], S3Client]:
    """A client factory whose clients record each S3 operation they send."""

    def factory(settings: S3Settings) -> S3Client:
        client = make_s3_client(settings)

        def record(model: object, **_: object) -> None:
            calls.append(str(getattr(model, "name", "")))

        client.meta.events.register("before-call.s3", record)
        return client

    return factory


# -- listing ---------------------------------------------------------------------------------


def test_listing_paginates_lazily_over_1100_keys(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    keys = [f"many/part-{i:05d}.csv" for i in range(1105)]
    _put_many(s3_client, bucket, keys)
    calls: list[str] = []
    store = S3ObjectStore(s3_settings, _counting_factory(calls), page_size=100)

    listing = store.list_objects(f"s3://{bucket}/many/")
    first = next(listing)
    assert calls == ["ListObjectsV2"], "the first object must come from the first page alone"
    rest = list(listing)

    assert [first.ref.key, *(i.ref.key for i in rest)] == keys
    assert calls.count("ListObjectsV2") == 12
    assert all(i.size == len(i.ref.key.encode()) for i in rest)


def test_listing_with_default_page_size_crosses_the_1000_key_page(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    keys = [f"k{i:05d}" for i in range(1003)]
    _put_many(s3_client, bucket, keys)
    calls: list[str] = []
    store = S3ObjectStore(s3_settings, _counting_factory(calls))

    listed = [i.ref.key for i in store.list_objects(f"s3://{bucket}")]

    assert listed == keys
    assert calls.count("ListObjectsV2") == 2


def test_listing_prefix_is_recursive_and_skips_directory_markers(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    for key in ["a/1.csv", "a/b/2.parquet", "a/b/", "a/empty-dir/", "ab/3.csv", "top.csv"]:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    store = S3ObjectStore(s3_settings)

    def keys(uri: str) -> list[str]:
        return [i.ref.key for i in store.list_objects(uri)]

    assert keys(f"s3://{bucket}/a/") == ["a/1.csv", "a/b/2.parquet"]
    # Not an object: taken as the directory "a/", so "ab/3.csv" is not included.
    assert keys(f"s3://{bucket}/a") == ["a/1.csv", "a/b/2.parquet"]
    assert keys(f"s3://{bucket}") == ["a/1.csv", "a/b/2.parquet", "ab/3.csv", "top.csv"]
    assert keys(f"s3://{bucket}/") == keys(f"s3://{bucket}")
    assert keys(f"s3://{bucket}/a/empty-dir/") == []


def test_listing_info_fields(s3_settings: S3Settings, s3_client: S3Client, bucket: str) -> None:
    put = s3_client.put_object(Bucket=bucket, Key="d/x.csv", Body=b"a,b\n1,2\n")
    before = datetime.now(UTC) - timedelta(minutes=5)

    [info] = S3ObjectStore(s3_settings).list_objects(f"s3://{bucket}/d/")

    assert info.ref == ObjectRef(f"s3://{bucket}/d/x.csv")
    assert info.size == 8
    assert info.etag == put["ETag"].strip('"')
    assert '"' not in info.etag
    assert info.last_modified is not None and info.last_modified > before
    assert info.last_modified.tzinfo is not None
    assert info.storage_class == "STANDARD"
    assert info.content_type is None and info.version_id is None


def test_listing_an_exact_key_yields_only_that_object_with_its_content_type(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="r/x.csv", Body=b"1", ContentType="text/csv")
    s3_client.put_object(Bucket=bucket, Key="r/x.csv.bak", Body=b"22")
    s3_client.put_object(Bucket=bucket, Key="r/x.csv/inner", Body=b"333")
    calls: list[str] = []
    store = S3ObjectStore(s3_settings, _counting_factory(calls))

    [info] = store.list_objects(f"s3://{bucket}/r/x.csv")

    assert info.ref.key == "r/x.csv" and info.size == 1
    assert info.content_type == "text/csv"
    assert calls == ["HeadObject"]


def test_listing_a_missing_prefix_raises_source_not_found(
    s3_settings: S3Settings, bucket: str
) -> None:
    store = S3ObjectStore(s3_settings)
    with pytest.raises(SourceNotFound, match=f"s3://{bucket}/nothing/"):
        list(store.list_objects(f"s3://{bucket}/nothing"))
    assert list(store.list_objects(f"s3://{bucket}")) == []


def test_missing_bucket_raises_bucket_not_found(s3_settings: S3Settings) -> None:
    store = S3ObjectStore(s3_settings)
    with pytest.raises(BucketNotFound, match="no-such-bucket-here"):
        list(store.list_objects("s3://no-such-bucket-here"))
    with pytest.raises(BucketNotFound, match="no-such-bucket-here"):
        list(store.list_objects("s3://no-such-bucket-here/some/key.csv"))


def test_non_s3_uri_is_rejected(s3_settings: S3Settings) -> None:
    with pytest.raises(ValueError, match="not an s3://"):
        list(S3ObjectStore(s3_settings).list_objects("/tmp/x.csv"))


# -- head and read_range -----------------------------------------------------------------------


def test_head_reports_metadata(s3_settings: S3Settings, s3_client: S3Client, bucket: str) -> None:
    body = os.urandom(12345)
    put = s3_client.put_object(
        Bucket=bucket, Key="h/data.parquet", Body=body, ContentType="application/octet-stream"
    )
    ref = ObjectRef(f"s3://{bucket}/h/data.parquet")

    info = S3ObjectStore(s3_settings).head(ref)

    assert info.ref == ref
    assert info.size == len(body)
    assert info.etag == put["ETag"].strip('"')
    assert info.content_type == "application/octet-stream"
    assert info.last_modified is not None and info.last_modified.utcoffset() == timedelta(0)
    assert info.storage_class == "STANDARD"


def test_head_of_missing_object_raises_object_vanished(
    s3_settings: S3Settings, bucket: str
) -> None:
    with pytest.raises(ObjectVanished, match=f"s3://{bucket}/gone.csv"):
        S3ObjectStore(s3_settings).head(ObjectRef(f"s3://{bucket}/gone.csv"))


def test_read_range_returns_exact_bytes(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    body = random.Random(7).randbytes(300_000)
    s3_client.put_object(Bucket=bucket, Key="bin/blob", Body=body)
    store = S3ObjectStore(s3_settings)
    info = store.head(ObjectRef(f"s3://{bucket}/bin/blob"))

    for start, end in [(0, 4), (1, 2), (123_456, 234_567), (len(body) - 8, len(body))]:
        assert store.read_range(info, start, end) == body[start:end]
    assert store.read_range(info, 0, len(body)) == body
    with pytest.raises(ValueError, match="invalid byte range"):
        store.read_range(info, 10, 10)


def test_read_range_through_object_reader_counts_bytes(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    body = b"0123456789" * 100
    s3_client.put_object(Bucket=bucket, Key="r.txt", Body=body)
    store = S3ObjectStore(s3_settings)
    [info] = store.list_objects(f"s3://{bucket}/r.txt")
    reader = ObjectReader(store, info)

    assert reader.read(-5, 10) == body[:10]
    assert reader.read(990, 5000) == body[990:]
    assert (reader.requests, reader.bytes_read) == (2, 20)


def test_overwrite_after_listing_raises_object_changed(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="c.csv", Body=b"version one")
    store = S3ObjectStore(s3_settings)
    [info] = store.list_objects(f"s3://{bucket}/c.csv")
    s3_client.put_object(Bucket=bucket, Key="c.csv", Body=b"version two!")

    with pytest.raises(ObjectChanged, match=f"s3://{bucket}/c.csv") as caught:
        store.read_range(info, 0, 4)
    assert "version" not in caught.value.message
    fresh = store.head(info.ref)
    assert store.read_range(fresh, 8, 11) == b"two"


def test_delete_after_listing_raises_object_vanished(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="v.csv", Body=b"short-lived")
    store = S3ObjectStore(s3_settings)
    [info] = store.list_objects(f"s3://{bucket}/v.csv")
    s3_client.delete_object(Bucket=bucket, Key="v.csv")

    with pytest.raises(ObjectVanished, match=f"s3://{bucket}/v.csv"):
        store.read_range(info, 0, 5)
    with pytest.raises(ObjectVanished):
        store.head(info.ref)


def test_keys_with_spaces_and_unicode(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    body = "id,name\n1,Zoë\n".encode()
    s3_client.put_object(Bucket=bucket, Key=UNICODE_KEY, Body=body)
    s3_client.put_object(Bucket=bucket, Key="dir with space/plus+sign & more%20.csv", Body=b"x")
    store = S3ObjectStore(s3_settings, page_size=1)

    listed = {i.ref.key: i for i in store.list_objects(f"s3://{bucket}/dir with space/")}
    assert set(listed) == {UNICODE_KEY, "dir with space/plus+sign & more%20.csv"}
    info = listed[UNICODE_KEY]
    assert info.ref.uri == f"s3://{bucket}/{UNICODE_KEY}"
    assert info.ref.name == "naïve ünïcode €.csv"
    assert store.head(info.ref).size == len(body)
    assert store.read_range(info, 0, len(body)) == body
    [exact] = store.list_objects(f"s3://{bucket}/{UNICODE_KEY}")
    assert exact.etag == info.etag


# -- credentials, permissions, unreachable endpoint ----------------------------------------------


def test_unknown_access_key_raises_credentials_rejected(
    seaweed: SeaweedServer, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"abc")
    store = S3ObjectStore(seaweed.settings(access_key_id="nobody", max_attempts=1))

    with pytest.raises(CredentialsRejected, match="InvalidAccessKeyId") as caught:
        list(store.list_objects(f"s3://{bucket}"))
    assert seaweed.endpoint_url in caught.value.message
    # The HEAD of an exact key gets a bare 403; the follow-up listing names the cause.
    with pytest.raises(CredentialsRejected):
        list(store.list_objects(f"s3://{bucket}/a.csv"))


def test_wrong_secret_raises_credentials_rejected(
    seaweed: SeaweedServer, s3_settings: S3Settings, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"abc")
    [info] = S3ObjectStore(s3_settings).list_objects(f"s3://{bucket}/a.csv")
    store = S3ObjectStore(seaweed.settings(secret_access_key="wrong", max_attempts=1))

    with pytest.raises(CredentialsRejected, match="SignatureDoesNotMatch"):
        store.read_range(info, 0, 3)


def test_credentials_that_may_not_list_raise_access_denied(
    seaweed: SeaweedServer, s3_client: S3Client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="p/a.csv", Body=b"abc")
    store = S3ObjectStore(
        seaweed.settings(access_key_id=READER_KEY, secret_access_key=READER_SECRET)
    )

    with pytest.raises(AccessDenied, match=f"s3://{bucket}/p/"):
        list(store.list_objects(f"s3://{bucket}/p/"))
    # Reading is allowed for this identity.
    [info] = store.list_objects(f"s3://{bucket}/p/a.csv")
    assert store.read_range(info, 1, 3) == b"bc"


def test_no_credentials_at_all_raises_credentials_rejected(
    seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bucket: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3ObjectStore(S3Settings(endpoint_url=seaweed.endpoint_url, max_attempts=1))

    with pytest.raises(CredentialsRejected, match="no usable S3 credentials"):
        list(store.list_objects(f"s3://{bucket}"))


def test_unreachable_endpoint_fails_fast() -> None:
    [port] = free_ports(1)  # nothing listens there
    endpoint = f"http://127.0.0.1:{port}"
    settings = S3Settings(
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        connect_timeout_s=0.5,
        read_timeout_s=0.5,
        max_attempts=1,
    )
    store = S3ObjectStore(settings)
    info = ObjectInfo(ref=ObjectRef("s3://bucket/key.csv"), size=10, etag="abc")
    started = time.monotonic()

    with pytest.raises(EndpointUnreachable, match=endpoint):
        list(store.list_objects("s3://bucket/prefix/"))
    with pytest.raises(EndpointUnreachable, match=endpoint):
        store.head(info.ref)
    with pytest.raises(EndpointUnreachable, match=endpoint):
        store.read_range(info, 0, 5)
    assert time.monotonic() - started < 5


def test_client_is_created_lazily() -> None:
    made: list[S3Settings] = []

    def factory(settings: S3Settings) -> S3Client:
        made.append(settings)
        raise ConfigError("factory called")

    store = S3ObjectStore(S3Settings(), factory)
    listing = store.list_objects("s3://bucket/")
    assert made == []
    with pytest.raises(ConfigError):
        next(listing)
    assert len(made) == 1


def test_key_id_without_secret_is_a_config_error() -> None:
    store = S3ObjectStore(S3Settings(access_key_id="only-the-id"))
    with pytest.raises(ConfigError, match="secret_access_key"):
        store.head(ObjectRef("s3://bucket/key"))


# -- failures only a stub can produce --------------------------------------------------------------


class _Stub:
    """An HTTP server on 127.0.0.1 answering every request with one canned S3 response."""

    def __init__(self) -> None:
        self.status = 503
        self.body = b""
        self.headers: dict[str, str] = {}
        self.delay = 0.0
        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                stub.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                time.sleep(stub.delay)  # a slow server: the latency is what is tested
                self.send_response(stub.status)
                for name, value in stub.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(stub.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(stub.body)

            do_GET = do_HEAD = do_PUT = _answer  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def error(self, status: int, code: str) -> None:
        self.status = status
        self.headers = {"Content-Type": "application/xml"}
        self.body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>stub</Message><RequestId>1</RequestId></Error>"
        ).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stub() -> Iterator[_Stub]:
    server = _Stub()
    try:
        yield server
    finally:
        server.close()


def _stub_store(stub: _Stub, **overrides: float) -> S3ObjectStore:
    values: dict[str, object] = {
        "endpoint_url": stub.endpoint_url,
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "max_attempts": 1,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 2.0,
    }
    values.update(overrides)
    return S3ObjectStore(S3Settings.model_validate(values))


_INFO = ObjectInfo(ref=ObjectRef("s3://bucket/dir/key.csv"), size=100, etag="e1")


@pytest.mark.parametrize(
    ("status", "code"), [(503, "SlowDown"), (500, "InternalError"), (503, "ServiceUnavailable")]
)
def test_server_errors_on_get_raise_store_unavailable(stub: _Stub, status: int, code: str) -> None:
    stub.error(status, code)
    with pytest.raises(StoreUnavailable, match=code):
        _stub_store(stub).read_range(_INFO, 10, 20)


def test_server_errors_on_list_raise_endpoint_unreachable(stub: _Stub) -> None:
    stub.error(503, "SlowDown")
    with pytest.raises(EndpointUnreachable, match="SlowDown"):
        list(_stub_store(stub).list_objects("s3://bucket/dir/"))


def test_retries_follow_max_attempts(stub: _Stub) -> None:
    stub.error(503, "SlowDown")
    with pytest.raises(StoreUnavailable):
        _stub_store(stub, max_attempts=3).read_range(_INFO, 0, 5)
    assert stub.requests == 3


def test_read_timeout_on_get_raises_store_unavailable(stub: _Stub) -> None:
    stub.status, stub.body, stub.delay = 206, b"x" * 10, 3.0
    store = _stub_store(stub, read_timeout_s=0.3)  # built first: a client takes time on a busy host
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="ReadTimeout"):
        store.read_range(_INFO, 0, 10)
    assert time.monotonic() - started < 2.5  # well before the server would have answered


def test_invalid_access_key_from_the_wire_maps_to_credentials_rejected(stub: _Stub) -> None:
    stub.error(403, "InvalidAccessKeyId")
    with pytest.raises(CredentialsRejected, match="InvalidAccessKeyId"):
        _stub_store(stub).read_range(_INFO, 0, 5)


def test_a_server_ignoring_range_is_not_trusted(stub: _Stub) -> None:
    stub.status, stub.body = 200, bytes(range(100))
    stub.headers = {"ETag": '"e1"'}
    store = _stub_store(stub)
    with pytest.raises(StoreUnavailable, match="did not honour the byte range"):
        store.read_range(_INFO, 10, 20)
    # From offset 0 the first bytes of a full answer are the right ones.
    assert store.read_range(_INFO, 0, 5) == bytes(range(5))


# -- routing ---------------------------------------------------------------------------------------


def test_routing_store_dispatches_on_scheme(
    s3_settings: S3Settings, s3_client: S3Client, bucket: str, tmp_path: Path
) -> None:
    local_file = tmp_path / "local dir" / "naïve.csv"
    local_file.parent.mkdir()
    local_file.write_bytes(b"local,bytes\n")
    s3_client.put_object(Bucket=bucket, Key="remote/x.csv", Body=b"remote,bytes\n")
    store: ObjectStore = RoutingObjectStore(LocalObjectStore(), S3ObjectStore(s3_settings))
    assert isinstance(store, ObjectStore)

    [remote] = store.list_objects(f"s3://{bucket}/remote/")
    [by_path] = store.list_objects(str(tmp_path))
    [by_uri] = store.list_objects(local_file.as_uri())

    assert remote.ref.scheme == "s3" and by_path.ref.scheme == "file"
    assert by_path.ref == by_uri.ref
    assert store.read_range(remote, 0, 6) == b"remote"
    assert store.read_range(by_path, 0, 5) == b"local"
    assert store.head(remote.ref).etag == remote.etag
    assert store.head(by_uri.ref).size == len(b"local,bytes\n")
    with pytest.raises(ValueError, match="unsupported URI scheme"):
        list(store.list_objects("gs://bucket/x"))


def test_credentials_from_the_environment_alone_are_used(
    seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bucket: str
) -> None:
    """No keys in the settings: the AWS default chain's environment variables sign requests
    (as a role's credentials would); SeaweedFS tells the identities apart."""
    from tests.support.seaweed import ACCESS_KEY, SECRET_KEY

    seaweed.client().put_object(Bucket=bucket, Key="env/a.csv", Body=b"abc")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    settings = S3Settings(endpoint_url=seaweed.endpoint_url, max_attempts=1)
    # The reader identity from the environment may read but not list.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", READER_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", READER_SECRET)
    reader = S3ObjectStore(settings)
    with pytest.raises(AccessDenied):
        list(reader.list_objects(f"s3://{bucket}/env/"))
    info = reader.head(ObjectRef.parse(f"s3://{bucket}/env/a.csv"))
    assert reader.read_range(info, 0, 2) == b"ab"
    # The admin identity from the environment lists too.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    admin = S3ObjectStore(settings)
    assert [i.ref.key for i in admin.list_objects(f"s3://{bucket}/env/")] == ["env/a.csv"]
