"""Where a raw update lives in S3, and writing it there."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def partition_date(arrived_at: datetime, timezone: ZoneInfo) -> str:
    """The ``YYYY-MM-DD`` day, in the pipeline's time zone, that an arrival belongs to."""
    return arrived_at.astimezone(timezone).date().isoformat()


def raw_key(prefix: str, context_date: str, update_id: int) -> str:
    """One key per update id, so a re-delivery overwrites instead of duplicating."""
    return f"{prefix}/context_date={context_date}/{update_id}.json"


def store_raw_update(client: S3Client, bucket: str, key: str, body: bytes) -> None:
    """Write the body byte for byte; botocore retries transient errors, the rest propagate."""
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
