"""The ETL Lambda end to end on moto S3: what it reads, what it writes (and does not), what it returns and logs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError, EndpointConnectionError

from functions.common.s3client import s3_client
from functions.common.settings import ConfigurationError
from functions.etl.config import load_settings
from functions.etl.dates import SCHEDULE_EVENT
from functions.etl.handler import lambda_handler
from functions.etl.raw_reader import update_id_of_key
from functions.etl.schema import TELEGRAM_SCHEMA, UPDATE_TABLES
from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET, TIMEZONE
from tests.etl_support import (
    CHANNEL,
    DAY,
    DAY_START,
    FORUM,
    USER,
    bucket_state,
    enriched_bytes,
    enriched_keys,
    message,
    no_row_update,
    put_raw,
    put_raw_body,
    raw_key,
    read_parquet,
    text_update,
    update,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("etl_env")

OUTPUT_KEY = f"telegram/context_date={DAY}/telegram.parquet"


def run(event: Any) -> list[dict[str, Any]]:
    """Invoke the handler as Lambda does and return its per-day summaries, after a JSON round trip."""
    result = lambda_handler(event, None)
    assert json.loads(json.dumps(result)) == result  # Lambda serialises the return value as JSON
    days: list[dict[str, Any]] = result["days"]
    return days


OTHER_TABLES = [spec.name for spec in UPDATE_TABLES]
NO_OUTPUT = {"rows": 0, "duplicates": 0, "key": None, "bytes": 0, "removed_key": None}


def summary(day: str = DAY, tables: dict[str, dict[str, Any]] | None = None, **counts: Any) -> dict[str, Any]:
    """The expected summary of ``day``; unspecified counters are zero and nothing is written (``tables``: what
    differs from that for the tables besides the messages one)."""
    others = {name: {**NO_OUTPUT, **(tables or {}).get(name, {})} for name in OTHER_TABLES}
    return {
        "date": day,
        "objects_read": 0,
        "rows_written": 0,
        "skipped": 0,
        "duplicates": 0,
        "updates_without_row": 0,
        "output_key": None,
        "bytes_written": 0,
        "removed_key": None,
        "raw_only_updates": {},
        "tables": others,
        "imported": {"objects": 0, "records": 0, "rows": 0, "captured_by_bot": 0, "skipped": 0},
        **counts,
    }


def log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def handler_client() -> S3Client:
    """The client the handler will use (the container-wide cached one), to inject failures into."""
    settings = load_settings()
    return s3_client(settings.call_limits, settings.max_workers)


def test_writes_the_day_as_one_parquet_file_with_exact_schema_and_values(
    s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """One file per day at a fixed key; one row per message or channel post, deduplicated and sorted."""
    forum_reply = message(
        31, chat=FORUM, date=DAY_START + 7200, text="Resposta", message_thread_id=7, is_topic_message=True
    )
    forum_reply["reply_to_message"] = message(30, chat=FORUM, message_thread_id=7, is_topic_message=True, text="?")
    photo = message(11, date=DAY_START + 60, photo=[{"file_id": "AgAC", "file_unique_id": "AQAD"}], caption="📷")
    post = message(5, chat=CHANNEL, sender=None, sender_chat=CHANNEL, date=DAY_START + 60, text="Aviso")
    forwarded = {"type": "user", "sender_user": USER, "date": DAY_START}
    updates = [
        text_update(1001, "Bom dia", message_id=10, date=DAY_START + 3600),
        update(1002, photo),
        update(2**32 + 3, post, "channel_post"),
        update(1004, {**forum_reply, "forward_origin": forwarded}),
        no_row_update(1005, "edited_message"),
        no_row_update(1006, "my_chat_member"),
        text_update(1007, "Bom dia (re-entregue)", message_id=10, date=DAY_START + 3600),
    ]
    for item in updates:
        put_raw(s3, DAY, item)
    put_raw(s3, "2023-12-31", text_update(900))  # neighbouring days are not part of this one
    put_raw(s3, "2024-01-02", text_update(2000))
    raw_before = bucket_state(s3, RAW_BUCKET)

    days = run({"date": DAY})

    body = enriched_bytes(s3, OUTPUT_KEY)
    edits_key, members_key = (f"{table}/context_date={DAY}/{table}.parquet" for table in OTHER_TABLES[:2])
    written = {
        "message_edits": {"rows": 1, "key": edits_key, "bytes": len(enriched_bytes(s3, edits_key))},
        "member_events": {"rows": 1, "key": members_key, "bytes": len(enriched_bytes(s3, members_key))},
    }
    expected = summary(tables=written, objects_read=7, rows_written=4, duplicates=1)
    assert days == [{**expected, "output_key": OUTPUT_KEY, "bytes_written": len(body)}]
    assert enriched_keys(s3) == sorted([OUTPUT_KEY, edits_key, members_key])
    head = s3.head_object(Bucket=ENRICHED_BUCKET, Key=OUTPUT_KEY)
    assert head["ContentType"] == "application/vnd.apache.parquet"
    assert bucket_state(s3, RAW_BUCKET) == raw_before  # raw objects are only read

    table = read_parquet(s3, OUTPUT_KEY)
    assert table.schema.equals(TELEGRAM_SCHEMA)
    assert "context_date" not in table.column_names
    user = {
        "user_id": 321,
        "user_is_bot": False,
        "user_first_name": "Andre",
        "user_last_name": "Souza",
        "user_username": "andre",
        "user_language_code": "pt-br",
    }
    no_user = dict.fromkeys(user)
    common = {"caption": None, "sender_chat_id": None, "message_thread_id": None, "reply_to_message_id": None}
    group = {"chat_id": -789, "chat_type": "group", "chat_title": "Dados", "update_type": "message"}

    def sent(seconds: int) -> dict[str, Any]:
        return {
            "date": DAY_START + seconds,
            "sent_at": datetime(2024, 1, 1, 3, tzinfo=UTC) + timedelta(seconds=seconds),
        }

    assert table.to_pylist() == [
        {**no_user, **common, **sent(60), "message_id": 5, "update_id": 2**32 + 3, "message_type": "text",
         "chat_id": CHANNEL["id"], "chat_type": "channel", "chat_title": "Avisos", "update_type": "channel_post",
         "text": "Aviso", "sender_chat_id": CHANNEL["id"], "is_forwarded": False},
        {**user, **common, **group, **sent(60), "message_id": 11, "update_id": 1002, "message_type": "photo",
         "text": None, "caption": "📷", "is_forwarded": False},
        {**user, **common, **group, **sent(3600), "message_id": 10, "update_id": 1001, "message_type": "text",
         "text": "Bom dia", "is_forwarded": False},
        {**user, **common, **sent(7200), "message_id": 31, "update_id": 1004, "message_type": "text",
         "chat_id": FORUM["id"], "chat_type": "supergroup", "chat_title": "Forum", "update_type": "message",
         "text": "Resposta", "message_thread_id": 7, "reply_to_message_id": 30, "is_forwarded": True},
    ]  # fmt: skip
    # Logs are for operators: the summary is logged, message texts never are.
    out = capsys.readouterr().out
    processed = [line for line in log_lines(out) if line["message"] == "day processed"]
    assert len(processed) == 1
    assert processed[0].items() >= days[0].items()
    assert "Bom dia" not in out
    assert "Aviso" not in out


def test_rerun_writes_identical_bytes(s3: S3Client) -> None:
    """A rerun (retry, backfill, manual fix) replaces the file with the very same bytes: no churn, no drift."""
    for update_id in range(1, 40):
        put_raw(s3, DAY, text_update(update_id, f"mensagem {update_id} ✅", date=DAY_START + update_id % 7))
    first = run({"date": DAY})
    first_bytes = enriched_bytes(s3, OUTPUT_KEY)
    assert run({"date": DAY}) == first
    assert enriched_bytes(s3, OUTPUT_KEY) == first_bytes
    assert enriched_keys(s3) == [OUTPUT_KEY]


@pytest.mark.parametrize(
    "kinds",
    [
        pytest.param((), id="no-objects"),
        pytest.param(("callback_query", "poll_answer", "callback_query"), id="raw-only-updates"),
    ],
)
def test_day_without_rows_writes_nothing_and_succeeds(s3: S3Client, kinds: tuple[str, ...]) -> None:
    """A quiet day is normal: no empty file, no error, and the summary counts the raw-only updates by type."""
    for update_id, kind in enumerate(kinds, start=1):
        put_raw(s3, DAY, no_row_update(update_id, kind))
    put_raw(s3, "2024-01-02", text_update(1))  # the next day's messages do not belong to this one
    by_type = {kind: kinds.count(kind) for kind in sorted(set(kinds))}
    assert run({"date": DAY}) == [
        summary(objects_read=len(kinds), updates_without_row=len(kinds), raw_only_updates=by_type)
    ]
    assert enriched_keys(s3) == []


def test_a_rebuild_without_rows_removes_the_earlier_file(s3: S3Client) -> None:
    """The raw objects are gone (expired, deleted by an admin): the day's output is what they give, nothing."""
    keys = [put_raw(s3, DAY, text_update(update_id)) for update_id in (1, 2)]
    assert run({"date": DAY})[0]["rows_written"] == 2
    for key in keys:
        s3.delete_object(Bucket=RAW_BUCKET, Key=key)

    assert run({"date": DAY}) == [summary(removed_key=OUTPUT_KEY)]

    assert enriched_keys(s3) == []
    assert run({"date": DAY}) == [summary()]  # nothing left to remove


def test_a_message_moved_to_the_day_before_is_counted_on_one_day_only(s3: S3Client) -> None:
    """A re-delivery first stored the day before makes the later day's copy a duplicate: its file must go."""
    previous_day = "2023-12-31"
    put_raw(s3, DAY, text_update(7, date=DAY_START - 30))
    assert run({"date": DAY})[0]["rows_written"] == 1
    put_raw(s3, previous_day, text_update(7, date=DAY_START - 30))  # e.g. restored from a backup

    assert run({"date": DAY}) == [summary(objects_read=1, duplicates=1, removed_key=OUTPUT_KEY)]
    [written] = run({"date": previous_day})

    assert enriched_keys(s3) == [written["output_key"]] == [f"telegram/context_date={previous_day}/telegram.parquet"]
    assert read_parquet(s3, written["output_key"]).column("update_id").to_pylist() == [7]


def test_a_quiet_day_adds_no_delete_marker_and_other_files_stay(s3: S3Client) -> None:
    """Only the day's own file is removed; a day that never had one leaves no trace in the versioned bucket."""
    s3.put_bucket_versioning(Bucket=ENRICHED_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    neighbours = [f"telegram/context_date={DAY}/telegram.parquet.bak", f"telegram/context_date={DAY}/notes.txt"]
    for key in neighbours:
        s3.put_object(Bucket=ENRICHED_BUCKET, Key=key, Body=b"kept")

    assert run({"date": DAY}) == [summary()]

    versions = s3.list_object_versions(Bucket=ENRICHED_BUCKET)
    assert versions.get("DeleteMarkers", []) == []
    assert enriched_keys(s3) == sorted(neighbours)


def test_reads_every_page_of_a_large_day(s3: S3Client) -> None:
    """S3 lists at most 1,000 keys a page: a busy day must not silently lose the rest."""
    count = 1_100
    for update_id in range(1, count + 1):
        put_raw(s3, DAY, text_update(update_id, date=DAY_START + update_id))
    assert run({"date": DAY}) == [
        summary(
            objects_read=count,
            rows_written=count,
            output_key=OUTPUT_KEY,
            bytes_written=len(enriched_bytes(s3, OUTPUT_KEY)),
        )
    ]
    table = read_parquet(s3, OUTPUT_KEY)
    assert table.column("update_id").to_pylist() == list(range(1, count + 1))


def test_invalid_objects_are_skipped_logged_and_left_in_place(s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    """One bad object must not cost the day: it is skipped, its key logged for an operator, raw untouched."""
    bad = {
        "not-json": b"<html>502 Bad Gateway</html>",
        "empty": b"",
        "not-utf8": b'{"update_id": 5, "message": "\xff\xfe"}',
        "array": b"[1, 2, 3]",
        "no-update_id": b'{"message": {"message_id": 1, "chat": {"id": -789}, "date": 1704078000}}',
        "no-message_id": json.dumps(update(6, {"chat": {"id": -789, "type": "group"}, "date": DAY_START})).encode(),
        "no-chat": json.dumps(update(7, {"message_id": 7, "date": DAY_START, "text": "x"})).encode(),
        "no-date": json.dumps(update(8, {"message_id": 8, "chat": {"id": -789}, "text": "x"})).encode(),
        "truncated": json.dumps(text_update(9)).encode()[:-5],
    }
    bad_keys = {put_raw_body(s3, raw_key(DAY, name), body) for name, body in bad.items()}
    put_raw(s3, DAY, text_update(1, message_id=1))
    put_raw(s3, DAY, text_update(2, message_id=2))
    raw_before = bucket_state(s3, RAW_BUCKET)

    days = run({"date": DAY})

    body = enriched_bytes(s3, OUTPUT_KEY)
    expected = summary(objects_read=11, rows_written=2, skipped=9, output_key=OUTPUT_KEY, bytes_written=len(body))
    assert days == [expected]
    assert read_parquet(s3, OUTPUT_KEY).column("update_id").to_pylist() == [1, 2]
    skipped = [line for line in log_lines(capsys.readouterr().out) if line["message"] == "skipped raw object"]
    assert {line["key"] for line in skipped} == bad_keys
    assert {line["level"] for line in skipped} == {"WARNING"}
    reasons = {line["key"]: line["reason"] for line in skipped}
    assert reasons[raw_key(DAY, "not-json")] == reasons[raw_key(DAY, "truncated")] == "not valid JSON"
    assert reasons[raw_key(DAY, "array")] == reasons[raw_key(DAY, "no-update_id")] == "not a Telegram update"
    assert reasons[raw_key(DAY, "no-chat")] == "message lacks message_id, chat.id or a valid date"
    assert bucket_state(s3, RAW_BUCKET) == raw_before


def refuse_connections(client: S3Client, operation: str, key: str = "", times: int | None = None) -> Counter[str]:
    """Make ``operation`` (on ``key``, when given) fail to connect ``times`` times or always; count the attempts.

    Registered on the real client's ``before-send`` event, so botocore's retry logic handles the failure
    exactly as it would a network outage; the raised error also keeps the request from reaching moto.
    """
    attempts: Counter[str] = Counter()

    def refuse(request: AWSPreparedRequest, **_: Any) -> None:
        url = unquote(request.url)
        if key not in url:
            return
        attempts[url] += 1
        if times is None or attempts[url] <= times:
            raise EndpointConnectionError(endpoint_url=request.url)

    client.meta.events.register_first(f"before-send.s3.{operation}", refuse)
    return attempts


@pytest.mark.parametrize("operation", ["ListObjectsV2", "GetObject", "PutObject"])
def test_persistent_s3_failure_raises_and_keeps_the_previous_file(s3: S3Client, operation: str) -> None:
    """After botocore's retries the error propagates (so Lambda retries and alarms) and no partial file lands."""
    put_raw(s3, DAY, text_update(1))
    run({"date": DAY})
    previous = bucket_state(s3, ENRICHED_BUCKET)
    new_key = put_raw(s3, DAY, text_update(2))
    raw_before = bucket_state(s3, RAW_BUCKET)
    attempts = refuse_connections(handler_client(), operation, key=new_key if operation == "GetObject" else "")

    with pytest.raises(EndpointConnectionError):
        run({"date": DAY})

    assert list(attempts.values()) == [load_settings().call_limits.max_attempts] == [5]
    assert bucket_state(s3, ENRICHED_BUCKET) == previous
    assert bucket_state(s3, RAW_BUCKET) == raw_before


def test_transient_read_failure_is_retried_and_the_day_completes(s3: S3Client) -> None:
    """A blip on one object (throttling, a dropped connection) must not fail the run or lose its row."""
    keys = [put_raw(s3, DAY, text_update(update_id)) for update_id in (1, 2, 3)]
    attempts = refuse_connections(handler_client(), "GetObject", key=keys[1], times=2)
    assert run({"date": DAY})[0]["rows_written"] == 3
    assert list(attempts.values()) == [3]
    assert read_parquet(s3, OUTPUT_KEY).column("update_id").to_pylist() == [1, 2, 3]


class _RawBody:
    """The ``raw`` of a botocore response: just what botocore needs to read an error document."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


def test_access_denied_on_a_raw_object_fails_the_day(s3: S3Client) -> None:
    """A permission error is not retried and not mistaken for an empty or invalid object."""
    denied = put_raw(s3, DAY, text_update(2))
    put_raw(s3, DAY, text_update(1))
    error = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId></Error>"
    attempts: list[str] = []

    def deny(request: AWSPreparedRequest, **_: Any) -> Any:
        if not unquote(request.url).endswith(denied):
            return None
        attempts.append(request.url)
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/xml"
        return AWSResponse(request.url, 403, headers, _RawBody(error))

    handler_client().meta.events.register_first("before-send.s3.GetObject", deny)
    with pytest.raises(ClientError, match="AccessDenied"):
        run({"date": DAY})
    assert len(attempts) == 1
    assert enriched_keys(s3) == []


def test_missing_enriched_bucket_raises(s3: S3Client) -> None:
    """A misdeployment (bucket renamed or deleted) fails the run instead of reporting success."""
    put_raw(s3, DAY, text_update(1))
    raw_before = bucket_state(s3, RAW_BUCKET)
    s3.delete_bucket(Bucket=ENRICHED_BUCKET)
    with pytest.raises(ClientError, match="NoSuchBucket"):
        run({"date": DAY})
    assert bucket_state(s3, RAW_BUCKET) == raw_before


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty"),
        pytest.param(dict(SCHEDULE_EVENT), id="the-schedule-input"),
    ],
)
def test_scheduled_run_processes_yesterday_in_the_configured_zone(s3: S3Client, event: Any) -> None:
    """The daily schedule sends no date; the run covers yesterday in TIMEZONE (where ingest put it)."""
    yesterday = (datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)).isoformat()
    put_raw(s3, yesterday, text_update(1))
    output_key = f"telegram/context_date={yesterday}/telegram.parquet"
    days = run(event)
    assert days == [
        summary(
            yesterday,
            objects_read=1,
            rows_written=1,
            output_key=output_key,
            bytes_written=len(enriched_bytes(s3, output_key)),
        )
    ]
    assert enriched_keys(s3) == [output_key]


def test_date_range_backfill_writes_one_file_per_day(s3: S3Client) -> None:
    """A backfill rebuilds each day of the range from that day's raw objects only."""
    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    for offset, day in enumerate(days):
        for number in range(offset + 1):
            update_id = 100 * (offset + 1) + number
            put_raw(s3, day, text_update(update_id, date=DAY_START + 86_400 * offset + number))
    put_raw(s3, "2024-01-04", text_update(999))

    summaries = run({"start_date": days[0], "end_date": days[-1]})

    keys = [f"telegram/context_date={day}/telegram.parquet" for day in days]
    assert [(item["date"], item["rows_written"], item["output_key"]) for item in summaries] == [
        ("2024-01-01", 1, keys[0]),
        ("2024-01-02", 2, keys[1]),
        ("2024-01-03", 3, keys[2]),
    ]
    assert enriched_keys(s3) == keys
    assert [read_parquet(s3, key).column("update_id").to_pylist() for key in keys] == [
        [100],
        [200, 201],
        [300, 301, 302],
    ]


def test_malformed_event_date_fails_before_touching_s3(s3: S3Client) -> None:
    put_raw(s3, DAY, text_update(1))
    with pytest.raises(ValueError, match=r"^date must be a real calendar date, got '2024-02-30'$"):
        run({"date": "2024-02-30"})
    assert enriched_keys(s3) == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param({"Date": DAY}, r"^unexpected ETL event keys 'Date': expected one of \{\"date\"", id="misspelled"),
        pytest.param({"day": DAY}, r"^unexpected ETL event keys 'day': ", id="other-key"),
        pytest.param(None, r"^the ETL event must be a JSON object: ", id="null"),
        pytest.param(
            {"date": "0001-01-01"}, r"^date must be from 0001-01-02 to 9999-12-31, got '0001-01-01'$", id="day-one"
        ),
    ],
)
def test_an_event_of_no_accepted_shape_fails_before_touching_s3(s3: S3Client, event: Any, message: str) -> None:
    """A manual backfill with a typo must fail, not process yesterday and report success."""
    yesterday = (datetime.now(UTC).astimezone(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)).isoformat()
    put_raw(s3, yesterday, text_update(1))
    with pytest.raises(ValueError, match=message):
        run(event)
    assert enriched_keys(s3) == []


