"""The whole run's proof that no log line of the functions carries a webhook secret or a message text.

``tests/conftest.py`` wires it up for the session (see ``leak_watch``):

- **What is checked**: every line the functions log through ``telegram_pipeline.ingest`` and
  ``telegram_pipeline.etl``, captured by an extra handler that formats records with the very formatter
  the real handler uses (``functions.common.jsonlog.JsonFormatter``), so the lines checked are the lines
  CloudWatch would receive.
- **Secrets**: the suite's ``SECRET``, every webhook token the run stores in Secrets Manager (a
  botocore hook on ``CreateSecret`` and ``PutSecretValue``: the tokens a local stack, ``webhook set``
  or ``rotate-secret`` write) and, at the moment each line is emitted, every non-trivial value of
  ``TELEGRAM_BOT_TOKEN`` in the environment.
- **Texts**: the ``text`` and ``caption`` strings (at any depth: replies, polls, buttons...) of every
  body the run hands to the ingest function (observed at the first line of its ``handle`` with
  ``sys.monitoring``, whoever calls it: a test, the local webhook server, ``poll``) and of every object
  the run writes to S3 (a botocore hook on every client: the raw updates the ETL then reads). Nothing
  of ours is replaced or wrapped; both are read-only observers.
- **What is searched**: each line as written, and its decoded JSON strings too, so that a text that
  JSON escapes (quotes, backslashes, control characters) is still found.

To keep the check free of false alarms, a text is only looked for when it is at least
``MIN_TEXT_LENGTH`` characters long, has a letter, and is not part of the logs' own vocabulary (field
names, outcomes, reasons: ``VOCABULARY``); a text like ``ok`` or ``stored`` would otherwise "leak" from
every line. Secrets shorter than ``MIN_SECRET_LENGTH`` are ignored for the same reason (tests configure
``s`` or ``x`` as deliberately bad values). Subprocesses' logs (the packaged zip's smoke test, the CLI run
as a process) are outside this process and are not seen.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import CodeType
from typing import Any, Literal

from functions.common.jsonlog import JsonFormatter

PIPELINE_LOGGER_NAMES = ("telegram_pipeline.ingest", "telegram_pipeline.etl")
SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN",)
CONTENT_KEYS = frozenset({"text", "caption"})
MIN_TEXT_LENGTH = 6
MIN_SECRET_LENGTH = 8
MAX_BODY_TO_READ = 2 * 1024 * 1024  # bodies above the ingest limit are still read; far larger ones are not updates
TEXT_PREFIX = 200  # a text is looked for by its first characters: a log would hold its start, if anything

# Words and phrases the functions' log lines are made of; a "text" that is one of them, or part of one, is
# not looked for (it would be found in lines that carry no message at all).
VOCABULARY = " | ".join(
    (
        # fields
        "timestamp level logger message status_code outcome reason update_id update_type chat_id key duration_ms",
        "date objects_read rows_written skipped duplicates updates_without_row output_key bytes_written removed_key",
        "raw_only_updates tables rows bytes message_edits member_events reactions",
        "imported objects records captured_by_bot reasons",
        # levels, loggers, outcomes, messages
        "DEBUG INFO WARNING ERROR CRITICAL telegram_pipeline.ingest telegram_pipeline.etl",
        "stored ignored rejected error misconfigured unavailable day processed skipped raw object",
        "skipped imported records",
        # ingest reasons
        "missing secret token",
        "wrong secret token",
        "empty body",
        "body is not valid base64",
        "body over 1 MiB",
        "body is not UTF-8 text",
        "body is not JSON",
        "body is not a JSON object",
        "event is not an API Gateway HTTP API request",
        "update_id is missing or not a non-negative integer",
        "update carries no chat",
        "chat not allowed",
        "storage failed: ClientError EndpointConnectionError ConnectTimeoutError ReadTimeoutError",
        "environment variable is required and is not set",
        # etl reasons and update kinds
        "not valid JSON",
        "not a Telegram update",
        "updates have no messages row",
        "is not an object",
        "lacks message_id, chat.id or a valid date",
        "lacks message_id, chat.id, a valid date or edit_date",
        "lacks chat.id, new_chat_member's user.id and status, or a valid date",
        "lacks chat.id, message_id or a valid date",
        "lacks its reactions list",
        # imported history's reasons
        "not a Telegram Desktop export (no JSON object)",
        "not a Telegram Desktop export (no chat type, numeric id and messages)",
        "a record without a numeric id",
        "an unsupported message (Telegram Desktop exports no date for it)",
        "a record without date_unixtime (an old Telegram Desktop wrote none: export again with a current one)",
        "message edited_message channel_post edited_channel_post callback_query my_chat_member chat_member",
        "message_reaction message_reaction_count chat_join_request poll_answer",
        # keys
        "telegram/context_date= .json telegram.parquet message_edits.parquet member_events.parquet reactions.parquet",
        "/import/",
    )
).casefold()


def checkable_text(text: str) -> bool:
    """Whether ``text`` is distinctive enough to look for in the logs (see the module's documentation)."""
    stripped = text.strip()
    return (
        len(stripped) >= MIN_TEXT_LENGTH
        and any(character.isalpha() for character in stripped)
        and stripped.casefold() not in VOCABULARY
    )


def checkable_secret(secret: str) -> bool:
    return len(secret.strip()) >= MIN_SECRET_LENGTH


def texts_in(value: Any) -> Iterator[str]:
    """Every string under a ``text`` or ``caption`` key, at any depth of a decoded JSON value."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, item in current.items():
                if key in CONTENT_KEYS and isinstance(item, str):
                    yield item
                elif isinstance(item, dict | list):
                    stack.append(item)
        elif isinstance(current, list):
            stack.extend(item for item in current if isinstance(item, dict | list))


def texts_of_body(body: object) -> list[str]:
    """The texts of a request or object body (bytes or text holding JSON); none when it is not JSON."""
    if isinstance(body, bytearray | memoryview):
        body = bytes(body)
    if not isinstance(body, bytes | str) or len(body) > MAX_BODY_TO_READ:
        return []
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return list(texts_in(decoded))


def body_of_event(event: object) -> bytes | str | None:
    """The body an API Gateway event carries, base64-decoded when it says so and can be decoded."""
    if not isinstance(event, dict):
        return None
    body = event.get("body")
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded") is True and len(body) <= MAX_BODY_TO_READ:
        with suppress(binascii.Error, ValueError):
            return base64.b64decode(body, validate=True)
    return body


@dataclass(frozen=True)
class Leak:
    """One log line that contains a secret or a sent text."""

    line_number: int  # 1-based, in the order the lines were emitted in the run
    line: str
    kind: Literal["secret", "text"]
    value: str

    def describe(self, secrets: Iterable[str] = ()) -> str:
        """Which line holds what; every secret (``secrets`` and a secret leak's own) is masked in the line."""
        masked = self.line
        for secret in sorted({*secrets, *([self.value] if self.kind == "secret" else [])}, key=len, reverse=True):
            masked = masked.replace(secret, f"<secret, {len(secret)} characters>")
        if self.kind == "secret":
            shown = f"a secret ({self.value[:2]}..., {len(self.value)} characters)"
        else:
            shown = f"the sent text {self.value[:60]!r}"
        return f"log line {self.line_number} contains {shown}:\n    {masked[:400]}"


def searchable(line: str) -> str:
    """The line as written and every string of it decoded from JSON, separated by NULs."""
    try:
        decoded = json.loads(line)
    except ValueError:
        return line
    strings: list[str] = [line]
    stack = [decoded]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            strings.append(current)
        elif isinstance(current, dict):
            strings.extend(str(key) for key in current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return "\0".join(strings)


def find_leaks(lines: Sequence[str], secrets: Iterable[str], texts: Iterable[str]) -> list[Leak]:
    """Every (line, secret or text) pair where the line contains it; texts and secrets are filtered first."""
    wanted: list[tuple[Literal["secret", "text"], str]] = [
        *(("secret", secret) for secret in sorted(set(secrets)) if checkable_secret(secret)),
        *(("text", text.strip()) for text in sorted(set(texts)) if checkable_text(text)),
    ]
    views = [searchable(line) for line in lines]
    everything = "\n".join(views)  # one search per value over all lines; lines are scanned only on a hit
    leaks: list[Leak] = []
    for kind, value in wanted:
        if value not in everything:
            continue
        leaks.extend(
            Leak(number, line, kind, value)
            for number, (line, view) in enumerate(zip(lines, views, strict=True), start=1)
            if value in view
        )
    return leaks


def leak_report(leaks: Sequence[Leak], secrets: Iterable[str] = (), limit: int = 10) -> str:
    """A failure message naming each offending line, without printing a secret."""
    masked = [secret for secret in set(secrets) if checkable_secret(secret)]
    shown = "\n".join(leak.describe(masked) for leak in leaks[:limit])
    more = f"\n... and {len(leaks) - limit} more" if len(leaks) > limit else ""
    return f"{len(leaks)} log line(s) of the functions leak a secret or a message text:\n{shown}{more}"


class SentTexts:
    """The texts this run sent to the functions; thread-safe (the webhook server and the ETL use threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: set[str] = set()

    def add_body(self, body: object) -> None:
        texts = [text.strip()[:TEXT_PREFIX] for text in texts_of_body(body)]
        if texts:
            with self._lock:
                self._texts.update(texts)

    def snapshot(self) -> set[str]:
        with self._lock:
            return set(self._texts)


class StoredSecrets:
    """The webhook tokens this run stored in Secrets Manager; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add(self, value: object) -> None:
        if isinstance(value, str) and checkable_secret(value):
            with self._lock:
                self._secrets.add(value)

    def snapshot(self) -> set[str]:
        with self._lock:
            return set(self._secrets)


class CapturingHandler(logging.Handler):
    """Keeps every line the functions log, formatted as the real handler writes it, and the secrets around."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []
        self.secrets: set[str] = set()

    @contextmanager
    def lock_held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:  # called under the handler's lock
        self.lines.append(self.format(record))
        for name in SECRET_VARIABLES:
            value = os.environ.get(name)
            if value and checkable_secret(value):
                self.secrets.add(value)


@dataclass(frozen=True)
class LeakWatch:
    """What the session has gathered so far: the functions' log lines, the secrets and the sent texts."""

    captured: CapturingHandler
    sent: SentTexts
    stored: StoredSecrets
    known_secrets: frozenset[str]

    def secrets(self) -> set[str]:
        with self.captured.lock_held():
            return {*self.known_secrets, *self.captured.secrets, *self.stored.snapshot()}

    def leaks(self) -> list[Leak]:
        with self.captured.lock_held():
            lines = list(self.captured.lines)
        return find_leaks(lines, self.secrets(), self.sent.snapshot())

    def summary(self) -> str:
        texts = sum(checkable_text(text) for text in self.sent.snapshot())
        secrets = sum(checkable_secret(secret) for secret in self.secrets())
        return (
            f"log check: {len(self.captured.lines)} lines of the functions, searched for {secrets} secret(s)"
            f" and {texts} sent text(s)"
        )


@contextmanager
def capturing_pipeline_logs() -> Iterator[CapturingHandler]:
    """A ``CapturingHandler`` on both functions' loggers for the duration."""
    handler = CapturingHandler()
    loggers = [logging.getLogger(name) for name in PIPELINE_LOGGER_NAMES]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


@contextmanager
def observing_calls(code: CodeType, argument: str, callback: Callable[[object], None]) -> Iterator[bool]:
    """Call ``callback(<argument's value>)`` each time a function with ``code`` starts, in any thread.

    ``sys.monitoring`` reports the start; the callback reads the argument from the started frame. The
    function itself is untouched. Yields False (observing nothing) when every monitoring tool id is taken.
    """
    if sys.version_info < (3, 12):  # no sys.monitoring: the stored objects' texts are still recorded
        yield False
        return
    monitoring = sys.monitoring
    tool = next((tool for tool in (4, 3, 2) if monitoring.get_tool(tool) is None), None)
    if tool is None:
        yield False
        return

    def started(_code: CodeType, _offset: int) -> object:
        frame = sys._getframe(1)
        if frame.f_code is code:
            callback(frame.f_locals.get(argument))
        return None

    monitoring.use_tool_id(tool, "tests: sent texts")
    try:
        monitoring.register_callback(tool, monitoring.events.PY_START, started)
        monitoring.set_local_events(tool, code, monitoring.events.PY_START)
        yield True
    finally:
        monitoring.set_local_events(tool, code, monitoring.events.NO_EVENTS)
        monitoring.register_callback(tool, monitoring.events.PY_START, None)
        monitoring.free_tool_id(tool)
