"""The webhook on this machine: a loopback HTTP server playing API Gateway in front of the ingest Lambda.

Each ``POST /webhook`` becomes the API Gateway HTTP API (payload 2.0) event the deployed function gets,
and the unchanged ``functions.ingest.handler.lambda_handler`` answers it: its status code, headers and
body are the HTTP response, byte for byte. What API Gateway itself would answer, this server answers:

| request | response |
| --- | --- |
| any path but ``/webhook`` | 404 ``{"message":"Not Found"}`` |
| ``/webhook`` with another method than POST | 405 ``{"message":"Method Not Allowed"}``, ``Allow: POST`` (*) |
| no ``Content-Length`` (chunked bodies included) | 411 ``{"message":"Length Required"}`` |
| a ``Content-Length`` that is not one plain ASCII decimal (``+5``, ``²``, repeated...) | 400 ``{"message":"..."}`` |
| a ``Content-Length`` with a ``Transfer-Encoding``, or a body shorter than it | 400 ``{"message":"..."}`` |
| a body over 6 MB (Lambda's payload limit) | 413 ``{"message":"Request Entity Too Large"}`` |
| a body still incomplete at the request's deadline | 408 ``{"message":"Request Timeout"}`` |
| the function raised | 500 ``{"message":"Internal Server Error"}`` (the traceback goes to stderr) |

(*) API Gateway answers 404 for every request that matches no route, other methods included; the 405
says more to someone trying the webhook by hand. Telegram only ever POSTs.

The function itself refuses bodies over 1 MiB (413), wrong secrets (401) and bad JSON (400).

Every connection carries one request (HTTP/1.0) and has ``request_deadline_seconds`` in all to send it:
request line, headers and body. A client still sending its request line or headers then is disconnected
without an answer (there is no request to answer yet, as with nginx and Go's net/http); one still sending
its body is answered 408. After a refusal the server reads and drops what the client still sends, up to
that deadline, so that the client reads the answer rather than a connection reset. At most
``max_connections`` connections are served at once; further ones wait in the listen backlog until one
ends (see ``serving.TrackedConnectionsMixin``). Clients that hang up are no error: nothing is printed.

Nothing about a request is logged: headers carry the webhook's secret token, bodies the chat's messages.

``trust_time_header=True`` is for the demo only: it lets a client set the arrival time (which decides an
update's day partition) with ``X-Demo-Received-At: <epoch milliseconds>``, so a week of history can be
replayed in seconds. Without it, as on AWS, the arrival time is the time the request arrived.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from functions.ingest.handler import lambda_handler
from telegram_datalake.local.events import api_gateway_event
from telegram_datalake.local.serving import (
    LOOPBACK,
    TrackedConnectionsMixin,
    content_length,
    reader_with_deadline,
    serving_in_background,
)

WEBHOOK_PATH = "/webhook"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a Lambda invocation's payload limit; API Gateway refuses larger bodies
TIME_HEADER = "X-Demo-Received-At"
MAX_EPOCH_MS = 253_402_300_800_000  # year 10000: beyond what datetime can represent
# Request line, headers and body, in all: ample for 6 MB on loopback, short enough that slow clients
# cannot hold all the connections for long. It also bounds each write of an answer.
REQUEST_DEADLINE_SECONDS = 10.0
MAX_CONNECTIONS = 32  # served at once (a thread each); more wait in the listen backlog
_DRAIN_LIMIT = 4 * MAX_PAYLOAD_BYTES  # after a refusal, what the client still sends is dropped up to this size
_CHUNK = 64 * 1024

LOGGER = logging.getLogger(__name__)


class _RefusedError(Exception):
    """A request the gateway answers itself, without invoking the function."""

    def __init__(
        self, status: HTTPStatus, message: str | None = None, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message or status.phrase)
        self.status, self.message, self.headers = status, message or status.phrase, dict(headers or {})


class _WebhookServer(TrackedConnectionsMixin, ThreadingHTTPServer):
    """A thread per connection, ``max_connections`` at most; the settings are described in the module."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        trust_time_header: bool,
        request_deadline_seconds: float,
        max_connections: int,
    ) -> None:
        if request_deadline_seconds <= 0:
            raise ValueError(f"request_deadline_seconds must be positive, not {request_deadline_seconds}")
        super().__init__(address, _WebhookRequestHandler, max_connections=max_connections)
        self.trust_time_header = trust_time_header
        self.request_deadline_seconds = request_deadline_seconds


