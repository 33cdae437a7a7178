"""``backfill``: (re)build the Parquet files of a range of days with the ETL, one day per invocation.

A day per invocation keeps each run far below Lambda's 15 minutes whatever the range. By default the
deployed ETL function is invoked and its JSON summary read; ``--local`` runs the same handler in this
process, against whatever S3 the environment points at (``AWS_ENDPOINT_URL`` for moto). Rerunning a day
is safe: the ETL rebuilds the day's one Parquet file from the raw objects, which it only reads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors, describe
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.output import FORMATS, Progress, render
from telegram_datalake.saved_queries import OTHER_TABLES

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_lambda.type_defs import InvocationResponseTypeDef

MAX_DAYS = 366  # a guard against a mistyped year; split longer backfills
# Lambda answers 429 (TooManyRequestsException) when the function or the account has no concurrency left,
# e.g. while the daily run holds the ETL's reservation: the invocation never ran, so it is safe to repeat.
THROTTLE_ATTEMPTS = 8
THROTTLE_FIRST_DELAY = 2.0  # seconds; doubles on each retry, up to THROTTLE_MAX_DELAY
THROTTLE_MAX_DELAY = 60.0
THROTTLED_CODES = frozenset({"TooManyRequestsException", "ThrottlingException"})
FUNCTION_TIMEOUT = aws_clients.ETL_FUNCTION_TIMEOUT
READ_TIMEOUT = aws_clients.INVOKE_READ_TIMEOUT  # wait for the function's answer longer than it may run
# rows_written: the messages table's rows; the next three: the other tables' rows; duplicates and bytes_written:
# all four tables'.
COLUMNS = (
    "date",
    "objects_read",
    "rows_written",
    "message_edits",
    "member_events",
    "reactions",
    "skipped",
    "duplicates",
    "updates_without_row",
    "bytes_written",
)
NUMBERS = COLUMNS[1:]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The ETL's environment that --local fills from the Terraform outputs when it is not set.
LOCAL_BUCKETS = (("RAW_BUCKET", "raw_bucket_name"), ("ENRICHED_BUCKET", "enriched_bucket_name"))


class DayFailedError(Exception):
    """The ETL raised for one day: its error type and message, as Lambda reports them."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type, self.message = error_type, message


RunDay = Callable[[str], dict[str, Any]]


@dataclass
class DayResult:
    day: str
    summary: dict[str, Any] | None  # None when the day failed
    error: DayFailedError | None = None


