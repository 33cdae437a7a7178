"""The tables of the Terraform module READMEs are terraform-docs's, from the modules as they are: never stale.

Each module's README carries its Requirements, Providers, Modules, Resources, Inputs and Outputs between
`<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`, written by `make docs` (.terraform-docs.yml). terraform-docs is
built from its Go module (tools/go/terraform-docs) into .cache/tools/bin: this module runs `make terraform-docs`
first, which builds it when it is missing or re-pinned, so a fresh clone's `make test` needs only Go.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
TERRAFORM_DOCS = REPO / ".cache" / "tools" / "bin" / "terraform-docs"
CONFIG = REPO / ".terraform-docs.yml"
TERRAFORM = REPO / "terraform"
# Every module but the root one (documented in the top-level README.md): the bootstrap and terraform/modules/*.
MODULES = [TERRAFORM / "bootstrap", *sorted(path.parent for path in (TERRAFORM / "modules").glob("*/main.tf"))]
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603


@pytest.fixture(scope="module")
def terraform_docs() -> Path:
    """The pinned terraform-docs, (re)built by the Makefile's own target when missing or stale."""
    environment = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = run(["make", "--no-print-directory", "terraform-docs"], cwd=REPO, env=environment)
    assert result.returncode == 0, f"make terraform-docs failed:\n{result.stdout}{result.stderr}"
    return TERRAFORM_DOCS


def check(terraform_docs: Path, module: Path) -> subprocess.CompletedProcess[str]:
    """terraform-docs in check mode: exit status 1 when the README's block differs from what it would write."""
    return run([str(terraform_docs), "--config", str(CONFIG), "--output-check", str(module)], cwd=REPO)


def test_the_modules_are_every_terraform_folder_but_the_root() -> None:
    folders = {path.parent for path in TERRAFORM.rglob("*.tf") if ".terraform" not in path.parts}
    assert folders == {TERRAFORM, *MODULES}
    assert len(MODULES) == 8


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(TERRAFORM)))
def test_each_readme_has_one_generated_block_at_its_end(module: Path) -> None:
    text = (module / "README.md").read_text()
    assert text.count(BEGIN) == 1, f"{module}/README.md: add {BEGIN} and {END}, then run `make docs`"
    assert text.count(END) == 1
    assert text.index(BEGIN) < text.index(END)
    assert text.endswith(f"{END}\n"), "prose goes above the tables"
    block = text[text.index(BEGIN) : text.index(END)]
    assert "## Inputs" in block
    assert "## Outputs" in block


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(TERRAFORM)))
def test_readme_tables_are_up_to_date(terraform_docs: Path, module: Path) -> None:
    result = check(terraform_docs, module)
    readme = (module / "README.md").relative_to(REPO)
    assert result.returncode == 0, (
        f"{readme} is out of date with its module's variables, outputs or resources: run `make docs`\n"
        f"{result.stdout}{result.stderr}"
    )
    assert result.stdout.strip() == f"{module}/README.md is up to date"


def test_the_check_fails_on_a_stale_readme_until_make_docs_rewrites_it(terraform_docs: Path, tmp_path: Path) -> None:
    """A new variable makes a README stale; writing the docs (what `make docs` does) brings it back."""
    module = tmp_path / "etl"
    shutil.copytree(TERRAFORM / "modules" / "etl", module)
    assert check(terraform_docs, module).returncode == 0
    prose = (module / "README.md").read_text().split(BEGIN)[0]
    with (module / "variables.tf").open("a") as variables:
        variables.write('\nvariable "planted" {\n  description = "A planted input."\n  type        = string\n}\n')
    stale = check(terraform_docs, module)
    assert stale.returncode == 1
    assert "README.md is out of date" in stale.stderr
    written = run([str(terraform_docs), "--config", str(CONFIG), str(module)], cwd=REPO)
    assert written.returncode == 0, written.stderr
    assert check(terraform_docs, module).returncode == 0
    text = (module / "README.md").read_text()
    assert text.split(BEGIN)[0] == prose, "the prose above the tables is kept"
    assert "[planted](#input\\_planted) | A planted input. | `string` | n/a | yes |" in text


def test_placeholders_in_descriptions_are_escaped_not_taken_for_html(terraform_docs: Path, tmp_path: Path) -> None:
    """GitHub drops unknown HTML tags: a description's <region> must reach the README as &lt;region&gt;."""
    module = tmp_path / "placeholders"
    module.mkdir()
    (module / "main.tf").write_text(
        'variable "bucket" {\n  description = "Named <name_prefix>-<purpose>-<account id>-<region>."\n'
        "  type = object({\n    name = string\n    arn  = string\n  })\n}\n"
    )
    (module / "README.md").write_text(f"# placeholders\n\n{BEGIN}\n{END}\n")
    written = run([str(terraform_docs), "--config", str(CONFIG), str(module)], cwd=REPO)
    assert written.returncode == 0, written.stderr
    text = (module / "README.md").read_text()
    assert "Named &lt;name\\_prefix&gt;-&lt;purpose&gt;-&lt;account id&gt;-&lt;region&gt;." in text
    assert "<pre>object({<br/>" in text, "the HTML terraform-docs writes itself is kept"
