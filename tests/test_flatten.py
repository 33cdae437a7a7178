"""Flattening updates into rows, and rows into the Parquet table: pure functions, no S3."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.etl.flatten import INT64_MAX, INT64_MIN, MAX_DATE, Row, flatten_update
from functions.etl.schema import MESSAGE_TYPES, ROW_COLUMNS, TELEGRAM_SCHEMA
from functions.etl.table import build_table, deduplicate, to_parquet
from tests.conftest import SEED_UPDATE
from tests.etl_support import (
    CHANNEL,
    DAY_START,
    FORUM,
    GROUP,
    NO_ROW_KINDS,
    USER,
    message,
    no_row_update,
    text_update,
    update,
)

# The contract of the enriched table: the seed design's eight columns first, then the additions.
EXPECTED_SCHEMA = [
    ("message_id", pa.int64()),
    ("user_id", pa.int64()),
    ("user_is_bot", pa.bool_()),
    ("user_first_name", pa.string()),
    ("chat_id", pa.int64()),
    ("chat_type", pa.string()),
    ("text", pa.string()),
    ("date", pa.int64()),
    ("update_id", pa.int64()),
    ("update_type", pa.string()),
    ("message_type", pa.string()),
    ("caption", pa.string()),
    ("user_last_name", pa.string()),
    ("user_username", pa.string()),
    ("user_language_code", pa.string()),
    ("chat_title", pa.string()),
    ("sender_chat_id", pa.int64()),
    ("message_thread_id", pa.int64()),
    ("reply_to_message_id", pa.int64()),
    ("is_forwarded", pa.bool_()),
    ("sent_at", pa.timestamp("ms", tz="UTC")),
]
USER_COLUMNS = ("user_id", "user_is_bot", "user_first_name", "user_last_name", "user_username", "user_language_code")


def columns(value: Any) -> dict[str, Any]:
    """The row ``value`` flattens to, by column name; fails the test when it has no row."""
    flattened = flatten_update(value)
    assert flattened.row is not None, flattened.reason
    assert flattened.reason is None
    return dict(zip(ROW_COLUMNS, flattened.row, strict=True))


def row_of(value: dict[str, Any]) -> Row:
    row = flatten_update(value).row
    assert row is not None
    return row


def test_schema_is_the_contract() -> None:
    """Athena's table and every consumer depend on these names, this order and these types."""
    assert [(field.name, field.type) for field in TELEGRAM_SCHEMA] == EXPECTED_SCHEMA
    assert "context_date" not in TELEGRAM_SCHEMA.names  # the partition lives in the key, not the file


def test_seed_update_flattens_to_its_documented_values() -> None:
    """The seed design's example is the reference row; every added column has its natural value."""
    assert columns(SEED_UPDATE) == {
        "message_id": 1,
        "user_id": 321,
        "user_is_bot": False,
        "user_first_name": "Andre",
        "chat_id": -789,
        "chat_type": "group",
        "text": "Ola, mundo!",
        "date": 1640995200,
        "update_id": 123,
        "update_type": "message",
        "message_type": "text",
        "caption": None,
        "user_last_name": None,
        "user_username": None,
        "user_language_code": None,
        "chat_title": None,
        "sender_chat_id": None,
        "message_thread_id": None,
        "reply_to_message_id": None,
        "is_forwarded": False,
    }


