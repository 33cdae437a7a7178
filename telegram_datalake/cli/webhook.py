"""``webhook set | rotate-secret | info | delete``: point the bot at the deployed webhook, change its secret
token, inspect it, remove it.

The secret token lives in the deployment's Secrets Manager secret (Terraform output ``webhook_secret_arn``),
never in Terraform's state or the function's configuration: ``set`` writes the first one there and
``rotate-secret`` the next ones, then give it to Telegram. It is never printed.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.ingest.secret import TOKEN_PATTERN
from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.bot_api import add_allowed_updates_option, add_bot_api_options, bot_api, telegram_errors
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.telegram_api import TelegramApiError, TelegramBotApi, WebhookInfo
from telegram_datalake.webhook_secret import TOKEN_BYTES, StoredToken, WebhookSecretStore, new_token

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

URL_OUTPUT = "webhook_url"
SECRET_OUTPUT = "webhook_secret_arn"  # noqa: S105 - an output's name, not a secret
OVERLAP_OUTPUT = "webhook_secret_rotation_overlap_seconds"


def register(subcommands: Any) -> None:
    """Add ``webhook`` and its ``set``, ``rotate-secret``, ``info`` and ``delete`` subcommands."""
    parser = subcommands.add_parser(
        "webhook",
        help="point the bot at the deployed webhook, rotate its secret, show its state, or remove it",
        description="Manage the bot's webhook (Telegram's setWebhook, getWebhookInfo, deleteWebhook) and its "
        "secret token (in the deployment's Secrets Manager secret). The bot token comes from the "
        "TELEGRAM_BOT_TOKEN environment variable.",
    )
    actions = parser.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")

    set_parser = actions.add_parser(
        "set",
        help="register the deployed webhook URL and its secret token with Telegram",
        description="Tell Telegram to POST the bot's updates to the deployed webhook, with the secret token the "
        f"ingest function checks. The URL is the Terraform output {URL_OUTPUT}; the token is the one in the "
        f"Secrets Manager secret of the output {SECRET_OUTPUT}, written there now when it has none yet. The "
        "token is never printed.",
    )
    set_parser.add_argument("--url", help=f"webhook URL (default: Terraform output {URL_OUTPUT})")
    add_secret_options(set_parser)
    add_allowed_updates_option(set_parser)
    set_parser.add_argument(
        "--drop-pending-updates", action="store_true", help="discard the updates Telegram is still holding"
    )
    add_bot_api_options(set_parser)
    set_parser.set_defaults(handler=set_webhook)

    rotate_parser = actions.add_parser(
        "rotate-secret",
        help="replace the webhook's secret token, in Secrets Manager and at Telegram",
        description="Write a new secret token to the deployment's secret, then give it to Telegram "
        "(setWebhook with the webhook's URL, keeping its allowed updates and connections). The ingest "
        f"function still accepts the previous token for the deployment's overlap (Terraform output "
        f"{OVERLAP_OUTPUT}), so no delivery under way is refused. If Telegram refuses the new token, the "
        "previous one is made current again and nothing changes.",
    )
    rotate_parser.add_argument("--url", help=f"the webhook URL Telegram has (default: Terraform output {URL_OUTPUT})")
    add_secret_options(rotate_parser)
    add_bot_api_options(rotate_parser)
    rotate_parser.set_defaults(handler=rotate_secret)

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


def add_secret_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret-arn",
        metavar="ARN",
        help=f"the Secrets Manager secret of the webhook's token (default: Terraform output {SECRET_OUTPUT})",
    )
    add_terraform_dir_option(parser)


def _store(secret_arn: str) -> WebhookSecretStore:
    with aws_errors("creating the Secrets Manager client"):
        client: SecretsManagerClient = aws_clients.secrets_manager_client()
    return WebhookSecretStore(client, secret_arn)


def _secret_name(secret_arn: str) -> str:
    """The secret's name, for messages (an ARN ends with :secret:<name>-<6 random characters>)."""
    return secret_arn.rsplit(":secret:", 1)[-1]