def register(subcommands: Any) -> None:
    """Add ``backfill``."""
    parser = subcommands.add_parser(
        "backfill",
        help="(re)process a range of days with the ETL, one invocation per day",
        description=(
            "Rebuild each day's Parquet file from its raw updates, from --from to --to inclusive: one "
            "invocation of the deployed ETL function per day (or, with --local, its handler in this process). "
            "Reruns are safe: a day's file is replaced, raw objects are only read. Progress goes to stderr, "
            "the table of days (with totals, in the table format) to stdout."
        ),
        epilog=(
            "--local reads RAW_BUCKET, ENRICHED_BUCKET, RAW_PREFIX, ENRICHED_PREFIX, TIMEZONE and MAX_WORKERS "
            "from the environment like the function does; RAW_BUCKET and ENRICHED_BUCKET default to the "
            "Terraform outputs raw_bucket_name and enriched_bucket_name. Exit status: 0 when every day "
            "succeeded, 1 when some failed with --keep-going, 2 on an error."
        ),
    )
    parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day to process")
    parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day to process")
    parser.add_argument(
        "--local",
        action="store_true",
        help="run the ETL handler in this process (S3 from AWS_ENDPOINT_URL/AWS) instead of invoking the function",
    )
    parser.add_argument(
        "--function-name", metavar="NAME", help="the ETL function to invoke (default: output etl_function_name)"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="when a day fails, go on with the next ones and exit with status 1 at the end",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    add_terraform_dir_option(parser)
    parser.set_defaults(handler=backfill_command)


# ---------------------------------------------------------------------------------------------------------------
# Days


def parse_day(text: str, option: str) -> date:
    if not _ISO_DATE.fullmatch(text):
        raise CliError(f"{option} must be a date formatted YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CliError(f"{option} {text} is not a real calendar date") from error


def days_between(start_text: str, end_text: str, *, now: datetime | None = None) -> list[str]:
    """Every day from ``start_text`` to ``end_text`` inclusive; CliError for a bad, reversed or future range."""
    start, end = parse_day(start_text, "--from"), parse_day(end_text, "--to")
    if end < start:
        raise CliError(f"--from {start} is after --to {end}: give the earlier day first")
    latest = ((now or datetime.now(UTC)) + timedelta(hours=14)).date()  # today somewhere on Earth (UTC+14)
    if end > latest:
        raise CliError(f"--to {end} is in the future: there is nothing to process yet")
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise CliError(f"{start}..{end} spans {span} days; backfill at most {MAX_DAYS} days per run")
    return [(start + timedelta(days=offset)).isoformat() for offset in range(span)]


def _summary(result: Any, day: str, source: str) -> dict[str, Any]:
    """The one day's summary of an ETL result ``{"days": [summary]}``; CliError if it is anything else."""
    days = result.get("days") if isinstance(result, dict) else None
    if (
        not isinstance(days, list)
        or len(days) != 1
        or not isinstance(days[0], dict)
        or days[0].get("date") != day
        or not all(isinstance(days[0].get(name, 0), int) for name in NUMBERS)
    ):
        shown = json.dumps(result, default=str)[:300]
        raise CliError(f"{source} answered {shown} for {day}, not the summary of that day: is it the ETL function?")
    summary: dict[str, Any] = days[0]
    return summary


# ---------------------------------------------------------------------------------------------------------------
# Running one day: the deployed function, or its handler in this process


def lambda_client() -> LambdaClient:
    """Lambda with a read timeout above the function's and no botocore retries: an Invoke is never repeated
    silently (only a throttled one, which never ran, is tried again, and says so)."""
    with aws_errors("creating the Lambda client"):
        return aws_clients.lambda_client()


def _throttling(error: ClientError) -> str | None:
    """Lambda's reason when ``error`` is a throttled invocation (it did not run), else None."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code not in THROTTLED_CODES:
        return None
    reason = dict(error.response).get("Reason")  # Lambda's own field of a throttling error
    return f"{code}: {reason}" if reason else code


def _invoke_when_not_throttled(
    client: LambdaClient, function_name: str, day: str, sleep: Callable[[float], None]
) -> InvocationResponseTypeDef:
    """One invocation of ``day``, repeated with a growing wait while Lambda throttles it (it never ran then)."""
    delay = THROTTLE_FIRST_DELAY
    for attempt in range(1, THROTTLE_ATTEMPTS + 1):
        try:
            return client.invoke(
                FunctionName=function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps({"date": day}).encode(),
            )
        except ClientError as error:
            reason = _throttling(error)
            if reason is None or attempt == THROTTLE_ATTEMPTS:
                raise
            wait = delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
            print(
                f"backfill: {day}: Lambda throttled the invocation ({reason}); retrying in {wait:.1f} s",
                file=sys.stderr,
            )
            sleep(wait)
            delay = min(delay * 2, THROTTLE_MAX_DELAY)
    raise AssertionError("unreachable")  # pragma: no cover


def invoke_function(client: LambdaClient, function_name: str, sleep: Callable[[float], None] | None = None) -> RunDay:
    def run(day: str) -> dict[str, Any]:
        action = f"invoking {function_name} for {day}"
        try:
            with aws_errors(action):
                response = _invoke_when_not_throttled(client, function_name, day, sleep or time.sleep)
                payload = response["Payload"].read()
        except CliError as error:
            if isinstance(error.__cause__, ReadTimeoutError):
                waited = aws_clients.BOUNDS["lambda"].read_timeout
                raise CliError(
                    f"{function_name} did not answer for {day} within {waited:g} s; it may still be running: "
                    "check its logs before rerunning that day"
                ) from error
            if isinstance(error.__cause__, ClientError) and _throttling(error.__cause__):
                raise CliError(
                    f"{error}; still throttled after {THROTTLE_ATTEMPTS} attempts: another run may hold the "
                    "function's reserved concurrency, or the account's concurrency is exhausted; rerun from "
                    f"--from {day} later"
                ) from error
            raise
        try:
            result = json.loads(payload or b"null")
        except ValueError:
            result = payload.decode("utf-8", "replace")
        if response.get("FunctionError"):
            details = result if isinstance(result, dict) else {}
            raise DayFailedError(
                str(details.get("errorType") or response["FunctionError"]),
                str(details.get("errorMessage") or result),
            )
        return _summary(result, day, function_name)

    return run


def run_locally() -> RunDay:
    from functions.common.settings import ConfigurationError  # noqa: PLC0415 - only --local needs the ETL
    from functions.etl.handler import lambda_handler  # noqa: PLC0415

    def run(day: str) -> dict[str, Any]:
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the function's JSON log lines; stdout is the table
                result = lambda_handler({"date": day}, None)
        except ConfigurationError as error:
            raise CliError(f"the ETL's settings: {error}") from error
        except (ClientError, BotoCoreError) as error:
            raise CliError(describe(error, f"the ETL for {day}")) from error
        except Exception as error:
            raise DayFailedError(type(error).__name__, str(error)) from error
        return _summary(result, day, "the ETL handler")

    return run


@contextlib.contextmanager
def local_environment(deployment: Deployment) -> Iterator[dict[str, str]]:
    """The ETL's bucket variables, from the Terraform outputs when unset; restored afterwards."""
    filled = {
        variable: deployment.name(None, output, f"set {variable}")
        for variable, output in LOCAL_BUCKETS
        if not os.environ.get(variable, "").strip()
    }
    previous = {variable: os.environ.get(variable) for variable in filled}
    os.environ.update(filled)
    try:
        yield {variable: os.environ[variable] for variable, _ in LOCAL_BUCKETS}
    finally:
        for variable, value in previous.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


# ---------------------------------------------------------------------------------------------------------------
# The command


def backfill_command(arguments: argparse.Namespace) -> int:
    days = days_between(arguments.start, arguments.end)
    deployment = Deployment(arguments.terraform_dir)
    if arguments.local:
        if arguments.function_name:
            raise CliError("--function-name is for invoking the deployed function; leave it out with --local")
        with local_environment(deployment) as buckets:
            target = f"the ETL handler in this process (raw s3://{buckets['RAW_BUCKET']}, "
            target += f"enriched s3://{buckets['ENRICHED_BUCKET']})"
            return _backfill(days, run_locally(), target, arguments)
    function_name = deployment.name(arguments.function_name, "etl_function_name", "pass --function-name")
    return _backfill(days, invoke_function(lambda_client(), function_name), f"function {function_name}", arguments)


def _backfill(days: list[str], run: RunDay, target: str, arguments: argparse.Namespace) -> int:
    print(
        f"backfill: {len(days)} day{'s' if len(days) != 1 else ''}, {days[0]} to {days[-1]}, with {target}",
        file=sys.stderr,
    )
    progress = Progress(len(days), "backfill")
    results: list[DayResult] = []
    for day in days:
        started = time.monotonic()
        try:
            summary = run(day)
        except KeyboardInterrupt:
            _print_table(results, arguments.format)
            print(f"backfill: interrupted during {day}; its invocation may still finish on its own", file=sys.stderr)
            raise
        except CliError:  # AWS or configuration: every later day would fail the same way
            if results:
                _print_table(results, arguments.format)
            raise
        except DayFailedError as error:
            progress.step(f"{day}: FAILED {error}")
            results.append(DayResult(day, None, error))
            if arguments.keep_going:
                continue
            _print_table(results, arguments.format)
            done = "the days before it were processed; " if len(results) > 1 else ""
            raise CliError(
                f"the ETL failed for {day}: {error}; {done}fix the cause and rerun from --from {day} "
                "(or use --keep-going)"
            ) from error
        elapsed = time.monotonic() - started
        progress.step(
            f"{day}: {summary.get('rows_written', 0)} rows from {summary.get('objects_read', 0)} objects "
            f"in {elapsed:.1f} s"
        )
        results.append(DayResult(day, summary))

    _print_table(results, arguments.format)
    failed = [result for result in results if result.error is not None]
    if failed:
        listed = "; ".join(f"{result.day} ({result.error})" for result in failed)
        print(f"backfill: {len(failed)} of {len(results)} days failed: {listed}", file=sys.stderr)
        return 1
    return 0


def _figures(summary: dict[str, Any]) -> tuple[int, ...]:
    """A day's numbers in ``NUMBERS`` order, from its summary (an older function's has no ``tables``)."""
    tables: dict[str, dict[str, Any]] = summary.get("tables") or {}
    others = [tables.get(name) or {} for name in OTHER_TABLES]
    rows = [int(table.get("rows", 0)) for table in others]
    figures = {
        **{name: int(summary.get(name, 0)) for name in NUMBERS},
        **dict(zip(OTHER_TABLES, rows, strict=True)),
    }
    figures["duplicates"] += sum(int(table.get("duplicates", 0)) for table in others)
    figures["bytes_written"] += sum(int(table.get("bytes", 0)) for table in others)
    return tuple(figures[name] for name in NUMBERS)


def _print_table(results: list[DayResult], output_format: str) -> None:
    rows: list[tuple[Any, ...]] = [
        (result.day, *((None,) * len(NUMBERS) if result.summary is None else _figures(result.summary)))
        for result in results
    ]
    if output_format == "table" and rows:
        totals = [sum(row[index] or 0 for row in rows) for index in range(1, len(COLUMNS))]
        rows.append(("total", *totals))
    print(render(COLUMNS, rows, output_format))
