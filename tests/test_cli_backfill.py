"""``backfill``: the ETL handler in-process on moto S3 (``--local``), and the deployed function on moto's
Lambda without Docker, which answers with queued summaries; invocations are recorded by botocore hooks.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend

from telegram_datalake.cli import backfill, main
from telegram_datalake.cli.backfill import COLUMNS, MAX_DAYS, READ_TIMEOUT, days_between, lambda_client
from telegram_datalake.cli.errors import CliError
from tests.cli_support import cli
from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET
from tests.etl_support import DAY_START, no_row_update, put_raw, put_raw_body, raw_key, text_update
from tests.terraform_state import OFFLINE_ENVIRONMENT, apply_outputs

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REGION, ACCOUNT = "us-east-1", "123456789012"  # moto's default account
FUNCTION = "telegram-datalake-etl"
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


@pytest.fixture(scope="module")
def terraform_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outputs = {"etl_function_name": FUNCTION, "raw_bucket_name": RAW_BUCKET, "enriched_bucket_name": ENRICHED_BUCKET}
    return apply_outputs(tmp_path_factory.mktemp("terraform"), outputs)


@pytest.fixture
def offline_terraform(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["backfill", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: telegram-datalake backfill [-h] --from YYYY-MM-DD --to YYYY-MM-DD")
    for option in ("--local", "--function-name", "--keep-going", "--format", "--terraform-dir"):
        assert option in out


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-01-05", "2024-01-01", "--from 2024-01-05 is after --to 2024-01-01: give the earlier day first"),
        ("2024-1-5", "2024-01-06", "--from must be a date formatted YYYY-MM-DD, got '2024-1-5'"),
        ("2024-01-01", "yesterday", "--to must be a date formatted YYYY-MM-DD, got 'yesterday'"),
        ("2023-02-29", "2023-03-01", "--from 2023-02-29 is not a real calendar date"),
        ("2022-01-01", "2024-01-01", "2022-01-01..2024-01-01 spans 731 days; backfill at most 366 days per run"),
        ("2024-01-01", "2999-01-01", "--to 2999-01-01 is in the future: there is nothing to process yet"),
    ],
)
def test_bad_date_ranges_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], start: str, end: str, message: str
) -> None:
    run = cli(capsys, "backfill", "--from", start, "--to", end, "--function-name", FUNCTION)
    assert run.code == 2
    assert run.err == f"telegram-datalake: error: {message}\n"
    assert run.out == ""


def test_days_between_is_inclusive_up_to_a_leap_years_days() -> None:
    now = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    assert days_between("2024-02-28", "2024-03-01", now=now) == ["2024-02-28", "2024-02-29", "2024-03-01"]
    assert len(days_between("2024-01-01", "2024-12-31", now=now)) == MAX_DAYS
    assert days_between("2025-01-01", "2025-01-01", now=now) == ["2025-01-01"]  # already today in UTC+14
    with pytest.raises(CliError, match="in the future"):
        days_between("2025-01-02", "2025-01-02", now=now)


# ---------------------------------------------------------------------------------------------------------------
# --local: the handler in this process, on moto S3


def put_three_days(s3: S3Client) -> None:
    """Day 1: three messages. Day 2: two messages, a re-delivery of day 1's first update, an edit (a row of the
    edits table) and an object that is not JSON. Day 3: one message.
    """
    for update_id in (101, 102, 103):
        put_raw(s3, DAYS[0], text_update(update_id, date=DAY_START + update_id))
    for update_id in (201, 202):
        put_raw(s3, DAYS[1], text_update(update_id, date=DAY_START + 86_400 + update_id))
    put_raw(s3, DAYS[1], text_update(101, date=DAY_START + 101))
    put_raw(s3, DAYS[1], no_row_update(203, "edited_message"))
    put_raw_body(s3, raw_key(DAYS[1], "204"), b"{not json")
    put_raw(s3, DAYS[2], text_update(301, date=DAY_START + 2 * 86_400))


def parquet_sizes(s3: S3Client) -> dict[str, int]:
    listing = s3.list_objects_v2(Bucket=ENRICHED_BUCKET)
    return {item["Key"]: item["Size"] for item in listing.get("Contents", ())}


def expected_table(sizes: list[int]) -> list[str]:
    rows = [
        (DAYS[0], 3, 3, 0, 0, 0, 0, 0, 0, sizes[0]),
        (DAYS[1], 5, 2, 1, 0, 0, 1, 1, 0, sizes[1]),
        (DAYS[2], 1, 1, 0, 0, 0, 0, 0, 0, sizes[2]),
        ("total", 9, 6, 1, 0, 0, 1, 1, 0, sum(sizes)),
    ]
    header = COLUMNS
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]

    def line(row: tuple[Any, ...], numbers: bool) -> str:
        cells = [
            str(value).rjust(width) if numbers and index else str(value).ljust(width)
            for index, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return (
        [line(header, False), "  ".join("-" * width for width in widths)] + [line(r, True) for r in rows] + ["(4 rows)"]
    )


@pytest.mark.usefixtures("etl_env")
def test_local_backfill_writes_one_parquet_file_per_day(capsys: pytest.CaptureFixture[str], s3: S3Client) -> None:
    put_three_days(s3)
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[2], "--local")
    assert run.code == 0, run.err

    sizes = parquet_sizes(s3)
    keys = [f"telegram/context_date={day}/telegram.parquet" for day in DAYS]
    edits = f"message_edits/context_date={DAYS[1]}/message_edits.parquet"
    assert sorted(sizes) == [edits, *keys]
    day_sizes = [sizes[key] for key in keys]
    day_sizes[1] += sizes[edits]
    assert run.out.splitlines() == expected_table(day_sizes)
    lines = run.err.splitlines()
    assert lines[0] == (
        f"backfill: 3 days, {DAYS[0]} to {DAYS[2]}, with the ETL handler in this process "
        f"(raw s3://{RAW_BUCKET}, enriched s3://{ENRICHED_BUCKET})"
    )
    progress = [line for line in lines if line.startswith("backfill [")]
    assert [line.split(" in ")[0] for line in progress] == [
        f"backfill [1/3] {DAYS[0]}: 3 rows from 3 objects",
        f"backfill [2/3] {DAYS[1]}: 2 rows from 5 objects",
        f"backfill [3/3] {DAYS[2]}: 1 rows from 1 objects",
    ]
    logged = [json.loads(line) for line in lines if line.startswith("{")]  # the function's logs: stderr, not stdout
    assert [entry["date"] for entry in logged if entry["message"] == "day processed"] == DAYS


@pytest.mark.usefixtures("etl_env", "offline_terraform")
def test_local_backfill_takes_the_buckets_from_terraform_when_unset(
    capsys: pytest.CaptureFixture[str], s3: S3Client, monkeypatch: pytest.MonkeyPatch, terraform_dir: Path
) -> None:
    monkeypatch.delenv("RAW_BUCKET")
    monkeypatch.delenv("ENRICHED_BUCKET")
    put_three_days(s3)
    run = cli(capsys, "backfill", "--from", DAYS[2], "--to", DAYS[2], "--local", "--terraform-dir", str(terraform_dir))
    assert run.code == 0, run.err
    assert f"(raw s3://{RAW_BUCKET}, enriched s3://{ENRICHED_BUCKET})" in run.err
    assert sorted(parquet_sizes(s3)) == [f"telegram/context_date={DAYS[2]}/telegram.parquet"]
    assert "RAW_BUCKET" not in os.environ  # restored
    assert "ENRICHED_BUCKET" not in os.environ


@pytest.mark.usefixtures("etl_env")
def test_local_backfill_reports_an_s3_error_without_a_traceback(
    capsys: pytest.CaptureFixture[str], s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENRICHED_BUCKET", "no-such-bucket")
    put_three_days(s3)
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[2], "--local", "--format", "csv")
    assert run.code == 2
    assert run.err.splitlines()[-1].startswith(
        f"telegram-datalake: error: the ETL for {DAYS[0]} failed: NoSuchBucket: The specified bucket does not exist"
    )


@pytest.mark.usefixtures("s3")
def test_local_backfill_names_a_missing_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAW_BUCKET", RAW_BUCKET)
    monkeypatch.setenv("ENRICHED_BUCKET", ENRICHED_BUCKET)
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus_Mons")
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[0], "--local")
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        "telegram-datalake: error: the ETL's settings: environment variable TIMEZONE is not an IANA time zone name"
    )


# ---------------------------------------------------------------------------------------------------------------
# The deployed function: moto's Lambda without Docker


@dataclass
class DeployedEtl:
    """Moto's Docker-free Lambda: it answers each Invoke with the next queued result; calls are recorded."""

    session: boto3.Session
    invocations: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # invocation index -> FunctionError to report

    def record(self, params: dict[str, Any], **_: Any) -> None:
        self.invocations.append(
            {
                "path": params["url_path"],
                "type": params["headers"]["X-Amz-Invocation-Type"],
                "payload": json.loads(params["body"]),
            }
        )

    def add_function_error(self, parsed: dict[str, Any], **_: Any) -> None:
        """What Lambda adds when the handler raised (moto's simple backend never does)."""
        error = self.errors.get(len(self.invocations) - 1)
        if error:
            parsed["FunctionError"] = error

    def answer(self, result: Any) -> None:
        moto_api_backend.set_lambda_simple_result(json.dumps(result), ACCOUNT, REGION)


