"""Pseudonymised analytics: with PSEUDONYM_KEY_PARAMETER set, the enriched tables hold keyed hashes, no names.

The proof runs the real ETL handler on moto (S3 and SSM) over the demo's sample week (every update type
the tables have, a forum, a channel, anonymous admins, bots), the group's imported history and a user's
private chat with the bot (messages, an edit, a reaction, the user blocking the bot, an imported export
of the chat), once without and once with pseudonymisation:

- no enriched file holds a user id (ASCII decimal, int64 little- or big-endian), a first name, a last
  name or a username of the input, searched byte by byte in each file as stored and in each of its pages
  decompressed; the same search finds every one of them in the files written without pseudonymisation;
- every saved query gives the same rows on both lakes once each user id is replaced by its pseudonym
  (computed here with hmac, not with the module) and the names are left out; the per-user counts are the
  plain lake's;
- the key is in no log line, and a missing or wrong key fails the run with one line, writing nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from functions.common.settings import ConfigurationError
from functions.common.ssm_parameter import (
    ParameterNotReadableError,
    ParameterUnavailableError,
    parameter_name_problem,
    read_secure_string,
    ssm_client,
)
from functions.etl.config import PSEUDONYM_KEY_PARAMETER, load_settings
from functions.etl.day_rows import SORT_COLUMNS
from functions.etl.handler import lambda_handler
from functions.etl.pseudonyms import (
    DROPPED_COLUMNS,
    KEY_BYTES,
    PseudonymKeyError,
    Pseudonyms,
    decode_key,
    new_key_text,
    pseudonym,
)
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, MESSAGES, REACTIONS, TABLES, TableSpec
from functions.etl.table import build_table
from telegram_datalake.demo.sample_chat import ARCHIVE_BOT, GROUP, SampleChat, build_sample_chat
from telegram_datalake.demo.sample_export import build_sample_export
from telegram_datalake.duckdb_engine import connect, run_query
from telegram_datalake.report.period import Period
from telegram_datalake.saved_queries import list_queries, render
from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET, TIMEZONE, clear_function_clients
from tests.etl_support import DAY, enriched_keys, put_raw, text_update
from tests.log_leaks import capturing_pipeline_logs

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# A fixed key, so that the expected pseudonyms below can be checked with any HMAC tool:
#   printf %s 184273915 | openssl dgst -sha256 -mac HMAC -macopt hexkey:<KEY.hex()>  -> 3f42c6ca5ccecf45...
KEY = hashlib.sha256(b"telegram-datalake test pseudonym key").digest()
KEY_TEXT = base64.b64encode(KEY).decode()
PARAMETER = "/telegram-datalake/pseudonym-key"
DATABASE = "telegram_datalake"
ZONE = ZoneInfo(TIMEZONE)
PAGE_TYPES = {0: "data page", 2: "dictionary page"}  # parquet-format's PageType; pyarrow writes v1 data pages

# Someone who writes to the bot in private (no group in common): their chat's id is their user id.
RENATA: dict[str, Any] = {
    "id": 5987654321,
    "is_bot": False,
    "first_name": "Renata",
    "last_name": "Quintela",
    "username": "renata_quintela",
    "language_code": "pt-br",
}
RENATA_CHAT: dict[str, Any] = {"id": RENATA["id"], "type": "private", "first_name": "Renata", "last_name": "Quintela"}
FIRST_PRIVATE_UPDATE = 900_000_001
ARCHIVE_BOT_ID = cast("int", ARCHIVE_BOT["id"])  # the demo's bot, which Renata talks to


def hmac_pseudonym(user_id: int) -> int:
    """The pseudonym the README specifies, computed here without the module under test."""
    digest = hmac.new(KEY, str(user_id).encode("ascii"), "sha256").digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# ---------------------------------------------------------------------------------------------------------------
# The function and the key


def test_the_pseudonym_is_the_first_8_bytes_of_hmac_sha256_of_the_decimal_id() -> None:
    """Values checked with openssl (see KEY): a change here would change every pseudonym of a deployment."""
    assert pseudonym(KEY, 184273915) == 0x3F42C6CA5CCECF45  # 4558424345295114053
    assert pseudonym(KEY, -5) == -8685341143997403286  # 0x8777783f16f32f6a, read as a signed int64
    for user_id in (0, 1, 777000, 2**52, 2**63 - 1, -(2**63)):
        assert pseudonym(KEY, user_id) == hmac_pseudonym(user_id)
    assert pseudonym(hashlib.sha256(b"another key").digest(), 184273915) != pseudonym(KEY, 184273915)


def test_a_new_key_is_32_random_bytes_in_base64() -> None:
    first, second = new_key_text(), new_key_text()
    assert first != second
    assert len(decode_key(first)) == KEY_BYTES == 32
    assert decode_key(f" {KEY_TEXT}\n") == KEY


@pytest.mark.parametrize(
    "stored",
    [
        base64.b64encode(b"k" * 31).decode(),  # too short
        "not base64 at all!",
        KEY_TEXT[:-4] + "%%%%",
        "",
    ],
)
def test_a_value_that_is_not_a_key_is_refused_without_being_shown(stored: str) -> None:
    with pytest.raises(PseudonymKeyError) as raised:
        decode_key(stored)
    message = str(raised.value)
    assert "\n" not in message
    assert "pseudonym-key init" in message
    assert not stored or stored not in message


# ---------------------------------------------------------------------------------------------------------------
# One table, column by column


def rows_of(spec: TableSpec, *rows: Mapping[str, Any]) -> pa.Table:
    """A table of ``spec`` (its schema exactly) from rows given by column name; missing columns are NULL."""
    return build_table([tuple(row.get(column) for column in spec.row_columns) for row in rows], spec)


GROUP_ROW = {
    "chat_id": -1001873245190,
    "chat_type": "supergroup",
    "chat_title": "Dados & Café ☕",
    "date": 1_700_000_100,
}
PRIVATE_ROW = {"chat_id": RENATA["id"], "chat_type": "private", "chat_title": "Renata Quintela", "date": 1_700_000_000}
NAMES = {"user_first_name": "Renata", "user_last_name": "Quintela", "user_username": "renata_quintela"}


def test_messages_keep_their_content_and_lose_who_sent_them() -> None:
    table = rows_of(
        MESSAGES,
        {
            **PRIVATE_ROW,
            **NAMES,
            "message_id": 7,
            "user_id": RENATA["id"],
            "user_is_bot": False,
            "user_language_code": "pt-br",
            "text": "Oi, bot",
            "update_id": 11,
            "update_type": "message",
            "message_type": "text",
            "is_forwarded": False,
        },
        {
            **GROUP_ROW,
            "message_id": 48300,
            "user_id": 1087968824,  # an anonymous admin: the group itself is the sender chat
            "user_is_bot": True,
            "user_first_name": "Group",
            "user_username": "GroupAnonymousBot",
            "sender_chat_id": GROUP_ROW["chat_id"],
            "text": "Regras atualizadas",
            "update_id": 12,
            "update_type": "message",
            "message_type": "text",
            "message_thread_id": 48250,
            "reply_to_message_id": 48250,
            "is_forwarded": False,
        },
    )
    written = Pseudonyms(KEY).table(MESSAGES.name, table)
    assert written.schema.equals(table.schema)
    renata = hmac_pseudonym(RENATA["id"])
    assert written.to_pylist() == [
        {
            **table.to_pylist()[0],
            "user_id": renata,
            "chat_id": renata,  # the private chat is the user's: the same pseudonym, so they still join
            "chat_title": None,
            "user_first_name": None,
            "user_last_name": None,
            "user_username": None,
            "user_language_code": None,
        },
        {**table.to_pylist()[1], "user_id": hmac_pseudonym(1087968824), "user_first_name": None, "user_username": None},
    ]


def test_every_table_hashes_its_user_ids_and_drops_its_names() -> None:
    """message_edits, member_events (the member and the actor) and reactions (the user, not the chat that
    reacted anonymously), in a group and in a private chat; sorted again on the values they now hold."""
    eva, admin = 2001, 184273915
    edits = rows_of(
        MESSAGE_EDITS,
        {
            **PRIVATE_ROW,
            "message_id": 7,
            "update_id": 13,
            "edit_date": 1_700_000_050,
            "user_id": RENATA["id"],
            "user_first_name": "Renata",
            "text": "Oi, bot!",
            "message_type": "text",
            "update_type": "edited_message",
        },
    )
    members = rows_of(
        MEMBER_EVENTS,
        {
            **GROUP_ROW,
            "user_id": eva,
            "user_is_bot": False,
            "user_first_name": "Eva",
            "user_username": "eva",
            "event": "joined",
            "actor_user_id": admin,
            "invite_link_name": "Site",
            "source": "chat_member",
            "update_id": 1,
        },
        {
            **GROUP_ROW,
            "user_id": admin,
            "user_is_bot": False,
            "user_first_name": "Ana",
            "user_last_name": "Souza",
            "event": "promoted",
            "actor_user_id": None,
            "source": "chat_member",
            "update_id": 2,
        },
        {
            **PRIVATE_ROW,
            "user_id": RENATA["id"],
            "user_first_name": "Renata",
            "event": "kicked",
            "actor_user_id": RENATA["id"],
            "source": "my_chat_member",
            "update_id": 3,
        },
    )
    reactions = rows_of(
        REACTIONS,
        {
            **GROUP_ROW,
            "message_id": 1,
            "update_id": 4,
            "source": "message_reaction",
            "user_id": eva,
            "reaction_type": "emoji",
            "emoji": "👍",
            "action": "added",
        },
        {
            **GROUP_ROW,
            "message_id": 1,
            "update_id": 5,
            "source": "message_reaction",
            "actor_chat_id": GROUP_ROW["chat_id"],
            "reaction_type": "emoji",
            "emoji": "🔥",
            "action": "added",
        },
        {
            **PRIVATE_ROW,
            "message_id": 8,
            "update_id": 6,
            "source": "message_reaction",
            "user_id": RENATA["id"],
            "reaction_type": "emoji",
            "emoji": "❤",
            "action": "added",
        },
    )
    pseudonyms = Pseudonyms(KEY)
    renata = hmac_pseudonym(RENATA["id"])

    (edit,) = pseudonyms.table(MESSAGE_EDITS.name, edits).to_pylist()
    assert (edit["user_id"], edit["chat_id"], edit["chat_title"], edit["user_first_name"]) == (
        renata,
        renata,
        None,
        None,
    )
    assert edit["text"] == "Oi, bot!"

    written = pseudonyms.table(MEMBER_EVENTS.name, members)
    expected = [
        (PRIVATE_ROW["date"], renata, renata, renata, None),
        *sorted(
            [
                (GROUP_ROW["date"], GROUP_ROW["chat_id"], hmac_pseudonym(eva), hmac_pseudonym(admin), "Site"),
                (GROUP_ROW["date"], GROUP_ROW["chat_id"], hmac_pseudonym(admin), None, None),
            ]
        ),
    ]
    columns = ("date", "chat_id", "user_id", "actor_user_id", "invite_link_name")
    assert [tuple(row[column] for column in columns) for row in written.to_pylist()] == expected
    assert set(written.column("chat_title").to_pylist()) == {None, GROUP_ROW["chat_title"]}
    for column in ("user_first_name", "user_last_name", "user_username"):
        assert written.column(column).null_count == written.num_rows, column

    written = pseudonyms.table(REACTIONS.name, reactions)
    assert [(row["user_id"], row["actor_chat_id"], row["chat_id"]) for row in written.to_pylist()] == [
        (renata, None, renata),
        (hmac_pseudonym(eva), None, GROUP_ROW["chat_id"]),
        (None, GROUP_ROW["chat_id"], GROUP_ROW["chat_id"]),  # a group reacting: a chat, kept
    ]
    for spec, table in ((MESSAGE_EDITS, edits), (MEMBER_EVENTS, members), (REACTIONS, reactions)):
        assert pseudonyms.table(spec.name, table).schema.equals(spec.schema), spec.name


def test_a_positive_chat_id_is_a_users_whatever_its_type_says() -> None:
    """Telegram gives groups and channels negative ids: a positive one (a chat_type missing, or an export's
    odd one) is hashed like a private chat's; an empty table is returned as it is."""
    table = rows_of(
        MESSAGES,
        {
            "chat_id": 42,
            "chat_type": None,
            "chat_title": "x",
            "message_id": 1,
            "date": 1,
            "update_id": 1,
            "update_type": "message",
            "message_type": "text",
            "is_forwarded": False,
            "sender_chat_id": 43,
        },
    )
    (row,) = Pseudonyms(KEY).table(MESSAGES.name, table).to_pylist()
    assert (row["chat_id"], row["chat_title"], row["sender_chat_id"]) == (hmac_pseudonym(42), None, hmac_pseudonym(43))
    empty = rows_of(MESSAGES)
    assert Pseudonyms(KEY).table(MESSAGES.name, empty) is empty


