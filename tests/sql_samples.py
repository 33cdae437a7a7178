"""The sample lake the saved queries are tested on, and every query's exact result on it.

Six days of a supergroup and a channel, as Telegram sends them, written to Parquet by the real ETL code
(flatten, de-duplicate, build, serialise), so the queries are checked against the files Athena will read.
Expected results are worked out by hand from the sample below, never by running SQL. Shared by
``test_sql_queries`` (the queries on DuckDB) and ``test_cli_query`` (the ``query run`` subcommand).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from functions.etl.flatten import flatten_update
from functions.etl.table import build_table, deduplicate, to_parquet
from telegram_datalake.duckdb_engine import QueryResult

DATABASE, TABLE, TIMEZONE = "telegram_datalake", "telegram", "America/Sao_Paulo"
LOCAL = ZoneInfo(TIMEZONE)  # UTC-3 all year: Brazil has had no daylight saving time since 2019
TODAY = datetime.now(UTC).date()  # the date DuckDB's (and Athena's) UTC session calls current_date


def day(days_ago: int) -> date:
    """A partition of the sample lake. Offsets are chosen so a UTC midnight during the run changes nothing."""
    return TODAY - timedelta(days=days_ago)


# ---------------------------------------------------------------------------------------------------------------
# The sample lake: six days of a supergroup and a channel, as Telegram sends them.

GROUP = {"id": -1001987654321, "title": "Dados", "type": "supergroup"}
CHANNEL = {"id": -1001234567890, "title": "Avisos", "type": "channel"}
ANDY = {"id": 321, "is_bot": False, "first_name": "Andy", "last_name": "Souza", "username": "andy"}
ANDRE = {**ANDY, "first_name": "Andre"}  # the same user after renaming himself
BIA = {"id": 654, "is_bot": False, "first_name": "Bia", "language_code": "pt-br"}
CARLOS = {"id": 987, "is_bot": False, "first_name": "Carlos", "language_code": "es"}
GUEST_IDS = list(range(1001, 1010))
GUESTS = [{"id": guest_id, "is_bot": False, "first_name": f"Guest{guest_id - 1000}"} for guest_id in GUEST_IDS]

PHOTO = [
    {"file_id": "AgACAgEAAxkBAAIBZ2", "file_unique_id": "AQADs6", "width": 90, "height": 67, "file_size": 1_280},
    {"file_id": "AgACAgEAAxkBAAIBZ3", "file_unique_id": "AQADs7", "width": 1280, "height": 960, "file_size": 98_304},
]
STICKER = {
    "file_id": "CAACAgIAAxkBAAIBaG",
    "file_unique_id": "AgADzQ",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "emoji": "😂",
}


def sample_updates() -> dict[date, list[dict[str, Any]]]:
    """Each day's updates. Times are local (São Paulo); comments give the UTC time where its day differs."""
    update_ids = itertools.count(500_000_001)
    message_ids: dict[int, Iterator[int]] = {}
    days: dict[date, list[dict[str, Any]]] = {}

    def send(
        days_ago: int,
        at: str,
        sender: Mapping[str, Any] | None,
        content: Mapping[str, Any],
        *,
        chat: Mapping[str, Any] = GROUP,
        kind: str = "message",
    ) -> dict[str, Any]:
        sent = datetime.combine(day(days_ago), time.fromisoformat(at), tzinfo=LOCAL)
        message: dict[str, Any] = {"message_id": next(message_ids.setdefault(chat["id"], itertools.count(1)))}
        if sender is not None:
            message["from"] = dict(sender)
        message.update(chat=dict(chat), date=int(sent.timestamp()), **content)
        update = {"update_id": next(update_ids), kind: message}
        days.setdefault(day(days_ago), []).append(update)
        return update

    send(40, "19:00", CARLOS, {"text": "Um"})
    send(40, "19:30", CARLOS, {"text": "Dois"})
    send(40, "20:30", CARLOS, {"text": "Três"})
    send(31, "10:00", CARLOS, {"text": "Fora da janela"})
    send(29, "10:00", CARLOS, {"text": "Primeira mensagem"})
    for minute, guest in enumerate(GUESTS, start=1):
        send(29, f"10:{minute:02}", guest, {"text": "Olá"})

    send(3, "09:15", ANDY, {"text": "Bom dia"})
    send(3, "09:20", BIA, {"text": "Bom dia, Andre!"})
    send(
        3,
        "12:00",
        None,
        {"text": "Aviso: manutenção às 22h", "sender_chat": CHANNEL},
        chat=CHANNEL,
        kind="channel_post",
    )
    send(3, "23:30", BIA, {"text": "Boa noite"})  # 02:30 UTC, the next day
    send(3, "23:45", ANDY, {"text": "Até logo, turma 👍🏽"})  # 02:45 UTC; 18 code points, 17 graphemes, 22 bytes

    joined = [dict(CARLOS)]
    send(
        2,
        "00:10",
        CARLOS,
        {"new_chat_participant": joined[0], "new_chat_member": joined[0], "new_chat_members": joined},
    )
    greeting = send(2, "00:12", CARLOS, {"text": "Oi pessoal"})  # 03:12 UTC
    send(2, "14:00", BIA, {"photo": PHOTO, "caption": "Foto do evento"})
    send(2, "14:01", BIA, {"sticker": STICKER})
    send(2, "21:00", ANDY, {"text": "👍🏽"})  # 00:00 UTC, the next day
    days[day(2)].append(json.loads(json.dumps(greeting)))  # Telegram re-delivered it: the ETL keeps one

    send(1, "08:00", ANDY, {"text": "Bom dia de novo"})
    send(1, "08:05", ANDRE, {"text": "Alguém aí?"})
    send(1, "08:06", BIA, {"text": "Sim"})
    send(1, "08:07", CARLOS, {"text": "Presente"})
    return days


