"""The flatteners of the tables besides the messages one, on their own: every membership transition's event,
what makes an update unusable (a one-line reason, no exception), and the de-duplication rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.etl.edits import edit_rows
from functions.etl.flatten import Flattened
from functions.etl.members import (
    SAME_CHANGE_SECONDS,
    drop_repeated_service_rows,
    member_event,
    member_update_rows,
    service_message_rows,
)
from functions.etl.reactions import reaction_count_rows, reaction_rows
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, REACTIONS
from functions.etl.table import build_table

ADMIN, USER = 1, 2
GROUP = {"id": -100, "type": "supergroup", "title": "G"}


def status(name: str, **fields: Any) -> dict[str, Any]:
    return {"status": name, "user": {"id": USER}, **fields}


@pytest.mark.parametrize(
    ("old", "new", "actor", "event"),
    [
        (status("left"), status("member"), USER, "joined"),
        (status("kicked"), status("member"), ADMIN, "joined"),  # an admin adds a banned user back
        (status("left"), status("restricted", is_member=True), USER, "joined"),
        (status("left"), status("administrator"), ADMIN, "joined"),  # the bot added as an admin
        (status("member"), status("left"), USER, "left"),
        (status("member"), status("left"), ADMIN, "kicked"),  # removed without a ban
        (status("restricted", is_member=True), status("left"), USER, "left"),
        (status("restricted", is_member=True), status("restricted", is_member=False), USER, "left"),
        (status("member"), status("kicked"), ADMIN, "banned"),
        (status("left"), status("kicked"), ADMIN, "banned"),  # banned before joining
        (status("kicked"), status("left"), ADMIN, "unbanned"),
        (status("member"), status("administrator"), ADMIN, "promoted"),
        (status("administrator"), status("member"), ADMIN, "demoted"),
        (status("administrator"), status("creator"), ADMIN, "changed"),  # ownership transferred
        (status("administrator"), status("administrator"), ADMIN, "changed"),  # rights changed
        (status("member"), status("restricted", is_member=True), ADMIN, "restricted"),
        (status("restricted", is_member=True), status("member"), ADMIN, "unrestricted"),
        (status("left"), status("restricted", is_member=False), ADMIN, "restricted"),  # restricted in advance
        (status("member"), status("member"), USER, "changed"),  # e.g. a subscription's until_date
        (status("member"), status("future_status"), ADMIN, "changed"),  # a status Telegram may add one day
    ],
)
def test_every_transition_has_its_event(old: dict[str, Any], new: dict[str, Any], actor: int, event: str) -> None:
    assert member_event(old, new, actor, USER) == event


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5), st.lists, max_leaves=8))
@settings(max_examples=200, deadline=None)
def test_any_payload_gives_rows_or_a_reason(payload: Any) -> None:
    """Whatever the sender put there: rows of the table's width, or an invalid Flattened; never an exception."""
    for flatten, kind, spec in (
        (edit_rows, "edited_message", MESSAGE_EDITS),
        (member_update_rows, "chat_member", MEMBER_EVENTS),
        (reaction_rows, "message_reaction", REACTIONS),
        (reaction_count_rows, "message_reaction_count", REACTIONS),
    ):
        for value in (payload, {"chat": payload, "message_id": payload, "date": payload, "reactions": payload}):
            result = flatten(7, kind, value)
            if isinstance(result, Flattened):
                assert result.invalid
                assert result.reason
                assert result.reason.startswith(kind)
            else:
                assert build_table(result, spec).num_rows == len(result)


@pytest.mark.parametrize(
    ("flatten", "kind", "payload", "reason"),
    [
        (edit_rows, "edited_message", {"message_id": 1, "chat": GROUP, "date": 5}, "lacks message_id, chat.id"),
        (member_update_rows, "chat_member", {"chat": GROUP, "date": 5, "new_chat_member": {"status": "member"}},
         "lacks chat.id, new_chat_member's user.id"),
        (reaction_rows, "message_reaction", {"chat": GROUP, "message_id": 1}, "lacks chat.id, message_id or a"),
        (reaction_count_rows, "message_reaction_count", {"chat": GROUP, "message_id": 1, "date": 5},
         "lacks its reactions list"),
        (reaction_rows, "message_reaction", [], "is not an object"),
    ],
)  # fmt: skip
def test_an_unusable_update_says_why_in_one_line(flatten: Any, kind: str, payload: Any, reason: str) -> None:
    result = flatten(7, kind, payload)
    assert isinstance(result, Flattened)
    assert result.invalid
    assert result.reason is not None
    assert reason in result.reason
    assert "\n" not in result.reason


def test_a_reaction_change_lists_removed_then_added_and_ignores_what_stayed() -> None:
    payload = {
        "chat": GROUP,
        "message_id": 9,
        "user": {"id": USER},
        "date": 50,
        "old_reaction": [{"type": "emoji", "emoji": "👍"}, {"type": "emoji", "emoji": "🔥"}, {"type": "paid"}],
        "new_reaction": [{"type": "emoji", "emoji": "🔥"}, {"type": "emoji", "emoji": "🔥"}, "junk", {"no": "type"}],
    }
    rows = reaction_rows(7, "message_reaction", payload)
    assert isinstance(rows, list)
    assert [(row[6], row[7], row[9]) for row in rows] == [("emoji", "👍", "removed"), ("paid", None, "removed")]


def test_the_totals_of_a_count_update_keep_each_reaction_once() -> None:
    payload = {
        "chat": GROUP,
        "message_id": 9,
        "date": 50,
        "reactions": [
            {"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3},
            {"type": {"type": "emoji", "emoji": "👍"}, "total_count": 9},  # a repeat: the first stays
            {"type": {"type": "custom_emoji", "custom_emoji_id": "42"}, "total_count": True},  # not a count
        ],
    }
    rows = reaction_count_rows(7, "message_reaction_count", payload)
    assert isinstance(rows, list)
    assert [(row[6], row[7], row[10]) for row in rows] == [("emoji", "👍", 3)]


def service_row(update_id: int, message_id: int, date: int, event: str = "joined") -> tuple[Any, ...]:
    message = {"message_id": message_id, "chat": GROUP, "date": date, "from": {"id": USER}}
    field = {"new_chat_members": [{"id": USER}]} if event == "joined" else {"left_chat_member": {"id": USER}}
    [row] = service_message_rows(update_id, {**message, **field})
    return row


def update_row(update_id: int, date: int, change: tuple[str, str]) -> tuple[Any, ...]:
    payload = {"chat": GROUP, "from": {"id": USER}, "date": date}
    payload |= {"old_chat_member": status(change[0]), "new_chat_member": status(change[1])}
    [row] = member_update_rows(update_id, "chat_member", payload)  # type: ignore[misc]
    return row


def test_a_service_message_repeating_a_member_update_goes_and_others_stay() -> None:
    join = update_row(10, 1000, ("left", "member"))
    repeated = service_row(11, 500, 1000 + SAME_CHANGE_SECONDS)
    too_late = service_row(12, 501, 1000 + SAME_CHANGE_SECONDS + 1)  # another change
    leaving = service_row(13, 502, 1001, event="left")  # the other direction
    redelivered = service_row(14, 500, 1000 + SAME_CHANGE_SECONDS)  # message 500 again, a later update id
    kept, dropped = drop_repeated_service_rows([redelivered, join, repeated, too_late, leaving])
    assert sorted(row[12] for row in kept) == [10, 12, 13]
    assert dropped == 2
