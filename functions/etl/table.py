"""From flattened rows to the day's Parquet bytes: build the Arrow table, de-duplicate, sort, serialise.

``deduplicate`` states the de-duplication rule on Python rows and ``build_table`` builds the table.
The job takes a faster road to the same bytes: a ``TableBuilder`` turns rows into Arrow as they come,
and ``unique_table`` applies ``deduplicate``'s rule to the table with Arrow's kernels.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence, Set
from operator import itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from functions.etl.flatten import Row
from functions.etl.schema import MESSAGES, ROW_COLUMNS, TELEGRAM_SCHEMA, TableSpec

ROW_WIDTH = len(ROW_COLUMNS)
BATCH_ROWS = 8192  # rows a TableBuilder keeps as Python objects before turning them into Arrow

_UPDATE_ID = itemgetter(ROW_COLUMNS.index("update_id"))
_MESSAGE_KEY = itemgetter(ROW_COLUMNS.index("chat_id"), ROW_COLUMNS.index("message_id"))
_SORT_KEY = itemgetter(ROW_COLUMNS.index("date"), ROW_COLUMNS.index("chat_id"), ROW_COLUMNS.index("message_id"))
_ARROW_SORT_KEYS = [("date", "ascending"), ("chat_id", "ascending"), ("message_id", "ascending")]


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
    """The values as an array of the field's type; lone surrogates in text are replaced, not fatal."""
    try:
        return pa.array(values, type=field.type)
    except UnicodeEncodeError:  # rare: only then pay for a pass over the column
        return pa.array([_valid_text(value) for value in values], type=field.type)


def build_table(rows: Sequence[Row], spec: TableSpec = MESSAGES) -> pa.Table:
    """The rows as an Arrow table with exactly ``spec``'s schema; its last column derived from its seconds column."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in spec.row_columns]
    return pa.Table.from_batches([_record_batch(columns, spec)])


def _record_batch(columns: Sequence[Sequence[object]], spec: TableSpec = MESSAGES) -> pa.RecordBatch:
    names, schema = spec.row_columns, spec.schema
    arrays = [_column(values, schema.field(name)) for name, values in zip(names, columns, strict=True)]
    seconds = arrays[names.index(spec.seconds_column)]
    derived = pc.multiply_checked(seconds, 1000).cast(schema.field(spec.derived_column).type)
    return pa.RecordBatch.from_arrays([*arrays, derived], schema=schema)


class TableBuilder:
    """``build_table`` of rows added one by one, holding at most ``BATCH_ROWS`` of them as Python objects.

    Rows wait in one flat list, ``ROW_WIDTH`` values each (a tuple per row would be one more object for
    the garbage collector to track), and become an Arrow record batch every ``BATCH_ROWS`` rows. So a
    day's rows live in Arrow, a fraction of their size in Python, and the objects of one batch are freed
    (and their memory reused) while it is still in the CPU's cache.
    """

    def __init__(self) -> None:
        self._values: list[Any] = []
        self._batches: list[pa.RecordBatch] = []

    def add(self, row: Row) -> None:
        values = self._values
        values.extend(row)
        if len(values) >= BATCH_ROWS * ROW_WIDTH:
            self._flush()

    def table(self) -> pa.Table:
        """Every row added so far, in order, in one chunk (Arrow's kernels go faster over one than over many)."""
        self._flush()
        table = pa.Table.from_batches(self._batches, schema=TELEGRAM_SCHEMA).combine_chunks()
        self._batches = table.to_batches()  # the combined chunk: the many small ones can go
        return table

    def _flush(self) -> None:
        if self._values:
            self._batches.append(_record_batch([self._values[index::ROW_WIDTH] for index in range(ROW_WIDTH)]))
            self._values.clear()


def unique_table(table: pa.Table, earlier_update_ids: Set[int] = frozenset()) -> tuple[pa.Table, int]:
    """``build_table(deduplicate(rows, earlier_update_ids)[0])`` for the table of ``rows``; and how many went.

    Once the earlier updates are left out and every update id is distinct, ``deduplicate``'s rule is:
    per (``chat_id``, ``message_id``), the row with the lowest update id. Arrow applies it and sorts;
    when an update id repeats (never from the ingest, whose keys are update ids), ``deduplicate`` decides.
    """
    update_ids = table.column("update_id")
    keys = table.select(["chat_id", "message_id", "update_id"])
    keep = None  # which rows stay, when some must go
    # The day's update ids that the previous day stored too: a handful, however many the previous day had.
    earlier = {update_id for update_id in update_ids.to_pylist() if update_id in earlier_update_ids}
    if earlier:
        keep = pc.invert(pc.is_in(update_ids, value_set=pa.array(sorted(earlier), pa.int64())))
        keys = keys.filter(keep)
    if not _distinct(keys.column("update_id")):
        unique_rows, dropped = deduplicate(_rows_of(table), earlier_update_ids)
        return build_table(unique_rows), dropped
    firsts = keys.group_by(["chat_id", "message_id"], use_threads=False).aggregate([("update_id", "min")])
    if firsts.num_rows != keys.num_rows:  # the firsts' update ids are distinct from the earlier ones
        keep = pc.is_in(update_ids, value_set=firsts.column("update_id_min"))
    # The sort keys are unique among the rows kept, so any sort gives Python's order; one take copies them.
    order = pc.sort_indices(table, sort_keys=_ARROW_SORT_KEYS)
    if keep is not None:
        order = pc.filter(order, pc.take(keep, order))
    # One chunk, whatever take returns: the Parquet writer's pages follow the chunks, and the bytes with them.
    return table.take(order).combine_chunks(), table.num_rows - len(order)


def with_rows(table: pa.Table, rows: Sequence[Row]) -> pa.Table:
    """``table`` (unique, sorted) with ``rows`` added, sorted the same way; no row's (chat_id, message_id) may
    be in ``table``, so the order is total and a rerun gives the same bytes."""
    combined = pa.concat_tables([table, build_table(rows)])
    return combined.take(pc.sort_indices(combined, sort_keys=_ARROW_SORT_KEYS)).combine_chunks()


def _distinct(values: pa.ChunkedArray) -> bool:
    """Whether no value repeats. The job reads objects in key order, so update ids usually ascend: a pass
    comparing neighbours shows that without the hash table ``count_distinct`` builds (slow once out of cache)."""
    if pc.all(pc.greater(values[1:], values[:-1]), min_count=0).as_py():
        return True
    return bool(pc.count_distinct(values).as_py() == len(values))


def _rows_of(table: pa.Table) -> list[Row]:
    """The table's rows as ``flatten_update`` makes them (text already valid UTF-8 stays as it is)."""
    return list(zip(*(table.column(name).to_pylist() for name in ROW_COLUMNS), strict=True))


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