def summary(day: str, objects: int, rows: int, skipped: int = 0, duplicates: int = 0, *, edits: int = 0) -> Any:
    """An ETL day summary: ``rows`` messages, ``edits`` edits (one a repeat), the rest raw only."""
    edit_table = {"rows": edits, "duplicates": 1 if edits else 0, "key": None, "bytes": 500 if edits else 0}
    return {
        "date": day,
        "objects_read": objects,
        "rows_written": rows,
        "skipped": skipped,
        "duplicates": duplicates,
        "updates_without_row": objects - rows - skipped - duplicates - edits - (1 if edits else 0),
        "output_key": f"telegram/context_date={day}/telegram.parquet",
        "bytes_written": 1000 + rows,
        "tables": {"message_edits": edit_table, "member_events": {"rows": 0}, "reactions": {"rows": 0}},
    }


@pytest.fixture
def deployed() -> Iterator[DeployedEtl]:
    with mock_aws(config={"lambda": {"use_docker": False}}):
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        boto3.DEFAULT_SESSION = session  # the CLI's client comes from it, with the hooks
        etl = DeployedEtl(session)
        session.events.register("before-call.lambda.Invoke", etl.record)
        session.events.register("after-call.lambda.Invoke", etl.add_function_error)
        role = session.client("iam").create_role(
            RoleName="etl", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("functions/etl/handler.py", "def lambda_handler(event, context): ...\n")
        session.client("lambda").create_function(
            FunctionName=FUNCTION,
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler="functions.etl.handler.lambda_handler",
            Code={"ZipFile": code.getvalue()},
            Timeout=900,
        )
        yield etl
    boto3.DEFAULT_SESSION = None


@pytest.mark.usefixtures("offline_terraform")
def test_backfill_invokes_the_function_once_per_day(
    capsys: pytest.CaptureFixture[str], deployed: DeployedEtl, terraform_dir: Path
) -> None:
    for result in (summary(DAYS[0], 10, 6, 1, 0, edits=2), summary(DAYS[1], 0, 0), summary(DAYS[2], 5, 5)):
        deployed.answer({"days": [result]})
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[2], "--terraform-dir", str(terraform_dir))
    assert run.code == 0, run.err
    assert deployed.invocations == [
        {
            "path": f"/2015-03-31/functions/{FUNCTION}/invocations",
            "type": "RequestResponse",
            "payload": {"date": day},
        }
        for day in DAYS
    ]
    assert run.out.splitlines() == [
        "date        objects_read  rows_written  message_edits  member_events  reactions  skipped  duplicates"
        "  updates_without_row  bytes_written",
        "----------  ------------  ------------  -------------  -------------  ---------  -------  ----------"
        "  -------------------  -------------",
        "2024-01-01            10             6              2              0          0        1           1"
        "                    0           1506",  # one repeated edit; the edits file's bytes added
        "2024-01-02             0             0              0              0          0        0           0"
        "                    0           1000",
        "2024-01-03             5             5              0              0          0        0           0"
        "                    0           1005",
        "total                 15            11              2              0          0        1           1"
        "                    0           3511",
        "(4 rows)",
    ]
    assert run.err.splitlines()[0] == f"backfill: 3 days, {DAYS[0]} to {DAYS[2]}, with function {FUNCTION}"


