"""``demo`` and ``serve``: the pipeline on this machine, with no AWS account and nothing off loopback.

``demo`` replays a generated week of a Telegram group through the webhook, the ETL and the saved
queries, checks every stage and exits 1 if any did not do what was expected. ``serve`` keeps the local
stack (S3 on moto, the webhook server) running until Ctrl-C, for trying requests by hand.
"""

from __future__ import annotations

import argparse
import errno
import json
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from functions.common.settings import DEFAULT_TIMEZONE, ConfigurationError, timezone_setting
from telegram_datalake.cli.chat_ids import ANY_CHAT, add_allowed_chat_ids_option, allowed_chat_ids
from telegram_datalake.cli.errors import CliError

if TYPE_CHECKING:
    from telegram_datalake.local.stack import LocalStack

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
EXAMPLE_CHAT_ID = -1001234567890  # a supergroup id, for the curl example when every chat is allowed
MAX_PORT = 65535
DEMO_OUTPUT = Path("build", "demo")  # under build/, which make clean removes


def register(subcommands: Any) -> None:
    """Add ``demo`` and ``serve``."""
    demo_parser = subcommands.add_parser(
        "demo",
        help="run a generated week of a Telegram group through the whole pipeline, locally",
        description="Start S3 (moto) and the webhook on 127.0.0.1, post a generated week of a Telegram "
        "supergroup to the webhook over HTTP (messages, media, edits, a forum topic, a channel, a "
        "re-delivery, a chat that is not allowed, a forged and a malformed request), run the ETL for each "
        "day, run every saved query of sql/ on DuckDB over the resulting Parquet files, and write the week's "
        "report (report.html in --output-dir). The Lambda "
        "handlers are the deployed ones, unchanged. No AWS account is needed and nothing leaves the "
        "machine. Exits 1 if any stage did not do what was expected; leaves nothing running.",
    )
    demo_parser.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help=f"IANA time zone that defines a day, as the functions' TIMEZONE (default: {DEFAULT_TIMEZONE})",
    )
    demo_parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEMO_OUTPUT,
        metavar="DIR",
        help="where the demo leaves the enriched bucket's copy (enriched/) and the report (report.html), "
        "replacing those of an earlier run (default: %(default)s)",
    )
    demo_parser.set_defaults(handler=demo)

    serve_parser = subcommands.add_parser(
        "serve",
        help="keep a local stack (S3 on moto, the webhook) running until Ctrl-C",
        description="Start S3 (moto) and the webhook server on 127.0.0.1 with the unchanged ingest Lambda "
        "behind it, print the webhook URL, its secret token, the buckets and a curl command that posts an "
        "update, and keep them running until Ctrl-C or SIGTERM. Each request logs one JSON line, as the "
        "function does in CloudWatch. Everything is in memory: stopping discards the buckets.",
    )
    serve_parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="port of the webhook server on 127.0.0.1 (default: 0, a free port)",
    )
    add_allowed_chat_ids_option(serve_parser, default=ANY_CHAT, default_help=ANY_CHAT)
    serve_parser.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help=f"IANA time zone that defines an update's day partition (default: {DEFAULT_TIMEZONE})",
    )
    serve_parser.set_defaults(handler=serve)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is 0 to {MAX_PORT}, got {port}")
    return port


def _check_timezone(name: str) -> None:
    try:
        timezone_setting(environ={"TIMEZONE": name})
    except ConfigurationError:
        raise CliError(f"--timezone {name!r} is not an IANA time zone name (like America/Sao_Paulo)") from None


