"""Least privilege, read from the HCL: each role may do exactly what its function needs, on exactly its data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hcl import MODULES_DIR, labelled_blocks, load_module, pipeline_module_dirs

LOG_STREAMS = "${aws_cloudwatch_log_group.this.arn}:*"
RAW_OBJECTS = "${var.raw_bucket_arn}/${var.raw_prefix}/*"
# The ETL's tables: the messages under enriched_prefix, every other table under its name (table_prefixes).
PARQUET_PREFIXES = "${concat([var.enriched_prefix], var.table_prefixes)}"
PARQUET_OBJECTS = '${[for prefix in local.parquet_prefixes : "${var.enriched_bucket_arn}/${prefix}/*"]}'
KMS_ONLY_WHEN_GIVEN = "${var.kms_key_arn == null ? [] : [var.kms_key_arn]}"
# The pseudonym key's parameter, read by the ETL only when the deployment pseudonymises its tables.
PSEUDONYM_KEY_ONLY_WHEN_GIVEN = "${var.pseudonym_key_parameter_name == null ? [] : [var.pseudonym_key_parameter_name]}"
OPTIONAL_GRANTS = {"UseDataKey": KMS_ONLY_WHEN_GIVEN, "ReadPseudonymKey": PSEUDONYM_KEY_ONLY_WHEN_GIVEN}

# module -> policy document -> statement sid -> (actions, resources)
EXPECTED_GRANTS: dict[str, dict[str, dict[str, tuple[set[str], set[str]]]]] = {
    "function": {
        "this": {
            "WriteOwnLogs": ({"logs:CreateLogStream", "logs:PutLogEvents"}, {LOG_STREAMS}),
        },
    },
    "ingest": {
        "function": {
            "PutRawUpdates": ({"s3:PutObject"}, {RAW_OBJECTS}),
            "ReadWebhookSecret": ({"secretsmanager:GetSecretValue"}, {"${aws_secretsmanager_secret.webhook.arn}"}),
            "UseDataKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {"${statement.value}"}),
        },
    },
    "etl": {
        "function": {
            "ListRawUpdates": ({"s3:ListBucket"}, {"${var.raw_bucket_arn}"}),
            "ReadRawUpdates": ({"s3:GetObject"}, {RAW_OBJECTS}),
            "ListParquet": ({"s3:ListBucket"}, {"${var.enriched_bucket_arn}"}),
            "WriteParquet": ({"s3:PutObject", "s3:DeleteObject"}, {PARQUET_OBJECTS}),
            "SendFailedRuns": ({"sqs:SendMessage"}, {"${aws_sqs_queue.dead_letter.arn}"}),
            "ReadPseudonymKey": ({"ssm:GetParameter"}, {"${local.pseudonym_key_parameter_arn}"}),
            "UseDataKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {"${statement.value}"}),
        },
        "scheduler": {
            "InvokeEtl": (
                {"lambda:InvokeFunction"},
                {"${module.function.function_arn}", "${module.function.function_arn}:*"},
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
    """Every statement of a document by sid, the dynamic (KMS-only-when-given, pseudonym-key-only-when-given)
    ones included."""
    statements = {statement["sid"]: statement for statement in document.get("statement", [])}
    for dynamic in document.get("dynamic", []):
        for block_name, block in dynamic.items():
            assert block_name == "statement"
            (content,) = block["content"]
            assert block["for_each"] == OPTIONAL_GRANTS.get(content["sid"]), "only the optional grants may be dynamic"
            statements[content["sid"]] = content
    return statements


def resource_set(resources: list[str] | str) -> set[str]:
    """A statement's resources: a list of ARNs, or one expression that makes the list (WriteParquet's)."""
    return {resources} if isinstance(resources, str) else set(resources)


@pytest.mark.parametrize(
    ("module_name", "document_name"),
    [(module, document) for module, documents in EXPECTED_GRANTS.items() for document in documents],
)
def test_role_policy_grants_exactly_the_named_actions_on_the_named_resources(
    module_name: str, document_name: str
) -> None:
    statements = allow_statements(policy_documents(module_name)[document_name])
    granted = {
        sid: (set(statement["actions"]), resource_set(statement["resources"]))
        for sid, statement in statements.items()
        if statement.get("effect", "Allow") == "Allow"
    }
    assert granted == EXPECTED_GRANTS[module_name][document_name]
    for sid, (actions, _) in granted.items():
        assert not any("*" in action for action in actions), f"{sid} grants a wildcard action"
    assert not any("not_actions" in statement or "not_resources" in statement for statement in statements.values())


@pytest.mark.parametrize(
    ("sid", "values"),
    [
        ("ListRawUpdates", ["${var.raw_prefix}/*"]),
        ("ListParquet", '${[for prefix in local.parquet_prefixes : "${prefix}/*"]}'),
    ],
)
def test_etl_may_list_only_its_prefixes(sid: str, values: list[str] | str) -> None:
    """ListBucket is bucket-wide unless conditioned: the ETL may only list keys under its own prefixes."""
    (condition,) = allow_statements(policy_documents("etl")["function"])[sid]["condition"]
    assert condition == {"test": "StringLike", "variable": "s3:prefix", "values": values}


def test_the_etls_parquet_prefixes_are_its_tables_only() -> None:
    """The prefixes the ETL lists and writes under: enriched_prefix and each table_prefixes entry, each a whole
    path segment (the plan-mode tests render them: modules/etl/tests)."""
    etl = load_module(MODULES_DIR / "etl")
    local_values = {key: value for block in etl["locals"] for key, value in block.items()}
    assert local_values["parquet_prefixes"] == PARQUET_PREFIXES
    variables = {name: body for block in etl["variable"] for name, body in block.items()}
    (validation,) = variables["table_prefixes"]["validation"]
    assert 'can(regex("^[a-z][a-z0-9_]*$", prefix))' in validation["condition"], "a table prefix has no slash"


@pytest.mark.parametrize(
    ("module_name", "document_name", "service"),
    [
        ("function", "assume_role", "lambda.amazonaws.com"),
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


def test_the_scheduler_role_is_trusted_for_this_accounts_schedule_group_only() -> None:
    """aws:SourceArn as EventBridge Scheduler sets it when assuming a role: the schedule's group, `default`
    (pinning the schedule's own ARN would never match, and the daily run would never start)."""
    (statement,) = policy_documents("etl")["scheduler_assume_role"]["statement"]
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["${local.account_id}"]},
        {"test": "ArnEquals", "variable": "aws:SourceArn", "values": ["${local.schedule_group_arn}"]},
    ]
    etl = load_module(MODULES_DIR / "etl")
    local_values = {key: value for block in etl["locals"] for key, value in block.items()}
    assert local_values["schedule_group_arn"] == (
        "arn:${data.aws_partition.current.partition}:scheduler:${data.aws_region.current.region}:"
        "${local.account_id}:schedule-group/default"
    )
    (schedule,) = [body for kind, _, body in labelled_blocks(etl, "resource") if kind == "aws_scheduler_schedule"]
    assert schedule["name"] == "${local.schedule_name}"
    assert "group_name" not in schedule, "the schedule is in the default group the trust names"
    assert schedule["target"][0]["role_arn"] == "${aws_iam_role.scheduler.arn}"


