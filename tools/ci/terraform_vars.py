"""Write the deployment's Terraform variables from the TF_VARS_JSON repository variable.

    TF_VARS_JSON='{"allowed_chat_ids": ["-1001234567890"]}' python3 tools/ci/terraform_vars.py

writes terraform/ci.auto.tfvars.json (ignored by git; Terraform loads *.auto.tfvars.json by itself) and
reports the Lambda architecture it sets, which `make build ARCH=...` must build the layer for: as the
step output ``lambda_architecture`` under GitHub Actions ($GITHUB_OUTPUT), else on stdout. The value
itself is never printed, only the variable names, since it may hold chat ids.

The CI roles are scoped to the deployment's Region, name prefix and permissions boundary. The workflow
passes those to Terraform as TF_VAR_aws_region, TF_VAR_name_prefix and TF_VAR_permissions_boundary_arn,
from the repository variables the bootstrap printed: TF_VARS_JSON may not set them (a *.auto.tfvars.json
would win over them), and when the workflow passes one empty, its repository variable is missing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ARCHITECTURES = ("arm64", "x86_64")
DEFAULT_ARCHITECTURE = "arm64"
# Terraform variable -> the repository variable (a bootstrap output) the workflow takes it from.
ROLE_SCOPE = {
    "aws_region": ("AWS_REGION", "aws_region"),
    "name_prefix": ("NAME_PREFIX", "name_prefix"),
    "permissions_boundary_arn": ("PERMISSIONS_BOUNDARY_ARN", "permissions_boundary_arn"),
}


def role_scope_problem(variables: dict[str, object]) -> str | None:
    """Why the role-scoping variables are wrong, or None."""
    for name, (repository_variable, output) in ROLE_SCOPE.items():
        if name in variables:
            return (
                f"TF_VARS_JSON sets {name}: leave it out, the workflow passes the repository variable "
                f"{repository_variable}, to which the CI roles are scoped"
            )
        passed = os.environ.get(f"TF_VAR_{name}")
        if passed is not None and not passed.strip():
            return (
                f"the repository variable {repository_variable} is empty: set it to "
                f"`terraform -chdir=terraform/bootstrap output -raw {output}`"
            )
    return None


def main() -> int:
    text = os.environ.get("TF_VARS_JSON", "")
    if not text.strip():
        print("TF_VARS_JSON is empty: set the repository variable (at least allowed_chat_ids)", file=sys.stderr)
        return 1
    try:
        variables = json.loads(text)
    except json.JSONDecodeError as error:
        print(f"TF_VARS_JSON is not JSON: {error.msg} (line {error.lineno}, column {error.colno})", file=sys.stderr)
        return 1
    if not isinstance(variables, dict):
        print("TF_VARS_JSON must be a JSON object of Terraform variables", file=sys.stderr)
        return 1
    problem = role_scope_problem(variables)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    architecture = variables.get("lambda_architecture", DEFAULT_ARCHITECTURE)
    if architecture not in ARCHITECTURES:
        print(f"lambda_architecture must be one of {', '.join(ARCHITECTURES)}", file=sys.stderr)
        return 1

    terraform_dir = Path(os.environ.get("TERRAFORM_DIR", Path(__file__).resolve().parents[2] / "terraform"))
    target = terraform_dir / "ci.auto.tfvars.json"
    target.write_text(json.dumps(variables, indent=2) + "\n", encoding="utf-8")
    print(f"{target.name}: {', '.join(sorted(variables)) or 'no variables'}", file=sys.stderr)

    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with Path(github_output).open("a", encoding="utf-8") as handle:
            handle.write(f"lambda_architecture={architecture}\n")
    else:
        print(architecture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