class _WebhookRequestHandler(BaseHTTPRequestHandler):
    """API Gateway's routing and limits, then the ingest function."""

    server: _WebhookServer
    server_version = "telegram-datalake-local"

    def setup(self) -> None:
        """Read the request through a reader with its deadline: a timeout per read would let a client drip."""
        super().setup()
        self.rfile.close()
        self.rfile = reader_with_deadline(self.connection, self.server.request_deadline_seconds)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default access log is not wanted, and nothing about a request may be logged."""

    def do_POST(self) -> None:
        try:
            self._route()
        except _RefusedError as refused:
            payload = json.dumps({"message": refused.message}, separators=(",", ":")).encode()
            self._send(refused.status, payload, {"content-type": "application/json", **refused.headers})
            self.close_connection = True
            self._drain()

    # Every method reaches the router: 405 on /webhook, 404 elsewhere (see the table above).
    do_GET = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST  # noqa: N815 - http.server's names

    def _route(self) -> None:
        path = urlsplit(self.path).path
        if path != WEBHOOK_PATH:
            raise _RefusedError(HTTPStatus.NOT_FOUND)
        if self.command != "POST":
            raise _RefusedError(HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": "POST"})
        body = self._body()
        event = api_gateway_event(
            body,
            self._event_headers(),
            method=self.command,
            path=path,
            source_ip=self.client_address[0],
            received_at=self._received_at(),
        )
        try:
            response = lambda_handler(event, None)
        except Exception as error:  # what Lambda does with an unhandled error: API Gateway answers a bare 500
            LOGGER.exception("the ingest function raised")
            raise _RefusedError(HTTPStatus.INTERNAL_SERVER_ERROR) from error
        text = str(response.get("body") or "")
        payload = base64.b64decode(text) if response.get("isBase64Encoded") is True else text.encode()
        self._send(int(response.get("statusCode", HTTPStatus.OK)), payload, response.get("headers") or {})

    def _body(self) -> bytes:
        """The request body, read only when its one declared length is valid and within the limit."""
        length = self._declared_length()
        if length > MAX_PAYLOAD_BYTES:
            # Spelled out: Python 3.13 renamed the status's phrase "Content Too Large".
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise _RefusedError(HTTPStatus.REQUEST_TIMEOUT) from None
        if len(body) < length:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        return body

    def _declared_length(self) -> int:
        """The ``Content-Length``; refused when invalid, missing, or given with a ``Transfer-Encoding``.

        Both headers at once is how request smuggling starts (RFC 9112, 6.1): refused, connection closed.
        """
        try:
            length = content_length(self.headers)
        except ValueError as error:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, str(error)) from None
        if "Transfer-Encoding" in self.headers and length is not None:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding together")
        if length is None:
            raise _RefusedError(HTTPStatus.LENGTH_REQUIRED)
        return length

    def _received_at(self) -> datetime | None:
        """The demo's arrival time when the server trusts the header and it is given; None means now."""
        raw = self.headers.get(TIME_HEADER)
        if not self.server.trust_time_header or raw is None:
            return None
        text = raw.strip(" \t")
        if not _is_epoch_ms(text):
            raise _RefusedError(HTTPStatus.BAD_REQUEST, f"{TIME_HEADER} must be Unix epoch milliseconds")
        seconds, milliseconds = divmod(int(text), 1000)
        return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=milliseconds)

    def _event_headers(self) -> dict[str, str]:
        """Request headers as API Gateway passes them: names lower-cased, repeated headers comma-joined."""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        return headers

    def _send(self, status: int, payload: bytes, headers: Mapping[str, Any]) -> None:
        self.connection.settimeout(self.server.request_deadline_seconds)  # a client that stops reading lets go
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _drain(self) -> None:
        """After a refusal, read and drop what the client still sends, so that it reads the answer.

        Closing a socket with unread data sends a reset, which can reach a client still sending its body
        before it reads the answer: a broken pipe instead of a 411 or 413. The answer is ended first
        (the client sees end-of-file); draining stops at the client's own end-of-file, after
        ``_DRAIN_LIMIT`` bytes, or at the request's deadline.
        """
        with suppress(OSError):  # the client gave up or was too slow, or the server is stopping
            self.connection.shutdown(socket.SHUT_WR)
            drained = 0
            while drained < _DRAIN_LIMIT and (chunk := self.rfile.read1(_CHUNK)):
                drained += len(chunk)


def _is_epoch_ms(text: str) -> bool:
    """Whether ``text`` is ASCII digits short of year 10000 (``str.isdigit`` alone takes ``²``, which int refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= len(str(MAX_EPOCH_MS)) and int(text) < MAX_EPOCH_MS


@contextmanager
def webhook_server(
    *,
    port: int = 0,
    trust_time_header: bool = False,
    request_deadline_seconds: float = REQUEST_DEADLINE_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
) -> Iterator[str]:
    """Serve the webhook on ``127.0.0.1:port`` (0: a free port); yields its URL, ``http://127.0.0.1:<port>/webhook``.

    The ingest function reads its settings from the process environment on every request. OSError if
    ``port`` is taken. ``trust_time_header`` is a demo-only switch; ``request_deadline_seconds`` is how long
    a client has to send its whole request, ``max_connections`` how many are served at once: see the
    module's documentation.
    """
    server = _WebhookServer(
        (LOOPBACK, port),
        trust_time_header=trust_time_header,
        request_deadline_seconds=request_deadline_seconds,
        max_connections=max_connections,
    )
    with serving_in_background(server, name="local-webhook") as (host, bound_port):
        yield f"http://{host}:{bound_port}{WEBHOOK_PATH}"
