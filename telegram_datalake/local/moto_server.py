"""AWS on this machine (S3, Secrets Manager...): moto's server in a background thread, on loopback, for as long
as a ``with`` block lasts.

This is what ``moto.server.ThreadedMotoServer`` does, built from the same moto pieces (its WSGI app and
request handler) so that it also:

- listens on ``127.0.0.1`` only, on a free port the system picks (no race between finding and binding one);
- fails at once if it cannot bind (``ThreadedMotoServer.start`` would wait forever);
- joins every request thread when it stops, even while botocore still holds keep-alive connections;
- prints no access log (a line per S3 call); moto's own errors are still logged.

Moto keeps its state in this process, shared by every moto server and ``mock_aws`` in it: each server
starts by resetting that state, so a stack never sees the buckets of an earlier one.
"""

from __future__ import annotations

import functools
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

from telegram_datalake.local.serving import LOOPBACK, TrackedConnectionsMixin, serving_in_background

RESET_PATH = "/moto-api/reset"


class _QuietMotoRequestHandler(MotoRequestHandler):
    """Moto's request handler without werkzeug's per-request and per-connection log lines."""

    def log(self, type: str, message: str, *args: object) -> None:
        """Dropped: request lines and dropped connections. Errors inside moto go through the server's log."""


class _MotoServer(TrackedConnectionsMixin, ThreadedWSGIServer):
    """Werkzeug's threaded server, with request threads joined and connections cut on close."""


@functools.cache
def no_proxy_opener() -> urllib.request.OpenerDirector:
    """A urllib opener that never uses a proxy: requests to the local servers must stay on loopback."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def reset_moto(endpoint: str) -> None:
    """Empty every moto backend of this process (buckets, objects...) through moto's management API."""
    request = urllib.request.Request(endpoint + RESET_PATH, data=b"", method="POST")  # noqa: S310 - http only
    with no_proxy_opener().open(request, timeout=10) as response:
        response.read()


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's server on loopback; yields its endpoint URL (``http://127.0.0.1:<port>``), empty of buckets."""
    app = DomainDispatcherApplication(create_backend_app)
    server = _MotoServer(LOOPBACK, 0, app, handler=_QuietMotoRequestHandler)
    with serving_in_background(server, name="local-s3") as (host, port):
        endpoint = f"http://{host}:{port}"
        reset_moto(endpoint)
        yield endpoint
