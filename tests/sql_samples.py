"""The sample lake the saved queries are tested on, and every query's exact result on it.

Three chats (a supergroup renamed on the last day, a second supergroup whose members are followed week by
week, and a channel) over ten weeks, laid out as in the enriched bucket: ``telegram/`` (the messages
table, written by the real ETL code from Bot API updates: flatten, de-duplicate, build, serialise) and
``message_edits/``, ``member_events/``, ``reactions/`` (rows as the ETL writes them, built by the ETL's
table code with the ETL's schemas). Expected results are worked out by hand from the sample below, never
by running SQL. Shared by ``test_sql_queries`` (DuckDB), ``test_sql_trino`` (Trino) and ``test_cli_query``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from functions.etl.flatten import Row, flatten_update
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, REACTIONS, TableSpec
from functions.etl.table import build_table, deduplicate, to_parquet

DATABASE, TABLE, TIMEZONE = "telegram_datalake", "telegram", "America/Sao_Paulo"
PREFIX = "telegram"  # the messages table's key prefix: the ETL's default ENRICHED_PREFIX
LOCAL = ZoneInfo(TIMEZONE)  # UTC-3 all year: Brazil has had no daylight saving time since 2019
TODAY = datetime.now(UTC).date()  # the date DuckDB's (and Athena's) UTC session calls current_date
MONDAY = TODAY - timedelta(days=TODAY.weekday())  # this week's first day


def day(days_ago: int) -> date:
    """A partition of the sample lake. Offsets are chosen so a UTC midnight during the run changes nothing."""
    return TODAY - timedelta(days=days_ago)


def week(weeks_ago: int, weekday: int = 0) -> date:
    """A day of an earlier week (0 is this week, weekday 0 its Monday): where the retention story happens.

    The weeks are far from the days above (the first is 6 weeks ago) or hold no message, so whatever
    day of the week the tests run, no week-aligned day changes a day-based answer, nor the reverse.
    """
    return MONDAY - timedelta(weeks=weeks_ago) + timedelta(days=weekday)


def local_time(on: date, at: str) -> datetime:
    return datetime.combine(on, time.fromisoformat(at), tzinfo=LOCAL)


def seconds(on: date, at: str) -> int:
    return int(local_time(on, at).timestamp())


# ---------------------------------------------------------------------------------------------------------------
# The chats and their people.

GROUP_ID, CLUB_ID, CHANNEL_ID = -1001987654321, -1001555000111, -1001234567890  # the order answers list them in
GROUP: dict[str, Any] = {"id": GROUP_ID, "title": "Dados", "type": "supergroup"}
GROUP_TITLE = "Dados & Cia"  # renamed on day(1) at 08:30: only rows of the other tables carry the new title
CLUB: dict[str, Any] = {"id": CLUB_ID, "title": "Clube", "type": "supergroup"}
CHANNEL: dict[str, Any] = {"id": CHANNEL_ID, "title": "Avisos", "type": "channel"}

ANDY = {"id": 321, "is_bot": False, "first_name": "Andy", "last_name": "Souza", "username": "andy"}
ANDRE = {**ANDY, "first_name": "Andre"}  # the same user after renaming himself
BIA = {"id": 654, "is_bot": False, "first_name": "Bia", "language_code": "pt-br"}
CARLOS = {"id": 987, "is_bot": False, "first_name": "Carlos", "language_code": "es"}
GUEST_IDS = list(range(1001, 1010))
GUESTS = [{"id": guest_id, "is_bot": False, "first_name": f"Guest{guest_id - 1000}"} for guest_id in GUEST_IDS]
EVA = {"id": 2001, "is_bot": False, "first_name": "Eva"}
FABIO = {"id": 2002, "is_bot": False, "first_name": "Fábio"}
GIL = {"id": 2003, "is_bot": False, "first_name": "Gil"}
HUGO = {"id": 2004, "is_bot": False, "first_name": "Hugo"}
IRIS = {"id": 2005, "is_bot": False, "first_name": "Iris"}
JOANA = {"id": 2007, "is_bot": False, "first_name": "Joana"}
KAI = {"id": 2009, "is_bot": False, "first_name": "Kai"}

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
CUSTOM_EMOJI_ID = "5368324170671202286"

# ---------------------------------------------------------------------------------------------------------------
# The messages table: Bot API updates, turned into rows by the ETL.


def sample_updates() -> dict[date, list[dict[str, Any]]]:
    """Each day's updates. Times are local (São Paulo); comments give the UTC time where its day differs."""
    update_ids = itertools.count(500_000_001)
    message_ids: dict[int, Iterator[int]] = {CLUB_ID: itertools.count(101)}  # the club's older messages predate the bot
    days: dict[date, list[dict[str, Any]]] = {}

    def send(
        on: date,
        at: str,
        sender: Mapping[str, Any] | None,
        content: Mapping[str, Any],
        *,
        chat: Mapping[str, Any] = GROUP,
        kind: str = "message",
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": next(message_ids.setdefault(chat["id"], itertools.count(1)))}
        if sender is not None:
            message["from"] = dict(sender)
        message.update(chat=dict(chat), date=seconds(on, at), **content)
        update = {"update_id": next(update_ids), kind: message}
        days.setdefault(on, []).append(update)
        return update

    send(day(40), "19:00", CARLOS, {"text": "Um"})
    send(day(40), "19:30", CARLOS, {"text": "Dois"})
    send(day(40), "20:30", CARLOS, {"text": "Três"})
    send(day(31), "10:00", CARLOS, {"text": "Fora da janela"})
    first = send(day(29), "10:00", CARLOS, {"text": "Primeira mensagem"})  # message 5
    for minute, guest in enumerate(GUESTS, start=1):
        send(day(29), f"10:{minute:02}", guest, {"text": "Olá"})  # messages 6 to 14

    send(day(3), "09:15", ANDY, {"text": "Bom dia"})  # 15
    send(day(3), "09:20", BIA, {"text": "Bom dia, Andre!"})  # 16
    send(
        day(3),
        "12:00",
        None,
        {"text": "Aviso: manutenção às 22h", "sender_chat": CHANNEL},
        chat=CHANNEL,
        kind="channel_post",
    )  # the channel's message 1
    send(day(3), "23:30", BIA, {"text": "Boa noite"})  # 17; 02:30 UTC, the next day
    send(
        day(3), "23:45", ANDY, {"text": "Até logo, turma 👍🏽"}
    )  # 18; 02:45 UTC; 18 code points, 17 graphemes, 22 bytes

    send(day(2), "00:10", CARLOS, {"pinned_message": first["message"]})  # 19, a service message
    greeting = send(day(2), "00:12", CARLOS, {"text": "Oi pessoal"})  # 20; 03:12 UTC
    send(day(2), "14:00", BIA, {"photo": PHOTO, "caption": "Foto do evento"})  # 21
    send(day(2), "14:01", BIA, {"sticker": STICKER})  # 22
    send(day(2), "21:00", ANDY, {"text": "👍🏽"})  # 23; 00:00 UTC, the next day
    days[day(2)].append(json.loads(json.dumps(greeting)))  # Telegram re-delivered it: the ETL keeps one

    send(day(1), "08:00", ANDY, {"text": "Bom dia de novo"})  # 24
    send(day(1), "08:05", ANDRE, {"text": "Alguém aí?"})  # 25
    send(day(1), "08:06", BIA, {"text": "Sim"})  # 26
    send(day(1), "08:07", CARLOS, {"text": "Presente"})  # 27

    # The club: Eva, Fábio and Gil join in week 10 (member_events); who of them posts in the weeks after.
    send(week(10, 1), "19:00", EVA, {"text": "Oi, pessoal"}, chat=CLUB)  # 101, the week they joined
    send(week(9), "10:00", EVA, {"text": "Bom dia, clube"}, chat=CLUB)  # 102
    send(week(9), "10:30", FABIO, {"photo": PHOTO, "caption": "Minha bicicleta"}, chat=CLUB)  # 103
    send(week(8), "21:30", EVA, {"text": "Boa noite"}, chat=CLUB)  # 104; 00:30 UTC, the next day
    send(week(7), "10:00", FABIO, {"pinned_message": {"message_id": 102, "chat": CLUB, "date": 0}}, chat=CLUB)  # 105
    send(week(6), "10:00", EVA, {"text": "Oi"}, chat=CLUB)  # 106
    send(week(6), "10:05", FABIO, {"text": "Olá"}, chat=CLUB)  # 107
    send(week(6), "10:10", GIL, {"text": "E aí"}, chat=CLUB)  # 108
    send(week(6, 4), "11:00", ANDY, {"left_chat_member": GIL}, chat=CLUB)  # 109: Andy removed Gil
    send(day(10), "20:00", BIA, {"text": "Oi, clube!"}, chat=CLUB)  # 110: Bia, of the group too, counted apart
    return days


def write_messages(folder: Path) -> dict[date, int]:
    """The messages table in ``folder``, one ``context_date=YYYY-MM-DD/telegram.parquet`` per day, written by
    the ETL's code; returns how many duplicate rows the ETL dropped each day."""
    dropped: dict[date, int] = {}
    for context_date, updates in sample_updates().items():
        rows = []
        for update in updates:
            flattened = flatten_update(update)
            assert flattened.row is not None, flattened.reason
            rows.append(flattened.row)
        unique, dropped[context_date] = deduplicate(rows)
        partition = folder / f"context_date={context_date.isoformat()}"
        partition.mkdir(parents=True)
        (partition / "telegram.parquet").write_bytes(to_parquet(build_table(unique)))
    return dropped


# ---------------------------------------------------------------------------------------------------------------
# The other tables: their rows, column by column, as the ETL writes them.


def _row(spec: TableSpec, values: Mapping[str, Any]) -> tuple[date, Row]:
    """A row of ``spec`` (every column but the derived timestamp; missing ones NULL), with its partition day."""
    unknown = set(values) - set(spec.row_columns)
    assert not unknown, unknown
    local_day = datetime.fromtimestamp(values[spec.seconds_column], LOCAL).date()
    return local_day, tuple(values.get(column) for column in spec.row_columns)


def _chat(chat: Mapping[str, Any], title: str | None = None) -> dict[str, Any]:
    return {"chat_id": chat["id"], "chat_type": chat["type"], "chat_title": title or chat["title"]}


class Updates:
    """Rows of the update tables, each update numbered in the order they are made (per message, in time)."""

    def __init__(self) -> None:
        self._ids = itertools.count(600_000_001)

    def edit(  # noqa: PLR0917 - read as a table of edits below
        self,
        on: date,
        at: str,
        chat: Mapping[str, Any],
        message_id: int,
        sent: int,
        sender: Mapping[str, Any] | None,
        **content: Any,
    ) -> tuple[date, Row]:
        """A message_edits row: the message as it reads after this edit."""
        values = {
            **_chat(chat),
            "message_id": message_id,
            "update_id": next(self._ids),
            "edit_date": seconds(on, at),
            "date": sent,
            "user_id": sender["id"] if sender else None,
            "user_first_name": sender["first_name"] if sender else None,
            "message_type": content.pop("message_type", "text"),
            "update_type": "edited_message" if sender else "edited_channel_post",
            **content,
        }
        return _row(MESSAGE_EDITS, values)

    def member(  # noqa: PLR0917 - read as a table of member events below
        self,
        on: date,
        at: str,
        chat: Mapping[str, Any],
        user: Mapping[str, Any],
        event: str,
        statuses: tuple[str, str] | None,
        actor: Mapping[str, Any],
        *,
        title: str | None = None,
        **extra: Any,
    ) -> tuple[date, Row]:
        """A member_events row; ``statuses`` (old, new) from a chat_member update, None from a service message."""
        values = {
            **_chat(chat, title),
            "user_id": user["id"],
            "user_is_bot": user["is_bot"],
            "user_first_name": user["first_name"],
            "event": event,
            "old_status": statuses[0] if statuses else None,
            "new_status": statuses[1] if statuses else None,
            "actor_user_id": actor["id"],
            "source": "chat_member",
            "update_id": next(self._ids),
            "date": seconds(on, at),
            **extra,
        }
        return _row(MEMBER_EVENTS, values)

    def reaction(
        self,
        on: date,
        at: str,
        chat: Mapping[str, Any],
        message_id: int,
        changes: list[dict[str, Any]],
        *,
        title: str | None = None,
    ) -> list[tuple[date, Row]]:
        """The rows of one message_reaction or message_reaction_count update (``changes``: their own columns)."""
        common = {
            **_chat(chat, title),
            "message_id": message_id,
            "update_id": next(self._ids),
            "date": seconds(on, at),
        }
        return [_row(REACTIONS, {**common, **change}) for change in changes]


def by_user(user: Mapping[str, Any], action: str, emoji: str) -> dict[str, Any]:
    """A message_reaction row's own columns: ``user`` added or removed ``emoji``."""
    return {
        "source": "message_reaction",
        "user_id": user["id"],
        "reaction_type": "emoji",
        "emoji": emoji,
        "action": action,
    }


def total(emoji: str | None, count: int, reaction_type: str | None = "emoji") -> dict[str, Any]:
    """A message_reaction_count row's own columns: ``emoji`` is on the message ``count`` times."""
    return {"source": "message_reaction_count", "reaction_type": reaction_type, "emoji": emoji, "total_count": count}


def update_rows() -> list[tuple[TableSpec, list[tuple[date, Row]]]]:
    """Every row of the three update tables, with its partition day."""
    updates = Updates()
    edit, member, reaction = updates.edit, updates.member, updates.reaction
    edits = [
        edit(day(3), "09:16", GROUP, 15, seconds(day(3), "09:15"), ANDY, text="Bom dia!"),
        edit(day(3), "09:17", GROUP, 15, seconds(day(3), "09:15"), ANDY, text="Bom dia!!"),  # its latest version
        edit(day(3), "09:25", GROUP, 16, seconds(day(3), "09:20"), BIA, text="Bom dia, Andy!"),
        edit(day(2), "00:30", GROUP, 18, seconds(day(3), "23:45"), ANDY, text="Até logo, turma!"),  # a day later
        edit(
            day(2), "14:05", GROUP, 21, seconds(day(2), "14:00"), BIA, caption="Foto do evento 📸", message_type="photo"
        ),
        edit(day(3), "12:05", CHANNEL, 1, seconds(day(3), "12:00"), None, text="Aviso: manutenção às 23h"),
        # A message sent before the bot joined the club: known only by its edit.
        edit(week(8), "09:00", CLUB, 57, seconds(week(12), "09:00"), ANDY, text="Regras do clube (atualizadas)"),
    ]
    joining, leaving = ("left", "member"), ("member", "left")
    members = [
        member(week(10, 1), "12:00", CHANNEL, IRIS, "joined", joining, IRIS),
        member(week(10, 1), "18:00", CLUB, EVA, "joined", joining, EVA, invite_link_name="Site"),
        member(week(10, 1), "18:30", CLUB, FABIO, "joined", joining, FABIO),
        member(week(10, 1), "20:00", CLUB, FABIO, "left", leaving, FABIO),
        member(week(10, 2), "09:00", CLUB, FABIO, "joined", joining, FABIO),  # back the next day: one cohort member
        member(week(10, 3), "09:00", CLUB, GIL, "joined", joining, EVA),  # added by Eva
        member(week(6, 4), "11:00", CLUB, GIL, "kicked", None, ANDY, source="left_chat_member", message_id=109),
        member(week(6, 4), "11:05", CLUB, KAI, "banned", ("left", "kicked"), ANDY),  # was not a member: no departure
        member(week(2, 2), "15:00", CLUB, HUGO, "joined", joining, HUGO),
        member(week(0), "08:00", CLUB, JOANA, "joined", joining, JOANA),
        member(day(1), "09:00", GROUP, GUESTS[0], "left", leaving, GUESTS[0], title=GROUP_TITLE),
        member(day(1), "09:05", GROUP, GUESTS[1], "banned", ("member", "kicked"), ANDY, title=GROUP_TITLE),
        member(day(1), "09:10", GROUP, BIA, "promoted", ("member", "administrator"), ANDY, title=GROUP_TITLE),
        member(day(1), "09:15", GROUP, GUESTS[8], "banned", ("left", "kicked"), ANDY, title=GROUP_TITLE),
    ]
    custom = {"source": "message_reaction", "user_id": ANDY["id"], "reaction_type": "custom_emoji", "action": "added"}
    anonymous = {"source": "message_reaction", "actor_chat_id": GROUP_ID, "reaction_type": "emoji", "action": "added"}
    reactions = [
        *reaction(day(29), "11:00", GROUP, 5, [by_user(BIA, "added", "👍")]),
        *reaction(day(3), "10:00", GROUP, 15, [{**anonymous, "emoji": "😂"}]),  # an anonymous admin, as the group
        *reaction(day(3), "10:30", GROUP, 16, [by_user(BIA, "removed", "👎")]),  # added before the lake: no count
        *reaction(day(2), "15:00", GROUP, 21, [{**custom, "custom_emoji_id": CUSTOM_EMOJI_ID}]),
        *reaction(day(2), "22:00", GROUP, 23, [total("🎉", 1)]),
        *reaction(day(1), "07:00", GROUP, 23, [total(None, 0, reaction_type=None)]),  # none left on it
        *reaction(day(1), "08:10", GROUP, 25, [by_user(BIA, "added", "👍")]),
        *reaction(day(1), "08:11", GROUP, 25, [by_user(CARLOS, "added", "👍"), by_user(CARLOS, "added", "❤")]),
        *reaction(day(1), "08:12", GROUP, 25, [by_user(CARLOS, "removed", "❤"), by_user(CARLOS, "added", "🔥")]),
        *reaction(day(1), "09:00", GROUP, 26, [by_user(ANDY, "added", "❤")], title=GROUP_TITLE),
        *reaction(day(1), "19:00", GROUP, 26, [total("👍", 3), total("❤", 1)], title=GROUP_TITLE),
        *reaction(day(1), "20:00", GROUP, 26, [total("👍", 2)], title=GROUP_TITLE),  # the latest totals
        *reaction(day(3), "13:00", CHANNEL, 1, [total("👍", 5), total("🔥", 2)]),
        *reaction(day(2), "09:00", CHANNEL, 1, [total("👍", 7), total("🔥", 2), total(None, 3, reaction_type="paid")]),
        *reaction(week(9), "11:00", CLUB, 102, [by_user(FABIO, "added", "👍")]),
    ]
    return [(MESSAGE_EDITS, edits), (MEMBER_EVENTS, members), (REACTIONS, reactions)]


def write_update_tables(root: Path) -> None:
    """``root/<table>/context_date=YYYY-MM-DD/<table>.parquet`` for each day a table has rows."""
    for spec, dated_rows in update_rows():
        for context_date, group in itertools.groupby(
            sorted(dated_rows, key=lambda item: item[0]), key=lambda item: item[0]
        ):
            partition = root / spec.name / f"context_date={context_date.isoformat()}"
            partition.mkdir(parents=True)
            rows = [row for _, row in group]
            (partition / f"{spec.name}.parquet").write_bytes(to_parquet(build_table(rows, spec)))


def write_lake(root: Path) -> dict[date, int]:
    """The sample lake under ``root``, laid out as the enriched bucket; returns how many duplicate message
    rows the ETL dropped each day."""
    dropped = write_messages(root / PREFIX)
    write_update_tables(root)
    return dropped
