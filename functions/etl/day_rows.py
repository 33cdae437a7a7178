"""A day's rows for every table, gathered update by update, then de-duplicated, sorted and made Arrow tables.

The messages table has its own fast road (``TableBuilder``, ``unique_table``); the others hold far fewer
rows, so their rules are written on Python rows: a re-delivered update (its id stored the day before, or a
second object of the same id) adds nothing, and each table is sorted on columns that make its order total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Set
from operator import itemgetter
from typing import Any

import pyarrow as pa

from functions.etl.edits import EDIT_UPDATE_TYPES, edit_rows
from functions.etl.flatten import Flattened, Row
from functions.etl.imports import ImportedRows
from functions.etl.members import (
    MEMBER_UPDATE_TYPES,
    drop_repeated_service_rows,
    member_update_rows,
    service_message_rows,
)
from functions.etl.reactions import reaction_count_rows, reaction_rows
from functions.etl.schema import MEMBER_EVENTS, MESSAGE_EDITS, MESSAGES, REACTIONS, UPDATE_TABLES, TableSpec
from functions.etl.table import TableBuilder, build_table, unique_table, with_rows

Flattener = Callable[[int, str, Any], "list[Row] | Flattened"]

# The update kinds that make rows of a table other than the messages one; every other kind stays raw only.
FLATTENERS: dict[str, tuple[TableSpec, Flattener]] = {
    **dict.fromkeys(EDIT_UPDATE_TYPES, (MESSAGE_EDITS, edit_rows)),
    **dict.fromkeys(MEMBER_UPDATE_TYPES, (MEMBER_EVENTS, member_update_rows)),
    "message_reaction": (REACTIONS, reaction_rows),
    "message_reaction_count": (REACTIONS, reaction_count_rows),
}
SERVICE_MEMBER_FIELDS = ("new_chat_members", "left_chat_member")


# Each table's order, ascending on these columns (a stable sort: one update's reactions keep their order,
# removed then added, the totals as listed). The messages table is sorted by functions.etl.table.
SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    MESSAGES.name: ("date", "chat_id", "message_id"),
    MESSAGE_EDITS.name: ("edit_date", "chat_id", "message_id", "update_id"),
    MEMBER_EVENTS.name: ("date", "chat_id", "user_id", "update_id"),
    REACTIONS.name: ("date", "chat_id", "message_id", "update_id"),
}


def _order(spec: TableSpec) -> Callable[[Row], Any]:
    return itemgetter(*(spec.row_columns.index(column) for column in SORT_COLUMNS[spec.name]))


_SORT_KEYS = {spec.name: _order(spec) for spec in UPDATE_TABLES}
_UPDATE_ID = {spec.name: spec.row_columns.index("update_id") for spec in UPDATE_TABLES}


class DayRows:
    """What one day's raw objects give each table, before de-duplication."""

    def __init__(self) -> None:
        self.messages = TableBuilder()
        self.rows: dict[str, list[Row]] = {spec.name: [] for spec in UPDATE_TABLES}
        self.repeated: Counter[str] = Counter()  # rows of updates already seen in an earlier object of the day
        self.raw_only: Counter[str] = Counter()  # updates of kinds no table has, by kind
        self._update_ids: set[int] = set()

    def add_service_members(self, update: Mapping[str, Any]) -> None:
        """The member rows of a service message whose messages row was just added (channel posts have none)."""
        message = update.get("message")
        if isinstance(message, dict) and any(field in message for field in SERVICE_MEMBER_FIELDS):
            self.rows[MEMBER_EVENTS.name].extend(service_message_rows(update["update_id"], message))

    def add_update(self, update: Mapping[str, Any], kind: str) -> Flattened | None:
        """Add the rows of a valid update of ``kind`` (not a message); the Flattened saying why it is unusable."""
        target = FLATTENERS.get(kind)
        if target is None:
            self.raw_only[kind or "empty"] += 1
            return None
        spec, flatten = target
        update_id: int = update["update_id"]
        rows = flatten(update_id, kind, update[kind])
        if isinstance(rows, Flattened):
            return rows
        if update_id in self._update_ids:
            self.repeated[spec.name] += len(rows)
        else:
            self._update_ids.add(update_id)
            self.rows[spec.name].extend(rows)
        return None

    def tables(
        self, earlier_update_ids: Set[int], imported: ImportedRows | None = None
    ) -> dict[str, tuple[pa.Table, int]]:
        """Each table's unique rows, sorted, and how many rows were dropped as repeats; the messages table first.

        ``imported`` rows (history the bot did not capture, each message once) join the bot's unique ones.
        """
        messages, dropped = unique_table(self.messages.table(), earlier_update_ids)
        if imported is not None and imported.messages:
            messages = with_rows(messages, imported.messages)
        tables = {MESSAGES.name: (messages, dropped)}
        for spec in UPDATE_TABLES:
            rows = self.rows[spec.name]
            if imported is not None:
                rows = rows + imported.rows.get(spec.name, [])
            position = _UPDATE_ID[spec.name]
            unique = [row for row in rows if row[position] not in earlier_update_ids]
            repeats = len(rows) - len(unique) + self.repeated[spec.name]
            if spec is MEMBER_EVENTS:
                unique, merged = drop_repeated_service_rows(unique)
                repeats += merged
            unique.sort(key=_SORT_KEYS[spec.name])
            tables[spec.name] = (build_table(unique, spec), repeats)
        return tables
