"""``telegram-datalake``: run and operate the pipeline from a terminal.

Each subcommand lives in its own module with a ``register(subcommands)`` function that adds its
parser and sets ``handler``; ``main`` only wires them together and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from telegram_datalake.cli import (
    backfill,
    forget,
    import_history,
    local,
    poll,
    pseudonym_key,
    query,
    report,
    webhook,
)
from telegram_datalake.cli.argv import attach_option_values
from telegram_datalake.cli.errors import CliError

PROGRAM = "telegram-datalake"
SUBCOMMAND_MODULES = (webhook, poll, query, report, backfill, import_history, forget, pseudonym_key, local)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description=(
            "Operate the Telegram data lake: the webhook, saved queries, backfills, imports of exported history "
            "and the local stack."
        ),
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.register(subcommands)
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``argv`` (default: the command line) parsed, values that start with ``-`` included (see ``argv``)."""
    parser = build_parser()
    return parser.parse_args(attach_option_values(parser, sys.argv[1:] if argv is None else argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the chosen handler; a CliError prints its message (never a traceback) and exits 2."""
    arguments = parse_arguments(argv)
    try:
        code: int = arguments.handler(arguments)
    except CliError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return 130
    return code
