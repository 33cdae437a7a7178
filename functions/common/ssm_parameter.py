"""A SecureString of SSM Parameter Store, read with decryption: where the ETL finds its pseudonym key.

A secret the functions need is never in Terraform (no resource holds its value, so neither the state nor a
plan does) nor in a function's environment (readable with lambda:GetFunctionConfiguration): Terraform
passes the parameter's name, and a CLI command writes the value. Errors name the parameter and the error
AWS answered with, never the value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.settings import ConfigurationError, endpoint_url_setting

if TYPE_CHECKING:
    from functions.common.call_limits import CallLimits

# A hierarchical name, as SSM takes it (and as IAM's parameter ARN ends): 1 to 15 levels of letters, digits
# and ._-, each after a slash. SSM reserves names that start with aws or ssm, whatever their case.
PARAMETER_NAME = re.compile(r"(/[A-Za-z0-9_.-]+){1,15}")
RESERVED_NAME = re.compile(r"/(aws|ssm)", re.IGNORECASE)
MAX_NAME_LENGTH = 1011
SECURE_STRING = "SecureString"
# What a deployment mistake looks like: no such parameter (or version), a role or a key that may not read
# it. Another attempt would get the same answer; anything else (throttling, a network failure) may not.
_MISCONFIGURED_CODES = frozenset(
    {"ParameterNotFound", "ParameterVersionNotFound", "InvalidKeyId", "AccessDeniedException", "AccessDenied"}
)


class ParameterNotReadableError(ConfigurationError):
    """The parameter does not exist, may not be read or decrypted, or is not a SecureString."""


class ParameterUnavailableError(RuntimeError):
    """SSM could not be asked (a retry may work); the message names the error's type or code only."""


class ParameterReader(Protocol):
    """The one SSM call made here (boto3's client has it; the typed stubs of SSM are not installed)."""

    def get_parameter(self, *, Name: str, WithDecryption: bool) -> Mapping[str, Any]: ...  # noqa: N803 - boto3's


def parameter_name_problem(name: str) -> str | None:
    """Why ``name`` is not a parameter name this project uses (a path from the root), or None when it is."""
    if len(name) > MAX_NAME_LENGTH or not PARAMETER_NAME.fullmatch(name):
        return "must be an SSM parameter path: /, then 1 to 15 levels of letters, digits and ._- separated by /"
    if RESERVED_NAME.match(name):
        return "must not start with /aws or /ssm (SSM reserves them)"
    return None


@functools.cache
def ssm_client(limits: CallLimits) -> ParameterReader:
    """SSM honouring ``AWS_ENDPOINT_URL`` (moto locally), each call ending within ``limits``."""
    return cast("ParameterReader", boto3.client("ssm", endpoint_url=endpoint_url_setting(), config=limits.config()))


def read_secure_string(name: str, client: ParameterReader) -> str:
    """The decrypted value of the SecureString ``name``.

    ParameterNotReadableError when it is missing, may not be read or decrypted, or is not a SecureString
    (a String would be stored unencrypted); ParameterUnavailableError when SSM cannot be asked.
    """
    try:
        answer = client.get_parameter(Name=name, WithDecryption=True)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        if code in _MISCONFIGURED_CODES:
            raise ParameterNotReadableError(f"SSM parameter {name} cannot be read: SSM answered {code}") from None
        raise ParameterUnavailableError(f"SSM parameter {name} unavailable: SSM answered {code}") from None
    except BotoCoreError as error:
        raise ParameterUnavailableError(f"SSM parameter {name} unavailable: {type(error).__name__}") from None
    parameter = answer.get("Parameter", {})
    if parameter.get("Type") != SECURE_STRING:
        raise ParameterNotReadableError(f"SSM parameter {name} is a {parameter.get('Type')}, not a SecureString")
    return str(parameter.get("Value", ""))
