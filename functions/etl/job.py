"""One day of ETL: read the raw partition, flatten, de-duplicate and write one Parquet file."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from functions.common.jsonlog import get_logger, log_event
from functions.etl.config import EtlSettings
from functions.etl.flatten import Flattened, Row, flatten_update
from functions.etl.raw_reader import list_keys, read_objects, update_id_of_key
from functions.etl.table import build_table, deduplicate, to_parquet

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOGGER = get_logger("telegram_pipeline.etl")


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def flatten_raw(body: bytes) -> Flattened:
    """The row of one raw object; bodies that are not JSON are invalid, like JSON that is not an update."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        return Flattened(None, "not valid JSON", invalid=True)
    return flatten_update(update)


def stored_the_day_before(client: S3Client, settings: EtlSettings, day: date) -> set[int]:
    """Update ids stored in the previous day's partition.

    A re-delivery that arrives after midnight lands in the next day's partition under the same update id;
    its row belongs to the day of the first delivery, so the later day must not repeat it.
    """
    previous = settings.raw_partition((day - timedelta(days=1)).isoformat())
    ids = (update_id_of_key(key) for key in list_keys(client, settings.raw_bucket, previous))
    return {update_id for update_id in ids if update_id is not None}


def process_day(client: S3Client, settings: EtlSettings, day: date) -> DaySummary:
    """Rebuild the day's Parquet file from every raw object of the day; raw objects are only read."""
    summary = DaySummary(date=day.isoformat())
    keys = list_keys(client, settings.raw_bucket, settings.raw_partition(summary.date))
    rows: list[Row] = []
    for key, body in read_objects(client, settings.raw_bucket, keys, settings.max_workers):
        summary.objects_read += 1
        flattened = flatten_raw(body)
        if flattened.row is not None:
            rows.append(flattened.row)
        elif flattened.invalid:
            summary.skipped += 1
            log_event(LOGGER, logging.WARNING, "skipped raw object", key=key, reason=flattened.reason)
        else:
            summary.updates_without_row += 1

    unique_rows, summary.duplicates = deduplicate(rows, stored_the_day_before(client, settings, day))
    del rows
    if unique_rows:
        parquet = to_parquet(build_table(unique_rows))
        summary.output_key = settings.output_key(summary.date)
        client.put_object(
            Bucket=settings.enriched_bucket,
            Key=summary.output_key,
            Body=parquet,
            ContentType="application/vnd.apache.parquet",
        )
        summary.rows_written, summary.bytes_written = len(unique_rows), len(parquet)
    log_event(LOGGER, logging.INFO, "day processed", **summary.as_dict())
    return summary
