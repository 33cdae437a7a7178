"""Shared fixtures: moto-backed S3 with the pipeline's buckets, and events shaped like API Gateway's."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
import botocore.handlers
import pytest
from moto import mock_aws

from functions.common.s3client import s3_client
from functions.ingest.budget import DEFAULT_TIMEOUT_SECONDS, ingest_call_limits
from functions.ingest.handler import handle as ingest_handle
from functions.ingest.secret import secrets_client, stored_secret
from tests.fake_bot_api import TOKEN, FakeBotApi, running_fake_bot_api
from tests.log_leaks import (
    LeakWatch,
    SentTexts,
    StoredSecrets,
    body_of_event,
    capturing_pipeline_logs,
    leak_report,
    observing_calls,
)
from tests.permissions_render import KMS_KEY, Deployment, Permissions, render

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RAW_BUCKET = "test-raw"
ENRICHED_BUCKET = "test-enriched"
SECRET = "s3cr3t-T0ken_value"
# The ingest function finds its token in Secrets Manager by this name (Terraform passes the secret's ARN).
WEBHOOK_SECRET_NAME = "test-ingest-webhook-secret"
ALLOWED_CHAT = -789
TIMEZONE = "America/Sao_Paulo"

# The seed design's example update, exactly as it documents it.
SEED_UPDATE: dict[str, Any] = {
    "update_id": 123,
    "message": {
        "message_id": 1,
        "from": {"id": 321, "is_bot": False, "first_name": "Andre"},
        "chat": {"id": -789, "type": "group"},
        "date": 1640995200,
        "text": "Ola, mundo!",
    },
}


LEAK_CHECK_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line saying what the session-wide log check searched (it is silent otherwise)."""
    for line in LEAK_CHECK_SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def leak_watch() -> Iterator[LeakWatch]:
    """Across the whole run, no line the functions log holds a webhook secret, a pseudonym key or a text the run
    sent.

    How the lines, secrets and texts are gathered, and which are too short or common to look for:
    ``tests/log_leaks.py``. The check runs once every test has run, so a leak fails the session.
    """
    sent = SentTexts()
    stored = StoredSecrets()

    def record_put(params: dict[str, Any], **_: Any) -> None:
        sent.add_body(params.get("Body"))

    def record_secret(params: dict[str, Any], **_: Any) -> None:
        stored.add(params.get("SecretString"))

    def record_parameter(params: dict[str, Any], **_: Any) -> None:
        if params.get("Type") == "SecureString":  # the pseudonym key
            stored.add(params.get("Value"))

    # Every botocore session made from now on registers these on its clients, as moto's own hook is.
    hooks = [
        ("before-parameter-build.s3.PutObject", record_put),
        ("before-parameter-build.secrets-manager.PutSecretValue", record_secret),
        ("before-parameter-build.secrets-manager.CreateSecret", record_secret),
        ("before-parameter-build.ssm.PutParameter", record_parameter),
    ]
    botocore.handlers.BUILTIN_HANDLERS.extend(hooks)
    try:
        with (
            capturing_pipeline_logs() as captured,
            observing_calls(ingest_handle.__code__, "event", lambda e: sent.add_body(body_of_event(e))),
        ):
            watch = LeakWatch(captured, sent, stored, known_secrets=frozenset({SECRET}))
            yield watch
    finally:
        for hook in hooks:
            botocore.handlers.BUILTIN_HANDLERS.remove(hook)
    leaks = watch.leaks()
    LEAK_CHECK_SUMMARY.append(watch.summary() + (f": {len(leaks)} leak(s)" if leaks else ": no leak"))
    if leaks:  # not a bare assert: its introspection would print the leaking lines, secrets included
        pytest.fail(leak_report(leaks, watch.secrets()), pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real AWS account or depend on the developer's AWS configuration."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def boto3_session() -> boto3.Session:
    """One session for the whole run: botocore then loads the S3 service model once, not per test."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def clear_function_clients() -> None:
    """Forget the functions' cached clients and webhook secret, which belong to the previous test's AWS."""
    s3_client.cache_clear()
    secrets_client.cache_clear()
    stored_secret.cache_clear()


def create_webhook_secret(session: boto3.Session, endpoint_url: str | None = None, token: str = SECRET) -> str:
    """The webhook's secret with ``token`` as `telegram-datalake webhook set` leaves it; its ARN."""
    client = session.client("secretsmanager", endpoint_url=endpoint_url)
    try:
        arn = client.create_secret(Name=WEBHOOK_SECRET_NAME)["ARN"]
        client.put_secret_value(SecretId=arn, SecretString=token)
    finally:
        client.close()
    return arn


@pytest.fixture
def s3(boto3_session: boto3.Session) -> Iterator[S3Client]:
    """Moto (S3 with the raw and enriched buckets, and the webhook's secret); the functions' clients talk to it."""
    clear_function_clients()
    with mock_aws():
        boto3.DEFAULT_SESSION = boto3_session  # mock_aws resets it; the functions create clients from it
        client = s3_client(ingest_call_limits(DEFAULT_TIMEOUT_SECONDS).storage)  # the ingest handler's
        client.create_bucket(Bucket=RAW_BUCKET)
        client.create_bucket(Bucket=ENRICHED_BUCKET)
        create_webhook_secret(boto3_session)
        yield client
    clear_function_clients()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotApi]:
    """The fake Bot API, the bot token and its URL in the environment, and no deployment settings there."""
    with running_fake_bot_api() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        for name in ("RAW_BUCKET", "ALLOWED_CHAT_IDS", "WEBHOOK_SECRET_ARN", "TIMEZONE"):
            monkeypatch.delenv(name, raising=False)
        yield server
        server.check()


