"""The rows of a day's imported history: the Telegram Desktop export records the ``import`` command keeps.

The raw partition of a day holds, besides the bot's updates, one object per imported chat,
``import/<chat id>.json``: itself a single-chat export (``{"name", "type", "id", "messages"}``) of the
chat's messages sent that day, each record as the export wrote it. The ETL turns each record into the
update the bot would have received (``export_records``) and flattens it like one.

When the bot captured a message too, the bot's copy wins and the imported record gives no row at all:
the bot's has what an export lacks (the sender's username, language and is_bot, the name at the time, the
text as first sent, each edit). The bot files a message on the day it arrives, which is the day it was
sent or, for a late delivery, the next one; so a day with imports also looks at the next day's updates.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from functions.common.desktop_json import loads_export_json
from functions.common.jsonlog import get_logger, log_event
from functions.etl.edits import edit_rows
from functions.etl.export_records import bot_api_chat, updates_of_record
from functions.etl.flatten import Row, row_of_update
from functions.etl.members import service_message_rows
from functions.etl.raw_reader import is_import_key
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, ROW_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

LOGGER = get_logger("telegram_pipeline.etl")
MessageKey = tuple[int, int]  # (chat_id, message_id)
_CHAT, _MESSAGE, _TYPE = (ROW_COLUMNS.index(name) for name in ("chat_id", "message_id", "message_type"))


@dataclass
class ImportedCounts:
    """What a day's imported records gave; part of the day's summary."""

    objects: int = 0  # import objects (one per chat) read
    records: int = 0  # records in them
    rows: int = 0  # messages rows they gave
    captured_by_bot: int = 0  # records left out because the bot's copy of the message is in the lake
    skipped: int = 0  # records with no id or date, and objects that are not an export (logged by key)


@dataclass
class ImportedRows:
    """A day's rows from imported records, before they join the bot's."""

    messages: list[Row] = field(default_factory=list)
    rows: dict[str, list[Row]] = field(default_factory=lambda: {MESSAGE_EDITS.name: [], MEMBER_EVENTS.name: []})
    counts: ImportedCounts = field(default_factory=ImportedCounts)
    _seen: set[MessageKey] = field(default_factory=set)


def import_keys(partition: str, keys: Iterable[str]) -> list[str]:
    """The keys of imported chats among a day's raw keys (``partition`` ends with a slash)."""
    return [key for key in keys if is_import_key(partition, key)]


def chat_of_export(document: Any) -> tuple[dict[str, Any], list[Any]] | str:
    """The Bot API chat and the records of a single-chat export, or why ``document`` is none."""
    if not isinstance(document, dict):
        return "not a Telegram Desktop export (no JSON object)"
    kind, bare_id, records = document.get("type"), document.get("id"), document.get("messages")
    if not isinstance(kind, str) or type(bare_id) is not int or not isinstance(records, list):
        return "not a Telegram Desktop export (no chat type, numeric id and messages)"
    return bot_api_chat(document.get("name"), kind, bare_id), records


def captured_messages(messages: pa.Table, chat_ids: Set[int]) -> set[MessageKey]:
    """(chat_id, message_id) of the rows of ``messages`` in the chats ``chat_ids``."""
    chats, ids = messages.column("chat_id").to_pylist(), messages.column("message_id").to_pylist()
    return {(chat, message) for chat, message in zip(chats, ids, strict=True) if chat in chat_ids}


def chat_id_of_key(key: str) -> int | None:
    """The chat id an import object is named after."""
    stem = key.rpartition("/")[2].removesuffix(".json")
    digits = stem.removeprefix("-")
    return int(stem) if digits.isascii() and digits.isdigit() else None


def add_export(rows: ImportedRows, key: str, body: bytes, captured: Set[MessageKey]) -> None:
    """Add the rows of an import object's records that the bot did not capture, each message once."""
    counts = rows.counts
    counts.objects += 1
    try:
        parsed = chat_of_export(loads_export_json(body))
    except (ValueError, RecursionError):
        parsed = "not valid JSON"
    if isinstance(parsed, str):
        counts.skipped += 1
        log_event(LOGGER, logging.WARNING, "skipped raw object", key=key, reason=parsed)
        return
    chat, records = parsed
    reasons: Counter[str] = Counter()
    for record in records:
        counts.records += 1
        reason = _add_record(rows, record if isinstance(record, dict) else {}, chat, captured)
        if reason is not None:
            reasons[reason] += 1
    if reasons:
        counts.skipped += reasons.total()
        log_event(LOGGER, logging.WARNING, "skipped imported records", key=key, reasons=dict(sorted(reasons.items())))


def _add_record(
    rows: ImportedRows, record: Mapping[str, Any], chat: Mapping[str, Any], captured: Set[MessageKey]
) -> str | None:
    """Add one record's rows; why it has none when it is unusable."""
    updates = updates_of_record(record, chat)
    if isinstance(updates, str):
        return updates
    update = updates.message
    row = row_of_update(update)
    if not isinstance(row, tuple):
        return row.reason or "not a message"
    message_key = (row[_CHAT], row[_MESSAGE])
    if message_key in captured:
        rows.counts.captured_by_bot += 1
        return None
    if message_key in rows._seen:  # a record repeated in an object: its first copy stands
        return None
    rows._seen.add(message_key)
    rows.messages.append(row)
    rows.counts.rows += 1
    if row[_TYPE] == "service" and "message" in update:  # channel posts have no member rows
        rows.rows[MEMBER_EVENTS.name].extend(service_message_rows(update["update_id"], update["message"]))
    if updates.edit is not None:
        kind = next(name for name in updates.edit if name != "update_id")
        edited = edit_rows(updates.edit["update_id"], kind, updates.edit[kind])
        if isinstance(edited, list):
            rows.rows[MESSAGE_EDITS.name].extend(edited)
    return None
