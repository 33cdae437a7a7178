"""A message record of a Telegram Desktop export, as the Bot API update the bot would have received for it.

Imported records go through the same flatteners as the bot's updates, so both give rows with the same
columns and meanings; this module only renames (docs/desktop-export-format.md, sections 3 to 7). What an
export lacks (usernames, language codes, is_bot, the original text of an edited message) stays absent;
what the Bot API adds and no column reads (file ids, sizes) is left out, so content objects are empty.
The updates exist only while the ETL flattens them: the raw layer keeps the export's records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.etl import values

# No update delivered an imported message: its rows carry update id 0, below every id Telegram gives.
IMPORTED_UPDATE_ID = 0
CHANNEL_ID_BASE = 1_000_000_000_000  # Bot API ids of supergroups and channels are -(10^12 + the bare id)
CHAT_TYPES = {
    "personal_chat": "private",
    "bot_chat": "private",
    "saved_messages": "private",
    "replies": "private",
    "verification_codes": "private",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "supergroup",
    "private_channel": "channel",
    "public_channel": "channel",
}
# The senders the Bot API shows in ``from`` of a message sent on behalf of a chat in a group.
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
SERVICE_NOTIFICATIONS = {"id": 777000, "is_bot": False, "first_name": "Telegram"}  # automatic forwards

# Media keys of a record, checked in order, and the Bot API content fields they stand for.
_MEDIA_KEYS = (
    ("photo", ("photo",)),
    ("contact_information", ("contact",)),
    ("poll", ("poll",)),
    ("game_title", ("game",)),
    ("invoice_information", ("invoice",)),
    ("giveaway_information", ("giveaway",)),
    ("giveaway_results", ("giveaway_winners",)),
    ("paid_stars_amount", ("paid_media",)),
)
_FILE_MEDIA = {
    "sticker": ("sticker",),
    "video_message": ("video_note",),
    "voice_message": ("voice",),
    "animation": ("animation", "document"),  # the Bot API sets both for a GIF
    "video_file": ("video",),
    "audio_file": ("audio",),
}
# Service actions and the Bot API service field each becomes (joins and leaves are handled apart).
_SERVICE_ACTIONS = {
    "create_group": "group_chat_created",
    "create_channel": "channel_chat_created",
    "edit_group_title": "new_chat_title",
    "edit_group_photo": "new_chat_photo",
    "delete_group_photo": "delete_chat_photo",
    "migrate_to_supergroup": "migrate_to_chat_id",
    "migrate_from_group": "migrate_from_chat_id",
    "pin_message": "pinned_message",
    "set_messages_ttl": "message_auto_delete_timer_changed",
    "topic_created": "forum_topic_created",
    "topic_edit": "forum_topic_edited",
    "group_call_scheduled": "video_chat_scheduled",
    "invite_to_group_call": "video_chat_participants_invited",
    "boost_apply": "boost_added",
    "set_chat_wallpaper": "chat_background_set",
    "set_same_chat_wallpaper": "chat_background_set",
    "giveaway_launch": "giveaway_created",
    "giveaway_results": "giveaway_completed",
    "send_payment": "successful_payment",
    "refunded_payment": "refunded_payment",
    "proximity_reached": "proximity_alert_triggered",
    "requested_peer": "users_shared",
    "allow_sending_messages": "write_access_allowed",
    "attach_menu_bot_allowed": "write_access_allowed",
    "web_app_bot_allowed": "write_access_allowed",
    "send_webview_data": "web_app_data",
}
_PEER_IDS: tuple[tuple[str, Callable[[int], int]], ...] = (
    ("user", lambda bare: bare),
    ("channel", lambda bare: -(CHANNEL_ID_BASE + bare)),
    ("chat", lambda bare: -bare),
)
_JOINS = frozenset({"join_group_by_link", "join_group_by_request"})


@dataclass(frozen=True, slots=True)
class RecordUpdates:
    """The updates of one record: its message (or channel post), and an edit when the export has one."""

    message: dict[str, Any]
    edit: dict[str, Any] | None


def bot_api_chat_id(export_type: str, bare_id: int) -> int:
    """The id the Bot API gives a chat the export names by ``type`` and bare ``id``."""
    kind = CHAT_TYPES.get(export_type)
    if kind in ("supergroup", "channel"):
        return -(CHANNEL_ID_BASE + bare_id)
    return -bare_id if kind == "group" else bare_id


def bot_api_chat(name: object, export_type: str, bare_id: int) -> dict[str, Any]:
    """The Bot API Chat of an exported chat; a private chat's ``name`` is a person's, not a title."""
    kind = CHAT_TYPES.get(export_type, export_type)
    chat: dict[str, Any] = {"id": bot_api_chat_id(export_type, bare_id), "type": kind}
    if kind != "private" and isinstance(name, str):
        chat["title"] = name
    return chat


def peer_id(value: object) -> int | None:
    """The Bot API id of ``user123``, ``chat123`` or ``channel123`` (section 5); None for anything else."""
    if not isinstance(value, str):
        return None
    for prefix, to_bot_api in _PEER_IDS:
        digits = value.removeprefix(prefix)
        if digits != value and digits.isascii() and digits.isdigit():
            return to_bot_api(int(digits))
    return None


def unix_seconds(value: object) -> int | None:
    """``date_unixtime`` and ``edited_unixtime`` are strings of digits; a valid date's seconds, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:  # noqa: PLR2004
        return values.date_seconds(int(value))
    return None


