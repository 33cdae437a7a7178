"""Every network call of the CLI ends: bounded connect and read timeouts, a bounded number of attempts.

Each command is run for real (AWS on moto, Telegram on the fake Bot API) and every boto3 client it creates
is looked at: its timeouts and attempts are the ones ``telegram_datalake.aws_clients`` gives that service.
Then a hung endpoint (a socket that accepts and never answers) shows the CLI giving a one-line error
within its bound instead of hanging; the bounds are made small there through the same table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common.call_limits import CallLimits
from telegram_datalake import aws_clients, telegram_api
from telegram_datalake.cli import terraform_outputs
from telegram_datalake.telegram_api import TelegramApiError, TelegramBotApi
from tests.cli_support import cli
from tests.fake_bot_api import TOKEN, FakeBotApi, ok
from tests.hung_server import hung_server

Created = list[tuple[str, Any]]
TINY = CallLimits(connect_timeout=0.5, read_timeout=0.5, max_attempts=2)
# Two attempts of TINY, botocore's first retry wait (at most 1 s) and a loaded machine's slack: still far
# below what botocore's defaults would take against the same endpoint (60 s per read, several attempts).
TINY_WORST_CASE = 8.0


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> Created:
    """Every (service, client) boto3.client makes while the test runs (the real clients, only recorded)."""
    made: Created = []
    real: Callable[..., Any] = boto3.client

    def record(service: str, *args: Any, **kwargs: Any) -> Any:
        client = real(service, *args, **kwargs)
        made.append((service, client))
        return client

    monkeypatch.setattr(boto3, "client", record)
    return made


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        boto3.DEFAULT_SESSION = None
        yield
    boto3.DEFAULT_SESSION = None


def bounds(client: Any) -> tuple[float, float, dict[str, Any]]:
    config = client.meta.config
    return config.connect_timeout, config.read_timeout, config.retries


def expected(service: str) -> tuple[float, float, dict[str, Any]]:
    limits = aws_clients.BOUNDS[service]
    return limits.connect_timeout, limits.read_timeout, {"mode": "standard", "total_max_attempts": limits.max_attempts}


def test_the_bounds_suit_each_call() -> None:
    """Short for the request/response APIs; the ETL's Invoke waits out its 900 s and is never repeated."""
    for service in ("athena", "s3", "secretsmanager"):
        limits = aws_clients.BOUNDS[service]
        assert 0 < limits.connect_timeout <= 10
        assert 0 < limits.read_timeout <= 60
        assert 1 < limits.max_attempts <= 5
    invoke = aws_clients.BOUNDS["lambda"]
    assert invoke.read_timeout > 900
    assert invoke.max_attempts == 1


# Each command's clients, created for real.


