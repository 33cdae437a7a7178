"""The S3 client, created once per container and shared by every invocation it serves."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Standard mode retries throttling (503 SlowDown) and 5xx with exponential backoff and jitter;
# this counts every attempt, the first one included.
MAX_ATTEMPTS = 5


@functools.cache
def s3_client(max_pool_connections: int = 10) -> S3Client:
    """A client honouring ``AWS_ENDPOINT_URL`` (moto locally, AWS when unset), with bounded retries."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max_pool_connections,
    )
    return boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None, config=config)
