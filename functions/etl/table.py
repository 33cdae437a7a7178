"""From flattened rows to the day's Parquet bytes: de-duplicate, sort, build the Arrow table, serialise."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence, Set
from operator import itemgetter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from functions.etl.flatten import Row
from functions.etl.schema import DERIVED_COLUMN, ROW_COLUMNS, TELEGRAM_SCHEMA

_UPDATE_ID = itemgetter(ROW_COLUMNS.index("update_id"))
_MESSAGE_KEY = itemgetter(ROW_COLUMNS.index("chat_id"), ROW_COLUMNS.index("message_id"))
_SORT_KEY = itemgetter(ROW_COLUMNS.index("date"), ROW_COLUMNS.index("chat_id"), ROW_COLUMNS.index("message_id"))


def deduplicate(rows: Iterable[Row], earlier_update_ids: Set[int] = frozenset()) -> tuple[list[Row], int]:
    """Keep one row per ``update_id`` and per (``chat_id``, ``message_id``): the lowest update id wins.

    Rows whose update is in ``earlier_update_ids`` (already stored on the previous day) are dropped too.
    Returns the unique rows sorted by (``date``, ``chat_id``, ``message_id``) and how many were dropped.
    """
    unique: list[Row] = []
    seen_updates: set[int] = set(earlier_update_ids)
    seen_messages: set[tuple[int, int]] = set()
    ordered = sorted(rows, key=_UPDATE_ID)
    for row in ordered:
        update_id, message_key = _UPDATE_ID(row), _MESSAGE_KEY(row)
        if update_id in seen_updates or message_key in seen_messages:
            continue
        seen_updates.add(update_id)
        seen_messages.add(message_key)
        unique.append(row)
    unique.sort(key=_SORT_KEY)
    return unique, len(ordered) - len(unique)


def _valid_text(value: object) -> object:
    """Lone UTF-16 surrogates (legal in JSON, not in UTF-8) become U+FFFD; everything else is unchanged."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _column(values: Sequence[object], field: pa.Field) -> pa.Array:
    try:
        return pa.array(values, type=field.type)
    except UnicodeEncodeError:  # rare: only then pay for a pass over the column
        return pa.array([_valid_text(value) for value in values], type=field.type)


def build_table(rows: Sequence[Row]) -> pa.Table:
    """The rows as an Arrow table with exactly ``TELEGRAM_SCHEMA``; ``sent_at`` is derived from ``date``."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in ROW_COLUMNS]
    arrays = [_column(values, TELEGRAM_SCHEMA.field(name)) for name, values in zip(ROW_COLUMNS, columns, strict=True)]
    dates = arrays[ROW_COLUMNS.index("date")]
    sent_at = pc.multiply_checked(dates, 1000).cast(TELEGRAM_SCHEMA.field(DERIVED_COLUMN).type)
    return pa.Table.from_arrays([*arrays, sent_at], schema=TELEGRAM_SCHEMA)


def to_parquet(table: pa.Table) -> bytes:
    """Parquet bytes that depend only on the table's content, so a rerun gives an identical file."""
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        use_dictionary=True,
        write_statistics=True,
        coerce_timestamps="ms",
        allow_truncated_timestamps=False,
    )
    return sink.getvalue()
