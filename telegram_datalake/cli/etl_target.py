"""Where the ETL runs for a command that rebuilds days (``import``, ``forget``): the deployed function, whose own
environment says where the raw updates are and what a day is, or with ``--local`` the handler in this process."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from functions.common.settings import ConfigurationError
from functions.etl.config import EtlSettings, load_settings
from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.backfill import RunDay, invoke_function, local_environment, run_locally
from telegram_datalake.cli.deployed import Deployment
from telegram_datalake.cli.errors import CliError


def deployed_settings(function_name: str) -> EtlSettings:
    """The deployed ETL function's own settings: where it reads raw updates, and its day's time zone."""
    with aws_errors(f"reading the configuration of {function_name}"):
        configuration = aws_clients.lambda_client().get_function_configuration(FunctionName=function_name)
    variables = configuration.get("Environment", {}).get("Variables", {})
    try:
        return load_settings(variables)
    except ConfigurationError as error:
        raise CliError(f"{function_name} is not the ETL function: {error}") from error


@contextlib.contextmanager
def etl_target(arguments: argparse.Namespace) -> Iterator[tuple[EtlSettings, RunDay]]:
    """The ETL's settings and how to run it for a day: the deployed function, or with --local this process."""
    deployment = Deployment(arguments.terraform_dir)
    if not arguments.local:
        name = deployment.name(arguments.function_name, "etl_function_name", "pass --function-name")
        yield deployed_settings(name), invoke_function(aws_clients.lambda_client(), name)
        return
    if arguments.function_name:
        raise CliError("--function-name is for the deployed function; leave it out with --local")
    with local_environment(deployment):
        try:
            settings = load_settings()
        except ConfigurationError as error:
            raise CliError(f"the ETL's settings: {error}") from error
        yield settings, run_locally()