def test_every_role_the_deployment_creates_carries_the_permissions_boundary() -> None:
    """The function module's role and the scheduler's role: no role of terraform/ without it."""
    roles = [
        (directory.name, name, body)
        for directory in pipeline_module_dirs()
        for kind, name, body in labelled_blocks(load_module(directory), "resource")
        if kind == "aws_iam_role"
    ]
    assert {(module, name) for module, name, _ in roles} == {("function", "this"), ("etl", "scheduler")}
    for module, name, body in roles:
        assert body.get("permissions_boundary") == "${var.permissions_boundary_arn}", (module, name)
    for module in ("function", "etl", "ingest"):
        variables = {
            name: body for block in load_module(MODULES_DIR / module)["variable"] for name, body in block.items()
        }
        boundary = variables["permissions_boundary_arn"]
        assert "default" not in boundary, module
        assert boundary["nullable"] is False, module


def test_no_managed_or_standalone_policies_are_attached() -> None:
    """Managed policies such as AWSLambdaBasicExecutionRole grant more than these functions need.

    The one managed policy of the deployment is its own permissions boundary, made only when CI does not
    give one; the bootstrap's GitHub Actions roles share a policy of their own (tests/test_terraform_bootstrap.py).
    """
    for directory in pipeline_module_dirs():
        kinds = {kind for kind, _, _ in labelled_blocks(load_module(directory), "resource")}
        assert not kinds & {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}
    policies = [
        (directory.name, name, body)
        for directory in pipeline_module_dirs()
        for kind, name, body in labelled_blocks(load_module(directory), "resource")
        if kind == "aws_iam_policy"
    ]
    assert [(module, name) for module, name, _ in policies] == [("terraform", "pipeline_boundary")]
    (_, _, boundary) = policies[0]
    assert boundary["count"] == "${var.permissions_boundary_arn == null ? 1 : 0}"
    assert boundary["policy"] == "${module.permissions.boundary_policy_json}"


def test_api_may_invoke_the_ingest_function_only_through_the_webhook_route() -> None:
    permissions = [
        body
        for kind, _, body in labelled_blocks(load_module(MODULES_DIR / "ingest"), "resource")
        if kind == "aws_lambda_permission"
    ]
    assert [(item["principal"], item["source_arn"]) for item in permissions] == [
        ("apigateway.amazonaws.com", "${aws_apigatewayv2_api.this.execution_arn}/*/POST/webhook")
    ]
