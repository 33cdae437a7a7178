"""The GitHub Actions workflows: linted (actionlint, zizmor), pinned, least privilege, and doing what the README says.

actionlint is built from its Go module into .cache/tools/bin and runs shellcheck on every `run:` script (this
module runs `make actionlint` first, which builds it and installs shellcheck when missing); zizmor is a PyPI
package in .venv; both run offline (building actionlint the first time needs the Go module proxy). Each is
also shown a planted bad workflow, so a linter that stopped finding anything (or an actionlint that stopped
running shellcheck) would fail here too. The plan report script is exercised with Node.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.hcl import BOOTSTRAP_DIR, REPO, load_module

# PyPI's PyYAML (a dependency of moto's) has no stubs here: imported by name, its API is Any.
yaml = importlib.import_module("yaml")

WORKFLOWS_DIR = REPO / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
ACTIONLINT = REPO / ".cache" / "tools" / "bin" / "actionlint"
ZIZMOR = Path(sys.executable).with_name("zizmor")
NODE = shutil.which("node")
REPORT_SCRIPT = REPO / ".github" / "scripts" / "terraform-plan-report.cjs"
TERRAFORM_INIT = REPO / "tools" / "ci" / "terraform-init"
TERRAFORM_VARS = REPO / "tools" / "ci" / "terraform_vars.py"

# Every action the workflows use, at the commit of the release in the comment (one pin per action).
PINNED_ACTIONS = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/cache": ("5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3"),
    "actions/setup-go": ("d35c59abb061a4a6fb18e82ac0862c26744d6ab5", "v5.5.0"),
    "actions/setup-java": ("c5195efecf7bdfc987ee8bae7a71cb8b11521c00", "v4.7.1"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "actions/github-script": ("60a0d83039c74a4aee543508d2ffcb1c3799cdea", "v7.0.1"),
    "hashicorp/setup-terraform": ("b9cd54a3c349d3f38e8881555d616ced269862dd", "v3.1.2"),
    "aws-actions/configure-aws-credentials": ("b47578312673ae6fa5b5096b330d9fbac3d116df", "v4.2.1"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
TERRAFORM_PATHS = [
    "terraform/**",
    "functions/**",
    "layers/**",
    "sql/**",
    "tools/ci/**",
    ".github/scripts/terraform-plan-report.cjs",
    ".github/workflows/terraform.yml",
]

# A workflow with what both linters must catch: untrusted input in a script, an unknown job, no pinning.
PLANTED = """\
name: planted
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    needs: [missing-job]
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def load(path: Path) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS_DIR / name)


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def step_uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in steps(job) if str(step.get("uses", "")).split("@")[0] == action]


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603


def test_there_are_the_two_workflows() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "terraform.yml"]
    assert not list(WORKFLOWS_DIR.glob("*.yaml"))


################################################################################
# Linters
################################################################################


@pytest.fixture(scope="module")
def node() -> str:
    assert NODE, "node is missing: install Node.js (the plan report runs on it)"
    return NODE


def make(target: str) -> None:
    """Runs a target of the Makefile, as a fresh clone's `make test` would need it (not as a sub-make of it)."""
    environment = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = run(["make", "--no-print-directory", target], cwd=REPO, env=environment)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def actionlint() -> list[str]:
    """The actionlint command line: the pinned build (re)made when missing or stale, with shellcheck, JSON output."""
    make("actionlint")
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: `make actionlint` installs it (apt-get) when run as root"
    # -shellcheck: the one found here, never none (actionlint skips the scripts silently without it);
    # -pyflakes= off: no step runs Python inline.
    return [str(ACTIONLINT), f"-shellcheck={shellcheck}", "-pyflakes=", "-format", "{{json .}}"]


def actionlint_findings(command: list[str], *paths: Path) -> tuple[int, list[dict[str, Any]]]:
    result = run([*command, *(str(path) for path in paths)], cwd=REPO)
    assert result.returncode in {0, 1}, result.stdout + result.stderr  # 2: bad usage, 3: fatal error
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, findings


def test_actionlint_reports_no_findings(actionlint: list[str]) -> None:
    code, findings = actionlint_findings(actionlint, *WORKFLOWS)
    assert findings == [], "\n".join(f"{item['filepath']}:{item['line']}: {item['message']}" for item in findings)
    assert code == 0


