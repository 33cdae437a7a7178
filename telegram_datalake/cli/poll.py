"""``poll``: capture a real bot's updates without a public URL, through the unchanged ingest function.

It long-polls Telegram's ``getUpdates`` and hands each update to the ingest function (``respond``, what its
``lambda_handler`` runs once its settings are read) as the API Gateway event a webhook delivery would
produce, secret header included: the secret is one this process makes up, since nobody else posts to it. An update is
acknowledged (``offset`` moved past it) once the handler answered 200, so an update whose storage failed
(5xx) is fetched and tried again, as Telegram re-delivers a webhook call that failed, a bounded number of
times. One the handler refuses for good (4xx: two payloads, over 1 MiB, not an object...) is skipped with an
error line and acknowledged too: it would be refused again on every run, and hold back every later update.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import math
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from functions.common.settings import ConfigurationError
from functions.ingest.config import ALLOWED_CHAT_IDS, RAW_BUCKET, TIMEZONE, IngestSettings, load_settings
from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.bot_api import add_allowed_updates_option, add_bot_api_options, bot_api, explain
from telegram_datalake.cli.chat_ids import ANY_CHAT, EXAMPLE, OPTION, add_allowed_chat_ids_option, allowed_chat_ids
from telegram_datalake.cli.delivery import Delivery, deliver
from telegram_datalake.cli.deployed import add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.terraform_outputs import output_value, read_outputs
from telegram_datalake.telegram_api import TelegramApiError, TelegramBotApi

RAW_BUCKET_OUTPUT = "raw_bucket_name"
DEFAULT_TIMEOUT = 30  # seconds a getUpdates call waits for the first update
MAX_LIMIT = 100  # the most updates getUpdates returns at once
MAX_RETRY_DELAY = 300.0
MAX_RETRIES = 10  # failures in a row retried before giving up: about 18 minutes with the default delays
INT64_MAX = 2**63 - 1


def register(subcommands: Any) -> None:
    """Add the ``poll`` subcommand."""
    parser = subcommands.add_parser(
        "poll",
        help="capture a bot's updates with getUpdates (no public URL needed), through the ingest function",
        description="Long-poll Telegram's getUpdates and store each update with the unchanged ingest function, "
        "exactly as a webhook delivery would. An update is acknowledged only after it was handled "
        "(stored, or ignored by the chat allowlist); one whose storage failed is fetched again, up to --max-retries "
        "times in a row; one the function refuses for good (4xx: two payloads, over 1 MiB...) is skipped with an "
        "error line and acknowledged, so that it cannot hold back the updates after it. "
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
    add_allowed_chat_ids_option(
        target,
        default=None,
        default_help="'*' with --local, else $ALLOWED_CHAT_IDS; required then: use terraform.tfvars' allowed_chat_ids",
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
        help="one getUpdates: store what is waiting, acknowledge it and exit (exit 1 if an update failed or was "
        "skipped)",
    )
    polling.add_argument("--max-updates", type=_positive_int, metavar="N", help="exit after N updates were handled")
    polling.add_argument(
        "--retry-delay",
        type=_retry_delay,
        default=2.0,
        metavar="SECONDS",
        help=f"first wait after a failure; doubles up to {MAX_RETRY_DELAY:g} (default: %(default)s)",
    )
    polling.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=MAX_RETRIES,
        metavar="N",
        help="failures in a row (storage or Telegram unreachable) retried before poll gives up with exit status 2, "
        "acknowledging nothing past the failure (default: %(default)s, about 18 minutes with the default delay)",
    )
    polling.add_argument(
        "-v", "--verbose", action="store_true", help="also show the ingest function's JSON log lines on stderr"
    )
    add_bot_api_options(polling)
    parser.set_defaults(handler=poll)


def _retry_delay(text: str) -> float:
    """``--retry-delay``: a finite number of seconds up to MAX_RETRY_DELAY (sleep refuses negatives and NaN)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 <= value <= MAX_RETRY_DELAY):
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_RETRY_DELAY:g} seconds, got {text!r}")
    return value


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
    given = arguments.allowed_chat_ids
    chats = None if given is None else allowed_chat_ids(given)
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
                        allowed_chat_ids=chats or ANY_CHAT,
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
    chats = chats or os.environ.get(ALLOWED_CHAT_IDS, "").strip()
    if not chats:
        raise CliError(
            f"name the chats to store: {OPTION}={EXAMPLE} (as in terraform.tfvars), "
            f"or {OPTION}='{ANY_CHAT}' for every chat the bot is in"
        )
    values = {RAW_BUCKET: bucket, ALLOWED_CHAT_IDS: chats}
    if arguments.timezone:
        values[TIMEZONE] = arguments.timezone
    with _environment(values):
        yield f"s3://{bucket}"


def _update_id(update: object) -> int | None:
    """The id an offset can acknowledge the update by: a non-negative 64-bit integer, else None."""
    update_id = update.get("update_id") if isinstance(update, dict) else None
    return update_id if type(update_id) is int and 0 <= update_id < INT64_MAX else None


