"""The session-wide log check (``tests/log_leaks.py``) can fail, and sees what the functions really log.

The checker is tried on synthetic lines (a leak must be found, a harmless line must pass); the wiring is
tried on the real handlers: the captured lines are the very lines written to stdout, and the texts of
requests and stored objects are recorded, including those of requests that are rejected and never stored.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from functions.common.jsonlog import get_logger
from telegram_datalake.local.stack import local_session
from tests.conftest import RAW_BUCKET, SECRET, update_body
from tests.ingest_support import event, invoke, log_lines, message_update
from tests.log_leaks import (
    CapturingHandler,
    LeakWatch,
    body_of_event,
    checkable_text,
    find_leaks,
    leak_report,
    texts_of_body,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TEXT = "o pix do churrasco é 1234 💬"
LINE = '{"timestamp": "2024-05-10T15:00:00.000+00:00", "level": "INFO", "logger": "telegram_pipeline.ingest"'


def line_with(**fields: object) -> str:
    return LINE + ", " + json.dumps(fields, ensure_ascii=False)[1:]


def test_a_sent_text_in_a_line_is_found() -> None:
    lines = [line_with(message="stored"), line_with(message="stored", reason=f"bad: {TEXT}")]

    [leak] = find_leaks(lines, secrets=[], texts=[TEXT])

    assert (leak.line_number, leak.kind, leak.value) == (2, "text", TEXT)
    report = leak_report([leak])
    assert "log line 2" in report
    assert TEXT in report


def test_a_text_that_json_escapes_is_found_in_the_decoded_line() -> None:
    """Quotes, backslashes and newlines are escaped in the JSON line; the decoded strings still hold them."""
    text = 'ele disse "bom dia"\\\n tchau'
    line = line_with(message="day processed", key=f"telegram/{text}")
    assert text not in line

    assert [leak.value for leak in find_leaks([line], secrets=[], texts=[text])] == [text]


def test_a_secret_is_found_and_the_report_does_not_print_it() -> None:
    lines = [line_with(message="rejected", reason=f"expected {SECRET}"), line_with(message="stored")]

    leaks = find_leaks(lines, secrets=[SECRET], texts=[])

    assert [(leak.line_number, leak.kind) for leak in leaks] == [(1, "secret")]
    report = leak_report(leaks)
    assert SECRET not in report
    assert f"<secret, {len(SECRET)} characters>" in report


def test_harmless_lines_pass() -> None:
    lines = [line_with(message="stored", outcome="stored", key="telegram/context_date=2024-05-10/1.json")]
    assert find_leaks(lines, secrets=[SECRET, "short"], texts=[TEXT, "stored", "Bom dia", "ok"]) == []


@pytest.mark.parametrize(
    ("text", "checked"),
    [
        ("Bom dia, grupo", True),
        ("PRIVATE-TEXT", True),
        ("  Olá!! ", False),  # five characters once stripped
        ("123456789", False),  # no letter: ids, times and sizes are made of digits
        ("stored", False),  # the logs' own words
        ("Telegram_Pipeline.ETL", False),
        ("chat not allowed", False),
    ],
)
def test_which_texts_are_looked_for(text: str, checked: bool) -> None:
    assert checkable_text(text) is checked


def test_texts_are_read_from_every_depth_and_from_base64_events() -> None:
    update = message_update(update_id=5, text="primeiro texto")
    update["message"]["reply_to_message"] = {"message_id": 1, "caption": "legenda antiga"}
    update["message"]["reply_markup"] = {"inline_keyboard": [[{"text": "botão um"}]]}
    body = update_body(update)

    assert sorted(texts_of_body(body)) == ["botão um", "legenda antiga", "primeiro texto"]
    assert body_of_event(event(body, base64_encoded=True)) == body
    assert texts_of_body(b"\x00PAR1 not json") == []


def test_a_record_of_the_real_loggers_carrying_a_text_would_fail_the_run() -> None:
    """The session's handler formats like the real one; a record that carries a text is caught.

    The record goes to a handler of its own, not through the functions' loggers: through them it would
    (rightly) fail this very run.
    """
    handler = CapturingHandler()
    record = get_logger("telegram_pipeline.etl").makeRecord(
        "telegram_pipeline.etl", logging.WARNING, __file__, 1, "skipped raw object", (), None
    )
    record.fields = {"key": "telegram/context_date=2024-05-10/1.json", "reason": f"bad text: {TEXT}"}

    handler.handle(record)

    [line] = handler.lines
    assert json.loads(line)["reason"] == f"bad text: {TEXT}"
    assert [leak.value for leak in find_leaks(handler.lines, secrets=[], texts=[TEXT])] == [TEXT]


@pytest.mark.usefixtures("ingest_env")
def test_the_session_sees_the_functions_lines_and_the_texts_of_every_request(
    s3: S3Client, leak_watch: LeakWatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lines captured == lines on stdout; texts of a rejected request (never stored) and of a stored one."""
    rejected_text, stored_text = "texto recusado 3f9a", "texto guardado 7c21"
    seen = len(leak_watch.captured.lines)
    capsys.readouterr()

    invoke(event(update_body(message_update(update_id=901, text=rejected_text)), secret="wrong secret"))
    invoke(event(update_body(message_update(update_id=902, text=stored_text)), base64_encoded=True))
    s3.put_object(Bucket=RAW_BUCKET, Key="x.json", Body=update_body(message_update(text="objeto posto 5e11")))
    local = local_session().client("s3")  # the local stack's session: made once per process, hooked too
    try:
        local.put_object(Bucket=RAW_BUCKET, Key="y.json", Body=update_body(message_update(text="pela pilha 9d02")))
    finally:
        local.close()

    printed = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["outcome"] for line in printed] == ["rejected", "stored"]
    assert leak_watch.captured.lines[seen:] == printed
    assert {rejected_text, stored_text, "objeto posto 5e11", "pela pilha 9d02"} <= leak_watch.sent.snapshot()
    assert SECRET in leak_watch.stored.snapshot()  # the configured secret, seen as it was stored in Secrets Manager
    assert log_lines(capsys) == []
