"""Which raw updates and exported records hold a member's data, and what is left of them once it is removed.

An update whose subject is the member (sent by them, their own join, leave, reaction or status change, any
update of their private chat) is deleted whole. An update of someone else that only quotes or names them (a
reply quoting their message, a forward of it, a mention, a change they made to another member) is kept for
its own sender, with the member's parts taken out: each user object of theirs becomes ``REDACTED_USER`` and a
quoted message of theirs keeps only its id, chat and date, which is all the other member's row uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

# What replaces the member in a kept update: an account id no one has, and no name.
REDACTED_USER: dict[str, Any] = {"id": 0, "is_bot": False, "first_name": ""}
QUOTED_MESSAGE_KEEPS = ("message_id", "chat", "date")  # of a quoted message of theirs: what the rows use
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")
MEMBER_KINDS = ("chat_member", "my_chat_member")


class Verdict(Enum):
    """What erasure does with one update or record."""

    KEEP = "keep"  # nothing of the member's
    REDACT = "redact"  # someone else's, quoting or naming the member: rewritten without them
    DELETE = "delete"  # the member's own: deleted whole


def _is_user(value: Mapping[str, Any], user_id: int) -> bool:
    """A Bot API User (or a private Chat, whose id is the user's) with the member's id."""
    return value.get("id") == user_id and ("is_bot" in value or "first_name" in value or value.get("type") == "private")


def holds_user(value: Any, user_id: int) -> bool:
    """Whether the member's id appears anywhere in ``value`` as a user or their private chat."""
    if isinstance(value, Mapping):
        return _is_user(value, user_id) or any(holds_user(item, user_id) for item in value.values())
    if isinstance(value, list):
        return any(holds_user(item, user_id) for item in value)
    return False


def _payload(update: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    for key, value in update.items():
        if key != "update_id" and isinstance(value, Mapping):
            return key, value
    return None


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else None


def chat_of(update: Mapping[str, Any]) -> int | None:
    """The chat an update belongs to (for ``--chat-id``); None when it has none."""
    found = _payload(update)
    if found is None:
        return None
    _, payload = found
    chat = payload.get("chat")
    if chat is None and isinstance(payload.get("message"), Mapping):  # callback queries
        chat = payload["message"].get("chat")
    chat_id = _id(chat)
    return chat_id if isinstance(chat_id, int) else None


def _subjects(kind: str, payload: Mapping[str, Any]) -> set[Any]:
    """Whose update it is: the sender, the member who joined, left, reacted or changed status."""
    subjects = {_id(payload.get("from")), _id(payload.get("user"))}
    chat = payload.get("chat")
    if isinstance(chat, Mapping) and chat.get("type") == "private":
        subjects.add(chat.get("id"))
    if kind in MESSAGE_KINDS:
        subjects.add(_id(payload.get("left_chat_member")))
        subjects.update(_id(member) for member in payload.get("new_chat_members") or [])
    if kind in MEMBER_KINDS:
        subjects = {_id(payload.get(status, {}).get("user")) for status in ("old_chat_member", "new_chat_member")}
        if isinstance(chat, Mapping) and chat.get("type") == "private":
            subjects.add(chat.get("id"))
    return subjects


def verdict(update: Mapping[str, Any], user_id: int, chat_id: int | None = None) -> Verdict:
    """What erasure of ``user_id`` (in ``chat_id`` only, when given) does with ``update``."""
    if chat_id is not None and chat_of(update) != chat_id:
        return Verdict.KEEP
    found = _payload(update)
    if found is not None and user_id in _subjects(*found):
        return Verdict.DELETE
    return Verdict.REDACT if holds_user(update, user_id) else Verdict.KEEP


def redact(value: Any, user_id: int) -> Any:
    """``value`` with the member's user objects replaced and their quoted messages cut to id, chat and date."""
    if isinstance(value, list):
        return [redact(item, user_id) for item in value]
    if not isinstance(value, Mapping):
        return value
    if _is_user(value, user_id):
        return dict(REDACTED_USER)
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if _is_their_message(item, user_id):
            kept[key] = {name: redact(item[name], user_id) for name in QUOTED_MESSAGE_KEEPS if name in item}
        else:
            kept[key] = redact(item, user_id)
    if _is_their_message(value.get("reply_to_message"), user_id):
        kept.pop("quote", None)  # their words, quoted by the reply
    return kept


def _is_their_message(value: Any, user_id: int) -> bool:
    return isinstance(value, Mapping) and "message_id" in value and _id(value.get("from")) == user_id


# -- Telegram Desktop's export: records name their sender as "user<id>"


def export_verdict(record: Mapping[str, Any], user_id: int) -> Verdict:
    """A record sent by the member, or an action of theirs (a join, a pin...), is deleted; others are kept."""
    member = f"user{user_id}"
    return Verdict.DELETE if member in (record.get("from_id"), record.get("actor_id")) else Verdict.KEEP


def forget_in_export(document: Mapping[str, Any], user_id: int) -> tuple[dict[str, Any] | None, int]:
    """An import day file without the member's records, and how many were removed; None when the whole file
    is their private chat."""
    if document.get("id") == user_id and document.get("type") == "personal_chat":
        return None, len(document.get("messages") or [])
    messages = document.get("messages") or []
    kept = [record for record in messages if export_verdict(record, user_id) is Verdict.KEEP]
    return {**document, "messages": kept}, len(messages) - len(kept)