def write_lake(root: Path) -> dict[date, int]:
    """The sample lake under ``root``, one ``context_date=YYYY-MM-DD/telegram.parquet`` per day, written by
    the ETL's code; returns how many duplicate rows the ETL dropped each day.
    """
    dropped: dict[date, int] = {}
    for context_date, updates in sample_updates().items():
        rows = []
        for update in updates:
            flattened = flatten_update(update)
            assert flattened.row is not None, flattened.reason
            rows.append(flattened.row)
        unique, dropped[context_date] = deduplicate(rows)
        partition = root / f"context_date={context_date.isoformat()}"
        partition.mkdir(parents=True)
        (partition / "telegram.parquet").write_bytes(to_parquet(build_table(unique)))
    return dropped


# ---------------------------------------------------------------------------------------------------------------
# Every query's exact result on the sample lake.


def hours(counts: Mapping[int, int]) -> list[tuple[Any, ...]]:
    """All 24 hours, 0 where ``counts`` has none."""
    return [(hour, counts.get(hour, 0)) for hour in range(24)]


EXPECTED = {
    "messages_per_user_per_day": QueryResult(
        ["user_id", "user_first_name", "context_date", "message_count"],
        [
            (321, "Andre", day(1), 1),  # renamed between his two messages: one row per name
            (321, "Andy", day(1), 1),
            (654, "Bia", day(1), 1),
            (987, "Carlos", day(1), 1),
            (654, "Bia", day(2), 2),  # a photo and a sticker
            (987, "Carlos", day(2), 2),  # joining (service) and a greeting delivered twice, kept once
            (321, "Andy", day(2), 1),
            (321, "Andy", day(3), 2),  # the channel post of day 3 has no user
            (654, "Bia", day(3), 2),
            (987, "Carlos", day(29), 1),
            *[(guest_id, f"Guest{guest_id - 1000}", day(29), 1) for guest_id in GUEST_IDS],
            (987, "Carlos", day(31), 1),
            (987, "Carlos", day(40), 3),
        ],
    ),
    "average_message_length_per_user_per_day": QueryResult(
        ["user_id", "user_first_name", "context_date", "average_message_length"],
        [
            (321, "Andy", day(1), 15),  # "Bom dia de novo"
            (321, "Andre", day(1), 10),  # "Alguém aí?": code points, not bytes
            (987, "Carlos", day(1), 8),
            (654, "Bia", day(1), 3),
            (987, "Carlos", day(2), 10),  # the service message has no text
            (321, "Andy", day(2), 2),  # 👍🏽 is two code points; Bia's photo caption is not text
            (321, "Andy", day(3), 13),  # (7 + 18) / 2 = 12.5, rounded half away from zero (not to even)
            (654, "Bia", day(3), 12),  # (15 + 9) / 2
            (987, "Carlos", day(29), 17),
            *[(guest_id, f"Guest{guest_id - 1000}", day(29), 3) for guest_id in GUEST_IDS],
            (987, "Carlos", day(31), 14),
            (987, "Carlos", day(40), 3),  # (2 + 4 + 4) / 3 = 3.33
        ],
    ),
    "messages_per_day": QueryResult(
        ["context_date", "message_count"],
        [(day(1), 4), (day(2), 5), (day(3), 5), (day(29), 10), (day(31), 1), (day(40), 3)],
    ),
    "active_users_per_day": QueryResult(
        ["context_date", "active_users"],
        [(day(1), 3), (day(2), 3), (day(3), 2), (day(29), 10), (day(31), 1), (day(40), 1)],
    ),
    "activity_by_hour": QueryResult(
        ["hour_of_day", "message_count"],
        hours({0: 2, 8: 4, 9: 2, 10: 11, 12: 1, 14: 2, 19: 2, 20: 1, 21: 1, 23: 2}),
    ),
    "top_users_last_30_days": QueryResult(
        ["user_id", "user_first_name", "message_count"],
        [
            (321, "Andre", 5),  # the name of his latest message, though "Andy" sorts after it
            (654, "Bia", 5),  # tied with 321: the lower id first
            (987, "Carlos", 4),  # days 31 and 40 are outside the window; counted, he would be first
            *[(guest_id, f"Guest{guest_id - 1000}", 1) for guest_id in GUEST_IDS[:7]],  # 10 rows only
        ],
    ),
    "message_types_per_day": QueryResult(
        ["context_date", "message_type", "message_count"],
        [
            (day(1), "text", 4),
            (day(2), "text", 2),
            (day(2), "photo", 1),
            (day(2), "service", 1),
            (day(2), "sticker", 1),
            (day(3), "text", 5),
            (day(29), "text", 10),
            (day(31), "text", 1),
            (day(40), "text", 3),
        ],
    ),
}
