"""S3 throttling (503 SlowDown) and failures (500 InternalError) on GET, LIST and PUT: nothing is lost.

The functions run unchanged against moto's S3 server through ``tests/fault_proxy.py``, an HTTP proxy that
answers chosen requests with S3's XML error documents, so botocore's own retry logic (standard mode, with
the attempts each function's timeout allows: ``ETL_ATTEMPTS``, ``INGEST_ATTEMPTS``) sees real HTTP errors.
The test's own view of S3 (``direct``) goes straight to moto and is never faulted. Retries do not sleep
their backoff: the delays are recorded.

- Transient faults (``ETL_ATTEMPTS - 1`` failures, the most the retries absorb): the ETL succeeds and its
  Parquet file is byte-identical to a fault-free run's; exactly the failed attempts were repeated.
- Persistent faults: the ETL raises a ClientError naming the fault, the day's previous file (if any) is
  untouched, no new or partial object appears, and raw objects are unchanged; once S3 recovers, a rerun
  writes the complete day.
- Ingest: a 500 for Telegram (not a 4xx, not a crash) while S3 fails, nothing stored; the re-delivery is
  stored once, byte for byte.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import botocore.endpoint
import pytest
from botocore.exceptions import ClientError

from functions.etl.budget import DEFAULT_TIMEOUT_SECONDS as ETL_TIMEOUT
from functions.etl.budget import etl_call_limits
from functions.etl.handler import lambda_handler as etl_handler
from functions.ingest.budget import DEFAULT_TIMEOUT_SECONDS as INGEST_TIMEOUT
from functions.ingest.budget import ingest_call_limits
from telegram_datalake.local.moto_server import moto_server
from telegram_datalake.local.webhook_server import TIME_HEADER, webhook_server
from tests.conftest import (
    ENRICHED_BUCKET,
    RAW_BUCKET,
    SECRET,
    clear_function_clients,
    create_webhook_secret,
    update_body,
)
from tests.etl_support import (
    CHANNEL,
    DAY,
    DAY_START,
    bucket_state,
    message,
    no_row_update,
    put_raw,
    put_raw_body,
    raw_key,
    text_update,
    update,
)
from tests.fault_proxy import Fault, FaultProxy, NoBackoffSleep, Request, fault_proxy
from tests.ingest_support import ARRIVED, event, invoke, message_update, parse_log
from tests.ingest_support import raw_key as ingest_raw_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Attempts of each S3 call at the functions' default timeouts (the tests leave FUNCTION_TIMEOUT_SECONDS unset).
ETL_ATTEMPTS = etl_call_limits(ETL_TIMEOUT).max_attempts
INGEST_ATTEMPTS = ingest_call_limits(INGEST_TIMEOUT).storage.max_attempts
PREVIOUS_DAY = "2023-12-31"
OUTPUT_KEY = f"telegram/context_date={DAY}/telegram.parquet"
FAULTED_RAW_KEY = raw_key(DAY, "1004")
ERRORS = [pytest.param(503, "SlowDown", id="503-SlowDown"), pytest.param(500, "InternalError", id="500-InternalError")]
# What each faulted operation is, on the wire: method, path and the query parameters that single it out.
TARGETS: dict[str, tuple[str, str, dict[str, str]]] = {
    "GET-raw-object": ("GET", f"/{RAW_BUCKET}/{FAULTED_RAW_KEY}", {}),
    "LIST-the-day": ("GET", f"/{RAW_BUCKET}", {"list-type": "2", "prefix": f"telegram/context_date={DAY}/"}),
    "LIST-the-day-before": (
        "GET",
        f"/{RAW_BUCKET}",
        {"list-type": "2", "prefix": f"telegram/context_date={PREVIOUS_DAY}/"},
    ),
    "PUT-parquet": ("PUT", f"/{ENRICHED_BUCKET}/{OUTPUT_KEY}", {}),
}


@dataclass
class FaultyS3:
    """S3 for the functions (through the proxy), and for the test (direct); the backoff delays asked for."""

    proxy: FaultProxy  # what the functions talk to (AWS_ENDPOINT_URL)
    direct: S3Client  # straight to moto: the test's own, never faulted, view
    backoff: NoBackoffSleep

    def fail(self, target: str, status: int, code: str, times: int | None) -> Fault:
        """Fault one of ``TARGETS``: its first ``times`` requests (all of them when None)."""
        method, path, query = TARGETS[target]
        return self.proxy.fail(method, path, status=status, code=code, times=times, query=query)


@pytest.fixture
def faulty_s3(monkeypatch: pytest.MonkeyPatch, boto3_session: boto3.Session) -> Iterator[FaultyS3]:
    """Moto's S3 server behind the fault proxy, with the test buckets; the functions' client uses the proxy."""
    backoff = NoBackoffSleep()
    monkeypatch.setattr(botocore.endpoint, "time", backoff)  # endpoint.py uses time only to sleep the backoff
    with moto_server() as endpoint, fault_proxy(endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "127.0.0.1,localhost")
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3_session)
        clear_function_clients()
        direct = boto3_session.client("s3", endpoint_url=endpoint)
        try:
            for bucket in (RAW_BUCKET, ENRICHED_BUCKET):
                direct.create_bucket(Bucket=bucket)
            create_webhook_secret(boto3_session, endpoint)
            yield FaultyS3(proxy, direct, backoff)
        finally:
            clear_function_clients()
            direct.close()


def objects(s3: S3Client, bucket: str) -> dict[str, tuple[str, bytes]]:
    """Every object of ``bucket``: key -> (ETag, bytes)."""
    listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: (item["ETag"], s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()) for item in listing
    }


def seed_raw(s3: S3Client) -> None:
    """A day as the ingest function leaves it: messages, media, a channel post, a join request, a stray object,
    and one update first delivered the day before (so its row belongs to that day)."""
    for update_id in range(1001, 1007):
        put_raw(s3, DAY, text_update(update_id, f"mensagem {update_id} ✅", date=DAY_START + update_id % 7))
    photo = message(20, date=DAY_START + 60, photo=[{"file_id": "AgAC", "file_unique_id": "AQAD"}], caption="foto 📷")
    put_raw(s3, DAY, update(1007, photo))
    post = message(5, chat=CHANNEL, sender=None, sender_chat=CHANNEL, date=DAY_START + 90, text="Aviso do canal")
    put_raw(s3, DAY, update(1008, post, "channel_post"))
    put_raw(s3, DAY, no_row_update(1009, "chat_join_request"))  # kept raw only: one Parquet file in all
    put_raw_body(s3, raw_key(DAY, "notes"), b"not an update")
    put_raw(s3, PREVIOUS_DAY, text_update(1003, "mensagem 1003 ✅", date=DAY_START + 1003 % 7))


def run_etl() -> dict[str, Any]:
    result = etl_handler({"date": DAY}, None)
    [day] = result["days"]
    assert isinstance(day, dict)
    return day


def added_attempts(before: Counter[Any], after: Counter[Any]) -> Counter[Any]:
    """The requests of ``after`` beyond those of ``before`` (and nothing missing from ``after``)."""
    assert before - after == Counter()
    return after - before


@pytest.mark.usefixtures("etl_env")
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("status", "code"), ERRORS)
def test_etl_rides_out_transient_faults_with_a_byte_identical_file(
    faulty_s3: FaultyS3, target: str, status: int, code: str
) -> None:
    """Failures of one call that the retries absorb (the last attempt succeeds) change nothing in what is written."""
    proxy, direct = faulty_s3.proxy, faulty_s3.direct
    seed_raw(direct)
    start = len(proxy.requests())
    expected = run_etl()
    expected_bytes = objects(direct, ENRICHED_BUCKET)[OUTPUT_KEY][1]
    fault_free = proxy.targets(since=start)
    assert (expected["objects_read"], expected["rows_written"], expected["duplicates"]) == (10, 7, 1)
    direct.delete_object(Bucket=ENRICHED_BUCKET, Key=OUTPUT_KEY)  # the faulty run must write it anew

    start = len(proxy.requests())
    fault = faulty_s3.fail(target, status, code, times=ETL_ATTEMPTS - 1)
    assert run_etl() == expected

    assert set(objects(direct, ENRICHED_BUCKET)) == {OUTPUT_KEY}
    assert objects(direct, ENRICHED_BUCKET)[OUTPUT_KEY][1] == expected_bytes
    assert (fault.failed, fault.matched) == (ETL_ATTEMPTS - 1, ETL_ATTEMPTS)
    # Exactly the failed call was attempted again, four more times; nothing else was redone.
    [(repeated, extra)] = added_attempts(fault_free, proxy.targets(since=start)).items()
    assert extra == ETL_ATTEMPTS - 1
    assert fault.matches(repeated[0], repeated[1], dict(repeated[2]))
    assert len(faulty_s3.backoff.delays) == ETL_ATTEMPTS - 1
    assert all(0 <= delay <= 20 for delay in faulty_s3.backoff.delays)


def raw_writes(requests: list[Request]) -> list[Request]:
    return [r for r in requests if r.path.startswith(f"/{RAW_BUCKET}") and r.method not in {"GET", "HEAD"}]


@pytest.mark.usefixtures("etl_env")
@pytest.mark.parametrize(
    ("status", "code", "previous_file"),
    [
        pytest.param(503, "SlowDown", True, id="503-SlowDown-previous-file"),
        pytest.param(500, "InternalError", True, id="500-InternalError-previous-file"),
        pytest.param(503, "SlowDown", False, id="503-SlowDown-first-run"),
    ],
)
@pytest.mark.parametrize("target", TARGETS)
def test_etl_fails_loudly_on_persistent_faults_and_keeps_the_last_complete_file(
    faulty_s3: FaultyS3, target: str, status: int, code: str, previous_file: bool
) -> None:
    """The invocation raises, and the day's file stays exactly as the last successful run left it.

    That file is the last complete result: it holds every row of the objects that run read. Replacing it
    with what a failing run could gather would silently drop rows, and deleting it would make Athena
    answer "no messages" for the day; both look like success to whoever queries. Left alone, queries
    keep answering from the last complete day, the failure is loud (the invocation errors: Lambda's
    retries, the dead-letter queue and the alarm see it), and the next successful run replaces the file.
    """
    proxy, direct = faulty_s3.proxy, faulty_s3.direct
    seed_raw(direct)
    if previous_file:
        assert run_etl()["rows_written"] == 7
    previous = objects(direct, ENRICHED_BUCKET)
    put_raw(direct, DAY, text_update(1010, "chegou depois", date=DAY_START + 120))  # a later delivery
    raw_before = bucket_state(direct, RAW_BUCKET)  # keys and ETags (MD5s of the bytes)
    start = len(proxy.requests())
    fault = faulty_s3.fail(target, status, code, times=None)

    with pytest.raises(ClientError, match=code) as raised:
        run_etl()

    response: Any = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert fault.failed == fault.matched == ETL_ATTEMPTS
    assert len(faulty_s3.backoff.delays) == ETL_ATTEMPTS - 1
    assert objects(direct, ENRICHED_BUCKET) == previous  # same keys, ETags and bytes; nothing new
    assert direct.list_multipart_uploads(Bucket=ENRICHED_BUCKET).get("Uploads", []) == []
    assert bucket_state(direct, RAW_BUCKET) == raw_before
    assert raw_writes(proxy.requests()[start:]) == []

    proxy.clear_faults()  # S3 recovers: the retried invocation writes the complete day
    assert run_etl()["rows_written"] == 8
    [(_, written)] = objects(direct, ENRICHED_BUCKET).values()
    assert written != previous.get(OUTPUT_KEY, ("", b""))[1]


@pytest.mark.usefixtures("ingest_env")
@pytest.mark.parametrize(("status", "code"), ERRORS)
def test_ingest_answers_500_while_s3_fails_and_the_redelivery_is_stored_once(
    faulty_s3: FaultyS3, status: int, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram re-sends after a 500 until it gets a 2xx; then the update is stored once, byte for byte."""
    proxy, direct = faulty_s3.proxy, faulty_s3.direct
    body = update_body(message_update(update_id=77, text="Olá, mundo do S3 instável ✅"))
    key = ingest_raw_key(77)
    fault = proxy.fail("PUT", f"/{RAW_BUCKET}/{key}", status=status, code=code)

    assert invoke(event(body)) == (500, {"status": "error"})
    assert fault.failed == fault.matched == INGEST_ATTEMPTS
    assert len(faulty_s3.backoff.delays) == INGEST_ATTEMPTS - 1
    assert objects(direct, RAW_BUCKET) == {}
    [line] = parse_log(capsys.readouterr().out)
    assert (line["level"], line["status_code"], line["reason"]) == ("ERROR", 500, "storage failed: ClientError")

    proxy.clear_faults()
    assert invoke(event(body)) == (200, {"status": "stored"})  # the re-delivery
    assert invoke(event(body)) == (200, {"status": "stored"})  # and a duplicate of it
    stored = objects(direct, RAW_BUCKET)
    assert list(stored) == [key]
    assert stored[key][1] == body
    puts = [r for r in proxy.requests() if r.method == "PUT" and r.path == f"/{RAW_BUCKET}/{key}"]
    assert [r.fault for r in puts] == [code] * INGEST_ATTEMPTS + [None, None]


