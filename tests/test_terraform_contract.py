"""Terraform wires exactly the contract the functions implement: handlers, environment, table columns."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from functions.common.call_limits import FUNCTION_TIMEOUT_SECONDS
from functions.etl import config as etl_config
from functions.etl.schema import UPDATE_TABLES
from functions.ingest import config as ingest_config
from telegram_datalake.saved_queries import MESSAGES_TABLE, SQL_DIR, load_schemas
from tests.hcl import MODULES_DIR, REPO, TERRAFORM_DIR, labelled_blocks, load_module, module_dirs

TABLES_DIR = REPO / "sql" / "tables"
SCHEMAS = load_schemas()

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


def environment_names(module_name: str) -> set[str]:
    """The variables the module may set: its literal map, or for the ETL, its always-set ones merged with
    PSEUDONYM_KEY_PARAMETER, set only with pseudonymisation (the plan-mode tests render both)."""
    environment = function_call(module_name)["environment_variables"]
    if isinstance(environment, dict):
        return set(environment)
    assert environment == "${merge(local.function_environment, local.pseudonym_environment)}", module_name
    local_values = {
        key: value for block in load_module(MODULES_DIR / module_name)["locals"] for key, value in block.items()
    }
    assert local_values["pseudonym_environment"] == (
        "${var.pseudonym_key_parameter_name == null ? {} : "
        "{PSEUDONYM_KEY_PARAMETER = var.pseudonym_key_parameter_name}}"
    )
    return set(local_values["function_environment"]) | {etl_config.PSEUDONYM_KEY_PARAMETER}


@pytest.mark.parametrize("module_name", sorted(FUNCTIONS))
def test_environment_is_exactly_what_the_handler_reads(module_name: str) -> None:
    """Every variable the handler reads is set by Terraform, and Terraform sets nothing else."""
    _, expected = FUNCTIONS[module_name]
    assert environment_names(module_name) | {FUNCTION_TIMEOUT_SECONDS} == set(expected)


def test_the_ingest_environment_names_the_secret_but_never_holds_it() -> None:
    """The token is in Secrets Manager; the environment (readable with lambda:GetFunctionConfiguration) has its ARN."""
    environment = function_call("ingest")["environment_variables"]
    assert environment["WEBHOOK_SECRET_ARN"] == "${aws_secretsmanager_secret.webhook.arn}"
    assert environment["WEBHOOK_SECRET_OVERLAP_SECONDS"] == "${tostring(var.webhook_secret_rotation_overlap_seconds)}"
    assert not any("secret_token" in value or "random_password" in value for value in environment.values())


def analytics_resources(kind: str) -> dict[str, dict[str, Any]]:
    """The analytics module's resources of one type, by name."""
    return {
        name: body
        for resource_kind, name, body in labelled_blocks(load_module(MODULES_DIR / "analytics"), "resource")
        if resource_kind == kind
    }


def test_the_schemas_are_the_files_of_sql_tables() -> None:
    """One file per table, named after it; the messages table is telegram.json, and no schema.json is left."""
    assert SQL_DIR == REPO / "sql"
    assert not (SQL_DIR / "schema.json").exists()
    assert sorted(SCHEMAS) == sorted(path.stem for path in TABLES_DIR.glob("*.json"))
    assert MESSAGES_TABLE == "telegram"
    assert MESSAGES_TABLE in SCHEMAS
    for name, schema in SCHEMAS.items():
        assert schema["table"] == name, f"sql/tables/{name}.json names the table {schema['table']!r}"
        assert json.loads((TABLES_DIR / f"{name}.json").read_text()) == schema


