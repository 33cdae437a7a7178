"""ETL transform without S3: a day's raw JSON bodies in memory → Parquet bytes, on one core.

Exactly the job's code path minus S3 (``functions/etl/job.py``): ``flatten_objects`` (parse and flatten
each body into the rows of every table), ``DayRows.tables`` (de-duplicate, sort, build the Arrow tables) and
``to_parquet`` of each, with the previous day's update ids as ``stored_the_day_before`` would return them.
The day is mixed: messages, edits, member changes, reactions and a few raw-only updates.

Each size runs in a fresh interpreter, pinned to one core with pyarrow on one thread, so its peak RSS
is its own. The bodies are generated before the clock starts: their memory counts in the RSS (reported
apart), not their generation in the time. Time is the best of a few runs (one for 1M); messages are
raw updates in, whether or not they become a row.

Run one size: ``python -m benchmarks.transform 100000``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks.report import REPO, Goal, Result, current_rss_mb, peak_rss_mb

SIZES = (10_000, 100_000, 1_000_000)
REPEATS = {10_000: 5, 100_000: 3}  # best of; larger sizes run once
GOAL_PER_SECOND = 100_000
GOAL_PEAK_RSS_MB_AT_100K = 300
GOAL_LINEARITY = 1.25  # per-message time at 1M over 10k


def default_core() -> int | None:
    """The last core this process may run on (on a small machine, the one the shell is least likely on);
    None where a process cannot be pinned (macOS)."""
    return max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def measure(count: int, core: int | None, repeats: int) -> dict[str, Any]:
    """In this process: pin, generate, then time the transform ``repeats`` times; the fastest run counts."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    import pyarrow as pa  # noqa: PLC0415 - imported here so the child's baseline RSS includes it

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    from benchmarks.synthetic import DAY, synthetic_day  # noqa: PLC0415
    from functions.etl.job import DaySummary, flatten_objects  # noqa: PLC0415
    from functions.etl.table import to_parquet  # noqa: PLC0415

    baseline = current_rss_mb()
    day = synthetic_day(count)
    bodies_mb = (day.raw_bytes + sys.getsizeof(b"") * len(day.bodies)) / 1024 / 1024
    gc.collect()
    after_bodies = current_rss_mb()
    runs: list[dict[str, float]] = []
    for _ in range(repeats):
        summary = DaySummary(date=DAY)
        started, cpu = time.perf_counter(), time.process_time()
        rows = flatten_objects((("in-memory", body) for body in day.bodies), summary)
        flattened = time.perf_counter()
        tables = rows.tables(day.earlier_update_ids)
        del rows
        tabled = time.perf_counter()
        parquet = [to_parquet(table) for table, _ in tables.values() if table.num_rows]
        ended, cpu = time.perf_counter(), time.process_time() - cpu
        rows_written = {name: table.num_rows for name, (table, _) in tables.items()}
        duplicates = tables["telegram"][1]
        del tables
        runs.append(
            {
                "seconds": ended - started,
                "cpu_seconds": cpu,
                "flatten_seconds": flattened - started,
                "table_seconds": tabled - flattened,
                "parquet_seconds": ended - tabled,
            }
        )
        expected = ({"telegram": day.rows, **day.table_rows}, day.duplicates, day.without_row, 0)
        got = (rows_written, duplicates, summary.updates_without_row, summary.skipped)
        if got != expected:  # a benchmark that lost or invented rows is void
            raise SystemExit(f"{count} updates: (rows, duplicates, raw only, skipped) {got}, expected {expected}")
    best = min(runs, key=lambda run: run["seconds"])
    return {
        "messages": count,
        "rows": {"telegram": day.rows, **day.table_rows},
        "runs": repeats,
        **{key: round(value, 4) for key, value in best.items()},
        "messages_per_second": round(count / best["seconds"]),
        "messages_per_cpu_second": round(count / best["cpu_seconds"]),
        "microseconds_per_message": round(best["seconds"] / count * 1e6, 3),
        "rss_after_imports_mb": round(baseline, 1),
        "rss_after_bodies_mb": round(after_bodies, 1),
        "bodies_mb": round(bodies_mb, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "raw_bytes": day.raw_bytes,
        "parquet_bytes": sum(map(len, parquet)),
    }


def run_child(count: int, core: int | None) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so the peak RSS belongs to this size alone."""
    pinning = ["--core", str(core)] if core is not None else []
    command = [sys.executable, "-m", "benchmarks.transform", str(count), *pinning, "--json"]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(f"transform benchmark for {count} failed:\n{completed.stderr}{completed.stdout}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def run(sizes: tuple[int, ...] = SIZES, core: int | None = None) -> Result:
    """Every size, each in its own interpreter, and the goals."""
    pinned = default_core() if core is None else core
    by_size = {count: run_child(count, pinned) for count in sizes}
    title = (
        "ETL transform of a mixed day (messages, edits, members, reactions): raw JSON in memory -> the four"
        f" tables' Parquet bytes, {'one core' if pinned is not None else 'not pinned'}"
    )
    result = Result(title, {"core": pinned, "sizes": by_size})
    for count, figures in by_size.items():
        result.add(
            f"{count:>9,} updates",
            f"{figures['messages_per_second']:>9,} updates/s  {figures['microseconds_per_message']:6.2f} us/update"
            f"  (CPU {figures['messages_per_cpu_second']:,}/s; flatten {figures['flatten_seconds']:.3f} s,"
            f" table {figures['table_seconds']:.3f} s, parquet {figures['parquet_seconds']:.3f} s;"
            f" best of {figures['runs']})",
        )
    for count, figures in by_size.items():
        own = figures["peak_rss_mb"] - figures["rss_after_bodies_mb"]
        result.add(
            f"{count:>9,} RSS",
            f"peak {figures['peak_rss_mb']:,.0f} MB = after imports {figures['rss_after_imports_mb']:.0f} MB"
            f" + bodies {figures['rss_after_bodies_mb'] - figures['rss_after_imports_mb']:,.0f} MB"
            f" ({figures['bodies_mb']:,.0f} MB of bytes objects) + transform {own:,.0f} MB",
        )
    if 100_000 in by_size:
        at_100k = by_size[100_000]
        result.goals.append(
            Goal(
                "updates/s at 100k (mixed day), one core",
                f">= {GOAL_PER_SECOND:,}",
                f"{at_100k['messages_per_second']:,}",
                at_100k["messages_per_second"] >= GOAL_PER_SECOND,
            )
        )
        result.goals.append(
            Goal(
                "peak RSS at 100k",
                f"<= {GOAL_PEAK_RSS_MB_AT_100K} MB",
                f"{at_100k['peak_rss_mb']:.0f} MB",
                at_100k["peak_rss_mb"] <= GOAL_PEAK_RSS_MB_AT_100K,
            )
        )
    if len(sizes) > 1:
        smallest, largest = by_size[min(sizes)], by_size[max(sizes)]
        ratio = largest["microseconds_per_message"] / smallest["microseconds_per_message"]
        result.figures["linearity_ratio"] = round(ratio, 3)
        result.goals.append(
            Goal(
                f"linear: time per message at {max(sizes):,} / at {min(sizes):,}",
                f"<= {GOAL_LINEARITY}",
                f"{ratio:.2f}",
                ratio <= GOAL_LINEARITY,
            )
        )
    result.notes.append(
        "time: wall clock of the fastest run, bodies already in memory; CPU = the process's CPU time of that run"
    )
    result.notes.append(
        "in the Lambda the bodies are streamed (at most 2 x MAX_WORKERS in flight), so its peak is about"
        " the peak above minus the bodies"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="raw updates")
    parser.add_argument("--core", type=int, default=default_core(), help="the core to pin to")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (for the runner)")
    arguments = parser.parse_args()
    figures = measure(arguments.count, arguments.core, REPEATS.get(arguments.count, 1))
    print(json.dumps(figures) if arguments.json else json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
