"""The apply role cannot escalate: roles only with the boundary, the boundary never changed, and the boundary
itself admits exactly what the pipeline's roles need.

The documents are rendered by Terraform from terraform/modules/permissions (tests/permissions_render.py) and
evaluated as IAM would (tests/iam_policy.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.hcl import MODULES_DIR, TERRAFORM_DIR, labelled_blocks, load_module
from tests.iam_policy import Request, actions, decide
from tests.permissions_render import KMS_KEY, Permissions

ACCOUNT = "123456789012"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/telegram-datalake-ingest-role"
OTHER_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
# IAM actions that accept the iam:PermissionsBoundary condition key (AWS's Service Authorization Reference).
BOUNDARY_KEYED_ACTIONS = {
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateUser",
    "iam:PutUserPolicy",
    "iam:DeleteUserPolicy",
    "iam:AttachUserPolicy",
    "iam:DetachUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
}


def apply_role(permissions: Permissions) -> list[dict[str, Any]]:
    return [permissions.read, permissions.apply]


################################################################################
# The apply role and roles
################################################################################


@pytest.mark.parametrize(
    "action", ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]
)
def test_roles_are_created_and_changed_only_with_the_boundary(action: str, plain: Permissions) -> None:
    role = apply_role(plain)
    with_boundary = Request(action, PIPELINE_ROLE, {"iam:PermissionsBoundary": plain.boundary_arn})
    assert decide(role, with_boundary) == "allow"
    assert decide(role, Request(action, PIPELINE_ROLE)) == "implicit-deny"
    assert decide(role, Request(action, PIPELINE_ROLE, {"iam:PermissionsBoundary": OTHER_BOUNDARY})) == "implicit-deny"


@pytest.mark.parametrize(
    "role_arn",
    [
        f"arn:aws:iam::{ACCOUNT}:role/admin",
        f"arn:aws:iam::{ACCOUNT}:role/github-actions/telegram-datalake-github-apply",
        f"arn:aws:iam::{ACCOUNT}:role/github-actions/telegram-datalake-github-plan",
        f"arn:aws:iam::{ACCOUNT}:role/other-project-role",
    ],
)
def test_no_role_outside_the_deployments_names_can_be_touched(role_arn: str, plain: Permissions) -> None:
    role = apply_role(plain)
    for action in (
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:PassRole",
    ):
        context = {"iam:PermissionsBoundary": plain.boundary_arn, "iam:PassedToService": "lambda.amazonaws.com"}
        assert decide(role, Request(action, role_arn, context)) != "allow", (action, role_arn)


def test_the_boundary_cannot_be_removed_or_changed(plain: Permissions) -> None:
    role = apply_role(plain)
    assert decide(role, Request("iam:DeleteRolePermissionsBoundary", PIPELINE_ROLE)) == "deny"
    for action in (
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
    ):
        assert decide(role, Request(action, plain.boundary_arn)) == "deny", action
    assert plain.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/github-actions/telegram-datalake-ci-pipeline-boundary"


def test_the_apply_role_creates_no_policy_and_attaches_none(plain: Permissions) -> None:
    """A managed policy attached to a role would be another way around the inline grants."""
    role = apply_role(plain)
    anywhere = [f"arn:aws:iam::{ACCOUNT}:policy/telegram-datalake-x", PIPELINE_ROLE, "*"]
    for action in (
        "iam:CreatePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:CreateUser",
        "iam:CreateAccessKey",
    ):
        for resource in anywhere:
            context = {"iam:PermissionsBoundary": plain.boundary_arn}
            assert decide(role, Request(action, resource, context)) != "allow", (action, resource)


def test_every_grant_of_a_boundary_keyed_action_requires_the_boundary(plain: Permissions) -> None:
    """Structurally, not only for the calls tried above: no statement grants such an action unconditioned."""
    for statement in plain.apply["Statement"] + plain.read["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        keyed = [
            action
            for action in statement["Action"]
            if action in BOUNDARY_KEYED_ACTIONS or (action.startswith("iam:") and "*" in action)
        ]
        if keyed:
            assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": plain.boundary_arn}}, (
                statement
            )


@pytest.mark.parametrize(
    ("service", "expected"),
    [("lambda.amazonaws.com", "allow"), ("scheduler.amazonaws.com", "allow"), ("ec2.amazonaws.com", "implicit-deny")],
)
def test_roles_are_passed_only_to_lambda_and_scheduler(service: str, expected: str, plain: Permissions) -> None:
    request = Request("iam:PassRole", PIPELINE_ROLE, {"iam:PassedToService": service})
    assert decide(apply_role(plain), request) == expected


def test_grants_on_the_deployment_key_are_only_for_aws_services(with_key: Permissions) -> None:
    role = apply_role(with_key)
    assert decide(role, Request("kms:CreateGrant", KMS_KEY, {"kms:GrantIsForAWSResource": "true"})) == "allow"
    assert decide(role, Request("kms:CreateGrant", KMS_KEY)) == "implicit-deny"


################################################################################
# The boundary
################################################################################

# What each pipeline role's inline policy refers to, in the default deployment.
REFERENCES = {
    "${var.raw_bucket_arn}": "arn:aws:s3:::telegram-datalake-raw-123456789012-us-east-1",
    "${var.enriched_bucket_arn}": "arn:aws:s3:::telegram-datalake-enriched-123456789012-us-east-1",
    "${var.raw_prefix}": "telegram",
    "${var.enriched_prefix}": "telegram",
    "${aws_secretsmanager_secret.webhook.arn}": (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf"
    ),
    "${aws_sqs_queue.dead_letter.arn}": "arn:aws:sqs:us-east-1:123456789012:telegram-datalake-etl-dlq",
    "${module.function.function_arn}": "arn:aws:lambda:us-east-1:123456789012:function:telegram-datalake-etl",
    "${statement.value}": KMS_KEY,
    "${local.pseudonym_key_parameter_arn}": (
        "arn:aws:ssm:us-east-1:123456789012:parameter/telegram-datalake/pseudonym-key"
    ),
}
LOG_GROUPS = {
    "ingest": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-ingest",
    "etl": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-etl",
}
REFERENCE = re.compile(r"\$\{[^{}]+\}")
# The ETL writes one prefix per table (modules/etl's local.parquet_prefixes): the messages' enriched_prefix,
# then every other table's name. Its WriteParquet resources are one expression over them.
PARQUET_PREFIXES = ["telegram", "member_events", "message_edits", "reactions"]
EXPRESSIONS = {
    '${[for prefix in local.parquet_prefixes : "${var.enriched_bucket_arn}/${prefix}/*"]}': [
        f"${{var.enriched_bucket_arn}}/{prefix}/*" for prefix in PARQUET_PREFIXES
    ],
}


def inline_grants(module: str, document: str) -> list[Request]:
    """The requests a pipeline role's inline policy (read from its HCL) lets it make, with concrete ARNs."""
    documents = {
        name: body
        for kind, name, body in labelled_blocks(load_module(MODULES_DIR / module), "data")
        if kind == "aws_iam_policy_document"
    }
    body = documents[document]
    statements = list(body.get("statement", []))
    for dynamic in body.get("dynamic", []):
        statements.extend(dynamic["statement"]["content"])
    made: list[Request] = []
    for statement in statements:
        resources = statement["resources"]
        for resource in EXPRESSIONS[resources] if isinstance(resources, str) else resources:
            arn = REFERENCE.sub(lambda match: REFERENCES[match[0]], resource).replace(
                "/*", "/context_date=2026-01-01/1.json"
            )
            made.extend(Request(action, arn) for action in statement["actions"])
    return made


