"""Every kind of update an allowed chat produces, shaped as the Bot API documents it, through the ingest and
ETL handlers into its table: message edits, member events and reactions, with exact rows.

The payloads follow https://core.telegram.org/bots/api (Update, Message, ChatMemberUpdated, ChatMember*,
MessageReactionUpdated, MessageReactionCountUpdated, ReactionType*, ChatInviteLink).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from functions.etl.day_rows import FLATTENERS
from functions.etl.flatten import ROW_UPDATE_TYPES
from functions.etl.handler import lambda_handler as etl_handler
from functions.etl.schema import MEMBER_EVENTS_SCHEMA, MESSAGE_EDITS_SCHEMA, MESSAGES, REACTIONS_SCHEMA, UPDATE_TABLES
from functions.ingest.handler import lambda_handler as ingest_handler
from telegram_datalake.demo.bot_api_objects import ADMIN_RIGHTS as RIGHTS
from telegram_datalake.saved_queries import OTHER_TABLES, load_schemas
from telegram_datalake.telegram_api import DEFAULT_ALLOWED_UPDATES
from tests.conftest import RAW_BUCKET, update_body, webhook_event
from tests.etl_support import CHANNEL, bucket_state, enriched_bytes, enriched_keys, read_parquet

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env", "etl_env")

T = 1_715_353_200  # 2024-05-10T15:00:00Z, 12:00 in Sao Paulo
ARRIVED = datetime(2024, 5, 10, 15, 30, tzinfo=UTC)
DAY = "2024-05-10"
GROUP = {"id": -1001500000001, "title": "Dados & Café", "type": "supergroup"}
ADMIN = {"id": 111, "is_bot": False, "first_name": "Bia", "username": "bia_admin"}
ANA = {"id": 222, "is_bot": False, "first_name": "Ana", "last_name": "Souza", "username": "anasouza"}
CARLOS = {"id": 333, "is_bot": False, "first_name": "Carlos", "language_code": "pt-br"}
DANI = {"id": 444, "is_bot": False, "first_name": "Dani"}
EVA = {"id": 445, "is_bot": False, "first_name": "Eva"}
FELIPE = {"id": 555, "is_bot": False, "first_name": "Felipe"}
GIULIA = {"id": 666, "is_bot": False, "first_name": "Giulia", "last_name": "Rossi"}
BOT = {"id": 999, "is_bot": True, "first_name": "Datalake", "username": "datalake_bot"}
INVITE = {
    "invite_link": "https://t.me/+AbCdEfGh12345678",
    "creator": ADMIN,
    "creates_join_request": False,
    "is_primary": False,
    "is_revoked": False,
    "name": "meetup",
}
SILENCED = {"is_member": True, "can_send_messages": False, "can_send_audios": False, "until_date": 0}


def member(status: str, user: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A ChatMember* object: ChatMemberMember, ChatMemberLeft, ChatMemberBanned, ...Administrator..."""
    return {"status": status, "user": user, **fields}


def member_update(actor: dict[str, Any], date: int, old: dict[str, Any], new: dict[str, Any], **extra: Any) -> Any:
    """A ChatMemberUpdated."""
    return {"chat": GROUP, "from": actor, "date": date, "old_chat_member": old, "new_chat_member": new, **extra}


def service(message_id: int, sender: dict[str, Any], date: int, **fields: Any) -> dict[str, Any]:
    """A service Message of the group (members added or removed)."""
    return {"message_id": message_id, "from": sender, "chat": GROUP, "date": date, **fields}


def emoji(value: str) -> dict[str, str]:
    return {"type": "emoji", "emoji": value}


