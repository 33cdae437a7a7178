"""Running the CLI in-process from tests: its exit status (argparse's too), stdout and stderr."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from telegram_datalake.cli import main


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """``telegram-datalake ARGS`` in this process."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse refusing an argument
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