# ---------------------------------------------------------------------------------------------------------------
# Settings and the parameter


@pytest.mark.parametrize(
    "name",
    [
        "pseudonym-key",  # not a path
        "/aws/pseudonym-key",
        "/SSM/key",
        "/awsome/key",  # SSM refuses any name that starts with aws or ssm
        "/telegram datalake/key",
        "/a//b",
        "/a/",
        "/" + "/".join("abcdefghijklmnop"),  # 16 levels
        "/" + "k" * 1011,
    ],
)
def test_a_parameter_name_ssm_would_refuse_is_a_configuration_error(name: str) -> None:
    assert parameter_name_problem(name) is not None
    environ = {"RAW_BUCKET": "raw", "ENRICHED_BUCKET": "enriched", PSEUDONYM_KEY_PARAMETER: name}
    with pytest.raises(ConfigurationError, match=rf"^environment variable {PSEUDONYM_KEY_PARAMETER} must") as raised:
        load_settings(environ)
    assert name not in str(raised.value)


def test_the_parameter_is_optional() -> None:
    base = {"RAW_BUCKET": "raw", "ENRICHED_BUCKET": "enriched"}
    assert load_settings(base).pseudonym_key_parameter is None
    assert load_settings({**base, PSEUDONYM_KEY_PARAMETER: "  "}).pseudonym_key_parameter is None
    named = load_settings({**base, PSEUDONYM_KEY_PARAMETER: " /tgdl/prod.v2/pseudonym_key "})
    assert named.pseudonym_key_parameter == "/tgdl/prod.v2/pseudonym_key"


