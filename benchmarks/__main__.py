"""Every benchmark, one after another: prints the table and writes the figures as JSON (``make bench``).

Run: ``python -m benchmarks [--only transform,storage] [--output .bench/results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import chat_report, cold_start, desktop_import, etl_moto, ingest, storage, transform
from benchmarks.report import REPO, Result, machine

BENCHMARKS: dict[str, Callable[[], Result]] = {
    "transform": transform.run,
    "etl-moto": etl_moto.run,
    "ingest": ingest.run,
    "storage": storage.run,
    "cold-start": cold_start.run,
    "import": desktop_import.run,
    "report": chat_report.run,
}
DEFAULT_OUTPUT = REPO / ".bench" / "results.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", type=lambda text: text.split(","), default=list(BENCHMARKS), help=f"of {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON file (default: %(default)s)")
    arguments = parser.parse_args()
    unknown = sorted(set(arguments.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {', '.join(BENCHMARKS)}")

    started = time.perf_counter()
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "benchmarks": {},
    }
    print(f"telegram-datalake benchmarks on {report['machine']}\n", flush=True)
    results: list[Result] = []
    for name in arguments.only:
        section_started = time.perf_counter()
        result = BENCHMARKS[name]()
        result.figures["benchmark_seconds"] = round(time.perf_counter() - section_started, 1)
        report["benchmarks"][name] = result.as_json()
        results.append(result)
        print(f"{result.render()}\n  ({result.figures['benchmark_seconds']:.0f} s)\n", flush=True)

    goals = [goal for result in results for goal in result.goals]
    report["goals_met"] = all(goal.met for goal in goals)
    report["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=2) + "\n")
    print("Goals", "=====", *(f"  {goal}" for goal in goals), sep="\n")
    shown = arguments.output.relative_to(REPO) if arguments.output.is_relative_to(REPO) else arguments.output
    print(f"\n{len(results)} benchmarks in {report['seconds']:.0f} s; figures in {shown}")


if __name__ == "__main__":
    main()
