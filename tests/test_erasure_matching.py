"""Which updates and exported records hold a member, and what is left of the ones kept for someone else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from telegram_datalake.erasure.matching import REDACTED_USER, Verdict, forget_in_export, redact, verdict
from tests.etl_support import GROUP, USER, message, update

ERIN_ID = 7_700_000_123
ERIN = {"id": ERIN_ID, "is_bot": False, "first_name": "Erin", "username": "erinq"}
ERINS = message(1, sender=ERIN, text="segredo")


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    return {"user": user, "status": status}


@pytest.mark.parametrize(
    ("name", "an_update", "expected"),
    [
        ("her message", update(1, ERINS), Verdict.DELETE),
        ("her edit", update(2, ERINS, "edited_message"), Verdict.DELETE),
        (
            "her reaction",
            update(3, {"chat": GROUP, "message_id": 5, "user": ERIN, "date": 0}, "message_reaction"),
            Verdict.DELETE,
        ),
        (
            "her join",
            update(
                4,
                {
                    "chat": GROUP,
                    "from": USER,
                    "date": 0,
                    "old_chat_member": member(ERIN, "left"),
                    "new_chat_member": member(ERIN, "member"),
                },
                "chat_member",
            ),
            Verdict.DELETE,
        ),
        ("added with others", update(5, message(6, new_chat_members=[USER, ERIN])), Verdict.DELETE),
        ("her leaving", update(6, message(7, left_chat_member=ERIN)), Verdict.DELETE),
        (
            "her private chat",
            update(7, message(8, chat={"id": ERIN_ID, "type": "private"}, sender=USER)),
            Verdict.DELETE,
        ),
        ("a reply quoting her", update(8, message(9, text="ok", reply_to_message=ERINS)), Verdict.REDACT),
        (
            "a mention of her",
            update(
                9,
                message(
                    10, text="oi Erin", entities=[{"type": "text_mention", "offset": 3, "length": 4, "user": ERIN}]
                ),
            ),
            Verdict.REDACT,
        ),
        (
            "a ban she made",
            update(
                10,
                {
                    "chat": GROUP,
                    "from": ERIN,
                    "date": 0,
                    "old_chat_member": member(USER, "member"),
                    "new_chat_member": member(USER, "kicked"),
                },
                "chat_member",
            ),
            Verdict.REDACT,
        ),
        ("someone else's", update(11, message(11, text="nada")), Verdict.KEEP),
        ("a number that is her id", update(12, message(12, text="x", message_thread_id=ERIN_ID)), Verdict.KEEP),
    ],
)
def test_the_verdict_of_each_kind_of_update(name: str, an_update: dict[str, Any], expected: Verdict) -> None:
    assert verdict(an_update, ERIN_ID) is expected, name


def test_another_chat_is_left_alone_when_one_chat_is_named() -> None:
    assert verdict(update(1, ERINS), ERIN_ID, chat_id=GROUP["id"]) is Verdict.DELETE
    assert verdict(update(1, ERINS), ERIN_ID, chat_id=-100999) is Verdict.KEEP


def test_a_kept_reply_loses_her_words_and_id_but_not_what_its_row_uses() -> None:
    reply = update(
        8, message(9, sender=USER, text="ok", reply_to_message=ERINS, quote={"text": "segredo", "position": 0})
    )
    kept = redact(reply, ERIN_ID)
    text = json.dumps(kept)
    assert str(ERIN_ID) not in text
    assert "segredo" not in text
    assert "erinq" not in text
    assert kept["message"]["reply_to_message"] == {"message_id": 1, "chat": GROUP, "date": ERINS["date"]}
    assert kept["message"]["from"] == USER
    assert kept["message"]["text"] == "ok"
    assert "quote" not in kept["message"]


def test_a_mention_keeps_its_place_with_no_one_in_it() -> None:
    entity = {"type": "text_mention", "offset": 3, "length": 4, "user": ERIN}
    kept = redact(update(9, message(10, text="oi Erin", entities=[entity])), ERIN_ID)
    assert kept["message"]["entities"] == [{**entity, "user": REDACTED_USER}]


def test_her_records_leave_an_exported_day_and_her_private_chat_goes_whole() -> None:
    document = {
        "name": "Clube",
        "type": "private_supergroup",
        "id": 1,
        "messages": [
            {"id": 1, "type": "message", "from_id": f"user{ERIN['id']}", "text": "segredo"},
            {"id": 2, "type": "service", "actor_id": f"user{ERIN['id']}", "action": "pin_message"},
            {"id": 3, "type": "message", "from_id": "user321", "text": "oi"},
        ],
    }
    kept, removed = forget_in_export(document, ERIN_ID)
    assert removed == 2
    assert kept is not None
    assert [record["id"] for record in kept["messages"]] == [3]
    private = {"name": "Erin", "type": "personal_chat", "id": ERIN_ID, "messages": [{"id": 1}]}
    assert forget_in_export(private, ERIN_ID) == (None, 1)
