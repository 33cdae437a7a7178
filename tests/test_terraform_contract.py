"""Terraform wires exactly the contract the functions implement: handlers, environment, table columns."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from functions.etl import config as etl_config
from functions.ingest import config as ingest_config
from tests.hcl import MODULES_DIR, REPO, TERRAFORM_DIR, labelled_blocks, load_module

SCHEMA = json.loads((REPO / "sql" / "schema.json").read_text())

FUNCTIONS = {
    "ingest": ("functions.ingest.handler.lambda_handler", ingest_config.ENVIRONMENT_VARIABLES),
    "etl": ("functions.etl.handler.lambda_handler", etl_config.ENVIRONMENT_VARIABLES),
}


def lambda_function(module_name: str) -> dict[str, Any]:
    """The one ``aws_lambda_function`` of a module."""
    functions = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / module_name), "resource")
        if kind == "aws_lambda_function"
    ]
    assert len(functions) == 1, f"{module_name} should declare exactly one Lambda function"
    return functions[0]


@pytest.mark.parametrize("module_name", sorted(FUNCTIONS))
def test_handler_exists_in_the_code(module_name: str) -> None:
    """The handler string Terraform deploys names a real callable."""
    handler_path, _ = FUNCTIONS[module_name]
    function = lambda_function(module_name)
    assert function["handler"] == handler_path
    assert function["runtime"] == "python3.13"
    module_path, attribute = handler_path.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_path), attribute))


@pytest.mark.parametrize("module_name", sorted(FUNCTIONS))
def test_environment_is_exactly_what_the_handler_reads(module_name: str) -> None:
    """Every variable the handler reads is set by Terraform, and Terraform sets nothing else."""
    _, expected = FUNCTIONS[module_name]
    (environment,) = lambda_function(module_name)["environment"]
    assert set(environment["variables"]) == set(expected)


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
