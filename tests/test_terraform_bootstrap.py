"""The bootstrap for GitHub Actions, read from the HCL: who may assume each role, and exactly what each may do.

- plan role: only pull requests of the repository; reads the deployment's configuration (never its data),
  reads the state and takes the state lock;
- apply role: only the repository's `production` environment; manages what terraform/ creates, by name.

What the two roles may do to the deployment itself comes from terraform/modules/permissions, rendered and
checked call by call in tests/test_iam_coverage.py and tests/test_permissions_boundary.py; this file checks
the bootstrap's own parts (trust, state, wiring) from its HCL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.hcl import BOOTSTRAP_DIR, REPO, labelled_blocks, load_module
from tests.permissions_render import Deployment, render

MODULE = load_module(BOOTSTRAP_DIR)
LOCALS: dict[str, Any] = {key: value for block in MODULE["locals"] for key, value in block.items()}
DOCUMENTS = {name: body for kind, name, body in labelled_blocks(MODULE, "data") if kind == "aws_iam_policy_document"}
RESOURCES = {(kind, name): body for kind, name, body in labelled_blocks(MODULE, "resource")}

STATE_BUCKET = "${aws_s3_bucket.state.arn}"
STATE_OBJECT = "${aws_s3_bucket.state.arn}/${var.state_key}"
LOCK_OBJECT = "${aws_s3_bucket.state.arn}/${var.state_key}.tflock"
STATE_KEY_ONLY_WHEN_GIVEN = "${var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]}"
KEY = "${statement.value}"
# document -> statement sid -> (actions, resources). Lists of resources held in a local are the local's name.
EXPECTED_GRANTS: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    "plan_state": {
        "ListState": ({"s3:ListBucket"}, {STATE_BUCKET}),
        "ReadState": ({"s3:GetObject"}, {STATE_OBJECT}),
        "LockState": ({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, {LOCK_OBJECT}),
        "UseStateKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {KEY}),
    },
    "apply_state": {
        "ListState": ({"s3:ListBucket"}, {STATE_BUCKET}),
        "WriteState": ({"s3:GetObject", "s3:PutObject"}, {STATE_OBJECT}),
        "LockState": ({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, {LOCK_OBJECT}),
        "UseStateKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, {KEY}),
    },
}

OPTIONAL_KEY_STATEMENTS = {
    "plan_state": {"UseStateKey": STATE_KEY_ONLY_WHEN_GIVEN},
    "apply_state": {"UseStateKey": STATE_KEY_ONLY_WHEN_GIVEN},
}
READ_ONLY_ACTION = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z*]*$|^apigateway:GET$")


def statements(document_name: str) -> dict[str, dict[str, Any]]:
    """Every statement of a document by sid; dynamic ones only for the optional KMS keys."""
    document = DOCUMENTS[document_name]
    found = {statement["sid"]: statement for statement in document.get("statement", [])}
    for dynamic in document.get("dynamic", []):
        (block,) = dynamic.values()
        (content,) = block["content"]
        assert block["for_each"] == OPTIONAL_KEY_STATEMENTS[document_name][content["sid"]]
        found[content["sid"]] = content
    return found


def resources_of(statement: dict[str, Any]) -> set[str]:
    resources = statement["resources"]
    return {resources} if isinstance(resources, str) else set(resources)


def trust_statement(document_name: str) -> dict[str, Any]:
    (statement,) = DOCUMENTS[document_name]["statement"]
    assert isinstance(statement, dict)
    return statement


################################################################################
# Trust
################################################################################


@pytest.mark.parametrize(
    ("document_name", "subject_local", "subject"),
    [
        ("plan_trust", "plan_subject", "repo:${var.github_repository}:pull_request"),
        ("apply_trust", "apply_subject", "repo:${var.github_repository}:environment:${local.apply_environment}"),
    ],
)
def test_each_role_trusts_exactly_one_oidc_subject_with_the_sts_audience(
    document_name: str, subject_local: str, subject: str
) -> None:
    statement = trust_statement(document_name)
    assert statement["effect"] == "Allow"
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["principals"] == [{"type": "Federated", "identifiers": ["${local.github_oidc_provider_arn}"]}]
    assert statement["condition"] == [
        {
            "test": "StringEquals",
            "variable": "${local.github_oidc_host}:aud",
            "values": ["${local.github_oidc_audience}"],
        },
        {
            "test": "StringEquals",
            "variable": "${local.github_oidc_host}:sub",
            "values": [f"${{local.{subject_local}}}"],
        },
    ]
    assert LOCALS[subject_local] == subject
    assert not {"not_actions", "not_principals"} & statement.keys()


def test_oidc_claims_are_github_actions_for_sts_and_the_production_environment() -> None:
    assert LOCALS["github_oidc_host"] == "token.actions.githubusercontent.com"
    assert LOCALS["github_oidc_audience"] == "sts.amazonaws.com"
    assert LOCALS["apply_environment"] == "production"
    provider = RESOURCES[("aws_iam_openid_connect_provider", "github")]
    assert provider["url"] == "https://${local.github_oidc_host}"
    assert provider["client_id_list"] == ["${local.github_oidc_audience}"]
    assert provider["count"] == "${var.github_oidc_provider_arn == null ? 1 : 0}"


def test_the_workflow_assumes_each_role_where_its_trust_allows() -> None:
    """The plan role from the pull request job, the apply role from the production environment's job."""
    workflow = (REPO / ".github" / "workflows" / "terraform.yml").read_text()
    plan_job, apply_job = workflow.split("\n  plan:\n")[1], workflow.split("\n  apply:\n")[1]
    assert "role-to-assume: ${{ vars.AWS_PLAN_ROLE_ARN }}" in plan_job.split("\n  comment:\n")[0]
    assert "role-to-assume: ${{ vars.AWS_APPLY_ROLE_ARN }}" in apply_job
    assert "    environment: production\n" in apply_job
    assert "environment:" not in plan_job.split("\n  comment:\n")[0]


