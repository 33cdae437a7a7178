"""``make demo``: a generated week of a Telegram group through the whole pipeline, on this machine.

1. starts the local stack: moto's S3 and the webhook server, on loopback (no AWS account needed);
2. posts every delivery of the sample week to the webhook over HTTP, as Telegram would, and checks each
   answer (stored, ignored, rejected) and the raw objects they leave;
3. imports the group's two earlier weeks from a Telegram Desktop export, with the ``import`` command's code;
4. runs the unchanged ETL Lambda handler for each day, imported and captured, and checks the rows it writes;
5. downloads the Parquet partitions and runs every saved query of ``sql/`` on DuckDB, across both;
6. writes the report of the week (the ``report`` command, on DuckDB) and prints its path;
7. prints a summary.

Anything unexpected raises (``DemoError`` for a wrong outcome), so the command exits non-zero.
"""

from __future__ import annotations

import io
import json
import shlex
import shutil
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from functions.etl.config import load_settings
from functions.etl.handler import lambda_handler as etl_handler
from functions.ingest.request import SECRET_HEADER
from telegram_datalake.cli import main as cli_main
from telegram_datalake.cli.import_history import file_export
from telegram_datalake.cli.output import Progress, StreamProgress, render_table
from telegram_datalake.demo.sample_chat import GROUP, Delivery, SampleChat, build_sample_chat
from telegram_datalake.demo.sample_export import HISTORY_DAYS, SampleExport, build_sample_export
from telegram_datalake.duckdb_engine import connect, run_query
from telegram_datalake.local.moto_server import no_proxy_opener
from telegram_datalake.local.stack import DEFAULT_TIMEZONE, LocalStack, local_stack
from telegram_datalake.local.webhook_server import TIME_HEADER
from telegram_datalake.parquet_source import download_tables
from telegram_datalake.report.period import Period
from telegram_datalake.saved_queries import MESSAGES_TABLE, OTHER_TABLES, list_queries, load_schema, render

DATABASE = "telegram_datalake"  # Terraform's name for the Glue database (name_prefix, dashes as underscores)
QUERY_ROWS_SHOWN = 10  # of a result longer than a day's hours; shorter ones are shown whole
QUERY_ROWS_WHOLE = 24
WRONG_SECRET = "not-the-webhook-secret"  # noqa: S105 - what the forged request sends
INDENT = "  "


