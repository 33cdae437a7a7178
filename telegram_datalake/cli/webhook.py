"""``webhook set | info | delete``: point the bot at the deployed webhook, inspect it, remove it.

``set`` reads the URL and the secret token from the Terraform outputs, so neither is ever typed
or pasted; the secret is never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram_datalake.cli.bot_api import add_allowed_updates_option, add_bot_api_options, bot_api, telegram_errors
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.terraform_outputs import DEFAULT_TERRAFORM_DIR, output_value, read_outputs
from telegram_datalake.telegram_api import WebhookInfo

URL_OUTPUT = "webhook_url"
SECRET_OUTPUT = "webhook_secret_token"  # noqa: S105 - an output's name, not a secret
# What Telegram accepts as secret_token: 1 to 256 characters of A-Z, a-z, 0-9, _ and -.
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def register(subcommands: Any) -> None:
    """Add ``webhook`` and its ``set``, ``info`` and ``delete`` subcommands."""
    parser = subcommands.add_parser(
        "webhook",
        help="point the bot at the deployed webhook, show its state, or remove it",
        description="Manage the bot's webhook (Telegram's setWebhook, getWebhookInfo, deleteWebhook). "
        "The bot token comes from the TELEGRAM_BOT_TOKEN environment variable.",
    )
    actions = parser.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")

    set_parser = actions.add_parser(
        "set",
        help="register the deployed webhook URL and secret token with Telegram",
        description="Tell Telegram to POST the bot's updates to the deployed webhook, with the secret token "
        "the ingest function checks. Both come from the Terraform outputs webhook_url and "
        "webhook_secret_token unless overridden; the secret is never printed.",
    )
    set_parser.add_argument("--url", help=f"webhook URL (default: Terraform output {URL_OUTPUT})")
    set_parser.add_argument(
        "--secret-token-env",
        metavar="VAR",
        help=f"name of an environment variable holding the secret token (default: Terraform output {SECRET_OUTPUT})",
    )
    add_terraform_dir_option(set_parser)
    add_allowed_updates_option(set_parser)
    set_parser.add_argument(
        "--drop-pending-updates", action="store_true", help="discard the updates Telegram is still holding"
    )
    add_bot_api_options(set_parser)
    set_parser.set_defaults(handler=set_webhook)

    info_parser = actions.add_parser(
        "info",
        help="show the webhook Telegram has: URL, pending updates, last error",
        description="Show getWebhookInfo: where Telegram posts updates, how many wait, and the last delivery error.",
    )
    info_parser.add_argument("--json", action="store_true", help="print Telegram's answer as JSON")
    add_bot_api_options(info_parser)
    info_parser.set_defaults(handler=webhook_info)

    delete_parser = actions.add_parser(
        "delete",
        help="stop Telegram posting updates (before terraform destroy, or to use poll)",
        description="Remove the webhook (deleteWebhook). Updates then wait at Telegram for getUpdates "
        "(telegram-datalake poll) for up to 24 hours.",
    )
    delete_parser.add_argument(
        "--drop-pending-updates", action="store_true", help="discard the updates Telegram is still holding"
    )
    add_bot_api_options(delete_parser)
    delete_parser.set_defaults(handler=delete_webhook)


def add_terraform_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--terraform-dir",
        type=Path,
        default=DEFAULT_TERRAFORM_DIR,
        metavar="DIR",
        help="the deployed Terraform root module (default: %(default)s)",
    )


def _secret_from_environment(variable: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise CliError(f"--secret-token-env {variable}: the environment variable {variable} is not set or empty")
    return value


def set_webhook(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    url: str | None = arguments.url
    secret: str | None = _secret_from_environment(arguments.secret_token_env) if arguments.secret_token_env else None
    if url is None or secret is None:
        outputs = read_outputs(arguments.terraform_dir)
        url = url if url is not None else str(output_value(outputs, URL_OUTPUT))
        secret = secret if secret is not None else str(output_value(outputs, SECRET_OUTPUT))
    if not url.strip():
        raise CliError("the webhook URL is empty: pass --url, or apply the Terraform configuration first")
    secret_source = (
        f"environment variable {arguments.secret_token_env}"
        if arguments.secret_token_env
        else f"Terraform output {SECRET_OUTPUT}"
    )
    if not _SECRET_PATTERN.fullmatch(secret):
        raise CliError(f"the secret token from {secret_source} is not 1-256 characters of A-Z, a-z, 0-9, _ and -")
    with telegram_errors():
        client.set_webhook(url, secret, arguments.allowed_updates, arguments.drop_pending_updates)
    print(f"Webhook set: Telegram now posts updates to {url}")
    print(f"  secret token     from {secret_source}")
    print(f"  allowed updates  {', '.join(arguments.allowed_updates)}")
    print(f"  pending updates  {'dropped' if arguments.drop_pending_updates else 'kept (delivered next)'}")
    print("Check deliveries with: telegram-datalake webhook info")
    return 0


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone()
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M:%S %Z} local)"


def render_webhook_info(info: WebhookInfo) -> str:
    """getWebhookInfo as aligned ``label  value`` lines."""
    last_error = _when(info.last_error_date)
    if info.last_error_date is not None and info.last_error_message:
        last_error += f": {info.last_error_message}"
    rows = [
        ("url", info.url or "(none: no webhook is set; updates wait for getUpdates, see telegram-datalake poll)"),
        ("pending updates", str(info.pending_update_count)),
        ("last error", last_error),
        ("last sync error", _when(info.last_synchronization_error_date)),
        ("max connections", "-" if info.max_connections is None else str(info.max_connections)),
        ("ip address", info.ip_address or "-"),
        (
            "allowed updates",
            ", ".join(info.allowed_updates)
            if info.allowed_updates
            else "(Telegram's default: all but chat_member, message_reaction and message_reaction_count)",
        ),
        ("custom certificate", "yes" if info.has_custom_certificate else "no"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def webhook_info(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    with telegram_errors():
        info = client.get_webhook_info()
    print(json.dumps(info.raw, indent=2, ensure_ascii=False) if arguments.json else render_webhook_info(info))
    return 0


def delete_webhook(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    with telegram_errors():
        client.delete_webhook(arguments.drop_pending_updates)
    pending = "dropped" if arguments.drop_pending_updates else "kept: telegram-datalake poll can fetch them"
    print(f"Webhook deleted; pending updates {pending}.")
    return 0
