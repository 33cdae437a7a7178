"""The demo group's history as Telegram Desktop exports it: the two weeks before the bot joined, and its first day.

An admin exports "Dados & Café" (Export chat history, JSON) after the bot's first week: the file holds the
group's earlier messages, which the bot never saw, and the first captured day again, which the bot did.
Records follow docs/desktop-export-format.md: one-space indent, ``date`` in the exporting computer's local
time with ``date_unixtime`` beside it, texts as strings or arrays of entities, names as they are at export
time, members of joins and leaves by name.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram_datalake.demo.sample_chat import CHANNEL, ENGLISH, GROUP, MEMBERS, PORTUGUESE, SampleChat

HISTORY_DAYS = 14
FIRST_WEEK_MESSAGE_ID = 48_212  # the first message id of the sample week (sample_chat's counter + 1)
SEED = 20240903
HEADER = {"name": GROUP["title"], "type": "public_supergroup", "id": -GROUP["id"] - 1_000_000_000_000}
NOT_DOWNLOADED = "(File not included. Change data exporting settings to download.)"
DELETED_ACCOUNT_ID = 6001234567


@dataclass(frozen=True)
class SampleExport:
    """The export's document, and what importing it must give."""

    document: dict[str, Any]
    history_days: tuple[str, ...]  # days only the export has
    rows_per_day: dict[str, int]  # messages rows the import adds to each day (the bot's day: none)
    captured_by_bot: int  # records of messages the bot stored too

    def text(self) -> str:
        """The file as Telegram Desktop writes it: UTF-8, one-space indent, no final newline."""
        return json.dumps(self.document, ensure_ascii=False, indent=1)


def _name(user: Mapping[str, Any]) -> str:
    return " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)


def _plain(text: str) -> list[dict[str, str]]:
    return [{"type": "plain", "text": text}] if text else []


class _History:
    """Records in id order, each a minute or more after the one before."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.records: list[dict[str, Any]] = []

    def record(self, at: datetime, kind: str = "message", **fields: Any) -> dict[str, Any]:
        local = at.astimezone(self.zone).replace(tzinfo=None)
        record = {"id": 0, "type": kind, "date": local.isoformat(timespec="seconds")}
        record["date_unixtime"] = str(int(at.timestamp()))
        record.update(fields)
        self.records.append(record)
        return record

    def say(self, at: datetime, user: Mapping[str, Any], text: Any, **fields: Any) -> dict[str, Any]:
        entities = (
            _plain(text)
            if isinstance(text, str)
            else [part if isinstance(part, dict) else {"type": "plain", "text": part} for part in text]
        )
        sender = {"from": _name(user), "from_id": f"user{user['id']}"}
        return self.record(at, **sender, **fields, text=text, text_entities=entities)

    def service(self, at: datetime, user: Mapping[str, Any], action: str, **fields: Any) -> None:
        self.record(at, "service", actor=_name(user), actor_id=f"user{user['id']}", action=action, **fields)
        self.records[-1].update(text="", text_entities=[])


def _history_day(history: _History, rng: random.Random, day: date, index: int) -> None:
    """One day before the bot: ordinary talk, and on some days a join, a leave, media, an edit, a forward."""
    ana, bruno, carla, david = MEMBERS[:4]
    moments = sorted(rng.sample(range(8 * 60, 23 * 60), rng.randint(9, 16)))
    for minute in moments:
        at = datetime.combine(day, time(minute // 60, minute % 60), history.zone)
        user = rng.choice(MEMBERS[:5] if index < 5 else MEMBERS)  # noqa: PLR2004 - Felipe joins on day 5
        history.say(at, user, rng.choice(PORTUGUESE if user["language_code"] == "pt-br" else ENGLISH))
    evening = datetime.combine(day, time(23, 10), history.zone)
    if index == 0:
        link = {"type": "text_link", "text": "o guia", "href": "https://docs.aws.amazon.com/athena/"}
        history.say(evening, ana, ["Bem-vindos! Leiam ", link, " e ", {"type": "bold", "text": "as regras"}, " 📌"])
    elif index == 2:  # noqa: PLR2004
        history.say(evening, bruno, "", photo=NOT_DOWNLOADED, width=1280, height=960)
        history.records[-1].update(text="Meu setup novo 🖥️", text_entities=_plain("Meu setup novo 🖥️"))
    elif index == 4:  # noqa: PLR2004
        history.service(evening, MEMBERS[5], "join_group_by_link", inviter=_name(ana))
    elif index == 6:  # noqa: PLR2004
        post = history.say(evening, carla, "Novo post no canal: pipelines com Step Functions")
        post["forwarded_from"] = CHANNEL["title"]
    elif index == 8:  # noqa: PLR2004
        edited = history.say(evening, david, "Fixed the typo in the dashboard, thanks!")
        edited.update(edited=edited["date"], edited_unixtime=str(int(evening.timestamp()) + 120))
    elif index == 10:  # noqa: PLR2004
        history.say(evening, {"id": DELETED_ACCOUNT_ID}, "promo imperdível")["from"] = None  # a deleted account
    elif index == 12:  # noqa: PLR2004
        history.service(evening, bruno, "remove_members", members=[_name(bruno)])
        history.service(evening + timedelta(minutes=20), bruno, "join_group_by_request")


def _captured_day(history: _History, sample: SampleChat) -> int:
    """The first day of the sample week as the export has it: the group's text messages the bot stored."""
    first_day = sample.days[0]
    count = 0
    for delivery in sample.deliveries:
        update = delivery.update()
        message = update.get("message") if update is not None and delivery.expected == "stored" else None
        if not isinstance(message, dict) or message["chat"]["id"] != GROUP["id"] or "text" not in message:
            continue
        at = datetime.fromtimestamp(message["date"], history.zone)
        if at.date() != first_day or "from" not in message or message["from"]["is_bot"]:
            continue
        history.say(at, message["from"], message["text"])["id"] = message["message_id"]
        count += 1
    return count


def build_sample_export(sample: SampleChat) -> SampleExport:
    """The export of the sample's group, made after its week; the same for the same sample."""
    zone = ZoneInfo(sample.timezone)
    rng = random.Random(SEED)  # noqa: S311 - sample data
    history = _History(zone)
    days = [sample.days[0] - timedelta(days=HISTORY_DAYS - offset) for offset in range(HISTORY_DAYS)]
    for index, day in enumerate(days):
        _history_day(history, rng, day, index)
    first_id = FIRST_WEEK_MESSAGE_ID - len(history.records)
    for offset, record in enumerate(history.records):
        record["id"] = first_id + offset
    captured = _captured_day(history, sample)
    rows: dict[str, int] = {}
    for record in history.records[: len(history.records) - captured]:
        sent_on = datetime.fromtimestamp(int(record["date_unixtime"]), zone).date().isoformat()
        rows[sent_on] = rows.get(sent_on, 0) + 1
    return SampleExport(
        {**HEADER, "messages": history.records},
        tuple(day.isoformat() for day in days),
        rows,
        captured,
    )
