"""Bot API objects the sample week needs beyond messages: membership changes and reactions.

Shaped as https://core.telegram.org/bots/api documents them (ChatMemberUpdated, ChatMember*, ChatInviteLink,
MessageReactionUpdated, MessageReactionCountUpdated, ReactionType*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# What an administrator may do in the group (ChatMemberAdministrator's rights).
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}


def chat_member(status: str, user: Mapping[str, Any]) -> dict[str, Any]:
    """A ChatMember: ChatMemberMember, ChatMemberLeft, ChatMemberBanned or ChatMemberAdministrator."""
    member: dict[str, Any] = {"status": status, "user": dict(user)}
    if status == "kicked":
        member["until_date"] = 0  # banned for ever
    if status == "administrator":
        member.update(ADMIN_RIGHTS)
    return member


def invite_link(creator: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A named ChatInviteLink an admin created (the part after ``+`` is hidden from other admins)."""
    return {
        "invite_link": "https://t.me/+Xq3...",
        "creator": dict(creator),
        "creates_join_request": False,
        "is_primary": False,
        "is_revoked": False,
        "name": name,
    }


def member_updated(
    chat: Mapping[str, Any],
    actor: Mapping[str, Any],
    date: int,
    change: tuple[str, str],
    user: Mapping[str, Any],
    *,
    link: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ChatMemberUpdated: ``user`` goes from status ``change[0]`` to ``change[1]``, by ``actor``."""
    updated = {
        "chat": dict(chat),
        "from": dict(actor),
        "date": date,
        "old_chat_member": chat_member(change[0], user),
        "new_chat_member": chat_member(change[1], user),
    }
    if link is not None:
        updated["invite_link"] = dict(link)
    return updated


def emoji(value: str) -> dict[str, str]:
    """A ReactionTypeEmoji."""
    return {"type": "emoji", "emoji": value}


def reaction_updated(
    message: Mapping[str, Any], user: Mapping[str, Any], date: int, old: Sequence[str], new: Sequence[str]
) -> dict[str, Any]:
    """A MessageReactionUpdated: ``user`` changes their reactions to ``message`` from ``old`` to ``new``."""
    return {
        "chat": dict(message["chat"]),
        "message_id": message["message_id"],
        "user": dict(user),
        "date": date,
        "old_reaction": [emoji(value) for value in old],
        "new_reaction": [emoji(value) for value in new],
    }


def reaction_count_updated(post: Mapping[str, Any], date: int, totals: Mapping[str, int]) -> dict[str, Any]:
    """A MessageReactionCountUpdated: the anonymous reactions to a channel post, as of ``date``."""
    return {
        "chat": dict(post["chat"]),
        "message_id": post["message_id"],
        "date": date,
        "reactions": [{"type": emoji(value), "total_count": count} for value, count in totals.items()],
    }