def test_glue_tables_come_from_the_schema_files_only() -> None:
    """The tables and their columns are typed once, in sql/tables/*.json: the root reads every file of the
    folder, the analytics module makes one Glue table (and one DDL) per file, and no column name is spelled
    in HCL."""
    root = load_module(TERRAFORM_DIR)
    (locals_,) = [block for block in root["locals"] if "tables" in block]
    assert locals_["tables_dir"] == "${path.module}/../sql/tables"
    assert locals_["tables"] == (
        '${{for file in fileset(local.tables_dir, "*.json") : '
        'trimsuffix(file, ".json") => jsondecode(file("${local.tables_dir}/${file}"))}}'
    )
    assert locals_["messages_table"] == MESSAGES_TABLE
    (analytics,) = [block["analytics"] for block in root["module"] if "analytics" in block]
    assert analytics["tables"] == "${local.tables}"
    assert analytics["table_name"] == "${local.schema.table}"

    hcl_text = "\n".join(path.read_text() for path in TERRAFORM_DIR.rglob("*.tf"))
    assert "schema.json" not in hcl_text
    spelled = sorted(
        {
            column["name"]
            for schema in SCHEMAS.values()
            for column in schema["columns"]
            if column["name"] not in {"date", "text"} and f'"{column["name"]}"' in hcl_text
        }
    )
    assert not spelled, f"columns typed in Terraform instead of read from sql/tables: {spelled}"

    tables = analytics_resources("aws_glue_catalog_table")
    assert list(tables) == ["this"]
    assert tables["this"]["for_each"] == "${local.tables}"
    storage = tables["this"]["storage_descriptor"][0]
    assert "columns" in storage.get("dynamic", [{}])[0], "Glue columns must be generated from the tables variable"
    assert analytics_resources("aws_athena_named_query")["create_table"]["for_each"] == "${local.tables}"


def test_the_messages_table_and_its_ddl_keep_their_state_addresses() -> None:
    """An existing deployment's table and saved DDL become the telegram instances: moved, not replaced."""
    moved = {block["from"]: block["to"] for block in load_module(MODULES_DIR / "analytics")["moved"]}
    assert moved == {
        "${aws_glue_catalog_table.this}": f'${{aws_glue_catalog_table.this["{MESSAGES_TABLE}"]}}',
        "${aws_athena_named_query.create_table}": f'${{aws_athena_named_query.create_table["{MESSAGES_TABLE}"]}}',
    }


def test_no_saved_query_takes_the_name_of_a_ddl() -> None:
    """named_query_ids merges the DDLs (create_table, create_table_<table>) with one query per sql/*.sql."""
    assert not [path.name for path in SQL_DIR.glob("*.sql") if path.stem.startswith("create_table")]


def function_call_of_root(module_name: str) -> dict[str, Any]:
    """The root module's call of modules/<module_name>."""
    (call,) = [block[module_name] for block in load_module(TERRAFORM_DIR)["module"] if module_name in block]
    assert call["source"] == f"./modules/{module_name}"
    result: dict[str, Any] = call
    return result


def test_the_etl_may_write_exactly_the_tables_it_writes() -> None:
    """The function writes the messages under ENRICHED_PREFIX and every other table under its name (fixed in
    its code, no environment variable): those are the prefixes Terraform grants, read from sql/tables."""
    assert {spec.name for spec in UPDATE_TABLES} == set(SCHEMAS) - {MESSAGES_TABLE}
    for spec in UPDATE_TABLES:
        assert spec.key("2026-01-01") == f"{spec.name}/context_date=2026-01-01/{spec.name}.parquet"
    root = load_module(TERRAFORM_DIR)
    (locals_,) = [block for block in root["locals"] if "update_tables" in block]
    assert locals_["update_tables"] == (
        "${sort([for name in keys(local.tables) : name if name != local.messages_table])}"
    )
    assert function_call_of_root("etl")["table_prefixes"] == "${local.update_tables}"

    etl = load_module(MODULES_DIR / "etl")
    (locals_,) = [block for block in etl["locals"] if "parquet_prefixes" in block]
    assert locals_["parquet_prefixes"] == "${concat([var.enriched_prefix], var.table_prefixes)}"
    (document,) = [body for kind, name, body in labelled_blocks(etl, "data") if name == "function"]
    statements = {statement["sid"]: statement for statement in document["statement"]}
    (listed,) = statements["ListParquet"]["condition"]
    assert listed["values"] == '${[for prefix in local.parquet_prefixes : "${prefix}/*"]}'
    assert statements["WriteParquet"]["resources"] == (
        '${[for prefix in local.parquet_prefixes : "${var.enriched_bucket_arn}/${prefix}/*"]}'
    )


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
