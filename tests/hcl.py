"""Reading the Terraform configuration with python-hcl2, with its quoting undone, for structural tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[1]
TERRAFORM_DIR = REPO / "terraform"
MODULES_DIR = TERRAFORM_DIR / "modules"
# The one-time setup for GitHub Actions (state bucket, OIDC provider, plan and apply roles): a root
# module of its own, applied by hand before the pipeline.
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted (``'"x"'``) and bare expressions as ``'${expr}'``."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if isinstance(value, list):
        return [unquote(item) for item in value]
    if isinstance(value, dict):
        return {unquote(key): unquote(item) for key, item in value.items() if key != "__is_block__"}
    return value


def load_module(directory: Path) -> dict[str, Any]:
    """Every top-level block of a module's ``*.tf`` files, merged by block kind."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for kind, blocks in unquote(hcl2.load(handle)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def labelled_blocks(module: dict[str, Any], kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(type, name, body)`` of each ``resource`` or ``data`` block."""
    for block in module.get(kind, []):
        for type_name, named in block.items():
            for name, body in named.items():
                yield type_name, name, body


def pipeline_module_dirs() -> list[Path]:
    """The pipeline's root module and every child module."""
    return [TERRAFORM_DIR, *sorted(path for path in MODULES_DIR.iterdir() if path.is_dir())]


def module_dirs() -> list[Path]:
    """Every Terraform module of the repository: the pipeline's, and the bootstrap root module."""
    return [*pipeline_module_dirs(), BOOTSTRAP_DIR]
