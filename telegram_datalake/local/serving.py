"""Running a threaded socket server in the background so that stopping it leaves nothing behind.

Both local servers (moto's S3 and the webhook) serve each connection in a thread of its own. Stopping
them must not depend on their clients: a pooled keep-alive connection (botocore keeps them open) would
otherwise hold its thread, and the process, until the client closes it. So the servers track their
open connections, and stopping one shuts those down, joins every thread and closes the listening socket.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

LOOPBACK = "127.0.0.1"
# How often serve_forever checks for shutdown; stopping a server waits up to this long.
POLL_INTERVAL_SECONDS = 0.05


class TrackedConnectionsMixin(socketserver.ThreadingMixIn):
    """A threading server whose request threads are joined on close and whose connections can be cut.

    Put it first in the bases, before the server class (``ThreadingHTTPServer``, werkzeug's server...).
    """

    daemon_threads = False  # tracked, so that server_close() joins them
    block_on_close = True
    request_queue_size = 128  # the default 5 stalls concurrent clients (load tests, Telegram's bursts)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)  # type: ignore[misc]

    def cut_connections(self) -> None:
        """End every open connection: threads waiting for a client's next request see end-of-file."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):  # already closed by the client or by its thread
                connection.shutdown(socket.SHUT_RDWR)


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
