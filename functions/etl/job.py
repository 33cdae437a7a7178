"""One day of ETL: read the raw partition, flatten, de-duplicate and write one Parquet file per table."""

from __future__ import annotations

import json
import json.scanner
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from functions.common.jsonlog import get_logger, log_event
from functions.etl.config import EtlSettings
from functions.etl.day_rows import DayRows
from functions.etl.flatten import Flattened, Row, row_of_update
from functions.etl.imports import (
    ImportedCounts,
    ImportedRows,
    add_export,
    captured_messages,
    chat_id_of_key,
    import_keys,
)
from functions.etl.pseudonyms import Pseudonyms, load_pseudonyms
from functions.etl.raw_reader import list_keys, read_objects, update_id_of_key, update_keys
from functions.etl.schema import MESSAGES, ROW_COLUMNS, UPDATE_TABLES
from functions.etl.table import to_parquet

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

    from functions.common.call_limits import Deadline


def _orjson_loads() -> Callable[[bytes], Any] | None:
    """orjson's parser: the ETL's layer has it; without it (another runtime) json alone gives the same values."""
    try:
        from orjson import loads  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the layer and the dev install both have orjson
        return None
    return loads


FAST_LOADS = _orjson_loads()
LOGGER = get_logger("telegram_pipeline.etl")
NOT_JSON = Flattened(None, "not valid JSON", invalid=True)
# What json.loads scans with (the C scanner). typeshed types the argument as a scanner; it reads a decoder's settings.
_SCAN_ONCE = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_MESSAGE_TYPE, _CHAT_ID, _MESSAGE_ID = (ROW_COLUMNS.index(name) for name in ("message_type", "chat_id", "message_id"))


@dataclass
class TableOutput:
    """What a day's run wrote (or removed) for one of the tables besides the messages one."""

    rows: int = 0
    duplicates: int = 0
    key: str | None = None
    bytes: int = 0
    removed_key: str | None = None


@dataclass
class DaySummary:
    """What one day's run did; returned by the handler and logged as one JSON line.

    The top-level counts are the messages table's (and the objects'); ``tables`` has the others.
    """

    date: str
    objects_read: int = 0
    rows_written: int = 0
    skipped: int = 0  # objects that are not valid JSON or not a usable update
    duplicates: int = 0  # repeated update or message ids, and re-deliveries first stored the day before
    updates_without_row: int = 0  # updates in no table (callback queries, polls...): kept in raw only
    output_key: str | None = None
    bytes_written: int = 0
    removed_key: str | None = None  # an earlier run's file, deleted because the day now has no rows
    raw_only_updates: dict[str, int] = field(default_factory=dict)  # updates_without_row by update type
    tables: dict[str, TableOutput] = field(default_factory=dict)
    imported: ImportedCounts = field(default_factory=ImportedCounts)  # history loaded by the import command

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_json(body: bytes) -> Any:
    """``json.loads(body)``: the same value, or the same exception; but an integer beyond 64 bits may come
    as a float, which no column takes either (they keep ints within int64 only).

    orjson parses a day's bodies 2.5 times faster and, for what it accepts, to json's values (but those
    integers); what it refuses (NaN, lone surrogates, a BOM, UTF-16, trailing data, nesting deeper than
    1,024...) takes json's road. There, for a body that starts with ``{"``, ``json.loads`` detects UTF-8,
    decodes with ``surrogatepass``, skips no whitespace and scans from 0; taking those steps here skips
    its per-call encoding detection, regex matches and wrapper calls. Anything else (trailing whitespace
    or data, a scan that finds no value) goes through ``json.loads``.
    """
    if FAST_LOADS is not None:
        try:
            return FAST_LOADS(body)
        except ValueError:  # orjson.JSONDecodeError: json decides, and raises its own error if it refuses too
            pass
    if body.startswith(b'{"'):
        text = body.decode("utf-8", "surrogatepass")
        try:
            value, end = _SCAN_ONCE(text, 0)
        except StopIteration:
            pass
        else:
            if end == len(text):
                return value
    return json.loads(body)


def flatten_objects(objects: Iterable[tuple[str, bytes]], summary: DaySummary) -> DayRows:
    """The rows of ``(key, body)`` raw objects for every table, in their order, duplicates included.

    A body that is not JSON is invalid, like JSON that is not an update. ``summary`` counts the objects,
    the invalid ones (logged by key and reason) and the updates no table has, by type.
    """
    day = DayRows()
    add_message = day.messages.add
    for key, body in objects:
        summary.objects_read += 1
        try:
            update = parse_json(body)
        except (ValueError, RecursionError):
            flattened: Row | Flattened = NOT_JSON
        else:
            flattened = row_of_update(update)
        if isinstance(flattened, tuple):
            add_message(flattened)
            if flattened[_MESSAGE_TYPE] == "service":
                day.add_service_members(update)
            continue
        unusable = flattened if flattened.invalid else day.add_update(update, flattened.kind or "")
        if unusable is not None:
            summary.skipped += 1
            log_event(LOGGER, logging.WARNING, "skipped raw object", key=key, reason=unusable.reason)
    summary.raw_only_updates = dict(sorted(day.raw_only.items()))
    summary.updates_without_row = sum(day.raw_only.values())
    return day


def stored_the_day_before(client: S3Client, settings: EtlSettings, day: date, deadline: Deadline) -> set[int]:
    """Update ids stored in the previous day's partition.

    A re-delivery that arrives after midnight lands in the next day's partition under the same update id;
    its rows belong to the day of the first delivery, so the later day must not repeat them.
    """
    previous = settings.raw_partition((day - timedelta(days=1)).isoformat())
    keys = update_keys(previous, list_keys(client, settings.raw_bucket, previous, deadline))
    ids = (update_id_of_key(key) for key in keys)
    return {update_id for update_id in ids if update_id is not None}


