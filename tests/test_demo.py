"""``make demo`` end to end: the sample week through the webhook, the ETL and every saved query, locally.

The sample is seeded, so its counts are fixed: they are spelled out here, and the raw objects and Parquet
rows the pipeline leaves are checked against what each kind of delivery must (and must not) produce.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import shutil
import socket
import threading
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from telegram_datalake.cli import main
from telegram_datalake.demo.run import DemoError, run_pipeline
from telegram_datalake.demo.sample_chat import (
    CHANNEL,
    GROUP,
    OTHER_GROUP,
    REDELIVERY,
    Delivery,
    SampleChat,
    build_sample_chat,
)
from telegram_datalake.demo.sample_export import build_sample_export
from telegram_datalake.local.stack import LocalStack, local_stack
from telegram_datalake.report.build import CHARTS, REPORT_QUERIES
from telegram_datalake.saved_queries import list_queries
from tests.browser import ARTIFACTS, PHONE_WIDTH, open_page
from tests.cli_support import serve_process

TIMEZONE = "America/Sao_Paulo"
# The seeded week: requests by outcome, and rows per day, oldest day first.
SENT, STORED, IGNORED, REJECTED = 272, 268, 2, 2
RAW_OBJECTS = 267  # one update was delivered twice
ROWS_PER_DAY = [31, 34, 31, 38, 35, 32, 37]
# The week's rows of the other tables: three edits; Lucas, Giulia and a spam account joining, Lucas leaving,
# the spam account banned, the bot and Carla promoted (four service messages repeat a chat_member update:
# one row each); the reaction changes and the channel's totals.
# The export adds David's edit, Felipe joining by link, Bruno leaving and joining again by request.
TABLE_ROWS = {"message_edits": 4, "member_events": 10, "reactions": 23}
MEMBER_EVENTS = {"joined": 5, "left": 2, "banned": 1, "promoted": 2}
# The exported history: records, those of the week's first day (the bot stored them too), and the rows the
# import adds to each of the 14 days before the week.
EXPORTED, CAPTURED_BY_BOT = 224, 30
IMPORTED_ROWS_PER_DAY = [17, 15, 17, 9, 14, 12, 13, 16, 11, 13, 16, 10, 18, 13]


def yesterday() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)


def updates_with(sample: SampleChat, predicate: Any) -> list[tuple[Delivery, dict[str, Any]]]:
    return [(d, u) for d in sample.deliveries if (u := d.update()) is not None and predicate(u)]


def one_update(sample: SampleChat, predicate: Any) -> dict[str, Any]:
    matches = updates_with(sample, predicate)
    assert len(matches) == 1
    return matches[0][1]


# -- the sample -------------------------------------------------------------------------------------------


def test_sample_is_deterministic_and_ends_yesterday() -> None:
    last_day = date(2025, 3, 9)
    sample = build_sample_chat(last_day, TIMEZONE)
    assert sample == build_sample_chat(last_day, TIMEZONE)
    assert sample.days == tuple(date(2025, 3, day) for day in range(3, 10))
    assert [d.received_at for d in sample.deliveries] == sorted(d.received_at for d in sample.deliveries)
    assert {sample.day_of(d) for d in sample.deliveries} == {day.isoformat() for day in sample.days}
    counts = Counter(d.expected for d in sample.deliveries)
    assert (len(sample.deliveries), counts["stored"], counts["ignored"], counts["rejected"]) == (
        SENT,
        STORED,
        IGNORED,
        REJECTED,
    )
    # Only the timestamps depend on the day.
    other = build_sample_chat(date(2026, 7, 1), TIMEZONE)
    assert [d.expected for d in other.deliveries] == [d.expected for d in sample.deliveries]
    assert list(other.expected_rows_per_day().values()) == ROWS_PER_DAY


def test_sample_covers_what_a_real_group_sends() -> None:
    sample = build_sample_chat(date(2025, 3, 9), TIMEZONE)
    zone = ZoneInfo(TIMEZONE)
    messages = [u["message"] for _, u in updates_with(sample, lambda u: "message" in u)]
    for field in ("photo", "sticker", "voice", "document", "location", "poll", "new_chat_members"):
        assert any(field in message for message in messages), field
    assert any("caption" in message and "photo" in message for message in messages)
    assert any("reply_to_message" in m and "message_thread_id" not in m for m in messages)
    assert any(any(ord(character) > 0xFFFF for character in m.get("text", "")) for m in messages)  # emoji
    assert {m["from"]["language_code"] for m in messages if "language_code" in m["from"]} >= {"pt-br", "en"}
    assert any(m["from"]["is_bot"] for m in messages)

    topic = one_update(sample, lambda u: "forum_topic_created" in u.get("message", {}))["message"]
    in_topic = [m for m in messages if m.get("message_thread_id") == topic["message_id"] and m is not topic]
    assert in_topic
    assert all(m["is_topic_message"] is True for m in in_topic)

    post = one_update(sample, lambda u: "channel_post" in u and "Newsletter" in u["channel_post"]["text"])
    assert "from" not in post["channel_post"]
    assert post["channel_post"]["sender_chat"]["id"] == CHANNEL["id"]
    assert len(updates_with(sample, lambda u: "edited_message" in u)) == 3
    one_update(sample, lambda u: "my_chat_member" in u)
    for kind in ("chat_member", "message_reaction", "message_reaction_count"):
        assert updates_with(sample, lambda u, kind=kind: kind in u), kind
    assert any("left_chat_member" in message for message in messages)

    # Each update arrives a few seconds after it happened, on the same day.
    for delivery, update in updates_with(sample, lambda u: "message" in u and u["message"]["chat"] == GROUP):
        sent = datetime.fromtimestamp(update["message"]["date"], zone)
        if delivery.what != REDELIVERY:
            assert timedelta(0) < delivery.received_at - sent < timedelta(seconds=10)
        assert sample.day_of(delivery) == sent.date().isoformat()

    whats = Counter((d.expected, d.expected_status, d.right_secret) for d in sample.deliveries)
    assert whats[("rejected", 401, False)] == 1
    assert whats[("rejected", 400, True)] == 1
    assert sum(d.update() is None for d in sample.deliveries) == 1  # the malformed body
    assert next(d.body for d in sample.deliveries if d.what == REDELIVERY) in {
        d.body for d in sample.deliveries if d.what != REDELIVERY
    }


# -- the pipeline ------------------------------------------------------------------------------------------


def raw_objects(stack: LocalStack) -> dict[str, bytes]:
    client = stack.s3()
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=stack.raw_bucket)
        keys = [item["Key"] for page in pages for item in page.get("Contents", ())]
        return {key: client.get_object(Bucket=stack.raw_bucket, Key=key)["Body"].read() for key in keys}
    finally:
        client.close()


def parquet_rows(stack: LocalStack, prefix: str = "telegram") -> list[dict[str, Any]]:
    """Every row of one table (its key prefix), with its partition's day."""
    client = stack.s3()
    try:
        listing = client.list_objects_v2(Bucket=stack.enriched_bucket, Prefix=f"{prefix}/")["Contents"]
        rows: list[dict[str, Any]] = []
        for item in sorted(listing, key=lambda item: item["Key"]):
            body = client.get_object(Bucket=stack.enriched_bucket, Key=item["Key"])["Body"].read()
            day = re.search(r"context_date=([0-9-]+)/", item["Key"])
            assert day is not None
            table = pq.read_table(io.BytesIO(body), use_threads=False)  # apache/arrow#34314
            rows += [{**row, "context_date": day[1]} for row in table.to_pylist()]
        return rows
    finally:
        client.close()