def test_actionlint_reports_a_planted_error(actionlint: list[str], tmp_path: Path) -> None:
    planted = tmp_path / "planted.yml"
    planted.write_text(PLANTED)
    code, findings = actionlint_findings(actionlint, planted)
    assert code == 1
    assert [item["kind"] for item in findings] == ["job-needs", "expression"], findings
    assert '"github.event.pull_request.title" is potentially untrusted' in findings[1]["message"]


def test_actionlint_runs_shellcheck_on_the_scripts(actionlint: list[str], tmp_path: Path) -> None:
    """An unquoted variable in a `run:` script: only shellcheck reports it (SC2086), at the script's line."""
    planted = tmp_path / "unquoted.yml"
    planted.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "$A"\n      - run: |\n          echo "$B"\n          rm -rf $C/build\n'
    )
    code, findings = actionlint_findings(actionlint, planted)
    assert code == 1
    assert [(item["kind"], item["line"]) for item in findings] == [("shellcheck", 8)], findings
    assert "SC2086:info:2:" in findings[0]["message"]


def test_actionlint_knows_current_github_features(actionlint: list[str], tmp_path: Path) -> None:
    """The linter must know the `vars` context and current runner labels, which the workflows use."""
    current = tmp_path / "current.yml"
    current.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "$X"\n        env:\n          X: ${{ vars.SOMETHING }}\n'
    )
    assert actionlint_findings(actionlint, current) == (0, [])


def zizmor(path: Path) -> tuple[int, list[dict[str, Any]]]:
    assert ZIZMOR.exists(), f"{ZIZMOR} is missing: install zizmor into the venv (make venv)"
    result = run([str(ZIZMOR), "--offline", "--format", "json", "--no-progress", str(path)])
    assert result.stdout, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, findings


def test_zizmor_reports_no_findings() -> None:
    code, findings = zizmor(WORKFLOWS_DIR)
    assert findings == [], [(item["ident"], item["desc"]) for item in findings]
    assert code == 0


def test_zizmor_reports_a_planted_bad_workflow(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "planted.yml").write_text(PLANTED)
    code, findings = zizmor(workflows)
    assert code != 0
    assert {"artipacked", "dangerous-triggers", "excessive-permissions", "template-injection", "unpinned-uses"} <= {
        item["ident"] for item in findings
    }


################################################################################
# Pinning and privileges
################################################################################


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_with_its_release_in_a_comment(path: Path) -> None:
    found = 0
    for line in path.read_text().splitlines():
        match = USES_LINE.match(line)
        if not match:
            continue
        found += 1
        action, _, sha = match["ref"].partition("@")
        assert action in PINNED_ACTIONS, f"{path.name}: {action} is not in PINNED_ACTIONS"
        expected_sha, release = PINNED_ACTIONS[action]
        assert re.fullmatch(r"[0-9a-f]{40}", sha), line
        assert sha == expected_sha, f"{path.name}: {action} at {sha}, elsewhere at {expected_sha}"
        assert match["rest"].strip() == f"# {release}", line
    assert found > 0


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege(path: Path) -> None:
    """No permission at the top; each job says what it needs; checkouts keep no credentials."""
    document = load(path)
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        permissions = job["permissions"]
        assert permissions.get("contents") == "read", name
        assert set(permissions.values()) <= {"read", "write"}
        for checkout in step_uses(job, "actions/checkout"):
            assert checkout["with"]["persist-credentials"] is False, name


def test_write_permissions_are_where_they_are_needed_only() -> None:
    granted = {
        (path.name, job_name, scope)
        for path in WORKFLOWS
        for job_name, job in load(path)["jobs"].items()
        for scope, level in job["permissions"].items()
        if level == "write"
    }
    assert granted == {
        ("terraform.yml", "plan", "id-token"),
        ("terraform.yml", "apply", "id-token"),
        ("terraform.yml", "comment", "pull-requests"),
    }


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    """Values reach scripts through env: (a `${{ }}` in `run:` is pasted into the script before it runs)."""
    for job in load(path)["jobs"].values():
        for step in steps(job):
            assert "${{" not in step.get("run", ""), step
            assert "${{" not in step.get("with", {}).get("script", ""), step


