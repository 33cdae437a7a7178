"""An HTTP proxy in front of moto's S3 server that answers chosen requests with S3 errors (503 SlowDown...).

The functions talk to it as to S3 (``AWS_ENDPOINT_URL``); it forwards each request to moto unchanged,
except those matching a ``Fault``: they get S3's XML error document with the fault's status and code,
and never reach moto, as when S3 itself throttles or fails. botocore sees real HTTP errors, so its own
retry logic (standard mode, ``MAX_ATTEMPTS``) decides what happens, exactly as against AWS.

Every request is recorded (method, path, query, and whether a fault answered it), so tests can count the
attempts. ``NoBackoffSleep`` keeps the retries from sleeping their backoff: the delays botocore asks for
are recorded instead, so a test of five attempts takes milliseconds, not seconds.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram_datalake.local.serving import LOOPBACK, TrackedConnectionsMixin, content_length, serving_in_background

# Connection-level headers: they describe one hop, never forwarded (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
)
ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Service is unable to handle request.",
}


@dataclass(frozen=True)
class Request:
    """One request the proxy received."""

    method: str
    path: str  # percent-decoded: ``/bucket/key``
    query: tuple[tuple[str, str], ...]
    fault: str | None  # the error code it was answered with, or None when moto answered it

    def target(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What was asked, whoever answered: retries of one call share it."""
        return self.method, self.path, self.query


@dataclass
class Fault:
    """Answer the first ``times`` requests matching method, path and query (all of them when None)."""

    method: str
    path: str
    status: int
    code: str
    times: int | None = None
    query: Mapping[str, str] = field(default_factory=dict)  # these parameters, with these values
    matched: int = 0  # matching requests seen, failed or forwarded
    failed: int = 0

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        return (
            method == self.method
            and path == self.path
            and all(query.get(name) == value for name, value in self.query.items())
        )

    def error_document(self, request_number: int) -> bytes:
        message = ERROR_MESSAGES.get(self.code, "Injected failure.")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{message}</Message>"
            f"<RequestId>FAULT{request_number:08d}</RequestId><HostId>fault-proxy</HostId></Error>"
        ).encode()


class FaultProxy:
    """The proxy's state: its faults and the requests it has seen. Thread-safe."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname is not None
        assert parts.port is not None
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.url = ""
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[Request] = []

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int,
        code: str,
        times: int | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Fault:
        """Add a fault; the first matching fault that has failures left answers a request."""
        fault = Fault(method, path, status, code, times, dict(query or {}))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def targets(self, since: int = 0) -> Counter[tuple[str, str, tuple[tuple[str, str], ...]]]:
        """How many times each target was requested, from request number ``since`` on."""
        return Counter(request.target() for request in self.requests()[since:])

    def decide(self, method: str, path: str, query: tuple[tuple[str, str], ...]) -> tuple[Fault | None, int]:
        """Record the request; the fault that answers it (None: forward it) and its number."""
        parameters = dict(query)
        with self._lock:
            chosen: Fault | None = None
            for fault in self._faults:
                if fault.matches(method, path, parameters):
                    fault.matched += 1
                    if chosen is None and (fault.times is None or fault.failed < fault.times):
                        fault.failed += 1
                        chosen = fault
            self._requests.append(Request(method, path, query, chosen.code if chosen else None))
            return chosen, len(self._requests)


class _ProxyServer(TrackedConnectionsMixin, ThreadingHTTPServer):
    proxy: FaultProxy
    request_queue_size = 64  # the ETL opens its readers' connections at once: no dropped SYN, no 1 s stall


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"  # keep-alive, as S3 does: botocore reuses its connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """No access log."""

    def handle_one(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = tuple(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = self._read_body()
        except ValueError as error:  # malformed framing: answered like any HTTP server, not forwarded
            self.send_error(HTTPStatus.BAD_REQUEST, str(error))
            return
        fault, number = self.server.proxy.decide(self.command, path, query)
        if fault is not None:
            document = fault.error_document(number)
            self.send_response(fault.status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("x-amz-request-id", f"FAULT{number:08d}")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(document)
            return
        self._forward(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one  # noqa: N815 - http.server's names

    def _read_body(self) -> bytes:
        """The body, chunked or of its ``Content-Length``; ValueError when the framing is malformed."""
        length = content_length(self.headers)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            if length is not None:
                raise ValueError("Content-Length and Transfer-Encoding together")
            chunks: list[bytes] = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(length or 0)

    def _forward(self, body: bytes) -> None:
        proxy = self.server.proxy
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        if body or self.command in {"PUT", "POST"}:
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            upstream_headers = response.getheaders()
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in upstream_headers:
            if name.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:  # send_response sets these
                self.send_header(name, value)
        length = {name.lower(): value for name, value in upstream_headers}.get("content-length")
        self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """Run a ``FaultProxy`` in front of ``upstream`` on loopback for the block; ``.url`` is its endpoint."""
    proxy = FaultProxy(upstream)
    server = _ProxyServer((LOOPBACK, 0), _ProxyHandler)
    server.proxy = proxy
    with serving_in_background(server, name="fault-proxy") as (host, port):
        proxy.url = f"http://{host}:{port}"
        yield proxy


@dataclass
class NoBackoffSleep:
    """Stands in for the ``time`` module of ``botocore.endpoint``: the retry delays are recorded, not slept."""

    delays: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.delays.append(seconds)
