"""Every saved query's exact result on the sample lake of ``tests/sql_samples.py``, worked out by hand.

Chats come in chat_id order: the group (its latest title is the one it was renamed to on day 1, seen only
in member_events and reactions), the club, the channel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from telegram_datalake.duckdb_engine import QueryResult
from telegram_datalake.report.period import Period
from tests.sql_samples import (
    CHANNEL_ID,
    CLUB_ID,
    CUSTOM_EMOJI_ID,
    GROUP_ID,
    GROUP_TITLE,
    GUEST_IDS,
    LOCAL,
    TODAY,
    day,
    sample_updates,
    week,
)

GROUP_CHAT = (GROUP_ID, GROUP_TITLE)
CLUB_CHAT = (CLUB_ID, "Clube")
CHANNEL_CHAT = (CHANNEL_ID, "Avisos")


def hours(counts: Mapping[int, int], chat: tuple[int, str] | None = None) -> list[tuple[Any, ...]]:
    """All 24 hours, 0 where ``counts`` has none; prefixed by the chat's columns when given."""
    return [(*(chat or ()), hour, counts.get(hour, 0)) for hour in range(24)]


def guests(*columns: Any) -> list[tuple[Any, ...]]:
    """The nine guests of day 29 in the group, each with ``columns`` after their id and name."""
    return [(*GROUP_CHAT, guest_id, f"Guest{guest_id - 1000}", *columns) for guest_id in GUEST_IDS]


