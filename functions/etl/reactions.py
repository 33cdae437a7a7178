"""``reactions`` rows: a user's change (``message_reaction``: one row per reaction removed or added) and the
anonymous totals of a message (``message_reaction_count``: one row per reaction, as of that update)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.etl import values
from functions.etl.flatten import Flattened, Row

REACTION_UPDATE_TYPES = ("message_reaction", "message_reaction_count")

Reaction = tuple[str, str | None, str | None]  # reaction_type, emoji, custom_emoji_id


def reaction_of(value: Any) -> Reaction | None:
    """A ReactionType as (type, emoji, custom_emoji_id); None for anything that is not one."""
    reaction = values.obj(value)
    kind = values.text(reaction.get("type"))
    if kind is None:
        return None
    return kind, values.text(reaction.get("emoji")), values.text(reaction.get("custom_emoji_id"))


def _reactions(value: Any) -> list[Reaction]:
    """The valid reactions of a list, in order, each once."""
    found: list[Reaction] = []
    for item in value if isinstance(value, list) else ():
        reaction = reaction_of(item)
        if reaction is not None and reaction not in found:
            found.append(reaction)
    return found


def _message_keys(update_type: str, payload: Any) -> tuple[Mapping[str, Any], int, int, int] | Flattened:
    """The chat, chat id, message id and date every reaction update carries; or why it is unusable."""
    if not isinstance(payload, dict):
        return Flattened(None, f"{update_type} is not an object", invalid=True)
    chat = values.obj(payload.get("chat"))
    chat_id, message_id = values.int64(chat.get("id")), values.int64(payload.get("message_id"))
    date = values.date_seconds(payload.get("date"))
    if chat_id is None or message_id is None or date is None:
        return Flattened(None, f"{update_type} lacks chat.id, message_id or a valid date", invalid=True)
    return chat, chat_id, message_id, date


def reaction_rows(update_id: int, update_type: str, payload: Any) -> list[Row] | Flattened:
    """A MessageReactionUpdated: the reactions removed (in ``old_reaction`` only), then those added."""
    keys = _message_keys(update_type, payload)
    if isinstance(keys, Flattened):
        return keys
    chat, chat_id, message_id, date = keys
    user_id = values.int64(values.obj(payload.get("user")).get("id"))
    actor_chat_id = values.int64(values.obj(payload.get("actor_chat")).get("id"))
    old, new = _reactions(payload.get("old_reaction")), _reactions(payload.get("new_reaction"))
    changes = [(reaction, "removed") for reaction in old if reaction not in new]
    changes += [(reaction, "added") for reaction in new if reaction not in old]
    chat_type, chat_title = values.text(chat.get("type")), values.text(chat.get("title"))
    actors = (user_id, actor_chat_id)
    return [
        (chat_id, message_id, update_id, update_type, *actors, *reaction, action, None, chat_type, chat_title, date)
        for reaction, action in changes
    ]


def reaction_count_rows(update_id: int, update_type: str, payload: Any) -> list[Row] | Flattened:
    """A MessageReactionCountUpdated: a row per reaction with its total; one row of no reaction when none is left."""
    keys = _message_keys(update_type, payload)
    if isinstance(keys, Flattened):
        return keys
    chat, chat_id, message_id, date = keys
    counts = payload.get("reactions")
    if not isinstance(counts, list):
        return Flattened(None, f"{update_type} lacks its reactions list", invalid=True)
    totals: list[tuple[Reaction | tuple[None, None, None], int]] = []
    for item in counts:
        count = values.obj(item)
        reaction, total = reaction_of(count.get("type")), values.int64(count.get("total_count"))
        if reaction is not None and total is not None and all(reaction != seen for seen, _ in totals):
            totals.append((reaction, total))
    if not totals:
        totals.append(((None, None, None), 0))
    chat_type, chat_title = values.text(chat.get("type")), values.text(chat.get("title"))
    return [
        (chat_id, message_id, update_id, update_type, None, None, *reaction, None, total, chat_type, chat_title, date)
        for reaction, total in totals
    ]
