"""The ingest Lambda's HTTP contract: what Telegram gets back, and what lands in the raw bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ALLOWED_CHAT, SECRET, SEED_UPDATE, update_body
from tests.ingest_support import (
    ARRIVED,
    DAY,
    GROUP,
    SAO_PAULO,
    USER,
    event,
    invoke,
    message_update,
    raw_key,
    stored_body,
    stored_keys,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")

LIMIT = 1_048_576
CHANNEL_ID = -1001234567890123  # a 64-bit supergroup/channel id
CHANNEL: dict[str, Any] = {"id": CHANNEL_ID, "title": "Avisos", "type": "channel"}
BOT: dict[str, Any] = {"id": 7000000001, "is_bot": True, "first_name": "Lake", "username": "lake_bot"}
OTHER_USER: dict[str, Any] = {"id": 654, "is_bot": False, "first_name": "Bia"}


def test_seed_update_is_stored_byte_for_byte(s3: S3Client) -> None:
    """The issue's own example: 200 "stored", one object at the documented key, same bytes, JSON content type."""
    body = update_body(SEED_UPDATE)

    status, response = invoke(event(body))

    key = raw_key(123)
    assert (status, response) == (200, {"status": "stored"})
    assert stored_keys(s3) == [key]
    assert stored_body(s3, key) == body
    assert s3.head_object(Bucket="test-raw", Key=key)["ContentType"] == "application/json"


# Every update kind that belongs to a chat, shaped as the Bot API documents it.
CHAT_UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("message", {"message_id": 10, "from": USER, "chat": GROUP, "date": 1715353200, "text": "Oi"}),
    (
        "edited_message",
        {"message_id": 10, "from": USER, "chat": GROUP, "date": 1715353200, "edit_date": 1715353260, "text": "Oi!"},
    ),
    ("channel_post", {"message_id": 5, "sender_chat": CHANNEL, "chat": CHANNEL, "date": 1715353200, "text": "Aviso"}),
    (
        "edited_channel_post",
        {"message_id": 5, "sender_chat": CHANNEL, "chat": CHANNEL, "date": 1715353200, "edit_date": 1715353300},
    ),
    (
        "my_chat_member",
        {
            "chat": GROUP,
            "from": USER,
            "date": 1715353200,
            "old_chat_member": {"user": BOT, "status": "left"},
            "new_chat_member": {"user": BOT, "status": "member"},
        },
    ),
    (
        "chat_member",
        {
            "chat": GROUP,
            "from": USER,
            "date": 1715353200,
            "old_chat_member": {"user": OTHER_USER, "status": "member"},
            "new_chat_member": {"user": OTHER_USER, "status": "kicked", "until_date": 0},
        },
    ),
    (
        "chat_join_request",
        {"chat": CHANNEL, "from": OTHER_USER, "user_chat_id": 654, "date": 1715353200, "bio": "Oi, sou a Bia"},
    ),
    (
        "message_reaction",
        {
            "chat": GROUP,
            "message_id": 10,
            "user": USER,
            "date": 1715353200,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "\N{THUMBS UP SIGN}"}],
        },
    ),
    (
        "message_reaction_count",
        {
            "chat": CHANNEL,
            "message_id": 5,
            "date": 1715353200,
            "reactions": [{"type": {"type": "emoji", "emoji": "\N{FIRE}"}, "total_count": 3}],
        },
    ),
    (
        "chat_boost",
        {
            "chat": CHANNEL,
            "boost": {
                "boost_id": "b-1",
                "add_date": 1715353200,
                "expiration_date": 1717945200,
                "source": {"source": "premium", "user": USER},
            },
        },
    ),
    (
        "removed_chat_boost",
        {"chat": CHANNEL, "boost_id": "b-1", "remove_date": 1715353200, "source": {"source": "premium", "user": USER}},
    ),
]


