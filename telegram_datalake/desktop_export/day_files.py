"""Filing an export's records in the raw layer: one single-chat export per chat and day, merged with earlier imports.

A day's file is ``{"name", "type", "id", "messages": [...]}`` holding each record exactly as the export
wrote it, ordered by message id, at ``<raw partition of the day>/import/<chat id>.json``
(``functions.etl.imports`` reads it back). The day is the message's date in the pipeline's time zone: an
old message's arrival day is unknown. Filing the same records again writes the same bytes, so an import
can be repeated; a record already filed is replaced by the new one unless the filed one was edited later.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from functions.etl.export_records import unix_seconds
from telegram_datalake.desktop_export.reader import ExportedChat, ExportedMessage, read_export

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

WRITERS = 8  # days written at once
KeyOf = Callable[[str, int], str]  # (day, Bot API chat id) -> the day file's key


@dataclass(frozen=True, slots=True)
class FiledRecord:
    """What filing needs of a record: its id, when it was last edited (0: never), and its text as exported.
    The decoded record is not kept: a day of these costs little more than the text."""

    message_id: int
    edited: int
    text: str

    @classmethod
    def of(cls, message: ExportedMessage) -> FiledRecord:
        return cls(message.record["id"], unix_seconds(message.record.get("edited_unixtime")) or 0, message.text)


@dataclass(frozen=True)
class DayFile:
    """What filing one chat's day did."""

    day: str
    records: int  # records of this import for the day
    added: int  # of them, messages the day's file did not hold before
    changed: int  # of them, messages it held in another version (edited, a sender renamed...)
    total: int  # records in the file now
    key: str
    bytes: int


def day_of(date_unixtime: int, timezone: ZoneInfo) -> str:
    """The ``YYYY-MM-DD`` day, in the pipeline's time zone, of a message sent at ``date_unixtime``."""
    return datetime.fromtimestamp(date_unixtime, UTC).astimezone(timezone).date().isoformat()


def export_text(chat: ExportedChat, messages: Sequence[FiledRecord]) -> str:
    """A single-chat export, laid out as Telegram Desktop writes one, of ``messages`` as they were written."""
    header = {"name": chat.name, "type": chat.type, "id": chat.bare_id}
    fields = [f" {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}" for name, value in header.items()]
    records = ",\n".join(f"  {message.text}" for message in messages)
    return "{\n" + ",\n".join(fields) + ',\n "messages": [\n' + records + "\n ]\n}"


def merge(filed: Iterable[FiledRecord], new: Iterable[FiledRecord]) -> tuple[list[FiledRecord], int, int]:
    """The day's records by message id: the new ones, but where the filed copy was edited later; and how many of
    the new ones were added, and how many changed a filed one."""
    by_id = {record.message_id: record for record in filed}
    added = changed = 0
    for record in new:
        kept = by_id.get(record.message_id)
        if kept is None:
            added += 1
        elif kept.text == record.text or kept.edited > record.edited:
            continue
        else:
            changed += 1
        by_id[record.message_id] = record
    return [by_id[message_id] for message_id in sorted(by_id)], added, changed


class DayFiler:
    """Writes day files in the background, a few at once; a day filed twice in one import is merged in order."""

    def __init__(self, client: S3Client, bucket: str, key_of: KeyOf) -> None:
        self.client, self.bucket, self.key_of = client, bucket, key_of
        self._pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="import-writer")
        self._pending: dict[str, Future[DayFile]] = {}
        self.done: list[DayFile] = []

    def file(self, day: str, chat: ExportedChat, messages: list[FiledRecord]) -> None:
        """Merge ``messages`` (all of ``day``) into the day's file; raises the error of an earlier write."""
        key = self.key_of(day, chat.bot_api_id)
        earlier = self._pending.pop(key, None)
        if earlier is not None:
            self.done.append(earlier.result())  # the same day again: its first write must land first
        while len(self._pending) >= 2 * WRITERS:
            self._collect(next(iter(self._pending)))
        self._pending[key] = self._pool.submit(self._write, day, key, chat, messages)

    def close(self) -> list[DayFile]:
        """Wait for every write; what each did, by day. Raises the first failed write's error."""
        try:
            while self._pending:
                self._collect(next(iter(self._pending)))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return sorted(self.done, key=lambda done: done.day)

    def _collect(self, key: str) -> None:
        self.done.append(self._pending.pop(key).result())

    def _write(self, day: str, key: str, chat: ExportedChat, messages: list[FiledRecord]) -> DayFile:
        merged, added, changed = merge(self._filed(key), messages)
        body = export_text(chat, merged).encode()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return DayFile(day, len(messages), added, changed, len(merged), key, len(body))

    def _filed(self, key: str) -> list[FiledRecord]:
        """The records an earlier import filed at ``key``; none when there is no such file."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return []
        return [FiledRecord.of(message) for message in read_export(io.BytesIO(body))]


def runs_by_day(
    records: Iterable[tuple[FiledRecord, int]], timezone: ZoneInfo
) -> Iterator[tuple[str, list[FiledRecord]]]:
    """Consecutive ``(record, date_unixtime)`` of one day, as runs: an export is in message id order, which
    is the order of dates, so a day usually comes as one run and only that run is held in memory."""
    run: list[FiledRecord] = []
    run_day = ""
    for record, date in records:
        day = day_of(date, timezone)
        if day != run_day and run:
            yield run_day, run
            run = []
        run_day = day
        run.append(record)
    if run:
        yield run_day, run
