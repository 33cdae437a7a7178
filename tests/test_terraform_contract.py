"""Terraform wires exactly the contract the functions implement: handlers, environment, table columns."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from functions.common.call_limits import FUNCTION_TIMEOUT_SECONDS
from functions.etl import config as etl_config
from functions.ingest import config as ingest_config
from tests.hcl import MODULES_DIR, REPO, TERRAFORM_DIR, labelled_blocks, load_module, module_dirs

SCHEMA = json.loads((REPO / "sql" / "schema.json").read_text())

FUNCTIONS = {
    "ingest": ("functions.ingest.handler.lambda_handler", ingest_config.ENVIRONMENT_VARIABLES),
    "etl": ("functions.etl.handler.lambda_handler", etl_config.ENVIRONMENT_VARIABLES),
}


def function_call(module_name: str) -> dict[str, Any]:
    """The module's one call of modules/function, which makes its Lambda function."""
    calls = [body for block in load_module(MODULES_DIR / module_name)["module"] for body in block.values()]
    assert len(calls) == 1, f"{module_name} should make exactly one function"
    call: dict[str, Any] = calls[0]
    assert call["source"] == "../function"
    return call


def test_the_function_module_deploys_what_it_is_given() -> None:
    (function,) = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "function"), "resource")
        if kind == "aws_lambda_function"
    ]
    assert (function["handler"], function["runtime"]) == ("${var.handler}", "python3.13")
    (environment,) = function["environment"]
    # The caller's variables, and the function's own timeout: the code bounds its AWS calls by it.
    assert environment["variables"] == (
        "${merge(var.environment_variables, {FUNCTION_TIMEOUT_SECONDS = tostring(var.timeout)})}"
    )
    assert function["timeout"] == "${var.timeout}"


@pytest.mark.parametrize("module_name", sorted(FUNCTIONS))
def test_handler_exists_in_the_code(module_name: str) -> None:
    """The handler string Terraform deploys names a real callable."""
    handler_path, _ = FUNCTIONS[module_name]
    assert function_call(module_name)["handler"] == handler_path
    module_path, attribute = handler_path.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_path), attribute))


@pytest.mark.parametrize("module_name", sorted(FUNCTIONS))
def test_environment_is_exactly_what_the_handler_reads(module_name: str) -> None:
    """Every variable the handler reads is set by Terraform, and Terraform sets nothing else."""
    _, expected = FUNCTIONS[module_name]
    assert set(function_call(module_name)["environment_variables"]) | {FUNCTION_TIMEOUT_SECONDS} == set(expected)


def test_the_ingest_environment_names_the_secret_but_never_holds_it() -> None:
    """The token is in Secrets Manager; the environment (readable with lambda:GetFunctionConfiguration) has its ARN."""
    environment = function_call("ingest")["environment_variables"]
    assert environment["WEBHOOK_SECRET_ARN"] == "${aws_secretsmanager_secret.webhook.arn}"
    assert environment["WEBHOOK_SECRET_OVERLAP_SECONDS"] == "${tostring(var.webhook_secret_rotation_overlap_seconds)}"
    assert not any("secret_token" in value or "random_password" in value for value in environment.values())


def test_glue_columns_come_from_schema_json_only() -> None:
    """The column list is typed once, in sql/schema.json; no column name is spelled in HCL."""
    root = (TERRAFORM_DIR / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/../sql/schema.json"))' in root
    hcl_text = "\n".join(path.read_text() for path in TERRAFORM_DIR.rglob("*.tf"))
    spelled = [
        column["name"]
        for column in SCHEMA["columns"]
        if column["name"] not in {"date", "text"} and f'"{column["name"]}"' in hcl_text
    ]
    assert not spelled, f"columns typed in Terraform instead of read from schema.json: {spelled}"
    tables = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "analytics"), "resource")
        if kind == "aws_glue_catalog_table"
    ]
    assert len(tables) == 1
    storage = tables[0]["storage_descriptor"][0]
    assert "columns" in storage.get("dynamic", [{}])[0], "Glue columns must be generated from the columns variable"


# Resource types whose state keeps a secret value: none of them may manage the webhook's token (or any other).
SECRET_HOLDING_TYPES = {
    "random_password",
    "random_string",
    "aws_secretsmanager_secret_version",
    "aws_ssm_parameter",
    "aws_iam_access_key",
    "aws_iam_user_login_profile",
    "tls_private_key",
}


def test_no_secret_reaches_the_state_an_output_or_a_variable() -> None:
    """The state and the plan hold every attribute of every managed resource, and every output: a secret
    there is readable by whoever can read the state (the CI plan role). So: no resource that stores one,
    nothing sensitive to pass in or out."""
    for directory in module_dirs():
        module = load_module(directory)
        kinds = {kind for kind, _, _ in labelled_blocks(module, "resource")}
        assert not kinds & SECRET_HOLDING_TYPES, (directory.name, kinds & SECRET_HOLDING_TYPES)
        for block_kind in ("variable", "output"):
            for block in module.get(block_kind, []):
                for name, body in block.items():
                    assert not body.get("sensitive"), f"{directory.name}: {block_kind} {name} is sensitive"
    root_outputs = {name for block in load_module(TERRAFORM_DIR)["output"] for name in block}
    assert "webhook_secret_arn" in root_outputs
    assert not any("token" in name for name in root_outputs)
    (secret,) = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "ingest"), "resource")
        if kind == "aws_secretsmanager_secret"
    ]
    assert not {"secret_string", "secret_string_wo", "policy"} & secret.keys()