def _url_and_secret(arguments: argparse.Namespace, deployment: Deployment) -> tuple[str, str]:
    """The webhook URL and the secret's ARN: the options, else the deployed state's outputs."""
    url = deployment.name(arguments.url, URL_OUTPUT, "pass --url")
    return url, deployment.name(arguments.secret_arn, SECRET_OUTPUT, "pass --secret-arn")


def set_webhook(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    url, secret_arn = _url_and_secret(arguments, Deployment(arguments.terraform_dir))
    store = _store(secret_arn)
    with aws_errors(f"reading the webhook secret {_secret_name(secret_arn)}"):
        stored = store.current()
        origin = "Secrets Manager"
        if stored is None or not TOKEN_PATTERN.fullmatch(stored.token):
            replaced = "" if stored is None else "the stored value was not a token Telegram accepts: replaced, "
            stored = store.store(new_token())
            origin = f"Secrets Manager ({replaced}generated now: {TOKEN_BYTES * 8} random bits)"
    with telegram_errors():
        client.set_webhook(url, stored.token, arguments.allowed_updates, arguments.drop_pending_updates)
    print(f"Webhook set: Telegram now posts updates to {url}")
    print(f"  secret token     from {origin}, secret {_secret_name(secret_arn)}")
    print(f"  allowed updates  {', '.join(arguments.allowed_updates)}")
    print(f"  pending updates  {'dropped' if arguments.drop_pending_updates else 'kept (delivered next)'}")
    print("Check deliveries with: telegram-datalake webhook info")
    return 0


def _overlap_seconds(deployment: Deployment) -> int | None:
    """The deployment's rotation overlap, when its Terraform state says (a state from before it does not)."""
    try:
        value = deployment.value(OVERLAP_OUTPUT)
    except CliError:
        return None
    return value if type(value) is int else None


def _rotate_at_telegram(client: TelegramBotApi, url: str, info: WebhookInfo, new: StoredToken) -> None:
    """setWebhook with the new token, the same URL and connections, and the allowed updates left as they are."""
    client.set_webhook(url, new.token, None, drop_pending_updates=False, max_connections=info.max_connections)


def rotate_secret(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    deployment = Deployment(arguments.terraform_dir)
    url, secret_arn = _url_and_secret(arguments, deployment)
    with telegram_errors():
        info = client.get_webhook_info()
    if not info.url:
        raise CliError("Telegram has no webhook for this bot: run `telegram-datalake webhook set` first")
    if info.url != url:
        raise CliError(
            f"Telegram posts this bot's updates to {info.url}, not to {url}: pass --url {info.url} to rotate "
            "that webhook's token, or `webhook set` to point the bot here"
        )
    store = _store(secret_arn)
    name = _secret_name(secret_arn)
    with aws_errors(f"writing a new token to the webhook secret {name}"):
        previous = store.current()
        if previous is None:
            raise CliError(f"the webhook secret {name} has no token yet: run `telegram-datalake webhook set`")
        new = store.store(new_token())
    try:
        _rotate_at_telegram(client, url, info, new)
    except TelegramApiError as error:
        with aws_errors(f"making the previous token of {name} current again"):
            store.restore(previous, new)
        raise CliError(f"{error}; the previous secret token is current again, nothing changed") from None
    overlap = _overlap_seconds(deployment)
    print(f"Secret token rotated: Telegram now sends the new one (secret {name}, version {new.version_id[:8]})")
    if overlap is None:
        print("  the previous token is still accepted for the deployment's overlap (default 300 s)")
    else:
        until = (new.created + timedelta(seconds=overlap)).astimezone(UTC)
        print(f"  the previous token is accepted until {until:%Y-%m-%d %H:%M:%S} UTC ({overlap} s)")
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
