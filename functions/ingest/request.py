"""Turning an API Gateway HTTP API (payload 2.0) event into an authenticated, parsed Telegram update."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from functions.common.updates import SeveralPayloadsError, update_kind
from functions.ingest.secret import SecretCheck

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret
MAX_BODY_BYTES = 1024 * 1024
INT64_MAX = 2**63 - 1
YEAR_10000_MS = 253_402_300_800_000  # beyond what datetime can represent
# The latest arrival time taken from the event: two days short of year 10,000, so that the day it falls on,
# in any time zone (UTC-12 to UTC+14, and the odd historical offset), is still a date.
LATEST_ARRIVAL_MS = YEAR_10000_MS - 2 * 86_400_000


class RequestRejectedError(Exception):
    """The request cannot be stored; ``status_code`` says why (4xx: Telegram must not retry)."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, matched case-insensitively (payload 2.0 lower-cases them, tests may not)."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None


def check_event(event: object) -> None:
    """400 unless the event is an object: a direct invocation may pass a JSON array, string or number."""
    if not isinstance(event, Mapping):
        raise RequestRejectedError(400, "event is not an API Gateway HTTP API request")


def check_secret(event: Mapping[str, Any], secret: SecretCheck) -> None:
    """401 unless the secret-token header is a token ``secret`` accepts (compared in constant time)."""
    given = header(event, SECRET_HEADER)
    if given is None:
        raise RequestRejectedError(401, "missing secret token")
    if not secret.accepts(given.encode("utf-8", "surrogatepass")):
        raise RequestRejectedError(401, "wrong secret token")


def body_bytes(event: Mapping[str, Any]) -> bytes:
    """The request body exactly as Telegram sent it (base64-decoded when API Gateway encoded it)."""
    body = event.get("body")
    if not isinstance(body, str) or not body:
        raise RequestRejectedError(400, "empty body")
    if event.get("isBase64Encoded") is True:
        if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise RequestRejectedError(413, "body over 1 MiB")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise RequestRejectedError(400, "body is not valid base64") from error
    else:
        if len(body) > MAX_BODY_BYTES:
            raise RequestRejectedError(413, "body over 1 MiB")
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as error:
            raise RequestRejectedError(400, "body is not UTF-8 text") from error
    if len(raw) > MAX_BODY_BYTES:
        raise RequestRejectedError(413, "body over 1 MiB")
    return raw


def parse_update(raw: bytes) -> dict[str, Any]:
    """The update as a dict; 400 unless it is a JSON object with a non-negative 64-bit ``update_id``."""
    try:
        update = json.loads(raw)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise RequestRejectedError(400, "body is not JSON") from error
    if not isinstance(update, dict):
        raise RequestRejectedError(400, "body is not a JSON object")
    update_id = update.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= INT64_MAX:
        raise RequestRejectedError(400, "update_id is missing or not a non-negative integer")
    return update


def update_type(update: Mapping[str, Any]) -> str | None:
    """The update's kind (``message``, ``edited_message``, ``callback_query``...), as the ETL decides it.

    400 for an object with more than one payload: no chat can be said to be its chat.
    """
    try:
        kind = update_kind(update)
    except SeveralPayloadsError as error:
        raise RequestRejectedError(400, str(error)) from None
    return kind or None


def chat_id_of(update: Mapping[str, Any]) -> int | None:
    """The id of the chat the update belongs to, or None for updates that carry no chat (callback queries, polls)."""
    kind = update_type(update)
    payload = update.get(kind) if kind else None
    chat = payload.get("chat") if isinstance(payload, Mapping) else None
    chat_id = chat.get("id") if isinstance(chat, Mapping) else None
    return chat_id if type(chat_id) is int else None


def arrival_time(event: Mapping[str, Any], fallback: datetime) -> datetime:
    """When API Gateway received the request (``requestContext.timeEpoch``), else ``fallback``."""
    context = event.get("requestContext")
    epoch_ms = context.get("timeEpoch") if isinstance(context, Mapping) else None
    if type(epoch_ms) is int and 0 <= epoch_ms < LATEST_ARRIVAL_MS:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return fallback