def test_no_secret_is_used() -> None:
    """AWS access is OIDC only; repository variables carry nothing secret."""
    for path in WORKFLOWS:
        assert "secrets." not in path.read_text()


################################################################################
# ci.yml
################################################################################


def test_ci_runs_make_test_then_make_build_with_its_toolchains_and_caches() -> None:
    document = workflow("ci.yml")
    assert document["on"] == {"pull_request": None, "push": {"branches": ["main"]}}
    (job,) = document["jobs"].values()
    runs = [step["run"] for step in steps(job) if "run" in step]
    assert runs[-2:] == ["make test", "make build"]
    (python,) = step_uses(job, "actions/setup-python")
    assert python["with"]["python-version"] == "3.13"
    assert python["with"]["cache"] == "pip"
    assert "pyproject.toml" in python["with"]["cache-dependency-path"].split()
    engines, wheels = step_uses(job, "actions/cache")
    assert wheels["with"]["path"] == ".cache/wheels"
    assert "hashFiles('functions/requirements.txt', 'layers/pyarrow/requirements.txt')" in wheels["with"]["key"]
    # The aws provider and the Go linters are built from source, Trino downloaded: kept between runs, and
    # rebuilt when their pins change.
    assert {".cache/provider", ".cache/tools", ".cache/trino"} <= set(engines["with"]["path"].split())
    assert "hashFiles('tools/provider/**', 'tools/go/**', 'tools/trino/**')" in engines["with"]["key"]
    (go,) = step_uses(job, "actions/setup-go")
    assert go["with"]["go-version"] == "1.26"
    (java,) = step_uses(job, "actions/setup-java")
    assert (java["with"]["distribution"], java["with"]["java-version"]) == ("temurin", "25")
    (upload,) = step_uses(job, "actions/upload-artifact")
    assert upload["with"]["path"] == "dist/"
    assert steps(job).index(upload) == len(steps(job)) - 1
    assert "make test" in (REPO / ".ci" / "run").read_text()


################################################################################
# terraform.yml
################################################################################


def test_terraform_runs_on_pull_requests_and_pushes_to_main_touching_the_deployment() -> None:
    triggers = workflow("terraform.yml")["on"]
    assert triggers == {
        "pull_request": {"paths": TERRAFORM_PATHS},
        "push": {"branches": ["main"], "paths": TERRAFORM_PATHS},
    }