def test_every_update_kind_of_an_allowed_chat_is_stored(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing an allowed chat produces is dropped: member changes, join requests and reactions are data too.

    One invocation per kind (a catalogue, not independent cases: one moto setup keeps the suite fast).
    """
    monkeypatch.setenv("ALLOWED_CHAT_IDS", f"{ALLOWED_CHAT},{CHANNEL_ID}")
    bodies = {
        kind: update_body({"update_id": 5000 + i, kind: payload}) for i, (kind, payload) in enumerate(CHAT_UPDATES)
    }

    responses = {kind: invoke(event(body)) for kind, body in bodies.items()}

    assert responses == dict.fromkeys(bodies, (200, {"status": "stored"}))
    assert stored_keys(s3) == sorted(raw_key(5000 + i) for i in range(len(CHAT_UPDATES)))
    for i, body in enumerate(bodies.values()):
        assert stored_body(s3, raw_key(5000 + i)) == body


# Updates that belong to no chat. The callback query's message is in the allowed group: still ignored.
CHATLESS_UPDATES: list[tuple[str, dict[str, Any]]] = [
    (
        "callback_query",
        {
            "id": "4382",
            "from": USER,
            "message": {"message_id": 10, "from": BOT, "chat": GROUP, "date": 1715353200, "text": "Vote"},
            "chat_instance": "-5468721",
            "data": "vote:1",
        },
    ),
    ("inline_query", {"id": "77", "from": USER, "query": "gatos", "offset": ""}),
    ("chosen_inline_result", {"result_id": "r1", "from": USER, "query": "gatos"}),
    (
        "poll",
        {
            "id": "5",
            "question": "Almoco?",
            "options": [{"text": "Sim", "voter_count": 1}, {"text": "Nao", "voter_count": 0}],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    ),
    ("poll_answer", {"poll_id": "5", "user": USER, "option_ids": [0]}),
    ("shipping_query", {"id": "s1", "from": USER, "invoice_payload": "p", "shipping_address": {"country_code": "BR"}}),
    (
        "pre_checkout_query",
        {"id": "c1", "from": USER, "currency": "BRL", "total_amount": 1000, "invoice_payload": "p"},
    ),
    ("business_connection", {"id": "bc", "user": USER, "user_chat_id": 321, "date": 1715353200, "is_enabled": True}),
]


def test_updates_without_a_chat_are_acknowledged_but_not_stored(s3: S3Client) -> None:
    """200 so Telegram does not retry them forever; nothing written because they belong to no chat."""
    responses = {
        kind: invoke(event(update_body({"update_id": 6000, kind: payload}))) for kind, payload in CHATLESS_UPDATES
    }

    assert responses == {
        kind: (200, {"status": "ignored", "reason": "update carries no chat"}) for kind, _ in CHATLESS_UPDATES
    }
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    "update",
    [
        pytest.param(message_update(chat_id=-1), id="other-group"),
        pytest.param(message_update(chat_id=321), id="private-chat"),
        pytest.param(message_update(chat_id=-ALLOWED_CHAT), id="allowed-id-with-wrong-sign"),
        pytest.param(message_update(chat_id=CHANNEL_ID), id="64-bit-channel"),
        pytest.param(
            {"update_id": 7, "message_reaction": {**dict(CHAT_UPDATES)["message_reaction"], "chat": CHANNEL}},
            id="reaction",
        ),
    ],
)
def test_updates_of_other_chats_are_acknowledged_but_not_stored(s3: S3Client, update: dict[str, Any]) -> None:
    """Only the configured chats reach the lake; the rest get 200 so Telegram does not re-deliver them."""
    status, response = invoke(event(update_body(update)))

    assert (status, response) == (200, {"status": "ignored", "reason": "chat not allowed"})
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    "update",
    [
        pytest.param({"update_id": 8}, id="only-update-id"),
        pytest.param({"update_id": 8, "message": {"chat": {"id": str(ALLOWED_CHAT)}}}, id="chat-id-as-string"),
        pytest.param({"update_id": 8, "message": {"chat": {"id": float(ALLOWED_CHAT)}}}, id="chat-id-as-float"),
        pytest.param({"update_id": 8, "message": "text"}, id="payload-not-an-object"),
    ],
)
def test_updates_whose_chat_cannot_be_read_are_not_stored(s3: S3Client, update: dict[str, Any]) -> None:
    """A chat id that is not an integer never matches the allow-list, even if it looks like an allowed id."""
    status, response = invoke(event(update_body(update)))

    assert (status, response["status"]) == (200, "ignored")
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    ("allowed", "chat_id"),
    [
        ("*", 42),
        ("*", CHANNEL_ID),
        (f" {ALLOWED_CHAT} , {CHANNEL_ID} ,42", CHANNEL_ID),
        (f" {ALLOWED_CHAT} , {CHANNEL_ID} ,42", 42),
        (f"{ALLOWED_CHAT},", ALLOWED_CHAT),
    ],
)
def test_allowed_chat_ids_setting(s3: S3Client, monkeypatch: pytest.MonkeyPatch, allowed: str, chat_id: int) -> None:
    """``*`` admits any chat; a list admits each of its ids whatever the spaces around them."""
    monkeypatch.setenv("ALLOWED_CHAT_IDS", allowed)

    status, _ = invoke(event(update_body(message_update(update_id=9, chat_id=chat_id))))

    assert status == 200
    assert stored_keys(s3) == [raw_key(9)]


def test_a_list_of_chat_ids_still_rejects_chats_not_in_it(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several ids widen the list, they do not turn the filter off."""
    monkeypatch.setenv("ALLOWED_CHAT_IDS", f" {ALLOWED_CHAT} , {CHANNEL_ID} ,42")

    status, response = invoke(event(update_body(message_update(chat_id=43))))

    assert (status, response["status"]) == (200, "ignored")
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    ("prefix", "expected_prefix"),
    [("raw/telegram", "raw/telegram"), ("/landing/", "landing"), ("bots", "bots")],
)
def test_raw_prefix_is_the_start_of_the_key(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, prefix: str, expected_prefix: str
) -> None:
    """The Glue table and the ETL read under RAW_PREFIX; stray slashes must not create ``//`` keys."""
    monkeypatch.setenv("RAW_PREFIX", prefix)

    invoke(event(update_body(message_update(update_id=11))))

    assert stored_keys(s3) == [f"{expected_prefix}/context_date={DAY}/11.json"]


