"""The hashicorp/aws provider the Terraform tests run: built here from its Go module by tools/provider/build.py."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

from tests.hcl import REPO

BUILD_SCRIPT = REPO / "tools" / "provider" / "build.py"
# A first build compiles the provider (minutes on two cores); then the script only finds it.
BUILD_TIMEOUT_SECONDS = 3600


@functools.cache
def provider_cli_configuration() -> Path:
    """The Terraform CLI configuration (``TF_CLI_CONFIG_FILE``) that takes hashicorp/aws from the local build."""
    built = subprocess.run(  # noqa: S603 - this interpreter, the project's script
        [sys.executable, str(BUILD_SCRIPT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    return Path(built.stdout.strip().splitlines()[-1])