def test_terraform_version_is_pinned_exactly_and_supports_s3_locking() -> None:
    document = workflow("terraform.yml")
    version = document["env"]["TERRAFORM_VERSION"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert tuple(int(part) for part in version.split(".")) >= (1, 10, 0)
    for name in ("plan", "apply"):
        (setup,) = step_uses(document["jobs"][name], "hashicorp/setup-terraform")
        assert setup["with"] == {"terraform_version": "${{ env.TERRAFORM_VERSION }}", "terraform_wrapper": False}


def commands(job: dict[str, Any]) -> list[str]:
    """Each step's script, or the action it uses."""
    return [step.get("run") or str(step["uses"]).split("@")[0] for step in steps(job)]


def index_of(items: list[str], text: str) -> int:
    (index,) = [position for position, item in enumerate(items) if text in item]
    return index


@pytest.mark.parametrize("job_name", ["plan", "apply"])
def test_jobs_build_check_and_plan_in_order(job_name: str) -> None:
    job = workflow("terraform.yml")["jobs"][job_name]
    items = commands(job)
    order = [
        "actions/checkout",
        "hashicorp/setup-terraform",
        "terraform fmt -check -recursive terraform",
        "tools/ci/terraform_vars.py",
        'make build ARCH="$LAMBDA_ARCHITECTURE"',
        "aws-actions/configure-aws-credentials",
        "tools/ci/terraform-init",
        "terraform -chdir=terraform validate",
        "-out=tfplan",
        "terraform-plan-report.cjs summary",
        "actions/upload-artifact",
    ]
    positions = [index_of(items, text) for text in order]
    assert positions == sorted(positions), list(zip(order, positions, strict=True))
    (build,) = [step for step in steps(job) if "make build" in step.get("run", "")]
    assert build["env"] == {"LAMBDA_ARCHITECTURE": "${{ steps.variables.outputs.lambda_architecture }}"}
    (variables,) = [step for step in steps(job) if step.get("id") == "variables"]
    assert variables["env"] == {"TF_VARS_JSON": "${{ vars.TF_VARS_JSON }}"}
    (init,) = [step for step in steps(job) if step.get("run") == "tools/ci/terraform-init"]
    assert init["env"] == {
        "TF_STATE_BUCKET": "${{ vars.TF_STATE_BUCKET }}",
        "TF_STATE_KEY": "${{ vars.TF_STATE_KEY }}",
        "AWS_REGION": "${{ vars.AWS_REGION }}",
    }


def test_plan_job_uses_the_plan_role_for_same_repository_pull_requests_only() -> None:
    job = workflow("terraform.yml")["jobs"]["plan"]
    assert job["if"] == (
        "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository"
    )
    assert "environment" not in job
    (credentials,) = step_uses(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert credentials["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    (upload,) = step_uses(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "terraform-plan"
    assert upload["with"]["path"].split() == ["plan.txt", "plan-exitcode.txt"], "never the tfplan file (secrets)"


def test_comment_job_posts_the_plan_without_aws_access() -> None:
    job = workflow("terraform.yml")["jobs"]["comment"]
    assert job["needs"] == "plan"
    assert not step_uses(job, "aws-actions/configure-aws-credentials")
    (download,) = step_uses(job, "actions/download-artifact")
    assert download["with"] == {"name": "terraform-plan", "path": "plan"}
    (script,) = step_uses(job, "actions/github-script")
    assert 'require("./.github/scripts/terraform-plan-report.cjs")' in script["with"]["script"]
    assert 'planPath: "plan/plan.txt"' in script["with"]["script"]


def test_apply_job_runs_in_production_one_at_a_time_and_applies_its_own_fresh_plan() -> None:
    job = workflow("terraform.yml")["jobs"]["apply"]
    assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert job["environment"] == "production"
    assert job["concurrency"] == {"group": "terraform-apply", "cancel-in-progress": False}
    (credentials,) = step_uses(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_APPLY_ROLE_ARN }}"
    assert not step_uses(job, "actions/cache"), "what is deployed is built without restored caches"
    items = commands(job)
    (apply,) = [step for step in steps(job) if "terraform -chdir=terraform apply" in step.get("run", "")]
    assert apply["run"].endswith(" tfplan")
    assert apply["if"] == "steps.plan.outputs.exitcode == '2'"
    assert index_of(items, "-out=tfplan") < index_of(items, "terraform -chdir=terraform apply") == len(items) - 1


FAKE_PLANNING_TERRAFORM = """#!/usr/bin/env bash
case "$2" in
  plan) echo "Refreshing state..."; echo "Error: or a plan"; exit "$FAKE_PLAN_STATUS" ;;
  show) echo "Plan: 1 to add, 0 to change, 0 to destroy." ;;
esac
"""


@pytest.mark.parametrize(
    ("job_name", "status", "step_fails", "plan_text"),
    [
        ("plan", 0, False, "Plan: 1 to add"),
        ("plan", 2, False, "Plan: 1 to add"),
        ("plan", 1, False, "Error: or a plan"),  # reported first; a later step fails the job
        ("apply", 2, False, "Plan: 1 to add"),
        ("apply", 1, True, "Error: or a plan"),
    ],
)
def test_plan_step_keeps_the_plan_and_its_exit_code(
    tmp_path: Path, job_name: str, status: int, step_fails: bool, plan_text: str
) -> None:
    """The plan step's script, run as GitHub runs it (bash -eo pipefail) with a stand-in terraform."""
    (plan_step,) = [step for step in steps(workflow("terraform.yml")["jobs"][job_name]) if step.get("id") == "plan"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").write_text(FAKE_PLANNING_TERRAFORM)
    (bin_dir / "terraform").chmod(0o755)
    (tmp_path / "step.sh").write_text(plan_step["run"])
    output = tmp_path / "github-output"
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "FAKE_PLAN_STATUS": str(status),
    }
    result = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "step.sh"], cwd=tmp_path, env=environment)
    assert (result.returncode != 0) is step_fails, result.stdout + result.stderr
    assert "Refreshing state..." in result.stdout, "the plan streams to the log"
    assert (tmp_path / "plan-exitcode.txt").read_text() == f"{status}\n"
    assert output.read_text() == f"exitcode={status}\n"
    assert plan_text in (tmp_path / "plan.txt").read_text()


