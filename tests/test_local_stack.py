"""The local stack: moto's S3 and the webhook server on loopback, in front of the unchanged ingest handler.

Every request goes over real HTTP; the webhook's answers are compared with what the handler itself returns
for the same request, and the stack must leave the environment, the threads and the ports as it found them.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import socketserver
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions.common.settings import ConfigurationError
from functions.ingest.handler import lambda_handler
from telegram_datalake.local.events import api_gateway_event
from telegram_datalake.local.serving import bound_address
from telegram_datalake.local.stack import LocalStack, local_session, local_stack
from telegram_datalake.local.webhook_server import MAX_PAYLOAD_BYTES, TIME_HEADER
from tests.conftest import SECRET, update_body

ALLOWED_CHAT = -1001873245190
OTHER_CHAT = -4123987650
ARRIVAL = datetime(2024, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)  # 09:00 on 2024-01-01 in Sao Paulo
ARRIVAL_DAY = "2024-01-01"


def message_update(
    update_id: int, chat_id: int = ALLOWED_CHAT, text: str = "Olá 👋🏽 mundo — ñ 漢字"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "from": {"id": 321, "is_bot": False, "first_name": "Ana", "language_code": "pt-br"},
            "chat": {"id": chat_id, "title": "Dados", "type": "supergroup"},
            "date": int(ARRIVAL.timestamp()) - 1,
            "text": text,
        },
    }


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with local_stack(allowed_chat_ids=str(ALLOWED_CHAT), secret_token=SECRET, trust_time_header=True) as running:
        yield running


def request(
    url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None, *, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request (http.client sets Content-Length for a body); status, lower-cased headers and body."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, parts.path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def telegram_headers(secret: str | None = SECRET) -> dict[str, str]:
    headers = {"Content-Type": "application/json", TIME_HEADER: str(int(ARRIVAL.timestamp() * 1000))}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


CASES = [
    pytest.param(update_body(message_update(1001)), SECRET, 200, "stored", id="stored"),
    pytest.param(update_body(message_update(1002, chat_id=OTHER_CHAT)), SECRET, 200, "ignored", id="other-chat"),
    pytest.param(update_body({"update_id": 1003, "poll": {"id": "1"}}), SECRET, 200, "ignored", id="no-chat"),
    pytest.param(update_body(message_update(1004)), None, 401, "rejected", id="missing-secret"),
    pytest.param(update_body(message_update(1005)), "not-it", 401, "rejected", id="wrong-secret"),
    pytest.param(b'{"update_id": 1006, "message": {', SECRET, 400, "rejected", id="truncated-json"),
    pytest.param(b"\xff\xfe binary", SECRET, 400, "rejected", id="binary-body"),
    pytest.param(b"", SECRET, 400, "rejected", id="empty-body"),
    pytest.param(b" " * (1024 * 1024 + 1), SECRET, 413, "rejected", id="over-1-MiB"),
]


@pytest.mark.parametrize(("body", "secret", "status", "outcome"), CASES)
def test_webhook_answers_exactly_what_the_handler_returns(
    stack: LocalStack, body: bytes, secret: str | None, status: int, outcome: str
) -> None:
    headers = telegram_headers(secret)
    got_status, got_headers, got_body = request(stack.webhook_url, body, headers)

    event = api_gateway_event(body, {**headers, "Content-Length": str(len(body))}, received_at=ARRIVAL)
    expected = lambda_handler(event, None)
    assert (got_status, got_body.decode()) == (expected["statusCode"], expected["body"])
    assert got_headers["content-type"] == expected["headers"]["content-type"]
    assert (got_status, json.loads(got_body)["status"]) == (status, outcome)


def test_stored_object_is_the_request_body_in_the_arrival_day_partition(stack: LocalStack) -> None:
    body = update_body(message_update(2001))
    assert request(stack.webhook_url, body, telegram_headers())[0] == 200

    client = stack.s3()
    try:
        keys = [item["Key"] for item in client.list_objects_v2(Bucket=stack.raw_bucket).get("Contents", [])]
        assert keys == [f"telegram/context_date={ARRIVAL_DAY}/2001.json"]
        assert client.get_object(Bucket=stack.raw_bucket, Key=keys[0])["Body"].read() == body
    finally:
        client.close()


def test_time_header_is_ignored_unless_the_server_trusts_it() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    with local_stack(secret_token=SECRET) as stack:
        before = datetime.now(zone).date().isoformat()
        assert request(stack.webhook_url, update_body(message_update(2002)), telegram_headers())[0] == 200
        after = datetime.now(zone).date().isoformat()
        client = stack.s3()
        try:
            keys = [item["Key"] for item in client.list_objects_v2(Bucket=stack.raw_bucket)["Contents"]]
        finally:
            client.close()
    assert keys[0] in {f"telegram/context_date={day}/2002.json" for day in (before, after)}
    assert ARRIVAL_DAY not in keys[0]


def test_bad_time_header_is_refused_when_trusted(stack: LocalStack) -> None:
    headers = {**telegram_headers(), TIME_HEADER: "yesterday"}
    status, _, body = request(stack.webhook_url, update_body(message_update(2003)), headers)
    assert status == 400
    assert json.loads(body) == {"message": f"{TIME_HEADER} must be Unix epoch milliseconds"}


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("POST", "/", 404, "Not Found"),
        ("POST", "/webhook/extra", 404, "Not Found"),
        ("GET", "/favicon.ico", 404, "Not Found"),
        ("GET", "/webhook", 405, "Method Not Allowed"),
        ("PUT", "/webhook", 405, "Method Not Allowed"),
        ("DELETE", "/webhook", 405, "Method Not Allowed"),
    ],
)
def test_other_routes_get_api_gateway_answers(
    stack: LocalStack, method: str, path: str, status: int, message: str
) -> None:
    url = stack.webhook_url.replace("/webhook", path)
    got_status, headers, body = request(url, update_body(message_update(3001)), telegram_headers(), method=method)
    assert (got_status, json.loads(body)) == (status, {"message": message})
    if status == 405:
        assert headers["allow"] == "POST"
    assert_raw_bucket_empty(stack)


def test_body_over_the_payload_limit_is_refused_before_the_handler(stack: LocalStack) -> None:
    body = b"x" * (MAX_PAYLOAD_BYTES + 1)
    status, _, answer = request(stack.webhook_url, body, telegram_headers())
    assert (status, json.loads(answer)) == (413, {"message": "Request Entity Too Large"})


def test_request_without_content_length_is_refused(stack: LocalStack) -> None:
    parts = urlsplit(stack.webhook_url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in telegram_headers().items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (411, {"message": "Length Required"})
    finally:
        connection.close()


def test_handler_misconfiguration_reaches_the_client_as_its_500(stack: LocalStack) -> None:
    os.environ["RAW_BUCKET"] = ""  # the stack puts back its own value, then the one from before it
    status, _, body = request(stack.webhook_url, update_body(message_update(4001)), telegram_headers())
    assert (status, json.loads(body)) == (500, {"status": "misconfigured"})


def assert_raw_bucket_empty(stack: LocalStack) -> None:
    client = stack.s3()
    try:
        assert client.list_objects_v2(Bucket=stack.raw_bucket).get("KeyCount") == 0
    finally:
        client.close()


def ports_of(stack: LocalStack) -> list[int]:
    ports = [urlsplit(url).port for url in (stack.s3_endpoint, stack.webhook_url)]
    assert all(port is not None for port in ports)
    return [port for port in ports if port is not None]


def assert_nothing_listens(ports: list[int]) -> None:
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_stack_sets_the_functions_environment_and_restores_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example.com")
    monkeypatch.setenv("RAW_BUCKET", "the-real-raw-bucket")
    monkeypatch.setenv("NO_PROXY", "example.com")
    monkeypatch.delenv("WEBHOOK_SECRET_ARN", raising=False)
    environment, threads, session = dict(os.environ), set(threading.enumerate()), boto3.DEFAULT_SESSION

    with local_stack(allowed_chat_ids="*", timezone="Europe/Lisbon") as stack:
        assert {name: os.environ.get(name) for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3")} == {
            "AWS_PROFILE": None,
            "AWS_ENDPOINT_URL_S3": None,
        }
        assert os.environ["AWS_ENDPOINT_URL"] == stack.s3_endpoint
        assert os.environ["RAW_BUCKET"] == stack.raw_bucket
        assert os.environ["ENRICHED_BUCKET"] == stack.enriched_bucket
        assert os.environ["WEBHOOK_SECRET_ARN"] == stack.webhook_secret_arn
        assert stack.secret_token not in os.environ.values(), "the token is in Secrets Manager, not the environment"
        secrets = local_session().client("secretsmanager", endpoint_url=stack.s3_endpoint)
        stored = secrets.get_secret_value(SecretId=stack.webhook_secret_arn, VersionStage="AWSCURRENT")
        secrets.close()
        assert stored["SecretString"] == stack.secret_token
        assert len(stack.secret_token) >= 32
        assert stack.secret_token not in repr(stack)
        assert (os.environ["ALLOWED_CHAT_IDS"], os.environ["TIMEZONE"]) == ("*", "Europe/Lisbon")
        assert os.environ["NO_PROXY"] == "example.com,127.0.0.1,localhost"
        assert {urlsplit(url).hostname for url in (stack.s3_endpoint, stack.webhook_url)} == {"127.0.0.1"}
        ports = ports_of(stack)

        # A client left open holds a keep-alive connection to moto; stopping must not wait for it.
        open_client = stack.s3()
        assert {bucket["Name"] for bucket in open_client.list_buckets()["Buckets"]} == {
            stack.raw_bucket,
            stack.enriched_bucket,
        }
        body = update_body(message_update(5001, chat_id=OTHER_CHAT))
        assert request(stack.webhook_url, body, telegram_headers(stack.secret_token))[0] == 200

    open_client.close()
    assert dict(os.environ) == environment
    assert set(threading.enumerate()) == threads
    assert boto3.DEFAULT_SESSION is session
    assert_nothing_listens(ports)


def test_stack_cleans_up_when_the_block_raises() -> None:
    environment, threads = dict(os.environ), set(threading.enumerate())
    ports: list[int] = []

    def fail_inside_a_stack() -> None:
        with local_stack() as stack:
            ports.extend(ports_of(stack))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside_a_stack()
    assert dict(os.environ) == environment
    assert set(threading.enumerate()) == threads
    assert_nothing_listens(ports)


def test_each_stack_starts_with_empty_buckets() -> None:
    with local_stack() as first:
        client = first.s3()
        client.put_object(Bucket=first.raw_bucket, Key="leftover.json", Body=b"{}")
        client.close()
    with local_stack() as second:
        assert_raw_bucket_empty(second)


@pytest.mark.parametrize(
    ("allowed_chat_ids", "timezone", "message"),
    [
        ("my-group", "America/Sao_Paulo", "ALLOWED_CHAT_IDS"),
        ("*", "Mars/Olympus", "TIMEZONE"),
    ],
)
def test_settings_the_functions_would_refuse_are_refused_up_front(
    allowed_chat_ids: str, timezone: str, message: str
) -> None:
    threads = set(threading.enumerate())
    with pytest.raises(ConfigurationError, match=message):
        local_stack(allowed_chat_ids=allowed_chat_ids, timezone=timezone).__enter__()
    assert set(threading.enumerate()) == threads


def test_servers_refuse_to_listen_beyond_loopback() -> None:
    server = socketserver.TCPServer(("0.0.0.0", 0), socketserver.BaseRequestHandler)  # noqa: S104 - the point
    try:
        with pytest.raises(RuntimeError, match="loopback only"):
            bound_address(server)
    finally:
        server.server_close()