class DemoError(RuntimeError):
    """The pipeline did not do what the sample week expects of it."""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo did: deliveries by outcome, raw objects, rows per day, queries run, time taken."""

    sent: int
    stored: int
    ignored: int
    rejected: int
    raw_objects: int
    rows_per_day: dict[str, int]
    table_rows: dict[str, int]  # the rows of the tables besides the messages one
    imported_records: int  # in the export, of which ``captured_by_bot`` the bot stored too
    captured_by_bot: int
    queries: tuple[str, ...]
    report: Path  # the HTML report of the week
    seconds: float

    def render(self) -> str:
        rows: list[tuple[str, int, str]] = [
            ("updates sent", self.sent, "over HTTP to the local webhook"),
            ("stored", self.stored, f"{self.raw_objects} raw objects: a re-delivery overwrites its first copy"),
            ("ignored", self.ignored, "a chat that is not allowed, an update without a chat"),
            ("rejected", self.rejected, "a wrong secret token, a malformed body"),
            ("imported", self.imported_records, f"records of the export; {self.captured_by_bot} the bot has too"),
            ("messages", sum(self.rows_per_day.values()), f"rows, in {len(self.rows_per_day)} daily Parquet files"),
            *((f"  {day}", count, "") for day, count in sorted(self.rows_per_day.items())),
            *((name.replace("_", " "), count, "rows") for name, count in self.table_rows.items()),
            ("saved queries", len(self.queries), "run on DuckDB over the Parquet files"),
            ("report", 1, str(self.report)),
        ]
        table = render_table(["", "count", ""], rows).split("\n")[2:-1]  # no header, no footer
        return "\n".join([*table, f"total time: {self.seconds:.1f} s"])


def _write(out: TextIO, text: str = "", indent: str = "") -> None:
    out.write(textwrap.indent(text, indent) + "\n" if text else "\n")
    out.flush()


def _heading(out: TextIO, title: str) -> None:
    _write(out)
    _write(out, title)
    _write(out, "=" * len(title))


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int | None = None) -> str:
    """An aligned table, cut to ``limit`` rows if longer than QUERY_ROWS_WHOLE; the footer says so."""
    if limit is None or len(rows) <= max(limit, QUERY_ROWS_WHOLE):
        return render_table(columns, rows)
    shown = render_table(columns, rows[:limit]).rsplit("\n", 1)[0]
    return f"{shown}\n(first {limit} of {len(rows)} rows)"


def post_delivery(stack: LocalStack, delivery: Delivery) -> tuple[int, str]:
    """POST one delivery to the webhook as Telegram would; the HTTP status and response body."""
    headers = {
        "Content-Type": "application/json",
        SECRET_HEADER: stack.secret_token if delivery.right_secret else WRONG_SECRET,
        TIME_HEADER: str(int(delivery.received_at.timestamp() * 1000)),
    }
    request = urllib.request.Request(stack.webhook_url, data=delivery.body, headers=headers, method="POST")  # noqa: S310
    try:
        with no_proxy_opener().open(request, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def _outcome(body: str) -> str | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer.get("status") if isinstance(answer, dict) else None


def deliver_week(stack: LocalStack, sample: SampleChat, out: TextIO) -> Counter[str]:
    """Stage 2: every delivery over HTTP; each answer must be the expected one. Outcomes by count."""
    _heading(out, f"2. {len(sample.deliveries)} webhook requests, as Telegram makes them, over HTTP")
    progress = Progress(len(sample.deliveries), "posting") if sys.stderr.isatty() else None
    outcomes: Counter[str] = Counter()
    groups: dict[tuple[int, str], list[Any]] = {}
    wrong: list[str] = []
    for delivery in sample.deliveries:
        status, body = post_delivery(stack, delivery)
        outcome = _outcome(body) or "?"
        outcomes[outcome] += 1
        group = groups.setdefault((status, delivery.what), [status, 0, body, delivery.what])
        group[1] += 1
        if (status, outcome) != (delivery.expected_status, delivery.expected):
            wrong.append(
                f"{delivery.what}: expected {delivery.expected_status} {delivery.expected}, got {status} {body}"
            )
        if progress:
            progress.step(f"{status} {outcome}")
    _write(out, _table(["status", "requests", "answer", "what"], list(groups.values())), INDENT)
    if wrong:
        raise DemoError(f"{len(wrong)} unexpected webhook answers:\n" + "\n".join(wrong[:10]))
    return outcomes


def check_raw_objects(stack: LocalStack, sample: SampleChat, out: TextIO) -> int:
    """The raw bucket must hold one object per stored update, in its arrival day's partition, equal to its body."""
    expected: dict[str, bytes] = {}
    for delivery in sample.deliveries:
        update = delivery.update()
        if delivery.expected == "stored" and update is not None:
            key = f"{stack.raw_prefix}/context_date={sample.day_of(delivery)}/{update['update_id']}.json"
            expected[key] = delivery.body
    client = stack.s3()
    try:
        paginator = client.get_paginator("list_objects_v2")
        keys = {
            item["Key"] for page in paginator.paginate(Bucket=stack.raw_bucket) for item in page.get("Contents", ())
        }
        if keys != set(expected):
            missing, extra = sorted(set(expected) - keys), sorted(keys - set(expected))
            raise DemoError(f"raw bucket differs from the sample: missing {missing[:5]}, unexpected {extra[:5]}")
        for key, body in expected.items():
            if client.get_object(Bucket=stack.raw_bucket, Key=key)["Body"].read() != body:
                raise DemoError(f"{key} is not the body that was posted")
    finally:
        client.close()
    _write(out)
    example = f"s3://{stack.raw_bucket}/{stack.raw_prefix}/context_date=YYYY-MM-DD/<update_id>.json"
    _write(out, f"{len(keys)} raw objects, each the request body byte for byte: {example}", INDENT)
    return len(keys)


def import_history(stack: LocalStack, export: SampleExport, out: TextIO) -> None:
    """Stage 3: the export, written to a file as Telegram Desktop would, filed in the raw bucket by ``import``'s
    code: one file per day of the messages' dates, each record as the export wrote it."""
    _heading(out, f"3. The group's history: a Telegram Desktop export of {len(export.document['messages'])} messages")
    with tempfile.TemporaryDirectory(prefix="telegram-datalake-export-") as folder:
        path = Path(folder) / "result.json"
        path.write_text(export.text(), encoding="utf-8")
        with path.open("rb") as file:
            shown = sys.stderr if sys.stderr.isatty() else io.StringIO()  # the bar on a terminal, as import draws it
            progress = StreamProgress(path.stat().st_size, "import", "messages", stream=shown)
            files, skipped = file_export(file, None, load_settings(), progress)
    if skipped or sum(file.records for file in files) != len(export.document["messages"]):
        raise DemoError(f"the import skipped {dict(skipped)} or lost records")
    rows = [(file.day, file.records, file.added, file.total) for file in files]
    _write(out, _table(["context_date", "records", "added", "in raw"], rows, QUERY_ROWS_SHOWN), INDENT)
    _write(out)
    example = f"s3://{stack.raw_bucket}/{stack.raw_prefix}/context_date=YYYY-MM-DD/import/<chat_id>.json"
    _write(out, f"each day's records as exported, in a single-chat export of that day: {example}", INDENT)


