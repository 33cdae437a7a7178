"""What the Telegram-facing subcommands (``webhook``, ``poll``) share: options, the Bot API client, its errors."""

from __future__ import annotations

import argparse
import http
from collections.abc import Iterator
from contextlib import contextmanager

from telegram_datalake.cli.errors import CliError
from telegram_datalake.telegram_api import (
    API_URL_ENV,
    DEFAULT_ALLOWED_UPDATES,
    TOKEN_ENV,
    MissingTokenError,
    TelegramApiError,
    TelegramBotApi,
    validate_update_types,
)

TOKEN_HELP = (
    f"The bot token is read from the {TOKEN_ENV} environment variable only (never an option: it would land "
    f"in your shell history). Set it without echoing it: read -rs {TOKEN_ENV} && export {TOKEN_ENV}"
)


def add_bot_api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url",
        metavar="URL",
        help=f"Bot API server (default: ${API_URL_ENV}, else https://api.telegram.org)",
    )


def add_allowed_updates_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allowed-updates",
        metavar="TYPES",
        type=update_types,
        default=DEFAULT_ALLOWED_UPDATES,
        help=f"comma-separated update types Telegram sends (default: {', '.join(DEFAULT_ALLOWED_UPDATES)}; "
        "chat_member and message_reaction reach the bot only when it is an admin)",
    )


def update_types(text: str) -> tuple[str, ...]:
    """``--allowed-updates`` parser: comma-separated names, at least one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one update type, e.g. message,edited_message")
    try:
        return validate_update_types(names)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def bot_api(arguments: argparse.Namespace) -> TelegramBotApi:
    """The client for the token in the environment; CliError says how to provide a missing one."""
    try:
        return TelegramBotApi.from_environment(arguments.api_url)
    except MissingTokenError as error:
        raise CliError(f"{error}. {TOKEN_HELP}") from None
    except ValueError as error:
        raise CliError(str(error)) from None


def explain(error: TelegramApiError) -> str:
    """The error, plus what to do about the usual ones."""
    message = str(error)
    if error.error_code == http.HTTPStatus.UNAUTHORIZED:
        message += f" (Telegram does not know this token: check {TOKEN_ENV} against @BotFather's /token)"
    elif error.error_code == http.HTTPStatus.NOT_FOUND:
        message += f" (check {TOKEN_ENV} and --api-url / ${API_URL_ENV})"
    elif error.error_code == http.HTTPStatus.TOO_MANY_REQUESTS and error.retry_after is not None:
        message += f" (rate-limited: try again in {error.retry_after} s)"
    return message


@contextmanager
def telegram_errors() -> Iterator[None]:
    """Turn the client's errors into CliErrors (their messages are already free of the token)."""
    try:
        yield
    except TelegramApiError as error:
        raise CliError(explain(error)) from None
