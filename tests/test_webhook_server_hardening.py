"""The local webhook server against clients that misbehave: odd framing, slow senders, floods, hang-ups.

Each test talks to a real server over a raw socket, so it controls every byte, and checks what a client
sees (status, JSON reason, the connection being closed) and that the server prints no traceback. Only the
tests of accepted requests set up the ingest function's environment (a local stack): elsewhere a request
that reached the function would be answered 500 ``misconfigured``, not with the refusal expected. The
other servers built on ``serving.py`` (moto's, the tests' fault proxy) get the tests that apply to them.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager

import pytest

from telegram_datalake.local.moto_server import moto_server
from telegram_datalake.local.stack import LocalStack, local_stack
from telegram_datalake.local.webhook_server import TIME_HEADER, webhook_server
from tests.conftest import SECRET, update_body
from tests.fault_proxy import fault_proxy

GENEROUS_SECONDS = 15.0  # how long a test waits for something that takes a fraction of a second
SHORT_DEADLINE = 0.5  # the request deadline the tests give the server
DRIP_INTERVAL = 0.05  # a dripping client sends a byte whenever the server stays silent this long


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=GENEROUS_SECONDS)


def head(content_lengths: list[bytes], path: bytes = b"/webhook", extra: bytes = b"") -> bytes:
    """A request line and headers, with one ``Content-Length`` header per value given."""
    lines = b"".join(b"Content-Length: " + value + b"\r\n" for value in content_lengths)
    return b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + lines + extra + b"\r\n"


def read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closing)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def status_and_json(answer: bytes) -> tuple[int, object]:
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


def exchange(port: int, request: bytes) -> tuple[int, object]:
    """Send ``request`` whole, then read the answer up to the end of the connection."""
    with closing(connect(port)) as sock:
        sock.sendall(request)
        return status_and_json(read_to_end(sock))


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a client that crashes or times out does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def assert_no_traceback(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture | None = None) -> None:
    """Nothing printed, and (with ``caplog``) nothing logged, with a traceback: werkzeug logs moto's errors."""
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert "Exception occurred during processing" not in err, err
    if caplog is not None:
        logged = [record.getMessage() for record in caplog.records]
        assert [message for message in logged if "Traceback" in message or "Error on request" in message] == []


@pytest.fixture
def port() -> Iterator[int]:
    with webhook_server() as url:
        yield port_of(url)


NOT_A_DECIMAL = "Content-Length must be a decimal number of bytes"
OUT_OF_RANGE = "Content-Length is out of range"
SEVERAL = "several Content-Length headers"
BOTH = "Content-Length and Transfer-Encoding together"


@pytest.mark.parametrize(
    ("content_lengths", "extra", "reason"),
    [
        pytest.param([b"\xb2"], b"", NOT_A_DECIMAL, id="superscript-two"),  # '²' in ISO-8859-1: str.isdigit()
        pytest.param(["٣".encode()], b"", NOT_A_DECIMAL, id="arabic-indic-three"),
        pytest.param([b"-1"], b"", NOT_A_DECIMAL, id="negative"),
        pytest.param([b"+5"], b"", NOT_A_DECIMAL, id="plus-sign"),
        pytest.param([b"\xa05"], b"", NOT_A_DECIMAL, id="no-break-space"),  # str.strip() removes it
        pytest.param([b"\x0b5"], b"", NOT_A_DECIMAL, id="vertical-tab"),
        pytest.param([b"5\x0c"], b"", NOT_A_DECIMAL, id="form-feed"),
        pytest.param([b"\r\n 5"], b"", NOT_A_DECIMAL, id="obsolete-line-folding"),
        pytest.param([b"5, 5"], b"", NOT_A_DECIMAL, id="list"),
        pytest.param([b"0x5"], b"", NOT_A_DECIMAL, id="hexadecimal"),
        pytest.param([b"5_0"], b"", NOT_A_DECIMAL, id="underscore"),
        pytest.param([b""], b"", NOT_A_DECIMAL, id="empty"),
        pytest.param([b"9" * 5000], b"", OUT_OF_RANGE, id="5000-digits"),  # int() refuses over 4300 digits
        pytest.param([b"1" + b"0" * 18], b"", OUT_OF_RANGE, id="19-digits"),  # beyond a 64-bit length
        pytest.param([b"5", b"6"], b"", SEVERAL, id="disagreeing-duplicates"),
        pytest.param([b"5", b"5"], b"", SEVERAL, id="agreeing-duplicates"),
        pytest.param([b"5"], b"Transfer-Encoding: chunked\r\n", BOTH, id="with-transfer-encoding"),
    ],
)
def test_a_content_length_that_is_not_one_plain_decimal_is_refused(
    port: int, content_lengths: list[bytes], extra: bytes, reason: str, capfd: pytest.CaptureFixture[str]
) -> None:
    answer = exchange(port, head(content_lengths, extra=extra) + b"hello")
    assert answer == (400, {"message": reason})
    assert_no_traceback(capfd)


