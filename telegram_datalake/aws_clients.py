"""Every AWS client the CLI creates, each with explicit connect and read timeouts and a bounded number of attempts.

botocore's defaults (60 s to connect, 60 s per read, retried) are implicit and the same for every call;
here each service gets the bounds its calls need, in one table, so that no command can hang on a silent
endpoint or retry without end. The clients come from boto3's default session, so they honour
``AWS_ENDPOINT_URL`` (moto, an emulator), ``AWS_PROFILE`` and the region as boto3 does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from functions.common.call_limits import CallLimits

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

ETL_FUNCTION_TIMEOUT = 900  # seconds: the ETL function's timeout, Lambda's maximum
INVOKE_READ_TIMEOUT = ETL_FUNCTION_TIMEOUT + 60  # a synchronous Invoke answers when the function ends


# By boto3 service name. Tests make these small to meet a hung endpoint quickly.
# (The functions' CallLimits: the same connect and read timeouts and attempts, in standard retry mode.)
BOUNDS: dict[str, CallLimits] = {
    # Start/Get/Stop query calls answer in well under a second; a results page in a few.
    "athena": CallLimits(connect_timeout=10, read_timeout=60, max_attempts=5),
    # HeadBucket, ListObjectsV2 and the downloads of Parquet files (the read timeout is per socket read).
    "s3": CallLimits(connect_timeout=10, read_timeout=60, max_attempts=5),
    # Get/PutSecretValue: PutSecretValue carries an idempotency token, so a retry never makes a second version.
    "secretsmanager": CallLimits(connect_timeout=10, read_timeout=30, max_attempts=3),
    # A synchronous Invoke answers when the ETL ends, up to 900 s later, and is never repeated by botocore:
    # the function may have run (only a throttled invocation, which did not, is retried by backfill itself).
    "lambda": CallLimits(connect_timeout=10, read_timeout=INVOKE_READ_TIMEOUT, max_attempts=1),
}
# The Invoke's connection idles while the function runs: TCP keepalive keeps middleboxes from dropping it.
KEEPALIVE = Config(tcp_keepalive=True)


def athena_client() -> AthenaClient:
    return boto3.client("athena", config=BOUNDS["athena"].config())


def s3_client() -> S3Client:
    return boto3.client("s3", config=BOUNDS["s3"].config())


def secrets_manager_client() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=BOUNDS["secretsmanager"].config())


def lambda_client() -> LambdaClient:
    return boto3.client("lambda", config=BOUNDS["lambda"].config().merge(KEEPALIVE))
