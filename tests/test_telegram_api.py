"""The Bot API client against a fake Bot API on loopback: requests, answers, errors, and the token kept secret."""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from telegram_datalake.telegram_api import (
    DEFAULT_ALLOWED_UPDATES,
    DEFAULT_API_URL,
    MAX_RATE_LIMIT_RETRIES,
    MissingTokenError,
    TelegramApiError,
    TelegramBotApi,
    api_url_from_environment,
    token_from_environment,
    validate_update_types,
)
from tests.fake_bot_api import TOKEN, WAIT, FakeBotApi, Reply, failure, ok, running_fake_bot_api

SECRET_PART = TOKEN.split(":", 1)[1]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with running_fake_bot_api() as server:
        yield server
        server.check()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeBotApi, slept: list[float]) -> TelegramBotApi:
    return TelegramBotApi(TOKEN, fake.url, sleep=slept.append)


def assert_token_free(text: str) -> None:
    assert SECRET_PART not in text
    assert urllib.parse.quote(TOKEN, safe="") not in text


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_set_webhook_posts_exactly_the_parameters(fake: FakeBotApi, client: TelegramBotApi) -> None:
    parameters = {
        "url": "https://example.com/webhook",
        "secret_token": "abc_DEF-123",
        "allowed_updates": ["message", "chat_member"],
        "drop_pending_updates": True,
    }
    fake.expect("setWebhook", parameters, ok(True))
    assert client.set_webhook("https://example.com/webhook", "abc_DEF-123", ["message", "chat_member"], True)


def test_get_webhook_info_parses_every_field(fake: FakeBotApi, client: TelegramBotApi) -> None:
    result = {
        "url": "https://example.com/webhook",
        "has_custom_certificate": False,
        "pending_update_count": 4,
        "ip_address": "203.0.113.7",
        "last_error_date": 1767225600,
        "last_error_message": "Wrong response from the webhook: 401 Unauthorized",
        "last_synchronization_error_date": 1767229200,
        "max_connections": 40,
        "allowed_updates": ["message"],
        "some_future_field": 1,
    }
    fake.expect("getWebhookInfo", {}, ok(result))
    info = client.get_webhook_info()
    assert info.url == "https://example.com/webhook"
    assert info.pending_update_count == 4
    assert info.last_error_date == datetime(2026, 1, 1, tzinfo=UTC)
    assert info.last_synchronization_error_date == datetime(2026, 1, 1, 1, tzinfo=UTC)
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert (info.ip_address, info.max_connections, info.allowed_updates) == ("203.0.113.7", 40, ("message",))
    assert info.has_custom_certificate is False
    assert info.raw == result


def test_get_webhook_info_without_a_webhook(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect("getWebhookInfo", {}, ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0}))
    info = client.get_webhook_info()
    assert (info.url, info.last_error_date, info.max_connections, info.allowed_updates) == ("", None, None, None)


def test_delete_webhook(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect("deleteWebhook", {"drop_pending_updates": False}, ok(True))
    assert client.delete_webhook() is True


def test_get_updates_sends_only_the_given_parameters(fake: FakeBotApi, client: TelegramBotApi) -> None:
    update = {"update_id": 5, "message": {"message_id": 1, "chat": {"id": -1, "type": "group"}, "date": 1}}
    fake.expect("getUpdates", {"timeout": 0}, ok([]))
    fake.expect("getUpdates", {"offset": 5, "timeout": 25, "limit": 10, "allowed_updates": ["message"]}, ok([update]))
    assert client.get_updates() == []
    assert client.get_updates(offset=5, timeout=25, allowed_updates=["message"], limit=10) == [update]


def test_an_ok_false_answer_raises_with_code_and_description(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect(
        "setWebhook",
        {"url": "ftp://x", "secret_token": "s", "allowed_updates": [], "drop_pending_updates": False},
        failure(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"),
    )
    with pytest.raises(TelegramApiError) as caught:
        client.set_webhook("ftp://x", "s", [])
    assert caught.value.error_code == 400
    assert caught.value.description == "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    assert (
        str(caught.value)
        == "Telegram setWebhook (400): Bad Request: bad webhook: HTTPS url must be provided for webhook"
    )


def test_a_short_429_is_waited_out_and_retried(fake: FakeBotApi, client: TelegramBotApi, slept: list[float]) -> None:
    fake.expect("getWebhookInfo", {}, failure(429, "Too Many Requests: retry after 3", retry_after=3))
    fake.expect("getWebhookInfo", {}, ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0}))
    assert client.get_webhook_info().url == ""
    assert slept == [3]


