"""A first `terraform apply` with every default works on a new AWS account, whose quotas are the lowest AWS gives.

The quotas are AWS's (README.md, "What a new account accepts", lists each one checked and where it is
documented). The defaults are read from the HCL of the root module and of every module it calls.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.hcl import MODULES_DIR, TERRAFORM_DIR, labelled_blocks, load_module, pipeline_module_dirs

# "New AWS accounts have reduced concurrency and memory quotas" (Lambda quotas, AWS Lambda Developer Guide).
NEW_ACCOUNT_CONCURRENCY = 10  # concurrent executions a new account may start with
UNRESERVED_MINIMUM = 10  # AWS refuses a reservation that leaves fewer unreserved (UnreservedConcurrentExecution)
NEW_ACCOUNT_MEMORY_MB = 3008  # the reduced per-function memory seen on new accounts
# API Gateway HTTP API account-level throttling, per Region (API Gateway quotas).
ACCOUNT_BURST = 5000
ACCOUNT_RATE = 10000


def variables(directory_name: str) -> dict[str, dict[str, Any]]:
    directory = TERRAFORM_DIR if directory_name == "terraform" else MODULES_DIR / directory_name
    return {name: body for block in load_module(directory).get("variable", []) for name, body in block.items()}


def every_variable() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (directory.name, name, body)
        for directory in pipeline_module_dirs()
        for name, body in variables(directory.name).items()
    ]


def test_no_lambda_concurrency_is_reserved_by_default() -> None:
    """AWS keeps 10 executions unreserved: on a quota of 10, any reservation is refused, so none by default."""
    reservations = [
        (module, name, body.get("default"))
        for module, name, body in every_variable()
        if name.endswith("reserved_concurrent_executions")
    ]
    assert {(module, name) for module, name, _ in reservations} == {
        ("terraform", "etl_reserved_concurrent_executions"),
        ("etl", "reserved_concurrent_executions"),
        ("function", "reserved_concurrent_executions"),
    }
    assert all(default is None for _, _, default in reservations), reservations
    reserved_by_default = sum(default or 0 for _, _, default in reservations)
    assert reserved_by_default <= NEW_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM


def test_a_reservation_stays_an_option() -> None:
    (validation,) = variables("terraform")["etl_reserved_concurrent_executions"]["validation"]
    assert "var.etl_reserved_concurrent_executions >= 1" in validation["condition"]
    calls = {name: body for block in load_module(TERRAFORM_DIR)["module"] for name, body in block.items()}
    assert calls["etl"]["reserved_concurrent_executions"] == "${var.etl_reserved_concurrent_executions}"
    etl_calls = {name: body for block in load_module(MODULES_DIR / "etl")["module"] for name, body in block.items()}
    assert etl_calls["function"]["reserved_concurrent_executions"] == "${var.reserved_concurrent_executions}"
    (function,) = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "function"), "resource")
        if kind == "aws_lambda_function"
    ]
    assert function["reserved_concurrent_executions"] == "${var.reserved_concurrent_executions}"


@pytest.mark.parametrize(
    ("module", "name"),
    [("terraform", "etl_memory_size"), ("etl", "memory_size"), ("ingest", "memory_size"), ("function", "memory_size")],
)
def test_default_memory_fits_a_new_accounts_quota(module: str, name: str) -> None:
    default = variables(module)[name]["default"]
    assert 128 <= default <= NEW_ACCOUNT_MEMORY_MB


def test_no_memory_variable_is_left_unchecked() -> None:
    found = {(module, name) for module, name, _ in every_variable() if re.search(r"memory_size$", name)}
    assert found == {
        ("terraform", "etl_memory_size"),
        ("etl", "memory_size"),
        ("ingest", "memory_size"),
        ("function", "memory_size"),
    }


def test_api_throttling_defaults_are_within_the_account_limits() -> None:
    root = variables("terraform")
    assert root["api_throttling_burst_limit"]["default"] <= ACCOUNT_BURST
    assert root["api_throttling_rate_limit"]["default"] <= ACCOUNT_RATE


def test_the_defaults_need_no_opt_in_service_or_existing_resource() -> None:
    """No default needs a KMS key, an existing boundary, an e-mail confirmed or a VPC: all null or absent."""
    root = variables("terraform")
    for name in ("kms_key_arn", "permissions_boundary_arn", "alarm_email"):
        assert root[name]["default"] is None, name
    only_required = {name for name, body in root.items() if "default" not in body}
    assert only_required == {"allowed_chat_ids"}
