"""Exported records become the rows the bot's updates give: docs/desktop-export-format.md's mapping, field by field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common.desktop_json import loads_export_json
from functions.etl.export_records import bot_api_chat, flat_text, peer_id, updates_of_record
from functions.etl.flatten import row_of_update
from functions.etl.imports import ImportedRows, add_export
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, ROW_COLUMNS
from tests.desktop_exports import documented_example, export_bytes, message, service

GROUP = bot_api_chat("Hiking Club", "private_supergroup", 1234567890)
GROUP_ID = -1001234567890
AT = 1709974500  # 2024-03-09T08:55:00Z


def row(record: dict[str, Any], chat: dict[str, Any] = GROUP) -> dict[str, Any]:
    """The messages row of a record, by column."""
    updates = updates_of_record(record, chat)
    assert not isinstance(updates, str), updates
    flattened = row_of_update(updates.message)
    assert isinstance(flattened, tuple), flattened
    return dict(zip(ROW_COLUMNS, flattened, strict=True))


def imported(body: bytes) -> ImportedRows:
    rows = ImportedRows()
    add_export(rows, "raw/context_date=2024-03-09/import/x.json", body, frozenset())
    return rows


def by_column(spec_columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(spec_columns, values, strict=True)) for values in rows]


# The format document's example, message by message: the columns its section 9 table names.
DOCUMENTED_ROWS: dict[int, dict[str, Any]] = {
    101: {"message_type": "service", "user_id": 5550001, "user_first_name": "Dana Lee", "text": None},
    102: {"message_type": "text", "text": "Good morning!\nTrail at 9?", "user_id": 1111111},
    103: {"message_type": "text", "text": "Meet at the north gate — details: here @alice_s", "user_id": 2222222},
    104: {"message_type": "text", "text": "On my way 🚶", "reply_to_message_id": 103},
    105: {"message_type": "text", "is_forwarded": True, "user_first_name": "Alice Smith"},
    106: {"message_type": "photo", "text": None, "caption": "View from the top"},
    107: {"message_type": "sticker", "text": None, "caption": None},
    108: {"message_type": "text", "user_id": 7770001, "user_first_name": None, "text": "see you all"},
    109: {"message_type": "service", "user_id": 1111111},
    110: {"message_type": "service", "user_id": 2222222},
    111: {"message_type": "service", "user_id": 1111111},
}


def test_the_documented_example_gives_the_documented_rows() -> None:
    rows = imported(documented_example())
    assert rows.counts.records == 11
    assert rows.counts.skipped == 0
    got = {values[0]: dict(zip(ROW_COLUMNS, values, strict=True)) for values in rows.messages}
    assert sorted(got) == sorted(DOCUMENTED_ROWS)
    for message_id, expected in DOCUMENTED_ROWS.items():
        assert {column: got[message_id][column] for column in expected} == expected, message_id
    for values in got.values():  # what every imported row of this group shares
        assert values["chat_id"] == GROUP_ID
        assert (values["chat_type"], values["chat_title"]) == ("supergroup", "Hiking Club")
        assert (values["update_id"], values["update_type"]) == (0, "message")
        assert (values["user_is_bot"], values["user_last_name"], values["user_username"]) == (None, None, None)
        assert (values["user_language_code"], values["sender_chat_id"], values["message_thread_id"]) == (
            None,
            None,
            None,
        )
    assert got[102]["is_forwarded"] is False


def test_joins_and_leaves_by_the_member_themselves_become_member_events() -> None:
    events = by_column(MEMBER_EVENTS.row_columns, imported(documented_example()).rows[MEMBER_EVENTS.name])
    picked = [
        (event["message_id"], event["user_id"], event["event"], event["actor_user_id"], event["source"])
        for event in events
    ]
    # 109 invites Eve Park and 111 removes a deleted account: the export has no id for either, so no row.
    assert picked == [
        (101, 5550001, "joined", 5550001, "new_chat_members"),
        (110, 2222222, "left", 2222222, "left_chat_member"),
    ]
    assert events[0]["user_first_name"] == "Dana Lee"
    assert events[0]["update_id"] == 0
    assert (events[0]["old_status"], events[0]["new_status"]) == (None, None)
    assert (events[0]["date"], events[0]["chat_id"], events[0]["chat_title"]) == (AT, GROUP_ID, "Hiking Club")


def test_an_edited_message_keeps_its_last_edit_time_in_message_edits() -> None:
    edits = by_column(MESSAGE_EDITS.row_columns, imported(documented_example()).rows[MESSAGE_EDITS.name])
    assert edits == [
        {
            "chat_id": GROUP_ID,
            "message_id": 104,
            "update_id": 0,
            "edit_date": 1709974990,
            "date": 1709974800,
            "user_id": 5550001,
            "user_first_name": "Dana Lee",
            "text": "On my way 🚶",
            "caption": None,
            "message_type": "text",
            "update_type": "edited_message",
            "chat_type": "supergroup",
            "chat_title": "Hiking Club",
        }
    ]


def test_a_mixed_entity_text_is_flattened_to_the_plain_text() -> None:
    text = ["Veja ", {"type": "bold", "text": "isto"}, ": ", {"type": "text_link", "text": "aqui", "href": "https://x"}]
    text += [
        " ",
        {"type": "mention_name", "text": "Ana", "user_id": 184273915},
        {"type": "custom_emoji", "text": "🔥", "document_id": "5"},
    ]
    record = message(7, AT, from_="x", text=text)
    assert row(record)["text"] == "Veja isto: aqui Ana🔥"
    assert flat_text("plain") == "plain"
    assert flat_text([{"type": "bold"}, 3, None, "ok"]) == "ok"  # parts without text add nothing
    assert flat_text(None) == ""


@pytest.mark.parametrize(
    ("media", "message_type"),
    [
        ({"photo": "photos/photo_1.jpg", "width": 1280, "height": 960}, "photo"),
        ({"file": "stickers/s.webp", "media_type": "sticker", "sticker_emoji": "👍"}, "sticker"),
        ({"file": "video_files/v.mp4", "media_type": "video_file", "duration_seconds": 12}, "video"),
        ({"file": "voice_messages/a.ogg", "media_type": "voice_message"}, "voice"),
        ({"file": "files/song.mp3", "media_type": "audio_file", "performer": "X", "title": "Y"}, "audio"),
        ({"file": "video_files/g.mp4", "media_type": "animation"}, "animation"),
        ({"file": "round_video_messages/r.mp4", "media_type": "video_message"}, "other"),  # a video_note
        ({"file": "files/report.pdf", "mime_type": "application/pdf"}, "document"),
        ({"file": "(File not included. Change data exporting settings to download.)"}, "document"),
        ({"location_information": {"latitude": -23.5, "longitude": -46.6}}, "location"),
        (
            {"place_name": "Ibirapuera", "address": "SP", "location_information": {"latitude": 1, "longitude": 2}},
            "location",
        ),
        ({"contact_information": {"first_name": "A", "last_name": "", "phone_number": "+1"}}, "contact"),
        ({"poll": {"question": "Q?", "closed": False, "total_voters": 3, "answers": []}}, "poll"),
        ({"game_title": "Lumberjack"}, "other"),
        ({"invoice_information": '{"title": "t"}'}, "other"),
        ({"paid_stars_amount": 5}, "other"),
    ],
)
def test_media_become_the_bot_apis_content_types_with_the_text_as_caption(
    media: dict[str, Any], message_type: str
) -> None:
    with_caption = row(message(8, AT, from_id="user1", **media, text=["see ", {"type": "bold", "text": "this"}]))
    assert (with_caption["message_type"], with_caption["text"], with_caption["caption"]) == (
        message_type,
        None,
        "see this",
    )
    bare = row(message(8, AT, from_id="user1", **media))
    assert (bare["message_type"], bare["text"], bare["caption"]) == (message_type, None, None)


def test_a_message_with_no_text_and_no_exported_media_is_other_like_a_dice() -> None:
    assert row(message(9, AT, from_id="user1"))["message_type"] == "other"


def test_forwards_and_replies() -> None:
    forwarded = row(message(10, AT, from_id="user1", forwarded_from=None, text="fwd"))  # the original is unknown
    assert forwarded["is_forwarded"] is True
    reply = row(message(11, AT, from_id="user1", reply_to_message_id=10, text="yes"))
    assert reply["reply_to_message_id"] == 10
    elsewhere = row(message(12, AT, from_id="user1", reply_to_message_id=4, reply_to_peer_id="channel77", text="no"))
    assert elsewhere["reply_to_message_id"] is None  # the Bot API gives a reply into another chat as external_reply


def test_senders_that_are_chats_get_the_bot_apis_fake_users() -> None:
    anonymous = row(message(13, AT, from_="Hiking Club", from_id="channel1234567890", text="admins here"))
    assert (anonymous["user_id"], anonymous["user_is_bot"], anonymous["sender_chat_id"]) == (1087968824, True, GROUP_ID)
    assert anonymous["user_username"] == "GroupAnonymousBot"
    as_channel = row(message(14, AT, from_="News", from_id="channel77", text="hi"))
    assert (as_channel["user_id"], as_channel["sender_chat_id"]) == (136817688, -1000000000077)
    automatic = row(message(15, AT, from_="News", from_id="channel77", forwarded_from="News", text="post"))
    assert (automatic["user_id"], automatic["sender_chat_id"], automatic["is_forwarded"]) == (
        777000,
        -1000000000077,
        True,
    )


def test_a_channel_export_gives_channel_posts_signed_by_the_channel() -> None:
    channel = bot_api_chat("Mountain News", "public_channel", 1560982234)
    post = row(message(16, AT, from_="Mountain News", from_id="channel1560982234", author="Ed", text="news"), channel)
    assert (post["update_type"], post["chat_type"], post["chat_id"]) == ("channel_post", "channel", -1001560982234)
    assert (post["user_id"], post["sender_chat_id"], post["chat_title"]) == (None, -1001560982234, "Mountain News")
    edited = updates_of_record(
        message(16, AT, from_id="channel1560982234", edited_unixtime=str(AT + 5), text="n"), channel
    )
    assert not isinstance(edited, str)
    assert edited.edit is not None
    assert list(edited.edit) == ["update_id", "edited_channel_post"]


@pytest.mark.parametrize(
    ("kind", "bare_id", "chat_id", "chat_type", "title"),
    [
        ("private_group", 4123987650, -4123987650, "group", "Hiking Club"),
        ("public_supergroup", 1873245190, -1001873245190, "supergroup", "Hiking Club"),
        ("personal_chat", 297118604, 297118604, "private", None),  # the name is a person's, not a title
        ("bot_chat", 7488120554, 7488120554, "private", None),
    ],
)
def test_chat_ids_types_and_titles(kind: str, bare_id: int, chat_id: int, chat_type: str, title: str | None) -> None:
    values = row(message(17, AT, from_id="user1", text="x"), bot_api_chat("Hiking Club", kind, bare_id))
    assert (values["chat_id"], values["chat_type"], values["chat_title"]) == (chat_id, chat_type, title)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("user42", 42),
        ("chat42", -42),
        ("channel42", -1000000000042),
        ("user", None),
        ("user-1", None),
        ("bot42", None),
        (42, None),
    ],
)
def test_peer_ids(value: object, expected: int | None) -> None:
    assert peer_id(value) == expected


@pytest.mark.parametrize(
    ("action", "fields", "message_type"),
    [
        ("create_group", {"title": "Hiking Club", "members": ["Alice Smith"]}, "service"),
        ("edit_group_title", {"title": "Hikers"}, "service"),
        ("pin_message", {"message_id": 5}, "service"),
        ("topic_created", {"title": "Trails"}, "service"),
        ("group_call", {"duration": 60}, "service"),
        ("migrate_from_group", {"title": "Old"}, "service"),
        (
            "phone_call",
            {"duration_seconds": 3},
            "other",
        ),  # no Bot API service field: like an update the bot cannot read
        ("clear_history", {}, "other"),
    ],
)
def test_service_actions(action: str, fields: dict[str, Any], message_type: str) -> None:
    values = row(service(18, AT, action, "Alice Smith", "user1111111", **fields))
    assert (values["message_type"], values["user_id"], values["text"]) == (message_type, 1111111, None)


def test_self_joins_by_invitation_and_removals_by_others() -> None:
    body = export_bytes(
        {
            "name": "Hiking Club",
            "type": "private_supergroup",
            "id": 1234567890,
            "messages": [
                service(20, AT, "invite_members", "Eve Park", "user42", members=["Eve Park"]),  # joined by username
                service(21, AT + 1, "invite_members", "Alice Smith", "user1", members=["Eve Park", "Bob Jones"]),
                service(22, AT + 2, "remove_members", "Alice Smith", "user1", members=["Eve Park"]),  # kicked: no id
                service(23, AT + 3, "join_group_by_request", "Zed", "user43"),
            ],
        }
    )
    events = by_column(MEMBER_EVENTS.row_columns, imported(body).rows[MEMBER_EVENTS.name])
    assert [(event["message_id"], event["user_id"], event["event"]) for event in events] == [
        (20, 42, "joined"),
        (23, 43, "joined"),
    ]


def test_records_with_no_id_or_date_are_skipped_with_a_reason() -> None:
    body = export_bytes(
        {
            "name": "Hiking Club",
            "type": "private_supergroup",
            "id": 1234567890,
            "messages": [
                {"id": 30, "type": "unsupported"},
                {
                    "id": 31,
                    "type": "message",
                    "date": "2019-01-01T10:00:00",
                    "from": "A",
                    "from_id": "user1",
                    "text": "old",
                },
                {"id": "32", "type": "message", "date_unixtime": str(AT), "text": "id as a string"},
                message(33, AT, from_id="user1", text="kept"),
            ],
        }
    )
    rows = imported(body)
    assert [values[0] for values in rows.messages] == [33]
    assert (rows.counts.records, rows.counts.rows, rows.counts.skipped) == (4, 1, 3)


def test_the_writers_x_escapes_are_read_as_the_control_characters_they_stand_for() -> None:
    body = export_bytes(
        {
            "name": "Hiking Club",
            "type": "private_supergroup",
            "id": 1234567890,
            "messages": [message(40, AT, text="a\x0bb")],
        }
    )
    written = body.replace(b"\\u000b", b"\\x0B")  # as Telegram Desktop writes it
    assert b"\\x0B" in written
    with pytest.raises(json.JSONDecodeError):
        json.loads(written)
    assert loads_export_json(written)["messages"][0]["text"] == "a\x0bb"
    assert imported(written).messages[0][ROW_COLUMNS.index("text")] == "a\x0bb"
    assert loads_export_json(b'["\\\\x0B"]') == ["\\x0B"]  # an escaped backslash before x is no escape


def test_an_object_that_is_not_an_export_is_skipped_whole() -> None:
    for body in (b"[]", b'{"update_id": 1, "message": {}}', b"{not json", "{}".encode("utf-16")):
        rows = imported(body)
        assert (rows.counts.objects, rows.counts.skipped, rows.messages) == (1, 1, [])


def test_messages_the_bot_captured_give_no_imported_rows_at_all() -> None:
    rows = ImportedRows()
    add_export(rows, "k", documented_example(), {(GROUP_ID, 101), (GROUP_ID, 104)})
    assert sorted(values[0] for values in rows.messages) == [102, 103, 105, 106, 107, 108, 109, 110, 111]
    assert rows.counts.captured_by_bot == 2
    assert [event[13] for event in rows.rows[MEMBER_EVENTS.name]] == [110]  # 101's join is the bot's to tell
    assert rows.rows[MESSAGE_EDITS.name] == []  # so is 104's edit