def flat_text(text: object) -> str:
    """The plain text of ``text``: a string, or an array of strings and entity objects joined (section 4)."""
    if isinstance(text, str):
        return text
    if not isinstance(text, list):
        return ""
    parts = (part if isinstance(part, str) else values.obj(part).get("text") for part in text)
    return "".join(part for part in parts if isinstance(part, str))


def _sender(record: Mapping[str, Any], chat: Mapping[str, Any], name_key: str, id_key: str) -> dict[str, Any]:
    """``from`` and ``sender_chat`` of the Bot API message for the record's sender (``from_id`` or ``actor_id``)."""
    if chat["type"] == "channel":
        return {"sender_chat": dict(chat)}  # a channel post is signed by the channel, with no user
    sender_id = peer_id(record.get(id_key))
    if sender_id is None:
        return {}
    if sender_id > 0:
        user: dict[str, Any] = {"id": sender_id}
        name = record.get(name_key)
        if isinstance(name, str):
            user["first_name"] = name  # the whole display name, as it is at export time
        return {"from": user}
    if sender_id == chat["id"]:
        return {"sender_chat": dict(chat), "from": dict(GROUP_ANONYMOUS_BOT)}  # an anonymous admin
    fake = SERVICE_NOTIFICATIONS if "forwarded_from" in record else CHANNEL_BOT
    return {"sender_chat": {"id": sender_id, "type": "channel"}, "from": dict(fake)}


def _media(record: Mapping[str, Any]) -> dict[str, Any]:
    """The Bot API content fields of a record's media (section 3.3); none for a text."""
    if "file" in record:
        fields = _FILE_MEDIA.get(record.get("media_type"), ("document",))  # type: ignore[arg-type]
    elif "location_information" in record:
        fields = ("venue", "location") if "place_name" in record else ("location",)
    else:
        fields = next((fields for key, fields in _MEDIA_KEYS if key in record), ())
    return {name: {} for name in fields}


def _member_changes(record: Mapping[str, Any], actor: Mapping[str, Any] | None) -> dict[str, Any]:
    """``new_chat_members`` / ``left_chat_member`` of a join or leave. The export names members but has no
    ids for them, so a member other than the actor keeps only a name (and so makes no member_events row)."""
    action, members = record.get("action"), record.get("members")
    names = members if isinstance(members, list) else []
    actor_name = record.get("actor")
    by_actor = actor is not None and isinstance(actor_name, str) and names == [actor_name]
    others = [{"first_name": name} if isinstance(name, str) else {} for name in names]
    if action in _JOINS:
        return {"new_chat_members": [actor] if actor is not None else []}
    if action == "invite_members":
        return {"new_chat_members": [actor] if by_actor else others}
    return {"left_chat_member": actor if by_actor else (others[0] if others else {})}  # remove_members


def _service(record: Mapping[str, Any], actor: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Bot API service field of a record's ``action``; none for an action the Bot API does not send."""
    action = record.get("action")
    if action in _JOINS or action in ("invite_members", "remove_members"):
        return _member_changes(record, actor)
    if action == "group_call":
        return {"video_chat_ended" if "duration" in record else "video_chat_started": {}}
    field = _SERVICE_ACTIONS.get(action)  # type: ignore[arg-type]
    if field is None:
        return {}
    if field == "new_chat_title":
        title = record.get("title")
        return {field: title if isinstance(title, str) else ""}
    return {field: True if field.endswith("_created") else {}}


def message_of_record(record: Mapping[str, Any], chat: Mapping[str, Any]) -> dict[str, Any] | str:
    """The Bot API message of an exported record, or why there is none (a record without an id or a date)."""
    message_id = values.int64(record.get("id"))
    if message_id is None:
        return "a record without a numeric id"
    date = unix_seconds(record.get("date_unixtime"))
    if date is None:
        kind = record.get("type")
        if kind == "unsupported":
            return "an unsupported message (Telegram Desktop exports no date for it)"
        return "a record without date_unixtime (an old Telegram Desktop wrote none: export again with a current one)"
    message: dict[str, Any] = {"message_id": message_id, "date": date, "chat": dict(chat)}
    text = flat_text(record.get("text"))
    if record.get("type") == "service":
        message.update(_sender(record, chat, "actor", "actor_id"))
        message.update(_service(record, message.get("from")))
        return message
    message.update(_sender(record, chat, "from", "from_id"))
    media = _media(record)
    message.update(media)
    if text:
        message["caption" if media else "text"] = text  # the Bot API omits an empty text or caption
    reply_to = values.int64(record.get("reply_to_message_id"))
    if reply_to is not None and "reply_to_peer_id" not in record:  # a reply into another chat is no reply_to
        message["reply_to_message"] = {"message_id": reply_to, "chat": dict(chat)}
    if "forwarded_from" in record:  # present exactly when the message is forwarded, its value maybe null
        message["forward_origin"] = {}
    return message


def updates_of_record(record: Mapping[str, Any], chat: Mapping[str, Any]) -> RecordUpdates | str:
    """The message (or channel post) update of a record, with its edit; or why the record makes none."""
    message = message_of_record(record, chat)
    if isinstance(message, str):
        return message
    channel = chat["type"] == "channel"
    update = {"update_id": IMPORTED_UPDATE_ID, "channel_post" if channel else "message": message}
    edit_date = unix_seconds(record.get("edited_unixtime"))
    if edit_date is None or record.get("type") == "service":
        return RecordUpdates(update, None)
    edited = {**message, "edit_date": edit_date}
    return RecordUpdates(
        update, {"update_id": IMPORTED_UPDATE_ID, "edited_channel_post" if channel else "edited_message": edited}
    )