EXPECTED = {
    "messages_per_user_per_day": QueryResult(
        ["chat_id", "chat_title", "user_id", "user_first_name", "context_date", "message_count"],
        [
            (*GROUP_CHAT, 321, "Andre", day(1), 1),  # renamed between his two messages: one row per name
            (*GROUP_CHAT, 321, "Andy", day(1), 1),
            (*GROUP_CHAT, 654, "Bia", day(1), 1),
            (*GROUP_CHAT, 987, "Carlos", day(1), 1),
            (*GROUP_CHAT, 654, "Bia", day(2), 2),  # a photo and a sticker
            (*GROUP_CHAT, 987, "Carlos", day(2), 2),  # a pin (service) and a greeting delivered twice, kept once
            (*GROUP_CHAT, 321, "Andy", day(2), 1),
            (*GROUP_CHAT, 321, "Andy", day(3), 2),  # the channel post of day 3 is the channel's, with no user
            (*GROUP_CHAT, 654, "Bia", day(3), 2),
            (*GROUP_CHAT, 987, "Carlos", day(29), 1),
            *guests(day(29), 1),
            (*GROUP_CHAT, 987, "Carlos", day(31), 1),
            (*GROUP_CHAT, 987, "Carlos", day(40), 3),
            (*CLUB_CHAT, 654, "Bia", day(10), 1),
            (*CLUB_CHAT, 321, "Andy", week(6, 4), 1),  # removing Gil: a service message
            (*CLUB_CHAT, 2001, "Eva", week(6), 1),
            (*CLUB_CHAT, 2002, "Fábio", week(6), 1),
            (*CLUB_CHAT, 2003, "Gil", week(6), 1),
            (*CLUB_CHAT, 2002, "Fábio", week(7), 1),
            (*CLUB_CHAT, 2001, "Eva", week(8), 1),
            (*CLUB_CHAT, 2001, "Eva", week(9), 1),
            (*CLUB_CHAT, 2002, "Fábio", week(9), 1),
            (*CLUB_CHAT, 2001, "Eva", week(10, 1), 1),
        ],
    ),
    "average_message_length_per_user_per_day": QueryResult(
        ["chat_id", "chat_title", "user_id", "user_first_name", "context_date", "average_message_length"],
        [
            (*GROUP_CHAT, 321, "Andy", day(1), 15),  # "Bom dia de novo"
            (*GROUP_CHAT, 321, "Andre", day(1), 10),  # "Alguém aí?": code points, not bytes
            (*GROUP_CHAT, 987, "Carlos", day(1), 8),
            (*GROUP_CHAT, 654, "Bia", day(1), 3),
            (*GROUP_CHAT, 987, "Carlos", day(2), 10),  # the service message has no text
            (*GROUP_CHAT, 321, "Andy", day(2), 2),  # 👍🏽 is two code points; Bia's photo caption is not text
            (*GROUP_CHAT, 321, "Andy", day(3), 13),  # (7 + 18) / 2 = 12.5, rounded half away from zero (not to even)
            (*GROUP_CHAT, 654, "Bia", day(3), 12),  # (15 + 9) / 2; texts as first sent, not as edited
            (*GROUP_CHAT, 987, "Carlos", day(29), 17),
            *guests(day(29), 3),
            (*GROUP_CHAT, 987, "Carlos", day(31), 14),
            (*GROUP_CHAT, 987, "Carlos", day(40), 3),  # (2 + 4 + 4) / 3 = 3.33
            (*CLUB_CHAT, 654, "Bia", day(10), 10),
            (*CLUB_CHAT, 2003, "Gil", week(6), 4),
            (*CLUB_CHAT, 2002, "Fábio", week(6), 3),
            (*CLUB_CHAT, 2001, "Eva", week(6), 2),
            (*CLUB_CHAT, 2001, "Eva", week(8), 9),
            (*CLUB_CHAT, 2001, "Eva", week(9), 14),  # Fábio's photo that day has a caption, no text
            (*CLUB_CHAT, 2001, "Eva", week(10, 1), 11),
        ],
    ),
    "messages_per_day": QueryResult(
        ["chat_id", "chat_title", "context_date", "message_count"],
        [
            (*GROUP_CHAT, day(1), 4),
            (*GROUP_CHAT, day(2), 5),
            (*GROUP_CHAT, day(3), 4),
            (*GROUP_CHAT, day(29), 10),
            (*GROUP_CHAT, day(31), 1),
            (*GROUP_CHAT, day(40), 3),
            (*CLUB_CHAT, day(10), 1),
            (*CLUB_CHAT, week(6, 4), 1),
            (*CLUB_CHAT, week(6), 3),
            (*CLUB_CHAT, week(7), 1),
            (*CLUB_CHAT, week(8), 1),
            (*CLUB_CHAT, week(9), 2),
            (*CLUB_CHAT, week(10, 1), 1),
            (*CHANNEL_CHAT, day(3), 1),
        ],
    ),
    "active_users_per_day": QueryResult(
        ["chat_id", "chat_title", "context_date", "active_users"],
        [
            (*GROUP_CHAT, day(1), 3),  # Andy and Andre are one user
            (*GROUP_CHAT, day(2), 3),
            (*GROUP_CHAT, day(3), 2),
            (*GROUP_CHAT, day(29), 10),
            (*GROUP_CHAT, day(31), 1),
            (*GROUP_CHAT, day(40), 1),
            (*CLUB_CHAT, day(10), 1),
            (*CLUB_CHAT, week(6, 4), 1),
            (*CLUB_CHAT, week(6), 3),
            (*CLUB_CHAT, week(7), 1),
            (*CLUB_CHAT, week(8), 1),
            (*CLUB_CHAT, week(9), 2),
            (*CLUB_CHAT, week(10, 1), 1),
            # the channel's only message is a post, without a user
        ],
    ),
    "activity_by_hour": QueryResult(
        ["chat_id", "chat_title", "hour_of_day", "message_count"],
        [
            *hours({0: 2, 8: 4, 9: 2, 10: 11, 14: 2, 19: 2, 20: 1, 21: 1, 23: 2}, GROUP_CHAT),
            *hours({10: 6, 11: 1, 19: 1, 20: 1, 21: 1}, CLUB_CHAT),
            *hours({12: 1}, CHANNEL_CHAT),
        ],
    ),
    "top_users_last_30_days": QueryResult(
        ["chat_id", "chat_title", "user_id", "user_first_name", "message_count"],
        [
            (*GROUP_CHAT, 321, "Andre", 5),  # the name of his latest message, though "Andy" sorts after it
            (*GROUP_CHAT, 654, "Bia", 5),  # tied with 321: the lower id first
            (*GROUP_CHAT, 987, "Carlos", 4),  # days 31 and 40 are outside the window; counted, he would be first
            *guests(1)[:7],  # 10 rows per chat only
            (*CLUB_CHAT, 654, "Bia", 1),  # her one message in the club; the club's others are older
            # the channel's post has no user
        ],
    ),
    "message_types_per_day": QueryResult(
        ["chat_id", "chat_title", "context_date", "message_type", "message_count"],
        [
            (*GROUP_CHAT, day(1), "text", 4),
            (*GROUP_CHAT, day(2), "text", 2),
            (*GROUP_CHAT, day(2), "photo", 1),
            (*GROUP_CHAT, day(2), "service", 1),
            (*GROUP_CHAT, day(2), "sticker", 1),
            (*GROUP_CHAT, day(3), "text", 4),
            (*GROUP_CHAT, day(29), "text", 10),
            (*GROUP_CHAT, day(31), "text", 1),
            (*GROUP_CHAT, day(40), "text", 3),
            (*CLUB_CHAT, day(10), "text", 1),
            (*CLUB_CHAT, week(6, 4), "service", 1),
            (*CLUB_CHAT, week(6), "text", 3),
            (*CLUB_CHAT, week(7), "service", 1),
            (*CLUB_CHAT, week(8), "text", 1),
            (*CLUB_CHAT, week(9), "photo", 1),  # tied: by type
            (*CLUB_CHAT, week(9), "text", 1),
            (*CLUB_CHAT, week(10, 1), "text", 1),
            (*CHANNEL_CHAT, day(3), "text", 1),
        ],
    ),
    "member_growth_per_day": QueryResult(
        ["chat_id", "chat_title", "context_date", "members_joined", "members_left", "net_change"],
        [
            # Guest1 left, Guest2 was banned; Bia's promotion and banning Guest9, already out, change nothing
            (*GROUP_CHAT, day(1), 0, 2, -2),
            (*CLUB_CHAT, week(0), 1, 0, 1),  # Joana
            (*CLUB_CHAT, week(2, 2), 1, 0, 1),  # Hugo
            (*CLUB_CHAT, week(6, 4), 0, 1, -1),  # Andy removed Gil (a service message); banning Kai, already out
            (*CLUB_CHAT, week(10, 3), 1, 0, 1),  # Gil, added by Eva
            (*CLUB_CHAT, week(10, 2), 1, 0, 1),  # Fábio, back
            (*CLUB_CHAT, week(10, 1), 2, 1, 1),  # Eva and Fábio joined, Fábio left
            (*CHANNEL_CHAT, week(10, 1), 1, 0, 1),  # Iris subscribed
        ],
    ),
    "retention_by_join_week": QueryResult(
        [
            "chat_id",
            "chat_title",
            "join_week",
            "joined",
            "week_1_share",
            "week_2_share",
            "week_3_share",
            "week_4_share",
        ],
        [
            # The lake's latest day is in this week (Joana's join, on its Monday, or day 1): later weeks are NULL.
            (*CLUB_CHAT, week(0), 1, None, None, None, None),
            (*CLUB_CHAT, week(2), 1, 0.0, 0.0, None, None),  # Hugo never posted
            # Eva, Fábio (joined twice, counted once) and Gil: Eva and Fábio's photo in week 9, Eva in week 8,
            # only Fábio's pin (a service message) in week 7, all three in week 6
            (*CLUB_CHAT, week(10), 3, 0.667, 0.333, 0.0, 1.0),
            (*CHANNEL_CHAT, week(10), 1, 0.0, 0.0, 0.0, 0.0),  # subscribers do not post in a channel
        ],
    ),
    "most_reacted_messages_last_7_days": QueryResult(
        [
            "chat_id",
            "chat_title",
            "message_id",
            "context_date",
            "user_id",
            "user_first_name",
            "message_text",
            "reaction_count",
        ],
        [
            # 👍 from Bia and Carlos, and Carlos's ❤ swapped for 🔥
            (*GROUP_CHAT, 25, day(1), 321, "Andre", "Alguém aí?", 3),
            # Andy's ❤ and the latest anonymous totals (👍 2), not the earlier ones (👍 3, ❤ 1); tied: lower id
            (*GROUP_CHAT, 26, day(1), 654, "Bia", "Sim", 3),
            (*GROUP_CHAT, 15, day(3), 321, "Andy", "Bom dia", 1),  # an anonymous admin's 😂; the text as sent
            (*GROUP_CHAT, 21, day(2), 654, "Bia", "Foto do evento", 1),  # a custom emoji; the caption
            # not listed: message 16 (only a removal: no positive count), 23 (its latest totals are empty),
            # 5 (reacted to, but sent on day 29)
            (*CHANNEL_CHAT, 1, day(3), None, None, "Aviso: manutenção às 22h", 12),  # latest totals: 7 + 2 + 3 paid
        ],
    ),
    "reactions_per_emoji": QueryResult(
        ["chat_id", "chat_title", "reaction_type", "reaction", "reaction_count", "message_count"],
        [
            (*GROUP_CHAT, "emoji", "👍", 5, 3),  # messages 5, 25 (two users) and 26 (anonymous totals)
            (*GROUP_CHAT, "custom_emoji", CUSTOM_EMOJI_ID, 1, 1),  # tied at 1: by type, then by reaction
            (*GROUP_CHAT, "emoji", "❤", 1, 1),  # Andy's on 26; Carlos's on 25 was removed
            (*GROUP_CHAT, "emoji", "🔥", 1, 1),
            (*GROUP_CHAT, "emoji", "😂", 1, 1),
            (*CLUB_CHAT, "emoji", "👍", 1, 1),
            (*CHANNEL_CHAT, "emoji", "👍", 7, 1),
            (*CHANNEL_CHAT, "paid", None, 3, 1),
            (*CHANNEL_CHAT, "emoji", "🔥", 2, 1),
        ],
    ),
    "edits_per_user_per_day": QueryResult(
        ["chat_id", "chat_title", "user_id", "user_first_name", "context_date", "edit_count", "edited_messages"],
        [
            (*GROUP_CHAT, 321, "Andy", day(2), 1, 1),  # message 18 of day 3, edited after midnight
            (*GROUP_CHAT, 654, "Bia", day(2), 1, 1),  # a caption
            (*GROUP_CHAT, 321, "Andy", day(3), 2, 1),  # one message edited twice
            (*GROUP_CHAT, 654, "Bia", day(3), 1, 1),
            (*CLUB_CHAT, 321, "Andy", week(8), 1, 1),
            # the channel's edited post has no user
        ],
    ),
    "latest_message_text": QueryResult(
        [
            "chat_id",
            "chat_title",
            "message_id",
            "context_date",
            "user_id",
            "user_first_name",
            "edit_count",
            "text",
            "caption",
        ],
        [
            (*GROUP_CHAT, 27, day(1), 987, "Carlos", 0, "Presente", None),
            (*GROUP_CHAT, 26, day(1), 654, "Bia", 0, "Sim", None),
            (*GROUP_CHAT, 25, day(1), 321, "Andre", 0, "Alguém aí?", None),
            (*GROUP_CHAT, 24, day(1), 321, "Andy", 0, "Bom dia de novo", None),
            (*GROUP_CHAT, 23, day(2), 321, "Andy", 0, "👍🏽", None),
            (*GROUP_CHAT, 22, day(2), 654, "Bia", 0, None, None),  # a sticker
            (*GROUP_CHAT, 21, day(2), 654, "Bia", 1, None, "Foto do evento 📸"),
            (*GROUP_CHAT, 20, day(2), 987, "Carlos", 0, "Oi pessoal", None),
            (*GROUP_CHAT, 19, day(2), 987, "Carlos", 0, None, None),  # the pin
            (*GROUP_CHAT, 18, day(3), 321, "Andy", 1, "Até logo, turma!", None),
            (*GROUP_CHAT, 17, day(3), 654, "Bia", 0, "Boa noite", None),
            (*GROUP_CHAT, 16, day(3), 654, "Bia", 1, "Bom dia, Andy!", None),
            (*GROUP_CHAT, 15, day(3), 321, "Andy", 2, "Bom dia!!", None),  # the later of its two edits
            *reversed(
                [
                    (*GROUP_CHAT, message_id, day(29), guest_id, f"Guest{guest_id - 1000}", 0, "Olá", None)
                    for message_id, guest_id in enumerate(GUEST_IDS, start=6)
                ]
            ),
            (*GROUP_CHAT, 5, day(29), 987, "Carlos", 0, "Primeira mensagem", None),
            (*GROUP_CHAT, 4, day(31), 987, "Carlos", 0, "Fora da janela", None),
            (*GROUP_CHAT, 3, day(40), 987, "Carlos", 0, "Três", None),
            (*GROUP_CHAT, 2, day(40), 987, "Carlos", 0, "Dois", None),
            (*GROUP_CHAT, 1, day(40), 987, "Carlos", 0, "Um", None),
            (*CLUB_CHAT, 110, day(10), 654, "Bia", 0, "Oi, clube!", None),
            (*CLUB_CHAT, 109, week(6, 4), 321, "Andy", 0, None, None),
            (*CLUB_CHAT, 108, week(6), 2003, "Gil", 0, "E aí", None),
            (*CLUB_CHAT, 107, week(6), 2002, "Fábio", 0, "Olá", None),
            (*CLUB_CHAT, 106, week(6), 2001, "Eva", 0, "Oi", None),
            (*CLUB_CHAT, 105, week(7), 2002, "Fábio", 0, None, None),
            (*CLUB_CHAT, 104, week(8), 2001, "Eva", 0, "Boa noite", None),
            (*CLUB_CHAT, 103, week(9), 2002, "Fábio", 0, None, "Minha bicicleta"),
            (*CLUB_CHAT, 102, week(9), 2001, "Eva", 0, "Bom dia, clube", None),
            (*CLUB_CHAT, 101, week(10, 1), 2001, "Eva", 0, "Oi, pessoal", None),
            (*CLUB_CHAT, 57, None, 321, "Andy", 1, "Regras do clube (atualizadas)", None),  # sent before the lake
            (*CHANNEL_CHAT, 1, day(3), None, None, 1, "Aviso: manutenção às 23h", None),
        ],
    ),
}


