"""``report``: a chat's activity over a period as one self-contained HTML page, and optionally a summary
posted to a Telegram chat.

Every number comes from the ``report_*`` saved queries, run by the same engine code as ``query run``
(Athena, or DuckDB over the enriched bucket's files), so the page and the queries never disagree.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram_datalake.cli.bot_api import TOKEN_HELP, add_bot_api_options, bot_api, telegram_errors
from telegram_datalake.cli.deployed import Deployment
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.period_options import add_period_options, chat_id, report_period
from telegram_datalake.cli.query_engine import DEFAULT_TIMEZONE, RunQuery, add_engine_options, open_engine
from telegram_datalake.report.period import Period
from telegram_datalake.saved_queries import get_query

if TYPE_CHECKING:
    from telegram_datalake.report.build import QueryRows

FIRST_QUERY = "report_messages_per_day"  # run first: it tells which chats the period has


def register(subcommands: Any) -> None:
    """Add ``report``."""
    parser = subcommands.add_parser(
        "report",
        help="a chat's activity as one HTML page of charts (Athena or DuckDB), optionally posted to Telegram",
        description=(
            "Write one HTML file (no network needed to open it, readable on a phone) with the period's messages "
            "per day, a weekday by hour heatmap, the most active members, message types, message length, "
            "member growth and retention, and the most reacted messages: each chart with its numbers and the "
            "saved query behind them (the report_* queries, run as `query run` runs them)."
        ),
        epilog=(
            "Without --chat-id the period must hold a single chat. With --telegram-summary the headline numbers "
            f"and the messages-per-day chart are posted to that chat as a photo. {TOKEN_HELP}."
        ),
    )
    parser.add_argument("--output", type=Path, required=True, metavar="FILE", help="the HTML file to write")
    add_engine_options(parser)
    period = parser.add_argument_group("Period")
    add_period_options(period, first_day="default: 6 days before --to", last_day="default: yesterday in --timezone")
    telegram = parser.add_argument_group("Telegram summary")
    telegram.add_argument(
        "--telegram-summary",
        type=chat_id,
        metavar="CHAT_ID",
        help="also post the headline numbers and a chart to this chat (a negative id: --telegram-summary=-100...)",
    )
    add_bot_api_options(telegram)
    parser.set_defaults(handler=report_command)


def _yesterday(timezone: str) -> date:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise CliError(f"--timezone must be an IANA time zone name, got {timezone!r}") from error
    return datetime.now(zone).date() - timedelta(days=1)


def _one_chat(rows: list[tuple[Any, ...]], period: Period) -> Period:
    """The period narrowed to its only chat (rows of report_messages_per_day: chat_id, chat_title first);
    CliError listing the chats when there are several."""
    if period.chat_id is not None:
        return period
    chats = dict.fromkeys((row[0], row[1]) for row in rows)  # one title per chat: its latest
    if len(chats) > 1:
        listed = ", ".join(f"{chat} ({title or 'no title'})" for chat, title in chats)
        raise CliError(f"the period has messages in {len(chats)} chats: pass --chat-id=ID for one of {listed}")
    if not chats:
        return period
    ((chat_id, _),) = chats
    return Period(period.start, period.end, chat_id)


# The engine options given, passed on to the query run command that reproduces a section.
PASSED_ON = (
    ("--database", "database"),
    ("--table", "table"),
    ("--workgroup", "workgroup"),
    ("--parquet-dir", "parquet_dir"),
    ("--bucket", "bucket"),
    ("--prefix", "prefix"),
)


def _reproduce(name: str, arguments: argparse.Namespace, period: Period) -> str:
    """The ``query run`` command that gives a section's rows."""
    command = ["telegram-datalake", "query", "run", name, "--engine", arguments.engine]
    command += ["--from", period.start.isoformat(), "--to", period.end.isoformat()]
    if period.chat_id is not None:
        command.append(f"--chat-id={period.chat_id}")
    for option, destination in PASSED_ON:
        if getattr(arguments, destination) is not None:
            command += [option, str(getattr(arguments, destination))]
    if arguments.timezone != DEFAULT_TIMEZONE:
        command += ["--timezone", arguments.timezone]
    return shlex.join(command)


def _query_rows(run: RunQuery, arguments: argparse.Namespace, period: Period) -> tuple[dict[str, QueryRows], Period]:
    """Every report query's rows for the period, narrowed to the period's chat when it has only one."""
    from telegram_datalake.report.build import REPORT_QUERIES, QueryRows  # noqa: PLC0415 - the "report" extra

    first = run(get_query(FIRST_QUERY), period)
    period = _one_chat(first.rows, period)
    results = {FIRST_QUERY: QueryRows(first.columns, first.rows, first.sql, _reproduce(FIRST_QUERY, arguments, period))}
    for name in REPORT_QUERIES:
        if name not in results:
            answer = run(get_query(name), period)
            results[name] = QueryRows(answer.columns, answer.rows, answer.sql, _reproduce(name, arguments, period))
    return results, period


def _write(path: Path, text: str) -> None:
    """Write the whole file or nothing: a half-written report must not replace a good one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as file:
        file.write(text)
    umask = os.umask(0)
    os.umask(umask)
    Path(file.name).chmod(0o666 & ~umask)  # as open() would have made it, not the temporary file's 0600
    Path(file.name).replace(path)


def report_command(arguments: argparse.Namespace) -> int:
    try:
        from telegram_datalake.report import build, page, summary  # noqa: PLC0415 - the "report" extra
    except ImportError as error:  # matplotlib is the report extra's
        raise CliError(f"the report needs matplotlib: pip install 'telegram-datalake[report]' ({error})") from None

    period = report_period(arguments, _yesterday(arguments.timezone))
    telegram = bot_api(arguments) if arguments.telegram_summary is not None else None  # before any query runs
    with open_engine(arguments, Deployment(arguments.terraform_dir)) as run:
        results, period = _query_rows(run, arguments, period)

    engine = "Athena" if arguments.engine == "athena" else "DuckDB"
    note = f"Numbers from the saved report_* queries, run on {engine} on {date.today().isoformat()}."
    report = build.build(results, period, arguments.timezone, note)
    html = page.render(report)
    _write(arguments.output, html)
    charted = sum(1 for section in report.sections if section.rows)
    size = len(html.encode()) / 1024
    print(f"report: wrote {arguments.output} ({size:,.0f} KB, {charted} charts) for {report.chat}, {report.period}")

    if telegram is not None:
        if not report.sections:
            print("report: no messages in the period, so no summary was posted to Telegram", file=sys.stderr)
            return 0
        text = summary.caption(report.chat, report.period, report.headline, summary.top_members(results))
        with telegram_errors():
            sent = telegram.send_photo(arguments.telegram_summary, summary.photo(results, period), text)
        message_id = sent.get("message_id") if isinstance(sent, dict) else None
        print(f"report: posted the summary to chat {arguments.telegram_summary} (message {message_id})")
    return 0