def _name(update_id: int | None) -> str:
    """How lines name an update: its id, never another field (it could be message text)."""
    return "update without a usable update_id" if update_id is None else f"update {update_id}"


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
        self.max_retries: int = arguments.max_retries
        self.delay = self.first_delay
        self.failures = 0  # failed attempts in a row
        self.offset: int | None = None  # the next update to fetch: every earlier one was handled
        self.confirmed: int | None = None  # the offset Telegram was last sent
        self.last_handled: int | None = None
        self.outcomes: Counter[str] = Counter()
        self.skipped = 0
        self.waiting = False  # the batch ended with skipped updates no offset can name yet
        self.cause = ""  # why the last delivery failed
        self.failed = self.fetched = False

    @property
    def handled(self) -> int:
        return self.outcomes.total()

    def done(self) -> bool:
        return self.once or (self.maximum is not None and self.handled >= self.maximum)

    def run(self) -> int:
        """Poll until done or Ctrl-C; always acknowledge what was handled. 1 if an update was skipped or the
        last one failed; CliError when failures go on for more than ``max_retries`` attempts in a row."""
        try:
            while True:
                updates = self.fetch()
                if updates is None:
                    continue
                self.failed = not self.deliver_all(updates)
                if self.done():
                    break
                if self.failed:
                    self.back_off(self.cause)
                elif self.waiting:
                    self.wait()  # not a failure: the next update that arrives acknowledges the skipped ones
                else:
                    self.failures, self.delay = 0, self.first_delay
        except KeyboardInterrupt:
            print("poll: stopped (Ctrl-C)", file=sys.stderr)
        finally:
            self.acknowledge()
            print(f"poll: {self.summary()}", file=sys.stderr)
        return 1 if self.failed or self.skipped else 0

    def fetch(self) -> list[Any] | None:
        """The next updates; None after a transient failure of a poller that already worked (then retry)."""
        limit = MAX_LIMIT if self.maximum is None else min(MAX_LIMIT, self.maximum - self.handled)
        try:
            updates = self.client.get_updates(self.offset, self.timeout, self.allowed_updates, limit)
        except TelegramApiError as error:
            transient = error.error_code is None or error.error_code >= http.HTTPStatus.INTERNAL_SERVER_ERROR
            if not (transient and self.fetched and not self.once):
                raise _get_updates_error(error) from None
            if self.can_retry():
                print(f"poll: {explain(error)}; retrying in {self.delay:g} s", file=sys.stderr)
            self.back_off(explain(error))
            return None
        self.fetched, self.confirmed = True, self.offset
        return updates

    def deliver_all(self, updates: list[Any]) -> bool:
        """Deliver in order; False at the first that failed for a reason a retry can fix: nothing after it is
        acknowledged (acknowledging a later update would acknowledge it too)."""
        self.waiting = False
        for position, update in enumerate(updates):
            update_id = _update_id(update)
            delivery = deliver(update, self.settings, self.secret, self.verbose)
            line = delivery.describe(_name(update_id))
            if delivery.status_code == http.HTTPStatus.OK and update_id is not None:
                self.handled_one(update_id, delivery.outcome)
                print(line, flush=True)
            elif delivery.refused_for_good():
                print(line, flush=True)
                later = (_update_id(other) is not None for other in updates[position + 1 :])
                self.skip(update_id, delivery, named_later=any(later))
            elif delivery.status_code < http.HTTPStatus.INTERNAL_SERVER_ERROR or delivery.outcome == "misconfigured":
                print(line, flush=True)
                raise CliError(
                    f"the ingest function refused {_name(update_id)} ({delivery.reason or delivery.status_code}):"
                    " it was not acknowledged and stays queued at Telegram"
                )
            else:
                retry = f", retrying in {self.delay:g} s" if self.can_retry() and not self.once else ""
                print(f"{line}; not acknowledged{retry}", flush=True)
                self.cause = f"{_name(update_id)} could not be stored"
                return False
            if self.maximum is not None and self.handled >= self.maximum:
                return True
        return True

    def handled_one(self, update_id: int, outcome: str) -> None:
        """Count the update and move the offset past it (never back: ids only grow)."""
        self.offset = update_id + 1 if self.offset is None else max(self.offset, update_id + 1)
        self.last_handled = self.offset - 1
        self.outcomes[outcome] += 1

    def skip(self, update_id: int | None, delivery: Delivery, named_later: bool) -> None:
        """Leave out an update the function refuses for good, with one line on stderr, and acknowledge it."""
        self.skipped += 1
        if update_id is not None:
            self.handled_one(update_id, delivery.outcome)
            after = "it is acknowledged and will not come again"
        else:  # no offset names it: acknowledging any later update acknowledges it too
            self.outcomes[delivery.outcome] += 1
            self.waiting = not named_later
            after = (
                "it is acknowledged with the update after it"
                if named_later
                else "no offset can acknowledge it before a later update arrives"
            )
        name = "an update without a usable update_id" if update_id is None else _name(update_id)
        why = f"{delivery.status_code}: {delivery.reason or delivery.outcome}"
        print(f"poll: skipped {name}: the ingest function refused it for good ({why}); {after}", file=sys.stderr)

    def can_retry(self) -> bool:
        return self.failures < self.max_retries

    def back_off(self, cause: str) -> None:
        """Count a failure and wait before the next attempt; CliError once more than max_retries came in a row."""
        self.failures += 1
        if self.failures > self.max_retries:
            done = "nothing" if self.last_handled is None else f"nothing after update {self.last_handled}"
            raise CliError(
                f"gave up after {self.failures} failed attempts in a row ({cause}); {done} was acknowledged: "
                "the updates stay queued at Telegram, rerun poll once the cause is fixed"
            )
        self.wait()

    def wait(self) -> None:
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
            aws_clients.s3_client().head_bucket(Bucket=settings.raw_bucket)
        activity = "one getUpdates" if arguments.once else f"long-polling getUpdates ({timeout} s); Ctrl-C stops"
        print(f"poll: storing into {destination}; {activity}", file=sys.stderr)
        return Poller(client, arguments, settings, timeout).run()
