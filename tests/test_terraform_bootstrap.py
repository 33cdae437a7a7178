"""The bootstrap for GitHub Actions, read from the HCL: who may assume each role, and exactly what each may do.

- plan role: only pull requests of the repository; reads the deployment's configuration (never its data),
  reads the state and takes the state lock;
- apply role: only the repository's `production` environment; manages what terraform/ creates, by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.hcl import BOOTSTRAP_DIR, MODULES_DIR, REPO, TERRAFORM_DIR, labelled_blocks, load_module

MODULE = load_module(BOOTSTRAP_DIR)
LOCALS: dict[str, Any] = {key: value for block in MODULE["locals"] for key, value in block.items()}
DOCUMENTS = {name: body for kind, name, body in labelled_blocks(MODULE, "data") if kind == "aws_iam_policy_document"}
RESOURCES = {(kind, name): body for kind, name, body in labelled_blocks(MODULE, "resource")}

STATE_BUCKET = "${aws_s3_bucket.state.arn}"
STATE_OBJECT = "${aws_s3_bucket.state.arn}/${var.state_key}"
LOCK_OBJECT = "${aws_s3_bucket.state.arn}/${var.state_key}.tflock"
STATE_KEY_ONLY_WHEN_GIVEN = "${var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]}"
DEPLOYMENT_KEY_ONLY_WHEN_GIVEN = "${var.kms_key_arn == null ? [] : [var.kms_key_arn]}"
KEY = "${statement.value}"
BUCKETS = "${local.pipeline_buckets}"
LAYER = "${local.layer_objects}"
FUNCTIONS_AND_LAYERS = {"${local.functions}", "${local.layers}"}
ROLES = "${local.pipeline_roles}"

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
    "pipeline_read": {
        "ReadBuckets": ({"s3:Get*", "s3:ListBucket"}, {BUCKETS}),
        "ReadLayerPackage": ({"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"}, {LAYER}),
        "ReadFunctions": ({"lambda:Get*", "lambda:List*"}, FUNCTIONS_AND_LAYERS),
        "ReadRoles": (
            {
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
                "iam:ListInstanceProfilesForRole",
            },
            {ROLES},
        ),
        "ReadLogGroups": (
            {"logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"},
            {"${local.log_groups}"},
        ),
        "ReadAlarms": ({"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"}, {"${local.alarms}"}),
        "ReadTopics": (
            {"sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"},
            {"${local.topics}"},
        ),
        "ReadSubscriptions": ({"sns:GetSubscriptionAttributes"}, {"*"}),
        "ReadQueues": ({"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"}, {"${local.queues}"}),
        "ReadSchedules": ({"scheduler:GetSchedule"}, {"${local.schedules}"}),
        "ReadCatalog": (
            {"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetTags"},
            {"${local.glue_catalog}"},
        ),
        "ReadWorkgroup": (
            {
                "athena:GetWorkGroup",
                "athena:GetNamedQuery",
                "athena:BatchGetNamedQuery",
                "athena:ListNamedQueries",
                "athena:ListTagsForResource",
            },
            {"${local.athena_workgroup}"},
        ),
        "ReadHttpApis": ({"apigateway:GET"}, {"${local.http_apis}"}),
    },
    "pipeline_write": {
        "ManageBuckets": (
            {
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketOwnershipControls",
                "s3:PutEncryptionConfiguration",
                "s3:PutBucketVersioning",
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketTagging",
            },
            {BUCKETS},
        ),
        "UploadLayerPackage": ({"s3:PutObject", "s3:PutObjectTagging"}, {LAYER}),
        "DeleteObjects": ({"s3:DeleteObject", "s3:DeleteObjectVersion"}, {"${local.pipeline_buckets}/*"}),
        "ManageFunctions": (
            {
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:PublishLayerVersion",
                "lambda:DeleteLayerVersion",
                "lambda:TagResource",
                "lambda:UntagResource",
            },
            FUNCTIONS_AND_LAYERS,
        ),
        "ManageRoles": (
            {
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
            },
            {ROLES},
        ),
        "PassRolesToPipelineServices": ({"iam:PassRole"}, {ROLES}),
        "ManageLogGroups": (
            {
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:TagLogGroup",
                "logs:UntagLogGroup",
            },
            {"${local.pipeline_logs}"},
        ),
        "ManageAccessLogDelivery": (
            {
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
            },
            {"*"},
        ),
        "ManageAlarms": (
            {
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            },
            {"${local.alarms}"},
        ),
        "ManageTopics": (
            {
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:UntagResource",
            },
            {"${local.topics}"},
        ),
        "ManageSubscriptions": ({"sns:Unsubscribe"}, {"*"}),
        "ManageQueues": (
            {"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"},
            {"${local.queues}"},
        ),
        "ManageSchedules": (
            {"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"},
            {"${local.schedules}"},
        ),
        "ManageCatalog": (
            {
                "glue:CreateDatabase",
                "glue:UpdateDatabase",
                "glue:DeleteDatabase",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:DeleteTable",
                "glue:TagResource",
                "glue:UntagResource",
            },
            {"${local.glue_catalog}"},
        ),
        "ManageWorkgroup": (
            {
                "athena:CreateWorkGroup",
                "athena:UpdateWorkGroup",
                "athena:DeleteWorkGroup",
                "athena:CreateNamedQuery",
                "athena:UpdateNamedQuery",
                "athena:DeleteNamedQuery",
                "athena:TagResource",
                "athena:UntagResource",
            },
            {"${local.athena_workgroup}"},
        ),
        "ManageHttpApis": (
            {"apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"},
            {"${local.http_apis}"},
        ),
        "UseDeploymentKey": ({"kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}, {KEY}),
        "GrantDeploymentKeyToServices": ({"kms:CreateGrant"}, {KEY}),
    },
}

# Each wildcard, and why (the comments above the documents in main.tf say the same).
EXPECTED_WILDCARD_ACTIONS = {
    ("pipeline_read", "ReadBuckets", "s3:Get*"),  # on bucket ARNs only: bucket configuration, never objects
    ("pipeline_read", "ReadFunctions", "lambda:Get*"),  # read-only calls on the project's functions and layers
    ("pipeline_read", "ReadFunctions", "lambda:List*"),
}
EXPECTED_STAR_RESOURCES = {
    ("pipeline_read", "ReadSubscriptions"),  # sns:GetSubscriptionAttributes takes no resource ARN
    ("pipeline_write", "ManageAccessLogDelivery"),  # vended log deliveries (API access logs) take none
    ("pipeline_write", "ManageSubscriptions"),  # sns:Unsubscribe takes none
}
OPTIONAL_KEY_STATEMENTS = {
    "plan_state": {"UseStateKey": STATE_KEY_ONLY_WHEN_GIVEN},
    "apply_state": {"UseStateKey": STATE_KEY_ONLY_WHEN_GIVEN},
    "pipeline_write": {
        "UseDeploymentKey": DEPLOYMENT_KEY_ONLY_WHEN_GIVEN,
        "GrantDeploymentKeyToServices": DEPLOYMENT_KEY_ONLY_WHEN_GIVEN,
    },
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
            "${data.aws_iam_policy_document.pipeline_write.json}",
        ]
    }
    assert RESOURCES[("aws_iam_policy", "read")]["policy"] == "${data.aws_iam_policy_document.pipeline_read.json}"
    attachments = {
        (body["role"], body["policy_arn"])
        for (kind, _), body in RESOURCES.items()
        if kind == "aws_iam_role_policy_attachment"
    }
    assert attachments == {
        ("${aws_iam_role.plan.name}", "${aws_iam_policy.read.arn}"),
        ("${aws_iam_role.apply.name}", "${aws_iam_policy.read.arn}"),
    }
    assert {kind for kind, _ in RESOURCES} >= {"aws_iam_role", "aws_iam_role_policy"}
    assert "managed_policy_arns" not in plan
    assert "managed_policy_arns" not in apply


@pytest.mark.parametrize("document_name", sorted(EXPECTED_GRANTS))
def test_documents_grant_exactly_the_named_actions_on_the_named_resources(document_name: str) -> None:
    found = statements(document_name)
    granted = {sid: (set(statement["actions"]), resources_of(statement)) for sid, statement in found.items()}
    assert granted == EXPECTED_GRANTS[document_name]
    for statement in found.values():
        assert statement["effect"] == "Allow"
        assert not {"not_actions", "not_resources", "principals"} & statement.keys()


def test_wildcards_are_exactly_the_justified_ones() -> None:
    wildcard_actions = {
        (document, sid, action)
        for document in EXPECTED_GRANTS
        for sid, statement in statements(document).items()
        for action in statement["actions"]
        if "*" in action
    }
    assert wildcard_actions == EXPECTED_WILDCARD_ACTIONS
    star_resources = {
        (document, sid)
        for document in EXPECTED_GRANTS
        for sid, statement in statements(document).items()
        if "*" in resources_of(statement)
    }
    assert star_resources == EXPECTED_STAR_RESOURCES
    main_tf = (BOOTSTRAP_DIR / "main.tf").read_text()
    for justification in ("s3:Get* on bucket ARNs", "lambda:Get* and lambda:List*", "sns:GetSubscriptionAttributes"):
        assert justification in main_tf
    for justification in ("logs:*LogDelivery", "sns:Unsubscribe supports no resource ARN"):
        assert justification in main_tf


def test_the_plan_role_only_reads_except_for_the_state_lock() -> None:
    """Reads only: the deployment's configuration and the state; writes only the lock file."""
    for document in ("pipeline_read", "plan_state"):
        for sid, statement in statements(document).items():
            writes = {action for action in statement["actions"] if not READ_ONLY_ACTION.match(action)}
            allowed = {"kms:Decrypt", "kms:GenerateDataKey"} if sid == "UseStateKey" else set()
            if sid == "LockState":
                assert resources_of(statement) == {LOCK_OBJECT}
                allowed = {"s3:PutObject", "s3:DeleteObject"}
            assert writes <= allowed, (document, sid, writes)