def captured_the_day_after(
    client: S3Client, settings: EtlSettings, day: date, chat_ids: set[int], deadline: Deadline
) -> set[tuple[int, int]]:
    """(chat_id, message_id) of the messages of ``chat_ids`` the bot stored the next day: a message sent late
    in the day may arrive after midnight, and the bot's copy of it wins over an imported one."""
    following = settings.raw_partition((day + timedelta(days=1)).isoformat())
    keys = update_keys(following, list_keys(client, settings.raw_bucket, following, deadline))
    captured: set[tuple[int, int]] = set()
    for _, body in read_objects(client, settings.raw_bucket, keys, settings.max_workers, deadline):
        try:
            row = row_of_update(parse_json(body))
        except (ValueError, RecursionError):
            continue
        if isinstance(row, tuple) and row[_CHAT_ID] in chat_ids:
            captured.add((row[_CHAT_ID], row[_MESSAGE_ID]))
    return captured


def imported_rows(
    client: S3Client, settings: EtlSettings, day: date, keys: list[str], *, bot_messages: pa.Table, deadline: Deadline
) -> ImportedRows:
    """The rows of the day's imported records (``keys``) whose message the bot did not capture."""
    chat_ids = {chat_id for chat_id in map(chat_id_of_key, keys) if chat_id is not None}
    captured = captured_messages(bot_messages, chat_ids)
    captured |= captured_the_day_after(client, settings, day, chat_ids, deadline)
    rows = ImportedRows()
    for key, body in read_objects(client, settings.raw_bucket, keys, settings.max_workers, deadline):
        add_export(rows, key, body, captured)
    return rows


def remove_output(client: S3Client, bucket: str, key: str, deadline: Deadline) -> str | None:
    """Delete the file an earlier run wrote at ``key``, if there is one; return its key.

    A day whose rebuild has no rows (its raw objects are gone, or a re-delivery moved its only message to
    the day before) must have no file, or queries keep answering with rows that no longer exist. Listing
    first keeps quiet days from adding a delete marker to the versioned bucket on every run.
    """
    deadline.check("looking for", bucket, key)
    listed = client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    if not any(item["Key"] == key for item in listed.get("Contents", ())):
        return None
    deadline.check("removing", bucket, key)
    client.delete_object(Bucket=bucket, Key=key)
    return key


def publish(client: S3Client, bucket: str, key: str, table: pa.Table, deadline: Deadline) -> TableOutput:
    """Write ``table`` as the Parquet file at ``key``, or, when it has no rows, remove the file an earlier
    run wrote there; what was done (the caller adds the duplicates)."""
    if not table.num_rows:
        return TableOutput(removed_key=remove_output(client, bucket, key, deadline))
    parquet = to_parquet(table)
    deadline.check("writing", bucket, key)
    client.put_object(Bucket=bucket, Key=key, Body=parquet, ContentType="application/vnd.apache.parquet")
    return TableOutput(rows=table.num_rows, key=key, bytes=len(parquet))


def _as_written(pseudonyms: Pseudonyms | None, name: str, table: pa.Table) -> pa.Table:
    """The table ``name`` as its file holds it: pseudonymised when the deployment says so."""
    return table if pseudonyms is None else pseudonyms.table(name, table)


def process_day(
    client: S3Client, settings: EtlSettings, day: date, deadline: Deadline, pseudonyms: Pseudonyms | None = None
) -> DaySummary:
    """Rebuild every table's file of the day from every raw object of the day (no rows: no file); raw
    objects are only read. ``deadline`` stops the run before a call that might outlast the function's timeout.

    With ``settings.pseudonym_key_parameter``, the files hold pseudonyms (``pseudonyms``, the key the
    invocation read; read now when not given, so that no caller writes user ids by forgetting it).
    """
    if pseudonyms is None:
        pseudonyms = load_pseudonyms(settings)
    summary = DaySummary(date=day.isoformat())
    bucket = settings.enriched_bucket
    partition = settings.raw_partition(summary.date)
    keys = list_keys(client, settings.raw_bucket, partition, deadline)
    objects = read_objects(client, settings.raw_bucket, update_keys(partition, keys), settings.max_workers, deadline)
    rows = flatten_objects(objects, summary)
    imports = import_keys(partition, keys)
    imported = (
        imported_rows(client, settings, day, imports, bot_messages=rows.messages.table(), deadline=deadline)
        if imports
        else None
    )
    tables = rows.tables(stored_the_day_before(client, settings, day, deadline), imported)
    if imported is not None:
        summary.imported = imported.counts
        summary.objects_read += imported.counts.objects
    del rows, imported
    messages, summary.duplicates = tables.pop(MESSAGES.name)
    messages = _as_written(pseudonyms, MESSAGES.name, messages)
    written = publish(client, bucket, settings.output_key(summary.date), messages, deadline)
    summary.rows_written, summary.output_key = written.rows, written.key
    summary.bytes_written, summary.removed_key = written.bytes, written.removed_key
    del messages
    for spec in UPDATE_TABLES:
        table, duplicates = tables.pop(spec.name)
        table = _as_written(pseudonyms, spec.name, table)
        summary.tables[spec.name] = publish(client, bucket, spec.key(summary.date), table, deadline)
        summary.tables[spec.name].duplicates = duplicates
    log_event(LOGGER, logging.INFO, "day processed", **summary.as_dict())
    return summary
