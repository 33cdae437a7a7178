"""Storage: the day's Parquet file against its raw JSON objects, in bytes per message.

Run: ``python -m benchmarks.storage 100000``.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.report import Result
from benchmarks.synthetic import DAY, synthetic_day
from functions.etl.job import DaySummary, flatten_objects
from functions.etl.table import to_parquet

COUNT = 100_000


def measure(count: int = COUNT) -> dict[str, Any]:
    day = synthetic_day(count)
    rows = flatten_objects((("in-memory", body) for body in day.bodies), DaySummary(DAY))
    table, _ = rows.tables(day.earlier_update_ids)["telegram"]
    parquet = len(to_parquet(table))
    return {
        "updates": count,
        "rows": table.num_rows,
        "raw_bytes": day.raw_bytes,
        "parquet_bytes": parquet,
        "raw_bytes_per_update": round(day.raw_bytes / count, 1),
        "parquet_bytes_per_update": round(parquet / count, 1),
        "parquet_bytes_per_row": round(parquet / table.num_rows, 1),
        "raw_to_parquet_ratio": round(day.raw_bytes / parquet, 1),
    }


def run(count: int = COUNT) -> Result:
    figures = measure(count)
    result = Result(f"Storage: one day of {count:,} updates", figures)
    result.add(
        "raw JSON",
        f"{figures['raw_bytes_per_update']:,.0f} bytes per update ({figures['raw_bytes'] / 1e6:,.1f} MB,"
        f" {count:,} objects)",
    )
    result.add(
        "Parquet (zstd)",
        f"{figures['parquet_bytes_per_update']:,.1f} bytes per update, {figures['parquet_bytes_per_row']:,.1f} per row"
        f" ({figures['parquet_bytes'] / 1e6:,.1f} MB, {figures['rows']:,} rows): "
        f"{figures['raw_to_parquet_ratio']:.0f}x smaller",
    )
    result.notes.append(
        "the Parquet file keeps the table's 21 columns; the raw objects keep everything (media ids, entities, "
        "quoted replies) and stay the source of truth"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=COUNT)
    print(run(parser.parse_args().count).render())


if __name__ == "__main__":
    main()