def run_etl(
    stack: LocalStack, sample: SampleChat, export: SampleExport, out: TextIO
) -> tuple[dict[str, int], dict[str, int], int]:
    """Stage 4: the ETL handler for each day, as the daily schedule (or a backfill) would run it; messages rows
    per day, the rows of each other table, and the imported records the bot's copies replaced."""
    _heading(out, "4. The ETL turns each day, imported or captured, into one Parquet file per table")
    rows_per_day: dict[str, int] = {}
    week_rows = dict.fromkeys(OTHER_TABLES, 0)
    table: list[tuple[Any, ...]] = []
    captured = 0
    for day in [*export.history_days, *(day.isoformat() for day in sample.days)]:
        summary = etl_handler({"date": day}, None)["days"][0]
        captured += summary["imported"]["captured_by_bot"]
        rows_per_day[summary["date"]] = summary["rows_written"]
        others = summary["tables"]
        for name in OTHER_TABLES:
            week_rows[name] += others[name]["rows"]
        written = summary["bytes_written"] + sum(others[name]["bytes"] for name in OTHER_TABLES)
        table.append(
            (
                summary["date"],
                summary["objects_read"],
                summary["rows_written"],
                summary["imported"]["rows"],
                *(others[name]["rows"] for name in OTHER_TABLES),
                summary["updates_without_row"],
                summary["duplicates"] + sum(others[name]["duplicates"] for name in OTHER_TABLES),
                summary["skipped"],
                round(written / 1024, 1),
            )
        )
    columns = ["context_date", "objects", "messages", "imported", *OTHER_TABLES, "raw only", "dupl.", "skipped", "KiB"]
    _write(out, _table(columns, table), INDENT)
    expected = {**export.rows_per_day, **sample.expected_rows_per_day()}
    if rows_per_day != expected:
        raise DemoError(f"rows per day {rows_per_day} differ from the sample's {expected}")
    if captured != export.captured_by_bot:
        raise DemoError(f"{captured} imported records gave way to the bot's, expected {export.captured_by_bot}")
    empty = [name for name, count in week_rows.items() if not count]
    if empty:
        raise DemoError(f"the week wrote no rows to {', '.join(empty)}")
    _write(out)
    _write(out, f"s3://{stack.enriched_bucket}/<table>/context_date=YYYY-MM-DD/<table>.parquet, one per table", INDENT)
    _write(out, f"(the messages table's prefix: {stack.enriched_prefix!r}; the others: their table's name)", INDENT)
    _write(out, f"{captured} records of the export are messages the bot stored too: the bot's rows stand", INDENT)
    return rows_per_day, week_rows, captured


def run_queries(
    stack: LocalStack, sample: SampleChat, rows_per_day: dict[str, int], lake: Path, out: TextIO
) -> tuple[str, ...]:
    """Stage 5: every table's Parquet files to ``lake``, then every saved query on DuckDB (the report's
    queries for the sample week of the group)."""
    queries, week = list_queries(), week_period(sample)
    _heading(out, f"5. The {len(queries)} saved queries of sql/, on DuckDB over the imported and captured days")
    _write(out, f"(the report_* queries for the sample week of the group: {week.describe(stack.timezone)})", INDENT)
    table_name = load_schema()["table"]
    client = stack.s3()
    shutil.rmtree(lake, ignore_errors=True)
    try:
        files = download_tables(client, stack.enriched_bucket, lake, prefix=stack.enriched_prefix)
    finally:
        client.close()
    with connect(lake, database=DATABASE, table=table_name, prefix=stack.enriched_prefix) as connection:
        for query in queries:
            sql = render(query.template, database=DATABASE, table=table_name, timezone=stack.timezone)
            parameters = week.duckdb_parameters(query.period_filters) if query.period_filters else None
            result = run_query(connection, sql, parameters)
            _write(out)
            _write(out, f"-- {query.name}", INDENT)
            _write(out, textwrap.fill(query.description, width=100), INDENT)
            _write(out)
            _write(out, _table(result.columns, result.rows, QUERY_ROWS_SHOWN), INDENT)
            if not result.rows:
                raise DemoError(f"saved query {query.name} returned no rows")
            if query.name == "messages_per_day":
                _check_messages_per_day(result.rows, rows_per_day)
    if len(files[MESSAGES_TABLE]) != len(rows_per_day):
        raise DemoError(f"{len(files[MESSAGES_TABLE])} messages files downloaded, expected {len(rows_per_day)}")
    return tuple(query.name for query in queries)


def week_period(sample: SampleChat) -> Period:
    """The sample week of the group: what the demo's report covers."""
    return Period(sample.days[0], sample.days[-1], GROUP["id"])


