"""The chat report over a year: a generated lake of 365 days of a busy group, and ``report`` on DuckDB.

The parent writes the lake (each day's synthetic updates through the ETL's own flattening and Parquet writer,
laid out as the enriched bucket); the report runs in a fresh interpreter through the CLI, so its peak RSS
is the report's alone. The clock covers the eight saved queries, the charts and the page.

Run alone: ``python -m benchmarks.chat_report [--days 365 --per-day 2000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Goal, Result, child_figures, peak_rss_mb

DAYS, PER_DAY = 365, 2000  # a year of a busy group: about 650,000 messages
GOAL_SECONDS = 30.0
GOAL_PAGE_MB = 3.0  # the limit: the page must stay small enough to mail and open on a phone
FIRST_DAY = date(2026, 1, 1)
SECONDS_PER_DAY = 86_400


def write_lake(root: Path, days: int, per_day: int) -> int:
    """``days`` days of ``per_day`` updates each, as the ETL writes them; the number of message rows."""
    from benchmarks.synthetic import DAY_START, synthetic_day  # noqa: PLC0415 - the parent's imports only
    from functions.etl.job import DaySummary, flatten_objects  # noqa: PLC0415
    from functions.etl.table import to_parquet  # noqa: PLC0415

    messages = 0
    for offset in range(days):
        day = (FIRST_DAY + timedelta(days=offset)).isoformat()
        generated = synthetic_day(per_day, seed=offset, start_epoch=DAY_START + offset * SECONDS_PER_DAY)
        rows = flatten_objects((("in-memory", body) for body in generated.bodies), DaySummary(day))
        for name, (table, _) in rows.tables(generated.earlier_update_ids).items():
            folder = root / name / f"context_date={day}"
            folder.mkdir(parents=True)
            (folder / f"{name}.parquet").write_bytes(to_parquet(table))
            messages += table.num_rows if name == "telegram" else 0
    return messages


def measure(lake: Path, days: int) -> dict[str, Any]:
    """In this process (the child): the report of the whole year for the busy group."""
    from telegram_datalake.cli import main  # noqa: PLC0415 - the baseline includes the imports
    from telegram_datalake.demo.sample_chat import GROUP  # noqa: PLC0415

    output = lake.parent / "report.html"
    last = FIRST_DAY + timedelta(days=days - 1)
    arguments = ["report", "--engine", "duckdb", "--parquet-dir", str(lake), "--output", str(output)]
    arguments += ["--from", FIRST_DAY.isoformat(), "--to", last.isoformat(), f"--chat-id={GROUP['id']}"]
    started = time.perf_counter()
    code = main(arguments)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"report exited {code}")
    page = output.read_text(encoding="utf-8")
    return {
        "seconds": round(seconds, 2),
        "page_bytes": len(page.encode()),
        "charts": page.count("<figure"),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def run(days: int = DAYS, per_day: int = PER_DAY) -> Result:
    """Write the lake, report in a child; the figures and the goals."""
    with tempfile.TemporaryDirectory(prefix="telegram-report-bench-") as folder:
        lake = Path(folder) / "enriched"
        generated = time.perf_counter()
        messages = write_lake(lake, days, per_day)
        generated = time.perf_counter() - generated
        figures = child_figures("benchmarks.chat_report", ["--child", str(lake), "--days", str(days)])
    figures |= {"days": days, "messages": messages, "generate_seconds": round(generated, 1)}
    result = Result(f"Chat report: {days} days ({messages:,} messages of three chats), on DuckDB", figures)
    result.add("lake", f"written in {generated:.0f} s by the ETL's code")
    result.add(
        "report",
        f"{figures['seconds']:.1f} s for 8 queries, {figures['charts']} charts and the page; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB",
    )
    result.add("page", f"{figures['page_bytes'] / 1024:,.0f} KB")
    seconds, page_mb = figures["seconds"], figures["page_bytes"] / 1024 / 1024
    result.goals.append(Goal("the report", f"<= {GOAL_SECONDS:.0f} s", f"{seconds:.1f} s", seconds <= GOAL_SECONDS))
    result.goals.append(Goal("the page", f"<= {GOAL_PAGE_MB:.0f} MB", f"{page_mb:.2f} MB", page_mb <= GOAL_PAGE_MB))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, help="(internal) report on this lake and print the figures")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--per-day", type=int, default=PER_DAY)
    arguments = parser.parse_args()
    if arguments.child is not None:
        with contextlib.redirect_stdout(io.StringIO()):  # the command's own line: the figures come last
            figures = measure(arguments.child, arguments.days)
        print(json.dumps(figures))
        return
    print(run(arguments.days, arguments.per_day).render())


if __name__ == "__main__":
    main()
