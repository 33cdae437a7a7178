"""``import``: load a chat's history from Telegram Desktop's JSON export into the lake.

The export is read as a stream (it may run to gigabytes); its records are filed in the raw bucket by the
day of their date, one file per chat and day (``desktop_export.day_files``), then the ETL rebuilds those
days, where imported records become rows like the bot's updates and the bot's copy of a message wins.
Importing again, or an export overlapping another, changes nothing that is already there.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.etl.config import EtlSettings
from functions.etl.export_records import message_of_record
from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors, describe
from telegram_datalake.cli.backfill import DayFailedError, RunDay
from telegram_datalake.cli.deployed import add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.etl_target import etl_target
from telegram_datalake.cli.output import FORMATS, StreamProgress, render
from telegram_datalake.desktop_export.day_files import DayFile, DayFiler, FiledRecord, runs_by_day
from telegram_datalake.desktop_export.json_stream import ExportFormatError
from telegram_datalake.desktop_export.reader import ExportedChat, ExportedMessage, read_export

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

PROGRESS_EVERY = 1024  # records between looks at the clock
COLUMNS = ("date", "records", "added", "changed", "in_raw", "rows", "imported_rows", "captured_by_bot")


def register(subcommands: Any) -> None:
    """Add ``import``."""
    parser = subcommands.add_parser(
        "import",
        help="load a chat's history from a Telegram Desktop export (result.json)",
        description=(
            "Load one chat of a Telegram Desktop JSON export (Export chat history, format JSON) into the lake: "
            "its records are kept unchanged in the raw bucket, one file per day of their date in the pipeline's "
            "TIMEZONE, then the ETL rebuilds those days. A message the bot captured keeps the bot's row. "
            "Importing again adds nothing twice. Progress goes to stderr, the table of days to stdout."
        ),
        epilog=(
            "Without --local, the raw bucket, RAW_PREFIX and TIMEZONE are the deployed ETL function's settings "
            "and that function rebuilds each day. --local reads them from the environment like backfill --local "
            "(RAW_BUCKET and ENRICHED_BUCKET default to the Terraform outputs) and runs the ETL in this process. "
            "Exit status: 0 on success, 1 when the ETL failed for some day, 2 on an error."
        ),
    )
    parser.add_argument("export_file", type=Path, metavar="EXPORT_FILE", help="the export's result.json")
    parser.add_argument(
        "--chat-id",
        type=int,
        metavar="ID",
        help="the chat to load from a full-account export, by its Bot API id (a supergroup's starts with -100)",
    )
    parser.add_argument("--local", action="store_true", help="S3 from AWS_ENDPOINT_URL/AWS and the ETL in-process")
    parser.add_argument("--function-name", metavar="NAME", help="the ETL function (default: output etl_function_name)")
    parser.add_argument("--no-etl", action="store_true", help="only file the records; rebuild the days with backfill")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    add_terraform_dir_option(parser)
    parser.set_defaults(handler=import_command)


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from error


def _dated(
    messages: Iterator[ExportedMessage],
    chats: dict[ExportedChat, dict[str, Any]],
    skipped: Counter[str],
    progress: StreamProgress,
    file: IO[bytes],
) -> Iterator[tuple[FiledRecord, int]]:
    """Each record with its date (its chat added to ``chats``); records with no id or date (an unsupported
    message) are counted by reason."""
    count = 0
    for message in messages:
        chat = chats.get(message.chat) or chats.setdefault(message.chat, message.chat.bot_api_chat())
        bot_api_message = message_of_record(message.record, chat)
        if isinstance(bot_api_message, str):
            skipped[bot_api_message] += 1
            continue
        count += 1
        if not count % PROGRESS_EVERY:
            progress.update(file.tell(), count)
        yield FiledRecord.of(message), bot_api_message["date"]
    progress.finish(file.tell(), count)


def file_export(
    file: IO[bytes], chat_id: int | None, settings: EtlSettings, progress: StreamProgress
) -> tuple[list[DayFile], Counter[str]]:
    """File every record of the export's chat in the raw bucket; the day files written and the records skipped."""
    skipped: Counter[str] = Counter()
    client = aws_clients.s3_client()
    filer = DayFiler(client, settings.raw_bucket, settings.import_key)
    chats: dict[ExportedChat, dict[str, Any]] = {}  # the one chat read, once its first message is
    records = _dated(read_export(file, chat_id), chats, skipped, progress, file)
    try:
        for day, run in runs_by_day(records, settings.timezone):
            filer.file(day, next(iter(chats)), run)
    except ExportFormatError as error:
        written = len(filer.close())
        if written:
            raise CliError(
                f"{error}; {_count(written, 'day file')} written before it: import a complete export again"
            ) from error
        raise CliError(str(error)) from error
    except BaseException:
        filer.close()
        raise
    return filer.close(), skipped


