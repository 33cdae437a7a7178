"""Whatever the event and the configuration, the ingest handler answers with a status and logs one line.

An exception that escapes ``lambda_handler`` becomes API Gateway's bare 500 with nothing in the function's
log to find it by; and nothing may be stored for a request that was not answered 200 ``stored``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.common.s3client import s3_client
from functions.ingest.config import load_settings
from functions.ingest.handler import lambda_handler
from tests.conftest import ALLOWED_CHAT, RAW_BUCKET, SECRET, clear_function_clients, update_body
from tests.ingest_support import event, invoke, log_lines, message_update, parse_log, raw_key, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")

YEAR_10000_MS = 253_402_300_800_000
TEXT = "uma mensagem que nunca vai para o log"


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Pacific/Kiritimati", "Asia/Tokyo", "Etc/GMT+12"])
@pytest.mark.parametrize("epoch_ms", [YEAR_10000_MS - 1, YEAR_10000_MS - 86_400_000, YEAR_10000_MS - 2 * 86_400_000])
def test_an_arrival_time_near_year_10000_is_not_trusted_in_any_zone(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], zone: str, epoch_ms: int
) -> None:
    """East of UTC the day of 9999-12-31T23:59Z is in year 10,000: the update is filed under today instead."""
    monkeypatch.setenv("TIMEZONE", zone)
    request = event(update_body(message_update(update_id=81)))
    request["requestContext"]["timeEpoch"] = epoch_ms
    before = datetime.now(UTC).astimezone(ZoneInfo(zone)).date().isoformat()

    assert invoke(request) == (200, {"status": "stored"})

    after = datetime.now(UTC).astimezone(ZoneInfo(zone)).date().isoformat()
    [key] = stored_keys(s3)
    assert key in {raw_key(81, before), raw_key(81, after)}
    [line] = log_lines(capsys)
    assert line["key"] == key


def test_a_non_object_event_is_refused_with_a_status(s3: S3Client, capsys: pytest.CaptureFixture[str]) -> None:
    """A direct invocation with a JSON array or string (not an API Gateway request) is answered, not raised."""
    requests: list[Any] = [[], "POST /webhook", None, 42]
    for request in requests:
        response = lambda_handler(request, None)
        assert (response["statusCode"], json.loads(response["body"])) == (
            400,
            {"status": "rejected", "reason": "event is not an API Gateway HTTP API request"},
        )
    assert len(log_lines(capsys)) == 4
    assert stored_keys(s3) == []


def test_an_unexpected_failure_is_a_500_with_its_type_only(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception no one foresaw (here raised inside botocore) is logged by type: its message may hold a text."""
    client = s3_client(load_settings().call_limits.storage)

    def explode(**_: Any) -> None:
        raise RuntimeError(f"while sending {TEXT}")

    client.meta.events.register("before-send.s3.PutObject", explode)
    try:
        status, response = invoke(event(update_body(message_update(update_id=82, text=TEXT))))
    finally:
        client.meta.events.unregister("before-send.s3.PutObject", explode)

    assert (status, response) == (500, {"status": "error"})
    output = capsys.readouterr()
    [line] = parse_log(output.out)
    assert (line["level"], line["reason"]) == ("ERROR", "unexpected RuntimeError")
    assert TEXT not in output.out + output.err
    assert stored_keys(s3) == []


# ---- any configuration ------------------------------------------------------------------------------------

SETTINGS: dict[str, st.SearchStrategy[str | None]] = {
    "RAW_BUCKET": st.sampled_from([RAW_BUCKET, "", "x" * 300, "UPPER_case", "a/b", "não-existe", None]),
    "RAW_PREFIX": st.sampled_from(["telegram", "", "/", "x" * 1200, "ü/ä", "a b", None]),
    "TIMEZONE": st.sampled_from(["America/Sao_Paulo", "Etc/GMT-14", "Etc/GMT+12", "UTC", "Mars/Base", "", None]),
    "ALLOWED_CHAT_IDS": st.sampled_from([str(ALLOWED_CHAT), "*", "", ",", "١٢٣", "9" * 5000, "+1,-2", None]),
    "WEBHOOK_SECRET_OVERLAP_SECONDS": st.sampled_from(["300", "0", "²", "1" * 5000, "-1", "", None]),
    "WEBHOOK_SECRET_ARN": st.sampled_from(["test-ingest-webhook-secret", "missing-secret", "a b", "x" * 600, None]),
    "FUNCTION_TIMEOUT_SECONDS": st.sampled_from(["20", "5", "29", "4", "30", "٢٠", "", None]),
    "AWS_ENDPOINT_URL": st.sampled_from(["not a url", "http://[::1", "ftp://x", "http://", "https://:0", None]),
}
ANSWERS = {
    200: {"stored", "ignored"},
    400: {"rejected"},
    401: {"rejected"},
    500: {"error", "misconfigured"},
    503: {"unavailable"},
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    configuration=st.fixed_dictionaries(SETTINGS),
    epoch_ms=st.sampled_from([None, 0, YEAR_10000_MS - 1, YEAR_10000_MS, 1_715_353_200_000]),
    secret=st.sampled_from([SECRET, "wrong", ""]),
)
def test_any_configuration_gets_an_answer_and_one_line(
    s3: S3Client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    configuration: dict[str, str | None],
    epoch_ms: int | None,
    secret: str,
) -> None:
    for item in s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", ()):
        s3.delete_object(Bucket=RAW_BUCKET, Key=item["Key"])
    clear_function_clients()  # a client is built from the settings of the request that first needs it
    capsys.readouterr()
    with monkeypatch.context() as patch:
        for name, value in configuration.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        request = event(update_body(message_update(update_id=83, text=TEXT)), secret=secret)
        request["requestContext"]["timeEpoch"] = epoch_ms

        response = lambda_handler(request, None)

    clear_function_clients()
    status, body = response["statusCode"], json.loads(response["body"])
    assert body["status"] in ANSWERS[status], (status, body)
    output = capsys.readouterr()
    [line] = parse_log(output.out)
    assert (line["status_code"], line["outcome"]) == (status, body["status"])
    assert TEXT not in output.out + output.err
    stored = [item["Key"] for item in s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", ())]
    assert stored == ([line["key"]] if body["status"] == "stored" else [])
