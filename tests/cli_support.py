"""Running the CLI from tests: in-process (its exit status, argparse's too, stdout and stderr), or
``serve`` in a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from telegram_datalake.cli import main

ROOT = Path(__file__).resolve().parents[1]


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


@dataclass
class Served:
    """A ``serve`` process: what it printed up to its "It answers" line, then the rest of its stdout and its
    stderr once stopped."""

    process: subprocess.Popen[str]
    printed: str = ""
    rest: str = ""
    errors: str = ""


@contextmanager
def serve_process(*args: str) -> Iterator[Served]:
    """``telegram-datalake serve ARGS`` in a process, once it printed how to reach it; SIGTERM at the end
    (the process is killed if the block fails or it does not stop)."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "telegram_datalake.cli", "serve", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(process)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            served.printed += line
            if line.startswith("It answers"):
                break
        yield served
        process.send_signal(signal.SIGTERM)
        served.rest, served.errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