def test_no_data_object_is_readable() -> None:
    """Object reads only on the layer package and the state: never the chat's raw or enriched data."""
    object_reads = {"s3:GetObject", "s3:GetObjectVersion", "s3:Get*", "s3:*"}
    for document in EXPECTED_GRANTS:
        for statement in statements(document).values():
            if object_reads & set(statement["actions"]):
                for resource in resources_of(statement):
                    assert resource in {BUCKETS, LAYER, STATE_OBJECT, LOCK_OBJECT}
                    if resource == BUCKETS:  # a bucket ARN: bucket-level reads only
                        assert "/" not in LOCALS["pipeline_buckets"]
    assert LOCALS["layer_objects"].endswith("/lambda-layers/*")


def test_roles_may_be_passed_only_to_lambda_and_scheduler() -> None:
    (condition,) = statements("pipeline_write")["PassRolesToPipelineServices"]["condition"]
    assert condition == {
        "test": "StringEquals",
        "variable": "iam:PassedToService",
        "values": "${local.pipeline_services}",
    }
    assert LOCALS["pipeline_services"] == ["lambda.amazonaws.com", "scheduler.amazonaws.com"]
    (grant,) = statements("pipeline_write")["GrantDeploymentKeyToServices"]["condition"]
    assert grant == {"test": "Bool", "variable": "kms:GrantIsForAWSResource", "values": ["true"]}