PHOTO = [
    {"file_id": "AgACAgEAAxkBAAIB", "file_unique_id": "AQADs6", "width": 90, "height": 67, "file_size": 1290},
    {"file_id": "AgACAgEAAxkBAAIC", "file_unique_id": "AQADs7", "width": 1280, "height": 960, "file_size": 98213},
]
FILE = {"file_id": "BQACAgEAAxkBAAID", "file_unique_id": "AgADBA", "file_size": 5120}
LOCATION = {"latitude": -23.55052, "longitude": -46.633308}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param({"text": "Bom dia", "entities": []}, "text", id="text"),
        pytest.param({"photo": PHOTO, "caption": "Olha isso"}, "photo", id="photo"),
        pytest.param({"video": {**FILE, "width": 640, "height": 360, "duration": 12}}, "video", id="video"),
        pytest.param({"audio": {**FILE, "duration": 180, "title": "Samba"}}, "audio", id="audio"),
        pytest.param({"voice": {**FILE, "duration": 4, "mime_type": "audio/ogg"}}, "voice", id="voice"),
        pytest.param({"document": {**FILE, "file_name": "ata.pdf"}}, "document", id="document"),
        pytest.param({"sticker": {**FILE, "type": "regular", "width": 512, "height": 512}}, "sticker", id="sticker"),
        pytest.param(  # Telegram sends an animation's file under both fields
            {"animation": {**FILE, "duration": 3}, "document": {**FILE, "mime_type": "video/mp4"}},
            "animation",
            id="animation-with-document",
        ),
        pytest.param({"location": LOCATION}, "location", id="location"),
        pytest.param(  # a venue also carries its location
            {"venue": {"location": LOCATION, "title": "MASP", "address": "Av. Paulista, 1578"}, "location": LOCATION},
            "location",
            id="venue",
        ),
        pytest.param({"contact": {"phone_number": "+5511999999999", "first_name": "Ana"}}, "contact", id="contact"),
        pytest.param({"poll": {"id": "1", "question": "Almoço?", "options": [], "type": "regular"}}, "poll", id="poll"),
        pytest.param({"new_chat_members": [USER]}, "service", id="new_chat_members"),
        pytest.param({"left_chat_member": USER}, "service", id="left_chat_member"),
        pytest.param({"new_chat_title": "Dados 2024"}, "service", id="new_chat_title"),
        pytest.param({"pinned_message": message(5, text="Regras do grupo")}, "service", id="pinned_message"),
        pytest.param({"forum_topic_created": {"name": "Geral", "icon_color": 7322096}}, "service", id="forum_topic"),
        pytest.param({"dice": {"emoji": "🎲", "value": 4}}, "other", id="dice"),
        pytest.param({"video_note": {**FILE, "length": 240, "duration": 5}}, "other", id="video_note"),
        pytest.param({"a_content_type_from_the_future": {}}, "other", id="unknown"),
    ],
)
def test_message_type_classifies_the_content(content: dict[str, Any], expected: str) -> None:
    """Analysts filter on message_type; a media message is never mistaken for its fallback field."""
    row = columns(update(7, message(3, **content)))
    assert row["message_type"] == expected
    assert expected in MESSAGE_TYPES
    assert row["text"] is None or expected == "text"  # a pinned message's text is not the service message's


def test_photo_keeps_its_caption_and_has_no_text() -> None:
    row = columns(update(7, message(3, photo=PHOTO, caption="Olha isso 📷")))
    assert (row["text"], row["caption"], row["message_type"]) == (None, "Olha isso 📷", "photo")


def test_user_columns_come_from_the_sender() -> None:
    row = columns(text_update(7))
    assert {name: row[name] for name in USER_COLUMNS} == {
        "user_id": 321,
        "user_is_bot": False,
        "user_first_name": "Andre",
        "user_last_name": "Souza",
        "user_username": "andre",
        "user_language_code": "pt-br",
    }
    assert (row["chat_title"], row["chat_type"]) == ("Dados", "group")


def test_channel_post_has_no_user_but_a_sender_chat() -> None:
    """Channel posts have no ``from``: the user columns are NULL, the channel is the sender."""
    post = message(40, chat=CHANNEL, sender=None, sender_chat=CHANNEL, text="Aviso", author_signature="Ana")
    row = columns(update(900, post, "channel_post"))
    assert {name: row[name] for name in USER_COLUMNS} == dict.fromkeys(USER_COLUMNS)
    assert row["sender_chat_id"] == CHANNEL["id"] == row["chat_id"]
    assert (row["update_type"], row["chat_type"], row["chat_title"], row["text"]) == (
        "channel_post",
        "channel",
        "Avisos",
        "Aviso",
    )


def test_anonymous_admin_message_has_both_bot_user_and_sender_chat() -> None:
    """Telegram sends anonymous admins' messages from GroupAnonymousBot on behalf of the group."""
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    row = columns(update(8, message(4, sender=anonymous, sender_chat=GROUP, text="Aviso da admin")))
    assert (row["user_id"], row["user_is_bot"], row["sender_chat_id"]) == (1087968824, True, GROUP["id"])


TOPIC_ROOT = message(7, chat=FORUM, forum_topic_created={"name": "Geral", "icon_color": 7322096}, message_thread_id=7)
TOPIC_MESSAGE = message(12, chat=FORUM, text="Pergunta", message_thread_id=7, is_topic_message=True)