@pytest.mark.parametrize("value", [b"\xb2", b"9" * 5000, b"1" + b"0" * 15, b"-1", b"\xa01"])
def test_a_time_header_that_is_not_plain_epoch_milliseconds_is_refused(
    value: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    with webhook_server(trust_time_header=True) as url:
        answer = exchange(port_of(url), head([b"2"], extra=TIME_HEADER.encode() + b": " + value + b"\r\n") + b"{}")
    assert answer == (400, {"message": f"{TIME_HEADER} must be Unix epoch milliseconds"})
    assert_no_traceback(capfd)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with local_stack(secret_token=SECRET) as running:
        yield running


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(b"%d", id="plain"),
        pytest.param(b"000%d", id="leading-zeros"),  # 1*DIGIT in RFC 9110
        pytest.param(b"  %d", id="leading-space"),  # optional whitespace, not part of the field value
        pytest.param(b"%d \t", id="trailing-whitespace"),
    ],
)
def test_a_plain_decimal_content_length_is_accepted(stack: LocalStack, spelling: bytes) -> None:
    body = update_body({"update_id": 9001, "message": {"message_id": 1, "chat": {"id": 1}, "date": 1, "text": "x"}})
    secret = b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
    answer = exchange(port_of(stack.webhook_url), head([spelling % len(body)], extra=secret) + body)
    assert answer == (200, {"status": "stored"})


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 65536):
        yield b"x" * 65536


@pytest.mark.parametrize(
    ("path", "chunked", "answer"),
    [
        pytest.param("/webhook", True, (411, {"message": "Length Required"}), id="chunked-body"),
        pytest.param("/elsewhere", False, (404, {"message": "Not Found"}), id="body-to-another-path"),
    ],
)
def test_a_refused_request_gets_its_answer_even_with_a_large_body(
    port: int, path: str, chunked: bool, answer: tuple[int, object], capfd: pytest.CaptureFixture[str]
) -> None:
    """Answering before the body is read must not turn into a reset that the client sees instead."""
    size = 16 * 1024 * 1024  # more than the system buffers, so the client is still sending when refused
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=GENEROUS_SECONDS)
    try:
        if chunked:
            connection.request("POST", path, body=chunks(size), encode_chunked=True)
        else:
            connection.request("POST", path, body=b"x" * size)
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == answer
    finally:
        connection.close()
    assert_no_traceback(capfd)


def drip_until_cut_off(sock: socket.socket, data: bytes) -> bytes:
    """Send ``data`` a byte at a time while the server stays silent; what it sent when it cut the client off."""
    give_up = time.monotonic() + GENEROUS_SECONDS
    for index in range(len(data)):
        if select.select([sock], [], [], DRIP_INTERVAL)[0]:
            return read_to_end(sock)
        try:
            sock.send(data[index : index + 1])
        except (BrokenPipeError, ConnectionResetError):
            return b""
        assert time.monotonic() < give_up, f"still connected after {GENEROUS_SECONDS} s of dripping"
    pytest.fail("the whole request was dripped without the server cutting it off")