@pytest.mark.parametrize(("module", "document"), [("ingest", "function"), ("etl", "function"), ("etl", "scheduler")])
def test_the_boundary_admits_everything_the_pipeline_roles_are_granted(
    module: str, document: str, with_key: Permissions
) -> None:
    refused = [
        request for request in inline_grants(module, document) if decide([with_key.boundary], request) != "allow"
    ]
    assert not refused


@pytest.mark.parametrize("function", sorted(LOG_GROUPS))
def test_the_boundary_admits_the_functions_own_logs(function: str, plain: Permissions) -> None:
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        stream = f"{LOG_GROUPS[function]}:log-stream:2026/01/01/[$LATEST]abc"
        assert decide([plain.boundary], Request(action, stream)) == "allow"


def test_the_boundary_grants_nothing_beyond_the_pipelines_data_and_plumbing(with_key: Permissions) -> None:
    granted = actions(with_key.boundary)
    assert granted == {
        "s3:PutObject",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:DeleteObject",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "lambda:InvokeFunction",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    for statement in with_key.boundary["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "*" not in statement["Resource"]
        for resource in statement["Resource"]:
            assert f":{ACCOUNT}:" in resource or resource.startswith("arn:aws:s3:::telegram-datalake-"), resource
    escalation = [Request("iam:PassRole", PIPELINE_ROLE), Request("sts:AssumeRole", PIPELINE_ROLE)]
    assert {decide([with_key.boundary], request) for request in escalation} == {"implicit-deny"}
    artifacts = "arn:aws:s3:::telegram-datalake-artifacts-123456789012-us-east-1/lambda-layers/x.zip"
    assert decide([with_key.boundary], Request("s3:PutObject", artifacts)) == "implicit-deny"


def test_the_deployment_uses_its_own_boundary_unless_ci_gives_one() -> None:
    root = load_module(TERRAFORM_DIR)
    local_values = {key: value for block in root["locals"] for key, value in block.items()}
    assert local_values["permissions_boundary_arn"] == (
        "${var.permissions_boundary_arn != null ? var.permissions_boundary_arn"
        " : aws_iam_policy.pipeline_boundary[0].arn}"
    )
    calls = {name: body for block in root["module"] for name, body in block.items()}
    for module in ("ingest", "etl"):
        assert calls[module]["permissions_boundary_arn"] == "${local.permissions_boundary_arn}", module
    assert calls["permissions"]["boundary_policy_name"] == "${var.name_prefix}-pipeline-boundary"