################################################################################
# tools/ci scripts
################################################################################


def fake_terraform(tmp_path: Path) -> Path:
    """A `terraform` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{tmp_path}/terraform-args"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_terraform_init_writes_an_s3_backend_with_native_locking(tmp_path: Path) -> None:
    bin_dir = fake_terraform(tmp_path)
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "TERRAFORM_DIR": str(tmp_path),
        "TF_STATE_BUCKET": "state-bucket",
        "TF_STATE_KEY": "telegram-datalake/terraform.tfstate",
        "AWS_REGION": "sa-east-1",
    }
    result = run([str(TERRAFORM_INIT)], env=environment)
    assert result.returncode == 0, result.stderr
    backend = (tmp_path / "backend_override.tf").read_text()
    assert 'backend "s3" {' in backend
    assert re.search(r"^\s*use_lockfile\s*=\s*true$", backend, re.MULTILINE)
    assert "dynamodb" not in backend
    assert (tmp_path / "terraform-args").read_text().splitlines() == [
        f"-chdir={tmp_path}",
        "init",
        "-input=false",
        "-no-color",
        "-backend-config=bucket=state-bucket",
        "-backend-config=key=telegram-datalake/terraform.tfstate",
        "-backend-config=region=sa-east-1",
    ]
    del environment["TF_STATE_BUCKET"]
    missing = run([str(TERRAFORM_INIT)], env=environment)
    assert missing.returncode != 0
    assert "TF_STATE_BUCKET" in missing.stderr


ROLE_SCOPE = {
    "TF_VAR_aws_region": "sa-east-1",
    "TF_VAR_name_prefix": "chat-lake",
    "TF_VAR_permissions_boundary_arn": "arn:aws:iam::123456789012:policy/github-actions/chat-lake-ci-pipeline-boundary",
}


def run_terraform_vars(
    tmp_path: Path, value: str, scope: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path / "github-output"
    output.write_text("")
    environment = {**os.environ, "TF_VARS_JSON": value, "TERRAFORM_DIR": str(tmp_path), "GITHUB_OUTPUT": str(output)}
    environment.update(ROLE_SCOPE if scope is None else scope)
    return run([sys.executable, str(TERRAFORM_VARS)], env=environment), output


def test_terraform_gets_the_role_scope_from_the_repository_variables_the_roles_were_scoped_with() -> None:
    """Region, name prefix and boundary reach Terraform from the bootstrap's outputs, for every job."""
    document = workflow("terraform.yml")
    assert {key: value for key, value in document["env"].items() if key.startswith("TF_VAR_")} == {
        "TF_VAR_aws_region": "${{ vars.AWS_REGION }}",
        "TF_VAR_name_prefix": "${{ vars.NAME_PREFIX }}",
        "TF_VAR_permissions_boundary_arn": "${{ vars.PERMISSIONS_BOUNDARY_ARN }}",
    }
    for job in document["jobs"].values():
        for step in steps(job):
            assert not any(key.startswith("TF_VAR_") for key in step.get("env", {})), "no job overrides them"
    bootstrap = load_module(BOOTSTRAP_DIR)
    outputs = {name: body for block in bootstrap["output"] for name, body in block.items()}
    assert outputs["aws_region"]["value"] == "${var.aws_region}"
    assert outputs["name_prefix"]["value"] == "${var.name_prefix}"


@pytest.mark.parametrize("name", ["aws_region", "name_prefix", "permissions_boundary_arn"])
def test_terraform_vars_refuses_the_role_scope_in_tf_vars_json(tmp_path: Path, name: str) -> None:
    """A *.auto.tfvars.json value would win over TF_VAR_*: the Region could differ from the roles' one."""
    result, output = run_terraform_vars(tmp_path, json.dumps({"allowed_chat_ids": ["*"], name: "x"}))
    assert result.returncode == 1
    assert f"TF_VARS_JSON sets {name}" in result.stderr
    assert output.read_text() == ""
    assert not (tmp_path / "ci.auto.tfvars.json").exists()


