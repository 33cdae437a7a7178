"""A small, typed client of the Telegram Bot API (https://core.telegram.org/bots/api), standard library only.

The bot token comes from the ``TELEGRAM_BOT_TOKEN`` environment variable and nowhere else. Bot API
URLs embed it (``/bot<token>/<method>``), so it is kept out of ``repr`` and scrubbed from every error
message this module raises, including the text of urllib's own errors; those are never chained as
``__cause__`` either, so a traceback cannot show a URL.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret
API_URL_ENV = "TELEGRAM_API_URL"
DEFAULT_API_URL = "https://api.telegram.org"

# What the data lake captures: every update type a table has (tests/test_update_tables.py checks it against the
# ETL): messages and channel posts, their edits, membership changes and reactions. Telegram sends chat_member,
# message_reaction and message_reaction_count only when asked for by name, and only to an admin of the chat.
DEFAULT_ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "message_reaction",
    "message_reaction_count",
)

REQUEST_TIMEOUT = 30.0  # seconds, for every call but the long poll
LONG_POLL_MARGIN = 10.0  # seconds the HTTP timeout of getUpdates exceeds its long-poll timeout
MAX_RETRY_AFTER = 60  # a 429 asking to wait longer than this is an error, not a wait
MAX_RATE_LIMIT_RETRIES = 3
REDACTED = "<TELEGRAM_BOT_TOKEN>"
_TOKEN_PATTERN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_UPDATE_TYPE_PATTERN = re.compile(r"[a-z][a-z_]*")


class TelegramApiError(Exception):
    """A call failed: Telegram answered ``ok: false`` (``error_code`` set) or could not be reached (None)."""

    def __init__(
        self, method: str, description: str, error_code: int | None = None, retry_after: int | None = None
    ) -> None:
        self.method = method
        self.description = description
        self.error_code = error_code
        self.retry_after = retry_after
        code = f" ({error_code})" if error_code is not None else ""
        super().__init__(f"Telegram {method}{code}: {description}")


class MissingTokenError(Exception):
    """``TELEGRAM_BOT_TOKEN`` is unset, blank or not shaped like a token; the message never echoes its value."""


@dataclass(frozen=True)
class WebhookInfo:
    """``getWebhookInfo``'s result; ``raw`` keeps every field, including ones newer than this client."""

    url: str
    has_custom_certificate: bool
    pending_update_count: int
    ip_address: str | None = None
    last_error_date: datetime | None = None
    last_error_message: str | None = None
    last_synchronization_error_date: datetime | None = None
    max_connections: int | None = None
    allowed_updates: tuple[str, ...] | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> WebhookInfo:
        def when(name: str) -> datetime | None:
            value = result.get(name)
            return datetime.fromtimestamp(value, UTC) if type(value) is int and value > 0 else None

        allowed = result.get("allowed_updates")
        return cls(
            url=str(result.get("url") or ""),
            has_custom_certificate=bool(result.get("has_custom_certificate")),
            pending_update_count=int(result.get("pending_update_count") or 0),
            ip_address=result.get("ip_address"),
            last_error_date=when("last_error_date"),
            last_error_message=result.get("last_error_message"),
            last_synchronization_error_date=when("last_synchronization_error_date"),
            max_connections=result.get("max_connections"),
            allowed_updates=tuple(str(name) for name in allowed) if isinstance(allowed, list) else None,
            raw=dict(result),
        )


def validate_update_types(names: Sequence[str]) -> tuple[str, ...]:
    """Update type names as Telegram spells them (``message``, ``chat_member``...); ValueError otherwise."""
    for name in names:
        if not _UPDATE_TYPE_PATTERN.fullmatch(name):
            raise ValueError(f"{name!r} is not an update type name (lower-case letters and underscores)")
    return tuple(names)


