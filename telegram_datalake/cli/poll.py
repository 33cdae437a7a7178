"""``poll``: capture a real bot's updates without a public URL, through the unchanged ingest function.

It long-polls Telegram's ``getUpdates`` and hands each update to the ingest function (``respond``, what its
``lambda_handler`` runs once its settings are read) as the API Gateway event a webhook delivery would
produce, secret header included: the secret is one this process makes up, since nobody else posts to it. An update is
acknowledged (``offset`` moved past it) only once the handler answered 200, so an update whose storage
failed is fetched and tried again, as Telegram re-delivers a webhook call that failed.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import io
import json
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from functions.common.s3client import s3_client
from functions.common.settings import ConfigurationError
from functions.ingest.config import ALLOWED_CHAT_IDS, RAW_BUCKET, TIMEZONE, IngestSettings, load_settings
from functions.ingest.handler import respond
from functions.ingest.request import SECRET_HEADER
from functions.ingest.secret import FixedSecret
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.bot_api import add_allowed_updates_option, add_bot_api_options, bot_api, explain
from telegram_datalake.cli.deployed import add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.terraform_outputs import output_value, read_outputs
from telegram_datalake.local.events import api_gateway_event
from telegram_datalake.telegram_api import TelegramApiError, TelegramBotApi

RAW_BUCKET_OUTPUT = "raw_bucket_name"
HANDLER_LOGGER = "telegram_pipeline.ingest"
DEFAULT_TIMEOUT = 30  # seconds a getUpdates call waits for the first update
MAX_LIMIT = 100  # the most updates getUpdates returns at once
MAX_RETRY_DELAY = 300.0


def register(subcommands: Any) -> None:
    """Add the ``poll`` subcommand."""
    parser = subcommands.add_parser(
        "poll",
        help="capture a bot's updates with getUpdates (no public URL needed), through the ingest function",
        description="Long-poll Telegram's getUpdates and store each update with the unchanged ingest function, "
        "exactly as a webhook delivery would. An update is acknowledged only after it was handled "
        "(stored, or ignored by the chat allowlist); one whose storage failed is fetched again. "
        "Telegram refuses getUpdates while a webhook is set: run `telegram-datalake webhook delete` first. "
        "The bot token comes from the TELEGRAM_BOT_TOKEN environment variable. Ctrl-C stops.",
    )
    target = parser.add_argument_group("where updates are stored")
    target.add_argument(
        "--local",
        action="store_true",
        help="into the local stack's raw bucket (moto S3 on this machine) instead of the deployed one",
    )
    target.add_argument(
        "--raw-bucket",
        metavar="BUCKET",
        help=f"the deployed raw bucket (default: $RAW_BUCKET, else Terraform output {RAW_BUCKET_OUTPUT})",
    )
    add_terraform_dir_option(target)
    target.add_argument(
        "--allowed-chat-ids",
        metavar="IDS",
        help="comma-separated chat ids whose updates are stored, or '*' (default: '*' with --local, else "
        "$ALLOWED_CHAT_IDS; required then: use terraform.tfvars' allowed_chat_ids)",
    )
    target.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone whose day names the partition, as terraform.tfvars' timezone (default: $TIMEZONE, "
        "else America/Sao_Paulo)",
    )

    polling = parser.add_argument_group("polling")
    add_allowed_updates_option(polling)
    polling.add_argument(
        "--timeout",
        type=_non_negative_int,
        metavar="SECONDS",
        help=f"how long each getUpdates waits for an update (default: {DEFAULT_TIMEOUT}; 0 with --once)",
    )
    polling.add_argument(
        "--once",
        action="store_true",
        help="one getUpdates: store what is waiting, acknowledge it and exit (exit 1 if an update failed)",
    )
    polling.add_argument("--max-updates", type=_positive_int, metavar="N", help="exit after N updates were handled")
    polling.add_argument(
        "--retry-delay",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="first wait after a failure; doubles up to 300 (default: %(default)s)",
    )
    polling.add_argument(
        "-v", "--verbose", action="store_true", help="also show the ingest function's JSON log lines on stderr"
    )
    add_bot_api_options(polling)
    parser.set_defaults(handler=poll)


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` (where the ingest function reads its settings), then restore it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _ingest_environment(arguments: argparse.Namespace) -> Iterator[str]:
    """The ingest function's environment for this run; yields a description of where updates go."""
    if arguments.local:
        if arguments.raw_bucket:
            raise CliError("--raw-bucket names a deployed bucket: leave it out with --local")
        try:
            from telegram_datalake.local.stack import DEFAULT_TIMEZONE, local_stack  # noqa: PLC0415 - "local" extra
        except ImportError as error:
            raise CliError(f"--local needs the local extra (pip install 'telegram-datalake[local]'): {error}") from None

        with contextlib.ExitStack() as resources:
            try:
                stack = resources.enter_context(
                    local_stack(
                        allowed_chat_ids=arguments.allowed_chat_ids or "*",
                        timezone=arguments.timezone or os.environ.get(TIMEZONE, "").strip() or DEFAULT_TIMEZONE,
                    )
                )
            except ConfigurationError as error:
                raise CliError(f"cannot start the local stack: {error}") from None
            yield f"s3://{stack.raw_bucket} of the local stack ({stack.s3_endpoint})"
        return
    bucket = arguments.raw_bucket or os.environ.get(RAW_BUCKET, "").strip()
    if not bucket:
        bucket = str(output_value(read_outputs(arguments.terraform_dir), RAW_BUCKET_OUTPUT))
    chats = arguments.allowed_chat_ids or os.environ.get(ALLOWED_CHAT_IDS, "").strip()
    if not chats:
        raise CliError(
            "name the chats to store: --allowed-chat-ids -1001234567890 (as in terraform.tfvars), "
            "or '*' for every chat the bot is in"
        )
    values = {RAW_BUCKET: bucket, ALLOWED_CHAT_IDS: chats}
    if arguments.timezone:
        values[TIMEZONE] = arguments.timezone
    with _environment(values):
        yield f"s3://{bucket}"


