"""Listing and reading a day's raw objects: every page of the listing, a bounded pool of readers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

IMPORT_FOLDER = "import"  # under a day's raw partition: the import command's files

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from functions.common.call_limits import Deadline


def list_keys(client: S3Client, bucket: str, prefix: str, deadline: Deadline) -> list[str]:
    """Every key under ``prefix``, across all pages (the listing returns at most 1,000 a page)."""
    keys: list[str] = []
    token: str | None = None
    while True:
        deadline.check("listing", bucket, prefix)
        if token is None:
            page = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        else:
            page = client.list_objects_v2(Bucket=bucket, Prefix=prefix, ContinuationToken=token)
        keys.extend(item["Key"] for item in page.get("Contents", ()))
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if token is None:
            return keys


def is_import_key(partition: str, key: str) -> bool:
    """Whether ``key`` is a chat's imported history of the day (``<partition>import/<chat id>.json``)."""
    return key.startswith(f"{partition}{IMPORT_FOLDER}/") and key.endswith(".json")


def update_keys(partition: str, keys: Iterable[str]) -> list[str]:
    """A day's raw keys but its imported history: the ingest function's updates (and anything else, which the
    job reads, skips and logs)."""
    return [key for key in keys if not is_import_key(partition, key)]


def update_id_of_key(key: str) -> int | None:
    """The update id an ingest key is named after (``.../<update_id>.json``), or None for other keys."""
    stem = key.rpartition("/")[2].removesuffix(".json")
    return int(stem) if stem.isascii() and stem.isdigit() else None


def read_objects(
    client: S3Client, bucket: str, keys: Iterable[str], max_workers: int, deadline: Deadline
) -> Iterator[tuple[str, bytes]]:
    """``(key, body)`` for each key, in the keys' order, fetched by ``max_workers`` threads.

    At most ``2 * max_workers`` bodies are in flight, so memory does not grow with the day's size
    beyond what the caller keeps. A failed read (after botocore's retries), or one there is no time
    left for, raises here.
    """

    def fetch(key: str) -> bytes:
        deadline.check("reading", bucket, key)
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()

    window = 2 * max_workers
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="raw-reader") as pool:
        pending: deque[tuple[str, Future[bytes]]] = deque()
        try:
            for key in keys:
                pending.append((key, pool.submit(fetch, key)))
                if len(pending) >= window:
                    done_key, future = pending.popleft()
                    yield done_key, future.result()
            while pending:
                done_key, future = pending.popleft()
                yield done_key, future.result()
        finally:
            for _, future in pending:
                future.cancel()