CUSTOM = {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"}
POST = {"message_id": 7, "sender_chat": CHANNEL, "chat": CHANNEL, "date": T - 3600}
PHOTO = [{"file_id": "AgACAgEAAxkBAAI", "file_unique_id": "AQADAgAT", "width": 90, "height": 68}]

UPDATES: list[tuple[int, str, Any]] = [
    (100, "message", {"message_id": 10, "from": ANA, "chat": GROUP, "date": T, "text": "Bom dia"}),
    (101, "edited_message", {"message_id": 10, "from": ANA, "chat": GROUP, "date": T, "edit_date": T + 60,
                             "text": "Bom dia!"}),
    (102, "edited_message", {"message_id": 10, "from": ANA, "chat": GROUP, "date": T, "edit_date": T + 120,
                             "text": "Bom dia, pessoal!"}),
    (103, "edited_channel_post", {**POST, "edit_date": T + 30, "photo": PHOTO, "caption": "Novo post (corrigido)"}),
    (104, "chat_member", member_update(CARLOS, T + 200, member("left", CARLOS), member("member", CARLOS),
                                       invite_link=INVITE)),
    (105, "message", service(11, CARLOS, T + 201, new_chat_participant=CARLOS, new_chat_member=CARLOS,
                             new_chat_members=[CARLOS])),
    (106, "chat_member", member_update(ANA, T + 300, member("member", ANA), member("left", ANA))),
    (107, "message", service(12, ANA, T + 300, left_chat_participant=ANA, left_chat_member=ANA)),
    (108, "chat_member", member_update(ADMIN, T + 400, member("member", CARLOS),
                                       member("kicked", CARLOS, until_date=0))),
    (109, "message", service(13, ADMIN, T + 401, left_chat_participant=CARLOS, left_chat_member=CARLOS)),
    (110, "chat_member", member_update(ADMIN, T + 500, member("kicked", CARLOS, until_date=0),
                                       member("left", CARLOS))),
    (111, "chat_member", member_update(ADMIN, T + 600, member("member", DANI),
                                       member("administrator", DANI, **RIGHTS))),
    (112, "chat_member", member_update(ADMIN, T + 700, member("member", EVA), member("restricted", EVA, **SILENCED))),
    (113, "my_chat_member", member_update(ADMIN, T + 100, member("left", BOT), member("administrator", BOT, **RIGHTS))),
    (114, "message", service(14, ADMIN, T + 800, new_chat_participant=FELIPE, new_chat_member=FELIPE,
                             new_chat_members=[FELIPE, GIULIA])),
    (115, "message_reaction", {"chat": GROUP, "message_id": 10, "user": ANA, "date": T + 130, "old_reaction": [],
                               "new_reaction": [emoji("👍")]}),
    (116, "message_reaction", {"chat": GROUP, "message_id": 10, "user": ANA, "date": T + 140,
                               "old_reaction": [emoji("👍")], "new_reaction": [emoji("❤"), CUSTOM]}),
    (117, "message_reaction", {"chat": GROUP, "message_id": 10, "actor_chat": GROUP, "date": T + 145,
                               "old_reaction": [], "new_reaction": [emoji("🔥")]}),
    (118, "message_reaction_count", {"chat": CHANNEL, "message_id": 7, "date": T + 150, "reactions": [
        {"type": emoji("👍"), "total_count": 12}, {"type": {"type": "paid"}, "total_count": 3}]}),
    (119, "message_reaction_count", {"chat": CHANNEL, "message_id": 7, "date": T + 900, "reactions": []}),
    (120, "chat_join_request", {"chat": GROUP, "from": DANI, "user_chat_id": 444, "date": T + 950}),
    (121, "chat_boost", {"chat": CHANNEL, "boost": {"boost_id": "b1", "add_date": T, "expiration_date": T + 86400,
                                                    "source": {"source": "premium", "user": ANA}}}),
]  # fmt: skip


def deliver(update_id: int, kind: str, payload: Any, arrived_at: datetime = ARRIVED) -> None:
    """Telegram's webhook call through the ingest handler: accepted and stored."""
    event = webhook_event(update_body({"update_id": update_id, kind: payload}), arrived_at=arrived_at)
    response = ingest_handler(event, None)
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"status": "stored"})


def run_etl(day: str) -> dict[str, Any]:
    [summary] = etl_handler({"date": day}, None)["days"]
    return dict(summary)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def key(table: str, day: str = DAY) -> str:
    return f"{table}/context_date={day}/{table}.parquet"


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_CHAT_IDS", f"{GROUP['id']},{CHANNEL['id']}")


@pytest.fixture
def delivered(s3: S3Client, allowed: None) -> dict[str, Any]:
    """Every update delivered (one twice: Telegram retries), then the day's ETL run; its summary."""
    for update_id, kind, payload in UPDATES:
        deliver(update_id, kind, payload)
    deliver(*UPDATES[16])  # a retry: the same object again
    return run_etl(DAY)


def test_the_summary_counts_each_table_and_the_raw_only_types(s3: S3Client, delivered: dict[str, Any]) -> None:
    assert enriched_keys(s3) == sorted(
        [
            key("member_events"),
            key("message_edits"),
            key("reactions"),
            "telegram/context_date=2024-05-10/telegram.parquet",
        ]
    )
    assert (delivered["objects_read"], delivered["rows_written"], delivered["skipped"]) == (22, 5, 0)
    assert delivered["raw_only_updates"] == {"chat_boost": 1, "chat_join_request": 1}
    assert delivered["updates_without_row"] == 2
    tables = delivered["tables"]
    assert {name: (table["rows"], table["duplicates"]) for name, table in tables.items()} == {
        "message_edits": (3, 0),
        "member_events": (9, 3),  # three service messages repeat a member update: one change, one row
        "reactions": (8, 0),
    }
    assert {name: table["key"] for name, table in tables.items()} == {name: key(name) for name in tables}


