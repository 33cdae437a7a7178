"""What Telegram sees when S3 fails, and the one S3 client a container shares between invocations.

Failures are injected on the real botocore client with event hooks (moto stays the fake S3), so the handler's
own code runs unmodified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import EndpointConnectionError

from functions.common.s3client import s3_client
from functions.ingest.budget import DEFAULT_TIMEOUT_SECONDS, ingest_call_limits
from functions.ingest.config import ENVIRONMENT_VARIABLES
from tests.conftest import RAW_BUCKET, update_body
from tests.ingest_support import event, invoke, message_update, raw_key, stored_body, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.usefixtures("ingest_env")

STORAGE = ingest_call_limits(DEFAULT_TIMEOUT_SECONDS).storage  # the put's limits at the default 15 s timeout
PUT_OBJECT_CALL = "before-call.s3.PutObject"  # fires once per put_object, before botocore's retry loop
PUT_OBJECT_SEND = "before-send.s3.PutObject"  # fires once per HTTP attempt, inside the retry loop


class _Raw:
    """The minimal raw-stream interface botocore reads an HTTP response body through."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _s3_error(status: int, code: str) -> AWSResponse:
    body = f"<Error><Code>{code}</Code><Message>injected</Message><RequestId>r</RequestId></Error>".encode()
    return AWSResponse(f"https://{RAW_BUCKET}.s3.amazonaws.com/", status, HTTPHeaders(), _Raw(body))


def _answer(status: int, code: str) -> Callable[..., object]:
    """A ``before-call`` hook: botocore takes its return value as S3's response and skips the request."""

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return _s3_error(status, code), {"Error": {"Code": code, "Message": "injected"}}

    return respond


def _hook(s3: S3Client, event_name: str, handler: Callable[..., object]) -> None:
    """Register ``handler`` ahead of moto's own hooks (the stubs type handlers as returning None)."""
    s3.meta.events.register_first(event_name, cast("Callable[..., None]", handler))


def _assert_no_internals(response: dict[str, Any]) -> None:
    """A 500 tells Telegram to retry and nothing else: no variable, bucket or exception names."""
    assert response == {"status": "error"}
    text = str(response)
    for internal in (*ENVIRONMENT_VARIABLES, RAW_BUCKET, "missing-bucket", "NoSuchBucket", "SlowDown", "Error"):
        assert internal not in text


def test_missing_bucket_answers_500_so_telegram_retries(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """A storage failure must not be acknowledged, or Telegram would drop the update."""
    monkeypatch.setenv("RAW_BUCKET", "missing-bucket")

    status, response = invoke(event(update_body(message_update(update_id=51))))

    assert status == 500
    _assert_no_internals(response)
    assert stored_keys(s3) == []
    assert sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]) == ["test-enriched", "test-raw"]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(_answer(503, "SlowDown"), id="s3-slow-down"),
        pytest.param(_answer(403, "AccessDenied"), id="s3-access-denied"),
    ],
)
def test_s3_error_answers_500_and_the_redelivery_is_stored_once(s3: S3Client, failure: Callable[..., object]) -> None:
    """Telegram re-sends after a 500; once S3 recovers the update is stored, at one key, exactly once."""
    body = update_body(message_update(update_id=52))
    _hook(s3, PUT_OBJECT_CALL, failure)

    status, response = invoke(event(body))

    assert status == 500
    _assert_no_internals(response)
    assert stored_keys(s3) == []

    s3.meta.events.unregister(PUT_OBJECT_CALL, cast("Callable[..., None]", failure))
    redelivered = invoke(event(body))
    again = invoke(event(body))

    assert redelivered == again == (200, {"status": "stored"})
    assert stored_keys(s3) == [raw_key(52)]
    assert stored_body(s3, raw_key(52)) == body


def test_connection_error_answers_500(s3: S3Client) -> None:
    """Errors raised by botocore itself (not S3 responses) are storage failures too, not crashes."""

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=f"https://{RAW_BUCKET}.s3.amazonaws.com/")

    _hook(s3, PUT_OBJECT_CALL, unreachable)

    status, response = invoke(event(update_body(message_update(update_id=53))))

    assert status == 500
    _assert_no_internals(response)
    assert stored_keys(s3) == []


def test_a_transient_s3_error_is_retried_within_the_invocation(s3: S3Client) -> None:
    """With standard retries one S3 500 costs a second attempt, not a failed webhook call."""
    attempts: list[str] = []

    def fail_first_attempt(**_: Any) -> AWSResponse | None:
        attempts.append("attempt")
        return _s3_error(500, "InternalError") if len(attempts) == 1 else None

    _hook(s3, PUT_OBJECT_SEND, fail_first_attempt)

    status, _ = invoke(event(update_body(message_update(update_id=54))))

    assert status == 200
    assert len(attempts) == 2
    assert stored_keys(s3) == [raw_key(54)]


def test_invocations_share_one_client(s3: S3Client) -> None:
    """The client is built once per container: a hook on the cached client sees every invocation's write."""
    written: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        written.append(params["Key"])

    s3.meta.events.register("before-parameter-build.s3.PutObject", record)
    misses = s3_client.cache_info().misses

    invoke(event(update_body(message_update(update_id=55))))
    invoke(event(update_body(message_update(update_id=56))))

    assert written == [raw_key(55), raw_key(56)]
    assert s3_client.cache_info().misses == misses
    assert s3_client(STORAGE) is s3


def test_client_retries_transient_errors(s3: S3Client) -> None:
    """Throttling and 5xx are retried by botocore in standard mode before the function gives up."""
    config: Any = s3_client(STORAGE).meta.config  # botocore-stubs do not declare Config's option attributes
    retries = config.retries

    assert retries is not None
    assert retries.get("mode") == "standard"
    assert retries.get("total_max_attempts") == STORAGE.max_attempts > 1
    assert (config.connect_timeout, config.read_timeout) == (STORAGE.connect_timeout, STORAGE.read_timeout)
