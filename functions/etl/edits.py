"""Flattening an ``edited_message`` or ``edited_channel_post`` update into its ``message_edits`` row.

Every version is a row of its own: the messages table keeps the text as first sent, this one each edit.
"""

from __future__ import annotations

from typing import Any

from functions.etl import values
from functions.etl.flatten import Flattened, Row, message_type

EDIT_UPDATE_TYPES = ("edited_message", "edited_channel_post")


def edit_rows(update_id: int, update_type: str, payload: Any) -> list[Row] | Flattened:
    """The edit's one row (``MESSAGE_EDITS`` columns but ``edited_at``), or why the update is unusable."""
    if not isinstance(payload, dict):
        return Flattened(None, f"{update_type} is not an object", invalid=True)
    chat, sender = values.obj(payload.get("chat")), values.obj(payload.get("from"))
    chat_id, message_id = values.int64(chat.get("id")), values.int64(payload.get("message_id"))
    date, edit_date = values.date_seconds(payload.get("date")), values.date_seconds(payload.get("edit_date"))
    if chat_id is None or message_id is None or date is None or edit_date is None:
        return Flattened(None, f"{update_type} lacks message_id, chat.id, a valid date or edit_date", invalid=True)
    return [
        (
            chat_id,
            message_id,
            update_id,
            edit_date,
            date,
            values.int64(sender.get("id")),
            values.text(sender.get("first_name")),
            values.text(payload.get("text")),
            values.text(payload.get("caption")),
            message_type(payload),
            update_type,
            values.text(chat.get("type")),
            values.text(chat.get("title")),
        )
    ]
