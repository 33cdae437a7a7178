"""Bringing the enriched Parquet partitions from S3 (AWS or moto) to a local folder DuckDB can read.

DuckDB's httpfs extension cannot be downloaded offline, so the files are copied, keeping the
``context_date=YYYY-MM-DD/telegram.parquet`` layout the DuckDB engine reads as a partition.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PARTITION_FILE = re.compile(r"(?:^|/)(context_date=\d{4}-\d{2}-\d{2})/([^/]+\.parquet)$")


def download_partitions(client: S3Client, bucket: str, prefix: str, destination: Path) -> list[Path]:
    """Copy every ``<prefix>/context_date=.../*.parquet`` object into ``destination``; return the local paths."""
    downloaded: list[Path] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix.strip('/')}/"):
        for item in page.get("Contents", ()):
            match = PARTITION_FILE.search(item["Key"])
            if not match:
                continue
            local = destination / match[1] / match[2]
            local.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(local))
            downloaded.append(local)
    return sorted(downloaded)
