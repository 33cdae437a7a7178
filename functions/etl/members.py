"""``member_events`` rows: membership changes from ``chat_member`` / ``my_chat_member`` updates and from the
service messages ``new_chat_members`` / ``left_chat_member``.

A group sends both for one change when the bot may see member updates; ``drop_repeated_service_rows``
keeps the member update's row (it has the statuses, the actor and the invite link) and drops the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from functions.etl import values
from functions.etl.flatten import Flattened, Row

MEMBER_UPDATE_TYPES = ("chat_member", "my_chat_member")
SERVICE_SOURCES = ("new_chat_members", "left_chat_member")
SAME_CHANGE_SECONDS = 60  # a service message and a member update this close, same user and direction: one change

_MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
_ADMIN_STATUSES = frozenset({"creator", "administrator"})
_STATUSES = _MEMBER_STATUSES | {"restricted", "left", "kicked"}  # ChatMember's six kinds
_LEAVING = frozenset({"left", "kicked", "banned"})
# A change within members or within non-members, checked in order: (event, statuses, entering them or leaving).
_STATUS_RULES = (
    ("unbanned", frozenset({"kicked"}), False),
    ("banned", frozenset({"kicked"}), True),
    ("promoted", _ADMIN_STATUSES, True),
    ("demoted", _ADMIN_STATUSES, False),
    ("restricted", frozenset({"restricted"}), True),
    ("unrestricted", frozenset({"restricted"}), False),
)
# Positions in a member_events row.
_CHAT, _USER, _EVENT, _SOURCE, _UPDATE, _MESSAGE, _DATE = 0, 1, 6, 11, 12, 13, 16


def _is_member(member: Mapping[str, Any]) -> bool:
    status = member.get("status")
    return status in _MEMBER_STATUSES or (status == "restricted" and member.get("is_member") is True)


def member_event(old: Mapping[str, Any], new: Mapping[str, Any], actor_id: int | None, user_id: int) -> str:
    """What a change of ChatMember ``old`` to ``new`` was: joined, left, kicked, banned, unbanned, promoted,
    demoted, restricted, unrestricted, or changed (anything else, such as an admin's rights)."""
    old_status, new_status = old.get("status"), new.get("status")
    if old_status not in _STATUSES or new_status not in _STATUSES:
        return "changed"  # a status this code does not know yet: no guess
    now = _is_member(new)
    if now != _is_member(old):
        if now:
            return "joined"
        if new_status == "kicked":
            return "banned"
        return "kicked" if actor_id is not None and actor_id != user_id else "left"
    for event, statuses, entering in _STATUS_RULES:
        if (new_status in statuses) is entering and (old_status in statuses) is not entering:
            return event
    return "changed"


def _user_columns(user: Mapping[str, Any]) -> tuple[bool | None, str | None, str | None, str | None]:
    return (
        values.flag(user.get("is_bot")),
        values.text(user.get("first_name")),
        values.text(user.get("last_name")),
        values.text(user.get("username")),
    )


def member_update_rows(update_id: int, update_type: str, payload: Any) -> list[Row] | Flattened:
    """The one row of a ChatMemberUpdated, or why the update is unusable."""
    if not isinstance(payload, dict):
        return Flattened(None, f"{update_type} is not an object", invalid=True)
    chat, actor = values.obj(payload.get("chat")), values.obj(payload.get("from"))
    old, new = values.obj(payload.get("old_chat_member")), values.obj(payload.get("new_chat_member"))
    user = values.obj(new.get("user"))
    chat_id, user_id, date = values.int64(chat.get("id")), values.int64(user.get("id")), payload.get("date")
    date = values.date_seconds(date)
    new_status = values.text(new.get("status"))
    if chat_id is None or user_id is None or date is None or new_status is None:
        return Flattened(
            None, f"{update_type} lacks chat.id, new_chat_member's user.id and status, or a valid date", invalid=True
        )
    actor_id = values.int64(actor.get("id"))
    return [
        (
            chat_id,
            user_id,
            *_user_columns(user),
            member_event(old, new, actor_id, user_id),
            values.text(old.get("status")),
            new_status,
            actor_id,
            values.text(values.obj(payload.get("invite_link")).get("name")),
            update_type,
            update_id,
            None,
            values.text(chat.get("type")),
            values.text(chat.get("title")),
            date,
        )
    ]


def service_message_rows(update_id: int, message: Mapping[str, Any]) -> list[Row]:
    """A row per member a valid service message adds (joined) or removes (left, or kicked by someone else).

    The caller has checked the message's chat id, message id and date (it made a messages row of it).
    """
    chat, actor = values.obj(message.get("chat")), values.obj(message.get("from"))
    actor_id = values.int64(actor.get("id"))
    changes: list[tuple[Mapping[str, Any], str, str]] = []
    joined = message.get("new_chat_members")
    if isinstance(joined, list):
        changes.extend((values.obj(user), "joined", "new_chat_members") for user in joined)
    left = values.obj(message.get("left_chat_member"))
    if left:
        user_id = values.int64(left.get("id"))
        event = "kicked" if actor_id is not None and user_id is not None and actor_id != user_id else "left"
        changes.append((left, event, "left_chat_member"))
    rows: list[Row] = []
    for user, event, source in changes:
        user_id = values.int64(user.get("id"))
        if user_id is None:
            continue
        rows.append(
            (
                chat["id"],
                user_id,
                *_user_columns(user),
                event,
                None,
                None,
                actor_id,
                None,
                source,
                update_id,
                message["message_id"],
                values.text(chat.get("type")),
                values.text(chat.get("title")),
                message["date"],
            )
        )
    return rows


def _joining(event: str) -> bool | None:
    """True for a join, False for a departure, None for changes that are neither."""
    return True if event == "joined" else False if event in _LEAVING else None


def drop_repeated_service_rows(rows: Sequence[Row]) -> tuple[list[Row], int]:
    """The rows without the service-message rows that repeat a member update's (same chat, user and direction,
    at most ``SAME_CHANGE_SECONDS`` apart), and how many went. Service rows repeating each other (the same
    message delivered twice) keep the lowest update id."""
    updates: dict[tuple[int, int, bool], list[int]] = {}
    service: dict[tuple[int, int, int], Row] = {}
    kept: list[Row] = []
    for row in rows:
        if row[_SOURCE] in SERVICE_SOURCES:
            key = (row[_CHAT], row[_MESSAGE], row[_USER])
            if key not in service or row[_UPDATE] < service[key][_UPDATE]:
                service[key] = row
            continue
        kept.append(row)
        direction = _joining(row[_EVENT])
        if direction is not None:
            updates.setdefault((row[_CHAT], row[_USER], direction), []).append(row[_DATE])
    for row in service.values():
        dates = updates.get((row[_CHAT], row[_USER], row[_EVENT] == "joined"), ())
        if not any(abs(date - row[_DATE]) <= SAME_CHANGE_SECONDS for date in dates):
            kept.append(row)
    return kept, len(rows) - len(kept)
