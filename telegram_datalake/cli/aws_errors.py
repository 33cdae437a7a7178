"""AWS failures as CliErrors: what failed, AWS's own words, and what to check, instead of a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from telegram_datalake.cli.errors import CliError

_CREDENTIALS_HINT = "check your AWS credentials (`aws sts get-caller-identity` must answer) and AWS_PROFILE"
_PERMISSION_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})
_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
_MISSING_CODES = frozenset({"ResourceNotFoundException", "NoSuchBucket", "EntityNotFoundException", "NoSuchKey"})


def _endpoint() -> str:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return f"AWS_ENDPOINT_URL={endpoint}" if endpoint else "AWS (AWS_ENDPOINT_URL is not set)"


def _client_error_hint(code: str) -> str:
    if code in _PERMISSION_CODES:
        return "check that your credentials may do this (IAM policy) and that it is the right account"
    if code in _CREDENTIAL_CODES:
        return _CREDENTIALS_HINT
    if code in _MISSING_CODES:
        return "check the name and region (is the Terraform state the deployed one?), or pass it as an option"
    if "Throttl" in code or code in {"TooManyRequestsException", "SlowDown"}:
        return "AWS is throttling requests: wait a little and try again"
    return "check the names, the region and your permissions"


def describe(error: Exception, action: str) -> str:
    """One sentence for the user: what failed, why, and what to check."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "")).strip() or str(error)
        return f"{action} failed: {code}: {message} ({_client_error_hint(code)})"
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return f"{action} failed: no usable AWS credentials were found; {_CREDENTIALS_HINT}"
    if isinstance(error, NoRegionError):
        return (
            f"{action} failed: no AWS region is configured; set AWS_REGION (or AWS_DEFAULT_REGION) or a profile region"
        )
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return f"{action} failed: could not connect to {_endpoint()}: check the network, the region and the endpoint"
    if isinstance(error, ReadTimeoutError):
        return f"{action} failed: {_endpoint()} did not answer in time ({error}); check the service and try again"
    return f"{action} failed: {error}; check the AWS configuration (region, credentials, AWS_ENDPOINT_URL)"


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore's exceptions raised inside the block into a CliError saying ``action`` failed and why."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise CliError(describe(error, action)) from error
