"""Pseudonymised analytics: the enriched tables with a keyed hash in place of every user id, and no names.

A deployment may want its analytics (messages per user, the most active members, retention by join week)
without the enriched layer saying who anyone is. With ``PSEUDONYM_KEY_PARAMETER`` set, the ETL writes each
user id as its pseudonym: HMAC-SHA256 of the id written in ASCII decimal, keyed with a secret of 32 random
bytes (base64 in an SSM SecureString), its first 8 bytes read as a big-endian signed 64-bit integer.

- The same user has the same pseudonym in every table, on every day and in imported history (the rows of
  an export go through the same tables), so every per-user answer (counts, distinct users, joins between
  tables) is the one the ids give, up to the pseudonym. The columns stay BIGINT: the Glue schemas, the
  saved queries and partition projection are unchanged. Two users share a pseudonym with a probability
  of about n²/2⁶⁵ (2.7e-8 for a million users).
- Without the key a pseudonym cannot be computed, so trying Telegram's ids one by one links nothing back;
  with it, it is one HMAC per candidate id. A new key changes every pseudonym: each day must be rebuilt.
- The raw layer keeps the original updates, for erasure (``forget``) and for rebuilding the days.

What each column becomes (every column of sql/tables/*.json was looked at):

- hashed: ``user_id`` (every table) and ``member_events.actor_user_id``; ``chat_id`` when the chat is a
  user's (``chat_type`` ``private``, or a positive id: Telegram gives groups and channels negative ones),
  with that user's pseudonym, so a private chat still joins its messages' sender; ``sender_chat_id`` and
  ``reactions.actor_chat_id`` when positive (they name groups and channels, so a positive one is a user).
- NULL: ``user_first_name``, ``user_last_name``, ``user_username``, ``user_language_code`` (with the
  activity hours, a language narrows a person down), and ``chat_title`` of a user's chat (a private chat's
  name is the person's).
- kept: message, update and topic ids, replies (a message id), dates, types, statuses, counts,
  ``user_is_bot``; the ids and titles of groups and channels; and what people wrote, which may still name
  or identify someone: ``text``, ``caption``, ``invite_link_name`` (an admin's label), the emoji. So the
  tables remain personal data: ``forget`` still erases a person, finding their rows by pseudonym.

Each table is sorted again afterwards, on its own sort columns: the file stays ordered by the values it
holds, and its order tells nothing of the ids it no longer holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from functions.common.settings import ConfigurationError
from functions.common.ssm_parameter import ParameterNotReadableError, read_secure_string, ssm_client
from functions.etl.day_rows import SORT_COLUMNS

if TYPE_CHECKING:
    from functions.etl.config import EtlSettings

KEY_BYTES = 32  # HMAC-SHA256's block is 64 bytes, its output 32: a 32-byte key has all the strength there is
PSEUDONYM_BYTES = 8
USER_ID_COLUMNS = ("user_id", "actor_user_id")
CHAT_ID_COLUMNS = ("sender_chat_id", "actor_chat_id")  # a group or a channel; a positive id would be a user
DROPPED_COLUMNS = ("user_first_name", "user_last_name", "user_username", "user_language_code")
PRIVATE = "private"
INIT_HINT = "telegram-datalake pseudonym-key init writes one"


class PseudonymKeyError(ConfigurationError):
    """The pseudonym key cannot be used: its parameter is missing, unreadable or not a key. Never shows the value."""


def new_key_text() -> str:
    """A fresh key as it is stored: the base64 of KEY_BYTES random bytes."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def decode_key(text: str) -> bytes:
    """The key stored as ``text``; PseudonymKeyError, which does not echo it, when it is not KEY_BYTES or more."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < KEY_BYTES:
        raise PseudonymKeyError(f"the value is not the base64 of {KEY_BYTES} or more bytes ({INIT_HINT})")
    return key


def pseudonym(key: bytes, user_id: int) -> int:
    """The pseudonym of ``user_id``: HMAC-SHA256(key, decimal id), its first 8 bytes as a signed big-endian int64."""
    digest = hmac.new(key, str(user_id).encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:PSEUDONYM_BYTES], "big", signed=True)


@dataclass(frozen=True)
class Pseudonyms:
    """The pseudonyms of one key, remembered per id (a day's tables name the same users many times)."""

    key: bytes = field(repr=False)
    _known: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def of(self, user_id: int) -> int:
        known = self._known.get(user_id)
        if known is None:
            known = self._known[user_id] = pseudonym(self.key, user_id)
        return known

    def column(self, values: pa.ChunkedArray, where: pa.ChunkedArray | None = None) -> pa.ChunkedArray:
        """``values`` (int64) with each id replaced by its pseudonym; only where ``where`` is true, when given."""
        chosen = values if where is None else values.filter(where)
        distinct = pc.unique(chosen).drop_null()
        if not len(distinct):
            return values
        hashed = pc.take(
            pa.array([self.of(value) for value in distinct.to_pylist()], pa.int64()),
            pc.index_in(values, value_set=distinct),
        )
        return hashed if where is None else pc.if_else(where, hashed, values)

    def table(self, name: str, table: pa.Table) -> pa.Table:
        """The table ``name`` (a table of functions.etl.schema, with its schema) as it is written pseudonymised."""
        if not table.num_rows:
            return table
        names = table.schema.names
        users_chats = _users_chats(table)
        replaced: dict[str, pa.ChunkedArray] = {}
        for column in USER_ID_COLUMNS:
            if column in names:
                replaced[column] = self.column(table.column(column))
        for column in CHAT_ID_COLUMNS:
            if column in names:
                values = table.column(column)
                replaced[column] = self.column(values, pc.fill_null(pc.greater(values, 0), False))
        replaced["chat_id"] = self.column(table.column("chat_id"), users_chats)
        titles = table.column("chat_title")
        replaced["chat_title"] = pc.if_else(users_chats, pa.scalar(None, titles.type), titles)
        for column in DROPPED_COLUMNS:
            if column in names:
                replaced[column] = pa.chunked_array([pa.nulls(table.num_rows, table.schema.field(column).type)])
        for column, values in replaced.items():
            index = names.index(column)
            table = table.set_column(index, table.schema.field(index), values)
        return _sorted(table, SORT_COLUMNS[name])


def _users_chats(table: pa.Table) -> pa.ChunkedArray:
    """Which rows are of a user's chat: a private one, or one with a positive id (never NULL)."""
    private = pc.equal(table.column("chat_type"), PRIVATE)
    positive = pc.greater(table.column("chat_id"), 0)
    return pc.fill_null(pc.or_kleene(private, positive), False)


def _sorted(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``table`` in ascending order of ``columns`` (a stable sort: rows that tie keep their order), one chunk."""
    order = pc.sort_indices(table, sort_keys=[(column, "ascending") for column in columns])
    return table.take(order).combine_chunks()


def load_pseudonyms(settings: EtlSettings) -> Pseudonyms | None:
    """The pseudonyms of the key ``PSEUDONYM_KEY_PARAMETER`` names, read now; None when it is unset (user ids
    are written as they are). PseudonymKeyError when the parameter cannot be read or holds no key;
    ParameterUnavailableError when SSM cannot be asked.

    Read once per invocation, not kept for the container's life: after ``pseudonym-key rotate`` the very next
    run, a backfill's first day included, uses the new key, so no warm container rebuilds a day with the old one.
    """
    name = settings.pseudonym_key_parameter
    if name is None:
        return None
    where = "the pseudonym key (environment variable PSEUDONYM_KEY_PARAMETER)"
    try:
        return Pseudonyms(decode_key(read_secure_string(name, ssm_client(settings.call_limits))))
    except ParameterNotReadableError as error:
        raise PseudonymKeyError(f"{where}: {error} ({INIT_HINT}; the ETL's role must be allowed to read it)") from None
    except PseudonymKeyError as error:
        raise PseudonymKeyError(f"{where}: SSM parameter {name}: {error}") from None
