"""A wrong or missing setting fails closed: 500, one clear log line, nothing stored, nothing leaked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from functions.ingest.config import ENVIRONMENT_VARIABLES
from tests.conftest import SECRET, SEED_UPDATE, update_body
from tests.ingest_support import event, invoke, log_lines, parse_log, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RAW_BUCKET", None),
        ("RAW_BUCKET", "   "),
        ("WEBHOOK_SECRET_ARN", None),
        ("WEBHOOK_SECRET_ARN", ""),
        ("WEBHOOK_SECRET_ARN", "not a secret id"),
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "-1"),
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "five minutes"),
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "86401"),
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "³"),
        ("ALLOWED_CHAT_IDS", None),
        ("ALLOWED_CHAT_IDS", " , "),
        ("ALLOWED_CHAT_IDS", "-789;-100"),
        ("ALLOWED_CHAT_IDS", "familia"),
        ("ALLOWED_CHAT_IDS", "*,-789"),
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TIMEZONE", "../../etc/passwd"),
        ("RAW_PREFIX", "///"),
        # int() takes all of these; a chat id or a number of seconds is ASCII decimal digits.
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "1" * 5000),
        ("WEBHOOK_SECRET_OVERLAP_SECONDS", "1_000"),
        ("ALLOWED_CHAT_IDS", "-١٢٣"),
        ("ALLOWED_CHAT_IDS", "-100_123"),
        ("ALLOWED_CHAT_IDS", "+789"),
        ("ALLOWED_CHAT_IDS", "9" * 5000),
        ("ALLOWED_CHAT_IDS", "-99999999999999999999"),
        ("FUNCTION_TIMEOUT_SECONDS", "900"),
        ("FUNCTION_TIMEOUT_SECONDS", "1"),
        # Not a URL: botocore raised a bare ValueError from client creation, which escaped the handler.
        ("AWS_ENDPOINT_URL", "not a url"),
        ("AWS_ENDPOINT_URL", "http://[::1"),
        ("AWS_ENDPOINT_URL", "ftp://127.0.0.1:5000"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:99999"),
    ],
)
def test_bad_setting_fails_closed(
    s3: S3Client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str | None,
) -> None:
    """A valid, authenticated update is refused rather than stored with a guessed setting, and the log says which."""
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)

    status, response = invoke(event(update_body(SEED_UPDATE)))

    assert (status, response) == (500, {"status": "misconfigured"})
    assert not any(name in str(response) for name in ENVIRONMENT_VARIABLES)
    assert stored_keys(s3) == []
    output = capsys.readouterr()
    [line] = parse_log(output.out)
    assert (line["level"], line["outcome"], line["status_code"]) == ("ERROR", "misconfigured", 500)
    assert variable in line["reason"]
    assert SECRET not in output.out + output.err


def test_missing_setting_log_is_explicit(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator reading CloudWatch must learn what to fix without reading the code."""
    monkeypatch.delenv("RAW_BUCKET")

    invoke(event(update_body(SEED_UPDATE)))

    [line] = log_lines(capsys)
    assert line["reason"] == "environment variable RAW_BUCKET is required and is not set"
    assert stored_keys(s3) == []
