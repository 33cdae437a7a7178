"""The CI roles may make every API call the aws provider makes for what terraform/ manages, and no more.

tests/data/aws_provider_api_calls.json lists, for every resource and data source type in terraform/, the
calls the provider's Create, Read, Update and Delete make (read from its source, file by file). The policies
are rendered by Terraform from terraform/modules/permissions, as the bootstrap renders them, and evaluated
as IAM would: the apply role must be allowed every call on the resources terraform/ creates, the plan role
every read. A type added to terraform/ without its row fails here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.hcl import BOOTSTRAP_DIR, REPO, TERRAFORM_DIR, labelled_blocks, load_module, module_dirs
from tests.iam_policy import Request, decide
from tests.permissions_render import KMS_KEY, Permissions

TABLE = json.loads((REPO / "tests" / "data" / "aws_provider_api_calls.json").read_text())
TYPES: dict[str, dict[str, Any]] = TABLE["types"]
PROVIDER: dict[str, str] = TABLE["provider"]
# What the tests build the provider from (tools/provider/build.py): the table must have been read from the same copy.
PROVIDER_PIN = REPO / "tools" / "provider" / "aws-provider.json"
PHASES = ("create", "read", "update", "delete")
REQUIRED = {"always", "change", "option", "force_destroy"}
# Ids API Gateway generates, for its resource paths.
API_PATH_IDS = {
    "{ApiId}": "a1b2c3d4e5",
    "{IntegrationId}": "i1b2c3d",
    "{RouteId}": "r1b2c3d",
    "{StageName}": "$default",
    "{RequestParameterKey}": "route.request.header.x",
    "{RouteKey}": "POST /webhook",
}
# A Go module version: a release tag or a pseudo-version (v1.60.1-0.20260602190131-5f2286d6d836).
GO_VERSION = r"v[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?"
# A provider file as read: <path>@<Go module version of the copy read>.
SOURCE = re.compile(
    rf"^(?P<path>internal/(service/[a-z0-9]+|provider/[a-z0-9/]+)/[a-z0-9_]+\.go)@(?P<version>{GO_VERSION})$"
)


def go_module_cache() -> Path:
    """Go's module cache: what `go env GOMODCACHE` says, else GOMODCACHE, else GOPATH's (~/go's) pkg/mod."""
    go = shutil.which("go")
    if go is not None:
        try:
            answer = subprocess.run(  # noqa: S603 - Go from PATH, fixed arguments
                [go, "env", "GOMODCACHE"],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
                env={**os.environ, "GOTOOLCHAIN": "local"},
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            if answer.stdout.strip():
                return Path(answer.stdout.strip())
    if os.environ.get("GOMODCACHE"):
        return Path(os.environ["GOMODCACHE"])
    gopath = os.environ.get("GOPATH", "").split(os.pathsep)[0] or str(Path.home() / "go")
    return Path(gopath) / "pkg" / "mod"


def provider_source_dir() -> Path:
    """Where Go's module cache holds provider.module at provider.go_version (capitals escaped as Go does)."""
    escaped = re.sub(r"[A-Z]", lambda capital: "!" + capital.group().lower(), PROVIDER["module"])
    return go_module_cache() / f"{escaped}@{PROVIDER['go_version']}"


def terraform_types() -> set[str]:
    """Every resource and data source type of terraform/ (root, child modules and bootstrap)."""
    found: set[str] = set()
    for directory in module_dirs():
        module = load_module(directory)
        found |= {kind for kind, _, _ in labelled_blocks(module, "resource")}
        found |= {f"data.{kind}" for kind, _, _ in labelled_blocks(module, "data")}
    return found


def pinned_provider_versions() -> set[str]:
    """The hashicorp/aws version constraints of the root modules (terraform/ and terraform/bootstrap/)."""
    versions = set()
    for directory in (TERRAFORM_DIR, BOOTSTRAP_DIR):
        (block,) = load_module(directory)["terraform"]
        versions.add(block["required_providers"][0]["aws"]["version"])
    return versions


def arns(template: str, permissions: Permissions, resources: dict[str, list[str]]) -> list[str]:
    """The ARNs of this deployment a call's resource type stands for."""
    if template == "*":
        return ["*"]
    if template.startswith("/"):  # an API Gateway resource path
        path = template.replace("{ResourceArn}", "arn:{partition}:apigateway:{region}::/apis/{ApiId}")
        for placeholder, value in API_PATH_IDS.items():
            path = path.replace(placeholder, value)
        found = [f"arn:{{partition}}:apigateway:{{region}}::{path}"]
    else:
        found = resources[template]
    values = permissions.deployment.placeholders(permissions.boundary_arn)
    return [_fill(arn, values) for arn in found]


def requests(type_name: str, permissions: Permissions, phases: tuple[str, ...], classes: set[str]) -> list[Request]:
    """Every request the provider makes for ``type_name`` in ``phases``, for calls of ``classes``."""
    row = TYPES[type_name]
    values = permissions.deployment.placeholders(permissions.boundary_arn)
    made = []
    for phase in phases:
        for call in row[phase]:
            if call["when"] not in classes:
                continue
            context = {key: _fill(value, values) for key, value in call.get("context", {}).items()}
            for template in call["on"]:
                for arn in arns(template, permissions, row["resources"]):
                    made.append(Request(call["action"], arn, context))
    return made


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


CI_TYPES = sorted(name for name, row in TYPES.items() if row["applied_by"] == "ci")


################################################################################
# The table
################################################################################


def test_the_table_covers_every_resource_and_data_source_type_of_terraform() -> None:
    in_terraform = terraform_types()
    assert set(TYPES) == in_terraform, (
        f"types without a row: {sorted(in_terraform - set(TYPES))}; rows of types no longer used: "
        f"{sorted(set(TYPES) - in_terraform)}"
    )


def test_every_row_cites_the_provider_files_it_was_read_from() -> None:
    assert re.fullmatch(GO_VERSION, PROVIDER["go_version"]), PROVIDER
    for name, row in TYPES.items():
        assert row["sources"], name
        for source in row["sources"]:
            cited = SOURCE.fullmatch(source)
            assert cited, (name, source)
            # One copy for the whole table: the one provider.go_version names.
            assert cited["version"] == PROVIDER["go_version"], (name, source)
        assert set(row) >= {"applied_by", *PHASES}, name
        for phase in PHASES:
            for call in row[phase]:
                assert call["when"] in TABLE["when"], (name, call)
                assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", call["action"]), (name, call)


def test_the_table_is_for_the_pinned_provider_version() -> None:
    """Moving the provider means reading its source again: the pin and the table change together."""
    assert pinned_provider_versions() == {PROVIDER["version"]}


def test_the_table_was_read_from_the_source_the_tests_build_the_provider_from() -> None:
    pin = json.loads(PROVIDER_PIN.read_text())
    assert (PROVIDER["module"], PROVIDER["go_version"], PROVIDER["version"]) == (
        pin["module"],
        pin["go_version"],
        pin["terraform_version"],
    )


def test_every_cited_file_is_in_that_source() -> None:
    """A file the table cites that the source does not have was read elsewhere (another version, a guessed path)."""
    source = provider_source_dir()
    if not source.is_dir():
        pytest.skip(
            f"{PROVIDER['module']}@{PROVIDER['go_version']} is not in Go's module cache ({source}): "
            f"`go mod download {PROVIDER['module']}@{PROVIDER['go_version']}` or tools/provider/build.py puts it there"
        )
    cited = {match["path"] for row in TYPES.values() for item in row["sources"] if (match := SOURCE.fullmatch(item))}
    missing = sorted(path for path in cited if not (source / path).is_file())
    assert not missing, f"cited but not in {source}: {missing}"


def test_glue_table_refresh_reads_partition_indexes() -> None:
    """The call that broke the first CI apply: every refresh of a Glue table lists its partition indexes."""
    read = {call["action"] for call in TYPES["aws_glue_catalog_table"]["read"]}
    assert read == {"glue:GetTable", "glue:GetPartitionIndexes"}


################################################################################
# The roles against the table
################################################################################


def apply_role(permissions: Permissions) -> list[dict[str, Any]]:
    return [permissions.read, permissions.apply]


def plan_role(permissions: Permissions) -> list[dict[str, Any]]:
    return [permissions.read]


def refused(policies: list[dict[str, Any]], made: list[Request]) -> list[str]:
    return sorted(
        {f"{request.action} on {request.resource}" for request in made if decide(policies, request) != "allow"}
    )


@pytest.mark.parametrize("type_name", CI_TYPES)
def test_the_apply_role_may_make_every_call_on_what_terraform_creates(type_name: str, plain: Permissions) -> None:
    made = requests(type_name, plain, PHASES, REQUIRED)
    assert not refused(apply_role(plain), made)


@pytest.mark.parametrize("type_name", CI_TYPES)
def test_the_plan_role_may_make_every_read(type_name: str, plain: Permissions) -> None:
    made = requests(type_name, plain, ("read",), REQUIRED)
    assert not refused(plan_role(plain), made)


@pytest.mark.parametrize("type_name", CI_TYPES)
def test_with_a_kms_key_the_roles_may_also_use_it(type_name: str, with_key: Permissions) -> None:
    assert not refused(apply_role(with_key), requests(type_name, with_key, PHASES, REQUIRED | {"kms"}))
    assert not refused(plan_role(with_key), requests(type_name, with_key, ("read",), REQUIRED | {"kms"}))


def test_calls_denied_by_design_are_denied(plain: Permissions) -> None:
    denied = [request for name in CI_TYPES for request in requests(name, plain, PHASES, {"denied"})]
    assert denied, "the table marks no call as denied: removing a role's boundary should be one"
    assert {decide(apply_role(plain), request) for request in denied} == {"deny"}


def test_the_deployment_creates_exactly_the_resources_the_table_names(plain: Permissions) -> None:
    """The table's resource ARNs are the names terraform/ gives: the checks above are about the real ones."""
    expected_names = {
        "modules/function/main.tf": [
            'name                 = "${var.name}-role"',
            'log_group_name = "/aws/lambda/${var.name}"',
        ],
        "modules/etl/main.tf": [
            'layer_name  = "${var.name}-pyarrow"',
            'name                      = "${var.name}-dlq"',
            'name                 = "${var.name}-scheduler"',
            'schedule_name    = "${var.name}-daily"',
            'layer_object_key = "lambda-layers/${var.name}/pyarrow-layer.zip"',
        ],
        "modules/ingest/main.tf": [
            'name                    = "${var.name}-webhook-secret"',
            'name              = "/aws/apigateway/${var.name}/access"',
        ],
        "modules/storage/main.tf": ['"${var.name_prefix}-${bucket.purpose}-${local.account_id}-${local.region}"'],
        "modules/monitoring/main.tf": [
            'name              = "${var.name_prefix}-alarms"',
            'alarm_name          = "${var.name_prefix}-${replace(each.key, "_", "-")}"',
        ],
        "main.tf": [
            'name                   = "${var.name_prefix}-ingest"',
            'name                           = "${var.name_prefix}-etl"',
            'database_name = replace(var.name_prefix, "-", "_")',
            "workgroup_name                 = var.name_prefix",
            "table_name                     = local.schema.table",
        ],
    }
    for path, texts in expected_names.items():
        source = (TERRAFORM_DIR / path).read_text()
        for text in texts:
            assert text in source, (path, text)
    alarms = TYPES["aws_cloudwatch_metric_alarm"]["resources"]["alarm"]
    monitoring = (TERRAFORM_DIR / "modules" / "monitoring" / "main.tf").read_text()
    keys = re.findall(r"^    ([a-z0-9_]+) = \{$", monitoring, flags=re.MULTILINE)
    assert sorted(arn.rsplit("{prefix}-", 1)[1] for arn in alarms) == sorted(key.replace("_", "-") for key in keys)
    # The Glue tables: the messages table (its "table", telegram) and one per other sql/tables/*.json, by name.
    assert json.loads((REPO / "sql" / "tables" / "telegram.json").read_text())["table"] == "telegram"
    table_arn = "arn:{partition}:glue:{region}:{account}:table/{database}/"
    glue_tables = [table_arn + path.stem for path in sorted((REPO / "sql" / "tables").glob("*.json"))]
    for type_name in ("aws_glue_catalog_database", "aws_glue_catalog_table"):
        assert TYPES[type_name]["resources"]["table"] == glue_tables, type_name


# Granted although no row needs them, each with its reason: wildcards of read-only actions on the
# project's own ARNs (see modules/permissions), and a metadata read of the deployment's key.
JUSTIFIED_EXTRAS = {"s3:Get*", "lambda:Get*", "lambda:List*", "kms:DescribeKey"}


def test_every_grant_is_a_call_the_provider_makes(with_key: Permissions) -> None:
    """Least privilege, from the same table: an action no row needs is not granted."""
    needed = {
        call["action"]
        for row in TYPES.values()
        if row["applied_by"] == "ci"
        for phase in PHASES
        for call in row[phase]
        if call["when"] in REQUIRED | {"kms"}
    }
    for document in (with_key.read, with_key.apply):
        granted = {
            action
            for statement in document["Statement"]
            if statement["Effect"] == "Allow"
            for action in statement["Action"]
        }
        assert granted - needed <= JUSTIFIED_EXTRAS, sorted(granted - needed - JUSTIFIED_EXTRAS)


################################################################################
# What the plan role may not do
################################################################################

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z*]*$|^apigateway:GET$")


def test_the_read_policy_allows_reads_only(plain: Permissions, with_key: Permissions) -> None:
    for permissions in (plain, with_key):
        for statement in permissions.read["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            writes = [action for action in statement["Action"] if not READ_ONLY.match(action)]
            allowed = ["kms:Decrypt"] if statement["Sid"] == "ReadWithDeploymentKey" else []
            assert writes == allowed, (statement["Sid"], writes)


def test_the_key_is_decrypted_only_through_the_services_that_return_configuration(with_key: Permissions) -> None:
    (statement,) = [item for item in with_key.read["Statement"] if item["Sid"] == "ReadWithDeploymentKey"]
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": ["lambda.us-east-1.amazonaws.com", "scheduler.us-east-1.amazonaws.com"]}
    }
    direct = Request("kms:Decrypt", KMS_KEY)
    assert decide(plan_role(with_key), direct) == "implicit-deny"


@pytest.mark.parametrize("role", ["plan", "apply"])
@pytest.mark.parametrize(
    "action",
    ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
)
def test_neither_ci_role_may_read_or_write_the_webhook_secret(role: str, action: str, plain: Permissions) -> None:
    policies = plan_role(plain) if role == "plan" else apply_role(plain)
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:telegram-datalake-ingest-webhook-secret-AbCdEf"
    assert decide(policies, Request(action, secret)) == "deny"
    metadata = Request("secretsmanager:DescribeSecret", secret)
    assert decide(policies, metadata) == "allow"


@pytest.mark.parametrize("role", ["plan", "apply"])
@pytest.mark.parametrize("purpose", ["raw", "enriched", "athena-results"])
def test_neither_ci_role_may_read_the_chats_data(role: str, purpose: str, plain: Permissions) -> None:
    policies = plan_role(plain) if role == "plan" else apply_role(plain)
    key = f"arn:aws:s3:::telegram-datalake-{purpose}-123456789012-us-east-1/telegram/context_date=2026-01-01/1.json"
    for action in ("s3:GetObject", "s3:GetObjectVersion"):
        assert decide(policies, Request(action, key)) == "deny"
