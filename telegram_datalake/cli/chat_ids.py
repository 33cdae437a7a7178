"""``--allowed-chat-ids`` of ``serve`` and ``poll``: the chats whose updates the ingest function stores.

The value becomes the function's ``ALLOWED_CHAT_IDS``. It is checked here, and rewritten to its plain
form (``*``, or the ids joined by commas, empty entries left out), so that nothing after the check meets
an entry it did not expect: ``,-100`` passed the function's own parsing, then broke ``serve``'s example.
"""

from __future__ import annotations

from typing import Any

from functions.common.settings import decimal_int64
from telegram_datalake.cli.errors import CliError

OPTION = "--allowed-chat-ids"
ANY_CHAT = "*"
EXAMPLE = "-1001234567890,-1009876543210"  # two supergroups: group and channel ids are negative


def add_allowed_chat_ids_option(parser: Any, *, default: str | None, default_help: str) -> None:
    """The option, with help that shows the ``=`` form a list of negative ids is written in."""
    parser.add_argument(
        OPTION,
        default=default,
        metavar="IDS",
        help=f"comma-separated chat ids whose updates are stored, e.g. {OPTION}={EXAMPLE}, or '{ANY_CHAT}' for "
        f"every chat (default: {default_help})",
    )


def _chat_id(entry: str, position: int) -> int:
    value = decimal_int64(entry)  # ASCII digits only: int() would also take "1_000" and "٣"
    if value is None:
        # The entry is not echoed, as the function does not: a secret pasted here must not be printed.
        raise CliError(
            f"{OPTION}: entry {position} is not an integer chat id (comma-separated integers, or '{ANY_CHAT}')"
        )
    return value


def allowed_chat_ids(text: str) -> str:
    """``text`` in its plain form, ``*`` or ``id,id,...``; CliError (one line) for anything else."""
    if text.strip() == ANY_CHAT:
        return ANY_CHAT
    entries = [(position, part.strip()) for position, part in enumerate(text.split(","), start=1)]
    ids = [_chat_id(entry, position) for position, entry in entries if entry]
    if not ids:
        raise CliError(f"{OPTION} lists no chat id: give comma-separated ids, e.g. {OPTION}={EXAMPLE}, or '{ANY_CHAT}'")
    return ",".join(str(chat_id) for chat_id in dict.fromkeys(ids))
