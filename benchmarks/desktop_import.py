"""Importing a Telegram Desktop export: a generated export of 1,000,000 messages streamed into S3, and the ETL of
imported days.

The parent writes the export to a temporary file and runs moto's S3 server on loopback; the import runs in a
fresh interpreter through the ``import`` command's own code (``file_export``, the settings ``--local`` reads),
so its peak RSS is the importer's alone (moto keeps the day files in the parent). The clock covers reading,
checking and dating every record, and writing the day files (each first looked up, as a re-import merges).
The same child then rebuilds a few imported days with the ETL handler.

Run alone: ``python -m benchmarks.desktop_import [--days 1000 --per-day 1000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Goal, Result, child_figures, current_rss_mb, peak_rss_mb

DAYS, PER_DAY = 1000, 1000  # 1,000,000 messages, about three years of a busy group
SMALL_DAYS = 10  # the same import of 10,000 messages: the peak must not grow with the file
ETL_DAYS = 3
GOAL_GROWTH_MB = 50
GOAL_PEAK_RSS_MB = 200  # the file is ~450 MB: the importer must hold a few days, never the file
GOAL_PER_SECOND = 20_000
ENVIRONMENT = {
    "RAW_BUCKET": "bench-raw",
    "ENRICHED_BUCKET": "bench-enriched",
    "RAW_PREFIX": "telegram",
    "ENRICHED_PREFIX": "telegram",
    "TIMEZONE": "America/Sao_Paulo",
    "MAX_WORKERS": "8",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def measure(export: Path) -> dict[str, Any]:
    """In this process (the child): import the export, then rebuild the first imported days."""
    from functions.etl.config import load_settings  # noqa: PLC0415 - the baseline RSS includes the imports
    from functions.etl.handler import lambda_handler  # noqa: PLC0415
    from telegram_datalake.cli.import_history import file_export  # noqa: PLC0415
    from telegram_datalake.cli.output import StreamProgress  # noqa: PLC0415

    baseline = current_rss_mb()
    settings = load_settings()
    with Path(os.devnull).open("w") as devnull, export.open("rb") as file:
        progress = StreamProgress(export.stat().st_size, "import", "messages", stream=devnull)
        started, cpu = time.perf_counter(), time.process_time()
        files, skipped = file_export(file, None, settings, progress)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        import_peak = peak_rss_mb()
        records = sum(day_file.records for day_file in files)
        first = date.fromisoformat(files[0].day)
        etl_days = [(first + timedelta(days=offset)).isoformat() for offset in range(ETL_DAYS)]
        etl_started = time.perf_counter()
        with contextlib.redirect_stdout(devnull):  # the handler's JSON log lines
            summaries = [lambda_handler({"date": day}, None)["days"][0] for day in etl_days]
        etl_seconds = time.perf_counter() - etl_started
    etl_rows = sum(summary["rows_written"] for summary in summaries)
    return {
        "records": records,
        "skipped": sum(skipped.values()),
        "day_files": len(files),
        "file_bytes": export.stat().st_size,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "messages_per_second": round(records / seconds),
        "megabytes_per_second": round(export.stat().st_size / seconds / 1024 / 1024, 1),
        "rss_after_imports_mb": round(baseline, 1),
        "peak_rss_mb": round(import_peak, 1),
        "etl_days": len(etl_days),
        "etl_rows": etl_rows,
        "etl_seconds": round(etl_seconds, 2),
        "etl_rows_per_second": round(etl_rows / etl_seconds),
    }


def run_child(export: Path, endpoint: str) -> dict[str, Any]:
    """``measure`` in a fresh interpreter talking to moto's server at ``endpoint``."""
    environment = {**os.environ, **ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
    for name in ("AWS_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environment.pop(name, None)
    return child_figures("benchmarks.desktop_import", ["--child", str(export)], environment)


def run(days: int = DAYS, per_day: int = PER_DAY) -> Result:
    """Generate the export, serve S3, import in a child; the figures and the goals."""
    import boto3  # noqa: PLC0415

    from benchmarks.synthetic_export import write_export  # noqa: PLC0415
    from telegram_datalake.local.moto_server import moto_server  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="telegram-import-bench-") as folder:
        small, export = Path(folder) / "small.json", Path(folder) / "result.json"
        write_export(small, SMALL_DAYS, per_day)
        generated = time.perf_counter()
        write_export(export, days, per_day)
        generated = time.perf_counter() - generated
        sizes = {}
        for path in (small, export):
            with moto_server() as endpoint:
                s3 = boto3.client(
                    "s3",
                    endpoint_url=endpoint,
                    region_name="us-east-1",
                    aws_access_key_id="bench",
                    aws_secret_access_key="bench",
                )
                for bucket in (ENVIRONMENT["RAW_BUCKET"], ENVIRONMENT["ENRICHED_BUCKET"]):
                    s3.create_bucket(Bucket=bucket)
                sizes[path] = run_child(path, endpoint)
        figures = sizes[export]
        figures["small_peak_rss_mb"] = sizes[small]["peak_rss_mb"]
    expected = days * per_day
    if figures["records"] != expected or figures["day_files"] != days or figures["etl_rows"] != ETL_DAYS * per_day:
        raise SystemExit(f"the import lost or invented records: {figures}, expected {expected} in {days} days")
    figures["generate_seconds"] = round(generated, 1)
    result = Result(
        f"Import of a Telegram Desktop export: {expected:,} messages over {days:,} days, into S3 (moto's server)",
        figures,
    )
    result.add("export file", f"{figures['file_bytes'] / 1024 / 1024:,.0f} MB (generated in {generated:.0f} s)")
    result.add(
        "import",
        f"{figures['messages_per_second']:,} messages/s, {figures['megabytes_per_second']} MB/s "
        f"({figures['seconds']:.1f} s, CPU {figures['cpu_seconds']:.1f} s; {figures['day_files']:,} day files)",
    )
    result.add("peak RSS", f"{figures['peak_rss_mb']:.0f} MB (after imports {figures['rss_after_imports_mb']:.0f} MB)")
    result.add(
        "ETL of imported days",
        f"{figures['etl_rows_per_second']:,} rows/s ({figures['etl_rows']:,} rows of {figures['etl_days']} days "
        f"in {figures['etl_seconds']:.2f} s)",
    )
    result.goals.append(
        Goal(
            "import rate",
            f">= {GOAL_PER_SECOND:,} messages/s",
            f"{figures['messages_per_second']:,}",
            figures["messages_per_second"] >= GOAL_PER_SECOND,
        )
    )
    result.goals.append(
        Goal(
            "peak RSS of the importer",
            f"<= {GOAL_PEAK_RSS_MB} MB",
            f"{figures['peak_rss_mb']:.0f} MB",
            figures["peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
        )
    )
    growth = figures["peak_rss_mb"] - figures["small_peak_rss_mb"]
    result.goals.append(
        Goal(
            f"streamed: peak RSS at {expected:,} minus at {SMALL_DAYS * per_day:,} messages",
            f"<= {GOAL_GROWTH_MB} MB",
            f"{growth:.0f} MB",
            growth <= GOAL_GROWTH_MB,
        )
    )
    result.notes.append("S3 is moto's server on loopback: on AWS each day file's write takes longer, 8 at once")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=Path, help="(internal) import this export and print the figures")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--per-day", type=int, default=PER_DAY)
    arguments = parser.parse_args()
    if arguments.child is not None:
        print(json.dumps(measure(arguments.child)))
        return
    print(run(arguments.days, arguments.per_day).render())


if __name__ == "__main__":
    main()