@contextmanager
def _local_extra() -> Iterator[None]:
    """Around the imports of the local stack: they need moto, which only the ``local`` extra installs."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in {"moto", "werkzeug", "flask"}:
            raise CliError(
                f"the local stack needs {error.name}: pip install 'telegram-datalake[local]' (or make venv)"
            ) from None
        raise


def demo(arguments: argparse.Namespace) -> int:
    """Run the demo on stdout; 1 if the pipeline did not do what the sample expects."""
    _check_timezone(arguments.timezone)
    with _local_extra():
        from telegram_datalake.demo.run import DemoError, run_demo  # noqa: PLC0415 - see _local_extra
    try:
        run_demo(sys.stdout, arguments.output_dir, timezone=arguments.timezone)
    except DemoError as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    return 0


def example_update(chat_id: int) -> str:
    """A text message update for the curl example, dated now."""
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "from": {"id": 42, "is_bot": False, "first_name": "Ana", "username": "ana", "language_code": "pt-br"},
            "chat": {"id": chat_id, "title": "Local test", "type": "supergroup"},
            "date": int(time.time()),
            "text": "Olá, data lake! 👋",
        },
    }
    return json.dumps(update, ensure_ascii=False, separators=(",", ":"))


def serve_instructions(stack: LocalStack) -> str:
    """What ``serve`` prints: where everything is, and commands to try it."""
    from telegram_datalake.local.stack import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, REGION  # noqa: PLC0415

    allowed = stack.allowed_chat_ids.split(",")[0].strip()
    chat_id = EXAMPLE_CHAT_ID if allowed == "*" else int(allowed)
    curl = " \\\n    ".join(
        [
            f"curl -sS -X POST {shlex.quote(stack.webhook_url)}",
            "-H 'Content-Type: application/json'",
            f"-H {shlex.quote(f'{SECRET_HEADER}: {stack.secret_token}')}",
            f"--data {shlex.quote(example_update(chat_id))}",
        ]
    )
    aws = (
        f"AWS_ACCESS_KEY_ID={FAKE_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={FAKE_SECRET_ACCESS_KEY} "
        f"aws --endpoint-url {stack.s3_endpoint} --region {REGION} s3 ls s3://{stack.raw_bucket}/ --recursive"
    )
    rows = [
        ("webhook", f"POST {stack.webhook_url}"),
        ("secret token", f"{stack.secret_token}  (header {SECRET_HEADER})"),
        ("S3 endpoint", f"{stack.s3_endpoint}  (any credentials)"),
        ("raw bucket", stack.raw_bucket),
        ("enriched bucket", stack.enriched_bucket),
        ("allowed chats", stack.allowed_chat_ids),
        ("time zone", stack.timezone),
    ]
    return "\n".join(
        [
            "Local stack running on 127.0.0.1; Ctrl-C stops it and discards its buckets.",
            "",
            *(f"  {name:<16} {value}" for name, value in rows),
            "",
            "Post an update as Telegram would:",
            "",
            f"  {curl}",
            "",
            'It answers {"status": "stored"} and the update is stored at',
            f"  s3://{stack.raw_bucket}/{stack.raw_prefix}/context_date=<today>/1.json",
            "List the raw bucket (with the AWS CLI installed):",
            f"  {aws}",
            "",
        ]
    )


@contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM sets ``stop`` (Ctrl-C raises KeyboardInterrupt as usual); the previous handler comes back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(arguments: argparse.Namespace) -> int:
    """Run the local stack until Ctrl-C or SIGTERM; 0 on either."""
    chats = allowed_chat_ids(arguments.allowed_chat_ids)
    _check_timezone(arguments.timezone)
    with _local_extra():
        from telegram_datalake.local.stack import local_stack  # noqa: PLC0415 - see _local_extra
    stop = threading.Event()
    try:
        with (
            _stop_on_sigterm(stop),
            local_stack(allowed_chat_ids=chats, timezone=arguments.timezone, webhook_port=arguments.port) as stack,
        ):
            print(serve_instructions(stack), flush=True)
            with suppress(KeyboardInterrupt):  # Ctrl-C: the usual way to stop
                stop.wait()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {arguments.port} is in use: choose another with --port, or 0 for a free one"
            ) from None
        raise
    print("Local stack stopped.", flush=True)
    return 0
