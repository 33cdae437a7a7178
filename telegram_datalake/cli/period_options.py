"""``--from``, ``--to`` and ``--chat-id``: the period and chat of a report, and of the ``report_*`` queries."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from functions.common.settings import decimal_int64
from telegram_datalake.cli.backfill import parse_day
from telegram_datalake.cli.errors import CliError
from telegram_datalake.report.period import Period

DEFAULT_DAYS = 7  # a report without --from covers the week that ends on --to


def chat_id(text: str) -> int:
    value = decimal_int64(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"must be an integer chat id (a supergroup's starts with -100), got {text!r}")
    return value


def add_period_options(parser: Any, *, first_day: str, last_day: str) -> None:
    """The three options; ``first_day`` and ``last_day`` say what is taken when one is left out."""
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help=f"first day of the period ({first_day})")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help=f"last day of the period ({last_day})")
    parser.add_argument(
        "--chat-id",
        type=chat_id,
        metavar="ID",
        help="only this chat, by its Bot API id; write a negative id as --chat-id=-100... (default: every chat)",
    )


def _period(start: date, end: date, chat_id: int | None) -> Period:
    if end < start:
        raise CliError(f"--from {start} is after --to {end}: give the earlier day first")
    return Period(start, end, chat_id)


def given_period(arguments: argparse.Namespace) -> Period | None:
    """The period ``query run`` binds: both days given, or none of the three options (no period)."""
    if arguments.start is None and arguments.end is None:
        if arguments.chat_id is not None:
            raise CliError("--chat-id narrows a period: pass --from and --to too")
        return None
    if arguments.start is None or arguments.end is None:
        raise CliError("pass both --from and --to: the first and the last day of the period")
    return _period(parse_day(arguments.start, "--from"), parse_day(arguments.end, "--to"), arguments.chat_id)


def report_period(arguments: argparse.Namespace, yesterday: date) -> Period:
    """The report's period: the days given, the week ending on --to, or the week ending ``yesterday``."""
    end = parse_day(arguments.end, "--to") if arguments.end is not None else None
    start = parse_day(arguments.start, "--from") if arguments.start is not None else None
    if end is None:
        end = max(yesterday, start) if start is not None else yesterday
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    return _period(start, end, arguments.chat_id)
