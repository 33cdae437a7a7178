"""Fuzzing the ingest handler's whole event: headers, bodies, the base64 flag and the arrival time.

Whatever arrives, the handler answers (it never raises) with 200, 400, 401 or 413 (500 is for S3 failures
and misconfiguration, and here S3 is healthy and the settings right), and:

- nothing is stored for a 4xx, nor for a 200 ``ignored``;
- a 200 ``stored`` stores exactly the body's bytes, and only them, under ``<update_id>.json`` of the day
  the request arrived;
- a request without the right secret is a 401, whatever its body;
- with the right secret, the status is the one the README's contract gives for the body.

Each example starts from an empty raw bucket (moto, through the ``s3`` fixture: the handler's own client).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st

from tests.conftest import ALLOWED_CHAT, RAW_BUCKET, SECRET, TIMEZONE, update_body, webhook_event
from tests.ingest_support import invoke

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_BODY = 1024 * 1024
INT64_MAX = 2**63 - 1
YEAR_10000_MS = 253_402_300_800_000
# Later arrival times are not trusted: the day they fall on in some time zone is past year 9999.
LATEST_ARRIVAL_MS = YEAR_10000_MS - 2 * 86_400_000
ZONE = ZoneInfo(TIMEZONE)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ---- headers ---------------------------------------------------------------------------------------------


def any_case(name: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(lambda upper: "".join(c.upper() if u else c for c, u in zip(name, upper, strict=True)))


SECRET_VALUES: st.SearchStrategy[Any] = st.one_of(
    st.just(SECRET),
    st.sampled_from([SECRET + "x", SECRET[:-1], f" {SECRET}", f"{SECRET} ", SECRET.upper(), "", "wrong", f"{SECRET},"]),
    st.text(max_size=40),  # unicode, lone surrogates included
    st.none() | st.integers() | st.binary(max_size=20) | st.just([SECRET]) | st.just({"value": SECRET}),
    st.sampled_from(["x" * 100_000, SECRET * 5000]),  # huge
)
OTHER_HEADERS = st.dictionaries(
    st.text(max_size=20), st.one_of(st.text(max_size=40), st.integers(), st.none(), st.just(SECRET)), max_size=4
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, drawn with the given relative weights."""
    ladder = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(ladder) - 1).flatmap(lambda index: ladder[index])


@st.composite
def header_maps(draw: st.DrawFn) -> Any:
    """Headers as API Gateway passes them, and as it never would: odd case, repeats, non-strings, no dict.

    Half of them carry the right secret once (in any case), so that many requests get past authentication.
    """
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([None, [], [(SECRET_HEADER, SECRET)], SECRET, 42]))
    headers: dict[Any, Any] = dict(draw(OTHER_HEADERS))
    entries = draw(
        weighted(
            (10, st.tuples(st.tuples(any_case(SECRET_HEADER), st.just(SECRET)))),
            (6, st.tuples(st.tuples(any_case(SECRET_HEADER), SECRET_VALUES))),
            (2, st.lists(st.tuples(any_case(SECRET_HEADER), SECRET_VALUES), min_size=2, max_size=3)),
            (2, st.just(())),
        )
    )
    for name, value in entries:
        headers[name] = value
    if draw(st.integers(0, 9)) == 0:
        headers[draw(st.sampled_from([1, None, b"x-telegram-bot-api-secret-token"]))] = SECRET
    return headers


# ---- bodies ----------------------------------------------------------------------------------------------

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    # Keys of at most five characters: they can be logged (an update's kind) and must not look like a sent text.
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)
UPDATE_IDS: st.SearchStrategy[Any] = weighted(
    (8, st.integers(0, INT64_MAX)),
    (1, st.integers(-(2**70), 2**70)),
    (2, st.sampled_from([0, INT64_MAX, INT64_MAX + 1, -1, True, False, 1.0, 1e20, "1", "abc", None, [], {}])),
)
KINDS = weighted(
    (3, st.just("message")),
    (2, st.sampled_from(["edited_message", "channel_post", "callback_query", "poll_answer", "my_chat_member"])),
)
CHAT_IDS: st.SearchStrategy[Any] = weighted(
    (8, st.just(ALLOWED_CHAT)),
    (1, st.integers()),
    (2, st.sampled_from([str(ALLOWED_CHAT), float(ALLOWED_CHAT), True, None, [ALLOWED_CHAT]])),
)


