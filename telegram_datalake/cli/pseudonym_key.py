"""``pseudonym-key init | rotate``: the key the ETL hashes user ids with, an SSM SecureString.

Pseudonymised analytics (functions/etl/pseudonyms.py) need a secret key that neither Terraform's state nor
a plan nor the function's environment may hold: Terraform only knows the parameter's name (variable
``pseudonym_key_parameter_name``, output of the same name) and lets the ETL read it; these commands write
its value, 32 random bytes in base64, generated here and sent to SSM only. The value is never printed.
``init`` refuses to replace a key (every pseudonym would change); ``rotate --yes`` does replace it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.call_limits import CallLimits
from functions.common.ssm_parameter import SECURE_STRING, parameter_name_problem
from functions.etl.config import PSEUDONYM_KEY_PARAMETER
from functions.etl.pseudonyms import KEY_BYTES, new_key_text
from telegram_datalake.cli.aws_errors import describe
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError

OUTPUT = "pseudonym_key_parameter_name"
# Describe and Put answer in well under a second. A retried put is harmless: the same value, or (init, when
# the first attempt did land) "already exists" for the key it wrote.
BOUNDS = CallLimits(connect_timeout=10, read_timeout=30, max_attempts=3)
DESCRIPTION = "telegram-datalake: the HMAC-SHA256 key of the enriched tables' pseudonyms (never print it)"
AWS_MANAGED_KEY = "alias/aws/ssm"
BACKFILL = "telegram-datalake backfill --from <the lake's first day> --to <yesterday>"


class ParameterStore(Protocol):
    """The SSM calls made here (boto3's client has them; the typed stubs of SSM are not installed)."""

    def put_parameter(self, **request: Any) -> Mapping[str, Any]: ...

    def describe_parameters(self, **request: Any) -> Mapping[str, Any]: ...


def register(subcommands: Any) -> None:
    """Add ``pseudonym-key`` and its ``init`` and ``rotate`` subcommands."""
    parser = subcommands.add_parser(
        "pseudonym-key",
        help="create or rotate the key of pseudonymised analytics (an SSM SecureString)",
        description="Write the secret key the ETL hashes user ids with when the deployment pseudonymises its "
        "tables: 32 random bytes, base64, as an SSM Parameter Store SecureString. The parameter is the "
        f"Terraform output {OUTPUT} (or --parameter-name; with --local, the {PSEUDONYM_KEY_PARAMETER} of "
        "this process's environment). The key is generated here and never printed.",
    )
    actions = parser.add_subparsers(dest="pseudonym_key_command", required=True, metavar="ACTION")
    init_parser = actions.add_parser(
        "init",
        help="write the first key (refuses to replace one)",
        description="Create the SecureString with a new key; an existing parameter is left alone (an error "
        "says so). Then set the Terraform variable pseudonym_key_parameter_name, apply, and rebuild the "
        "lake's days with backfill.",
    )
    add_options(init_parser)
    init_parser.set_defaults(handler=init_key)
    rotate_parser = actions.add_parser(
        "rotate",
        help="replace the key: every pseudonym changes",
        description="Write a new key over the existing one (its KMS key kept unless --kms-key-id). Every "
        "pseudonym changes: rebuild every day of the lake with backfill afterwards. The previous key stays "
        "in the parameter's history until the parameter is deleted.",
    )
    add_options(rotate_parser)
    rotate_parser.add_argument(
        "--yes", action="store_true", help="confirm: every pseudonym changes and every day must be rebuilt"
    )
    rotate_parser.set_defaults(handler=rotate_key)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parameter-name", metavar="NAME", help=f"the SSM parameter (default: Terraform output {OUTPUT})"
    )
    parser.add_argument(
        "--kms-key-id",
        metavar="ID",
        help="KMS key (ARN, id or alias) to encrypt it with, e.g. the deployment's kms_key_arn "
        f"(default: {AWS_MANAGED_KEY}, which any principal of the account allowed ssm:GetParameter can use)",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help=f"the key of the ETL handler run in this process (backfill --local): {PSEUDONYM_KEY_PARAMETER} of "
        "the environment names it, in the SSM of AWS_ENDPOINT_URL (moto) or AWS",
    )
    add_terraform_dir_option(parser)