@pytest.mark.usefixtures("aws")
def test_query_on_athena(created: Created, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("athena").create_work_group(Name="wg")
    created.clear()
    run = cli(capsys, "query", "run", "messages_per_day", "--database", "d", "--table", "t", "--workgroup", "wg")
    assert run.code == 0, run.err
    assert [(service, bounds(client)) for service, client in created] == [("athena", expected("athena"))]


@pytest.mark.usefixtures("aws")
def test_query_on_duckdb_downloading_the_bucket(created: Created, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3").create_bucket(Bucket="enriched")
    created.clear()
    run = cli(capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--bucket", "enriched")
    assert run.code == 0, run.err
    assert [(service, bounds(client)) for service, client in created] == [("s3", expected("s3"))]


@pytest.mark.usefixtures("aws")
def test_backfill_invoking_the_function(created: Created, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "backfill", "--from", "2024-01-01", "--to", "2024-01-01", "--function-name", "etl")
    assert run.code == 2  # moto has no such function: the point is the client
    ((service, client),) = created
    assert (service, bounds(client)) == ("lambda", expected("lambda"))
    assert client.meta.config.tcp_keepalive is True


@pytest.mark.usefixtures("aws")
def test_webhook_set_with_secrets_manager(
    fake: FakeBotApi, created: Created, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="webhook-secret")["ARN"]
    created.clear()
    fake.expect(
        "setWebhook",
        {
            "url": "https://example.com/webhook",
            "secret_token": fake_token_pattern(),
            "drop_pending_updates": False,
            "allowed_updates": list(telegram_api.DEFAULT_ALLOWED_UPDATES),
        },
        ok(True),
    )
    run = cli(capsys, "webhook", "set", "--url", "https://example.com/webhook", "--secret-arn", arn)
    assert run.code == 0, run.err
    assert [(service, bounds(client)) for service, client in created] == [
        ("secretsmanager", expected("secretsmanager"))
    ]


def fake_token_pattern() -> Any:
    from functions.ingest.secret import TOKEN_PATTERN  # noqa: PLC0415
    from tests.fake_bot_api import Matching  # noqa: PLC0415

    return Matching(TOKEN_PATTERN.pattern)


@pytest.mark.usefixtures("aws")
def test_poll_checking_the_bucket(fake: FakeBotApi, created: Created, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3").create_bucket(Bucket="raw")
    created.clear()
    parameters = {"timeout": 0, "limit": 100, "allowed_updates": list(telegram_api.DEFAULT_ALLOWED_UPDATES)}
    fake.expect("getUpdates", parameters, ok([]))
    run = cli(capsys, "poll", "--raw-bucket", "raw", "--allowed-chat-ids", "*", "--once")
    assert run.code == 0, run.err
    assert [(service, bounds(client)) for service, client in created] == [("s3", expected("s3"))]


# A hung endpoint: a one-line error within the bound, not a hang.


def test_a_hung_athena_endpoint_is_a_one_line_error_within_the_bound(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(aws_clients.BOUNDS, "athena", TINY)
    with hung_server() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        started = time.monotonic()
        run = cli(capsys, "query", "run", "messages_per_day", "--database", "d", "--table", "t", "--workgroup", "wg")
        elapsed = time.monotonic() - started
        attempts = server.connections
    assert run.code == 2
    assert run.err.splitlines() == [
        "telegram-datalake: error: running messages_per_day on Athena (workgroup wg) failed: "
        f'AWS_ENDPOINT_URL={server.url} did not answer in time (Read timeout on endpoint URL: "{server.url}/"); '
        "check the service and try again"
    ]
    assert attempts == TINY.max_attempts
    assert elapsed < TINY_WORST_CASE


def test_a_hung_s3_endpoint_stops_poll_before_it_polls(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(aws_clients.BOUNDS, "s3", TINY)
    with hung_server() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        started = time.monotonic()
        run = cli(capsys, "poll", "--raw-bucket", "raw", "--allowed-chat-ids", "*", "--once")
        elapsed = time.monotonic() - started
        attempts = server.connections
    assert run.code == 2
    assert run.err.splitlines()[-1].startswith(
        f"telegram-datalake: error: checking the raw bucket s3://raw failed: AWS_ENDPOINT_URL={server.url} "
        "did not answer in time"
    )
    assert attempts == TINY.max_attempts
    assert elapsed < TINY_WORST_CASE
    assert fake.requests == []


def test_a_hung_lambda_invoke_is_tried_once_and_says_the_day_may_still_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one call with a single attempt: the function may have run, so it is never repeated silently."""
    monkeypatch.setitem(aws_clients.BOUNDS, "lambda", CallLimits(0.5, 0.5, max_attempts=1))
    with hung_server() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        started = time.monotonic()
        run = cli(capsys, "backfill", "--from", "2024-01-01", "--to", "2024-01-01", "--function-name", "etl")
        elapsed = time.monotonic() - started
        attempts = server.connections
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        "telegram-datalake: error: etl did not answer for 2024-01-01 within 0.5 s; it may still be running: "
        "check its logs before rerunning that day"
    )
    assert attempts == 1
    assert elapsed < TINY_WORST_CASE


def test_a_hung_bot_api_is_a_one_line_error_within_the_bound(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setattr(telegram_api, "REQUEST_TIMEOUT", 0.5)
    with hung_server() as server:
        started = time.monotonic()
        run = cli(capsys, "webhook", "info", "--api-url", server.url)
        elapsed = time.monotonic() - started
        attempts = server.connections
    assert run.code == 2
    assert run.err.splitlines() == [
        f"telegram-datalake: error: Telegram getWebhookInfo: no answer from {server.url} within 0.5 s"
    ]
    assert attempts == 1
    assert elapsed < TINY_WORST_CASE


def test_a_hung_long_poll_ends_after_its_timeout_and_margin() -> None:
    """getUpdates waits the long poll plus a margin, then gives up with the same sentence."""
    with hung_server() as server:
        client = TelegramBotApi(TOKEN, server.url, long_poll_margin=0.5)
        started = time.monotonic()
        with pytest.raises(TelegramApiError) as caught:
            client.get_updates(timeout=0)
        elapsed = time.monotonic() - started
    assert str(caught.value) == f"Telegram getUpdates: no answer from {server.url} within 0.5 s"
    assert elapsed < TINY_WORST_CASE


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_an_athena_timeout_must_be_finite(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The Athena wait loop ends only at its timeout: an infinite one would poll forever."""
    run = cli(capsys, "query", "run", "messages_per_day", f"--timeout={value}")
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        f"telegram-datalake query run: error: argument --timeout: must be a finite positive number of seconds, "
        f"got {value!r}"
    )


def test_a_terraform_output_that_never_ends_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading the outputs runs terraform, which reads remote state over the network: bounded too."""
    terraform = tmp_path / "terraform"
    terraform.write_text("#!/bin/sh\nexec tail -f /dev/null\n")  # never answers, never ends
    terraform.chmod(0o755)
    monkeypatch.setenv("TERRAFORM_BINARY", str(terraform))
    monkeypatch.setattr(terraform_outputs, "TERRAFORM_TIMEOUT", 0.5)
    started = time.monotonic()
    run = cli(capsys, "query", "run", "messages_per_day", "--terraform-dir", str(tmp_path))
    elapsed = time.monotonic() - started
    assert run.code == 2
    assert run.err.splitlines() == [
        f"telegram-datalake: error: terraform output did not finish within 0.5 s in {tmp_path}: check the state "
        "backend's network and credentials, or pass the values as options (or pass --database)"
    ]
    assert elapsed < TINY_WORST_CASE
