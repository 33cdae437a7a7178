"""The S3 client, created once per container (per call limits) and shared by every invocation it serves."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3

from functions.common.settings import endpoint_url_setting

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from functions.common.call_limits import CallLimits


@functools.cache
def s3_client(limits: CallLimits, max_pool_connections: int = 10) -> S3Client:
    """A client honouring ``AWS_ENDPOINT_URL`` (moto locally, AWS when unset) whose every call ends within
    ``limits`` (standard retry mode: throttling and 5xx are retried with backoff and jitter).
    """
    config = limits.config(max_pool_connections)
    return boto3.client("s3", endpoint_url=endpoint_url_setting(), config=config)