def query_sections(output: str) -> dict[str, str]:
    """The text printed for each saved query, by name."""
    parts = re.split(r"^  -- (\S+)$", output.split("\n5. ", 1)[1].split("\n6. ", 1)[0], flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_demo_pipeline_end_to_end(tmp_path: Path) -> None:
    sample = build_sample_chat(yesterday(), TIMEZONE)
    out = io.StringIO()
    with local_stack(
        allowed_chat_ids=sample.allowed_chat_ids, timezone=TIMEZONE, trust_time_header=True, log_level="WARNING"
    ) as stack:
        summary = run_pipeline(stack, sample, out, tmp_path)
        raw = raw_objects(stack)
        rows = parquet_rows(stack)
        events = parquet_rows(stack, "member_events")

    days = [day.isoformat() for day in sample.days]
    history = [(sample.days[0] - timedelta(days=back)).isoformat() for back in range(14, 0, -1)]
    export = build_sample_export(sample)
    imported = {key: body for key, body in raw.items() if "/import/" in key}
    captured = {key: body for key, body in raw.items() if key not in imported}
    assert (summary.sent, summary.stored, summary.ignored, summary.rejected) == (SENT, STORED, IGNORED, REJECTED)
    assert summary.raw_objects == RAW_OBJECTS == len(captured)
    assert (summary.imported_records, summary.captured_by_bot) == (EXPORTED, CAPTURED_BY_BOT)
    assert sorted(imported) == [f"telegram/context_date={day}/import/{GROUP['id']}.json" for day in [*history, days[0]]]
    assert summary.rows_per_day == {
        **dict(zip(history, IMPORTED_ROWS_PER_DAY, strict=True)),
        **dict(zip(days, ROWS_PER_DAY, strict=True)),
    }
    assert summary.rows_per_day == {**export.rows_per_day, **sample.expected_rows_per_day()}
    assert Counter(row["context_date"] for row in rows) == summary.rows_per_day
    assert summary.table_rows == TABLE_ROWS
    assert summary.report == tmp_path / "report.html"
    check_the_demo_report_in_a_browser(summary.report)
    assert Counter(row["event"] for row in events) == MEMBER_EVENTS
    assert_raw_layer(sample, captured, [row for row in rows if row["update_id"]])
    assert_rows(sample, [row for row in rows if row["update_id"]])
    assert_imported(export.text().encode(), imported, [row for row in rows if not row["update_id"]], history)
    assert_query_tables(out.getvalue(), summary.queries, history[0], days[-1])


def assert_imported(export: bytes, filed: dict[str, bytes], rows: list[dict[str, Any]], history: list[str]) -> None:
    """The export's records are in the raw layer as written; its rows are on the days before the bot's."""
    records = export.decode().split("\n  {")[1:]
    kept = "".join(body.decode() for body in filed.values())
    assert all("{" + record.rstrip().rstrip(",").removesuffix("]\n}").rstrip() in kept for record in records)
    assert len(rows) == sum(IMPORTED_ROWS_PER_DAY)
    assert {row["context_date"] for row in rows} == set(history)  # the first captured day keeps the bot's rows
    assert {(row["chat_id"], row["update_type"]) for row in rows} == {(GROUP["id"], "message")}
    assert {row["user_first_name"] for row in rows} >= {"Ana Souza", "David Miller", None}  # None: a deleted account
    assert {row["message_type"] for row in rows} == {"text", "photo", "service"}
    assert sum(row["is_forwarded"] for row in rows) == 1


def assert_raw_layer(sample: SampleChat, raw: dict[str, bytes], rows: list[dict[str, Any]]) -> None:
    # Every raw object is a body that was posted, in its arrival day's partition.
    bodies = {d.body: sample.day_of(d) for d in sample.deliveries if d.expected == "stored"}
    for key, body in raw.items():
        update_id = json.loads(body)["update_id"]
        assert key == f"telegram/context_date={bodies[body]}/{update_id}.json"
    updates = [json.loads(body) for body in raw.values()]

    # The re-delivered update: one object, one row.
    redelivered = json.loads(next(d.body for d in sample.deliveries if d.what == REDELIVERY))["update_id"]
    assert sum(key.endswith(f"/{redelivered}.json") for key in raw) == 1
    assert sum(row["update_id"] == redelivered for row in rows) == 1

    # The chat that is not allowed, the poll results, the forged and the malformed requests left nothing.
    chats = {u[kind]["chat"]["id"] for u in updates for kind in u if isinstance(u[kind], dict) and "chat" in u[kind]}
    assert chats == {GROUP["id"], CHANNEL["id"]}
    assert OTHER_GROUP["id"] not in chats
    assert not any("poll" in update for update in updates)
    assert not any(key.endswith("/1.json") for key in raw)  # the forged update's id

    # The edit is stored raw, and adds no messages row: the row keeps the text as first sent.
    edit = updates_with(sample, lambda u: "edited_message" in u)[0][1]
    assert edit in updates
    assert edit["update_id"] not in {row["update_id"] for row in rows}
    edited_rows = [row for row in rows if row["message_id"] == edit["edited_message"]["message_id"]]
    assert [row["text"] for row in edited_rows] == ["Alguém sabe se o Athena cobra por particão lida?"]


def assert_rows(sample: SampleChat, rows: list[dict[str, Any]]) -> None:
    assert {row["chat_id"] for row in rows} == {GROUP["id"], CHANNEL["id"]}
    # Channel posts have no user, and Telegram forwards each into the group.
    posts = [row for row in rows if row["update_type"] == "channel_post"]
    assert len(posts) == 3
    assert all(row["user_id"] is None and row["chat_type"] == "channel" for row in posts)
    assert [row["user_id"] for row in rows if row["is_forwarded"]] == [777000] * 3
    # The anonymous admin is a bot posting on behalf of the group.
    anonymous = [row for row in rows if row["user_id"] == 1087968824]
    assert [(row["user_is_bot"], row["sender_chat_id"]) for row in anonymous] == [(True, GROUP["id"])]
    # Topic messages keep their thread; their implicit reply to the topic's first message is not a reply.
    topic_id = one_update(sample, lambda u: "forum_topic_created" in u.get("message", {}))["message"]["message_id"]
    in_topic = [row for row in rows if row["message_thread_id"] == topic_id]
    assert len(in_topic) > 1
    assert all(row["reply_to_message_id"] is None for row in in_topic)
    assert any(row["reply_to_message_id"] is not None for row in rows)
    types = {"text", "photo", "sticker", "voice", "document", "location", "poll", "service"}
    assert {row["message_type"] for row in rows} == types


def assert_query_tables(output: str, names: tuple[str, ...], first_day: str, last_day: str) -> None:
    """Every saved query printed its description and a table with rows (the demo itself checks that
    messages_per_day adds up to the ETL's rows, and fails otherwise); they answer across imported and
    captured days."""
    sections = query_sections(output)
    queries = list_queries()
    assert list(sections) == [query.name for query in queries] == list(names)
    for query in queries:
        section = sections[query.name]
        assert query.description.split()[:4] == section.split()[:4]
        assert re.search(r"^  -+(  -+)*$", section, flags=re.MULTILINE), query.name
        assert re.search(r"^  \((\d+ rows?|first 10 of \d+ rows)\)$", section, flags=re.MULTILINE), query.name
    for name in ("member_growth_per_day", "reactions_per_emoji", "edits_per_user_per_day"):
        assert "Dados & Café ☕" in sections[name], name
    assert '"logger"' not in output  # the functions' INFO log lines are quiet
    active = sections["active_users_per_day"]
    assert f"  {last_day}  " in active
    assert f"  {first_day}  " in active


def check_the_demo_report_in_a_browser(report: Path) -> None:
    """The week's report in headless chromium as a phone shows it: no console error, nothing fetched, every
    chart drawn; the page and its screenshot are kept in ARTIFACTS for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report, ARTIFACTS / "demo-report.html")
    check = open_page(report, screenshot=ARTIFACTS / "demo-report.png")
    assert check.errors == ()
    assert check.requests == ()
    assert check.scroll_width <= PHONE_WIDTH
    assert [chart.label for chart in check.charts] == [chart.title for chart in CHARTS]
    for chart in check.charts:
        assert chart.width > 0, chart
        assert chart.height > 0, chart
        assert chart.bbox_width > 0, chart
        assert chart.bbox_height > 0, chart
        assert chart.drawn > 0, chart
    assert (ARTIFACTS / "demo-report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_demo_fails_on_an_unexpected_outcome(tmp_path: Path) -> None:
    sample = build_sample_chat(yesterday(), TIMEZONE)
    stored = next(d for d in sample.deliveries if d.expected == "stored")
    broken = replace(sample, deliveries=(replace(stored, right_secret=False),))  # still expected to be stored
    with (
        local_stack(allowed_chat_ids=sample.allowed_chat_ids, trust_time_header=True) as stack,
        pytest.raises(DemoError, match=r"expected 200 stored, got 401"),
    ):
        run_pipeline(stack, broken, io.StringIO(), tmp_path)


# -- the CLI -----------------------------------------------------------------------------------------------


def test_cli_demo_exits_zero_and_prints_the_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    threads = set(threading.enumerate())
    assert main(["demo", "--output-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    # stderr has only the report command's progress: a line per query
    assert [line.split(" [1/1] ")[0] for line in captured.err.splitlines()] == [
        f"duckdb {name}" for name in REPORT_QUERIES
    ]
    report = tmp_path / "report.html"
    assert captured.out.endswith(f"The report of the week: {report}\n")
    assert report.read_text(encoding="utf-8").count("<figure") == len(REPORT_QUERIES)
    summary = captured.out.split("\n7. Summary\n", 1)[1]
    for label, count in (
        ("updates sent", SENT),
        ("stored", STORED),
        ("ignored", IGNORED),
        ("rejected", REJECTED),
        ("imported", EXPORTED),
        ("messages", sum(ROWS_PER_DAY) + sum(IMPORTED_ROWS_PER_DAY)),
        *((name.replace("_", " "), count) for name, count in TABLE_ROWS.items()),
        ("saved queries", len(list_queries())),
    ):
        assert re.search(rf"^  {label}\s+{count}\s", summary, flags=re.MULTILINE), label
    assert re.search(r"^  total time: \d+\.\d s$", summary, flags=re.MULTILINE)
    assert set(threading.enumerate()) == threads


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_cli_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "127.0.0.1" in capsys.readouterr().out


def test_cli_serve_rejects_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--allowed-chat-ids", "my-group"]) == 2
    assert "--allowed-chat-ids" in capsys.readouterr().err
    assert main(["serve", "--timezone", "Mars/Olympus"]) == 2
    assert "--timezone" in capsys.readouterr().err


def test_cli_serve_reports_a_taken_port(capsys: pytest.CaptureFixture[str]) -> None:
    threads = set(threading.enumerate())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert f"port {port} is in use" in capsys.readouterr().err
    assert set(threading.enumerate()) == threads


def test_cli_serve_runs_until_sigterm() -> None:
    """The real command in a process: it prints a working curl example, then stops cleanly on SIGTERM."""
    with serve_process("--allowed-chat-ids", str(GROUP["id"])) as served:
        url = re.search(r"curl -sS -X POST (\S+)", served.printed)
        secret = re.search(r"X-Telegram-Bot-Api-Secret-Token: ([A-Za-z0-9_-]+)'", served.printed)
        data = re.search(r"--data '(.+)'$", served.printed, flags=re.MULTILINE)
        assert url, served.printed
        assert secret, served.printed
        assert data, served.printed
        assert str(GROUP["id"]) in data[1]

        parts = urlsplit(url[1])
        assert parts.hostname == "127.0.0.1"
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret[1]}
        connection.request("POST", parts.path, body=data[1].encode(), headers=headers)
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"status": "stored"})
        connection.close()
    assert served.process.returncode == 0, served.errors
    assert '"outcome": "stored"' in served.rest  # the function's log line, as in CloudWatch
    assert served.rest.rstrip().endswith("Local stack stopped.")
