"""In-process moto (S3, Secrets Manager) for the benchmarks: fake credentials, the functions' environment, their
logs muted."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from moto import mock_aws

from functions.common.s3client import s3_client
from functions.ingest.secret import secrets_client, stored_secret
from telegram_datalake.local.stack import patched_environment

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_ENDPOINT_URL": None,
    "AWS_PROFILE": None,
}


@contextmanager
def moto_s3(environment: Mapping[str, str], buckets: tuple[str, ...]) -> Iterator[None]:
    """moto's S3 in this process with ``buckets``, the functions' ``environment``, and their JSON logs muted
    (they are written, to /dev/null: a log line per invocation is part of the cost)."""
    with ExitStack() as stack:
        stack.enter_context(patched_environment({**FAKE_AWS, **environment}))
        devnull = stack.enter_context(Path(os.devnull).open("w"))
        stack.enter_context(redirect_stdout(devnull))
        for cache in (s3_client, secrets_client, stored_secret):  # the functions' clients of another AWS
            cache.cache_clear()
            stack.callback(cache.cache_clear)
        stack.enter_context(mock_aws())
        boto3.DEFAULT_SESSION = None
        client = boto3.client("s3")
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield


class S3CallTimer:
    """CPU time spent inside a client's S3 calls, on whichever thread makes them.

    botocore emits ``provide-client-params`` when a call starts (before validating and serialising the
    parameters) and ``after-call`` (or ``after-call-error``) when its response is parsed; moto answers
    in between, in this process. ``time.thread_time()`` read at both ends counts the CPU the calling
    thread spent in the call, so concurrent readers' calls add up without counting one another.
    """

    def __init__(self, client: S3Client) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._main_thread = threading.get_ident()
        self.cpu_seconds = 0.0
        self.main_thread_cpu_seconds = 0.0  # the part spent on the thread that created the timer
        self.calls: Counter[str] = Counter()
        events = client.meta.events
        events.register("provide-client-params.s3", self._start)
        events.register("after-call.s3", self._end)
        events.register("after-call-error.s3", self._end)

    def _start(self, **_: Any) -> None:
        self._local.started = time.thread_time()

    def _end(self, model: Any = None, **_: Any) -> None:
        elapsed = time.thread_time() - self._local.started
        with self._lock:
            self.cpu_seconds += elapsed
            if threading.get_ident() == self._main_thread:
                self.main_thread_cpu_seconds += elapsed
            self.calls[getattr(model, "name", "?")] += 1
