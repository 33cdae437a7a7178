"""The enriched tables' schemas: the one definition the ETL writes and the tests compare sql/tables/*.json against.

Every table ends with a UTC timestamp column derived from a Unix-seconds column in one vectorised step,
so the flatteners produce every column but the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class TableSpec:
    """One table: its name (its key prefix and file name), Arrow schema, and the column the timestamp comes from."""

    name: str
    schema: pa.Schema
    seconds_column: str  # Unix seconds; the schema's last column is this as a timestamp

    @property
    def row_columns(self) -> tuple[str, ...]:
        """The columns a flattened row holds, in order: all but the derived timestamp."""
        return tuple(self.schema.names[:-1])

    @property
    def derived_column(self) -> str:
        return str(self.schema.names[-1])

    def key(self, day: str) -> str:
        """Where a day's file of this table goes in the enriched bucket (not the messages table: see EtlSettings)."""
        return f"{self.name}/context_date={day}/{self.name}.parquet"


# The seed design's eight columns come first, with their names, order and types.
TELEGRAM_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.int64(), nullable=False),
        pa.field("user_id", pa.int64()),
        pa.field("user_is_bot", pa.bool_()),
        pa.field("user_first_name", pa.string()),
        pa.field("chat_id", pa.int64(), nullable=False),
        pa.field("chat_type", pa.string()),
        pa.field("text", pa.string()),
        pa.field("date", pa.int64(), nullable=False),  # Unix seconds, as Telegram sends it
        pa.field("update_id", pa.int64(), nullable=False),
        pa.field("update_type", pa.string(), nullable=False),
        pa.field("message_type", pa.string(), nullable=False),
        pa.field("caption", pa.string()),
        pa.field("user_last_name", pa.string()),
        pa.field("user_username", pa.string()),
        pa.field("user_language_code", pa.string()),
        pa.field("chat_title", pa.string()),
        pa.field("sender_chat_id", pa.int64()),
        pa.field("message_thread_id", pa.int64()),
        pa.field("reply_to_message_id", pa.int64()),
        pa.field("is_forwarded", pa.bool_(), nullable=False),
        pa.field("sent_at", TIMESTAMP, nullable=False),  # ``date`` as a timestamp
    ]
)

MESSAGE_EDITS_SCHEMA = pa.schema(
    [
        pa.field("chat_id", pa.int64(), nullable=False),
        pa.field("message_id", pa.int64(), nullable=False),
        pa.field("update_id", pa.int64(), nullable=False),
        pa.field("edit_date", pa.int64(), nullable=False),
        pa.field("date", pa.int64(), nullable=False),  # the original message's send time
        pa.field("user_id", pa.int64()),
        pa.field("user_first_name", pa.string()),
        pa.field("text", pa.string()),
        pa.field("caption", pa.string()),
        pa.field("message_type", pa.string(), nullable=False),
        pa.field("update_type", pa.string(), nullable=False),
        pa.field("chat_type", pa.string()),
        pa.field("chat_title", pa.string()),
        pa.field("edited_at", TIMESTAMP, nullable=False),
    ]
)

MEMBER_EVENTS_SCHEMA = pa.schema(
    [
        pa.field("chat_id", pa.int64(), nullable=False),
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("user_is_bot", pa.bool_()),
        pa.field("user_first_name", pa.string()),
        pa.field("user_last_name", pa.string()),
        pa.field("user_username", pa.string()),
        pa.field("event", pa.string(), nullable=False),
        pa.field("old_status", pa.string()),
        pa.field("new_status", pa.string()),
        pa.field("actor_user_id", pa.int64()),
        pa.field("invite_link_name", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("update_id", pa.int64(), nullable=False),
        pa.field("message_id", pa.int64()),
        pa.field("chat_type", pa.string()),
        pa.field("chat_title", pa.string()),
        pa.field("date", pa.int64(), nullable=False),
        pa.field("event_at", TIMESTAMP, nullable=False),
    ]
)

REACTIONS_SCHEMA = pa.schema(
    [
        pa.field("chat_id", pa.int64(), nullable=False),
        pa.field("message_id", pa.int64(), nullable=False),
        pa.field("update_id", pa.int64(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("user_id", pa.int64()),
        pa.field("actor_chat_id", pa.int64()),
        pa.field("reaction_type", pa.string()),
        pa.field("emoji", pa.string()),
        pa.field("custom_emoji_id", pa.string()),
        pa.field("action", pa.string()),
        pa.field("total_count", pa.int64()),
        pa.field("chat_type", pa.string()),
        pa.field("chat_title", pa.string()),
        pa.field("date", pa.int64(), nullable=False),
        pa.field("reacted_at", TIMESTAMP, nullable=False),
    ]
)

MESSAGES = TableSpec("telegram", TELEGRAM_SCHEMA, "date")
MESSAGE_EDITS = TableSpec("message_edits", MESSAGE_EDITS_SCHEMA, "edit_date")
MEMBER_EVENTS = TableSpec("member_events", MEMBER_EVENTS_SCHEMA, "date")
REACTIONS = TableSpec("reactions", REACTIONS_SCHEMA, "date")
# The tables besides the messages one, in the order the ETL writes them.
UPDATE_TABLES = (MESSAGE_EDITS, MEMBER_EVENTS, REACTIONS)
TABLES = (MESSAGES, *UPDATE_TABLES)

# Every messages column but ``sent_at``, which is computed from ``date``.
ROW_COLUMNS = MESSAGES.row_columns
DERIVED_COLUMN = MESSAGES.derived_column

MESSAGE_TYPES = (
    "text",
    "photo",
    "video",
    "audio",
    "voice",
    "document",
    "sticker",
    "animation",
    "location",
    "contact",
    "poll",
    "service",
    "other",
)
