"""The whole pipeline on one machine: moto's S3, the webhook server and the Lambda handlers' environment.

``local_stack()`` starts S3 and Secrets Manager (moto) and the webhook server on loopback, sets the
environment variables the unchanged Lambda handlers read (as Terraform sets them on AWS), creates the raw
and enriched buckets and the webhook's secret (as `telegram-datalake webhook set` leaves it), and yields a
``LocalStack`` describing it all. In the block, ``functions.ingest.handler`` and
``functions.etl.handler`` work against the local S3 exactly as they do against AWS. On exit everything
stops, no thread or port is left behind, and the environment is restored exactly.

Every ``AWS_*`` variable of the caller is removed for the duration (credentials, profiles, endpoints,
regions) and fake credentials are set, and loopback is exempted from any HTTP proxy: nothing the
block does with boto3 can reach AWS or leave the machine.

The environment is process-wide: run one local stack at a time in a process.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import boto3

import functions.etl.job
import functions.ingest.outcome
from functions.common.s3client import s3_client
from functions.common.settings import DEFAULT_TIMEZONE, timezone_setting
from functions.etl.budget import DEFAULT_TIMEOUT_SECONDS as ETL_TIMEOUT_SECONDS
from functions.etl.budget import etl_call_limits
from functions.ingest.budget import DEFAULT_TIMEOUT_SECONDS as INGEST_TIMEOUT_SECONDS
from functions.ingest.budget import ingest_call_limits
from functions.ingest.config import parse_allowed_chat_ids
from functions.ingest.secret import secrets_client, stored_secret
from telegram_datalake.aws_clients import BOUNDS
from telegram_datalake.local.moto_server import moto_server
from telegram_datalake.local.webhook_server import webhook_server

__all__ = ["DEFAULT_TIMEZONE", "LocalStack", "local_session", "local_stack"]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

REGION = "us-east-1"
FAKE_ACCESS_KEY_ID = "local"
FAKE_SECRET_ACCESS_KEY = "local"  # noqa: S105 - moto accepts any credentials; these are not secrets
RAW_BUCKET = "telegram-datalake-raw-local"
ENRICHED_BUCKET = "telegram-datalake-enriched-local"
PREFIX = "telegram"
WEBHOOK_SECRET_NAME = "telegram-datalake-ingest-webhook-secret"  # noqa: S105 - a name, not a secret
MAX_WORKERS = 16  # the ETL's concurrent reads; moto's server on one machine gains nothing from more
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

# The functions' JSON log lines (one per webhook request, one per ETL day) go through these loggers.
PIPELINE_LOGGERS = (functions.ingest.outcome.LOGGER, functions.etl.job.LOGGER)


@dataclass(frozen=True)
class LocalStack:
    """A running local pipeline: where its S3 and webhook listen, and the settings its functions use."""

    s3_endpoint: str
    webhook_url: str
    raw_bucket: str
    enriched_bucket: str
    secret_token: str = field(repr=False)
    webhook_secret_arn: str
    allowed_chat_ids: str
    timezone: str
    raw_prefix: str = PREFIX
    enriched_prefix: str = PREFIX

    def s3(self) -> S3Client:
        """A new S3 client for the local S3 (fake credentials); close it when done with it."""
        return local_session().client("s3", endpoint_url=self.s3_endpoint, config=BOUNDS["s3"].config())

    def secrets_manager(self) -> SecretsManagerClient:
        """A new Secrets Manager client for the local one (the same moto server); close it when done."""
        config = BOUNDS["secretsmanager"].config()
        return local_session().client("secretsmanager", endpoint_url=self.s3_endpoint, config=config)


@functools.cache
def local_session() -> boto3.session.Session:
    """The boto3 session of every local stack: fake credentials, and no setting from the caller's ~/.aws.

    One for the process, so that botocore loads S3's service model once, not once per stack.
    """
    with patched_environment({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}):
        session = boto3.session.Session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY, region_name=REGION
        )
        _ = session.available_profiles  # botocore reads (and keeps) the config files now: the empty ones
    return session


def _no_proxy(current: str | None) -> str:
    """``NO_PROXY`` extended with the loopback hosts, keeping the entries already there."""
    entries = [entry.strip() for entry in (current or "").split(",") if entry.strip()]
    return ",".join([*entries, *(host for host in LOOPBACK_HOSTS if host not in entries)])


def stack_environment(stack: LocalStack, log_level: str) -> dict[str, str | None]:
    """The changes to ``os.environ`` for ``stack``: a value to set, or None to unset."""
    changes: dict[str, str | None] = {name: None for name in os.environ if name.startswith("AWS_")}
    changes.update(
        {
            "AWS_ENDPOINT_URL": stack.s3_endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,  # no profile of the caller's ~/.aws applies
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": _no_proxy(os.environ.get("NO_PROXY")),
            "no_proxy": _no_proxy(os.environ.get("no_proxy")),
            # The Lambda functions' variables, as Terraform sets them.
            "RAW_BUCKET": stack.raw_bucket,
            "ENRICHED_BUCKET": stack.enriched_bucket,
            "WEBHOOK_SECRET_ARN": stack.webhook_secret_arn,
            "ALLOWED_CHAT_IDS": stack.allowed_chat_ids,
            "TIMEZONE": stack.timezone,
            "RAW_PREFIX": stack.raw_prefix,
            "ENRICHED_PREFIX": stack.enriched_prefix,
            "MAX_WORKERS": str(MAX_WORKERS),
            "PSEUDONYM_KEY_PARAMETER": None,  # the local stack keeps user ids, whatever the shell has set
            "LOG_LEVEL": log_level,
        }
    )
    return changes


@contextmanager
def patched_environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Apply ``changes`` to ``os.environ``; on exit put back exactly what each changed variable was."""
    previous = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def pipeline_log_level(level: str) -> Iterator[None]:
    """The functions' loggers at ``level`` (they read ``LOG_LEVEL`` once, at import); restored on exit."""
    previous = [logger.level for logger in PIPELINE_LOGGERS]
    try:
        for logger in PIPELINE_LOGGERS:
            logger.setLevel(level)
        yield
    finally:
        for logger, old_level in zip(PIPELINE_LOGGERS, previous, strict=True):
            logger.setLevel(old_level)