################################################################################
# Permissions
################################################################################


def test_roles_get_exactly_their_documents() -> None:
    plan, apply = RESOURCES[("aws_iam_role", "plan")], RESOURCES[("aws_iam_role", "apply")]
    assert plan["assume_role_policy"] == "${data.aws_iam_policy_document.plan_trust.json}"
    assert apply["assume_role_policy"] == "${data.aws_iam_policy_document.apply_trust.json}"
    assert RESOURCES[("aws_iam_role_policy", "plan")]["policy"] == "${data.aws_iam_policy_document.plan_state.json}"
    assert RESOURCES[("aws_iam_role_policy", "apply")]["policy"] == "${data.aws_iam_policy_document.apply.json}"
    assert DOCUMENTS["apply"] == {
        "source_policy_documents": [
            "${data.aws_iam_policy_document.apply_state.json}",
            "${module.permissions.apply_policy_json}",
        ]
    }
    assert RESOURCES[("aws_iam_policy", "read")]["policy"] == "${module.permissions.read_policy_json}"
    assert RESOURCES[("aws_iam_policy", "pipeline_boundary")]["policy"] == "${module.permissions.boundary_policy_json}"
    attachments = {
        (body["role"], body["policy_arn"])
        for (kind, _), body in RESOURCES.items()
        if kind == "aws_iam_role_policy_attachment"
    }
    assert attachments == {
        ("${aws_iam_role.plan.name}", "${aws_iam_policy.read.arn}"),
        ("${aws_iam_role.apply.name}", "${aws_iam_policy.read.arn}"),
    }
    assert "managed_policy_arns" not in plan
    assert "managed_policy_arns" not in apply


