"""What every benchmark shares: its result (figures for the JSON file, lines for the table) and the machine."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


@dataclass
class Result:
    """One benchmark's figures (JSON-ready) and the table lines that show them."""

    title: str
    figures: dict[str, Any]
    lines: list[tuple[str, str]] = field(default_factory=list)  # (figure, value)
    notes: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.lines.append((label, value))

    def as_json(self) -> dict[str, Any]:
        return {**self.figures, "goals": [goal.as_json() for goal in self.goals], "notes": self.notes}

    def render(self) -> str:
        width = max((len(label) for label, _ in self.lines), default=0)
        rows = [f"  {label.ljust(width)}  {value}" for label, value in self.lines]
        rows += [f"  {goal}" for goal in self.goals]
        rows += [f"  note: {note}" for note in self.notes]
        return "\n".join([self.title, "=" * len(self.title), *rows])


@dataclass(frozen=True)
class Goal:
    """A target a figure must meet."""

    name: str
    target: str
    measured: str
    met: bool

    def __str__(self) -> str:
        return f"{'MET ' if self.met else 'MISS'}  {self.name}: {self.measured} (goal {self.target})"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "measured": self.measured, "met": self.met}


def peak_rss_mb() -> float:
    """This process's peak resident set size so far: /proc's VmHWM where there is one, since Linux carries
    ru_maxrss across exec (a child started by a large parent would report the parent's size); else
    ru_maxrss (in KiB on Linux, in bytes on macOS)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    """This process's resident set size now (where /proc tells it; else the peak so far)."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return peak_rss_mb()
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load average says whether the machine was busy."""
    import pyarrow as pa  # noqa: PLC0415 - only for its version

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line), ""
        )
    return {
        "python": sys.version.split()[0],
        "pyarrow": pa.__version__,
        "machine": platform.machine(),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def per_second(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def child_figures(module: str, arguments: list[str], environment: dict[str, str] | None = None) -> dict[str, Any]:
    """``python -m module ARGUMENTS`` in a fresh interpreter (its peak RSS is its own), and the figures it
    prints as JSON on its last line; RuntimeError with its output when it fails."""
    command = [sys.executable, "-m", module, *arguments]
    completed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        command, cwd=REPO, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{completed.stderr}{completed.stdout}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures
