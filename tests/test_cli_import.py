"""``telegram-datalake import``: a Telegram Desktop export into the raw layer and the tables, on moto's S3."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend

from telegram_datalake.cli.output import StreamProgress
from tests.cli_support import cli
from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET, TIMEZONE
from tests.desktop_exports import documented_example, export_bytes, message
from tests.etl_support import USER, bucket_state, enriched_bytes, put_raw, put_raw_body, read_parquet, text_update

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DAY, NEXT_DAY = "2024-03-09", "2024-03-10"
GROUP_ID = -1001234567890
IMPORT_KEY = f"telegram/context_date={DAY}/import/{GROUP_ID}.json"
MESSAGES_KEY = f"telegram/context_date={DAY}/telegram.parquet"
MEMBERS_KEY = f"member_events/context_date={DAY}/member_events.parquet"
EDITS_KEY = f"message_edits/context_date={DAY}/message_edits.parquet"
HEADER = {"name": "Hiking Club", "type": "private_supergroup", "id": 1234567890}
AT = 1709974500  # 2024-03-09T08:55:00Z (09:55 in Berlin, where the example was exported; 05:55 in São Paulo)


def write(tmp_path: Path, body: bytes, name: str = "result.json") -> str:
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def table_lines(out: str) -> list[list[str]]:
    """The rows of the per-day table (header, separator and footer left out), split into cells."""
    return [line.split() for line in out.splitlines()[2:-1]]


def messages_by_id(s3: S3Client, key: str = MESSAGES_KEY) -> dict[int, dict[str, Any]]:
    return {row["message_id"]: row for row in read_parquet(s3, key).to_pylist()}


def raw_objects(s3: S3Client) -> dict[str, bytes]:
    return {key: s3.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read() for key in bucket_state(s3, RAW_BUCKET)}


def record_texts(body: bytes) -> list[bytes]:
    """Each message record of a pretty-printed export, exactly as written (they start at ``  {``)."""
    text = body.decode()
    records = text[text.index('"messages": [') + len('"messages": [') : text.rindex("]")]
    return [("{" + part.rstrip().rstrip(",")).encode() for part in records.split("\n  {")[1:]]


@pytest.mark.usefixtures("etl_env")
def test_an_export_is_kept_unchanged_in_the_raw_layer_and_becomes_rows(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    export = documented_example()
    run = cli(capsys, "import", write(tmp_path, export), "--local")
    assert run.code == 0, run.err

    assert sorted(bucket_state(s3, RAW_BUCKET)) == [IMPORT_KEY]
    filed = raw_objects(s3)[IMPORT_KEY]
    assert record_texts(filed) == record_texts(export)  # every record byte for byte, in the export's order
    assert len(record_texts(export)) == 11
    assert json.loads(filed) == json.loads(export)  # itself a single-chat export of the chat's day

    rows = messages_by_id(s3)
    assert sorted(rows) == list(range(101, 112))
    assert rows[103]["text"] == "Meet at the north gate — details: here @alice_s"
    assert rows[106]["caption"] == "View from the top"
    assert rows[101]["sent_at"].isoformat() == "2024-03-09T08:55:00+00:00"
    assert {(row["chat_id"], row["update_id"], row["update_type"]) for row in rows.values()} == {
        (GROUP_ID, 0, "message")
    }
    members = read_parquet(s3, MEMBERS_KEY).to_pylist()
    assert [(row["user_id"], row["event"]) for row in members] == [(5550001, "joined"), (2222222, "left")]
    assert [(row["message_id"], row["edit_date"]) for row in read_parquet(s3, EDITS_KEY).to_pylist()] == [
        (104, 1709974990)
    ]
    # date, records, added, changed, in_raw, rows, imported_rows, captured_by_bot
    assert table_lines(run.out) == [[DAY, "11", "11", "0", "11", "11", "11", "0"]]
    assert f"import: 11 records filed in 1 day file (days in {TIMEZONE})" in run.err


@pytest.mark.usefixtures("etl_env")
def test_a_message_lands_on_its_day_in_the_pipelines_time_zone(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    late = 1710036000  # 2024-03-10T02:00Z: still the 9th in São Paulo (23:00)
    early = 1710039600  # 03:00Z: midnight in São Paulo, the 10th
    export = export_bytes({**HEADER, "messages": [message(1, late, text="a"), message(2, early, text="b")]})
    assert cli(capsys, "import", write(tmp_path, export), "--local").code == 0
    assert sorted(bucket_state(s3, RAW_BUCKET)) == [IMPORT_KEY, IMPORT_KEY.replace(DAY, NEXT_DAY)]
    assert sorted(messages_by_id(s3)) == [1]
    assert sorted(messages_by_id(s3, MESSAGES_KEY.replace(DAY, NEXT_DAY))) == [2]


@pytest.mark.usefixtures("etl_env")
def test_importing_again_adds_nothing_and_a_rebuild_keeps_the_rows(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    path = write(tmp_path, documented_example())
    assert cli(capsys, "import", path, "--local").code == 0
    raw, enriched = bucket_state(s3, RAW_BUCKET), bucket_state(s3, ENRICHED_BUCKET)
    parquet = enriched_bytes(s3, MESSAGES_KEY)

    again = cli(capsys, "import", path, "--local")
    assert again.code == 0, again.err
    assert table_lines(again.out) == [[DAY, "11", "0", "0", "11", "11", "11", "0"]]
    assert bucket_state(s3, RAW_BUCKET) == raw  # the same bytes, so the same ETags
    assert bucket_state(s3, ENRICHED_BUCKET) == enriched
    backfill = cli(capsys, "backfill", "--from", DAY, "--to", NEXT_DAY, "--local")
    assert backfill.code == 0, backfill.err
    assert enriched_bytes(s3, MESSAGES_KEY) == parquet
    assert len(messages_by_id(s3)) == 11


@pytest.mark.usefixtures("etl_env")
def test_the_bots_copy_of_a_message_wins_on_its_day_and_the_next(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    # The bot stored 105 on its day, and 111 after midnight (a late delivery files it on the next day).
    captured = text_update(900001, "Trail 7 is closed today.", message_id=105, date=1709975100)
    captured["message"]["chat"] = {"id": GROUP_ID, "type": "supergroup", "title": "Hiking Club"}
    put_raw(s3, DAY, captured)
    late = text_update(900002, "removed", message_id=111, date=1709975700)
    late["message"]["chat"] = captured["message"]["chat"]
    put_raw(s3, NEXT_DAY, late)
    put_raw(s3, DAY, text_update(900003, "elsewhere", message_id=106))  # another chat's 106: not the same message

    run = cli(capsys, "import", write(tmp_path, documented_example()), "--local")
    assert run.code == 0, run.err
    rows = messages_by_id(s3)
    assert rows[105]["update_id"] == 900001  # the bot's row, with what only the bot knows
    assert (rows[105]["user_username"], rows[105]["user_language_code"]) == (USER["username"], "pt-br")
    assert 111 not in rows  # the bot's copy is in the next day's file
    assert len([row for row in read_parquet(s3, MESSAGES_KEY).to_pylist() if row["message_id"] == 106]) == 2
    assert table_lines(run.out)[0][-3:] == ["11", "9", "2"]  # rows, imported_rows, captured_by_bot
    assert MESSAGES_KEY.replace(DAY, NEXT_DAY) not in bucket_state(s3, ENRICHED_BUCKET)  # not rebuilt by the import

    assert cli(capsys, "backfill", "--from", NEXT_DAY, "--to", NEXT_DAY, "--local").code == 0
    assert sorted(messages_by_id(s3, MESSAGES_KEY.replace(DAY, NEXT_DAY))) == [111]


@pytest.mark.usefixtures("etl_env")
def test_a_later_export_updates_renamed_users_and_edited_texts_and_an_older_one_does_not_undo_edits(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    first = [
        message(1, AT, from_="Ana Souza", from_id="user7", text="oi"),
        message(2, AT + 60, from_id="user8", text="tchau"),
    ]
    renamed = [
        message(1, AT, from_="Ana Lima", from_id="user7", text="oi"),
        message(2, AT + 60, from_=None, from_id="user8", text="tchau!", edited_unixtime=str(AT + 90)),  # then deleted
        message(3, AT + 120, from_="Ana Lima", from_id="user7", text="voltei"),
    ]
    older = write(tmp_path, export_bytes({**HEADER, "messages": first}), "older.json")
    newer = write(tmp_path, export_bytes({**HEADER, "messages": renamed}), "newer.json")

    assert cli(capsys, "import", older, "--local").code == 0
    run = cli(capsys, "import", newer, "--local")
    assert run.code == 0, run.err
    assert table_lines(run.out) == [[DAY, "3", "1", "2", "3", "3", "3", "0"]]
    rows = messages_by_id(s3)
    assert [(rows[i]["user_id"], rows[i]["user_first_name"], rows[i]["text"]) for i in (1, 2, 3)] == [
        (7, "Ana Lima", "oi"),
        (8, None, "tchau!"),  # a deleted account keeps its id, not its name
        (7, "Ana Lima", "voltei"),
    ]

    assert cli(capsys, "import", older, "--local").code == 0
    rows = messages_by_id(s3)
    assert rows[2]["text"] == "tchau!"  # the filed copy was edited later than the older export's
    assert rows[1]["user_first_name"] == "Ana Souza"  # otherwise the last import stands
    assert [(row["message_id"], row["edit_date"]) for row in read_parquet(s3, EDITS_KEY).to_pylist()] == [(2, AT + 90)]


FULL_ACCOUNT = {
    "about": "Here is the data you requested.",
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {"name": "Bob", "type": "personal_chat", "id": 2222222, "messages": [message(5, AT, text="hi")]},
            {**HEADER, "messages": [message(7, AT, from_id="user1", text="group")]},
        ],
    },
}


@pytest.mark.usefixtures("etl_env")
def test_one_chat_of_a_full_account_export(capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path) -> None:
    path = write(tmp_path, export_bytes(FULL_ACCOUNT))
    run = cli(capsys, "import", path, "--local", "--chat-id", str(GROUP_ID))
    assert run.code == 0, run.err
    assert sorted(bucket_state(s3, RAW_BUCKET)) == [IMPORT_KEY]
    assert sorted(messages_by_id(s3)) == [7]


@pytest.mark.usefixtures("etl_env")
@pytest.mark.parametrize(
    "case",
    [
        (export_bytes(FULL_ACCOUNT), (), "a full-account export holds many chats: choose one with --chat-id"),
        (export_bytes(FULL_ACCOUNT), ("--chat-id", "-100999"), "chat -100999 is not in this export (2 chats)"),
        (export_bytes({**HEADER, "messages": []}), ("--chat-id", "5"), "chat 5 is not in this export: it holds chat"),
        (b'{"update_id": 5, "message": {"message_id": 1}}', (), "not a Telegram Desktop export: it has no messages"),
        (b"message_id,text\n1,hello\n", (), "not a Telegram Desktop export"),
        (b"", (), "not a Telegram Desktop export"),
    ],
)
def test_what_is_not_an_export_or_lacks_the_chat_gets_one_line_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path, case: tuple[bytes, tuple[str, ...], str]
) -> None:
    body, arguments, error = case
    run = cli(capsys, "import", write(tmp_path, body), "--local", *arguments)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert lines[-1].startswith(f"telegram-datalake: error: {error}"), run.err
    assert all(not line.startswith("telegram-datalake: error") for line in lines[:-1])
    assert bucket_state(s3, RAW_BUCKET) == {}
    assert bucket_state(s3, ENRICHED_BUCKET) == {}


@pytest.mark.usefixtures("etl_env")
def test_an_export_cut_short_keeps_the_days_filed_before_the_break_and_says_so(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    days = [message(1, AT, text="one"), message(2, AT + 86_400, text="two"), message(3, AT + 2 * 86_400, text="3")]
    whole = export_bytes({**HEADER, "messages": days})
    cut = whole[: whole.rindex(b'"3"')]  # a day is filed once the next one starts: the first is, the second not
    run = cli(capsys, "import", write(tmp_path, cut), "--local")
    assert run.code == 2
    last = run.err.strip().splitlines()[-1]
    assert last.startswith("telegram-datalake: error: the export breaks after 2 messages: invalid JSON at"), last
    assert run.err.strip().endswith("1 day file written before it: import a complete export again")
    assert sorted(bucket_state(s3, RAW_BUCKET)) == [IMPORT_KEY]  # the first day, whole
    assert bucket_state(s3, ENRICHED_BUCKET) == {}


@pytest.mark.usefixtures("etl_env", "s3")
def test_a_bucket_that_is_not_there_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAW_BUCKET", "no-such-bucket")
    run = cli(capsys, "import", write(tmp_path, documented_example()), "--local")
    assert run.code == 2
    line = run.err.strip().splitlines()[-1]  # after the progress bar's last line
    assert line.startswith("telegram-datalake: error: writing to s3://no-such-bucket"), line
    assert "NoSuchBucket" in line


@pytest.mark.usefixtures("etl_env", "s3")
def test_a_missing_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run = cli(capsys, "import", str(tmp_path / "nope.json"), "--local")
    assert (run.code, run.err.strip()) == (
        2,
        f"telegram-datalake: error: cannot read {tmp_path / 'nope.json'}: No such file or directory",
    )


@pytest.mark.usefixtures("etl_env")
def test_records_without_a_date_are_reported_and_the_rest_imported(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    records = [{"id": 1, "type": "unsupported"}, {"id": 2, "type": "unsupported"}, message(3, AT, text="secret plans")]
    run = cli(capsys, "import", write(tmp_path, export_bytes({**HEADER, "messages": records})), "--local")
    assert run.code == 0, run.err
    assert "import: skipped 2 records: an unsupported message (Telegram Desktop exports no date for it)" in run.err
    assert "secret plans" not in run.err + run.out
    assert sorted(messages_by_id(s3)) == [3]


@pytest.mark.usefixtures("etl_env")
def test_no_etl_files_the_records_and_says_how_to_rebuild(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    run = cli(capsys, "import", write(tmp_path, documented_example()), "--local", "--no-etl", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out) == [
        {
            "date": DAY,
            "records": 11,
            "added": 11,
            "changed": 0,
            "in_raw": 11,
            "rows": None,
            "imported_rows": None,
            "captured_by_bot": None,
        }
    ]
    assert f"telegram-datalake backfill --from {DAY} --to {DAY}" in run.err
    assert bucket_state(s3, ENRICHED_BUCKET) == {}


@pytest.fixture
def deployed_etl() -> Iterator[tuple[boto3.Session, list[Any]]]:
    """Moto with the deployed ETL function (its settings as Terraform sets them, Docker-free: each Invoke
    answers the result queued with ``set_lambda_simple_result``) and its raw bucket; the Invoke payloads."""
    with mock_aws(config={"lambda": {"use_docker": False}}):
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        boto3.DEFAULT_SESSION = session
        invocations: list[Any] = []
        session.events.register(
            "before-call.lambda.Invoke", lambda params, **_: invocations.append(json.loads(params["body"]))
        )
        session.client("s3").create_bucket(Bucket="deployed-raw")
        role = session.client("iam").create_role(RoleName="etl", AssumeRolePolicyDocument="{}")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "")
        variables = {
            "RAW_BUCKET": "deployed-raw",
            "RAW_PREFIX": "history",
            "ENRICHED_BUCKET": "deployed-enriched",
            "ENRICHED_PREFIX": "telegram",
            "TIMEZONE": "Asia/Tokyo",
            "MAX_WORKERS": "4",
        }
        session.client("lambda").create_function(
            FunctionName="etl",
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
            Environment={"Variables": variables},
        )
        try:
            yield session, invocations
        finally:
            boto3.DEFAULT_SESSION = None


def test_the_deployed_etl_functions_settings_say_where_and_in_which_time_zone_and_it_rebuilds_the_days(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, deployed_etl: tuple[boto3.Session, list[Any]]
) -> None:
    session, invocations = deployed_etl
    late = 1710036000  # 2024-03-10T02:00Z: the 10th in Tokyo, the 9th in São Paulo
    body = export_bytes({**HEADER, "messages": [message(1, late, text="a"), message(2, late + 60, text="b")]})
    imported = {"objects": 1, "records": 2, "rows": 2, "captured_by_bot": 0, "skipped": 0}
    moto_api_backend.set_lambda_simple_result(
        json.dumps({"days": [{"date": NEXT_DAY, "rows_written": 2, "imported": imported}]}), "123456789012", "us-east-1"
    )
    run = cli(capsys, "import", write(tmp_path, body), "--function-name", "etl")
    assert run.code == 0, run.err
    listed = session.client("s3").list_objects_v2(Bucket="deployed-raw")["Contents"]
    assert [item["Key"] for item in listed] == [f"history/context_date={NEXT_DAY}/import/{GROUP_ID}.json"]
    assert "(days in Asia/Tokyo)" in run.err
    assert invocations == [{"date": NEXT_DAY}]
    assert table_lines(run.out) == [[NEXT_DAY, "2", "2", "0", "2", "2", "2", "0"]]


def test_a_day_the_etl_fails_for_is_reported_and_the_import_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, deployed_etl: tuple[boto3.Session, list[Any]]
) -> None:
    session, _ = deployed_etl

    def failed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["FunctionError"] = "Unhandled"

    session.events.register("after-call.lambda.Invoke", failed)
    error = {"errorType": "OutOfTimeError", "errorMessage": "no time left before reading"}
    moto_api_backend.set_lambda_simple_result(json.dumps(error), "123456789012", "us-east-1")
    run = cli(capsys, "import", write(tmp_path, documented_example()), "--function-name", "etl")
    assert run.code == 1
    failure = f"{DAY} (OutOfTimeError: no time left before reading)"
    assert f"import: the ETL failed for 1 day: {failure}; rerun them with backfill" in run.err
    assert table_lines(run.out) == [[DAY, "11", "11", "0", "11", "NULL", "NULL", "NULL"]]  # the records are filed


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_the_share_read_the_count_and_the_rate() -> None:
    now = [100.0]
    terminal = Terminal()
    progress = StreamProgress(1000, "import", "messages", stream=terminal, clock=lambda: now[0])
    progress.update(100, 10)  # too soon after the start: not drawn
    now[0] = 102.0
    progress.update(250, 50_000)
    now[0] = 104.0
    progress.finish(1000, 100_000)
    assert terminal.getvalue() == (
        "\r\x1b[2Kimport [######..................]  25%  50,000 messages  25,000 messages/s"
        "\r\x1b[2Kimport [########################] 100%  100,000 messages  25,000 messages/s\n"
    )
    log = io.StringIO()
    progress = StreamProgress(1000, "import", "messages", stream=log, clock=lambda: now[0])
    now[0] += 5
    progress.update(500, 5)  # a log gets a line every 10 s
    now[0] += 5
    progress.update(600, 6)
    assert log.getvalue() == "import [##############..........]  60%  6 messages  1 messages/s\n"


@pytest.mark.usefixtures("etl_env")
def test_a_private_chats_import_file_is_not_taken_for_an_update_the_day_after(
    capsys: pytest.CaptureFixture[str], s3: S3Client, tmp_path: Path
) -> None:
    """An import file is named after its chat; a private chat's id is a bare number, like an update's key."""
    chat = {"name": "Bob", "type": "personal_chat", "id": 900004}
    path = write(tmp_path, export_bytes({**chat, "messages": [message(1, AT, text="hi")]}))
    assert cli(capsys, "import", path, "--local").code == 0
    assert f"telegram/context_date={DAY}/import/900004.json" in bucket_state(s3, RAW_BUCKET)
    put_raw(s3, NEXT_DAY, text_update(900004, "update 900004 arrives the next day", message_id=7))
    assert cli(capsys, "backfill", "--from", NEXT_DAY, "--to", NEXT_DAY, "--local").code == 0
    assert [row["update_id"] for row in read_parquet(s3, MESSAGES_KEY.replace(DAY, NEXT_DAY)).to_pylist()] == [900004]


@pytest.mark.usefixtures("etl_env")
def test_what_else_lies_in_a_days_import_folder_is_read_skipped_and_logged(
    capsys: pytest.CaptureFixture[str], s3: S3Client
) -> None:
    stray = f"telegram/context_date={DAY}/import/notes.txt"
    put_raw_body(s3, stray, b"exported by hand")
    put_raw_body(s3, IMPORT_KEY, b'{"name": "x", "messages": []}')  # no type or id: not an export
    run = cli(capsys, "backfill", "--from", DAY, "--to", DAY, "--local", "--format", "json")
    assert run.code == 0, run.err
    logged = [json.loads(line) for line in run.err.splitlines() if line.startswith("{")]
    skipped = {entry["key"]: entry["reason"] for entry in logged if entry["message"] == "skipped raw object"}
    assert skipped == {
        stray: "not valid JSON",
        IMPORT_KEY: "not a Telegram Desktop export (no chat type, numeric id and messages)",
    }
    [day] = [entry for entry in logged if entry["message"] == "day processed"]
    assert (day["objects_read"], day["skipped"], day["imported"]["skipped"]) == (2, 1, 1)