def test_the_apply_role_cannot_touch_the_github_actions_roles_or_the_state_bucket() -> None:
    """Its IAM grants cover role/<name_prefix>-*; the GitHub Actions roles live under a path outside it."""
    assert LOCALS["pipeline_roles"] == "arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"
    assert LOCALS["github_actions_roles_path"] == "/github-actions/"
    for name in ("plan", "apply"):
        assert RESOURCES[("aws_iam_role", name)]["path"] == "${local.github_actions_roles_path}"
    assert RESOURCES[("aws_iam_policy", "read")]["path"] == "${local.github_actions_roles_path}"
    assert (
        LOCALS["pipeline_buckets"]
        == "arn:${local.partition}:s3:::${var.name_prefix}-*-${local.account_id}-${local.region}"
    )
    (precondition,) = RESOURCES[("aws_s3_bucket", "state")]["lifecycle"][0]["precondition"]
    assert "startswith(local.state_bucket_name" in precondition["condition"]
    assert 'endswith(local.state_bucket_name, \\"-${local.account_id}-${local.region}\\")' in json.dumps(
        precondition["condition"]
    )


# The names terraform/ gives, which the apply role's ARNs must cover: (file, text it must contain).
PIPELINE_NAMES = [
    ("modules/storage/main.tf", '"${var.name_prefix}-${bucket.purpose}-${local.account_id}-${local.region}"'),
    ("modules/etl/main.tf", 'layer_object_key   = "lambda-layers/${var.name}/pyarrow-layer.zip"'),
    ("modules/etl/main.tf", 'layer_name  = "${var.name}-pyarrow"'),
    ("modules/etl/main.tf", 'name                      = "${var.name}-dlq"'),
    ("modules/etl/main.tf", 'name               = "${var.name}-scheduler"'),
    ("modules/etl/main.tf", 'name                         = "${var.name}-daily"'),
    ("modules/etl/main.tf", 'function_log_group = "/aws/lambda/${var.name}"'),
    ("modules/ingest/main.tf", 'function_log_group   = "/aws/lambda/${var.name}"'),
    ("modules/ingest/main.tf", 'name              = "/aws/apigateway/${var.name}/access"'),
    ("modules/ingest/main.tf", 'name               = "${var.name}-role"'),
    ("modules/monitoring/main.tf", 'name              = "${var.name_prefix}-alarms"'),
    ("modules/monitoring/main.tf", 'alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"'),
    ("main.tf", 'name                   = "${var.name_prefix}-ingest"'),
    ("main.tf", 'name                           = "${var.name_prefix}-etl"'),
    ("main.tf", 'database_name = replace(var.name_prefix, "-", "_")'),
    ("main.tf", "workgroup_name                 = var.name_prefix"),
]