def test_every_version_of_an_edited_message_is_a_row(s3: S3Client, delivered: dict[str, Any]) -> None:
    table = read_parquet(s3, key("message_edits"))
    assert table.schema.equals(MESSAGE_EDITS_SCHEMA)
    ana = {"chat_id": GROUP["id"], "message_id": 10, "date": T, "user_id": 222, "user_first_name": "Ana",
           "caption": None, "message_type": "text", "update_type": "edited_message", "chat_type": "supergroup",
           "chat_title": "Dados & Café"}  # fmt: skip
    assert table.to_pylist() == [
        {"chat_id": CHANNEL["id"], "message_id": 7, "update_id": 103, "edit_date": T + 30, "date": T - 3600,
         "user_id": None, "user_first_name": None, "text": None, "caption": "Novo post (corrigido)",
         "message_type": "photo", "update_type": "edited_channel_post", "chat_type": "channel",
         "chat_title": "Avisos", "edited_at": at(T + 30)},
        {**ana, "update_id": 101, "edit_date": T + 60, "text": "Bom dia!", "edited_at": at(T + 60)},
        {**ana, "update_id": 102, "edit_date": T + 120, "text": "Bom dia, pessoal!", "edited_at": at(T + 120)},
    ]  # fmt: skip


def test_member_events_say_who_joined_left_and_was_banned_once_each(s3: S3Client, delivered: dict[str, Any]) -> None:
    table = read_parquet(s3, key("member_events"))
    assert table.schema.equals(MEMBER_EVENTS_SCHEMA)
    group = {"chat_id": GROUP["id"], "chat_type": "supergroup", "chat_title": "Dados & Café"}

    def row(  # noqa: PLR0917 - the columns in order, read as a table below
        user: dict[str, Any],
        event: str,
        old: str | None,
        new: str | None,
        actor: int,
        source: str,
        update_id: int,
        date: int,
        message_id: int | None = None,
        link: str | None = None,
    ) -> dict[str, Any]:
        return {**group, "user_id": user["id"], "user_is_bot": user["is_bot"], "user_first_name": user["first_name"],
                "user_last_name": user.get("last_name"), "user_username": user.get("username"), "event": event,
                "old_status": old, "new_status": new, "actor_user_id": actor, "invite_link_name": link,
                "source": source, "update_id": update_id, "message_id": message_id, "date": date,
                "event_at": at(date)}  # fmt: skip

    assert table.to_pylist() == [
        row(BOT, "joined", "left", "administrator", 111, "my_chat_member", 113, T + 100),
        row(CARLOS, "joined", "left", "member", 333, "chat_member", 104, T + 200, link="meetup"),
        row(ANA, "left", "member", "left", 222, "chat_member", 106, T + 300),
        row(CARLOS, "banned", "member", "kicked", 111, "chat_member", 108, T + 400),
        row(CARLOS, "unbanned", "kicked", "left", 111, "chat_member", 110, T + 500),
        row(DANI, "promoted", "member", "administrator", 111, "chat_member", 111, T + 600),
        row(EVA, "restricted", "member", "restricted", 111, "chat_member", 112, T + 700),
        row(FELIPE, "joined", None, None, 111, "new_chat_members", 114, T + 800, message_id=14),
        row(GIULIA, "joined", None, None, 111, "new_chat_members", 114, T + 800, message_id=14),
    ]  # fmt: skip