class StubSsm:
    """An SSM client that answers one GetParameter with ``answer`` (a response, or an exception to raise)."""

    def __init__(self, answer: Mapping[str, Any] | Exception) -> None:
        self.answer = answer

    def get_parameter(self, *, Name: str, WithDecryption: bool) -> Mapping[str, Any]:  # noqa: N803 - boto3's
        assert (Name, WithDecryption) == (PARAMETER, True)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{KEY_TEXT} was in the message"}}, "GetParameter")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (client_error("ParameterNotFound"), ParameterNotReadableError),
        (client_error("AccessDeniedException"), ParameterNotReadableError),  # IAM, or the KMS key's policy
        (client_error("InvalidKeyId"), ParameterNotReadableError),
        ({"Parameter": {"Type": "String", "Value": KEY_TEXT}}, ParameterNotReadableError),  # stored unencrypted
        (client_error("ThrottlingException"), ParameterUnavailableError),
        (client_error("InternalServerError"), ParameterUnavailableError),
        (EndpointConnectionError(endpoint_url="https://ssm.us-east-1.amazonaws.com/"), ParameterUnavailableError),
    ],
)
def test_a_parameter_that_cannot_be_read_says_why_in_one_line_without_the_value(
    answer: Mapping[str, Any] | Exception, expected: type[Exception]
) -> None:
    """A deployment mistake (missing, denied, unencrypted) is a ConfigurationError; an outage is not."""
    with pytest.raises(expected) as raised:
        read_secure_string(PARAMETER, StubSsm(answer))
    message = str(raised.value)
    assert PARAMETER in message
    assert "\n" not in message
    assert KEY_TEXT not in message
    assert issubclass(expected, ConfigurationError) == (expected is ParameterNotReadableError)


def test_a_secure_string_is_read_decrypted() -> None:
    assert read_secure_string(PARAMETER, StubSsm({"Parameter": {"Type": "SecureString", "Value": KEY_TEXT}})) == (
        KEY_TEXT
    )