@pytest.mark.parametrize(
    ("extras", "thread", "reply"),
    [
        pytest.param({}, None, None, id="no-reply"),
        pytest.param({"reply_to_message": message(3, text="Oi")}, None, 3, id="group-reply"),
        pytest.param(
            {"message_thread_id": 7, "is_topic_message": True, "reply_to_message": TOPIC_ROOT},
            7,
            None,
            id="topic-message-implicitly-replying-to-topic-root",
        ),
        pytest.param(
            {"message_thread_id": 7, "is_topic_message": True, "reply_to_message": TOPIC_MESSAGE},
            7,
            12,
            id="real-reply-inside-topic",
        ),
        pytest.param(
            {"message_thread_id": 3, "reply_to_message": message(3, text="Oi")}, 3, 3, id="supergroup-reply-thread"
        ),
    ],
)
def test_thread_and_reply(extras: dict[str, Any], thread: int | None, reply: int | None) -> None:
    """Every forum-topic message 'replies' to its topic's root; only real replies fill reply_to_message_id."""
    row = columns(update(20, message(30, chat=FORUM, text="Resposta", **extras)))
    assert (row["message_thread_id"], row["reply_to_message_id"]) == (thread, reply)


@pytest.mark.parametrize(
    ("extras", "forwarded"),
    [
        pytest.param({}, False, id="original"),
        pytest.param({"forward_origin": {"type": "user", "sender_user": USER, "date": 1}}, True, id="from-user"),
        pytest.param(
            {"forward_origin": {"type": "channel", "chat": CHANNEL, "message_id": 9, "date": 1}, "forward_date": 1},
            True,
            id="from-channel",
        ),
        pytest.param(
            {"forward_origin": {"type": "hidden_user", "sender_user_name": "X", "date": 1}}, True, id="hidden"
        ),
        pytest.param({"forward_from": USER, "forward_date": 1}, True, id="legacy-fields"),
    ],
)
def test_is_forwarded(extras: dict[str, Any], forwarded: bool) -> None:
    assert columns(update(20, message(30, text="Encaminhada", **extras)))["is_forwarded"] is forwarded


def test_64_bit_ids_are_kept_exactly() -> None:
    """Supergroup and channel ids need 64 bits; so do update ids and newer user ids."""
    big_user = {**USER, "id": 2**33 + 17}
    row = columns(update(2**32 + 5, message(2**31 + 3, chat=CHANNEL, sender=big_user, sender_chat=CHANNEL, text="x")))
    assert (row["update_id"], row["message_id"], row["user_id"], row["chat_id"], row["sender_chat_id"]) == (
        2**32 + 5,
        2**31 + 3,
        2**33 + 17,
        -1001234567890123,
        -1001234567890123,
    )


@pytest.mark.parametrize("kind", NO_ROW_KINDS)
def test_updates_without_a_row_are_not_invalid(kind: str) -> None:
    """Edits keep the row as first sent; member changes, callbacks and reactions are not messages."""
    flattened = flatten_update(no_row_update(55, kind))
    assert flattened.row is None
    assert not flattened.invalid
    assert flattened.reason is not None
    assert kind in flattened.reason


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="null"),
        pytest.param([SEED_UPDATE], id="array"),
        pytest.param("update", id="string"),
        pytest.param(123, id="number"),
        pytest.param({"message": SEED_UPDATE["message"]}, id="no-update_id"),
        pytest.param({**SEED_UPDATE, "update_id": "123"}, id="update_id-string"),
        pytest.param({**SEED_UPDATE, "update_id": True}, id="update_id-bool"),
        pytest.param({**SEED_UPDATE, "update_id": 2**63}, id="update_id-over-int64"),
        pytest.param(update(1, "hello"), id="message-not-object"),
        pytest.param(update(1, {"chat": GROUP, "date": DAY_START, "text": "x"}), id="no-message_id"),
        pytest.param(update(1, {"message_id": 1, "date": DAY_START, "text": "x"}), id="no-chat"),
        pytest.param(update(1, {"message_id": 1, "chat": GROUP, "text": "x"}), id="no-date"),
        pytest.param(update(1, message(chat={"id": "-789", "type": "group"}, text="x")), id="chat-id-string"),
        pytest.param(update(1, message(date=-1, text="x")), id="negative-date"),
        pytest.param(update(1, message(date=MAX_DATE + 1, text="x")), id="date-overflows-ms"),
        pytest.param(update(1, {**message(text="x"), "date": 1.7e9}), id="float-date"),
    ],
)
def test_values_that_are_not_updates_are_invalid(value: Any) -> None:
    """Invalid input is reported (and counted as skipped by the job), never raised."""
    flattened = flatten_update(value)
    assert flattened.row is None
    assert flattened.invalid
    assert flattened.reason