def test_reactions_are_a_row_per_change_and_per_total(s3: S3Client, delivered: dict[str, Any]) -> None:
    table = read_parquet(s3, key("reactions"))
    assert table.schema.equals(REACTIONS_SCHEMA)
    group = {"chat_id": GROUP["id"], "message_id": 10, "chat_type": "supergroup", "chat_title": "Dados & Café",
             "source": "message_reaction", "total_count": None, "custom_emoji_id": None}  # fmt: skip
    channel = {
        "chat_id": CHANNEL["id"],
        "message_id": 7,
        "chat_type": "channel",
        "chat_title": "Avisos",
        "source": "message_reaction_count",
        "user_id": None,
        "actor_chat_id": None,
        "action": None,
        "custom_emoji_id": None,
        "emoji": None,
        "update_id": 118,
        "date": T + 150,
        "reacted_at": at(T + 150),
    }
    ana = {"user_id": 222, "actor_chat_id": None, "reaction_type": "emoji"}

    def when(update_id: int, date: int) -> dict[str, Any]:
        return {"update_id": update_id, "date": date, "reacted_at": at(date)}

    assert table.to_pylist() == [
        {**group, **ana, **when(115, T + 130), "emoji": "👍", "action": "added"},
        {**group, **ana, **when(116, T + 140), "emoji": "👍", "action": "removed"},
        {**group, **ana, **when(116, T + 140), "emoji": "❤", "action": "added"},
        {**group, **ana, **when(116, T + 140), "reaction_type": "custom_emoji", "emoji": None,
         "custom_emoji_id": "5368324170671202286", "action": "added"},
        {**group, **when(117, T + 145), "user_id": None, "actor_chat_id": GROUP["id"], "reaction_type": "emoji",
         "emoji": "🔥", "action": "added"},
        {**channel, "reaction_type": "emoji", "emoji": "👍", "total_count": 12},
        {**channel, "reaction_type": "paid", "total_count": 3},
        {**channel, **when(119, T + 900), "reaction_type": None, "total_count": 0},
    ]  # fmt: skip


def test_the_service_messages_stay_rows_of_the_messages_table(s3: S3Client, delivered: dict[str, Any]) -> None:
    """The messages table's contract does not change: service messages are rows there, typed 'service'."""
    table = read_parquet(s3, "telegram/context_date=2024-05-10/telegram.parquet")
    assert table.select(["update_id", "message_id", "message_type"]).to_pylist() == [
        {"update_id": 100, "message_id": 10, "message_type": "text"},
        {"update_id": 105, "message_id": 11, "message_type": "service"},
        {"update_id": 107, "message_id": 12, "message_type": "service"},
        {"update_id": 109, "message_id": 13, "message_type": "service"},
        {"update_id": 114, "message_id": 14, "message_type": "service"},
    ]


def test_a_rerun_is_byte_identical_and_a_day_without_rows_removes_each_file(s3: S3Client, allowed: None) -> None:
    for update_id, kind, payload in UPDATES:
        deliver(update_id, kind, payload)
    run_etl(DAY)
    first = {item: enriched_bytes(s3, item) for item in enriched_keys(s3)}
    assert len(first) == 4
    run_etl(DAY)
    assert {item: enriched_bytes(s3, item) for item in enriched_keys(s3)} == first

    for item in bucket_state(s3, RAW_BUCKET):
        s3.delete_object(Bucket=RAW_BUCKET, Key=item)
    summary = run_etl(DAY)
    assert enriched_keys(s3) == []
    assert summary["removed_key"] == "telegram/context_date=2024-05-10/telegram.parquet"
    assert {name: table["removed_key"] for name, table in summary["tables"].items()} == {
        name: key(name) for name in ("message_edits", "member_events", "reactions")
    }


def test_an_update_redelivered_after_midnight_counts_on_its_first_day_only(s3: S3Client, allowed: None) -> None:
    """Same rule as messages: a re-delivery lands in the next day's partition under the same update id."""
    update_id, kind, payload = UPDATES[15]  # a reaction
    deliver(update_id, kind, payload)
    deliver(update_id, kind, payload, arrived_at=ARRIVED + timedelta(days=1))
    assert run_etl(DAY)["tables"]["reactions"]["rows"] == 1
    next_day = run_etl("2024-05-11")["tables"]["reactions"]
    assert (next_day["rows"], next_day["duplicates"], next_day["key"]) == (0, 1, None)
    assert key("reactions", "2024-05-11") not in enriched_keys(s3)


def test_the_webhook_asks_telegram_for_every_update_type_a_table_has() -> None:
    """`webhook set` and `poll` default to exactly the types the ETL turns into rows: none is missed, and
    none is asked for only to be kept raw."""
    assert sorted(DEFAULT_ALLOWED_UPDATES) == sorted([*ROW_UPDATE_TYPES, *FLATTENERS])


def test_the_cli_names_the_tables_the_etl_writes_in_its_order() -> None:
    """The CLI and the demo (which do not import pyarrow) list the other tables as the ETL writes them."""
    assert tuple(spec.name for spec in UPDATE_TABLES) == OTHER_TABLES
    assert sorted(load_schemas()) == sorted([MESSAGES.name, *OTHER_TABLES])
