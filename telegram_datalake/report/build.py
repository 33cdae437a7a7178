"""The report's content from its saved queries' rows: a chart, a table and a question per query.

Pure: the rows come in (from Athena or DuckDB, through the same runner as ``query run``) and a
``page.Report`` comes out, so what is drawn and tabled is exactly what the queries returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from matplotlib.figure import Figure

from telegram_datalake.report import charts
from telegram_datalake.report.page import Report, Section
from telegram_datalake.report.period import Period

Rows = Sequence[Sequence[Any]]
CHAT_COLUMNS = 2  # every saved query starts with chat_id and chat_title: the report states them once
EXCERPT = 40  # characters of a message's text shown as its label


@dataclass(frozen=True)
class Chart:
    """One section: the saved query it charts, what it answers, how it draws, and what an empty period says."""

    query: str
    title: str
    question: str
    empty: str
    draw: Callable[[Rows, Period], Figure]  # from the rows without their chat columns


def days_of(period: Period) -> list[date]:
    return [period.start + timedelta(days=offset) for offset in range((period.end - period.start).days + 1)]


def messages_per_day(rows: Rows, period: Period) -> Figure:
    """A bar for every day of the period, 0 for a day without messages (rows: day, count first)."""
    counts = {row[0]: row[1] for row in rows}
    days = days_of(period)
    return charts.per_day(days, [counts.get(day, 0) for day in days], "messages")


def _weekday_hour(rows: Rows, _: Period) -> Figure:
    grid = [[0] * charts.HOURS for _ in charts.WEEKDAYS]
    for weekday, hour, count in rows:
        grid[weekday - 1][hour] = count
    return charts.weekday_hour(grid)


def member_name(user_id: int, first_name: str | None) -> str:
    return first_name or f"user {user_id}"


def _top_members(rows: Rows, _: Period) -> Figure:
    return charts.ranked([member_name(row[0], row[1]) for row in rows], [row[2] for row in rows], "messages")


def _message_types(rows: Rows, _: Period) -> Figure:
    return charts.ranked([row[0] for row in rows], [row[1] for row in rows], "messages")


def _message_length(rows: Rows, _: Period) -> Figure:
    return charts.per_day([row[0] for row in rows], [row[2] for row in rows], "characters, on average")


def _member_growth(rows: Rows, period: Period) -> Figure:
    changes = {row[0]: (row[1], row[2]) for row in rows}
    days = days_of(period)
    joined = [changes.get(day, (0, 0))[0] for day in days]
    return charts.gains_and_losses(days, joined, [changes.get(day, (0, 0))[1] for day in days])


def _retention(rows: Rows, _: Period) -> Figure:
    weeks = [f"week of {row[0].isoformat()} ({row[1]} joined)" for row in rows]
    return charts.shares(weeks, ["week 1", "week 2", "week 3", "week 4"], [list(row[2:6]) for row in rows])


def excerpt(text: str | None) -> str:
    """A message's text on one line, cut to EXCERPT characters; a message without text says so."""
    if not text:
        return "(no text)"
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _most_reacted(rows: Rows, _: Period) -> Figure:
    labels = [f"{member_name(row[2], row[3]) if row[2] else 'the channel'}: {excerpt(row[4])}" for row in rows]
    return charts.ranked(labels, [row[5] for row in rows], "reactions now")


CHARTS = (
    Chart(
        "report_messages_per_day",
        "Messages per day",
        "How many messages did the chat get each day, and from how many members?",
        "No messages in this period.",
        messages_per_day,
    ),
    Chart(
        "report_activity_by_weekday_and_hour",
        "When is the chat active?",
        "How many messages were sent on each weekday at each hour (local time)?",
        "No messages in this period.",
        _weekday_hour,
    ),
    Chart(
        "report_top_members",
        "Most active members",
        "Who sent the most messages in the period?",
        "No member sent a message in this period (only channel posts).",
        _top_members,
    ),
    Chart(
        "report_message_types",
        "Message types",
        "What kinds of messages did the chat get?",
        "No messages in this period.",
        _message_types,
    ),
    Chart(
        "report_message_length_per_day",
        "Average message length",
        "How long were the text messages each day (in characters)?",
        "No text messages in this period.",
        _message_length,
    ),
    Chart(
        "report_member_growth_per_day",
        "Member growth",
        "How many members joined and left each day?",
        "No member joined or left in this period (or the bot is not an admin, so Telegram does not tell it).",
        _member_growth,
    ),
    Chart(
        "report_retention_by_join_week",
        "Retention of new members",
        "Of the members who joined each week, what share posted in each of the next four weeks?",
        "No member joined in this period, so there is no one to follow.",
        _retention,
    ),
    Chart(
        "report_most_reacted_messages",
        "Most reacted messages",
        "Which messages of the period have the most reactions now?",
        "No message of this period has a reaction (or the bot is not an admin, so Telegram does not tell it).",
        _most_reacted,
    ),
)
REPORT_QUERIES = tuple(chart.query for chart in CHARTS)


@dataclass(frozen=True)
class QueryRows:
    """A saved query's answer for the period, and how it was asked: its SQL and the command giving the same rows."""

    columns: Sequence[str]
    rows: Rows
    sql: str
    reproduce: str


def chat_title(rows: Rows, chat_id: int | None) -> str:
    """The chat's latest known title, as the queries give it; its id when it has none (a private chat)."""
    titles = {str(row[1]) for row in rows if row[1]}
    if titles:
        return titles.pop()
    return "Every chat" if chat_id is None else f"Chat {chat_id}"


def headline(results: Mapping[str, QueryRows], period: Period) -> list[tuple[str, str]]:
    """The period's key figures, every one a sum or a pick over the rows the page also shows."""
    per_day = [row[CHAT_COLUMNS:] for row in results["report_messages_per_day"].rows]
    total = sum(row[1] for row in per_day)
    figures = [
        ("messages", f"{total:,}"),
        ("days with messages", f"{len(per_day)} of {len(days_of(period))}"),
    ]
    if per_day:
        busiest = max(per_day, key=lambda row: (row[1], row[0]))
        figures.append(("busiest day", f"{busiest[0].isoformat()} ({busiest[1]:,})"))
    growth = [row[CHAT_COLUMNS:] for row in results["report_member_growth_per_day"].rows]
    figures.append(("members joined", f"{sum(row[1] for row in growth):,}"))
    figures.append(("members left", f"{sum(row[2] for row in growth):,}"))
    return figures


def build(results: Mapping[str, QueryRows], period: Period, timezone: str, note: str = "") -> Report:
    """The page for ``results`` (every query of REPORT_QUERIES, run for ``period``)."""
    messages = results["report_messages_per_day"]
    title = chat_title(messages.rows, period.chat_id)
    if not messages.rows:  # an empty period: said once, instead of empty charts
        return Report(chat=title, period=period.describe(timezone), note=note)
    sections = []
    for chart in CHARTS:
        answer = results[chart.query]
        rows = [tuple(row[CHAT_COLUMNS:]) for row in answer.rows]
        sections.append(
            Section(
                title=chart.title,
                question=chart.question,
                svg=charts.svg(chart.draw(rows, period)) if rows else "",
                columns=list(answer.columns[CHAT_COLUMNS:]),
                rows=rows,
                query_name=chart.query,
                sql=answer.sql,
                reproduce=answer.reproduce,
                empty=chart.empty,
            )
        )
    return Report(
        chat=title, period=period.describe(timezone), sections=sections, note=note, headline=headline(results, period)
    )
