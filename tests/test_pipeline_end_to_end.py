"""Webhook request → ingest → raw S3 object → ETL → Parquet: the two functions agree on keys and content."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from functions.etl.handler import lambda_handler as etl_handler
from functions.etl.schema import TELEGRAM_SCHEMA
from functions.ingest.handler import lambda_handler as ingest_handler
from tests.conftest import ALLOWED_CHAT, RAW_BUCKET, SEED_UPDATE, update_body, webhook_event
from tests.etl_support import CHANNEL, USER, enriched_keys, message, read_parquet, update

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env", "etl_env")

# The seed's message was sent at 2022-01-01T00:00:00Z, which is still 2021-12-31 in Sao Paulo.
SEED_ARRIVAL = datetime(2022, 1, 1, 0, 0, 1, tzinfo=UTC)
SEED_DAY = "2021-12-31"


def deliver(body: bytes, arrived_at: datetime = SEED_ARRIVAL) -> dict[str, Any]:
    """Telegram's webhook call, through the ingest handler; it must be accepted and stored."""
    response = ingest_handler(webhook_event(body, arrived_at=arrived_at), None)
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"status": "stored"})
    return response


def run_etl(day: str) -> dict[str, Any]:
    days = etl_handler({"date": day}, None)["days"]
    assert len(days) == 1
    summary: dict[str, Any] = days[0]
    return summary


def test_seed_example_end_to_end(s3: S3Client) -> None:
    """The seed design's example lands at its day's key and comes out as its documented eight columns."""
    deliver(update_body(SEED_UPDATE))
    raw = s3.get_object(Bucket=RAW_BUCKET, Key=f"telegram/context_date={SEED_DAY}/123.json")
    assert raw["Body"].read() == update_body(SEED_UPDATE)

    output_key = f"telegram/context_date={SEED_DAY}/telegram.parquet"
    summary = run_etl(SEED_DAY)
    assert (summary["objects_read"], summary["rows_written"], summary["output_key"]) == (1, 1, output_key)
    assert enriched_keys(s3) == [output_key]

    table = read_parquet(s3, output_key)
    assert table.schema.equals(TELEGRAM_SCHEMA)
    assert table.select(TELEGRAM_SCHEMA.names[:8]).to_pylist() == [
        {
            "message_id": 1,
            "user_id": 321,
            "user_is_bot": False,
            "user_first_name": "Andre",
            "chat_id": -789,
            "chat_type": "group",
            "text": "Ola, mundo!",
            "date": 1640995200,
        }
    ]
    assert table.column("sent_at").to_pylist() == [datetime(2022, 1, 1, tzinfo=UTC)]


TEXTS = [
    pytest.param("Olá 👋🏽 família 👨‍👩‍👧‍👦 🇧🇷 — ñ 漢字 العربية", id="emoji-and-scripts"),
    pytest.param("antes\x00depois", id="nul"),
    pytest.param("🚀" + "a" * 4094 + "é", id="4096-characters"),
    pytest.param("e\u0301\u200f\u202e\u2028fim \\ \" '", id="combining-controls-and-quotes"),
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("ascii_escaped", [False, True], ids=["utf8-body", "ascii-escaped-body"])
def test_text_and_64_bit_ids_survive_the_pipeline(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, text: str, ascii_escaped: bool
) -> None:
    """What users wrote, and the ids that join it to other data, reach Parquet exactly, whatever the escaping."""
    monkeypatch.setenv("ALLOWED_CHAT_IDS", f"{ALLOWED_CHAT},{CHANNEL['id']}")
    sender = {**USER, "id": 2**33 + 7}
    original = update(2**32 + 11, message(2**31 + 5, chat=CHANNEL, sender=sender, sender_chat=CHANNEL, text=text))
    body = json.dumps(original, ensure_ascii=ascii_escaped).encode()
    deliver(body, arrived_at=datetime(2024, 5, 10, 15, tzinfo=UTC))
    assert (
        s3.get_object(Bucket=RAW_BUCKET, Key=f"telegram/context_date=2024-05-10/{2**32 + 11}.json")["Body"].read()
        == body
    )  # stored byte for byte

    run_etl("2024-05-10")
    table = read_parquet(s3, "telegram/context_date=2024-05-10/telegram.parquet")
    columns = ("text", "update_id", "message_id", "user_id", "chat_id", "sender_chat_id")
    assert table.select(columns).to_pylist() == [
        {
            "text": text,
            "update_id": 2**32 + 11,
            "message_id": 2**31 + 5,
            "user_id": 2**33 + 7,
            "chat_id": -1001234567890123,
            "sender_chat_id": -1001234567890123,
        }
    ]


def test_redelivery_and_edits_leave_one_row_with_the_original_text(s3: S3Client) -> None:
    """Telegram re-delivers until it gets a 200 and sends edits as new updates: the day still has one message
    row, with the text as first sent; the edit is a row of the edits table."""
    original = update(500, message(42, text="Reunião às 10h"))
    edit = update(501, message(42, text="Reunião às 11h", edit_date=1715353300), "edited_message")
    arrived = datetime(2024, 5, 10, 15, tzinfo=UTC)
    for body in (update_body(original), update_body(original), update_body(edit)):
        deliver(body, arrived_at=arrived)

    summary = run_etl("2024-05-10")
    assert (summary["objects_read"], summary["rows_written"], summary["updates_without_row"]) == (2, 1, 0)
    table = read_parquet(s3, "telegram/context_date=2024-05-10/telegram.parquet")
    assert table.select(["update_id", "message_id", "text"]).to_pylist() == [
        {"update_id": 500, "message_id": 42, "text": "Reunião às 10h"}
    ]
    edits = read_parquet(s3, "message_edits/context_date=2024-05-10/message_edits.parquet")
    assert edits.select(["update_id", "message_id", "text", "edit_date"]).to_pylist() == [
        {"update_id": 501, "message_id": 42, "text": "Reunião às 11h", "edit_date": 1715353300}
    ]


def test_redelivery_after_midnight_keeps_one_row_on_the_first_day(s3: S3Client) -> None:
    """Telegram re-delivers an update after local midnight: two raw objects, one row, on the first day."""
    body = update_body(SEED_UPDATE)
    deliver(body, arrived_at=datetime(2022, 1, 1, 2, 59, 59, tzinfo=UTC))  # 23:59:59 in Sao Paulo
    deliver(body, arrived_at=datetime(2022, 1, 1, 3, 0, 5, tzinfo=UTC))  # 00:00:05 the next day
    raw = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=RAW_BUCKET)["Contents"])
    assert raw == ["telegram/context_date=2021-12-31/123.json", "telegram/context_date=2022-01-01/123.json"]

    first, second = etl_handler({"start_date": "2021-12-31", "end_date": "2022-01-01"}, None)["days"]

    assert (first["rows_written"], first["duplicates"]) == (1, 0)
    assert (second["objects_read"], second["rows_written"], second["duplicates"]) == (1, 0, 1)
    assert second["output_key"] is None
    assert enriched_keys(s3) == ["telegram/context_date=2021-12-31/telegram.parquet"]