def test_the_permissions_are_rendered_for_this_deployment_and_its_boundary() -> None:
    """The module gets the deployment's names, and names the boundary the policy resource creates."""
    (call,) = [block["permissions"] for block in MODULE["module"] if "permissions" in block]
    assert {key: value for key, value in call.items() if key != "source"} == {
        "name_prefix": "${var.name_prefix}",
        "region": "${local.region}",
        "account_id": "${local.account_id}",
        "partition": "${local.partition}",
        "kms_key_arn": "${var.kms_key_arn}",
        "boundary_policy_name": "${local.boundary_policy_name}",
        "boundary_policy_path": "${local.github_actions_roles_path}",
    }
    assert call["source"] == "../modules/permissions"
    boundary = RESOURCES[("aws_iam_policy", "pipeline_boundary")]
    assert (boundary["name"], boundary["path"]) == (
        "${local.boundary_policy_name}",
        "${local.github_actions_roles_path}",
    )
    assert LOCALS["boundary_policy_name"] == "${var.name_prefix}-ci-pipeline-boundary"
    outputs = {name: body for block in MODULE["output"] for name, body in block.items()}
    assert outputs["permissions_boundary_arn"]["value"] == "${aws_iam_policy.pipeline_boundary.arn}"


@pytest.mark.parametrize("document_name", sorted(EXPECTED_GRANTS))
def test_state_documents_grant_exactly_the_named_actions_on_the_named_resources(document_name: str) -> None:
    found = statements(document_name)
    granted = {sid: (set(statement["actions"]), resources_of(statement)) for sid, statement in found.items()}
    assert granted == EXPECTED_GRANTS[document_name]
    for statement in found.values():
        assert statement["effect"] == "Allow"
        assert not {"not_actions", "not_resources", "principals"} & statement.keys()


def test_the_plan_role_writes_nothing_but_the_state_lock() -> None:
    """Its inline policy reads the state and writes only the lock file; its managed policy only reads."""
    for sid, statement in statements("plan_state").items():
        writes = {action for action in statement["actions"] if not READ_ONLY_ACTION.match(action)}
        allowed = {"kms:Decrypt", "kms:GenerateDataKey"} if sid == "UseStateKey" else set()
        if sid == "LockState":
            assert resources_of(statement) == {LOCK_OBJECT}
            allowed = {"s3:PutObject", "s3:DeleteObject"}
        assert writes <= allowed, (sid, writes)


def test_the_apply_role_cannot_touch_the_github_actions_roles_or_the_state_bucket() -> None:
    """The CI roles and policies live under /github-actions/, outside role/<name_prefix>-*; the state bucket
    is not named like a pipeline bucket (<name_prefix>-*-<account>-<region>), which the apply role manages."""
    assert LOCALS["github_actions_roles_path"] == "/github-actions/"
    for name in ("plan", "apply"):
        assert RESOURCES[("aws_iam_role", name)]["path"] == "${local.github_actions_roles_path}"
    for name in ("read", "pipeline_boundary"):
        assert RESOURCES[("aws_iam_policy", name)]["path"] == "${local.github_actions_roles_path}"
    (precondition,) = RESOURCES[("aws_s3_bucket", "state")]["lifecycle"][0]["precondition"]
    assert "startswith(local.state_bucket_name" in precondition["condition"]
    assert 'endswith(local.state_bucket_name, \\"-${local.account_id}-${local.region}\\")' in json.dumps(
        precondition["condition"]
    )


# Longest values each reference of the state documents can take, to bound the inline policies' size.
WORST_CASE = {
    "aws_s3_bucket.state.arn": "arn:aws-us-gov:s3:::" + "b" * 63,
    "var.state_key": "k" * 200,
    "statement.value": "arn:aws-us-gov:kms:ap-southeast-5:123456789012:key/mrk-" + "0" * 32,
}
REFERENCE = re.compile(r"\$\{([^{}]+)\}")


