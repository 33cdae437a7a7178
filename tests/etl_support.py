"""Telegram Bot API update builders and S3 helpers shared by the ETL and pipeline tests.

The shapes follow the Bot API's documentation (``Update``, ``Message``, ``User``, ``Chat``), so the
tests exercise the ETL with what Telegram really sends, not with minimal dicts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET, update_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DAY = "2024-01-01"
DAY_START = 1_704_078_000  # 2024-01-01T00:00 in America/Sao_Paulo (03:00 UTC)

USER: dict[str, Any] = {
    "id": 321,
    "is_bot": False,
    "first_name": "Andre",
    "last_name": "Souza",
    "username": "andre",
    "language_code": "pt-br",
}
GROUP: dict[str, Any] = {"id": -789, "title": "Dados", "type": "group"}
CHANNEL: dict[str, Any] = {"id": -1001234567890123, "title": "Avisos", "type": "channel"}
FORUM: dict[str, Any] = {"id": -1009876543210, "title": "Forum", "type": "supergroup", "is_forum": True}


def message(
    message_id: int = 1,
    *,
    chat: Mapping[str, Any] = GROUP,
    sender: Mapping[str, Any] | None = USER,
    date: int = DAY_START,
    **fields: Any,
) -> dict[str, Any]:
    """A ``Message``; ``fields`` add its content (``text``, ``photo``...) and extras (``reply_to_message``...)."""
    result: dict[str, Any] = {"message_id": message_id}
    if sender is not None:
        result["from"] = dict(sender)
    result.update(chat=dict(chat), date=date, **fields)
    return result


def update(update_id: int, payload: Any, kind: str = "message") -> dict[str, Any]:
    """An ``Update`` carrying ``payload`` under ``kind``."""
    return {"update_id": update_id, kind: payload}


def text_update(
    update_id: int,
    text: str = "Bom dia",
    *,
    message_id: int | None = None,
    chat: Mapping[str, Any] = GROUP,
    date: int = DAY_START,
) -> dict[str, Any]:
    """A plain text message; its message id defaults to the update id."""
    return update(update_id, message(update_id if message_id is None else message_id, chat=chat, date=date, text=text))


def no_row_update(update_id: int, kind: str) -> dict[str, Any]:
    """An update of a kind that has no row in the messages table (some have rows in the other tables)."""
    payloads: dict[str, Any] = {
        "edited_message": message(1, text="Bom dia (editado)", edit_date=DAY_START + 60),
        "edited_channel_post": message(
            1, chat=CHANNEL, sender=None, sender_chat=CHANNEL, text="Aviso (editado)", edit_date=DAY_START + 60
        ),
        "my_chat_member": {
            "chat": GROUP,
            "from": USER,
            "date": DAY_START,
            "old_chat_member": {"status": "left", "user": {"id": 42, "is_bot": True, "first_name": "Bot"}},
            "new_chat_member": {"status": "member", "user": {"id": 42, "is_bot": True, "first_name": "Bot"}},
        },
        "callback_query": {"id": "4382bfdwdsb323b2d9", "from": USER, "chat_instance": "-1234", "data": "yes"},
        "message_reaction": {
            "chat": GROUP,
            "message_id": 1,
            "user": USER,
            "date": DAY_START,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        },
        "poll_answer": {"poll_id": "5312", "user": USER, "option_ids": [0]},
        "chat_join_request": {"chat": GROUP, "from": USER, "user_chat_id": USER["id"], "date": DAY_START},
    }
    return update(update_id, payloads[kind], kind)


NO_ROW_KINDS = (
    "edited_message",
    "edited_channel_post",
    "my_chat_member",
    "callback_query",
    "message_reaction",
    "poll_answer",
    "chat_join_request",
)


def raw_key(day: str, name: str, prefix: str = "telegram") -> str:
    """Where the ingest function stores an update that arrived on ``day``."""
    return f"{prefix}/context_date={day}/{name}.json"


def put_raw(s3: S3Client, day: str, content: dict[str, Any]) -> str:
    """Store an update as the ingest function would: under its day, named by its update id."""
    return put_raw_body(s3, raw_key(day, str(content["update_id"])), update_body(content))


def put_raw_body(s3: S3Client, key: str, body: bytes) -> str:
    """Store any bytes as a raw object (what a bug, a person or a future Telegram could leave there)."""
    s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=body, ContentType="application/json")
    return key


def bucket_state(s3: S3Client, bucket: str) -> dict[str, str]:
    """Every key of ``bucket`` with its ETag, to prove what a run did (not) change."""
    state: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        state.update({item["Key"]: item["ETag"] for item in page.get("Contents", ())})
    return state


def enriched_keys(s3: S3Client) -> list[str]:
    return sorted(bucket_state(s3, ENRICHED_BUCKET))


def enriched_bytes(s3: S3Client, key: str) -> bytes:
    return s3.get_object(Bucket=ENRICHED_BUCKET, Key=key)["Body"].read()


def read_parquet(s3: S3Client, key: str) -> pa.Table:
    """The Parquet file at ``key`` of the enriched bucket, read the way Athena's reader sees it."""
    # Unthreaded: pyarrow 26 can abort at interpreter exit after a threaded read (apache/arrow#34314).
    return pq.read_table(io.BytesIO(enriched_bytes(s3, key)), use_threads=False)