# ---------------------------------------------------------------------------------------------------------------
# The report's queries (sql/report_*.sql), each run for a period: what each must agree with.

EVERY_DAY = Period(date(2000, 1, 1), date(2999, 12, 31))  # the whole sample, every chat
# The windows of the two "last N days" queries: from N days before today (UTC, as current_date) onwards.
LAST_30_DAYS = Period(TODAY - timedelta(days=30), date(2999, 12, 31))
LAST_7_DAYS = Period(TODAY - timedelta(days=7), date(2999, 12, 31))
TITLES = dict([GROUP_CHAT, CLUB_CHAT, CHANNEL_CHAT])


def _sent_messages() -> list[tuple[date, dict[str, Any]]]:
    """Every message and channel post of the sample with its partition day, once (the ETL drops re-deliveries)."""
    seen: set[int] = set()
    messages = []
    for on, updates in sample_updates().items():
        for update in updates:
            message = update.get("message") or update.get("channel_post")
            if message is not None and update["update_id"] not in seen:
                seen.add(update["update_id"])
                messages.append((on, message))
    return messages


def _weekday_hour_cells() -> list[tuple[Any, ...]]:
    """Messages per chat, ISO weekday and hour, counted in Python from the sample's local send times."""
    cells: Counter[tuple[int, int, int]] = Counter()
    for _, message in _sent_messages():
        sent = datetime.fromtimestamp(message["date"], LOCAL)
        cells[(message["chat"]["id"], sent.isoweekday(), sent.hour)] += 1
    return [(chat, TITLES[chat], weekday, hour, count) for (chat, weekday, hour), count in sorted(cells.items())]


