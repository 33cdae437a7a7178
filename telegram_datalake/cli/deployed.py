"""The deployed pipeline's names: the option the user gave, else the Terraform output, read only when needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.terraform_outputs import DEFAULT_TERRAFORM_DIR, output_value, read_outputs


def add_terraform_dir_option(parser: Any) -> None:
    """``--terraform-dir``, the root module whose state names the deployed resources."""
    parser.add_argument(
        "--terraform-dir",
        type=Path,
        default=DEFAULT_TERRAFORM_DIR,
        metavar="DIR",
        help="Terraform root module whose outputs name the deployed resources (default: %(default)s)",
    )


class Deployment:
    """Terraform outputs of ``directory``, read once and only if an option was left out."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._outputs: dict[str, Any] | None = None

    def name(self, given: str | None, output: str, instead: str) -> str:
        """``given`` if the user gave it, else the string output ``output`` of the Terraform state.

        ``instead`` tells the user how to give the value without Terraform (``pass --bucket``).
        """
        if given:
            return given
        try:
            value = self.value(output)
        except CliError as error:
            raise CliError(f"{error} (or {instead})") from error
        if not isinstance(value, str) or not value:
            raise CliError(f"Terraform output {output!r} is not a name: {instead}")
        return value

    def value(self, output: str) -> Any:
        """The output's value, whatever its type; CliError when the state cannot be read or lacks it."""
        if self._outputs is None:
            self._outputs = read_outputs(self.directory)
        return output_value(self._outputs, output)
