"""Flattening one Telegram update into one row of the enriched table.

Written for arbitrary input: every field is type-checked, so a malformed update yields a reason,
never an exception, and a well-formed one yields exactly the schema's types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z: the last second every reader's timestamp type can hold

# Updates that become rows. Edits do not: the row keeps the text as first sent.
ROW_UPDATE_TYPES = ("message", "channel_post")

# Checked in order: an animation also carries ``document``, a venue also carries ``location``.
CONTENT_TYPES = (
    ("text", "text"),
    ("animation", "animation"),
    ("photo", "photo"),
    ("video", "video"),
    ("audio", "audio"),
    ("voice", "voice"),
    ("document", "document"),
    ("sticker", "sticker"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
)

# Fields that make a message a service message (members joining, titles, pins, topics, calls...).
SERVICE_FIELDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "users_shared",
        "chat_shared",
        "write_access_allowed",
        "proximity_alert_triggered",
        "boost_added",
        "chat_background_set",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "giveaway_created",
        "giveaway_completed",
        "video_chat_scheduled",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_participants_invited",
        "web_app_data",
        "successful_payment",
        "refunded_payment",
    }
)

FORWARD_FIELDS = ("forward_origin", "forward_from", "forward_from_chat", "forward_sender_name", "forward_date")

_EMPTY: Mapping[str, Any] = {}

Row = tuple[Any, ...]  # values in schema.ROW_COLUMNS order


@dataclass(frozen=True, slots=True)
class Flattened:
    """The result for one update: a ``row``, or no row and the ``reason`` why.

    ``invalid`` marks input that is not a usable update (counted as skipped); other
    reasons are ordinary updates that simply have no row (edits, member changes...).
    """

    row: Row | None
    reason: str | None = None
    invalid: bool = False


def _int(value: Any) -> int | None:
    return value if type(value) is int and INT64_MIN <= value <= INT64_MAX else None


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _bool(value: Any) -> bool | None:
    return value if type(value) is bool else None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def message_type(message: Mapping[str, Any]) -> str:
    """One of the schema's ``MESSAGE_TYPES`` for a message object."""
    for field, kind in CONTENT_TYPES:
        if field in message:
            return kind
    if not SERVICE_FIELDS.isdisjoint(message):
        return "service"
    return "other"


def reply_to_message_id(message: Mapping[str, Any]) -> int | None:
    """The replied-to message, ignoring the implicit reply every forum-topic message has to its topic's root."""
    replied = _dict(message.get("reply_to_message"))
    replied_id = _int(replied.get("message_id"))
    if message.get("is_topic_message") is True and "forum_topic_created" in replied:
        return None
    return replied_id


def flatten_update(update: Any) -> Flattened:
    """The row for a ``message`` or ``channel_post`` update; never raises."""
    if not isinstance(update, dict) or _int(update.get("update_id")) is None:
        return Flattened(None, "not a Telegram update", invalid=True)
    update_type = next((kind for kind in ROW_UPDATE_TYPES if kind in update), None)
    if update_type is None:
        other = next((key for key in update if key != "update_id"), "empty")
        return Flattened(None, f"{other} updates have no row")

    message = update[update_type]
    if not isinstance(message, dict):
        return Flattened(None, f"{update_type} is not an object", invalid=True)
    chat = _dict(message.get("chat"))
    message_id, chat_id, date = _int(message.get("message_id")), _int(chat.get("id")), _int(message.get("date"))
    if message_id is None or chat_id is None or date is None or not 0 <= date <= MAX_DATE:
        return Flattened(None, f"{update_type} lacks message_id, chat.id or a valid date", invalid=True)

    sender = _dict(message.get("from"))
    row = (
        message_id,
        _int(sender.get("id")),
        _bool(sender.get("is_bot")),
        _str(sender.get("first_name")),
        chat_id,
        _str(chat.get("type")),
        _str(message.get("text")),
        date,
        update["update_id"],
        update_type,
        message_type(message),
        _str(message.get("caption")),
        _str(sender.get("last_name")),
        _str(sender.get("username")),
        _str(sender.get("language_code")),
        _str(chat.get("title")),
        _int(_dict(message.get("sender_chat")).get("id")),
        _int(message.get("message_thread_id")),
        reply_to_message_id(message),
        any(field in message for field in FORWARD_FIELDS),
    )
    return Flattened(row)