@dataclass(frozen=True)
class Delivery:
    """The ingest function's answer to one update, with the fields of its log line."""

    status_code: int
    outcome: str
    reason: str | None = None
    update_type: str | None = None
    chat_id: int | None = None
    key: str | None = None

    def describe(self, update_id: object) -> str:
        """One line, without message text: the handler never logs it either."""
        details = [self.update_type or "update"]
        if self.chat_id is not None:
            details.append(f"chat {self.chat_id}")
        if self.key and self.outcome == "stored":
            details.append(f"-> {self.key}")
        if self.reason:
            details.append(f"({self.reason})")
        return f"update {update_id}: {self.outcome} {' '.join(details)}"


def _handler_log(output: str, verbose: bool) -> dict[str, Any]:
    """The handler's JSON log line among what it printed; every line goes to stderr when ``verbose``."""
    found: dict[str, Any] = {}
    for line in output.splitlines():
        if verbose:
            print(line, file=sys.stderr)
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("logger") == HANDLER_LOGGER:
            found = record
    return found


def deliver(update: Mapping[str, Any], settings: IngestSettings, secret: str, verbose: bool = False) -> Delivery:
    """Hand ``update`` to the ingest function as Telegram's webhook call would, serialised as Telegram does."""
    body = json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()
    event = api_gateway_event(body, {"content-type": "application/json", SECRET_HEADER: secret})
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the function logs to stdout, where this command reports
        response = respond(event, settings, FixedSecret(secret.encode()), time.perf_counter())
    log = _handler_log(printed.getvalue(), verbose)
    status = int(response["statusCode"])
    try:
        answer = json.loads(response.get("body") or "{}")
    except ValueError:
        answer = {}
    chat_id = log.get("chat_id")
    return Delivery(
        status_code=status,
        outcome=str(log.get("outcome") or answer.get("status") or status),
        reason=log.get("reason") or answer.get("reason"),
        update_type=log.get("update_type"),
        chat_id=chat_id if type(chat_id) is int else None,
        key=log.get("key"),
    )


def _get_updates_error(error: TelegramApiError) -> CliError:
    if error.error_code == http.HTTPStatus.CONFLICT:
        if "webhook" in error.description.lower():
            return CliError(
                f"{error}: Telegram refuses getUpdates while the bot has a webhook. Remove it with "
                "`telegram-datalake webhook delete` (pending updates are kept); `telegram-datalake webhook set` "
                "switches back to the deployed webhook."
            )
        return CliError(f"{error}: another process is already calling getUpdates for this bot; stop it first")
    return CliError(explain(error))