def test_terraform_vars_names_a_missing_repository_variable(tmp_path: Path) -> None:
    result, _ = run_terraform_vars(tmp_path, '{"allowed_chat_ids": ["*"]}', {**ROLE_SCOPE, "TF_VAR_aws_region": ""})
    assert result.returncode == 1
    assert "the repository variable AWS_REGION is empty" in result.stderr
    assert "output -raw aws_region" in result.stderr


def test_terraform_vars_writes_the_variables_and_reports_the_architecture(tmp_path: Path) -> None:
    variables = {"allowed_chat_ids": ["-1001234567890"], "lambda_architecture": "x86_64"}
    result, output = run_terraform_vars(tmp_path, json.dumps(variables))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "ci.auto.tfvars.json").read_text()) == variables
    assert output.read_text() == "lambda_architecture=x86_64\n"
    assert "-1001234567890" not in result.stdout + result.stderr, "values stay out of the log"
    result, output = run_terraform_vars(tmp_path, '{"allowed_chat_ids": ["*"]}')
    assert output.read_text() == "lambda_architecture=arm64\n"


@pytest.mark.parametrize("value", ["", "[1, 2]", "{not json", '{"lambda_architecture": "x86"}'])
def test_terraform_vars_rejects_what_is_not_a_variables_object(tmp_path: Path, value: str) -> None:
    result, output = run_terraform_vars(tmp_path, value)
    assert result.returncode == 1
    assert not (tmp_path / "ci.auto.tfvars.json").exists()
    assert output.read_text() == ""


################################################################################
# The plan report (pull request comment, job summary)
################################################################################