@pytest.mark.parametrize(
    ("path", "text"), PIPELINE_NAMES, ids=[f"{path}:{index}" for index, (path, _) in enumerate(PIPELINE_NAMES)]
)
def test_the_deployment_still_names_its_resources_as_the_apply_role_expects(path: str, text: str) -> None:
    assert text in (TERRAFORM_DIR / path).read_text()
    assert (MODULES_DIR / "etl").is_dir()


def test_the_deployment_names_match_the_bootstrap_patterns() -> None:
    assert LOCALS["database_name"] == '${replace(var.name_prefix, "-", "_")}'
    assert LOCALS["athena_workgroup"].endswith(":workgroup/${var.name_prefix}")
    assert LOCALS["layer_objects"] == (
        "arn:${local.partition}:s3:::${var.name_prefix}-artifacts-${local.account_id}-${local.region}/lambda-layers/*"
    )
    assert LOCALS["pipeline_logs"] == [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name_prefix}-*",
    ]


# Longest values each reference can take, to bound the policies' rendered size.
WORST_CASE = {
    "data.aws_partition.current.partition": "aws-us-gov",
    "data.aws_caller_identity.current.account_id": "123456789012",
    "var.aws_region": "ap-southeast-5",
    "var.name_prefix": "n" * 20,
    'replace(var.name_prefix, "-", "_")': "n" * 20,
    "aws_s3_bucket.state.arn": "arn:aws-us-gov:s3:::" + "b" * 63,
    "var.state_key": "k" * 200,
    "statement.value": "arn:aws-us-gov:kms:ap-southeast-5:123456789012:key/mrk-" + "0" * 32,
}
REFERENCE = re.compile(r"\$\{([^{}]+)\}")


def render(value: str) -> list[str]:
    """A resource string with every reference replaced by its worst case; a local list becomes its items."""
    whole = REFERENCE.fullmatch(value)
    if whole and whole[1].startswith("local.") and isinstance(LOCALS[whole[1][6:]], list):
        return [item for element in LOCALS[whole[1][6:]] for item in render(element)]

    def substitute(match: re.Match[str]) -> str:
        name = match[1]
        if name.startswith("local."):
            (text,) = render(f"${{{name}}}") if not isinstance(LOCALS[name[6:]], str) else [LOCALS[name[6:]]]
            return REFERENCE.sub(substitute, text)
        return WORST_CASE[name]

    return [REFERENCE.sub(substitute, value)]


def rendered_size(*document_names: str) -> int:
    """Characters IAM counts (no whitespace) of the documents' statements, conditions included."""
    rendered = []
    for name in document_names:
        for sid, statement in statements(name).items():
            item: dict[str, Any] = {
                "Sid": sid,
                "Effect": statement["effect"],
                "Action": statement["actions"],
                "Resource": [text for resource in sorted(resources_of(statement)) for text in render(resource)],
            }
            for condition in statement.get("condition", []):
                values = condition["values"]
                item.setdefault("Condition", {})[condition["test"]] = {
                    condition["variable"]: render(values) if isinstance(values, str) else values
                }
            rendered.append(item)
    text = json.dumps({"Version": "2012-10-17", "Statement": rendered}, separators=(",", ":"))
    assert "${" not in text
    return len(text)


def test_policies_fit_iams_size_limits_in_the_worst_case() -> None:
    """A role's inline policies: 10,240 characters together; a managed policy: 6,144."""
    assert rendered_size("plan_state") + rendered_size("apply_state", "pipeline_write") <= 10_240
    assert rendered_size("apply_state", "pipeline_write") <= 10_240
    assert rendered_size("pipeline_read") <= 6_144
    assert rendered_size("plan_state") <= 10_240


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
    assert len(variables) == len(outputs) == 5
    workflow = (REPO / ".github" / "workflows" / "terraform.yml").read_text()
    assert set(re.findall(r"\bvars\.([A-Z_]+)", workflow)) == variables | {"TF_VARS_JSON"}
    assert outputs["plan_role_arn"]["value"] == "${aws_iam_role.plan.arn}"
    assert outputs["apply_role_arn"]["value"] == "${aws_iam_role.apply.arn}"
    assert outputs["state_bucket"]["value"] == "${aws_s3_bucket.state.id}"
