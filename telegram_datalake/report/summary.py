"""The report's summary for a Telegram chat: a caption of headline numbers and one chart as a PNG photo.

The photo is the messages-per-day chart: it has no names, since the PNG renderer's fonts have no emoji.
The caption is Bot API HTML, every text from the data escaped, and within Telegram's caption limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from telegram_datalake.report import charts
from telegram_datalake.report.build import CHAT_COLUMNS, QueryRows, member_name, messages_per_day
from telegram_datalake.report.period import Period
from telegram_datalake.telegram_api import CAPTION_LIMIT

TOP_MEMBERS = 3


def caption(title: str, period_text: str, figures: Sequence[tuple[str, str]], top_members: Sequence[str]) -> str:
    """``<b>title</b>``, the period, a line per figure and the most active members, cut to fit the limit."""
    lines = [f"<b>{escape(title, quote=False)}</b>", escape(period_text, quote=False), ""]
    lines += [f"{escape(label.capitalize(), quote=False)}: {escape(value, quote=False)}" for label, value in figures]
    if top_members:
        lines.append("Most active: " + escape(", ".join(top_members), quote=False))
    text = "\n".join(lines)
    while len(text) > CAPTION_LIMIT and len(lines) > 1:  # a long title or names: drop lines from the end
        lines.pop()
        text = "\n".join(lines)
    return text[:CAPTION_LIMIT]


def top_members(results: Mapping[str, QueryRows]) -> list[str]:
    """The period's most active members as ``name (count)``, from the report's own query."""
    rows = [row[CHAT_COLUMNS:] for row in results["report_top_members"].rows[:TOP_MEMBERS]]
    return [f"{member_name(row[0], row[1])} ({row[2]:,})" for row in rows]


def photo(results: Mapping[str, QueryRows], period: Period) -> bytes:
    """The messages-per-day chart of the page, as a PNG."""
    rows = [row[CHAT_COLUMNS:] for row in results["report_messages_per_day"].rows]
    return charts.png(messages_per_day(rows, period))
