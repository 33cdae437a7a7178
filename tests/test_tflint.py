"""tflint finds nothing in any Terraform module: the terraform rules (recommended preset) and the AWS ruleset.

tflint and its AWS ruleset plugin are built from their Go modules (tools/go/tflint, tools/go/tflint-ruleset-aws):
this module runs `make tflint` first, which builds them when missing or re-pinned and puts the plugin in
.cache/tools/tflint.d/plugins, the TFLINT_PLUGIN_DIR given to tflint here. .tflint.hcl enables both plugins
without a `source`, so nothing is downloaded. A planted module shows both rulesets still report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
TFLINT = REPO / ".cache" / "tools" / "bin" / "tflint"
PLUGIN_DIR = REPO / ".cache" / "tools" / "tflint.d" / "plugins"
CONFIG = REPO / ".tflint.hcl"
AWS_RULESET_GO_MOD = REPO / "tools" / "go" / "tflint-ruleset-aws" / "go.mod"
# tflint's exit status: 0 no issue, 1 an error (e.g. a plugin that does not start), 2 issues found.
NO_ISSUE, ISSUES_FOUND = 0, 2

# What tflint must say about this module: AWS rules and the terraform plugin's recommended ones.
PLANTED_MODULE = """\
variable "unused" {}

variable "instance_type" {
  type    = string
  default = "t2.micro"
}

resource "aws_instance" "planted" {
  ami           = "ami-12345678"
  instance_type = "t2.nano-but-bigger"
  tags          = { Type = "${var.instance_type}" }
}
"""
PLANTED_RULES = {
    "aws_instance_invalid_type",
    "terraform_deprecated_interpolation",
    "terraform_required_providers",
    "terraform_required_version",
    "terraform_typed_variables",
    "terraform_unused_declarations",
}


@dataclass(frozen=True)
class Result:
    code: int
    issues: list[dict[str, Any]]
    errors: list[dict[str, Any]]

    def lines(self) -> str:
        return "\n".join(
            f"{issue['range']['filename']}:{issue['range']['start']['line']}: "
            f"{issue['rule']['name']} ({issue['rule']['severity']}): {issue['message']}"
            for issue in self.issues
        ) + "".join(f"\nerror: {error['message']}" for error in self.errors)


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    """tflint's environment, once `make tflint` has (re)built tflint and the AWS plugin when missing or stale."""
    without_make = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = run(["make", "--no-print-directory", "tflint"], cwd=REPO, env=without_make)
    assert result.returncode == 0, f"make tflint failed:\n{result.stdout}{result.stderr}"
    # No TFLINT_CONFIG_FILE or TFLINT_LOG from the caller's shell: the config is given, the output parsed.
    clean = {key: value for key, value in os.environ.items() if not key.startswith("TFLINT_")}
    return {**clean, "TFLINT_PLUGIN_DIR": str(PLUGIN_DIR)}


def tflint(environment: dict[str, str], directory: Path, *arguments: str) -> Result:
    """tflint over every module under `directory` (--recursive), with the repository's config, as JSON."""
    command = [str(TFLINT), f"--chdir={directory}", "--recursive", f"--config={CONFIG}", "--format=json", *arguments]
    result = run(command, cwd=REPO, env=environment)
    assert result.returncode in {NO_ISSUE, ISSUES_FOUND}, result.stdout + result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return Result(result.returncode, output["issues"], output["errors"])


def test_tflint_reports_no_issue_in_any_terraform_module(environment: dict[str, str]) -> None:
    result = tflint(environment, REPO / "terraform")
    assert (result.issues, result.errors) == ([], []), result.lines()
    assert result.code == NO_ISSUE


def test_both_rulesets_are_loaded_the_aws_one_at_its_pinned_version(environment: dict[str, str]) -> None:
    result = run([str(TFLINT), "--chdir=terraform", f"--config={CONFIG}", "--version"], cwd=REPO, env=environment)
    assert result.returncode == 0, result.stderr
    (pinned,) = re.findall(
        r"^\s*(?:require\s+)?github\.com/terraform-linters/tflint-ruleset-aws v(\S+)(?: // indirect)?$",
        AWS_RULESET_GO_MOD.read_text(),
        re.MULTILINE,
    )
    assert f"+ ruleset.aws ({pinned})" in result.stdout.splitlines()
    assert any(re.fullmatch(r"\+ ruleset\.terraform \(\S+-bundled\)", line) for line in result.stdout.splitlines())


def test_tflint_reports_a_planted_module(environment: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PLANTED_MODULE)
    result = tflint(environment, tmp_path)
    assert result.code == ISSUES_FOUND
    assert result.errors == []
    assert {issue["rule"]["name"] for issue in result.issues} == PLANTED_RULES, result.lines()
    (invalid_type,) = [issue for issue in result.issues if issue["rule"]["name"] == "aws_instance_invalid_type"]
    assert '"t2.nano-but-bigger" is an invalid value as instance_type' in invalid_type["message"]
    assert invalid_type["range"]["start"]["line"] == 10