def test_defaults_are_sao_paulo_and_telegram_prefix(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """With TIMEZONE and RAW_PREFIX unset, 22:00 in Sao Paulo (01:00 UTC next day) is filed under the local day."""
    monkeypatch.delenv("TIMEZONE")
    monkeypatch.delenv("RAW_PREFIX")
    arrived = datetime(2024, 5, 10, 22, 0, tzinfo=SAO_PAULO)

    invoke(event(update_body(message_update(update_id=12)), arrived_at=arrived))

    assert stored_keys(s3) == ["telegram/context_date=2024-05-10/12.json"]


def test_midnight_in_sao_paulo_splits_partitions(s3: S3Client) -> None:
    """23:59:59 and 00:00:01 local are different days, though both are the same UTC day (03:00 offset)."""
    late = datetime(2024, 3, 15, 23, 59, 59, tzinfo=SAO_PAULO)
    early = datetime(2024, 3, 16, 0, 0, 1, tzinfo=SAO_PAULO)
    assert late.astimezone(UTC).date() == early.astimezone(UTC).date()

    invoke(event(update_body(message_update(update_id=21)), arrived_at=late))
    invoke(event(update_body(message_update(update_id=22)), arrived_at=early))

    assert stored_keys(s3) == [
        "telegram/context_date=2024-03-15/21.json",
        "telegram/context_date=2024-03-16/22.json",
    ]


@pytest.mark.parametrize(
    ("timezone", "day"),
    [
        ("America/Sao_Paulo", "2024-03-15"),  # 23:30 on the 15th
        ("UTC", "2024-03-16"),  # 02:30 on the 16th
        ("Pacific/Kiritimati", "2024-03-16"),  # 16:30 on the 16th
    ],
)
def test_timezone_setting_decides_the_day(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, timezone: str, day: str
) -> None:
    """The same instant belongs to the day of the configured zone, not the server's or UTC's."""
    monkeypatch.setenv("TIMEZONE", timezone)
    instant = datetime(2024, 3, 16, 2, 30, tzinfo=UTC)

    invoke(event(update_body(message_update(update_id=23)), arrived_at=instant))

    assert stored_keys(s3) == [f"telegram/context_date={day}/23.json"]


def test_redelivery_overwrites_the_same_object(s3: S3Client) -> None:
    """Telegram re-sends an update it got no 200 for; the lake must still hold it exactly once."""
    body = update_body(message_update(update_id=31))

    first = invoke(event(body))
    second = invoke(event(body, arrived_at=ARRIVED.replace(hour=23)))

    assert first == second == (200, {"status": "stored"})
    assert stored_keys(s3) == [raw_key(31)]
    assert stored_body(s3, raw_key(31)) == body


@pytest.mark.parametrize(
    ("chat_id", "update_id"),
    [(CHANNEL_ID, 2**32 + 5), (ALLOWED_CHAT, 2**63 - 1), (ALLOWED_CHAT, 0)],
)
def test_64_bit_ids(s3: S3Client, monkeypatch: pytest.MonkeyPatch, chat_id: int, update_id: int) -> None:
    """Supergroup ids and update ids exceed 32 bits; they must match the allow-list and name the key exactly."""
    monkeypatch.setenv("ALLOWED_CHAT_IDS", str(chat_id))
    body = update_body(message_update(update_id=update_id, chat_id=chat_id))

    status, _ = invoke(event(body))

    assert status == 200
    assert stored_keys(s3) == [raw_key(update_id)]
    assert stored_body(s3, raw_key(update_id)) == body


def _handwritten(update_id: int) -> bytes:
    """Valid JSON no serializer would produce: CRLF, tabs, spaces before colons, update_id last, trailing newline."""
    return (
        b'{\r\n\t"message" :  {"text":"a  b\\tc" ,\n "chat":{ "type":"group" , "id" : -789 },'
        b' "date":1.7153532E9, "message_id":10}  ,\r\n\t"update_id"\t:\t' + str(update_id).encode() + b"\n}\n"
    )


def _texts() -> list[tuple[str, bytes]]:
    long_text = ("a\N{LATIN SMALL LETTER C WITH CEDILLA}\N{SLIGHTLY SMILING FACE}" * 1366)[:4096]
    update = message_update
    return [
        ("emoji", update_body(update(41, text="Bom dia \N{WAVING HAND SIGN}\U0001f3fd\U0001f1e7\U0001f1f7 \u2615"))),
        ("emoji-escaped", json.dumps(update(41, text="\N{WAVING HAND SIGN}\U0001f3fd")).encode()),
        ("nul", update_body(update(41, text="antes\u0000depois"))),
        ("4096-characters", update_body(update(41, text=long_text))),
        (
            "non-ascii",
            update_body(update(41, text="Ola, S\u00e3o Paulo \u2014 \u00f1 \u00fc \u6f22\u5b57 \u0627\u0644\u0639")),
        ),
        ("combining-and-rtl", update_body(update(41, text="e\u0301\u200f\u202e\u00a0\u2028fim"))),
        ("escaped-ascii-and-slash", b'{"update_id":41,"message":{"chat":{"id":-789},"text":"\\u0041\\/b"}}'),
        ("handwritten", _handwritten(41)),
    ]


@pytest.mark.parametrize(("name", "body"), _texts(), ids=[name for name, _ in _texts()])
def test_body_is_stored_byte_for_byte(s3: S3Client, name: str, body: bytes) -> None:
    """The raw layer is the source of truth: no re-serialisation, normalisation or escaping may change a byte.

    Sent once as text and once base64-encoded (the re-delivery overwrites the same key): both store ``body``.
    """
    for base64_encoded in (False, True):
        status, _ = invoke(event(body, base64_encoded=base64_encoded))

        assert status == 200, (name, base64_encoded)
        assert stored_keys(s3) == [raw_key(41)]
        assert stored_body(s3, raw_key(41)) == body, (name, base64_encoded)
        s3.delete_object(Bucket="test-raw", Key=raw_key(41))


def test_nul_and_long_texts_are_really_in_the_bodies() -> None:
    """Guards the table above: the NUL case holds an escaped NUL and the long text is 4,096 characters."""
    bodies = dict(_texts())
    assert b"\\u0000" in bodies["nul"]
    assert len(json.loads(bodies["4096-characters"])["message"]["text"]) == 4096
    assert "\\ud83d" in bodies["emoji-escaped"].decode()


def _sized_body(size: int, filler: str = "a") -> bytes:
    """A valid update of exactly ``size`` bytes, padded with ``filler`` (then ``a`` for the remainder)."""
    head = b'{"update_id":77,"message":{"message_id":1,"chat":{"id":-789,"type":"group"},"date":1715353200,"text":"'
    tail = b'"}}'
    room = size - len(head) - len(tail)
    unit = len(filler.encode())
    body = head + (filler * (room // unit)).encode() + b"a" * (room % unit) + tail
    assert len(body) == size
    return body


@pytest.mark.parametrize("base64_encoded", [False, True], ids=["text", "base64"])
@pytest.mark.parametrize("filler", ["a", "\N{LATIN SMALL LETTER E WITH ACUTE}"], ids=["ascii", "two-byte-utf8"])
def test_one_mib_is_the_largest_body_stored(s3: S3Client, base64_encoded: bool, filler: str) -> None:
    """1,048,576 bytes is stored, one byte more is 413 however it is encoded on the wire.

    The limit counts bytes, not characters: the 2-byte text is refused though it has far fewer characters.
    """
    too_big = _sized_body(LIMIT + 1, filler)
    status, response = invoke(event(too_big, base64_encoded=base64_encoded))

    assert (status, response) == (413, {"status": "rejected", "reason": "body over 1 MiB"})
    assert stored_keys(s3) == []

    at_limit = _sized_body(LIMIT, filler)
    status, _ = invoke(event(at_limit, base64_encoded=base64_encoded))

    assert status == 200
    assert stored_body(s3, raw_key(77)) == at_limit


def test_huge_invalid_base64_body_is_rejected_for_its_size(s3: S3Client) -> None:
    """An oversized body is refused before any decoding work."""
    status, _ = invoke(event("A" * (4 * LIMIT), base64_encoded=True))

    assert status == 413
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [
        pytest.param(b"update_id=1", False, id="form-encoded"),
        pytest.param(b'{"update_id":1,', False, id="truncated-json"),
        pytest.param(b'[{"update_id":1}]', False, id="json-array"),
        pytest.param(b'"update_id"', False, id="json-string"),
        pytest.param(update_body({"message": message_update()["message"]}), False, id="missing-update-id"),
        pytest.param(b'{"update_id":"123"}', False, id="update-id-string"),
        pytest.param(b'{"update_id":true}', False, id="update-id-bool"),
        pytest.param(b'{"update_id":123.0}', False, id="update-id-float"),
        pytest.param(b'{"update_id":-1}', False, id="update-id-negative"),
        pytest.param(b'{"update_id":NaN}', False, id="update-id-nan"),
        pytest.param(b'{"update_id":9223372036854775808}', False, id="update-id-over-64-bits"),
        pytest.param(b'{"update_id":1' + b"0" * 5000 + b"}", False, id="update-id-5000-digits"),
        pytest.param(b"[" * 200_000, False, id="deeply-nested"),
        pytest.param(b"", False, id="empty"),
        pytest.param(b"", True, id="empty-base64"),
        pytest.param("!!! not base64 !!!", True, id="invalid-base64"),
        pytest.param(b'{"update_id":1,"message":{"text":"\xff"}}', True, id="base64-of-invalid-utf8"),
        pytest.param('{"update_id":1,"message":{"text":"\ud800"}}', False, id="text-with-lone-surrogate"),
    ],
)
def test_malformed_bodies_are_rejected_with_400(s3: S3Client, body: bytes | str, base64_encoded: bool) -> None:
    """A body that can never be an update gets 400 (Telegram stops retrying) and leaves no object behind."""
    status, response = invoke(event(body, base64_encoded=base64_encoded))

    assert status == 400
    assert response["status"] == "rejected"
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"x-telegram-bot-api-secret-token": ""}, id="empty"),
        pytest.param({"x-telegram-bot-api-secret-token": "wrong"}, id="wrong"),
        pytest.param({"x-telegram-bot-api-secret-token": SECRET[:-1]}, id="prefix"),
        pytest.param({"x-telegram-bot-api-secret-token": SECRET + "x"}, id="longer"),
        pytest.param({"x-telegram-bot-api-secret-token": SECRET.upper()}, id="other-case"),
        pytest.param({"x-telegram-bot-api-secret-token": f" {SECRET}"}, id="leading-space"),
        pytest.param({"x-telegram-bot-api-secret-token": "s\u00e9cr\u00eat\ud800"}, id="non-ascii"),
        pytest.param({"x-telegram-bot-api-secret": SECRET}, id="other-header-name"),
    ],
)
def test_requests_without_the_right_secret_get_401(s3: S3Client, headers: dict[str, str]) -> None:
    """Only Telegram knows the secret; anyone else is refused and writes nothing, even with a valid update."""
    status, response = invoke(event(update_body(SEED_UPDATE), secret=None, headers=headers))

    assert status == 401
    assert response["status"] == "rejected"
    assert stored_keys(s3) == []