def test_prefixes_are_configurable(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Surrounding slashes in the prefixes are tolerated; keys never get an empty path segment."""
    monkeypatch.setenv("RAW_PREFIX", "/raw/telegram/")
    monkeypatch.setenv("ENRICHED_PREFIX", "lake/telegram/")
    put_raw(s3, DAY, text_update(1))  # under the default prefix: not read any more
    s3.put_object(Bucket=RAW_BUCKET, Key=raw_key(DAY, "2", prefix="raw/telegram"), Body=b'{"update_id": 2}')
    s3.put_object(Bucket=RAW_BUCKET, Key=raw_key(DAY, "3", prefix="raw/telegram"), Body=json.dumps(text_update(3)))
    days = run({"date": DAY})
    assert [(item["objects_read"], item["rows_written"], item["updates_without_row"]) for item in days] == [(2, 1, 1)]
    assert enriched_keys(s3) == [f"lake/telegram/context_date={DAY}/telegram.parquet"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RAW_BUCKET", None),
        ("ENRICHED_BUCKET", None),
        ("ENRICHED_BUCKET", "   "),
        ("TIMEZONE", "America/Sao Paulo"),
        ("TIMEZONE", "../../etc/passwd"),
        ("MAX_WORKERS", "0"),
        ("MAX_WORKERS", "many"),
        ("MAX_WORKERS", "1000"),
        ("RAW_PREFIX", "///"),
        ("ENRICHED_PREFIX", "/"),
    ],
)
def test_bad_configuration_names_the_variable(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None
) -> None:
    """A deployment mistake fails every run with a message that says what to fix, and writes nothing."""
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    put_raw(s3, DAY, text_update(1))
    with pytest.raises(ConfigurationError, match=rf"\b{variable}\b"):
        run({"date": DAY})
    assert enriched_keys(s3) == []


def test_defaults_of_optional_settings() -> None:
    """Only the buckets are required; Terraform may leave the rest to these defaults."""
    settings = load_settings({"RAW_BUCKET": "raw", "ENRICHED_BUCKET": "enriched"})
    assert (settings.timezone, settings.raw_prefix, settings.enriched_prefix, settings.max_workers) == (
        ZoneInfo("America/Sao_Paulo"),
        "telegram",
        "telegram",
        32,
    )
    assert settings.raw_partition(DAY) == f"telegram/context_date={DAY}/"
    assert settings.output_key(DAY) == OUTPUT_KEY


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("telegram/context_date=2024-01-01/123.json", 123),
        ("telegram/context_date=2024-01-01/9223372036854775807.json", 2**63 - 1),
        ("telegram/context_date=2024-01-01/", None),
        ("telegram/context_date=2024-01-01/notes.txt", None),
        ("telegram/context_date=2024-01-01/-5.json", None),
        ("telegram/context_date=2024-01-01/١٢.json", None),  # Arabic-Indic digits are not an ingest key
    ],
)
def test_update_id_of_key_reads_only_ingest_keys(key: str, expected: int | None) -> None:
    """Only keys the ingest function writes name an update; anything else is not treated as a delivery."""
    assert update_id_of_key(key) == expected