def rendered_size(document_name: str) -> int:
    """Characters IAM counts (no whitespace) of a state document's statements, every reference at its longest."""
    rendered = []
    for sid, statement in statements(document_name).items():
        resources = [
            REFERENCE.sub(lambda match: WORST_CASE[match[1]], item) for item in sorted(resources_of(statement))
        ]
        rendered.append(
            {"Sid": sid, "Effect": statement["effect"], "Action": statement["actions"], "Resource": resources}
        )
    return len(json.dumps({"Version": "2012-10-17", "Statement": rendered}, separators=(",", ":")))


def test_policies_fit_iams_size_limits_in_the_worst_case(tmp_path: Path) -> None:
    """A role's inline policies: 10,240 characters together; a managed policy: 6,144. The pipeline's part is
    rendered by Terraform for the longest names, partition, Region and key ARN."""
    worst = Deployment(
        name_prefix="n" * 20,
        region="ap-southeast-5",
        partition="aws-us-gov",
        kms_key_arn="arn:aws-us-gov:kms:ap-southeast-5:123456789012:key/mrk-" + "0" * 32,
    )
    sizes = render(worst, tmp_path).json_sizes
    # Merged by aws_iam_policy_document, the apply document is one Statement list: count it once.
    merged_apply = rendered_size("apply_state") + sizes["apply"] - len('{"Version":"2012-10-17","Statement":[]}') + 1
    assert merged_apply <= 10_240
    assert rendered_size("plan_state") <= 10_240
    assert sizes["read"] <= 6_144
    assert sizes["boundary"] <= 6_144


################################################################################
# State bucket and outputs
################################################################################


def test_state_bucket_is_private_versioned_encrypted_tls_only_and_kept() -> None:
    bucket = RESOURCES[("aws_s3_bucket", "state")]
    assert bucket["lifecycle"][0]["prevent_destroy"] is True
    access = RESOURCES[("aws_s3_bucket_public_access_block", "state")]
    assert all(
        access[key] is True
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (ownership,) = RESOURCES[("aws_s3_bucket_ownership_controls", "state")]["rule"]
    assert ownership["object_ownership"] == "BucketOwnerEnforced"
    (versioning,) = RESOURCES[("aws_s3_bucket_versioning", "state")]["versioning_configuration"]
    assert versioning["status"] == "Enabled"
    (rule,) = RESOURCES[("aws_s3_bucket_server_side_encryption_configuration", "state")]["rule"]
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == '${var.state_kms_key_arn != null ? "aws:kms" : "AES256"}'
    rules = {item["id"]: item for item in RESOURCES[("aws_s3_bucket_lifecycle_configuration", "state")]["rule"]}
    (noncurrent,) = rules["expire-noncurrent-state-versions"]["noncurrent_version_expiration"]
    assert noncurrent["noncurrent_days"] == "${var.state_noncurrent_version_expiration_days}"
    denies = {statement["sid"]: statement for statement in DOCUMENTS["state_bucket"]["statement"]}
    assert set(denies) == {"DenyInsecureTransport", "DenyOutdatedTls"}
    assert all(statement["effect"] == "Deny" for statement in denies.values())
    assert RESOURCES[("aws_s3_bucket_policy", "state")]["policy"] == "${data.aws_iam_policy_document.state_bucket.json}"


def test_outputs_are_exactly_the_repository_variables_the_workflow_reads() -> None:
    outputs = {name: body for block in MODULE["output"] for name, body in block.items()}
    named = {re.match(r"Repository variable ([A-Z_]+):", body["description"]) for body in outputs.values()}
    variables = {match[1] for match in named if match}
    assert len(variables) == len(outputs) == 7
    workflow = (REPO / ".github" / "workflows" / "terraform.yml").read_text()
    assert set(re.findall(r"\bvars\.([A-Z_]+)", workflow)) == variables | {"TF_VARS_JSON"}
    assert outputs["plan_role_arn"]["value"] == "${aws_iam_role.plan.arn}"
    assert outputs["apply_role_arn"]["value"] == "${aws_iam_role.apply.arn}"
    assert outputs["state_bucket"]["value"] == "${aws_s3_bucket.state.id}"
