"""One pin of the hashicorp/aws provider: what terraform/ requires is what the tests build and run."""

from __future__ import annotations

import json

from tests.hcl import BOOTSTRAP_DIR, REPO, TERRAFORM_DIR, load_module

PIN = json.loads((REPO / "tools" / "provider" / "aws-provider.json").read_text())


def required_aws_version(directory: str) -> str:
    (terraform,) = load_module(TERRAFORM_DIR if directory == "root" else BOOTSTRAP_DIR)["terraform"]
    version: str = terraform["required_providers"][0]["aws"]["version"]
    return version


def test_the_root_modules_require_exactly_the_version_the_tests_build() -> None:
    """A user's `terraform init` downloads the release the tests validated, planned and applied."""
    assert required_aws_version("root") == required_aws_version("bootstrap") == PIN["terraform_version"]


def test_the_build_is_of_the_provider_module_at_a_pinned_hash() -> None:
    assert PIN["module"] == "github.com/hashicorp/terraform-provider-aws"
    assert PIN["go_version"].startswith("v1.60.1-0.")  # the module's pseudo-versions: no /v6 path in its go.mod
    assert PIN["go_sum"].startswith("h1:")
    assert PIN["services"] == sorted(set(PIN["services"]))