def _forget_function_clients() -> None:
    """Drop the functions' cached clients and webhook secret, closing the clients' connections."""
    # The stack leaves FUNCTION_TIMEOUT_SECONDS unset: the functions' clients are those of their default timeouts.
    ingest_limits = ingest_call_limits(INGEST_TIMEOUT_SECONDS)
    if s3_client.cache_info().currsize:
        for client in (s3_client(ingest_limits.storage), s3_client(etl_call_limits(ETL_TIMEOUT_SECONDS), MAX_WORKERS)):
            client.close()
    if secrets_client.cache_info().currsize:
        secrets_client(ingest_limits.secret).close()
    s3_client.cache_clear()
    secrets_client.cache_clear()
    stored_secret.cache_clear()


@contextmanager
def fresh_aws_clients() -> Iterator[None]:
    """The functions' cached clients (S3, Secrets Manager) made anew from the local session, and dropped after.

    The cached clients and boto3's default session may have been made from the caller's environment
    (credentials, profile, endpoint): inside the stack the default session is the local one. The clients
    made inside are closed on exit, so that no connection to the local moto server outlives the stack.
    """
    previous_session = boto3.DEFAULT_SESSION
    _forget_function_clients()
    boto3.DEFAULT_SESSION = local_session()
    try:
        yield
    finally:
        _forget_function_clients()
        boto3.DEFAULT_SESSION = previous_session


def _create_webhook_secret(stack: LocalStack) -> str:
    """The webhook's secret holding the stack's token, as `telegram-datalake webhook set` leaves it; its ARN."""
    client = stack.secrets_manager()
    try:
        arn = client.create_secret(Name=WEBHOOK_SECRET_NAME)["ARN"]
        client.put_secret_value(SecretId=arn, SecretString=stack.secret_token)
    finally:
        client.close()
    return arn


@contextmanager
def local_stack(
    *,
    allowed_chat_ids: str = "*",
    timezone: str = DEFAULT_TIMEZONE,
    secret_token: str | None = None,
    webhook_port: int = 0,
    trust_time_header: bool = False,
    log_level: str = "INFO",
) -> Iterator[LocalStack]:
    """Run the pipeline locally for the duration of the block; see the module's documentation.

    ``allowed_chat_ids`` and ``timezone`` are the functions' ``ALLOWED_CHAT_IDS`` and ``TIMEZONE``;
    ``secret_token`` is generated when not given; ``webhook_port`` 0 picks a free port (OSError if the
    given one is taken); ``trust_time_header`` is the webhook server's demo-only switch; ``log_level``
    the level of the functions' JSON log lines (``WARNING`` keeps only problems).

    Settings the functions would refuse raise ``functions.common.settings.ConfigurationError`` at once.
    """
    parse_allowed_chat_ids(allowed_chat_ids)
    timezone_setting(environ={"TIMEZONE": timezone})
    log_level = log_level.upper()
    if log_level not in logging.getLevelNamesMapping():
        raise ValueError(f"unknown log level {log_level!r}")
    with ExitStack() as stack:
        endpoint = stack.enter_context(moto_server())
        description = LocalStack(
            s3_endpoint=endpoint,
            webhook_url="",
            raw_bucket=RAW_BUCKET,
            enriched_bucket=ENRICHED_BUCKET,
            secret_token=secret_token or secrets.token_urlsafe(32),
            webhook_secret_arn="",
            allowed_chat_ids=allowed_chat_ids,
            timezone=timezone,
        )
        stack.enter_context(patched_environment(stack_environment(description, log_level)))
        stack.enter_context(pipeline_log_level(log_level))
        stack.enter_context(fresh_aws_clients())
        client = description.s3()
        try:
            for bucket in (description.raw_bucket, description.enriched_bucket):
                client.create_bucket(Bucket=bucket)
        finally:
            client.close()
        description = replace(description, webhook_secret_arn=_create_webhook_secret(description))
        stack.enter_context(patched_environment({"WEBHOOK_SECRET_ARN": description.webhook_secret_arn}))
        webhook_url = stack.enter_context(webhook_server(port=webhook_port, trust_time_header=trust_time_header))
        yield replace(description, webhook_url=webhook_url)
