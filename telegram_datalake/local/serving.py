"""Running a threaded socket server in the background so that stopping it leaves nothing behind.

The local servers (moto's S3, the webhook, the tests' fault proxy) serve each connection in a thread of
its own. Stopping them must not depend on their clients: a pooled keep-alive connection (botocore keeps
them open) would otherwise hold its thread, and the process, until the client closes it. So the servers
track their open connections, and stopping one shuts those down, joins every thread and closes the
listening socket. A client that hangs up, or a connection cut on stop, is not an error: no traceback.

Also here, for the servers built on ``http.server``: a ``Content-Length`` parser that refuses what RFC 9112
says to refuse, and a request reader whose reads all share one deadline.

The webhook, which anyone on the machine may call by hand, uses both bounds: a deadline per request and
``max_connections``. Moto's server and the tests' fault proxy use neither: only botocore talks to them,
over keep-alive connections it pools, and with a bound an idle pooled connection would hold a slot that
another of the same pool is waiting for.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import Message
from typing import Any

LOOPBACK = "127.0.0.1"
# How often serve_forever checks for shutdown; stopping a server waits up to this long.
POLL_INTERVAL_SECONDS = 0.05
# A client that went away mid-request: BrokenPipeError, ConnectionResetError, ConnectionAbortedError...
CLIENT_GONE_ERRORS = (ConnectionError, TimeoutError)
# Longer Content-Length values are refused rather than parsed, as Go's net/http and nginx do (2**63 - 1
# has 19 digits): int() would refuse 4,300 digits with a ValueError, and no body is that large anyway.
MAX_CONTENT_LENGTH_DIGITS = 18


class TrackedConnectionsMixin(socketserver.ThreadingMixIn):
    """A threading server whose request threads are joined on close and whose connections can be cut.

    Put it first in the bases, before the server class (``ThreadingHTTPServer``, werkzeug's server...).
    ``max_connections`` (keyword argument; None: no bound) bounds the connections served at once: once
    that many are open, the server stops accepting, and new connections wait in the listen backlog
    (``request_queue_size``) until one ends, as Tomcat's ``maxConnections`` and waitress's
    ``connection_limit`` do. Waiting rather than a 503 means a burst is served in order, not refused;
    what bounds the wait is how long a connection may last (see ``reader_with_deadline``).
    """

    daemon_threads = False  # tracked, so that server_close() joins them
    block_on_close = True
    request_queue_size = 128  # the default 5 stalls concurrent clients (load tests, Telegram's bursts)

    def __init__(self, *args: Any, max_connections: int | None = None, **kwargs: Any) -> None:
        if max_connections is not None and max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._free_slots = threading.BoundedSemaphore(max_connections) if max_connections else None
        self._stopping = threading.Event()
        super().__init__(*args, **kwargs)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection once it may be served; until then it waits in the listen backlog."""
        self._wait_for_a_free_slot()
        try:
            connection, address = super().get_request()  # type: ignore[misc]
        except OSError:
            self._release_slot()
            raise
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def _wait_for_a_free_slot(self) -> None:
        """Block while ``max_connections`` are open; OSError (the server skips the accept) when stopping."""
        if self._free_slots is None:
            return
        while not self._free_slots.acquire(timeout=POLL_INTERVAL_SECONDS):
            if self._stopping.is_set():
                raise OSError("the server is stopping")

    def _release_slot(self) -> None:
        if self._free_slots is not None:
            self._free_slots.release()

    def shutdown_request(self, request: Any) -> None:
        """Close the connection and free its slot (once, however many times this is called for it)."""
        with self._connections_lock:
            tracked = request in self._connections
            self._connections.discard(request)
        super().shutdown_request(request)  # type: ignore[misc]
        if tracked:
            self._release_slot()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A traceback for real errors only: a client that went away, or a connection cut on stop, is not one."""
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_GONE_ERRORS) or (self._stopping.is_set() and isinstance(error, OSError)):
            return
        super().handle_error(request, client_address)  # type: ignore[misc]

    def shutdown(self) -> None:
        """End serve_forever's loop, also while it waits for a free slot; returns once the loop has ended."""
        self._stopping.set()
        super().shutdown()  # type: ignore[misc]

    def cut_connections(self) -> None:
        """End every open connection: threads waiting for a client's next request see end-of-file."""
        self._stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):  # already closed by the client or by its thread
                connection.shutdown(socket.SHUT_RDWR)


class _DeadlineSocketReader(io.RawIOBase):
    """Socket reads that share one deadline: a socket timeout bounds each read, this bounds their sum."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        super().__init__()
        self._connection = connection
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the request took longer than {self._seconds} s")
        self._connection.settimeout(remaining)
        return self._connection.recv_into(buffer)


def reader_with_deadline(connection: socket.socket, seconds: float) -> io.BufferedReader:
    """A buffered reader of ``connection`` raising TimeoutError once ``seconds`` have passed from now.

    A client that drips a byte at a time never trips a per-read timeout; it trips this one.
    """
    return io.BufferedReader(_DeadlineSocketReader(connection, seconds))


def content_length(headers: Message) -> int | None:
    """The body length a request declares, None without a ``Content-Length``; ValueError with the reason.

    Only one header of ASCII digits is a length (RFC 9110, 8.6; RFC 9112, 6.3): ``str.isdigit`` and
    ``int`` also take ``²``, ``٣``, ``+5``, ``5_0`` and strip Unicode spaces; two headers, even equal,
    are refused, as nginx does. Optional whitespace (space, tab) around the digits is not part of the value.
    """
    values = headers.get_all("Content-Length") or []
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("several Content-Length headers")
    digits = values[0].strip(" \t")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("Content-Length must be a decimal number of bytes")
    if len(digits) > MAX_CONTENT_LENGTH_DIGITS:
        raise ValueError("Content-Length is out of range")
    return int(digits)


def bound_address(server: socketserver.TCPServer) -> tuple[str, int]:
    """The host and port ``server`` listens on; RuntimeError unless it is a loopback address."""
    host, port = server.socket.getsockname()[:2]
    if not ipaddress.ip_address(host).is_loopback:
        raise RuntimeError(f"refusing to serve on {host}: the local stack listens on loopback only")
    return str(host), int(port)


@contextmanager
def serving_in_background(server: socketserver.TCPServer, name: str) -> Iterator[tuple[str, int]]:
    """Serve ``server`` in a thread named ``<name>-<port>``; yields its loopback ``(host, port)``.

    ``server`` must be bound already; it is closed on exit, also when it is not on loopback
    (RuntimeError) or the thread never started. On exit it stops, ends its connections and joins
    every thread it started.
    """
    thread: threading.Thread | None = None
    try:
        host, port = bound_address(server)
        thread = threading.Thread(
            target=server.serve_forever, args=(POLL_INTERVAL_SECONDS,), name=f"{name}-{port}", daemon=True
        )
        thread.start()
        yield host, port
    finally:
        if thread is not None and thread.is_alive():
            server.shutdown()  # returns once serve_forever's loop has ended: no new connection is accepted
        if isinstance(server, TrackedConnectionsMixin):
            server.cut_connections()
        if thread is not None and thread.ident is not None:
            thread.join()
        server.server_close()  # closes the listening socket and joins the request threads (idempotent)
