"""Least privilege, read from the HCL: each role may do exactly what its function needs, on exactly its data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hcl import MODULES_DIR, labelled_blocks, load_module, pipeline_module_dirs

LOG_STREAMS = "${aws_cloudwatch_log_group.function.arn}:*"
RAW_OBJECTS = "${var.raw_bucket_arn}/${var.raw_prefix}/*"
KMS_ONLY_WHEN_GIVEN = "${var.kms_key_arn == null ? [] : [var.kms_key_arn]}"

# module -> policy document -> statement sid -> (actions, resources)
EXPECTED_GRANTS: dict[str, dict[str, dict[str, tuple[set[str], set[str]]]]] = {
    "ingest": {
        "function": {
            "PutRawUpdates": ({"s3:PutObject"}, {RAW_OBJECTS}),
            "WriteOwnLogs": ({"logs:CreateLogStream", "logs:PutLogEvents"}, {LOG_STREAMS}),
            "EncryptRawUpdates": ({"kms:GenerateDataKey"}, {"${statement.value}"}),
        },
    },
    "etl": {
        "function": {
            "ListRawUpdates": ({"s3:ListBucket"}, {"${var.raw_bucket_arn}"}),
            "ReadRawUpdates": ({"s3:GetObject"}, {RAW_OBJECTS}),
            "WriteParquet": ({"s3:PutObject"}, {"${var.enriched_bucket_arn}/${var.enriched_prefix}/*"}),
            "WriteOwnLogs": ({"logs:CreateLogStream", "logs:PutLogEvents"}, {LOG_STREAMS}),
            "SendFailedRuns": ({"sqs:SendMessage"}, {"${aws_sqs_queue.dead_letter.arn}"}),
            "UseDataKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {"${statement.value}"}),
        },
        "scheduler": {
            "InvokeEtl": (
                {"lambda:InvokeFunction"},
                {"${aws_lambda_function.this.arn}", "${aws_lambda_function.this.arn}:*"},
            ),
            "SendUndeliveredEvents": ({"sqs:SendMessage"}, {"${aws_sqs_queue.dead_letter.arn}"}),
            "UseDataKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {"${statement.value}"}),
        },
    },
}


def policy_documents(module_name: str) -> dict[str, dict[str, Any]]:
    return {
        name: body
        for kind, name, body in labelled_blocks(load_module(MODULES_DIR / module_name), "data")
        if kind == "aws_iam_policy_document"
    }


def allow_statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every statement of a document by sid, the dynamic (KMS-only-when-given) ones included."""
    statements = {statement["sid"]: statement for statement in document.get("statement", [])}
    for dynamic in document.get("dynamic", []):
        for block_name, block in dynamic.items():
            assert block_name == "statement"
            assert block["for_each"] == KMS_ONLY_WHEN_GIVEN, "only the optional KMS grant may be dynamic"
            (content,) = block["content"]
            statements[content["sid"]] = content
    return statements


@pytest.mark.parametrize(
    ("module_name", "document_name"),
    [(module, document) for module, documents in EXPECTED_GRANTS.items() for document in documents],
)
def test_role_policy_grants_exactly_the_named_actions_on_the_named_resources(
    module_name: str, document_name: str
) -> None:
    statements = allow_statements(policy_documents(module_name)[document_name])
    granted = {
        sid: (set(statement["actions"]), set(statement["resources"]))
        for sid, statement in statements.items()
        if statement.get("effect", "Allow") == "Allow"
    }
    assert granted == EXPECTED_GRANTS[module_name][document_name]
    for sid, (actions, _) in granted.items():
        assert not any("*" in action for action in actions), f"{sid} grants a wildcard action"
    assert not any("not_actions" in statement or "not_resources" in statement for statement in statements.values())


def test_etl_may_list_only_the_raw_prefix() -> None:
    """ListBucket is bucket-wide unless conditioned: the ETL may only list keys under the raw prefix."""
    (condition,) = allow_statements(policy_documents("etl")["function"])["ListRawUpdates"]["condition"]
    assert condition == {"test": "StringLike", "variable": "s3:prefix", "values": ["${var.raw_prefix}/*"]}


@pytest.mark.parametrize(
    ("module_name", "document_name", "service"),
    [
        ("ingest", "assume_role", "lambda.amazonaws.com"),
        ("etl", "function_assume_role", "lambda.amazonaws.com"),
        ("etl", "scheduler_assume_role", "scheduler.amazonaws.com"),
    ],
)
def test_roles_trust_only_their_service(module_name: str, document_name: str, service: str) -> None:
    (statement,) = policy_documents(module_name)[document_name]["statement"]
    (principal,) = statement["principals"]
    assert (statement["actions"], principal["type"], principal["identifiers"]) == (
        ["sts:AssumeRole"],
        "Service",
        [service],
    )


def test_no_managed_or_standalone_policies_are_attached() -> None:
    """Managed policies such as AWSLambdaBasicExecutionRole grant more than these functions need.

    The bootstrap's GitHub Actions roles share one policy of their own; tests/test_terraform_bootstrap.py
    checks it.
    """
    for directory in pipeline_module_dirs():
        kinds = {kind for kind, _, _ in labelled_blocks(load_module(directory), "resource")}
        assert not kinds & {"aws_iam_role_policy_attachment", "aws_iam_policy", "aws_iam_policy_attachment"}


def test_api_may_invoke_the_ingest_function_only_through_the_webhook_route() -> None:
    permissions = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "ingest"), "resource")
        if kind == "aws_lambda_permission"
    ]
    assert [(item["principal"], item["source_arn"]) for item in permissions] == [
        ("apigateway.amazonaws.com", "${aws_apigatewayv2_api.this.execution_arn}/*/POST/webhook")
    ]