def write_report(stack: LocalStack, sample: SampleChat, lake: Path, report: Path, out: TextIO) -> None:
    """Stage 6: the ``report`` command on the downloaded lake, for the sample week of the group."""
    _heading(out, "6. The report: the week of the group as one HTML page of charts")
    period = week_period(sample)
    arguments = ["report", "--engine", "duckdb", "--parquet-dir", str(lake), "--prefix", stack.enriched_prefix]
    arguments += ["--from", period.start.isoformat(), "--to", period.end.isoformat(), f"--chat-id={period.chat_id}"]
    arguments += ["--timezone", stack.timezone, "--output", str(report)]
    _write(out, "telegram-datalake " + shlex.join(arguments), INDENT)
    out.flush()
    if cli_main(arguments) != 0:
        raise DemoError("the report command failed (its error is above)")
    _write(out, f"open it in a browser: {report.resolve().as_uri()}", INDENT)


def _check_messages_per_day(rows: Sequence[tuple[Any, ...]], rows_per_day: dict[str, int]) -> None:
    """The query's counts (per chat and day) add up, per day, to the rows the ETL wrote."""
    counted: dict[str, int] = {}
    for _chat_id, _title, day, count in rows:
        counted[str(day)] = counted.get(str(day), 0) + count
    if counted != rows_per_day:
        raise DemoError(f"messages_per_day says {counted}, the ETL wrote {rows_per_day}")


def run_pipeline(stack: LocalStack, sample: SampleChat, out: TextIO, output_dir: Path) -> DemoSummary:
    """Stages 2 to 6 on a running ``stack``, leaving the enriched bucket's copy and the report in ``output_dir``;
    the summary (its ``seconds`` cover these stages only)."""
    started = time.perf_counter()
    export = build_sample_export(sample)
    outcomes = deliver_week(stack, sample, out)
    raw_objects = check_raw_objects(stack, sample, out)
    import_history(stack, export, out)
    rows_per_day, table_rows, captured = run_etl(stack, sample, export, out)
    lake, report = output_dir / "enriched", output_dir / "report.html"
    queries = run_queries(stack, sample, rows_per_day, lake, out)
    write_report(stack, sample, lake, report, out)
    return DemoSummary(
        sent=len(sample.deliveries),
        stored=outcomes["stored"],
        ignored=outcomes["ignored"],
        rejected=outcomes["rejected"],
        raw_objects=raw_objects,
        rows_per_day=rows_per_day,
        table_rows=table_rows,
        imported_records=len(export.document["messages"]),
        captured_by_bot=captured,
        queries=queries,
        report=report,
        seconds=time.perf_counter() - started,
    )


def _describe_stack(stack: LocalStack, sample: SampleChat, out: TextIO) -> None:
    _heading(out, "1. The local stack: S3 (moto) and the webhook, on loopback")
    rows = [
        ("S3 endpoint", stack.s3_endpoint),
        ("webhook", f"POST {stack.webhook_url}"),
        ("raw bucket", stack.raw_bucket),
        ("enriched bucket", stack.enriched_bucket),
        ("allowed chats", stack.allowed_chat_ids),
        ("time zone", stack.timezone),
        ("sample week", f"{sample.days[0]} to {sample.days[-1]} (ending yesterday)"),
        ("exported history", f"the {HISTORY_DAYS} days before, and the week's first day"),
    ]
    _write(out, "\n".join(f"{name:<16} {value}" for name, value in rows), INDENT)


def run_demo(
    out: TextIO, output_dir: Path, *, last_day: date | None = None, timezone: str = DEFAULT_TIMEZONE
) -> DemoSummary:
    """The whole demo, printed to ``out``: a local stack, the sample week ending on ``last_day`` (yesterday);
    the enriched bucket's copy and the report are left in ``output_dir``."""
    started = time.perf_counter()
    last_day = last_day or datetime.now(ZoneInfo(timezone)).date() - timedelta(days=1)
    sample = build_sample_chat(last_day, timezone)
    _write(out, "telegram-datalake demo: a week of a Telegram group through the whole pipeline, on this machine")
    # The functions' JSON log lines go to stdout; WARNING keeps only problems (skipped objects, errors).
    with local_stack(
        allowed_chat_ids=sample.allowed_chat_ids, timezone=timezone, trust_time_header=True, log_level="WARNING"
    ) as stack:
        _describe_stack(stack, sample, out)
        summary = run_pipeline(stack, sample, out, output_dir)
    summary = replace(summary, seconds=time.perf_counter() - started)
    _heading(out, "7. Summary")
    _write(out, summary.render(), INDENT)
    _write(out)
    _write(out, "Every stage did what was expected; the local stack has stopped.")
    _write(out, f"The report of the week: {summary.report}")
    return summary
