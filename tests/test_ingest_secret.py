"""The webhook's secret token comes from Secrets Manager: read once per container, rotated without refusing
deliveries under way, and every way it can fail answered with a status and one log line, nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.ingest.budget import DEFAULT_TIMEOUT_SECONDS, ingest_call_limits
from functions.ingest.secret import MAX_AGE_SECONDS, RECHECK_SECONDS, StoredSecret, secrets_client
from tests.conftest import SECRET, SEED_UPDATE, WEBHOOK_SECRET_NAME, update_body
from tests.ingest_support import event, invoke, log_lines, stored_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

pytestmark = pytest.mark.usefixtures("ingest_env")

NEW = "n3w-Token_after-rotation-0123456789"
SECRET_LIMITS = ingest_call_limits(DEFAULT_TIMEOUT_SECONDS).secret  # the handler's, at the default timeout
OVERLAP = 300


@dataclass
class Clocks:
    """Wall-clock and monotonic time the test moves by hand."""

    wall: float = field(default_factory=lambda: datetime.now(UTC).timestamp())
    steady: float = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.steady += seconds


@dataclass
class Reads:
    """GetSecretValue calls the function's Secrets Manager client made."""

    stages: list[str] = field(default_factory=list)

    def record(self, params: dict[str, Any], **_: Any) -> None:
        self.stages.append(params.get("VersionStage", ""))


@pytest.fixture
def secrets(s3: S3Client) -> SecretsManagerClient:
    """The test's own client to moto's Secrets Manager (the function has its own, cached)."""
    return boto3.client("secretsmanager")


@pytest.fixture
def reads() -> Iterator[Reads]:
    recorded = Reads()
    client = secrets_client(SECRET_LIMITS)
    client.meta.events.register("before-parameter-build.secrets-manager.GetSecretValue", recorded.record)
    yield recorded
    client.meta.events.unregister("before-parameter-build.secrets-manager.GetSecretValue", recorded.record)


def rotate(secrets: SecretsManagerClient, token: str = NEW) -> None:
    """What `telegram-datalake webhook rotate-secret` does to the secret."""
    secrets.put_secret_value(SecretId=WEBHOOK_SECRET_NAME, SecretString=token)


def stored_secret_with(clocks: Clocks, overlap: int = OVERLAP) -> StoredSecret:
    return StoredSecret(
        WEBHOOK_SECRET_NAME,
        overlap,
        lambda: secrets_client(SECRET_LIMITS),
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.steady,
    )


@pytest.mark.usefixtures("s3")
def test_a_container_reads_the_secret_once_for_many_requests(reads: Reads) -> None:
    for update_id in range(5):
        assert invoke(event(update_body({**SEED_UPDATE, "update_id": update_id})))[0] == 200
    assert reads.stages == ["AWSCURRENT", "AWSPREVIOUS"]  # the previous one too: the secret was just written


@pytest.mark.usefixtures("s3")
def test_after_a_rotation_both_tokens_work_during_the_overlap_and_only_the_new_one_after(
    secrets: SecretsManagerClient,
) -> None:
    clocks = Clocks()
    secret = stored_secret_with(clocks)
    assert secret.accepts(SECRET.encode())  # the container is warm, with the old token cached

    rotate(secrets)
    clocks.advance(RECHECK_SECONDS)
    assert secret.accepts(NEW.encode()), "an unknown token makes the container read the secret again"
    assert secret.accepts(SECRET.encode()), "the previous token still works during the overlap"
    assert not secret.accepts(b"never-the-token")

    clocks.advance(OVERLAP)
    assert secret.accepts(NEW.encode())
    assert not secret.accepts(SECRET.encode()), "once the overlap is over, the old token is refused"


@pytest.mark.usefixtures("s3")
def test_a_rotation_reaches_a_warm_container_within_the_cache_age_even_without_new_tokens(
    secrets: SecretsManagerClient,
) -> None:
    clocks = Clocks()
    secret = stored_secret_with(clocks, overlap=0)
    assert secret.accepts(SECRET.encode())
    rotate(secrets)
    clocks.advance(1)
    assert secret.accepts(SECRET.encode()), "within the cache age, the cached token still answers"
    clocks.advance(MAX_AGE_SECONDS)
    assert not secret.accepts(SECRET.encode()), "re-read after MAX_AGE_SECONDS: no overlap, the old one is gone"