def test_csv_and_json_have_no_total_row(capsys: pytest.CaptureFixture[str], deployed: DeployedEtl) -> None:
    deployed.answer({"days": [summary(DAYS[0], 2, 2)]})
    deployed.answer({"days": [summary(DAYS[0], 2, 2)]})
    args = ["backfill", "--from", DAYS[0], "--to", DAYS[0], "--function-name", FUNCTION]
    assert cli(capsys, *args, "--format", "csv").out == (
        "date,objects_read,rows_written,message_edits,member_events,reactions,skipped,duplicates,updates_without_row,"
        "bytes_written\n"
        "2024-01-01,2,2,0,0,0,0,0,0,1002\n"
    )
    assert json.loads(cli(capsys, *args, "--format", "json").out) == [
        {
            "date": "2024-01-01",
            "objects_read": 2,
            "rows_written": 2,
            "message_edits": 0,
            "member_events": 0,
            "reactions": 0,
            "skipped": 0,
            "duplicates": 0,
            "updates_without_row": 0,
            "bytes_written": 1002,
        }
    ]


ERROR = {"errorMessage": "An error occurred (AccessDenied) when calling PutObject", "errorType": "ClientError"}


def test_a_function_error_stops_the_backfill(capsys: pytest.CaptureFixture[str], deployed: DeployedEtl) -> None:
    deployed.answer({"days": [summary(DAYS[0], 1, 1)]})
    deployed.answer({**ERROR, "stackTrace": ["..."]})
    deployed.errors[1] = "Unhandled"
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[2], "--function-name", FUNCTION)
    assert run.code == 2
    assert [invocation["payload"] for invocation in deployed.invocations] == [{"date": DAYS[0]}, {"date": DAYS[1]}]
    assert run.err.splitlines()[-1] == (
        f"telegram-datalake: error: the ETL failed for {DAYS[1]}: ClientError: {ERROR['errorMessage']}; "
        f"the days before it were processed; fix the cause and rerun from --from {DAYS[1]} (or use --keep-going)"
    )
    assert run.out.splitlines()[2:5] == [
        "2024-01-01             1             1              0              0          0        0           0"
        "                    0           1001",
        "2024-01-02          NULL          NULL           NULL           NULL       NULL     NULL        NULL"
        "                 NULL           NULL",
        "total                  1             1              0              0          0        0           0"
        "                    0           1001",
    ]