def test_build_table_derives_sent_at_and_keeps_text_exactly() -> None:
    """Emoji, NUL and long texts reach the file unchanged; sent_at is ``date`` as a UTC timestamp."""
    texts = ["Olá 👋🏽 👨‍👩‍👧 🇧🇷", "nul\x00inside", "ж" * 4096]
    rows = [row_of(text_update(10 + index, text, date=1640995200 + index)) for index, text in enumerate(texts)]
    table = build_table(rows)
    assert table.schema.equals(TELEGRAM_SCHEMA)
    assert table.column("text").to_pylist() == texts
    assert table.column("sent_at").to_pylist() == [
        datetime(2022, 1, 1, 0, 0, second, tzinfo=UTC) for second in range(len(texts))
    ]


def test_lone_surrogates_become_replacement_characters() -> None:
    """JSON may escape half a UTF-16 pair (``"\\ud83d"``); Parquet needs UTF-8, so it becomes U+FFFD."""
    rows = [row_of(text_update(1, "a\ud83db")), row_of(text_update(2, "intact 😀"))]
    table = build_table(rows)
    assert table.column("text").to_pylist() == ["a\ufffdb", "intact 😀"]


def test_deduplicate_keeps_the_lowest_update_id_per_message() -> None:
    """A message re-delivered under a new update id appears once, as first delivered."""
    rows = [
        row_of(text_update(30, "redelivered", message_id=1)),
        row_of(text_update(10, "original", message_id=1)),
        row_of(text_update(20, "other", message_id=2)),
        row_of(text_update(40, "same id, other chat", message_id=1, chat=CHANNEL)),
    ]
    unique, dropped = deduplicate(rows)
    assert dropped == 1
    assert [(row[ROW_COLUMNS.index("update_id")], row[ROW_COLUMNS.index("text")]) for row in unique] == [
        (40, "same id, other chat"),
        (10, "original"),
        (20, "other"),
    ]


def test_deduplicate_drops_a_repeated_update_id() -> None:
    rows = [row_of(text_update(10, message_id=1)), row_of(text_update(10, message_id=2))]
    unique, dropped = deduplicate(rows)
    assert (len(unique), dropped) == (1, 1)


def test_deduplicate_sorts_by_date_chat_and_message() -> None:
    rows = [
        row_of(text_update(1, message_id=9, date=DAY_START + 5)),
        row_of(text_update(2, message_id=8, date=DAY_START)),
        row_of(text_update(3, message_id=7, date=DAY_START, chat=CHANNEL)),
        row_of(text_update(4, message_id=6, date=DAY_START)),
    ]
    unique, dropped = deduplicate(rows)
    keys = [tuple(row[ROW_COLUMNS.index(name)] for name in ("date", "chat_id", "message_id")) for row in unique]
    assert dropped == 0
    assert keys == [(DAY_START, CHANNEL["id"], 7), (DAY_START, -789, 6), (DAY_START, -789, 8), (DAY_START + 5, -789, 9)]


def test_parquet_bytes_do_not_depend_on_the_order_rows_were_read() -> None:
    """Objects are read concurrently; a rerun must still produce an identical file."""
    rows = [
        row_of(text_update(1, "a")),
        row_of(text_update(2, "b", message_id=1)),
        row_of(update(3, message(5, photo=PHOTO, caption="c", date=DAY_START - 1))),
        row_of(update(4, message(6, chat=CHANNEL, sender=None, sender_chat=CHANNEL, text="d"), "channel_post")),
    ]
    outputs = {to_parquet(build_table(deduplicate(order)[0])) for order in itertools.permutations(rows)}
    assert len(outputs) == 1
    parquet = outputs.pop()
    back = pq.read_table(io.BytesIO(parquet), use_threads=False)
    assert back.schema.equals(TELEGRAM_SCHEMA)
    assert back.equals(build_table(deduplicate(rows)[0]))


