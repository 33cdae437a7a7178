"""Ingest and ETL decide an update's kind and chat the same way: what is stored for a chat is that chat's row.

An object with two payloads (``message`` for one chat, ``edited_message`` for another) used to be stored
because its first payload's chat was allowed, then become a row of the other chat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.common.updates import NO_PAYLOAD, SeveralPayloadsError, update_kind
from functions.etl.flatten import Flattened, flatten_update
from functions.ingest.request import RequestRejectedError, chat_id_of, update_type
from tests.conftest import ALLOWED_CHAT, update_body
from tests.ingest_support import event, invoke, log_lines, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOT_ALLOWED = -555


def message(chat_id: int, text: str = "oi") -> dict[str, Any]:
    return {"message_id": 7, "chat": {"id": chat_id, "type": "group"}, "date": 1_767_225_600, "text": text}


TWO_PAYLOADS = {"update_id": 77, "edited_message": message(ALLOWED_CHAT), "message": message(NOT_ALLOWED)}


@pytest.mark.usefixtures("ingest_env")
def test_an_update_with_two_payloads_is_refused_and_not_stored(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = invoke(event(update_body(TWO_PAYLOADS)))
    assert (status, body) == (
        400,
        {"status": "rejected", "reason": "update carries 2 payloads ('edited_message', 'message')"},
    )
    assert stored_keys(s3) == []
    [line] = log_lines(capsys)
    assert line["outcome"] == "rejected"


def test_the_etl_makes_no_row_of_an_update_with_two_payloads() -> None:
    flattened = flatten_update(TWO_PAYLOADS)
    assert flattened == Flattened(None, "update carries 2 payloads ('edited_message', 'message')", invalid=True)


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        ({"update_id": 1, "message": {}}, "message"),
        ({"update_id": 1, "callback_query": {}}, "callback_query"),
        ({"update_id": 1}, NO_PAYLOAD),
    ],
)
def test_the_kind_is_the_one_payload(update: dict[str, Any], kind: str) -> None:
    assert update_kind(update) == kind


def test_several_payloads_have_no_kind() -> None:
    with pytest.raises(SeveralPayloadsError, match="3 payloads"):
        update_kind({"update_id": 1, "message": {}, "channel_post": {}, "poll": {}})


PAYLOAD_KEYS = st.sampled_from(["message", "channel_post", "edited_message", "my_chat_member", "poll", "x"])
CHATS = st.sampled_from([ALLOWED_CHAT, NOT_ALLOWED, -1001234567890])


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """update_id and zero to three payloads, each a message of some chat (or not an object at all)."""
    update: dict[str, Any] = {"update_id": draw(st.integers(0, 2**40))}
    for key in draw(st.lists(PAYLOAD_KEYS, max_size=3, unique=True)):
        update[key] = draw(st.one_of(st.builds(message, CHATS), st.just([]), st.none()))
    return update


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(updates())
def test_a_row_is_always_of_the_kind_and_chat_ingest_decided(update: dict[str, Any]) -> None:
    """Whatever the payloads: a row exists only for an update ingest accepts, with ingest's kind and chat."""
    flattened = flatten_update(update)
    try:
        kind, chat = update_type(update), chat_id_of(update)
    except RequestRejectedError:
        assert flattened.row is None
        return
    if flattened.row is not None:
        assert (flattened.row[9], flattened.row[4]) == (kind, chat)  # update_type and chat_id columns
