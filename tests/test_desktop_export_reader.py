"""Choosing a chat in a Telegram Desktop export and reading its messages as a stream (docs/desktop-export-format.md)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from telegram_datalake.desktop_export.json_stream import ExportFormatError
from telegram_datalake.desktop_export.reader import ExportedChat, read_export

GROUP = {"name": "Dados & Café ☕", "type": "private_supergroup", "id": 1873245190}
MESSAGES = [
    {"id": 1, "type": "service", "date": "2024-01-01T09:00:00", "date_unixtime": "1704110400", "actor": "Ana",
     "actor_id": "user184273915", "action": "create_group", "title": "Dados & Café ☕", "members": ["Ana"], "text": ""},
    {"id": 2, "type": "message", "date": "2024-01-01T09:01:00", "date_unixtime": "1704110460", "from": "Ana",
     "from_id": "user184273915", "text": ["Olá ", {"type": "bold", "text": "pessoal"}]},
]  # fmt: skip


def export(document: dict[str, Any]) -> io.BytesIO:
    """As Telegram Desktop writes it: UTF-8, one-space indent, no final newline."""
    return io.BytesIO(json.dumps(document, ensure_ascii=False, indent=1).encode())


def single_chat() -> io.BytesIO:
    return export({**GROUP, "messages": MESSAGES})


def full_account() -> io.BytesIO:
    other = {"name": "Bruno", "type": "personal_chat", "id": 297118604, "messages": [{"id": 9, "text": "oi"}]}
    old = {"name": "Old", "type": "private_group", "id": 4123987650, "messages": MESSAGES[:1]}
    return export(
        {
            "about": "Here is the data you requested.",
            "personal_information": {"user_id": 1, "first_name": "Me"},
            "chats": {"about": "...", "list": [other, {**GROUP, "messages": MESSAGES}]},
            "left_chats": {"about": "...", "list": [old]},
        }
    )


@pytest.mark.parametrize(
    ("kind", "bare_id", "bot_api_id"),
    [
        ("private_supergroup", 1873245190, -1001873245190),
        ("public_channel", 1560982234, -1001560982234),
        ("private_group", 4123987650, -4123987650),
        ("personal_chat", 297118604, 297118604),
        ("bot_chat", 7488120554, 7488120554),
    ],
)
def test_chat_ids_become_the_bot_apis(kind: str, bare_id: int, bot_api_id: int) -> None:
    assert ExportedChat("x", kind, bare_id).bot_api_id == bot_api_id


def test_a_single_chat_export_gives_its_messages_with_their_text_as_written() -> None:
    read = list(read_export(single_chat()))
    assert [message.record for message in read] == MESSAGES
    assert {message.chat for message in read} == {ExportedChat("Dados & Café ☕", "private_supergroup", 1873245190)}
    assert [json.loads(message.text) for message in read] == MESSAGES
    assert read[1].text.startswith('{\n   "id": 2,')  # the record's own lines, indentation and all


def test_a_full_account_export_gives_the_chosen_chat_only() -> None:
    read = list(read_export(full_account(), chat_id=-1001873245190))
    assert [message.record["id"] for message in read] == [1, 2]
    assert [message.record["id"] for message in read_export(full_account(), chat_id=-4123987650)] == [1]


@pytest.mark.parametrize(
    ("document", "chat_id", "message"),
    [
        (single_chat, -1009, r"chat -1009 is not in this export: it holds chat -1001873245190"),
        (full_account, -1009, r"chat -1009 is not in this export \(3 chats\)"),
        (full_account, None, "a full-account export holds many chats: choose one with --chat-id"),
        (lambda: export({"name": "x", "list": []}), None, "not a Telegram Desktop export: it has no messages"),
        (lambda: export({"messages": []}), None, "a chat lacks its type or numeric id"),
        (lambda: export({**GROUP, "messages": [1]}), None, "a message of chat -1001873245190 is no object"),
        (lambda: io.BytesIO(b"\x89PNG\r\n"), None, "not UTF-8|invalid JSON|expected"),
    ],
)
def test_what_is_not_the_chat_asked_for_is_a_one_line_error_before_any_message(
    document: Any, chat_id: int | None, message: str
) -> None:
    with pytest.raises(ExportFormatError, match=message):
        list(read_export(document(), chat_id))