def test_secret_is_checked_before_the_body(s3: S3Client) -> None:
    """An unauthenticated caller learns nothing about body validation or size limits."""
    status, _ = invoke(event(b"x" * (LIMIT + 1), secret="wrong"))

    assert status == 401
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    "name", ["X-Telegram-Bot-Api-Secret-Token", "X-TELEGRAM-BOT-API-SECRET-TOKEN", "x-telegram-bot-api-secret-token"]
)
def test_secret_header_name_is_case_insensitive(s3: S3Client, name: str) -> None:
    """HTTP header names are case-insensitive; payload 2.0 lower-cases them, other callers may not."""
    status, _ = invoke(event(update_body(SEED_UPDATE), secret=None, headers={name: SECRET}))

    assert status == 200
    assert stored_keys(s3) == [raw_key(123)]


def _without(key: str) -> dict[str, Any]:
    request = event(update_body(SEED_UPDATE))
    del request[key]
    return request


def _with(**changes: Any) -> dict[str, Any]:
    return {**event(update_body(SEED_UPDATE)), **changes}


@pytest.mark.parametrize(
    ("request_event", "expected_status"),
    [
        pytest.param({}, 401, id="empty-event"),
        pytest.param(_without("headers"), 401, id="headers-missing"),
        pytest.param(_with(headers=None), 401, id="headers-none"),
        pytest.param(_with(headers=[["x-telegram-bot-api-secret-token", SECRET]]), 401, id="headers-list"),
        pytest.param(_with(headers={"x-telegram-bot-api-secret-token": None}), 401, id="header-value-none"),
        pytest.param(_without("body"), 400, id="body-missing"),
        pytest.param(_with(body=None), 400, id="body-none"),
        pytest.param(_with(body=SEED_UPDATE), 400, id="body-already-parsed"),
        pytest.param(_with(body=update_body(SEED_UPDATE)), 400, id="body-bytes"),
    ],
)
def test_odd_events_get_a_4xx_instead_of_an_exception(
    s3: S3Client, request_event: dict[str, Any], expected_status: int
) -> None:
    """A crash would be a 5xx that Telegram retries forever; a malformed event is the caller's fault."""
    status, _ = invoke(request_event)

    assert status == expected_status
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    "request_event",
    [
        pytest.param(_without("isBase64Encoded"), id="isBase64Encoded-missing"),
        pytest.param(_with(isBase64Encoded="true"), id="isBase64Encoded-string"),
    ],
)
def test_plain_text_body_needs_no_base64_flag(s3: S3Client, request_event: dict[str, Any]) -> None:
    """Only ``isBase64Encoded: true`` means base64; anything else is the JSON text itself."""
    status, _ = invoke(request_event)

    assert status == 200
    assert stored_body(s3, raw_key(123)) == update_body(SEED_UPDATE)


@pytest.mark.parametrize(
    "request_event",
    [
        pytest.param(_without("requestContext"), id="requestContext-missing"),
        pytest.param(_with(requestContext=None), id="requestContext-none"),
        pytest.param(_with(requestContext={"timeEpoch": "1715353200000"}), id="timeEpoch-string"),
        pytest.param(_with(requestContext={"timeEpoch": 10**20}), id="timeEpoch-out-of-range"),
    ],
)
def test_without_a_usable_arrival_time_the_update_is_filed_today(s3: S3Client, request_event: dict[str, Any]) -> None:
    """Losing an update is worse than filing it under the Lambda's clock; the day is still Sao Paulo's."""
    before = datetime.now(SAO_PAULO).date().isoformat()
    status, _ = invoke(request_event)
    after = datetime.now(SAO_PAULO).date().isoformat()

    assert status == 200
    assert stored_keys(s3) in ([raw_key(123, day=before)], [raw_key(123, day=after)])