def test_keep_going_runs_every_day_and_exits_1(capsys: pytest.CaptureFixture[str], deployed: DeployedEtl) -> None:
    deployed.answer({"days": [summary(DAYS[0], 1, 1)]})
    deployed.answer(ERROR)
    deployed.answer({"days": [summary(DAYS[2], 2, 2)]})
    deployed.errors[1] = "Unhandled"
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[2], "--function-name", FUNCTION, "--keep-going")
    assert run.code == 1
    assert len(deployed.invocations) == 3
    assert f"backfill [2/3] {DAYS[1]}: FAILED ClientError: {ERROR['errorMessage']}" in run.err.splitlines()
    assert run.err.splitlines()[-1] == (
        f"backfill: 1 of 3 days failed: {DAYS[1]} (ClientError: {ERROR['errorMessage']})"
    )
    assert run.out.splitlines()[-2] == (
        "total                  3             3              0              0          0        0           0"
        "                    0           2003"
    )


def test_an_answer_that_is_not_a_summary_stops(capsys: pytest.CaptureFixture[str], deployed: DeployedEtl) -> None:
    deployed.answer({"days": [summary(DAYS[1], 1, 1)]})  # another day's summary
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[1], "--function-name", FUNCTION)
    assert run.code == 2
    assert len(deployed.invocations) == 1
    assert run.err.splitlines()[-1].startswith(f'telegram-datalake: error: {FUNCTION} answered {{"days": [{{"date": ')
    assert run.err.splitlines()[-1].endswith(f"for {DAYS[0]}, not the summary of that day: is it the ETL function?")