def test_a_429_that_persists_gives_up_after_the_retries(
    fake: FakeBotApi, client: TelegramBotApi, slept: list[float]
) -> None:
    for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
        fake.expect("deleteWebhook", {"drop_pending_updates": False}, failure(429, "Too Many Requests", retry_after=1))
    with pytest.raises(TelegramApiError) as caught:
        client.delete_webhook()
    assert (caught.value.error_code, caught.value.retry_after) == (429, 1)
    assert slept == [1] * MAX_RATE_LIMIT_RETRIES


def test_a_long_429_is_an_error_at_once(fake: FakeBotApi, client: TelegramBotApi, slept: list[float]) -> None:
    fake.expect("getWebhookInfo", {}, failure(429, "Too Many Requests: retry after 3600", retry_after=3600))
    with pytest.raises(TelegramApiError) as caught:
        client.get_webhook_info()
    assert caught.value.retry_after == 3600
    assert slept == []


def test_an_answer_that_is_not_the_bot_api_s(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect("getWebhookInfo", {}, Reply(502, b"<html>Bad Gateway</html>"))
    with pytest.raises(TelegramApiError, match=r"HTTP 502 Bad Gateway without a Bot API answer"):
        client.get_webhook_info()


def test_a_result_of_the_wrong_shape_is_an_error(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect("getUpdates", {"timeout": 0}, ok({"not": "a list"}))
    with pytest.raises(TelegramApiError, match="not a list of updates"):
        client.get_updates()


@pytest.mark.parametrize(
    "description",
    [f"Not Found: /bot{TOKEN}/getWebhookInfo", f"see {urllib.parse.quote(TOKEN, safe='')}", f"key {SECRET_PART}"],
    ids=["plain", "percent-encoded", "secret-part"],
)
def test_the_token_is_scrubbed_from_descriptions(fake: FakeBotApi, client: TelegramBotApi, description: str) -> None:
    fake.expect("getWebhookInfo", {}, failure(404, description))
    with pytest.raises(TelegramApiError) as caught:
        client.get_webhook_info()
    assert_token_free(str(caught.value))
    assert "<TELEGRAM_BOT_TOKEN>" in str(caught.value)


def test_an_unreachable_server_is_an_error_without_the_token_or_its_url() -> None:
    client = TelegramBotApi(TOKEN, closed_port_url())
    with pytest.raises(TelegramApiError) as caught:
        client.get_webhook_info()
    assert "cannot reach http://127.0.0.1:" in str(caught.value)
    assert caught.value.error_code is None
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert_token_free(str(caught.value))


def test_a_server_that_does_not_answer_in_time(fake: FakeBotApi, client: TelegramBotApi) -> None:
    fake.expect("getMe", {}, ok(True), before_reply=lambda: fake.release.wait(WAIT))
    with pytest.raises(TelegramApiError, match=r"no answer from http://127\.0\.0\.1:\d+ within 0\.2 s"):
        client.call("getMe", {}, timeout=0.2)


def test_the_token_stays_out_of_repr() -> None:
    client = TelegramBotApi(TOKEN, "http://127.0.0.1:9")
    assert_token_free(repr(client))
    assert "TELEGRAM_BOT_TOKEN" in repr(client)


def test_the_token_comes_from_the_environment_only() -> None:
    assert token_from_environment({"TELEGRAM_BOT_TOKEN": f" {TOKEN}\n"}) == TOKEN
    with pytest.raises(MissingTokenError, match="TELEGRAM_BOT_TOKEN is not set"):
        token_from_environment({})
    with pytest.raises(MissingTokenError, match="TELEGRAM_BOT_TOKEN is not set"):
        token_from_environment({"TELEGRAM_BOT_TOKEN": "  "})


@pytest.mark.parametrize("malformed", [f"{TOKEN}/../getMe", "not a token", f"{TOKEN}?x=1", "123456"])
def test_a_malformed_token_is_refused_without_echoing_it(malformed: str) -> None:
    with pytest.raises(MissingTokenError) as caught:
        token_from_environment({"TELEGRAM_BOT_TOKEN": malformed})
    assert malformed not in str(caught.value)
    assert_token_free(str(caught.value))
    with pytest.raises(MissingTokenError):
        TelegramBotApi(malformed)


def test_the_api_url_option_beats_the_environment_which_beats_the_default() -> None:
    environment = {"TELEGRAM_API_URL": "http://127.0.0.1:8081/"}
    assert api_url_from_environment(None, {}) == DEFAULT_API_URL
    assert api_url_from_environment(None, environment) == "http://127.0.0.1:8081"
    assert api_url_from_environment("https://bot-api.example", environment) == "https://bot-api.example"
    with pytest.raises(ValueError, match="http"):
        api_url_from_environment("file:///etc/passwd", {})


def test_update_type_names_are_checked() -> None:
    assert validate_update_types(DEFAULT_ALLOWED_UPDATES) == DEFAULT_ALLOWED_UPDATES
    with pytest.raises(ValueError, match="not an update type"):
        validate_update_types(["message", "Message;drop"])


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"--not-a-boundary--\r\n"  # any bytes, CR LF and dashes included


def test_send_photo_uploads_the_png_with_its_caption_as_multipart(fake: FakeBotApi, client: TelegramBotApi) -> None:
    caption = "<b>Dados &amp; Café ☕</b>: 1,234 messages 🚀"
    sent = {"message_id": 7, "chat": {"id": -1001234567890, "type": "supergroup"}, "photo": [], "caption": caption}
    parameters = {
        "chat_id": "-1001234567890",
        "caption": caption,
        "parse_mode": "HTML",
        "photo": {"filename": "chart.png", "content_type": "image/png", "content": PNG.decode("latin-1")},
    }
    fake.expect("sendPhoto", parameters, ok(sent))
    assert client.send_photo(-1001234567890, PNG, caption) == sent
    [request] = fake.requests
    assert request.content_type is not None
    assert request.content_type.startswith("multipart/form-data; boundary=telegram-datalake-")


def test_send_photo_waits_out_a_short_429_and_keeps_the_token_out_of_errors(
    fake: FakeBotApi, client: TelegramBotApi, slept: list[float]
) -> None:
    photo = {"filename": "chart.png", "content_type": "image/png", "content": PNG.decode("latin-1")}
    parameters = {"chat_id": "42", "caption": "x", "parse_mode": "HTML", "photo": photo}
    fake.expect("sendPhoto", parameters, failure(429, "Too Many Requests: retry after 3", retry_after=3))
    fake.expect("sendPhoto", parameters, failure(400, f"Bad Request: chat not found for {TOKEN}"))
    with pytest.raises(TelegramApiError) as raised:
        client.send_photo(42, PNG, "x")
    assert slept == [3]
    assert raised.value.error_code == 400
    assert_token_free(str(raised.value))


def test_a_caption_over_the_limit_is_refused_before_any_request(fake: FakeBotApi, client: TelegramBotApi) -> None:
    with pytest.raises(ValueError, match="at most 1024 characters, this one has 1025"):
        client.send_photo(42, PNG, "x" * 1025)
    assert fake.requests == []
