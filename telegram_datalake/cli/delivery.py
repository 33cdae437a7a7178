"""One update handed to the unchanged ingest function as Telegram's webhook call would carry it (``poll``).

The function answers as it answers Telegram (status code, JSON body) and logs one JSON line to stdout;
both are read back into a ``Delivery``, which says whether the update was stored, ignored, failed for a
reason a retry can fix (5xx), or was refused for good (4xx about the update itself).
"""

from __future__ import annotations

import contextlib
import http
import io
import json
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

from functions.ingest.config import IngestSettings
from functions.ingest.handler import respond
from functions.ingest.request import SECRET_HEADER
from functions.ingest.secret import FixedSecret
from telegram_datalake.local.events import api_gateway_event

HANDLER_LOGGER = "telegram_pipeline.ingest"
# 4xx answers about this process's request (the secret it made up), not about the update: every update would
# get them, so they stop poll instead of skipping updates.
ABOUT_THE_REQUEST = frozenset({http.HTTPStatus.UNAUTHORIZED, http.HTTPStatus.FORBIDDEN})
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Delivery:
    """The ingest function's answer to one update, with the fields of its log line."""

    status_code: int
    outcome: str
    reason: str | None = None
    update_type: str | None = None
    chat_id: int | None = None
    key: str | None = None

    def describe(self, name: str) -> str:
        """One line, without message text: the handler never logs it either."""
        details = [self.update_type or "update"]
        if self.chat_id is not None:
            details.append(f"chat {self.chat_id}")
        if self.key and self.outcome == "stored":
            details.append(f"-> {self.key}")
        if self.reason:
            details.append(f"({self.reason})")
        return f"{name}: {self.outcome} {' '.join(details)}"

    def refused_for_good(self) -> bool:
        """A 4xx about the update itself: it would be refused on every attempt."""
        client_error = http.HTTPStatus.BAD_REQUEST <= self.status_code < http.HTTPStatus.INTERNAL_SERVER_ERROR
        return client_error and self.status_code not in ABOUT_THE_REQUEST


def _handler_log(output: str, verbose: bool) -> dict[str, Any]:
    """The handler's JSON log line among what it printed; every line goes to stderr when ``verbose``."""
    found: dict[str, Any] = {}
    for line in output.splitlines():
        if verbose:
            print(line, file=sys.stderr)
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("logger") == HANDLER_LOGGER:
            found = record
    return found


def telegram_body(update: object) -> bytes:
    """``update`` as Telegram's webhook call carries it: compact JSON, UTF-8, non-ASCII characters as they are.

    A string may hold a lone surrogate (``"\\ud800"`` is legal JSON) that has no UTF-8 form: it is written as
    its ``\\u`` escape, as Telegram's own JSON carries it, so the body is valid UTF-8 and parses to the same value.
    """
    text = json.dumps(update, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:  # only inside strings: json.dumps writes everything else in ASCII
        return _SURROGATE.sub(lambda found: f"\\u{ord(found[0]):04x}", text).encode()


def deliver(update: object, settings: IngestSettings, secret: str, verbose: bool = False) -> Delivery:
    """Hand ``update`` to the ingest function as Telegram's webhook call would, serialised as Telegram does."""
    try:
        body = telegram_body(update)
    except RecursionError:  # deeper than json.dumps goes: no webhook call could carry it either
        return Delivery(http.HTTPStatus.BAD_REQUEST, "rejected", "nested too deeply to write as JSON")
    event = api_gateway_event(body, {"content-type": "application/json", SECRET_HEADER: secret})
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the function logs to stdout, where this command reports
        response = respond(event, settings, FixedSecret(secret.encode()), time.perf_counter())
    log = _handler_log(printed.getvalue(), verbose)
    status = int(response["statusCode"])
    try:
        answer = json.loads(response.get("body") or "{}")
    except ValueError:
        answer = {}
    chat_id = log.get("chat_id")
    return Delivery(
        status_code=status,
        outcome=str(log.get("outcome") or answer.get("status") or status),
        reason=log.get("reason") or answer.get("reason"),
        update_type=log.get("update_type"),
        chat_id=chat_id if type(chat_id) is int else None,
        key=log.get("key"),
    )
