"""The messages of one chat of a Telegram Desktop export, read as a stream, each with its exact text.

A single-chat export is ``{"name", "type", "id", "messages": [...]}``; a full-account export holds such
chats in ``chats.list`` and ``left_chats.list`` (docs/desktop-export-format.md, section 2). Telegram
Desktop writes a chat's ``name``, ``type`` and ``id`` before its messages, so a chat is known, and chosen
or passed over, before any of its messages is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from functions.etl.export_records import bot_api_chat, bot_api_chat_id
from telegram_datalake.desktop_export.json_stream import ExportFormatError, JsonStream, JsonSyntaxError

CHAT_LISTS = ("chats", "left_chats")
NOT_AN_EXPORT = "not a Telegram Desktop export"


@dataclass(frozen=True, slots=True)
class ExportedChat:
    """A chat as the export names it: ``type`` is Telegram Desktop's (``private_supergroup``...)."""

    name: str | None
    type: str
    bare_id: int

    @property
    def bot_api_id(self) -> int:
        """The id the Bot API, and so the lake, gives this chat."""
        return bot_api_chat_id(self.type, self.bare_id)

    def bot_api_chat(self) -> dict[str, Any]:
        """The chat as a Bot API Chat object."""
        return bot_api_chat(self.name, self.type, self.bare_id)


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    """One message record: decoded, and its text exactly as the export holds it."""

    chat: ExportedChat
    record: dict[str, Any]
    text: str


def _chat(fields: dict[str, Any]) -> ExportedChat:
    kind, bare_id, name = fields.get("type"), fields.get("id"), fields.get("name")
    if type(kind) is not str or type(bare_id) is not int or not (name is None or type(name) is str):
        raise ExportFormatError(f"{NOT_AN_EXPORT}: a chat lacks its type or numeric id")
    return ExportedChat(name, kind, bare_id)


def _messages(stream: JsonStream, chat: ExportedChat) -> Iterator[ExportedMessage]:
    for _ in stream.elements():
        record, text = stream.value()
        if not isinstance(record, dict):
            raise ExportFormatError(f"{NOT_AN_EXPORT}: a message of chat {chat.bot_api_id} is no object")
        yield ExportedMessage(chat, record, text)


def _listed_chat(stream: JsonStream, chat_id: int, found: list[ExportedChat]) -> Iterator[ExportedMessage]:
    """The messages of the chat object at the cursor (an item of a chat list) when it is chat ``chat_id``;
    the chat is added to ``found``, and the messages of any other chat are passed over."""
    fields: dict[str, Any] = {}
    for key in stream.members():
        if key in ("name", "type", "id"):
            fields[key], _ = stream.value()
        elif key == "messages":
            chat = _chat(fields)
            found.append(chat)
            if chat.bot_api_id == chat_id:
                yield from _messages(stream, chat)


def read_export(file: IO[bytes], chat_id: int | None = None) -> Iterator[ExportedMessage]:
    """``_read_export``; JSON that breaks before the first message means the file is no export, after it that the
    export is cut short or damaged."""
    read = 0
    try:
        for message in _read_export(file, chat_id):
            read += 1
            yield message
    except JsonSyntaxError as error:
        if read:
            counted = f"{read} message{'s' if read != 1 else ''}"
            raise ExportFormatError(f"the export breaks after {counted}: {error}") from error
        raise ExportFormatError(f"{NOT_AN_EXPORT}: {error}") from error


def _read_export(file: IO[bytes], chat_id: int | None = None) -> Iterator[ExportedMessage]:
    """The messages of the export's one chat, or of chat ``chat_id`` (its Bot API id) of a full-account
    export, in the export's order (by message id). ExportFormatError, before any message, when the file
    is not an export, when a full-account export is given no ``chat_id``, or when the chat is not in it."""
    stream = JsonStream(file)
    found: list[ExportedChat] = []
    fields: dict[str, Any] = {}
    full_account = False
    for key in stream.members():
        if key in ("name", "type", "id"):
            fields[key], _ = stream.value()
        elif key == "messages":
            chat = _chat(fields)
            found.append(chat)
            if chat_id is not None and chat.bot_api_id != chat_id:
                raise ExportFormatError(f"chat {chat_id} is not in this export: it holds chat {chat.bot_api_id}")
            yield from _messages(stream, chat)
        elif key in CHAT_LISTS:
            full_account = True
            if chat_id is None:
                raise ExportFormatError("a full-account export holds many chats: choose one with --chat-id")
            for list_key in stream.members():
                if list_key == "list":
                    for _ in stream.elements():
                        yield from _listed_chat(stream, chat_id, found)
    if not found:
        raise ExportFormatError(f"{NOT_AN_EXPORT}: it has no messages and no chats")
    if full_account and not any(chat.bot_api_id == chat_id for chat in found):
        raise ExportFormatError(f"chat {chat_id} is not in this export ({len(found)} chats)")