def import_command(arguments: argparse.Namespace) -> int:
    with _open(arguments.export_file) as file, etl_target(arguments) as (settings, run_day):
        size = arguments.export_file.stat().st_size
        progress = StreamProgress(size, "import", "messages")
        try:
            with aws_errors(f"writing to s3://{settings.raw_bucket}"):
                files, skipped = file_export(file, arguments.chat_id, settings, progress)
        except (ClientError, BotoCoreError) as error:
            raise CliError(describe(error, "the import")) from error
        days = _by_day(files)
        _report_filed(files, skipped, settings.timezone)
        summaries, failed = ({}, []) if arguments.no_etl else _rebuild(list(days), run_day)
    print(render(COLUMNS, _rows(days, summaries), arguments.format))
    if arguments.no_etl and days:
        first, last = min(days), max(days)
        print(
            f"import: rebuild those days with: telegram-datalake backfill --from {first} --to {last}", file=sys.stderr
        )
    if failed:
        listed = "; ".join(failed)
        print(
            f"import: the ETL failed for {_count(len(failed), 'day')}: {listed}; rerun them with backfill",
            file=sys.stderr,
        )
        return 1
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _by_day(files: list[DayFile]) -> dict[str, list[DayFile]]:
    days: dict[str, list[DayFile]] = {}
    for file in files:
        days.setdefault(file.day, []).append(file)
    return dict(sorted(days.items()))


def _report_filed(files: list[DayFile], skipped: Counter[str], timezone: ZoneInfo) -> None:
    records = sum(file.records for file in files)
    days = len({file.day for file in files})
    print(
        f"import: {_count(records, 'record')} filed in {_count(days, 'day file')} (days in {timezone.key})",
        file=sys.stderr,
    )
    for reason, count in sorted(skipped.items()):
        print(f"import: skipped {count:,} records: {reason}", file=sys.stderr)


def _rebuild(days: list[str], run_day: RunDay) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The ETL's summary of each day it rebuilt, and the days it failed for (with why)."""
    summaries: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for index, day in enumerate(days, start=1):
        try:
            summaries[day] = run_day(day)
        except DayFailedError as error:
            failed.append(f"{day} ({error})")
        print(f"import: rebuilt {index}/{len(days)} days", end="\r" if sys.stderr.isatty() else "\n", file=sys.stderr)
    return summaries, failed


def _rows(days: dict[str, list[DayFile]], summaries: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for day, files in days.items():
        summary = summaries.get(day)
        imported = (summary or {}).get("imported") or {}
        etl = (
            (None, None, None)
            if summary is None
            else (summary.get("rows_written", 0), imported.get("rows", 0), imported.get("captured_by_bot", 0))
        )
        added, changed = sum(file.added for file in files), sum(file.changed for file in files)
        rows.append((day, sum(file.records for file in files), added, changed, files[-1].total, *etl))
    if len(rows) > 1:
        rows.append(("total", *(_total(row[index] for row in rows) for index in range(1, len(COLUMNS)))))
    return rows


def _total(values: Iterator[Any]) -> int | None:
    numbers = list(values)
    return None if None in numbers else sum(numbers)