def test_an_aws_error_is_a_sentence(capsys: pytest.CaptureFixture[str], deployed: DeployedEtl) -> None:
    def deny(parsed: dict[str, Any], http_response: Any, **_: Any) -> None:
        http_response.status_code = 403
        parsed["Error"] = {
            "Code": "AccessDeniedException",
            "Message": "not authorized to perform lambda:InvokeFunction",
        }

    deployed.session.events.register("after-call.lambda.Invoke", deny)
    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[0], "--function-name", FUNCTION)
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        f"telegram-datalake: error: invoking {FUNCTION} for {DAYS[0]} failed: AccessDeniedException: "
        "not authorized to perform lambda:InvokeFunction (check that your credentials may do this (IAM policy) "
        "and that it is the right account)"
    )


def test_the_lambda_client_waits_longer_than_the_function_and_never_retries() -> None:
    with mock_aws():
        settings = vars(lambda_client().meta.config)  # botocore's Config sets its options as attributes
    assert settings["read_timeout"] == READ_TIMEOUT > 900
    assert settings["retries"] == {"mode": "standard", "total_max_attempts": 1}
    assert settings["tcp_keepalive"] is True


def throttle(times: int | None) -> Callable[..., tuple[AWSResponse, dict[str, Any]] | None]:
    """A before-call hook: Lambda's 429 for the first ``times`` invocations (all when None); they never run."""
    answered = [0]

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if times is not None and answered[0] >= times:
            return None
        answered[0] += 1
        parsed = {
            "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "ResponseMetadata": {"HTTPStatusCode": 429},
        }
        return AWSResponse("https://lambda.us-east-1.amazonaws.com", 429, HTTPHeaders(), None), parsed

    return answer


def test_a_throttled_invocation_is_retried_after_a_growing_wait(
    capsys: pytest.CaptureFixture[str], deployed: DeployedEtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the daily run holds the ETL's one reserved execution, Lambda answers 429: the day is not lost."""
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    deployed.session.events.register("before-call.lambda.Invoke", cast("Callable[..., None]", throttle(2)))
    deployed.answer({"days": [summary(DAYS[0], 3, 3)]})

    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[0], "--function-name", FUNCTION)

    assert run.code == 0, run.err
    assert len(deployed.invocations) == 3
    assert len(waits) == 2
    assert 1.0 <= waits[0] <= 2.0
    assert 2.0 <= waits[1] <= 4.0
    retries = [line for line in run.err.splitlines() if "throttled" in line]
    assert len(retries) == 2
    assert retries[0].startswith(
        f"backfill: {DAYS[0]}: Lambda throttled the invocation "
        "(TooManyRequestsException: ReservedFunctionConcurrentInvocationLimitExceeded); retrying in "
    )
    assert "2024-01-01             3             3" in run.out


def test_throttling_that_does_not_end_stops_with_a_sentence(
    capsys: pytest.CaptureFixture[str], deployed: DeployedEtl, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    deployed.session.events.register("before-call.lambda.Invoke", cast("Callable[..., None]", throttle(None)))

    run = cli(capsys, "backfill", "--from", DAYS[0], "--to", DAYS[1], "--function-name", FUNCTION)

    assert run.code == 2
    assert len(deployed.invocations) == backfill.THROTTLE_ATTEMPTS
    assert len(waits) == backfill.THROTTLE_ATTEMPTS - 1
    assert max(waits) <= backfill.THROTTLE_MAX_DELAY
    assert run.err.splitlines()[-1].endswith(
        f"still throttled after {backfill.THROTTLE_ATTEMPTS} attempts: another run may hold the function's "
        f"reserved concurrency, or the account's concurrency is exhausted; rerun from --from {DAYS[0]} later"
    )