# -- properties: arbitrary JSON never breaks the ETL, and every row fits the schema -------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20) | st.sampled_from(["\ud800", "a\udfff", "\x00"])
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(INT64_MIN, INT64_MAX)
    | st.integers()
    | st.sampled_from([INT64_MIN - 1, INT64_MAX + 1, 2**100])
    | st.floats()
    | ANY_TEXT
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3),
    max_leaves=12,
)
INT64S = st.integers(INT64_MIN, INT64_MAX) | st.sampled_from([INT64_MIN, INT64_MAX, 2**32])
IDS = INT64S | JSON
TEXTS = ANY_TEXT | JSON
USERS = st.fixed_dictionaries(
    {},
    optional={
        "id": IDS,
        "is_bot": st.booleans() | JSON,
        "first_name": TEXTS,
        "last_name": TEXTS,
        "username": TEXTS,
        "language_code": TEXTS,
    },
)
CONTENT = dict.fromkeys(("photo", "animation", "document", "venue", "location", "new_chat_members", "dice"), JSON)


def messages(ids: st.SearchStrategy[Any], dates: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Message-shaped dicts: ``ids`` and ``dates`` for the fields a row needs, anything for the rest."""
    chats = st.fixed_dictionaries({"id": ids}, optional={"type": TEXTS, "title": TEXTS})
    return st.fixed_dictionaries(
        {"message_id": ids, "chat": chats, "date": dates},
        optional={
            "from": USERS | JSON,
            "text": TEXTS,
            "caption": TEXTS,
            "sender_chat": chats | JSON,
            "message_thread_id": IDS,
            "is_topic_message": st.booleans() | JSON,
            "reply_to_message": st.fixed_dictionaries({}, optional={"message_id": IDS, "forum_topic_created": JSON})
            | JSON,
            "forward_origin": JSON,
            **CONTENT,
        },
    )


ROW_KINDS = st.sampled_from(["message", "channel_post"])
# Updates that mostly have a row: valid ids and dates, anything in the other fields.
ROW_UPDATES = st.builds(update, INT64S, messages(INT64S, st.integers(0, MAX_DATE)), ROW_KINDS)
# Updates with anything anywhere: wrong types, out-of-range numbers, other kinds, non-object payloads.
UPDATES = st.builds(
    update,
    IDS,
    messages(IDS, st.integers() | JSON) | JSON,
    ROW_KINDS | st.sampled_from(["edited_message", "my_chat_member", "callback_query"]),
)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(JSON | UPDATES | ROW_UPDATES)
def test_flatten_never_raises_and_is_consistent(value: Any) -> None:
    """Whatever lands in the raw bucket, flattening reports a row or a reason instead of failing the day."""
    flattened = flatten_update(value)
    assert (flattened.row is None) == (flattened.reason is not None)
    if flattened.row is not None:
        assert len(flattened.row) == len(ROW_COLUMNS)
        assert not flattened.invalid


@PROPERTY_SETTINGS
@given(ROW_UPDATES)
def test_every_row_fits_the_schema_and_serialises(value: dict[str, Any]) -> None:
    """Valid ids and date always make a row, whatever else the message holds; it always fits the schema."""
    row = flatten_update(value).row
    assert row is not None
    table = build_table([row])
    assert table.schema.equals(TELEGRAM_SCHEMA)
    back = pq.read_table(io.BytesIO(to_parquet(table)), use_threads=False)
    assert back.schema.equals(TELEGRAM_SCHEMA)
    ids = ("message_id", "chat_id", "update_id", "date", "user_id", "sender_chat_id", "reply_to_message_id")
    assert {name: back.column(name)[0].as_py() for name in ids} == {name: columns(value)[name] for name in ids}


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW_UPDATES | UPDATES, max_size=6))
def test_any_batch_of_rows_builds_one_table(values: list[dict[str, Any]]) -> None:
    """Rows with NULLs in different columns still make one table with exactly the schema."""
    rows = [row for row in (flatten_update(value).row for value in values) if row is not None]
    unique, dropped = deduplicate(rows)
    assert len(unique) + dropped == len(rows)
    table = build_table(unique)
    assert table.schema.equals(TELEGRAM_SCHEMA)
    assert table.num_rows == len(unique)
    to_parquet(table)