@pytest.mark.usefixtures("ingest_env")
@pytest.mark.parametrize(("status", "code"), ERRORS)
def test_ingest_rides_out_transient_faults_within_one_invocation(faulty_s3: FaultyS3, status: int, code: str) -> None:
    body = update_body(message_update(update_id=78))
    fault = faulty_s3.proxy.fail(
        "PUT", f"/{RAW_BUCKET}/{ingest_raw_key(78)}", status=status, code=code, times=INGEST_ATTEMPTS - 1
    )

    assert invoke(event(body)) == (200, {"status": "stored"})

    assert (fault.failed, fault.matched) == (INGEST_ATTEMPTS - 1, INGEST_ATTEMPTS)
    assert {key: data for key, (_, data) in objects(faulty_s3.direct, RAW_BUCKET).items()} == {ingest_raw_key(78): body}


@pytest.mark.usefixtures("ingest_env")
def test_the_webhook_answers_http_500_while_s3_throttles(faulty_s3: FaultyS3) -> None:
    """Over real HTTP, as Telegram sees it: a 500 (so it re-delivers), then a 200 once S3 is back."""
    body = update_body(message_update(update_id=79))
    key = ingest_raw_key(79)  # the arrival time is pinned to ingest_support.ARRIVED by the demo's header
    fault = faulty_s3.proxy.fail("PUT", f"/{RAW_BUCKET}/{key}", status=503, code="SlowDown")
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": SECRET,
        TIME_HEADER: str(int(ARRIVED.timestamp() * 1000)),
    }

    with webhook_server(trust_time_header=True) as url:
        failed = post(url, body, headers)
        faulty_s3.proxy.clear_faults()
        stored = post(url, body, headers)

    assert failed == (500, {"status": "error"})
    assert stored == (200, {"status": "stored"})
    assert fault.failed == INGEST_ATTEMPTS
    assert objects(faulty_s3.direct, RAW_BUCKET)[key][1] == body


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()