# ---------------------------------------------------------------------------------------------------------------
# The handler on moto: a wrong or missing key writes nothing; a rotation reaches the next run


@pytest.fixture
def ssm(s3: S3Client) -> Iterator[Any]:
    """Moto's SSM, in the same mock as the buckets; the ETL's cached SSM client forgotten before and after."""
    ssm_client.cache_clear()
    yield boto3.client("ssm")
    ssm_client.cache_clear()


def put_key(ssm: Any, value: str = KEY_TEXT, *, kind: str = "SecureString", overwrite: bool = False) -> None:
    ssm.put_parameter(Name=PARAMETER, Value=value, Type=kind, Overwrite=overwrite)


@pytest.mark.usefixtures("etl_env")
@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (None, f"SSM parameter {PARAMETER} cannot be read: SSM answered ParameterNotFound"),
        ((KEY_TEXT, "String"), f"SSM parameter {PARAMETER} is a String, not a SecureString"),
        ((base64.b64encode(b"short").decode(), "SecureString"), f"{PARAMETER}: the value is not the base64 of 32"),
    ],
)
def test_a_missing_or_wrong_key_fails_the_run_in_one_line_and_writes_nothing(
    s3: S3Client, ssm: Any, monkeypatch: pytest.MonkeyPatch, stored: tuple[str, str] | None, reason: str
) -> None:
    if stored is not None:
        put_key(ssm, stored[0], kind=stored[1])
    monkeypatch.setenv(PSEUDONYM_KEY_PARAMETER, PARAMETER)
    put_raw(s3, DAY, text_update(1))
    with capturing_pipeline_logs() as logs, pytest.raises(PseudonymKeyError) as raised:
        lambda_handler({"date": DAY}, None)
    message = str(raised.value)
    assert reason in message
    assert "\n" not in message
    assert PSEUDONYM_KEY_PARAMETER in message
    assert "pseudonym-key init" in message
    assert stored is None or stored[0] not in message
    assert enriched_keys(s3) == []
    assert logs.lines == []


@pytest.mark.usefixtures("etl_env")
def test_a_rotated_key_is_used_by_the_very_next_run(s3: S3Client, ssm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key is read once per invocation, not kept by the container: a backfill after `rotate` uses the new
    key from its first day, whatever containers are warm."""
    put_key(ssm)
    monkeypatch.setenv(PSEUDONYM_KEY_PARAMETER, PARAMETER)
    put_raw(s3, DAY, text_update(1))
    key = f"telegram/context_date={DAY}/telegram.parquet"

    def written_user_ids() -> list[int]:
        lambda_handler({"date": DAY}, None)
        body = s3.get_object(Bucket=ENRICHED_BUCKET, Key=key)["Body"].read()
        return list(pq.read_table(io.BytesIO(body), use_threads=False).column("user_id").to_pylist())

    assert written_user_ids() == [hmac_pseudonym(321)]
    rotated = base64.b64encode(hashlib.sha256(b"rotated").digest()).decode()
    put_key(ssm, rotated, overwrite=True)
    assert written_user_ids() == [pseudonym(base64.b64decode(rotated), 321)]


# ---------------------------------------------------------------------------------------------------------------
# The proof: the demo's week, its imported history and a private chat, through the real handler on moto


def private_chat_updates(sample: SampleChat) -> dict[str, list[dict[str, Any]]]:
    """Renata's updates, by arrival day: she writes to the bot, edits it, reacts to its answer, blocks it."""
    day = sample.days[2]
    at = int(datetime.combine(day, datetime.min.time(), ZONE).timestamp()) + 10 * 3600
    ids = itertools.count(FIRST_PRIVATE_UPDATE)
    hello = {"message_id": 1, "from": RENATA, "chat": RENATA_CHAT, "date": at, "text": "Oi! Como funciona o arquivo?"}
    answer = {"message_id": 2, "from": ARCHIVE_BOT, "chat": RENATA_CHAT, "date": at + 5, "text": "Eu guardo o grupo."}
    blocked = {
        "chat": RENATA_CHAT,
        "from": RENATA,
        "date": at + 600,
        "old_chat_member": {"user": ARCHIVE_BOT, "status": "member"},
        "new_chat_member": {"user": ARCHIVE_BOT, "status": "kicked", "until_date": 0},
    }
    reaction = {
        "chat": RENATA_CHAT,
        "message_id": 2,
        "user": RENATA,
        "date": at + 60,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "❤"}],
    }
    edited = {**hello, "text": "Oi! Como funciona o arquivo do grupo?", "edit_date": at + 30}
    updates = [
        {"update_id": next(ids), "message": hello},
        {"update_id": next(ids), "message": answer},
        {"update_id": next(ids), "edited_message": edited},
        {"update_id": next(ids), "message_reaction": reaction},
        {"update_id": next(ids), "my_chat_member": blocked},
    ]
    return {day.isoformat(): updates}


def private_chat_export(day: date) -> dict[str, Any]:
    """Renata's chat with the bot as she exported it from Telegram Desktop: a personal_chat, her id bare."""
    at = int(datetime.combine(day, datetime.min.time(), ZONE).timestamp()) + 9 * 3600

    def record(number: int, sender: Mapping[str, Any], seconds: int, text: str) -> dict[str, Any]:
        name = " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)
        moment = datetime.fromtimestamp(at + seconds, ZONE).replace(tzinfo=None).isoformat()
        return {
            "id": number,
            "type": "message",
            "date": moment,
            "date_unixtime": str(at + seconds),
            "from": name,
            "from_id": f"user{sender['id']}",
            "text": text,
            "text_entities": [{"type": "plain", "text": text}],
        }

    messages = [record(1, RENATA, 0, "/start"), record(2, ARCHIVE_BOT, 2, "Olá! Eu arquivo o grupo Dados & Café.")]
    return {"name": "Renata Quintela", "type": "personal_chat", "id": RENATA["id"], "messages": messages}