@pytest.mark.parametrize(
    ("sent_at_once", "dripped"),
    [
        pytest.param(b"", b"POST /webhook HTTP/1.1\r\nX-Padding: " + b"x" * 100000, id="request-line-and-headers"),
        pytest.param(head([b"100000"]), b"x" * 100000, id="body"),
    ],
)
def test_a_client_dripping_its_request_is_cut_off_at_the_deadline(
    sent_at_once: bytes, dripped: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    with webhook_server(request_deadline_seconds=SHORT_DEADLINE) as url, closing(connect(port_of(url))) as sock:
        sock.sendall(sent_at_once)
        answer = drip_until_cut_off(sock, dripped)
    assert answer == b"" or answer.startswith(b"HTTP/1.0 408 ")
    assert_no_traceback(capfd)


def test_a_request_whose_body_stops_coming_is_answered_408(capfd: pytest.CaptureFixture[str]) -> None:
    with webhook_server(request_deadline_seconds=SHORT_DEADLINE) as url, closing(connect(port_of(url))) as sock:
        sock.sendall(head([b"100"]) + b"only part of it")
        answer = status_and_json(read_to_end(sock))
    assert answer == (408, {"message": "Request Timeout"})
    assert_no_traceback(capfd)


def answered_within(sock: socket.socket, seconds: float) -> bool:
    return bool(select.select([sock], [], [], seconds)[0])


def test_connections_beyond_the_bound_wait_until_one_ends(capfd: pytest.CaptureFixture[str]) -> None:
    """Two stalled clients hold the only two slots; a third waits in the listen backlog, then is served."""
    with webhook_server(max_connections=2, request_deadline_seconds=60) as url:
        port = port_of(url)
        stalled = [connect(port), connect(port)]
        for sock in stalled:
            sock.sendall(head([b"100"]))
        with closing(connect(port)) as waiting:
            waiting.sendall(head([b"2"], path=b"/elsewhere") + b"{}")
            assert not answered_within(waiting, 0.3), "served while both slots were taken"
            stalled.pop().close()
            assert status_and_json(read_to_end(waiting)) == (404, {"message": "Not Found"})
        for sock in stalled:
            sock.close()
    assert_no_traceback(capfd)


@contextmanager
def serving(kind: str) -> Iterator[int]:
    """One of the local servers built on ``serving.py``, on loopback; yields its port."""
    if kind == "webhook":
        with webhook_server() as url:
            yield port_of(url)
    elif kind == "moto":
        with moto_server() as endpoint:
            yield port_of(endpoint)
    else:
        with moto_server() as endpoint, fault_proxy(endpoint) as proxy:
            yield port_of(proxy.url)


SERVERS = ["webhook", "moto", "fault-proxy"]
# A request whose body is yet to come, to each server's main route (S3: an object upload).
PARTIAL_REQUEST = {
    "webhook": head([b"100"]) + b"part of the body",
    "moto": head([b"100"]).replace(b"POST /webhook", b"PUT /bucket/key") + b"part of the body",
}
PARTIAL_REQUEST["fault-proxy"] = PARTIAL_REQUEST["moto"]
# Any answer will do: it shows that the connections opened before it were accepted (in order) and served.
SYNC_REQUEST = b"GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def answer_of(port: int, request: bytes) -> bytes:
    with closing(connect(port)) as sock:
        sock.sendall(request)
        return read_to_end(sock)


@pytest.mark.parametrize("kind", SERVERS)
def test_a_client_that_resets_mid_request_leaves_no_traceback(
    kind: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with serving(kind) as port:
        for _ in range(5):
            sock = connect(port)
            sock.sendall(PARTIAL_REQUEST[kind])
            reset(sock)
        assert answer_of(port, SYNC_REQUEST).startswith(b"HTTP/1.")
    assert_no_traceback(capfd, caplog)


@contextmanager
def stopped_in_a_thread(kind: str) -> Iterator[tuple[int, threading.Thread]]:
    """Run a server until the block ends, then stop it in a thread the test can wait for."""
    ports: list[int] = []
    started, stop = threading.Event(), threading.Event()

    def serve() -> None:
        with serving(kind) as port:
            ports.append(port)
            started.set()
            stop.wait()

    thread = threading.Thread(target=serve, name="test-server-stopper", daemon=True)  # a hang fails, not blocks
    thread.start()
    assert started.wait(GENEROUS_SECONDS)
    try:
        yield ports[0], thread
    finally:
        stop.set()


@pytest.mark.parametrize("kind", SERVERS)
def test_stopping_with_requests_in_flight_is_quiet_and_prompt(
    kind: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with stopped_in_a_thread(kind) as (port, server_thread):
        in_flight = [connect(port) for _ in range(10)]
        for sock in in_flight:
            sock.sendall(PARTIAL_REQUEST[kind])
        assert answer_of(port, SYNC_REQUEST).startswith(b"HTTP/1.")  # so the ten above are being served
    server_thread.join(GENEROUS_SECONDS)
    assert not server_thread.is_alive(), "the server did not stop"
    for sock in in_flight:
        read_to_end(sock)  # closed by the server: end of file or reset, whatever it sent before
        sock.close()
    assert_no_traceback(capfd, caplog)


@pytest.mark.parametrize(
    "content_length",
    [
        pytest.param(b"\xb2", id="superscript-two"),
        pytest.param(b"9" * 5000, id="5000-digits"),
        pytest.param(b"abc", id="letters"),
    ],
)
def test_the_fault_proxy_refuses_a_malformed_content_length(
    content_length: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    upstream = "http://127.0.0.1:9"  # never reached: the request is refused first
    with fault_proxy(upstream) as proxy, closing(connect(port_of(proxy.url))) as sock:
        sock.sendall(head([content_length], path=b"/bucket/key") + b"hello")
        answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert proxy.requests() == []
    assert_no_traceback(capfd)