@pytest.mark.usefixtures("s3")
def test_wrong_tokens_cost_at_most_one_read_per_interval(reads: Reads) -> None:
    clocks = Clocks()
    secret = stored_secret_with(clocks)
    assert secret.accepts(SECRET.encode())
    first = len(reads.stages)
    for _ in range(50):
        assert not secret.accepts(b"forged-token-from-a-scanner")
    assert len(reads.stages) == first, "no read within RECHECK_SECONDS of the last one"
    clocks.advance(RECHECK_SECONDS)
    assert not secret.accepts(b"forged-token-from-a-scanner")
    assert len(reads.stages) > first


def test_no_token_yet_answers_503_and_stores_nothing(
    s3: S3Client, secrets: SecretsManagerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """Right after `terraform apply`, before `webhook set`: not ready, and it says what to run."""
    secrets.delete_secret(SecretId=WEBHOOK_SECRET_NAME, ForceDeleteWithoutRecovery=True)
    secrets.create_secret(Name=WEBHOOK_SECRET_NAME)

    assert invoke(event(update_body(SEED_UPDATE))) == (503, {"status": "unavailable"})
    assert stored_keys(s3) == []
    [line] = log_lines(capsys)
    assert (line["level"], line["status_code"]) == ("ERROR", 503)
    assert line["reason"] == (
        "the webhook secret has no value, or does not exist: run telegram-datalake webhook set"
        " (and check WEBHOOK_SECRET_ARN)"
    )


def test_a_missing_secret_answers_503_and_stores_nothing(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf")

    assert invoke(event(update_body(SEED_UPDATE))) == (503, {"status": "unavailable"})
    assert stored_keys(s3) == []
    [line] = log_lines(capsys)
    assert "check WEBHOOK_SECRET_ARN" in line["reason"]


def test_a_secret_the_function_may_not_read_answers_500_and_stores_nothing(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused read (AccessDeniedException: a policy or key problem) may pass: Telegram retries after a 500."""
    with Stubber(
        secrets_client(SECRET_LIMITS)
    ) as refusing:  # AWS's answer to a role the secret's key or policy refuses
        refusing.add_client_error("get_secret_value", "AccessDeniedException", "not authorized", 400)
        assert invoke(event(update_body(SEED_UPDATE))) == (500, {"status": "error"})
    assert stored_keys(s3) == []
    [line] = log_lines(capsys)
    assert line["reason"] == "secret unavailable: Secrets Manager answered AccessDeniedException"


def test_an_unreachable_secrets_manager_answers_500_and_stores_nothing(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram re-delivers after a 500; the reason names the failure, not the secret."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    secrets_client.cache_clear()

    assert invoke(event(update_body(SEED_UPDATE))) == (500, {"status": "error"})
    [line] = log_lines(capsys)
    assert line["reason"] == "secret unavailable: Secrets Manager: EndpointConnectionError"
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert stored_keys(s3) == []


def test_a_stored_value_telegram_would_refuse_answers_500_without_showing_it(
    s3: S3Client, secrets: SecretsManagerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    rotate(secrets, "not a token: spaces & symbols")

    assert invoke(event(update_body(SEED_UPDATE))) == (500, {"status": "misconfigured"})
    output = capsys.readouterr().out
    assert "symbols" not in output
    assert "rotate-secret" in output
    assert stored_keys(s3) == []


@pytest.mark.usefixtures("s3")
def test_a_replaced_value_telegram_would_refuse_does_not_break_the_overlap(secrets: SecretsManagerClient) -> None:
    """`webhook set` replaces a stored value that is no token; it becomes AWSPREVIOUS, and must be ignored."""
    rotate(secrets, "not a token: spaces & symbols")
    rotate(secrets, NEW)
    assert invoke(event(update_body(SEED_UPDATE), secret=NEW))[0] == 200
    assert invoke(event(update_body(SEED_UPDATE), secret="not a token: spaces & symbols"))[0] == 401