def parameter_name(arguments: argparse.Namespace) -> str:
    """--parameter-name; else, with --local, the environment's PSEUDONYM_KEY_PARAMETER; else the Terraform output."""
    if arguments.parameter_name:
        name = str(arguments.parameter_name)
    elif arguments.local:
        name = os.environ.get(PSEUDONYM_KEY_PARAMETER, "").strip()
        if not name:
            raise CliError(f"--local: {PSEUDONYM_KEY_PARAMETER} is not set (pass --parameter-name)")
    else:
        name = Deployment(arguments.terraform_dir).name(None, OUTPUT, "pass --parameter-name")
    problem = parameter_name_problem(name)
    if problem is not None:
        raise CliError(f"the parameter name {name!r} {problem}")
    return name


def ssm_client() -> ParameterStore:
    """SSM from boto3's default session (AWS_ENDPOINT_URL, AWS_PROFILE, the region), with bounded calls."""
    with _ssm_errors("creating the SSM client"):
        return cast("ParameterStore", boto3.client("ssm", config=BOUNDS.config()))


@contextmanager
def _ssm_errors(action: str, *, hidden: str = "") -> Iterator[None]:
    """botocore's exceptions as a CliError saying ``action`` failed; ``hidden`` (the key) masked in AWS's words."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        message = describe(error, action)
        raise CliError(message.replace(hidden, "<the key>") if hidden else message) from error


def _code(error: BaseException | None) -> str | None:
    return str(error.response.get("Error", {}).get("Code")) if isinstance(error, ClientError) else None


def _put(client: ParameterStore, name: str, *, key_id: str | None, overwrite: bool) -> int:
    """Write a new key to ``name``; the parameter's new version."""
    value = new_key_text()
    request: dict[str, Any] = {"Name": name, "Value": value, "Type": SECURE_STRING, "Overwrite": overwrite}
    if key_id:
        request["KeyId"] = key_id
    if not overwrite:
        request["Description"] = DESCRIPTION
    with _ssm_errors(f"writing the pseudonym key to {name}", hidden=value):
        return int(client.put_parameter(**request)["Version"])


def init_key(arguments: argparse.Namespace) -> int:
    name = parameter_name(arguments)
    client = ssm_client()
    try:
        version = _put(client, name, key_id=arguments.kms_key_id, overwrite=False)
    except CliError as error:
        if _code(error.__cause__) == "ParameterAlreadyExists":
            raise CliError(
                f"{name} already exists: it is the key of the current pseudonyms, left as it is "
                "(`pseudonym-key rotate --yes` replaces it, and every pseudonym changes)"
            ) from None
        raise
    print(f"Pseudonym key written: {name} (SecureString, version {version}, {KEY_BYTES * 8} random bits)")
    print(f"  encrypted with   {arguments.kms_key_id or AWS_MANAGED_KEY}")
    print(f"  next             Terraform: pseudonym_key_parameter_name = {name!r}, and apply")
    print(f"  then             rebuild every day: {BACKFILL} (the days written before hold user ids and names)")
    return 0


def _current(client: ParameterStore, name: str) -> Mapping[str, Any]:
    """The parameter's metadata (type, KMS key, version), never its value; CliError when there is none."""
    with _ssm_errors(f"reading the metadata of {name}"):
        found = client.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
    parameters = list(found.get("Parameters", []))
    if not parameters:
        raise CliError(f"{name} does not exist: nothing to rotate (`pseudonym-key init` writes the first key)")
    current: Mapping[str, Any] = parameters[0]
    if current.get("Type") != SECURE_STRING:
        raise CliError(f"{name} is a {current.get('Type')}, not a SecureString: delete it, then `pseudonym-key init`")
    return current


def rotate_key(arguments: argparse.Namespace) -> int:
    if not arguments.yes:
        raise CliError(
            f"rotating the key changes every pseudonym, and then every day must be rebuilt ({BACKFILL}): "
            "pass --yes to rotate"
        )
    name = parameter_name(arguments)
    client = ssm_client()
    current = _current(client, name)
    # Without KeyId an overwrite would fall back to the AWS managed key: keep the one the parameter has.
    key_id = arguments.kms_key_id or current.get("KeyId")
    version = _put(client, name, key_id=key_id, overwrite=True)
    print(f"Pseudonym key rotated: {name} (SecureString, version {version}, was {current.get('Version')})")
    print(f"  encrypted with   {key_id or AWS_MANAGED_KEY}")
    print(f"  every pseudonym changes: rebuild every day now, {BACKFILL}")
    print("  (until then, the days written before hold the previous key's pseudonyms)")
    print("  the previous key stays in the parameter's history (ssm:GetParameterHistory) until it is deleted")
    return 0
