"""One JSON log line per invocation, with the fields operators filter on, and never a secret or a message text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from functions.ingest.handler import lambda_handler
from tests.conftest import ALLOWED_CHAT, SECRET, update_body
from tests.ingest_support import USER, event, invoke, log_lines, message_update, parse_log, raw_key, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")

CHANNEL_ID = -1001234567890123
TEXT = "PRIVATE-TEXT: o pix do churrasco \u00e9 1234 \N{SPEECH BALLOON}"
POLL_ANSWER = {"update_id": 126, "poll_answer": {"poll_id": "5", "user": USER, "option_ids": [0]}}
REQUIRED_FIELDS = {"level", "message", "status_code", "outcome", "update_id", "chat_id", "key", "duration_ms"}


def test_stored_update_logs_one_line_with_every_field(s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    """The line for a stored update is what Logs Insights queries by: ids, outcome, key, status and timing."""
    invoke(event(update_body(message_update(update_id=124, text=TEXT))))

    [line] = log_lines(capsys)
    assert line.keys() >= REQUIRED_FIELDS
    assert line["level"] == "INFO"
    assert line["logger"] == "telegram_pipeline.ingest"
    assert (line["update_id"], line["chat_id"], line["update_type"]) == (124, ALLOWED_CHAT, "message")
    assert (line["outcome"], line["status_code"], line["key"]) == ("stored", 200, raw_key(124))
    assert type(line["duration_ms"]) in {int, float}
    assert 0 <= line["duration_ms"] < 10_000
    assert stored_keys(s3) == [line["key"]]


@pytest.mark.parametrize(
    ("env", "request_event", "expected"),
    [
        pytest.param(
            {"ALLOWED_CHAT_IDS": str(CHANNEL_ID)},
            event(update_body(message_update(update_id=2**40, chat_id=CHANNEL_ID))),
            ("INFO", 200, "stored", 2**40, CHANNEL_ID, raw_key(2**40)),
            id="stored-64-bit-ids",
        ),
        pytest.param(
            {},
            event(update_body(message_update(update_id=125, chat_id=-1))),
            ("INFO", 200, "ignored", 125, -1, None),
            id="ignored-other-chat",
        ),
        pytest.param(
            {},
            event(update_body(POLL_ANSWER)),
            ("INFO", 200, "ignored", 126, None, None),
            id="ignored-no-chat",
        ),
        pytest.param(
            {},
            event(update_body(message_update()), secret="wrong"),
            ("INFO", 401, "rejected", None, None, None),
            id="wrong-secret",
        ),
        pytest.param({}, event(b"not json"), ("INFO", 400, "rejected", None, None, None), id="not-json"),
        pytest.param(
            {},
            event(b"x" * (1_048_576 + 1)),
            ("INFO", 413, "rejected", None, None, None),
            id="too-large",
        ),
        pytest.param(
            {"RAW_BUCKET": "missing-bucket"},
            event(update_body(message_update(update_id=127))),
            ("ERROR", 500, "error", 127, ALLOWED_CHAT, raw_key(127)),
            id="storage-failed",
        ),
        pytest.param(
            {"TIMEZONE": "Nowhere/Atlantis"},
            event(update_body(message_update(update_id=128))),
            ("ERROR", 500, "misconfigured", None, None, None),
            id="misconfigured",
        ),
    ],
)
@pytest.mark.usefixtures("s3")
def test_every_outcome_logs_exactly_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    request_event: dict[str, Any],
    expected: tuple[str, int, str, int | None, int | None, str | None],
) -> None:
    """Whatever happens, one line records it; its status matches the response and 5xx lines are errors."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    status, _ = invoke(request_event)

    [line] = log_lines(capsys)
    assert line.keys() >= REQUIRED_FIELDS
    logged = (line["level"], line["status_code"], line["outcome"], line["update_id"], line["chat_id"], line["key"])
    assert logged == expected
    assert line["status_code"] == status


def test_each_invocation_adds_its_own_line(s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    """A warm container serves many requests; every one of them, and only it, shows up once."""
    invoke(event(update_body(message_update(update_id=131))))
    invoke(event(update_body(message_update(update_id=132, chat_id=-1))))
    invoke(event(b"[]"))
    invoke(event(update_body(message_update(update_id=131))))

    lines = log_lines(capsys)
    assert [(line["outcome"], line["update_id"]) for line in lines] == [
        ("stored", 131),
        ("ignored", 132),
        ("rejected", None),
        ("stored", 131),
    ]


@pytest.mark.parametrize(
    ("env", "headers"),
    [
        pytest.param({}, {"x-telegram-bot-api-secret-token": SECRET}, id="stored"),
        pytest.param({}, {"x-telegram-bot-api-secret-token": SECRET + "x"}, id="secret-plus-one-char"),
        pytest.param({}, {"x-telegram-bot-api-secret-token": SECRET[:-1]}, id="secret-minus-one-char"),
        pytest.param({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong " + SECRET}, id="wrong-secret-other-case"),
        pytest.param({}, {}, id="no-secret"),
        pytest.param({"ALLOWED_CHAT_IDS": "-1"}, {"x-telegram-bot-api-secret-token": SECRET}, id="ignored"),
        pytest.param({"RAW_BUCKET": "missing-bucket"}, {"x-telegram-bot-api-secret-token": SECRET}, id="s3-failure"),
        pytest.param(
            {"ALLOWED_CHAT_IDS": SECRET}, {"x-telegram-bot-api-secret-token": SECRET}, id="secret-in-allowed-chat-ids"
        ),
        pytest.param({"TIMEZONE": SECRET}, {"x-telegram-bot-api-secret-token": SECRET}, id="secret-in-timezone"),
        pytest.param({"RAW_BUCKET": ""}, {"x-telegram-bot-api-secret-token": SECRET + "x"}, id="misconfigured-wrong"),
    ],
)
def test_secret_and_message_text_never_reach_any_output(
    s3: S3Client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    headers: dict[str, str],
) -> None:
    """Logs are read by more people than the bot's owner: no secret (given or configured), no chat content.

    Two misconfigurations put the secret into another variable, as a mixed-up tfvars would: errors must not echo it.
    """
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    body = update_body(message_update(update_id=141, text=TEXT))

    response = lambda_handler(event(body, secret=None, headers=headers), None)

    output = capsys.readouterr()
    printed = output.out + output.err + str(response)
    assert len(parse_log(output.out)) == 1
    assert SECRET not in printed
    assert "PRIVATE-TEXT" not in printed
    for given in headers.values():
        assert given not in printed