def _length_per_day() -> list[tuple[Any, ...]]:
    """Text messages per chat and day and their average length in code points, rounded half away from zero."""
    lengths: dict[tuple[int, date], list[int]] = {}
    for on, message in _sent_messages():
        if "text" in message:
            lengths.setdefault((message["chat"]["id"], on), []).append(len(message["text"]))
    return [
        (chat, TITLES[chat], on, len(values), int(Decimal(sum(values)) / len(values) + Decimal("0.5")))
        for (chat, on), values in sorted(lengths.items())
    ]


def _per_day_ascending(name: str) -> list[tuple[Any, ...]]:
    """A per-day query's rows (chat first, then the latest day first) with each chat's days in ascending order."""
    return sorted(EXPECTED[name].rows, key=lambda row: (row[0], row[2]))


def _types_over_the_period() -> list[tuple[Any, ...]]:
    totals: Counter[tuple[int, str]] = Counter()
    for chat, _, _, message_type, count in EXPECTED["message_types_per_day"].rows:
        totals[(chat, message_type)] += count
    return sorted(
        ((chat, TITLES[chat], message_type, count) for (chat, message_type), count in totals.items()),
        key=lambda row: (row[0], -row[3], row[2]),
    )


ACTIVE_USERS = {(row[0], row[2]): row[3] for row in EXPECTED["active_users_per_day"].rows}
REPORT_PERIODS = {
    "report_activity_by_weekday_and_hour": EVERY_DAY,
    "report_member_growth_per_day": EVERY_DAY,
    "report_message_length_per_day": EVERY_DAY,
    "report_message_types": EVERY_DAY,
    "report_messages_per_day": EVERY_DAY,
    "report_most_reacted_messages": LAST_7_DAYS,
    "report_retention_by_join_week": EVERY_DAY,
    "report_top_members": LAST_30_DAYS,
}
EXPECTED |= {
    "report_activity_by_weekday_and_hour": QueryResult(
        ["chat_id", "chat_title", "weekday", "hour_of_day", "message_count"], _weekday_hour_cells()
    ),
    "report_member_growth_per_day": QueryResult(
        EXPECTED["member_growth_per_day"].columns, _per_day_ascending("member_growth_per_day")
    ),
    "report_message_length_per_day": QueryResult(
        ["chat_id", "chat_title", "context_date", "text_messages", "average_message_length"], _length_per_day()
    ),
    "report_message_types": QueryResult(
        ["chat_id", "chat_title", "message_type", "message_count"], _types_over_the_period()
    ),
    "report_messages_per_day": QueryResult(
        [*EXPECTED["messages_per_day"].columns, "active_users"],
        [(*row, ACTIVE_USERS.get((row[0], row[2]), 0)) for row in _per_day_ascending("messages_per_day")],
    ),
    # Over the same windows, the report's queries give the rows of the fixed-window saved queries.
    "report_most_reacted_messages": EXPECTED["most_reacted_messages_last_7_days"],
    "report_retention_by_join_week": EXPECTED["retention_by_join_week"],
    "report_top_members": EXPECTED["top_users_last_30_days"],
}
