"""The enriched table's schema: the one definition the ETL writes and the tests compare Athena's against."""

from __future__ import annotations

import pyarrow as pa

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
        pa.field("sent_at", pa.timestamp("ms", tz="UTC"), nullable=False),  # ``date`` as a timestamp
    ]
)

# Every column but ``sent_at``, which is computed from ``date`` in one vectorised step.
ROW_COLUMNS = tuple(TELEGRAM_SCHEMA.names[:-1])
DERIVED_COLUMN = TELEGRAM_SCHEMA.names[-1]

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
