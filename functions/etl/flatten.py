"""Flattening one Telegram update into one row of the enriched table.

Written for arbitrary input: every field is type-checked, so a malformed update yields a reason,
never an exception, and a well-formed one yields exactly the schema's types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from functions.common.updates import SeveralPayloadsError, update_kind
from functions.etl.values import EMPTY, INT64_MAX, INT64_MIN, MAX_DATE

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DATE",
    "ROW_UPDATE_TYPES",
    "Flattened",
    "Row",
    "flatten_update",
    "message_type",
    "row_of_update",
]

# Updates that become rows of the messages table. Edits do not: the row keeps the text as first sent.
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


Row = tuple[Any, ...]  # values in schema.ROW_COLUMNS order
_ID_AND_PAYLOAD = 2  # the keys of an update with one payload


@dataclass(frozen=True, slots=True)
class Flattened:
    """The result for one update: a messages ``row``, or no row and the ``reason`` why.

    ``invalid`` marks input that is not a usable update (counted as skipped); other reasons are
    ordinary updates of another ``kind`` (edits, member changes...), rows of other tables or raw only.
    """

    row: Row | None
    reason: str | None = None
    invalid: bool = False
    kind: str | None = None  # the update's kind, when it is a valid update of a kind with no messages row


NOT_AN_UPDATE = Flattened(None, "not a Telegram update", invalid=True)
_FORWARD_FIELDS = frozenset(FORWARD_FIELDS)


def message_type(message: Mapping[str, Any]) -> str:
    """One of the schema's ``MESSAGE_TYPES`` for a message object."""
    for field, kind in CONTENT_TYPES:
        if field in message:
            return kind
    if not SERVICE_FIELDS.isdisjoint(message):
        return "service"
    return "other"


def flatten_update(update: Any) -> Flattened:
    """The row for a ``message`` or ``channel_post`` update; never raises."""
    result = row_of_update(update)
    return Flattened(result) if isinstance(result, tuple) else result


def _row_update_type(update: Mapping[str, Any]) -> str | Flattened:
    """The update's kind, as the ingest function decided it, when it makes a row; else why there is none."""
    try:
        kind = update_kind(update)
    except SeveralPayloadsError as error:
        return Flattened(None, str(error), invalid=True)
    if kind in ROW_UPDATE_TYPES:
        return kind
    return Flattened(None, f"{kind or 'empty'} updates have no messages row", kind=kind)


def row_of_update(update: Any) -> Row | Flattened:
    """``flatten_update`` without a ``Flattened`` per row: the row itself, or the Flattened that has none.

    The daily job runs this once per raw object, so the type checks are written out inline: each
    field is fetched once, then kept only when it has the schema's type (an int also within int64).
    """
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if type(update_id) is not int or not INT64_MIN <= update_id <= INT64_MAX:
        return NOT_AN_UPDATE
    if len(update) == _ID_AND_PAYLOAD and ("message" in update or "channel_post" in update):
        update_type = "message" if "message" in update else "channel_post"  # update_kind's answer, without a call
    else:
        kind = _row_update_type(update)
        if isinstance(kind, Flattened):
            return kind
        update_type = kind

    message = update[update_type]
    if not isinstance(message, dict):
        return Flattened(None, f"{update_type} is not an object", invalid=True)
    chat = message.get("chat")
    if not isinstance(chat, dict):
        chat = EMPTY
    message_id, chat_id, date = message.get("message_id"), chat.get("id"), message.get("date")
    if not (
        type(message_id) is int
        and type(chat_id) is int
        and type(date) is int
        and INT64_MIN <= message_id <= INT64_MAX
        and INT64_MIN <= chat_id <= INT64_MAX
        and 0 <= date <= MAX_DATE
    ):
        return Flattened(None, f"{update_type} lacks message_id, chat.id or a valid date", invalid=True)

    sender = message.get("from")
    if not isinstance(sender, dict):
        sender = EMPTY
    user_id, is_bot, first_name = sender.get("id"), sender.get("is_bot"), sender.get("first_name")
    last_name, username, language = sender.get("last_name"), sender.get("username"), sender.get("language_code")
    chat_type, chat_title = chat.get("type"), chat.get("title")
    text, caption, thread_id = message.get("text"), message.get("caption"), message.get("message_thread_id")
    sender_chat = message.get("sender_chat")
    sender_chat_id = sender_chat.get("id") if isinstance(sender_chat, dict) else None
    replied = message.get("reply_to_message")
    if isinstance(replied, dict):
        reply_id = replied.get("message_id")
        if "forum_topic_created" in replied and message.get("is_topic_message") is True:
            reply_id = None  # the implicit reply of a forum-topic message to its topic's root
    else:
        reply_id = None
    return (
        message_id,
        user_id if type(user_id) is int and INT64_MIN <= user_id <= INT64_MAX else None,
        is_bot if type(is_bot) is bool else None,
        first_name if type(first_name) is str else None,
        chat_id,
        chat_type if type(chat_type) is str else None,
        text if type(text) is str else None,
        date,
        update_id,
        update_type,
        "text" if "text" in message else message_type(message),  # CONTENT_TYPES' first entry, without the loop
        caption if type(caption) is str else None,
        last_name if type(last_name) is str else None,
        username if type(username) is str else None,
        language if type(language) is str else None,
        chat_title if type(chat_title) is str else None,
        sender_chat_id if type(sender_chat_id) is int and INT64_MIN <= sender_chat_id <= INT64_MAX else None,
        thread_id if type(thread_id) is int and INT64_MIN <= thread_id <= INT64_MAX else None,
        reply_id if type(reply_id) is int and INT64_MIN <= reply_id <= INT64_MAX else None,
        not _FORWARD_FIELDS.isdisjoint(message),  # any forward field among the message's keys
    )
