"""The webhook on this machine: a loopback HTTP server playing API Gateway in front of the ingest Lambda.

Each ``POST /webhook`` becomes the API Gateway HTTP API (payload 2.0) event the deployed function gets,
and the unchanged ``functions.ingest.handler.lambda_handler`` answers it: its status code, headers and
body are the HTTP response, byte for byte. What API Gateway itself would answer, this server answers:

| request | response |
| --- | --- |
| any path but ``/webhook`` | 404 ``{"message":"Not Found"}`` |
| ``/webhook`` with another method than POST | 405 ``{"message":"Method Not Allowed"}``, ``Allow: POST`` (*) |
| no ``Content-Length`` (chunked bodies included) | 411 ``{"message":"Length Required"}`` |
| a ``Content-Length`` that is not a number, or a body shorter than it | 400 ``{"message":"..."}`` |
| a body over 6 MB (Lambda's payload limit) | 413 ``{"message":"Request Entity Too Large"}`` |
| the function raised | 500 ``{"message":"Internal Server Error"}`` (the traceback goes to stderr) |

(*) API Gateway answers 404 for every request that matches no route, other methods included; the 405
says more to someone trying the webhook by hand. Telegram only ever POSTs.

The function itself refuses bodies over 1 MiB (413), wrong secrets (401) and bad JSON (400).

Nothing about a request is logged: headers carry the webhook's secret token, bodies the chat's messages.

``trust_time_header=True`` is for the demo only: it lets a client set the arrival time (which decides an
update's day partition) with ``X-Demo-Received-At: <epoch milliseconds>``, so a week of history can be
replayed in seconds. Without it, as on AWS, the arrival time is the time the request arrived.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from functions.ingest.handler import lambda_handler
from telegram_datalake.local.events import api_gateway_event
from telegram_datalake.local.serving import LOOPBACK, TrackedConnectionsMixin, serving_in_background

WEBHOOK_PATH = "/webhook"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a Lambda invocation's payload limit; API Gateway refuses larger bodies
TIME_HEADER = "X-Demo-Received-At"
MAX_EPOCH_MS = 253_402_300_800_000  # year 10000: beyond what datetime can represent
REQUEST_TIMEOUT_SECONDS = 30  # a client that stops sending mid-request loses its connection
_DISCARD_LIMIT = 4 * MAX_PAYLOAD_BYTES  # an oversized body is read and dropped up to this size, then cut off
_CHUNK = 64 * 1024

LOGGER = logging.getLogger(__name__)


class _RefusedError(Exception):
    """A request the gateway answers itself, without invoking the function."""

    def __init__(
        self,
        status: HTTPStatus,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        unread_body: int = 0,
    ) -> None:
        super().__init__(message or status.phrase)
        self.status, self.message, self.headers = status, message or status.phrase, dict(headers or {})
        self.unread_body = unread_body  # bytes of body to drop after answering


class _WebhookServer(TrackedConnectionsMixin, ThreadingHTTPServer):
    """One thread per request; ``trust_time_header`` is the demo-only switch described above."""

    trust_time_header = False


class _WebhookRequestHandler(BaseHTTPRequestHandler):
    """API Gateway's routing and limits, then the ingest function."""

    server: _WebhookServer
    timeout = REQUEST_TIMEOUT_SECONDS
    server_version = "telegram-datalake-local"

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
            self._discard(refused.unread_body)

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
        """The request body, read only when its declared length is within the limit."""
        raw = self.headers.get("Content-Length")
        if raw is None or "Transfer-Encoding" in self.headers:
            raise _RefusedError(HTTPStatus.LENGTH_REQUIRED)
        if not raw.strip().isdigit():
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        length = int(raw)
        if length > MAX_PAYLOAD_BYTES:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large", unread_body=length)
        body = self.rfile.read(length)
        if len(body) < length:
            raise _RefusedError(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length")
        return body

    def _received_at(self) -> datetime | None:
        """The demo's arrival time when the server trusts the header and it is given; None means now."""
        raw = self.headers.get(TIME_HEADER)
        if not self.server.trust_time_header or raw is None:
            return None
        text = raw.strip()
        if not text.isdigit() or int(text) >= MAX_EPOCH_MS:
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
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _discard(self, length: int) -> None:
        """Read and drop a refused body, so that a client still sending it reads the answer, not a reset."""
        remaining = length if length <= _DISCARD_LIMIT else 0
        with suppress(OSError):  # the client gave up, or timed out: the connection closes either way
            while remaining > 0:
                chunk = self.rfile.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)


@contextmanager
def webhook_server(*, port: int = 0, trust_time_header: bool = False) -> Iterator[str]:
    """Serve the webhook on ``127.0.0.1:port`` (0: a free port); yields its URL, ``http://127.0.0.1:<port>/webhook``.

    The ingest function reads its settings from the process environment on every request. OSError if
    ``port`` is taken. ``trust_time_header`` is a demo-only switch: see the module's documentation.
    """
    server = _WebhookServer((LOOPBACK, port), _WebhookRequestHandler)
    server.trust_time_header = trust_time_header
    with serving_in_background(server, name="local-webhook") as (host, bound_port):
        yield f"http://{host}:{bound_port}{WEBHOOK_PATH}"
