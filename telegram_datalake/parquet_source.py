"""Bringing the enriched bucket's Parquet files from S3 (AWS or moto) to a local folder DuckDB can read.

DuckDB's httpfs extension cannot be downloaded offline, so the files are copied, keeping the bucket's
layout: ``<prefix>/context_date=YYYY-MM-DD/telegram.parquet`` for the messages table (``prefix`` is the
ETL's ``ENRICHED_PREFIX``) and ``<table>/context_date=YYYY-MM-DD/<table>.parquet`` for every other table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from telegram_datalake.saved_queries import MESSAGES_TABLE, SQL_DIR, load_schemas

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_PREFIX = "telegram"  # the ETL's default ENRICHED_PREFIX: where the messages table's files are
PARTITION_FILE = re.compile(r"(context_date=\d{4}-\d{2}-\d{2})/([^/]+\.parquet)")


def table_prefixes(prefix: str = DEFAULT_PREFIX, sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """Each table's key prefix in the enriched bucket, by table name (the messages table first).

    The messages table is under ``prefix``, the others under their names. ValueError for a prefix that is
    empty, leaves its folder (``..``) or is another table's: files would be mixed up or written elsewhere.
    """
    cleaned = prefix.strip("/")
    parts = cleaned.split("/")
    if any(part in {"", ".", ".."} or "\\" in part for part in parts):
        raise ValueError(f"the messages prefix must be a key prefix such as {DEFAULT_PREFIX!r}, got {prefix!r}")
    names = list(load_schemas(sql_dir))
    if parts[0] != MESSAGES_TABLE and parts[0] in names:
        raise ValueError(f"the messages prefix {prefix!r} is inside {parts[0]}/, the {parts[0]} table's folder")
    return {name: cleaned if name == MESSAGES_TABLE else name for name in names}


def download_partitions(client: S3Client, bucket: str, prefix: str, destination: Path) -> list[Path]:
    """Copy every ``<prefix>/context_date=.../*.parquet`` object into ``destination/context_date=.../``.

    One table's files; other keys under the prefix (deeper folders, markers) are not partitions and are
    skipped. Returns the local paths, sorted.
    """
    downloaded: list[Path] = []
    folder = f"{prefix.strip('/')}/"
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=folder):
        for item in page.get("Contents", ()):
            match = PARTITION_FILE.fullmatch(item["Key"].removeprefix(folder))
            if not match:
                continue
            local = destination / match[1] / match[2]
            local.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, item["Key"], str(local))
            downloaded.append(local)
    return sorted(downloaded)


def download_tables(
    client: S3Client, bucket: str, destination: Path, *, prefix: str = DEFAULT_PREFIX, sql_dir: Path = SQL_DIR
) -> dict[str, list[Path]]:
    """Every table's files into ``destination``, laid out as in the bucket; the local paths by table name.

    ``destination`` is then what ``duckdb_engine.connect`` reads (with the same ``prefix``). A table the
    ETL has not written yet has no files.
    """
    return {
        name: download_partitions(client, bucket, key_prefix, destination / key_prefix)
        for name, key_prefix in table_prefixes(prefix, sql_dir).items()
    }