def node_json(node: str, script: str, tmp_path: Path) -> Any:
    """Runs a CommonJS snippet with `report` loaded; it prints one JSON value."""
    harness = tmp_path / "harness.cjs"
    harness.write_text(
        f"const report = require({json.dumps(str(REPORT_SCRIPT))});\n(async () => {{\n{script}\n}})();\n"
    )
    result = run([node, str(harness)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_truncation_never_splits_a_character(node: str, tmp_path: Path) -> None:
    """By UTF-16 units (the comment) and by UTF-8 bytes (the summary), for every budget."""
    failures = node_json(
        node,
        r"""
        const text = "a😀é中\n".repeat(40) + "𝄞".repeat(30);
        const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
        const failures = [];
        for (let budget = 0; budget <= text.length + 2; budget += 1) {
          for (const [name, measure] of [["utf16", report.utf16Units], ["utf8", report.utf8Bytes]]) {
            const { text: cut, truncated } = report.truncate(text, budget, measure);
            const ok = text.startsWith(cut) && measure(cut) <= budget && !loneSurrogate.test(cut)
              && truncated === (measure(text) > budget);
            if (!ok) failures.push([name, budget, cut.length]);
          }
        }
        console.log(JSON.stringify(failures));
        """,
        tmp_path,
    )
    assert failures == []


def test_a_huge_plan_is_cut_under_the_comment_limit_with_a_note(node: str, tmp_path: Path) -> None:
    result = node_json(
        node,
        r"""
        const plan = "  # aws_s3_object.layer will be updated in-place 😀\n".repeat(3000)
          + "Plan: 1 to add, 2 to change, 0 to destroy.\n";
        const options = { limit: report.COMMENT_LIMIT, marker: report.MARKER, url: null };
        const body = report.render({ plan, exitCode: 2, ...options });
        const noChanges = "No changes. Your infrastructure matches the configuration.\n";
        const small = report.render({ plan: noChanges, exitCode: 0, ...options });
        const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(body);
        const codePoints = [...body].length;
        console.log(JSON.stringify({ planLength: plan.length, length: body.length, codePoints, lone, body, small }));
        """,
        tmp_path,
    )
    body: str = result["body"]
    assert result["planLength"] > 65_536
    assert 60_000 < result["length"] <= 65_536
    assert result["codePoints"] <= 65_536
    assert not result["lone"]
    assert body.startswith("<!-- terraform-plan -->\n### ✅ Terraform plan: Plan: 1 to add, 2 to change, 0 to destroy.")
    assert "The plan is cut to GitHub's limit" in body
    assert "`terraform-plan` artifact" in body
    assert body.count("```") == 2, "the code block is closed"
    small: str = result["small"]
    assert "No changes." in small.splitlines()[1]
    assert "cut to GitHub's limit" not in small


def test_the_fence_outgrows_backticks_in_the_plan(node: str, tmp_path: Path) -> None:
    body = node_json(
        node,
        'const plan = "x = \\"````\\"\\n";\n'
        "console.log(JSON.stringify(report.render({ plan, exitCode: 2, limit: 1000, url: null })));",
        tmp_path,
    )
    assert "`````text\n" in body
    assert body.rstrip().endswith("`````\n\n</details>".rstrip())


def test_a_failed_or_missing_plan_is_reported_as_such(node: str, tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("Error: No valid credential sources found\n")
    (tmp_path / "code.txt").write_text("1\n")
    result = node_json(
        node,
        """
        const failed = report.summary({ planPath: "log.txt", exitCodePath: "code.txt" });
        const missing = report.summary({ planPath: "nothing.txt", exitCodePath: "nothing-either.txt" });
        console.log(JSON.stringify({ failed, missing }));
        """,
        tmp_path,
    )
    assert "### ❌ Terraform plan: failed (exit code 1)" in result["failed"]
    assert "<details open>" in result["failed"]
    assert "No valid credential sources found" in result["failed"]
    assert "no plan: the job failed before planning" in result["missing"]


def test_the_summary_cli_stays_under_one_mebibyte(node: str, tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_text(
        '  + résumé = "中文 😀"\n' * 100_000 + "Plan: 9 to add, 0 to change, 0 to destroy.\n"
    )
    (tmp_path / "code.txt").write_text("2\n")
    environment = {**os.environ, "GITHUB_SHA": "0123abc", "GITHUB_SERVER_URL": "https://github.com"}
    result = run(
        [node, str(REPORT_SCRIPT), "summary", "plan.txt", "code.txt", "Plan title"], cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stderr
    size = len(result.stdout.encode())
    assert 1_000_000 < size <= 1024 * 1024
    assert result.stdout.startswith("### ✅ Plan title: Plan: 9 to add, 0 to change, 0 to destroy.\n\ncommit `0123abc`")
    assert run([node, str(REPORT_SCRIPT)], cwd=tmp_path).returncode == 2


FAKE_GITHUB = r"""
const calls = [];
const github = {
  paginate: async (method, parameters) => { calls.push(["list", parameters.issue_number]); return COMMENTS; },
  rest: { issues: {
    listComments: "listComments",
    createComment: async (parameters) => {
      calls.push(["create", parameters.issue_number]);
      return { data: { id: 99 } };
    },
    updateComment: async (parameters) => {
      calls.push(["update", parameters.comment_id, parameters.body.slice(0, 23)]);
      return {};
    },
  } },
};
const context = {
  repo: { owner: "o", repo: "r" },
  issue: { number: 7 },
  sha: "merge",
  payload: { pull_request: { head: { sha: "head" } } },
};
const core = { info: () => {} };
const result = await report.comment({ github, context, core, planPath: "plan.txt", exitCodePath: "code.txt" });
console.log(JSON.stringify({ result, calls }));
"""


@pytest.mark.parametrize(
    ("comments", "expected_calls"),
    [
        ("[]", [["list", 7], ["create", 7]]),
        (
            '[{ id: 1, user: { login: "someone" }, body: "lgtm" },'
            ' { id: 5, user: { login: "github-actions[bot]" }, body: "<!-- terraform-plan -->\\nold" }]',
            [["list", 7], ["update", 5, "<!-- terraform-plan -->"]],
        ),
        (
            '[{ id: 3, user: { login: "mallory" }, body: "<!-- terraform-plan -->\\nfake" }]',
            [["list", 7], ["create", 7]],
        ),
    ],
    ids=["first-plan", "updates-its-own-comment", "ignores-a-comment-by-anyone-else"],
)
def test_one_plan_comment_per_pull_request(node: str, tmp_path: Path, comments: str, expected_calls: list[Any]) -> None:
    (tmp_path / "plan.txt").write_text("No changes. Your infrastructure matches the configuration.\n")
    (tmp_path / "code.txt").write_text("0")
    output = node_json(node, FAKE_GITHUB.replace("COMMENTS", comments), tmp_path)
    assert output["calls"] == expected_calls
