"""One day of ETL: read the raw partition, flatten, de-duplicate and write one Parquet file."""

from __future__ import annotations

import json
import json.scanner
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from functions.common.jsonlog import get_logger, log_event
from functions.etl.config import EtlSettings
from functions.etl.flatten import Flattened, Row, row_of_update
from functions.etl.raw_reader import list_keys, read_objects, update_id_of_key
from functions.etl.table import TableBuilder, to_parquet, unique_table

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

    from functions.common.call_limits import Deadline

LOGGER = get_logger("telegram_pipeline.etl")
NOT_JSON = Flattened(None, "not valid JSON", invalid=True)
# What json.loads scans with (the C scanner). typeshed types the argument as a scanner; it reads a decoder's settings.
_SCAN_ONCE = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


@dataclass
class DaySummary:
    """What one day's run did; returned by the handler and logged as one JSON line."""

    date: str
    objects_read: int = 0
    rows_written: int = 0
    skipped: int = 0  # objects that are not valid JSON or not an update
    duplicates: int = 0  # repeated update or message ids, and re-deliveries first stored the day before
    updates_without_row: int = 0  # edits, member changes, reactions...: kept in raw only
    output_key: str | None = None
    bytes_written: int = 0
    removed_key: str | None = None  # an earlier run's file, deleted because the day now has no rows

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_json(body: bytes) -> Any:
    """``json.loads(body)``: the same value, or the same exception.

    For a body that starts with ``{"``, ``json.loads`` detects UTF-8, decodes with ``surrogatepass``,
    skips no whitespace and scans from 0; taking those steps here skips its per-call encoding detection,
    regex matches and wrapper calls. Anything else (trailing whitespace or data, a scan that finds no
    value) goes through ``json.loads`` itself.
    """
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


def flatten_objects(objects: Iterable[tuple[str, bytes]], summary: DaySummary) -> pa.Table:
    """The table of the rows of ``(key, body)`` raw objects, in their order, duplicates included.

    A body that is not JSON is invalid, like JSON that is not an update. ``summary`` counts the objects,
    and those without a row (logging the invalid ones).
    """
    rows = TableBuilder()
    add_row = rows.add
    for key, body in objects:
        summary.objects_read += 1
        try:
            update = parse_json(body)
        except (ValueError, RecursionError):
            flattened: Row | Flattened = NOT_JSON
        else:
            flattened = row_of_update(update)
        if isinstance(flattened, tuple):
            add_row(flattened)
        elif flattened.invalid:
            summary.skipped += 1
            log_event(LOGGER, logging.WARNING, "skipped raw object", key=key, reason=flattened.reason)
        else:
            summary.updates_without_row += 1
    return rows.table()


def stored_the_day_before(client: S3Client, settings: EtlSettings, day: date, deadline: Deadline) -> set[int]:
    """Update ids stored in the previous day's partition.

    A re-delivery that arrives after midnight lands in the next day's partition under the same update id;
    its row belongs to the day of the first delivery, so the later day must not repeat it.
    """
    previous = settings.raw_partition((day - timedelta(days=1)).isoformat())
    ids = (update_id_of_key(key) for key in list_keys(client, settings.raw_bucket, previous, deadline))
    return {update_id for update_id in ids if update_id is not None}


def remove_output(client: S3Client, settings: EtlSettings, day: str, deadline: Deadline) -> str | None:
    """Delete the file an earlier run wrote for ``day``, if there is one; return its key.

    A day whose rebuild has no rows (its raw objects are gone, or a re-delivery moved its only message to
    the day before) must have no file, or queries keep answering with rows that no longer exist. Listing
    first keeps quiet days from adding a delete marker to the versioned bucket on every run.
    """
    key = settings.output_key(day)
    deadline.check("looking for", settings.enriched_bucket, key)
    listed = client.list_objects_v2(Bucket=settings.enriched_bucket, Prefix=key, MaxKeys=1)
    if not any(item["Key"] == key for item in listed.get("Contents", ())):
        return None
    deadline.check("removing", settings.enriched_bucket, key)
    client.delete_object(Bucket=settings.enriched_bucket, Key=key)
    return key


def process_day(client: S3Client, settings: EtlSettings, day: date, deadline: Deadline) -> DaySummary:
    """Rebuild the day's Parquet file from every raw object of the day (no rows: no file); raw objects are
    only read. ``deadline`` stops the run before a call that might outlast the function's timeout.
    """
    summary = DaySummary(date=day.isoformat())
    keys = list_keys(client, settings.raw_bucket, settings.raw_partition(summary.date), deadline)
    objects = read_objects(client, settings.raw_bucket, keys, settings.max_workers, deadline)
    rows = flatten_objects(objects, summary)
    table, summary.duplicates = unique_table(rows, stored_the_day_before(client, settings, day, deadline))
    del rows
    if table.num_rows:
        parquet = to_parquet(table)
        summary.output_key = settings.output_key(summary.date)
        deadline.check("writing", settings.enriched_bucket, summary.output_key)
        client.put_object(
            Bucket=settings.enriched_bucket,
            Key=summary.output_key,
            Body=parquet,
            ContentType="application/vnd.apache.parquet",
        )
        summary.rows_written, summary.bytes_written = table.num_rows, len(parquet)
    else:
        summary.removed_key = remove_output(client, settings, summary.date, deadline)
    log_event(LOGGER, logging.INFO, "day processed", **summary.as_dict())
    return summary
