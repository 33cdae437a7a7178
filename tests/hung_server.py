"""A TCP server on 127.0.0.1 that accepts every connection and never answers: a hung endpoint.

It counts the connections it accepted, so a test can tell how many attempts a client made, and holds
them open until the block ends, as a server that stopped responding would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class HungServer:
    url: str = ""
    accepted: list[socket.socket] = field(default_factory=list)

    @property
    def connections(self) -> int:
        return len(self.accepted)


def _accept_forever(listener: socket.socket, server: HungServer) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:  # the listener was closed: the block ended
            return
        server.accepted.append(connection)  # kept open, never read from or written to


@contextmanager
def hung_server() -> Iterator[HungServer]:
    """The server, accepting on a free loopback port in a background thread until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    host, port = listener.getsockname()[:2]
    server = HungServer(url=f"http://{host}:{port}")
    thread = threading.Thread(target=_accept_forever, args=(listener, server), name="hung-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        with contextlib.suppress(OSError):  # wakes the blocked accept() on Linux
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(10)
        for connection in server.accepted:
            connection.close()
