"""Option values that start with ``-`` (negative chat ids, a negative number, a name or path with a leading dash).

argparse takes ``-1001234567890,-1009876543210`` for an option and answers "expected one argument"; group and
channel ids are negative, so that is the usual input of ``--allowed-chat-ids``. Every option of every command
that takes a value must take it in both forms, ``--opt VALUE`` and ``--opt=VALUE``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from telegram_datalake.cli import build_parser
from telegram_datalake.telegram_api import DEFAULT_ALLOWED_UPDATES
from tests.cli_support import cli, serve_process
from tests.conftest import RAW_BUCKET
from tests.fake_bot_api import FakeBotApi, ok

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

GROUPS = "-1001234567890,-1009876543210"
# What each command needs besides the option under test, so that only that option can fail.
REQUIRED: dict[tuple[str, ...], list[str]] = {
    ("query", "run"): ["messages_per_day"],
    ("backfill",): ["--from=2024-01-01", "--to=2024-01-02"],
    ("import",): ["result.json"],
    ("report",): ["--output=report.html"],
    ("forget",): ["--user-id=1"],
}


def leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (command path, parser) that has no subcommands: the ones whose options a user types."""
    subcommands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not subcommands:
        yield path, parser
    for action in subcommands:
        for name, child in action.choices.items():
            yield from leaf_parsers(child, (*path, name))


def value_options() -> list[tuple[tuple[str, ...], str, argparse.Action]]:
    """Every option of every command that takes exactly one value."""
    found = []
    for path, parser in leaf_parsers(build_parser()):
        for action in parser._actions:
            if action.option_strings and action.nargs is None:
                found.append((path, max(action.option_strings, key=len), action))
    return found


OPTIONS = value_options()


def test_the_sweep_finds_the_options_that_matter() -> None:
    found = {(" ".join(path), option) for path, option, _ in OPTIONS}
    assert {("serve", "--allowed-chat-ids"), ("poll", "--allowed-chat-ids"), ("poll", "--retry-delay")} <= found
    assert ("query run", "--timeout") in found
    assert ("import", "--chat-id") in found  # a supergroup's id: -100...
    assert len(found) > 30


@pytest.mark.parametrize("form", ["separate", "equals"])
@pytest.mark.parametrize(
    ("path", "option", "action"), OPTIONS, ids=[f"{' '.join(path)} {option}" for path, option, _ in OPTIONS]
)
def test_every_value_option_takes_a_value_starting_with_a_dash(
    path: tuple[str, ...], option: str, action: argparse.Action, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The value reaches the option (converted by its type), or the option's own check refuses it by name."""
    from telegram_datalake.cli import parse_arguments  # noqa: PLC0415 - what main parses argv with

    given = [option, GROUPS] if form == "separate" else [f"{option}={GROUPS}"]
    try:
        parsed = parse_arguments([*path, *REQUIRED.get(path, []), *given])
    except SystemExit as exit_:
        code, err = exit_.code, capsys.readouterr().err
        assert code == 2
        assert "expected one argument" not in err
        assert re.search(rf"argument {'|'.join(map(re.escape, action.option_strings))}[/ :]", err.splitlines()[-1])
        return
    type_ = action.type if callable(action.type) else str
    assert getattr(parsed, action.dest) == type_(GROUPS)


def test_a_value_that_is_an_option_is_still_a_missing_value(capsys: pytest.CaptureFixture[str]) -> None:
    """``--allowed-chat-ids --once`` forgot the ids: not swallowed as the value."""
    run = cli(capsys, "poll", "--local", "--allowed-chat-ids", "--once")
    assert run.code == 2
    assert (
        run.err.splitlines()[-1] == "telegram-datalake poll: error: argument --allowed-chat-ids: expected one argument"
    )


def test_an_argument_after_double_dash_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "query", "run", "--timeout", "--", "-5")
    assert run.code == 2
    assert "argument --timeout: expected one argument" in run.err


@pytest.mark.parametrize("command", ["serve", "poll"])
def test_the_help_shows_the_form_that_works(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, command, "--help")
    assert run.code == 0
    assert f"--allowed-chat-ids={GROUPS}" in " ".join(run.out.split())


# poll, with the fake Bot API and the "deployed" bucket of in-process moto.


def update(update_id: int, chat_id: int) -> dict[str, Any]:
    chat = {"id": chat_id, "title": "Group", "type": "supergroup"}
    return {"update_id": update_id, "message": {"message_id": 1, "chat": chat, "date": 1767225600, "text": "oi"}}


def stored_ids(s3: S3Client) -> list[str]:
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=RAW_BUCKET).get("Contents", [])]
    return sorted(key.rsplit("/", 1)[-1] for key in keys)


@pytest.mark.parametrize(
    "given",
    [
        ["--allowed-chat-ids", GROUPS],
        [f"--allowed-chat-ids={GROUPS}"],
        ["--allowed-chat-ids", f",{GROUPS},"],  # empty entries are left out, as the function does
        ["--allowed-chat", GROUPS],  # an abbreviation argparse accepts
    ],
    ids=["separate", "equals", "empty-entries", "abbreviated"],
)
def test_poll_takes_negative_chat_ids(
    given: list[str], fake: FakeBotApi, s3: S3Client, capsys: pytest.CaptureFixture[str]
) -> None:
    updates = [update(1, -1001234567890), update(2, -1009876543210), update(3, -42)]
    parameters = {"timeout": 0, "limit": 100, "allowed_updates": list(DEFAULT_ALLOWED_UPDATES)}
    fake.expect("getUpdates", parameters, ok(updates))
    fake.expect("getUpdates", {"offset": 4, "timeout": 0, "limit": 1}, ok([]))
    run = cli(capsys, "poll", "--raw-bucket", RAW_BUCKET, *given, "--once")
    assert run.code == 0, run.err
    assert stored_ids(s3) == ["1.json", "2.json"]
    assert run.out.splitlines()[2] == "update 3: ignored message chat -42 (chat not allowed)"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            ",",
            f"--allowed-chat-ids lists no chat id: give comma-separated ids, e.g. --allowed-chat-ids={GROUPS}, or '*'",
        ),
        ("-100,abc", "--allowed-chat-ids: entry 2 is not an integer chat id (comma-separated integers, or '*')"),
    ],
)
@pytest.mark.parametrize("command", ["poll", "serve"])
def test_bad_chat_ids_are_one_line_errors(
    command: str, value: str, message: str, fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(
        capsys, command, "--allowed-chat-ids", value, *(["--raw-bucket", RAW_BUCKET] if command == "poll" else [])
    )
    assert run.code == 2
    assert run.err.splitlines() == [f"telegram-datalake: error: {message}"]
    assert fake.requests == []


@pytest.mark.parametrize(
    ("argv", "first_chat"),
    [
        (["--allowed-chat-ids", GROUPS], "-1001234567890"),
        (["--allowed-chat-ids=,-100"], "-100"),
    ],
    ids=["separate", "leading-comma"],
)
def test_serve_takes_negative_chat_ids(argv: list[str], first_chat: str) -> None:
    """The real command in a process: it starts, prints the allowlist and a curl example for the first chat."""
    with serve_process(*argv) as served:
        assert re.search(rf'"chat":\{{"id":{first_chat},', served.printed), served.printed
        assert re.search(r"^  allowed chats\s+(\S+)$", served.printed, flags=re.MULTILINE)
    assert served.process.returncode == 0, served.errors
    assert "Traceback" not in served.errors