class Poller:
    """The getUpdates loop: fetch, deliver in order, move the offset past each handled update, acknowledge."""

    def __init__(
        self, client: TelegramBotApi, arguments: argparse.Namespace, settings: IngestSettings, timeout: int
    ) -> None:
        self.client, self.settings, self.timeout = client, settings, timeout
        self.secret = secrets.token_urlsafe(32)  # the one token this process's deliveries carry
        self.allowed_updates: Sequence[str] = arguments.allowed_updates
        self.once: bool = arguments.once
        self.maximum: int | None = arguments.max_updates
        self.verbose: bool = arguments.verbose
        self.first_delay: float = arguments.retry_delay
        self.delay = self.first_delay
        self.offset: int | None = None  # the next update to fetch: every earlier one was handled
        self.confirmed: int | None = None  # the offset Telegram was last sent
        self.last_handled: int | None = None
        self.outcomes: Counter[str] = Counter()
        self.failed = self.fetched = False

    @property
    def handled(self) -> int:
        return self.outcomes.total()

    def done(self) -> bool:
        return self.once or (self.maximum is not None and self.handled >= self.maximum)

    def run(self) -> int:
        """Poll until done or Ctrl-C; always acknowledge what was handled. 1 if the last update failed."""
        try:
            while True:
                updates = self.fetch()
                if updates is None:
                    continue
                self.failed = not self.deliver_all(updates)
                if self.done():
                    break
                if self.failed:
                    self.back_off()
                else:
                    self.delay = self.first_delay
        except KeyboardInterrupt:
            print("poll: stopped (Ctrl-C)", file=sys.stderr)
        finally:
            self.acknowledge()
            print(f"poll: {self.summary()}", file=sys.stderr)
        return 1 if self.failed else 0

    def fetch(self) -> list[dict[str, Any]] | None:
        """The next updates; None after a transient failure of a poller that already worked (then retry)."""
        limit = MAX_LIMIT if self.maximum is None else min(MAX_LIMIT, self.maximum - self.handled)
        try:
            updates = self.client.get_updates(self.offset, self.timeout, self.allowed_updates, limit)
        except TelegramApiError as error:
            transient = error.error_code is None or error.error_code >= http.HTTPStatus.INTERNAL_SERVER_ERROR
            if not (transient and self.fetched and not self.once):
                raise _get_updates_error(error) from None
            print(f"poll: {explain(error)}; retrying in {self.delay:g} s", file=sys.stderr)
            self.back_off()
            return None
        self.fetched, self.confirmed = True, self.offset
        return updates

    def deliver_all(self, updates: list[dict[str, Any]]) -> bool:
        """Deliver in order up to the first failure (acknowledging a later update would acknowledge it too)."""
        for update in updates:
            update_id = update.get("update_id")
            delivery = deliver(update, self.settings, self.secret, self.verbose)
            line = delivery.describe(update_id)
            if delivery.status_code == http.HTTPStatus.OK and type(update_id) is int:
                self.offset, self.last_handled = update_id + 1, update_id
                self.outcomes[delivery.outcome] += 1
                print(line, flush=True)
                if self.maximum is not None and self.handled >= self.maximum:
                    return True
                continue
            if delivery.status_code < http.HTTPStatus.INTERNAL_SERVER_ERROR or delivery.outcome == "misconfigured":
                print(line, flush=True)
                raise CliError(
                    f"the ingest function refused update {update_id} ({delivery.reason or delivery.status_code}):"
                    " it was not acknowledged and stays queued at Telegram"
                )
            retry = "" if self.once else f", retrying in {self.delay:g} s"
            print(f"{line}; not acknowledged{retry}", flush=True)
            return False
        return True

    def back_off(self) -> None:
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, MAX_RETRY_DELAY)

    def acknowledge(self) -> None:
        """Tell Telegram the handled updates need not come again (getUpdates with the new offset)."""
        if self.offset is None or self.offset == self.confirmed:
            return
        try:
            self.client.get_updates(offset=self.offset, timeout=0, limit=1)
        except TelegramApiError as error:
            print(
                f"poll: could not acknowledge updates up to {self.last_handled} ({explain(error)}); Telegram will "
                "send them again and they will overwrite the same objects",
                file=sys.stderr,
            )
            return
        self.confirmed = self.offset

    def summary(self) -> str:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items())) or "none"
        text = f"{self.handled} update(s) handled ({counts})"
        if self.offset is not None and self.confirmed == self.offset:
            text += f"; acknowledged through update {self.last_handled}"
        return text


def poll(arguments: argparse.Namespace) -> int:
    client = bot_api(arguments)
    timeout: int = arguments.timeout if arguments.timeout is not None else (0 if arguments.once else DEFAULT_TIMEOUT)
    with _ingest_environment(arguments) as destination:
        try:
            settings = load_settings()
        except ConfigurationError as error:
            raise CliError(f"cannot store updates: {error}") from None
        with aws_errors(f"checking the raw bucket s3://{settings.raw_bucket}"):
            s3_client().head_bucket(Bucket=settings.raw_bucket)
        activity = "one getUpdates" if arguments.once else f"long-polling getUpdates ({timeout} s); Ctrl-C stops"
        print(f"poll: storing into {destination}; {activity}", file=sys.stderr)
        return Poller(client, arguments, settings, timeout).run()