def export_by_day(document: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """An export's records grouped by the local day they were sent, as `import` files them."""
    days: dict[str, list[dict[str, Any]]] = {}
    for record in document["messages"]:
        sent = datetime.fromtimestamp(int(record["date_unixtime"]), ZONE).date().isoformat()
        days.setdefault(sent, []).append(record)
    return days


def raw_objects(sample: SampleChat) -> dict[str, bytes]:
    """The raw bucket after the week: the ingest's objects, the imports' day files, the private chat."""
    objects: dict[str, bytes] = {}
    for delivery in sample.deliveries:
        update = delivery.update()
        if delivery.expected == "stored" and update is not None:
            objects[f"telegram/context_date={sample.day_of(delivery)}/{update['update_id']}.json"] = delivery.body
    for day, updates in private_chat_updates(sample).items():
        for update in updates:
            body = json.dumps(update, ensure_ascii=False).encode()
            objects[f"telegram/context_date={day}/{update['update_id']}.json"] = body
    exports = [
        (GROUP["id"], build_sample_export(sample).document),
        (RENATA["id"], private_chat_export(sample.days[0] - timedelta(days=3))),
    ]
    for chat_id, document in exports:
        header = {name: document[name] for name in ("name", "type", "id")}
        for day, records in export_by_day(document).items():
            body = json.dumps({**header, "messages": records}, ensure_ascii=False, indent=1).encode()
            objects[f"telegram/context_date={day}/import/{chat_id}.json"] = body
    return objects


@dataclass(frozen=True)
class Lakes:
    """The enriched bucket (key: bytes) without and with pseudonymisation, and what the runs logged."""

    sample: SampleChat
    days: tuple[str, ...]
    plain: dict[str, bytes]
    pseudonymised: dict[str, bytes]
    rerun: dict[str, bytes]  # the same days again, pseudonymised: the same bytes
    log_lines: list[str]

    def tables(self, lake: Mapping[str, bytes]) -> dict[str, pa.Table]:
        """Each table's rows over every day (the partition column left out)."""
        found: dict[str, list[pa.Table]] = {spec.name: [] for spec in TABLES}
        for key, body in sorted(lake.items()):
            found[key.split("/", 1)[0]].append(pq.read_table(io.BytesIO(body), use_threads=False))
        return {name: pa.concat_tables(parts) for name, parts in found.items()}

    def write(self, lake: Mapping[str, bytes], root: Path) -> Path:
        for key, body in lake.items():
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            (root / key).write_bytes(body)
        return root


def run_etl(session: boto3.Session, bucket: str, days: Sequence[str], parameter: str | None) -> dict[str, bytes]:
    """One invocation of the handler for ``days`` into ``bucket``; every object it wrote, by key."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("ENRICHED_BUCKET", bucket)
        if parameter is not None:
            environment.setenv(PSEUDONYM_KEY_PARAMETER, parameter)
        clear_function_clients()
        ssm_client.cache_clear()
        result = lambda_handler({"start_date": days[0], "end_date": days[-1]}, None)
    assert [summary["date"] for summary in result["days"]] == list(days)
    assert not any(summary["skipped"] for summary in result["days"])
    s3 = session.client("s3")
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", ())
    ]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


@pytest.fixture(scope="module")
def lakes() -> Iterator[Lakes]:
    """The sample through the ETL three times: plain, pseudonymised, pseudonymised again (built once)."""
    sample = build_sample_chat(datetime.now(ZONE).date() - timedelta(days=1), TIMEZONE)
    first = date.fromisoformat(min(export_by_day(build_sample_export(sample).document))) - timedelta(days=3)
    days = tuple((first + timedelta(days=offset)).isoformat() for offset in range((sample.days[-1] - first).days + 1))
    with pytest.MonkeyPatch.context() as environment, mock_aws():
        for name in [name for name in os.environ if name.startswith("AWS_")]:  # as conftest's isolation does
            environment.delenv(name)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "RAW_BUCKET": RAW_BUCKET,
            "TIMEZONE": TIMEZONE,
            "RAW_PREFIX": "telegram",
            "ENRICHED_PREFIX": "telegram",
            "MAX_WORKERS": "8",
        }.items():
            environment.setenv(name, value)
        environment.delenv(PSEUDONYM_KEY_PARAMETER, raising=False)
        session = boto3.Session(region_name="us-east-1")
        environment.setattr(boto3, "DEFAULT_SESSION", session)
        s3 = session.client("s3")
        for bucket in (RAW_BUCKET, "plain", "pseudonymised", "rerun"):
            s3.create_bucket(Bucket=bucket)
        for key, body in raw_objects(sample).items():
            s3.put_object(Bucket=RAW_BUCKET, Key=key, Body=body)
        session.client("ssm").put_parameter(Name=PARAMETER, Value=KEY_TEXT, Type="SecureString")
        with capturing_pipeline_logs() as logs:
            plain = run_etl(session, "plain", days, None)
            pseudonymised = run_etl(session, "pseudonymised", days, PARAMETER)
            rerun = run_etl(session, "rerun", days, PARAMETER)
        clear_function_clients()
        ssm_client.cache_clear()
        yield Lakes(sample, days, plain, pseudonymised, rerun, list(logs.lines))


# -- searching the files byte by byte ---------------------------------------------------------------------------


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


# Thrift compact protocol types (the ones Parquet's page headers use) and how many bytes a fixed-size one takes.
BOOLEAN_TYPES, VARINT_TYPES, BINARY, LIST_TYPES, STRUCT = (1, 2), (4, 5, 6), 8, (9, 10), 12
FIXED_SIZES = {3: 1, 7: 8}  # byte, double
I32 = 5


def _skip(data: bytes, position: int, kind: int) -> int:
    """Past one value of Thrift compact protocol ``kind``."""
    if kind in BOOLEAN_TYPES:  # a boolean field: its value is its type
        return position
    if kind in FIXED_SIZES:
        return position + FIXED_SIZES[kind]
    if kind in VARINT_TYPES:
        return _varint(data, position)[1]
    if kind == BINARY:
        length, position = _varint(data, position)
        return position + length
    if kind in LIST_TYPES:
        header = data[position]
        size, element, position = header >> 4, header & 0x0F, position + 1
        if size == 0x0F:  # the size follows
            size, position = _varint(data, position)
        for _ in range(size):
            position = position + 1 if element in BOOLEAN_TYPES else _skip(data, position, element)
        return position
    assert kind == STRUCT, f"Thrift compact type {kind} in a page header"
    return _struct(data, position)[1]


def _struct(data: bytes, position: int) -> tuple[dict[int, int], int]:
    """A Thrift compact struct at ``position``: its top-level i32 fields by id, and where it ends."""
    fields: dict[int, int] = {}
    field_id = 0
    while True:
        header = data[position]
        position += 1
        kind = header & 0x0F
        if not kind:
            return fields, position
        if header >> 4:
            field_id += header >> 4
        else:
            raw, position = _varint(data, position)
            field_id = _zigzag(raw)
        if kind == 5:
            raw, position = _varint(data, position)
            fields[field_id] = _zigzag(raw)
        else:
            position = _skip(data, position, kind)


def decompressed_pages(body: bytes) -> list[bytes]:
    """Every page of every column chunk of a Parquet file, decompressed (parquet-format's PageHeader: 1 type,
    2 uncompressed size, 3 compressed size)."""
    metadata = pq.ParquetFile(io.BytesIO(body)).metadata
    pages = []
    for group_index in range(metadata.num_row_groups):
        group = metadata.row_group(group_index)
        for column_index in range(group.num_columns):
            column = group.column(column_index)
            assert column.compression == "ZSTD", column
            position = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
            end = position + column.total_compressed_size
            while position < end:
                header, position = _struct(body, position)
                assert header[1] in PAGE_TYPES, header
                compressed = body[position : position + header[3]]
                pages.append(pa.Codec("zstd").decompress(compressed, decompressed_size=header[2], asbytes=True))
                position += header[3]
            assert position == end
    return pages


def searchable(lake: Mapping[str, bytes]) -> dict[str, list[bytes]]:
    """Each file as stored, and each of its pages decompressed: where a value could be found, byte by byte."""
    return {key: [body, *decompressed_pages(body)] for key, body in lake.items()}


def id_encodings(user_id: int) -> dict[str, bytes]:
    return {
        "decimal": str(user_id).encode("ascii"),
        "int64 little-endian": user_id.to_bytes(8, "little", signed=True),
        "int64 big-endian": user_id.to_bytes(8, "big", signed=True),
    }


def found(blobs: Mapping[str, list[bytes]], needle: bytes) -> list[str]:
    return sorted(key for key, parts in blobs.items() if any(needle in part for part in parts))


def people_of_the_input(objects: Mapping[str, bytes]) -> tuple[set[int], set[str]]:
    """Every user id and every first name, last name, username and display name of the raw objects: Bot API
    User objects (anything with an ``id`` and ``is_bot``), private chats, and an export's senders."""
    ids: set[int] = set()
    names: set[str] = set()
    stack: list[Any] = [json.loads(body) for body in objects.values()]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        if not isinstance(value, dict):
            continue
        stack.extend(value.values())
        if "is_bot" in value or value.get("type") == "private":
            ids.add(value["id"])
            names |= {value[field] for field in ("first_name", "last_name", "username") if value.get(field)}
        if value.get("type") in ("message", "service") and "date_unixtime" in value:  # an export's record
            for id_field, name_field in (("from_id", "from"), ("actor_id", "actor")):
                if str(value.get(id_field, "")).startswith("user"):
                    ids.add(int(value[id_field].removeprefix("user")))
                    names |= {value[name_field]} if value.get(name_field) else set()
        if value.get("type") == "personal_chat":
            ids.add(value["id"])
            names.add(value["name"])
    return ids, names


KEPT_STRING_COLUMNS = ("text", "caption", "chat_title", "invite_link_name", "emoji", "custom_emoji_id")


def kept_strings(tables: Mapping[str, pa.Table]) -> list[str]:
    """What stays in the tables as written: free text, and the titles of groups and channels."""
    kept = []
    for table in tables.values():
        users_chats = {
            row["chat_id"]
            for row in table.select(["chat_id", "chat_type"]).to_pylist()
            if row["chat_type"] == "private" or row["chat_id"] > 0
        }
        for row in table.to_pylist():
            kept += [
                row[column]
                for column in KEPT_STRING_COLUMNS
                if row.get(column) is not None and not (column == "chat_title" and row["chat_id"] in users_chats)
            ]
    return kept


def test_no_enriched_file_holds_a_user_id_or_a_name_of_the_input(lakes: Lakes, tmp_path: Path) -> None:
    """Byte by byte, in each file and in each of its pages decompressed: no id (decimal, int64 either way),
    no first name, last name, username or display name. The same search finds each of them in the files
    written without pseudonymisation, so it can see them.

    Left out of the search, and only these: names that are also in what the tables keep, since texts stay
    (Giulia thanks @anasouza for the invite; a welcome message mentions @dadoscafe_arquivo_bot). They are
    listed below, so that a new one is noticed.
    """
    ids, names = people_of_the_input(raw_objects(lakes.sample))
    assert {RENATA["id"], ARCHIVE_BOT["id"], 777000, 1087968824, 6001234567} <= ids  # Telegram, anonymous admins
    assert {"Renata", "Quintela", "renata_quintela", "Renata Quintela", "Ana Souza", "anasouza"} <= names
    kept = kept_strings(lakes.tables(lakes.plain))
    in_kept_text = {name for name in names if any(name in text for text in kept)}
    assert in_kept_text == {"anasouza", "dadoscafe_arquivo_bot"}, in_kept_text
    assert not {user_id for user_id in ids if any(str(user_id) in text for text in kept)}

    plain, pseudonymised = searchable(lakes.plain), searchable(lakes.pseudonymised)
    assert set(plain) == set(pseudonymised)
    assert len(plain) > 30, sorted(plain)
    leaks: list[str] = []
    unseen: list[object] = []
    for user_id in sorted(ids):
        for encoding, needle in id_encodings(user_id).items():
            leaks += [f"user id {user_id} ({encoding}) in {key}" for key in found(pseudonymised, needle)]
        if not found(plain, id_encodings(user_id)["int64 little-endian"]):
            unseen.append(user_id)
    for name in sorted(names - in_kept_text):
        leaks += [f"name {name!r} in {key}" for key in found(pseudonymised, name.encode())]
        if not found(plain, name.encode()):
            unseen.append(name)
    assert not leaks, "\n".join(leaks[:20])
    # Every id and name of the input is in a table of this sample, and the search sees each of them there.
    assert unseen == [], unseen


def test_the_key_of_the_users_chat_is_their_pseudonym_and_every_id_is_one(lakes: Lakes) -> None:
    """Renata's private chat (captured and imported) joins her messages by pseudonym; every user id written is
    the pseudonym of one the plain lake has in the same place."""
    plain, written = lakes.tables(lakes.plain), lakes.tables(lakes.pseudonymised)
    renata = hmac_pseudonym(RENATA["id"])
    for name in ("telegram", "message_edits", "member_events", "reactions"):
        private = [row for row in written[name].to_pylist() if row["chat_type"] == "private"]
        assert private, name
        assert {row["chat_id"] for row in private} == {renata}, name
        assert {row["chat_title"] for row in private} == {None}, name
    imported = [row for row in written["telegram"].to_pylist() if row["update_id"] == 0 and row["chat_id"] == renata]
    assert {row["user_id"] for row in imported} == {renata, hmac_pseudonym(ARCHIVE_BOT_ID)}
    for name, table in plain.items():
        for column in ("user_id", "actor_user_id"):
            if column not in table.schema.names:
                continue
            before = Counter(
                hmac_pseudonym(value) if value is not None else None for value in table.column(column).to_pylist()
            )
            assert Counter(written[name].column(column).to_pylist()) == before, (name, column)
        for column in DROPPED_COLUMNS:
            if column in table.schema.names:
                assert table.column(column).null_count < table.num_rows, (name, column)  # there were names
                assert written[name].column(column).null_count == written[name].num_rows, (name, column)


def test_the_files_keep_their_schemas_their_order_and_their_bytes_on_a_rerun(lakes: Lakes) -> None:
    assert lakes.rerun == lakes.pseudonymised
    for key, body in lakes.pseudonymised.items():
        table = pq.read_table(io.BytesIO(body), use_threads=False)
        spec = next(spec for spec in TABLES if key.startswith(f"{spec.name}/"))
        assert table.schema.remove_metadata().equals(spec.schema), key
        order = [tuple(row[column] for column in SORT_COLUMNS[spec.name]) for row in table.to_pylist()]
        assert order == sorted(order), key
        plain = pq.read_table(io.BytesIO(lakes.plain[key]), use_threads=False)
        assert plain.num_rows == table.num_rows, key


def test_the_key_is_in_no_log_line(lakes: Lakes) -> None:
    assert any('"day processed"' in line for line in lakes.log_lines)
    text = "\n".join(lakes.log_lines)
    for form in (KEY_TEXT, KEY.hex(), repr(KEY)[2:-1], base64.urlsafe_b64encode(KEY).decode()):
        assert form not in text


# -- the saved queries on both lakes ----------------------------------------------------------------------------

USER_COLUMNS = ("user_id", "actor_user_id")
NAME_COLUMNS = ("user_first_name", "user_last_name", "user_username")


def as_pseudonymised(columns: Sequence[str], row: Sequence[Any]) -> tuple[Any, ...]:
    """A plain result row as the pseudonymised lake must answer it: ids hashed, names gone, users' chats too."""
    values = dict(zip(columns, row, strict=True))
    users_chat = isinstance(values.get("chat_id"), int) and values["chat_id"] > 0
    for column in columns:
        if column in USER_COLUMNS and values[column] is not None:
            values[column] = hmac_pseudonym(values[column])
        elif column in NAME_COLUMNS or (column == "chat_title" and users_chat):
            values[column] = None
    if users_chat:
        values["chat_id"] = hmac_pseudonym(values["chat_id"])
    return tuple(values[column] for column in columns)


def query_results(lakes: Lakes, lake: Mapping[str, bytes], root: Path) -> dict[str, tuple[list[str], list[Any]]]:
    period = Period(lakes.sample.days[0], lakes.sample.days[-1], GROUP["id"])
    results = {}
    with connect(lakes.write(lake, root), database=DATABASE, table="telegram", prefix="telegram") as connection:
        for query in list_queries():
            sql = render(query.template, database=DATABASE, table="telegram", timezone=TIMEZONE)
            parameters = period.duckdb_parameters(query.period_filters) if query.period_filters else None
            result = run_query(connection, sql, parameters)
            results[query.name] = (result.columns, result.rows)
    return results


@pytest.fixture(scope="module")
def answers(lakes: Lakes, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {
        name: query_results(lakes, lake, tmp_path_factory.mktemp(name))
        for name, lake in (("plain", lakes.plain), ("pseudonymised", lakes.pseudonymised))
    }


# Queries that rank users and keep the first 10: ties go to the lower user id, so with pseudonyms a tie at
# the cut may fall to another user with the same count.
TOP_MEMBERS = ("report_top_members", "top_users_last_30_days")
# Queries grouped by first name too: a user with two names in a day would have two rows without
# pseudonymisation and one with it. The sample has none (asserted below), so their rows compare one to one.
BY_NAME = ("average_message_length_per_user_per_day", "edits_per_user_per_day", "messages_per_user_per_day")


def by_column(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def same_top_members(expected: Sequence[dict[str, Any]], written: Sequence[dict[str, Any]]) -> bool:
    """Each chat's counts are the same; a member in one list only has the count tied at the cut."""
    for chat_id in {row["chat_id"] for row in [*expected, *written]}:
        before = {row["user_id"]: row for row in expected if row["chat_id"] == chat_id}
        after = {row["user_id"]: row for row in written if row["chat_id"] == chat_id}
        if sorted(row["message_count"] for row in before.values()) != sorted(
            row["message_count"] for row in after.values()
        ):
            return False
        cut = min(row["message_count"] for row in before.values())
        if any(before[user] != after[user] for user in before.keys() & after.keys()):
            return False
        if any(
            row["message_count"] != cut
            for row in [*before.values(), *after.values()]
            if row["user_id"] not in before.keys() & after.keys()
        ):
            return False
    return True


def test_every_saved_query_gives_the_same_rows_up_to_the_pseudonym(answers: dict[str, dict[str, Any]]) -> None:
    """Row for row (in any order: a tie broken by user id may fall the other way), every query of sql/, the
    report's included, with each id replaced by its pseudonym and names and users' chat titles left out."""
    plain, written = answers["plain"], answers["pseudonymised"]
    assert set(plain) == set(written) == {query.name for query in list_queries()}
    differing = []
    for name, (columns, rows) in plain.items():
        assert written[name][0] == columns, name
        assert rows, f"{name} answers nothing on the sample: it proves nothing"
        expected = [as_pseudonymised(columns, row) for row in rows]
        if name in BY_NAME:
            keys = Counter((row["chat_id"], row["user_id"], row["context_date"]) for row in by_column(columns, rows))
            assert max(keys.values()) == 1, f"{name}: a user with two names in a day; compare without names"
        if name in TOP_MEMBERS:
            same = same_top_members(by_column(columns, expected), by_column(columns, written[name][1]))
        else:
            same = Counter(map(tuple, written[name][1])) == Counter(expected)
        if not same:
            differing.append(name)
    assert not differing


def test_the_per_user_counts_are_the_plain_lakes(answers: dict[str, dict[str, Any]]) -> None:
    """The issue's own check: per chat, user and day, the messages, edits and active users counted are the
    same numbers with pseudonymisation as without it."""

    def totals(rows: Iterable[Sequence[Any]], columns: Sequence[str], value: str, *key: str) -> Counter[Any]:
        counted: Counter[Any] = Counter()
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            counted[tuple(values[column] for column in key)] += values[value]
        return counted

    for query, value, key in (
        ("messages_per_user_per_day", "message_count", ("chat_id", "user_id", "context_date")),
        ("edits_per_user_per_day", "edit_count", ("chat_id", "user_id", "context_date")),
        ("active_users_per_day", "active_users", ("chat_id", "context_date")),
    ):
        columns, rows = answers["plain"][query]
        plain = totals((as_pseudonymised(columns, row) for row in rows), columns, value, *key)
        written = totals(answers["pseudonymised"][query][1], columns, value, *key)
        assert written == plain, query
        assert len(plain) > 1, query


def test_the_per_user_queries_answer_with_pseudonyms_for_the_users_the_plain_lake_names(
    answers: dict[str, dict[str, Any]],
) -> None:
    """Not vacuous: the plain answers hold the real ids, the pseudonymised ones none of them."""
    columns, rows = answers["plain"]["messages_per_user_per_day"]
    real = {dict(zip(columns, row, strict=True))["user_id"] for row in rows}
    written = {
        dict(zip(columns, row, strict=True))["user_id"]
        for row in answers["pseudonymised"]["messages_per_user_per_day"][1]
    }
    assert RENATA["id"] in real
    assert written == {hmac_pseudonym(user_id) for user_id in real}
    assert not real & written
