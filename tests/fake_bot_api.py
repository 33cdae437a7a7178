"""A fake Telegram Bot API on 127.0.0.1 that checks every request against what the test expects.

Each test lists the calls it expects, in order, with the exact JSON parameters and the canned answer.
The server checks the path (``/bot<token>/<method>``), the HTTP method, the content type and the
parameters (compared as canonical JSON, so ``true`` never passes for ``1``); it records every request
and answers a mismatch with a 400 the client cannot mistake for success. ``check()`` fails the test on
any mismatch or on an expected call that never came.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "123456789:AAH-fake_TokenForTests0123456789abcdef"
UPLOADS = frozenset({"sendPhoto"})  # methods whose request is multipart/form-data, the others' JSON
WAIT = 10.0  # seconds any wait of the fake gives up after


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any] | bytes  # bytes: sent as they are, for answers that are not the Bot API's JSON


def ok(result: Any) -> Reply:
    return Reply(200, {"ok": True, "result": result})


def failure(status: int, description: str, **parameters: Any) -> Reply:
    """A Bot API error answer, ``parameters`` (e.g. ``retry_after``) included when given."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(status, body)


@dataclass(frozen=True)
class Matching:
    """An expected parameter the test cannot know in advance (a generated token): any string of ``pattern``."""

    pattern: str


def matches(expected: Any, actual: Any) -> bool:
    """``actual`` equals ``expected`` as canonical JSON, where each ``Matching`` stands for a string of its pattern."""
    if isinstance(expected, Matching):
        return isinstance(actual, str) and re.fullmatch(expected.pattern, actual) is not None
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(matches(expected[key], actual[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(item, other) for item, other in zip(expected, actual, strict=True))
        )
    return canonical(expected) == canonical(actual)


@dataclass
class Expectation:
    method: str
    parameters: dict[str, Any]
    reply: Reply
    before_reply: Callable[[], object] | None = None  # runs in the server thread before the answer is sent


@dataclass(frozen=True)
class Recorded:
    http_method: str
    path: str
    content_type: str | None
    parameters: Any


@dataclass
class FakeBotApi:
    token: str = TOKEN
    url: str = ""
    expected: list[Expectation] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    arrivals: queue.Queue[Recorded] = field(default_factory=queue.Queue)
    release: threading.Event = field(default_factory=threading.Event)  # set when the server stops
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(
        self,
        method: str,
        parameters: dict[str, Any],
        reply: Reply,
        before_reply: Callable[[], object] | None = None,
    ) -> None:
        self.expected.append(Expectation(method, parameters, reply, before_reply))

    def calls(self) -> list[tuple[str, Any]]:
        """(Bot API method, parameters) of every request received, in order."""
        return [(request.path.rsplit("/", 1)[-1], request.parameters) for request in self.requests]

    def check(self) -> None:
        assert not self.problems, self.problems
        assert not self.expected, f"expected calls never came: {[e.method for e in self.expected]}"

    def answer(self, http_method: str, path: str, content_type: str | None, body: bytes) -> Reply:
        if (content_type or "").startswith("multipart/form-data"):
            parameters: Any = form_fields(content_type or "", body)
        else:
            try:
                parameters = json.loads(body) if body else None
            except ValueError:
                parameters = body.decode("utf-8", "replace")
        recorded = Recorded(http_method, path, content_type, parameters)
        with self.lock:
            self.requests.append(recorded)
            expectation = self.expected.pop(0) if self.expected else None
        self.arrivals.put(recorded)
        problem = self._problem(recorded, expectation)
        if problem is not None:
            with self.lock:
                self.problems.append(problem)
            return failure(400, f"fake Bot API: {problem}")
        assert expectation is not None
        if expectation.before_reply is not None:
            expectation.before_reply()
        return expectation.reply

    def _problem(self, request: Recorded, expectation: Expectation | None) -> str | None:
        if expectation is None:
            return f"unexpected request {request.http_method} {request.path} {request.parameters!r}"
        wanted_path = f"/bot{self.token}/{expectation.method}"
        if request.path != wanted_path:
            return f"path {request.path!r}, expected {wanted_path!r}"
        if request.http_method != "POST":
            return f"HTTP method {request.http_method}, expected POST"
        wanted_type = "multipart/form-data" if expectation.method in UPLOADS else "application/json"
        if (request.content_type or "").split(";")[0] != wanted_type:
            return f"content type {request.content_type!r}, expected {wanted_type!r}"
        if not matches(expectation.parameters, request.parameters):
            return f"{expectation.method} parameters {request.parameters!r}, expected {expectation.parameters!r}"
        return None


def form_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body as the parameters it carries: a text field as its text, a file as
    ``{"filename", "content_type", "content"}`` (the bytes as latin-1 text, so they compare as JSON)."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        assert isinstance(name, str), part
        assert isinstance(content, bytes), part
        file_name = part.get_filename()
        if file_name is None:
            fields[name] = content.decode()
        else:
            fields[name] = {
                "filename": file_name,
                "content_type": part.get_content_type(),
                "content": content.decode("latin-1"),
            }
    return fields


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake.answer(self.command, self.path, self.headers.get("Content-Type"), body)
        raw = isinstance(reply.body, bytes)
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/html" if raw else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a test of its timeout, or a reply held until the server stopped)

    def do_POST(self) -> None:  # the name http.server dispatches to
        self._serve()

    def do_GET(self) -> None:  # answered too, to report the wrong HTTP method
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args  # quiet: the fake records requests instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeBotApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


@contextmanager
def running_fake_bot_api(token: str = TOKEN) -> Iterator[FakeBotApi]:
    """The fake, serving on a free loopback port in a background thread until the block ends."""
    fake = FakeBotApi(token)
    server = _Server(fake)
    host, port = server.server_address[:2]
    fake.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), name="fake-bot-api", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(WAIT)
