"""A counting TCP proxy on 127.0.0.1, independent of the code it measures.

It forwards every connection to an upstream HTTP server and counts, on the wire:

* bytes server -> client (everything) and the body bytes of the responses in it;
* bytes client -> server;
* HTTP requests per method, and GETs that carry a ``Range`` header.

HTTP/1.1 messages are framed with ``Content-Length`` or chunked encoding, so keep-alive
connections are counted request by request. Standalone use::

    python bench/proxy.py --upstream 127.0.0.1:8333 --port 9000    # Ctrl-C prints the counts
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

_MAX_HEAD = 1 << 20


@dataclass(frozen=True)
class ProxyStats:
    """A snapshot of the proxy's counters; subtract two snapshots for one interval."""

    bytes_down: int = 0
    body_bytes_down: int = 0
    bytes_up: int = 0
    connections: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    ranged_gets: int = 0
    ranges: tuple[str, ...] = ()

    @property
    def gets(self) -> int:
        """GET requests."""
        return self.requests.get("GET", 0)

    def __sub__(self, other: ProxyStats) -> ProxyStats:
        return ProxyStats(
            bytes_down=self.bytes_down - other.bytes_down,
            body_bytes_down=self.body_bytes_down - other.body_bytes_down,
            bytes_up=self.bytes_up - other.bytes_up,
            connections=self.connections - other.connections,
            requests=self.requests - other.requests,
            ranged_gets=self.ranged_gets - other.ranged_gets,
            ranges=self.ranges[len(other.ranges) :],
        )


class _HttpFramer:
    """Splits one direction of an HTTP/1.1 byte stream into heads and bodies.

    ``on_head(head) -> body length`` is called for each message head; it returns the
    body length, ``-1`` for a chunked body, or ``None`` for "until the connection closes".
    ``on_body(n)`` is called with the number of body bytes seen.
    """

    def __init__(
        self, on_head: Callable[[bytes], int | None], on_body: Callable[[int], None]
    ) -> None:
        self.on_head = on_head
        self.on_body = on_body
        self.buf = bytearray()
        self.state = "head"
        self.remaining = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.state == "raw":
                self.on_body(len(view))
                return
            if self.state == "body":
                take = min(self.remaining, len(view))
                self.on_body(take)
                self.remaining -= take
                view = view[take:]
                if self.remaining == 0:
                    self.state = "head"
                continue
            if self.state == "chunk-data":
                take = min(self.remaining, len(view))
                self.on_body(take)
                self.remaining -= take
                view = view[take:]
                if self.remaining == 0:
                    self.state = "chunk-size"
                continue
            # Line-oriented states: head, chunk-size (and the CRLF after data), trailer.
            self.buf += view
            view = memoryview(b"")
            self._lines()

    def _lines(self) -> None:
        while True:
            if self.state == "head":
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > _MAX_HEAD:
                        self.state = "raw"
                    return
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                length = self.on_head(head)
                if length is None:
                    self.state = "raw"
                elif length == -1:
                    self.state = "chunk-size"
                elif length > 0:
                    self.state, self.remaining = "body", length
            elif self.state == "chunk-size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(self.buf[:end]).split(b";")[0].strip()
                del self.buf[: end + 2]
                if not line:  # the CRLF that ends a chunk's data
                    continue
                size = int(line, 16)
                if size == 0:
                    self.state = "trailer"
                else:
                    self.state, self.remaining = "chunk-data", size
            elif self.state == "trailer":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(self.buf[:end])
                del self.buf[: end + 2]
                if not line:
                    self.state = "head"
            else:
                return
            if self.state in ("body", "chunk-data", "raw") and self.buf:
                rest = bytes(self.buf)
                self.buf.clear()
                self.feed(rest)
                return


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def _body_length(fields: dict[str, str]) -> int | None:
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return -1
    if "content-length" in fields:
        return int(fields["content-length"])
    return None


class CountingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` and counts the traffic (thread per pipe).

    :param upstream_host: host of the real server.
    :param upstream_port: its port.
    :param port: the port to listen on (``0``: a free one).
    """

    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._bytes_down = 0
        self._body_down = 0
        self._bytes_up = 0
        self._connections = 0
        self._requests: Counter[str] = Counter()
        self._ranged_gets = 0
        self._ranges: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", port))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CountingProxy:
        """Start accepting connections (in a background thread)."""
        self._acceptor.start()
        return self

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Close the listener and every open connection; join the threads."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)

    def snapshot(self) -> ProxyStats:
        """The counters so far."""
        with self._lock:
            return ProxyStats(
                bytes_down=self._bytes_down,
                body_bytes_down=self._body_down,
                bytes_up=self._bytes_up,
                connections=self._connections,
                requests=Counter(self._requests),
                ranged_gets=self._ranged_gets,
                ranges=tuple(self._ranges),
            )

    # -- internals -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections += 1
                self._sockets.update((client, server))
            methods: deque[str] = deque()
            up = threading.Thread(
                target=self._pipe, args=(client, server, True, methods), daemon=True
            )
            down = threading.Thread(
                target=self._pipe, args=(server, client, False, methods), daemon=True
            )
            self._threads += [up, down]
            up.start()
            down.start()

    def _on_request(self, head: bytes, methods: deque[str]) -> int | None:
        request_line, fields = _headers(head)
        method = request_line.split(" ", 1)[0].upper()
        methods.append(method)
        with self._lock:
            self._requests[method] += 1
            if method == "GET" and "range" in fields:
                self._ranged_gets += 1
                self._ranges.append(fields["range"])
        length = _body_length(fields)
        return 0 if length is None else length

    def _on_response(self, head: bytes, methods: deque[str]) -> int | None:
        status_line, fields = _headers(head)
        parts = status_line.split(" ")
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if 100 <= status < 200:
            return 0  # an interim response; the real one follows for the same request
        method = methods.popleft() if methods else ""
        if method == "HEAD" or status in (204, 304):
            return 0
        return _body_length(fields)

    def _count_body(self, n: int) -> None:
        with self._lock:
            self._body_down += n

    def _pipe(
        self, src: socket.socket, dst: socket.socket, upstream: bool, methods: deque[str]
    ) -> None:
        if upstream:
            framer = _HttpFramer(lambda h: self._on_request(h, methods), lambda n: None)
        else:
            framer = _HttpFramer(lambda h: self._on_response(h, methods), self._count_body)
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                with self._lock:
                    if upstream:
                        self._bytes_up += len(data)
                    else:
                        self._bytes_down += len(data)
                framer.feed(data)
                dst.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.discard(src)
                self._sockets.discard(dst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="host:port of the real server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: free)")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    with CountingProxy(host or "127.0.0.1", int(port), args.port) as proxy:
        print(f"proxy {proxy.url} -> {args.upstream}; Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            stats = proxy.snapshot()
            print(
                f"down {stats.bytes_down} B (bodies {stats.body_bytes_down} B), up "
                f"{stats.bytes_up} B, requests {dict(stats.requests)}, ranged GETs "
                f"{stats.ranged_gets}"
            )


if __name__ == "__main__":
    main()