@pytest.fixture
def ingest_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest function's environment as Terraform sets it."""
    monkeypatch.setenv("RAW_BUCKET", RAW_BUCKET)
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", WEBHOOK_SECRET_NAME)
    monkeypatch.setenv("WEBHOOK_SECRET_OVERLAP_SECONDS", "300")
    monkeypatch.setenv("ALLOWED_CHAT_IDS", str(ALLOWED_CHAT))
    monkeypatch.setenv("TIMEZONE", TIMEZONE)
    monkeypatch.setenv("RAW_PREFIX", "telegram")


@pytest.fixture
def etl_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ETL function's environment as Terraform sets it."""
    monkeypatch.setenv("RAW_BUCKET", RAW_BUCKET)
    monkeypatch.setenv("ENRICHED_BUCKET", ENRICHED_BUCKET)
    monkeypatch.setenv("TIMEZONE", TIMEZONE)
    monkeypatch.setenv("RAW_PREFIX", "telegram")
    monkeypatch.setenv("ENRICHED_PREFIX", "telegram")
    monkeypatch.setenv("MAX_WORKERS", "8")


def webhook_event(
    body: bytes | str | None,
    *,
    secret: str | None = SECRET,
    arrived_at: datetime | None = None,
    base64_encoded: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event for ``POST /webhook``, as Telegram's call produces it."""
    all_headers = {"content-type": "application/json", "host": "example.execute-api.us-east-1.amazonaws.com"}
    if secret is not None:
        all_headers["x-telegram-bot-api-secret-token"] = secret
    all_headers.update(headers or {})
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8")
    epoch_ms = int((arrived_at or datetime.now().astimezone()).timestamp() * 1000)
    return {
        "version": "2.0",
        "routeKey": "POST /webhook",
        "rawPath": "/webhook",
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": {
            "http": {"method": "POST", "path": "/webhook", "protocol": "HTTP/1.1", "sourceIp": "91.108.6.1"},
            "requestId": "test-request",
            "routeKey": "POST /webhook",
            "stage": "$default",
            "timeEpoch": epoch_ms,
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def update_body(update: dict[str, Any]) -> bytes:
    """An update serialised the way Telegram does (compact, non-ASCII kept as UTF-8)."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    return webhook_event


@pytest.fixture(scope="session")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Permissions:
    """terraform/modules/permissions rendered by Terraform for the default deployment (no KMS key)."""
    return render(Deployment(), tmp_path_factory.mktemp("permissions"))


@pytest.fixture(scope="session")
def with_key(tmp_path_factory: pytest.TempPathFactory) -> Permissions:
    """The same, for a deployment that sets kms_key_arn."""
    return render(Deployment(kms_key_arn=KMS_KEY), tmp_path_factory.mktemp("permissions-kms"))