@st.composite
def near_updates(draw: st.DrawFn) -> dict[str, Any]:
    """JSON objects shaped like updates, with odd update ids, chats, kinds, payloads and extra fields."""
    update: dict[str, Any] = {}
    extras = draw(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        update.update(extras)  # extra fields first: then one of them is the update's kind
    if draw(st.integers(0, 19)) > 0:
        update["update_id"] = draw(UPDATE_IDS)
    chat: Any = {"id": draw(CHAT_IDS), "type": "group"} if draw(st.integers(0, 9)) > 0 else draw(JSON_VALUES)
    payload: Any = {"message_id": draw(st.integers(0, 10**6)), "chat": chat, "date": 1_715_353_200}
    payload[draw(st.sampled_from(["text", "caption"]))] = draw(st.text(max_size=60))
    update[draw(KINDS)] = payload if draw(st.integers(0, 9)) > 0 else draw(JSON_VALUES)
    if draw(st.booleans()):
        update.update(extras)
    return update


@st.composite
def serialized(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> bytes:
    """A JSON text of a value, compact or not, escaped or not."""
    value = draw(values)
    separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    return json.dumps(value, ensure_ascii=draw(st.booleans()), separators=separators).encode()


@st.composite
def near_limit_bodies(draw: st.DrawFn) -> bytes:
    """A storable update padded to 1 MiB, a byte less, or a few bytes more."""
    size = draw(st.sampled_from([MAX_BODY - 1, MAX_BODY, MAX_BODY + 1, MAX_BODY + 4]))
    message: dict[str, Any] = {"chat": {"id": ALLOWED_CHAT}, "text": ""}
    update = {"update_id": draw(st.integers(0, 10**9)), "message": message}
    base = update_body(update)
    filler = draw(st.sampled_from(["a", "é"]))  # two bytes each: then the text has fewer characters than bytes
    padding = (size - len(base)) // len(filler.encode())
    message["text"] = filler * padding + "a" * (size - len(base) - padding * len(filler.encode()))
    body = update_body(update)
    assert len(body) == size
    return body


BODIES: st.SearchStrategy[bytes] = weighted(
    (1, near_limit_bodies()),  # around 1 MiB: rare, they are the costly examples
    (16, serialized(near_updates())),
    (2, serialized(JSON_VALUES)),
    (1, st.binary(max_size=200)),
    (1, st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass"))),
)


@st.composite
def events(draw: st.DrawFn, headers: st.SearchStrategy[Any]) -> dict[str, Any]:
    """An API Gateway payload-2.0 event around a drawn body, headers, base64 flag and arrival time."""
    raw = draw(BODIES)
    flag = draw(weighted((4, st.booleans()), (1, st.sampled_from([None, "true", 1, "missing"]))))
    event = webhook_event(None, secret=None)
    event["headers"] = draw(headers)
    encoding = draw(st.integers(0, 19))
    if encoding == 0:
        event["body"] = draw(st.sampled_from([None, 123, b"{}", {"update_id": 1}, "", "@@not base64@@"]))
    elif flag is True:
        event["body"] = base64.b64encode(raw).decode()
    else:
        event["body"] = raw.decode(
            "utf-8", "surrogateescape"
        )  # bodies that are not UTF-8 keep their bytes as surrogates
    if flag == "missing":
        del event["isBase64Encoded"]
    else:
        event["isBase64Encoded"] = flag
    epoch: Any = draw(
        st.one_of(
            st.integers(0, YEAR_10000_MS - 1),
            st.sampled_from(
                [-1, YEAR_10000_MS, LATEST_ARRIVAL_MS - 1, LATEST_ARRIVAL_MS, 1.7e12, "1715353200000", None, True]
            ),
        )
    )
    if draw(st.integers(0, 19)) == 0:
        event["requestContext"] = draw(st.sampled_from([None, "ctx", []]))
    else:
        event["requestContext"]["timeEpoch"] = epoch
    return event


# ---- the contract, as the README states it ---------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    statuses: frozenset[int]  # the statuses the contract allows for this request
    raw: bytes | None = None  # the bytes stored, if stored
    update_id: int | None = None
    allowed_chat: bool = False


def secret_given(event: Mapping[str, Any]) -> bool | None:
    """True: the right secret, unambiguously; False: no header holds it; None: ambiguous (several headers)."""
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return False
    values = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == SECRET_HEADER and isinstance(v, str)]
    if SECRET not in values:
        return False
    return True if values == [SECRET] else None


def body_outcome(event: Mapping[str, Any]) -> tuple[int, bytes | None]:
    """What the body alone calls for: 413, 400, or 200 and the body's bytes."""
    body = event.get("body")
    if not isinstance(body, str) or not body:
        return 400, None
    if event.get("isBase64Encoded") is True:
        if len(body) > (MAX_BODY + 2) // 3 * 4:
            return 413, None
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return 400, None
    else:
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            return (413 if len(body) > MAX_BODY else 400), None
    return (413, None) if len(raw) > MAX_BODY else (200, raw)


def chat_of(update: Mapping[str, Any]) -> Any:
    kind = next((key for key in update if key != "update_id"), None)
    payload = update.get(kind) if kind is not None else None
    chat = payload.get("chat") if isinstance(payload, dict) else None
    return chat.get("id") if isinstance(chat, dict) else None


def expected_for(event: Mapping[str, Any]) -> Expected:
    status, raw = body_outcome(event)
    update_id: int | None = None
    allowed = False
    if raw is not None:
        try:
            update = json.loads(raw)
        except (ValueError, RecursionError):
            update = None
        candidate = update.get("update_id") if isinstance(update, dict) else None
        payloads = [key for key in update if key != "update_id"] if isinstance(update, dict) else []
        if isinstance(update, dict) and type(candidate) is int and 0 <= candidate <= INT64_MAX and len(payloads) <= 1:
            update_id = candidate
            chat_id = chat_of(update)
            allowed = type(chat_id) is int and chat_id == ALLOWED_CHAT
        else:
            status, raw = 400, None
    authorized = secret_given(event)
    if authorized is False:
        return Expected(frozenset({401}))
    statuses = frozenset({status} if authorized else {status, 401})
    return Expected(statuses, raw, update_id, allowed)


def arrival_days(event: Mapping[str, Any], before: datetime, after: datetime) -> set[str]:
    """The day(s) the update may be filed under: the arrival time's, or today's (checked around the call)."""
    context = event.get("requestContext")
    epoch = context.get("timeEpoch") if isinstance(context, dict) else None
    if type(epoch) is int and 0 <= epoch < LATEST_ARRIVAL_MS:
        return {datetime.fromtimestamp(epoch / 1000, UTC).astimezone(ZONE).date().isoformat()}
    return {moment.astimezone(ZONE).date().isoformat() for moment in (before, after)}


# ---- the properties --------------------------------------------------------------------------------------


def empty_bucket(s3: S3Client) -> None:
    for item in s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", ()):
        s3.delete_object(Bucket=RAW_BUCKET, Key=item["Key"])


def stored(s3: S3Client) -> dict[str, bytes]:
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", ())]
    return {key: s3.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read() for key in keys}


def check(s3: S3Client, event: dict[str, Any]) -> None:
    empty_bucket(s3)
    expected = expected_for(event)
    before = datetime.now(UTC)

    status, response = invoke(event)  # an exception fails the example: the handler must never raise

    after = datetime.now(UTC)
    tally(f"{status} {response['status']}")  # the spread of outcomes: --hypothesis-show-statistics
    assert status in expected.statuses, (status, response, expected.statuses)
    objects = stored(s3)
    if status != 200:
        assert status in {400, 401, 413}
        assert response["status"] == "rejected"
        assert isinstance(response["reason"], str)
        assert objects == {}
    elif not expected.allowed_chat:
        assert response["status"] == "ignored"
        assert response.keys() <= {"status", "reason"}
        assert objects == {}
    else:
        assert response == {"status": "stored"}
        [(key, data)] = objects.items()
        assert key in {
            f"telegram/context_date={day}/{expected.update_id}.json" for day in arrival_days(event, before, after)
        }
        assert data == expected.raw


@FUZZ
@given(event=events(headers=header_maps()))
def test_any_event_gets_a_contract_answer_and_stores_only_what_it_acknowledges(
    s3: S3Client, event: dict[str, Any]
) -> None:
    check(s3, event)


@FUZZ
@given(event=events(headers=st.just({SECRET_HEADER: SECRET, "content-type": "application/json"})))
def test_any_body_with_the_right_secret(s3: S3Client, event: dict[str, Any]) -> None:
    """The secret is right, so everything rests on the body: most examples get past authentication."""
    check(s3, event)


@FUZZ
@given(headers=header_maps(), body=serialized(near_updates()))
def test_no_secret_no_storage(s3: S3Client, headers: Any, body: bytes) -> None:
    """Without the right secret the answer is 401 and nothing is stored, however good the update."""
    event = webhook_event(body, secret=None)
    event["headers"] = headers
    if secret_given(event) is not False:
        headers = {
            name: value
            for name, value in headers.items()
            if not (isinstance(name, str) and name.lower() == SECRET_HEADER)
        }
        event["headers"] = headers
    assert expected_for(event).statuses == {401}
    check(s3, event)