def token_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The bot token from ``TELEGRAM_BOT_TOKEN``, stripped; MissingTokenError when absent or malformed."""
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise MissingTokenError(f"{TOKEN_ENV} is not set")
    if not _TOKEN_PATTERN.fullmatch(token):
        raise MissingTokenError(f"{TOKEN_ENV} does not look like a bot token (<digits>:<letters, digits, _ and ->)")
    return token


def api_url_from_environment(option: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """``option`` when given, else ``TELEGRAM_API_URL``, else the public Bot API."""
    url = (option or environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL).rstrip("/")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ValueError(f"the Bot API URL must be http(s)://host[:port], not {url!r}")
    return url


CAPTION_LIMIT = 1024  # characters of a photo's caption (after entity parsing: an HTML caption's tags are free)


def multipart_form(fields: Mapping[str, str], files: Mapping[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type: text ``fields`` as UTF-8, and ``files`` as
    ``(file name, content type, bytes)``. The boundary is random, and the body is checked not to hold it."""
    boundary = f"telegram-datalake-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        parts.append(value.encode() + b"\r\n")
    for name, (file_name, content_type, content) in files.items():
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
        parts.append(f"{header}Content-Type: {content_type}\r\n\r\n".encode())
        parts.append(content + b"\r\n")
    body = b"".join(parts)
    if boundary.encode() in b"".join(parts[1::2]):  # pragma: no cover - 128 random bits
        raise ValueError("the multipart boundary occurs in the content")
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class TelegramBotApi:
    """The calls the data lake needs: POSTs to ``<api_url>/bot<token>/<method>``, JSON but for a photo upload."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after: int = MAX_RETRY_AFTER,
        request_timeout: float | None = None,
        long_poll_margin: float = LONG_POLL_MARGIN,
    ) -> None:
        """``request_timeout`` (default REQUEST_TIMEOUT, read now) bounds the connect and each read of a call;
        getUpdates waits its long-poll ``timeout`` plus ``long_poll_margin`` instead.
        """
        if not _TOKEN_PATTERN.fullmatch(token):
            raise MissingTokenError(f"{TOKEN_ENV} does not look like a bot token (<digits>:<letters, digits, _ and ->)")
        self.__token = token
        self.api_url = api_url.rstrip("/")
        self._sleep = sleep
        self._max_retry_after = max_retry_after
        self.request_timeout = REQUEST_TIMEOUT if request_timeout is None else request_timeout
        self.long_poll_margin = long_poll_margin

    @classmethod
    def from_environment(cls, api_url: str | None = None, environ: Mapping[str, str] = os.environ) -> TelegramBotApi:
        return cls(token_from_environment(environ), api_url_from_environment(api_url, environ))

    def __repr__(self) -> str:
        return f"TelegramBotApi(api_url={self.api_url!r}, token={REDACTED})"

    def scrub(self, text: str) -> str:
        """``text`` with the token (whole or its secret part, as typed or percent-encoded) replaced by a placeholder."""
        secret_part = self.__token.split(":", 1)[1]
        for form in (self.__token, urllib.parse.quote(self.__token, safe=""), secret_part):
            text = text.replace(form, REDACTED)
        return text

    # The Bot API methods.

    def set_webhook(
        self,
        url: str,
        secret_token: str,
        allowed_updates: Sequence[str] | None,
        drop_pending_updates: bool = False,
        max_connections: int | None = None,
    ) -> bool:
        """``allowed_updates`` and ``max_connections`` left out (None) keep what the webhook had."""
        parameters: dict[str, Any] = {
            "url": url,
            "secret_token": secret_token,
            "drop_pending_updates": drop_pending_updates,
        }
        if allowed_updates is not None:
            parameters["allowed_updates"] = list(allowed_updates)
        if max_connections is not None:
            parameters["max_connections"] = max_connections
        return self.call("setWebhook", parameters) is True

    def get_webhook_info(self) -> WebhookInfo:
        result = self.call("getWebhookInfo", {})
        if not isinstance(result, dict):
            raise TelegramApiError("getWebhookInfo", "the result is not an object")
        return WebhookInfo.from_result(result)

    def delete_webhook(self, drop_pending_updates: bool = False) -> bool:
        return self.call("deleteWebhook", {"drop_pending_updates": drop_pending_updates}) is True

    def get_updates(
        self,
        offset: int | None = None,
        timeout: int = 0,
        allowed_updates: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """Updates from ``offset`` on (which confirms every earlier one), waiting up to ``timeout`` seconds.

        Each entry is returned as Telegram sent it, objects or not: the caller decides what to do with one
        that is not an update, so that it cannot hide the updates around it.
        """
        parameters: dict[str, Any] = {"timeout": timeout}
        if offset is not None:
            parameters["offset"] = offset
        if limit is not None:
            parameters["limit"] = limit
        if allowed_updates is not None:
            parameters["allowed_updates"] = list(allowed_updates)
        result = self.call("getUpdates", parameters, timeout=timeout + self.long_poll_margin)
        if not isinstance(result, list):
            raise TelegramApiError("getUpdates", "the result is not a list of updates")
        return result

    def send_photo(self, chat_id: int, photo: bytes, caption: str, parse_mode: str = "HTML") -> Any:
        """Post a PNG to a chat with a caption (at most CAPTION_LIMIT characters); the sent Message."""
        if len(caption) > CAPTION_LIMIT:
            raise ValueError(f"a photo's caption is at most {CAPTION_LIMIT} characters, this one has {len(caption)}")
        fields = {"chat_id": str(chat_id), "caption": caption, "parse_mode": parse_mode}
        body, content_type = multipart_form(fields, {"photo": ("chart.png", "image/png", photo)})
        return self._post("sendPhoto", body, content_type)

    # The transport.

    def call(self, method: str, parameters: Mapping[str, Any], timeout: float | None = None) -> Any:
        """POST ``parameters`` as JSON and return ``result``; waits out short 429s, raises TelegramApiError.

        At most MAX_RATE_LIMIT_RETRIES + 1 attempts, each bounded by ``timeout`` (default: the request timeout).
        """
        return self._post(method, json.dumps(parameters).encode(), "application/json", timeout)

    def _post(self, method: str, body: bytes, content_type: str, timeout: float | None = None) -> Any:
        """``call`` of a body already encoded as ``content_type``."""
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                limit = self.request_timeout if timeout is None else timeout
                return self._call_once(method, body, content_type, limit)
            except TelegramApiError as error:
                wait = error.retry_after
                if (
                    error.error_code != http.HTTPStatus.TOO_MANY_REQUESTS
                    or wait is None
                    or wait > self._max_retry_after
                    or attempt == MAX_RATE_LIMIT_RETRIES
                ):
                    raise
                self._sleep(max(wait, 0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(self, method: str, body: bytes, content_type: str, timeout: float) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the scheme was checked to be http(s)
            f"{self.api_url}/bot{self.__token}/{method}",
            data=body,
            headers={"Content-Type": content_type, "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:  # a Bot API error answer: its body says what went wrong
            status = error.code
            try:
                with error:
                    answer = error.read()
            except (OSError, http.client.HTTPException):
                answer = b""
        except urllib.error.URLError as error:
            failure = f"cannot reach {self.api_url}: {error.reason}"
            raise TelegramApiError(method, self.scrub(failure)) from None
        except TimeoutError:
            failure = f"no answer from {self.api_url} within {timeout:g} s"
            raise TelegramApiError(method, self.scrub(failure)) from None
        except (OSError, http.client.HTTPException) as error:
            failure = f"the connection to {self.api_url} failed: {type(error).__name__}: {error}"
            raise TelegramApiError(method, self.scrub(failure)) from None
        return self._result(method, status, answer)

    def _result(self, method: str, status: int, body: bytes) -> Any:
        try:
            answer = json.loads(body)
        except RecursionError:
            raise TelegramApiError(method, "the answer is not JSON (nested too deeply)") from None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            try:
                phrase = f" {http.HTTPStatus(status).phrase}"
            except ValueError:
                phrase = ""
            raise TelegramApiError(method, f"HTTP {status}{phrase} without a Bot API answer", status)
        if answer["ok"]:
            if "result" not in answer:
                raise TelegramApiError(method, "the answer has no result")
            return answer["result"]
        code = answer.get("error_code")
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise TelegramApiError(
            method,
            self.scrub(str(answer.get("description") or "no description")),
            code if type(code) is int else status,
            retry_after if type(retry_after) is int else None,
        )
