"""ETL end to end on moto: raw objects in S3 → one Parquet file, in messages per second.

Run: ``.venv/bin/python -m benchmarks.etl_moto 10000`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import os
import time

from moto import mock_aws

from benchmarks.synthetic import synthetic_bodies
from functions.common.s3client import s3_client
from functions.etl.handler import lambda_handler

DAY = "2026-01-01"
RAW_BUCKET, ENRICHED_BUCKET = "bench-raw", "bench-enriched"


def run(count: int) -> dict[str, float]:
    """Load ``count`` raw objects into moto, run the ETL for the day, return the figures."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        RAW_BUCKET=RAW_BUCKET,
        ENRICHED_BUCKET=ENRICHED_BUCKET,
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        client = s3_client()
        client.create_bucket(Bucket=RAW_BUCKET)
        client.create_bucket(Bucket=ENRICHED_BUCKET)
        for update_id, body in enumerate(synthetic_bodies(count), start=1):
            client.put_object(Bucket=RAW_BUCKET, Key=f"telegram/context_date={DAY}/{update_id}.json", Body=body)
        started = time.perf_counter()
        summary = lambda_handler({"date": DAY}, None)["days"][0]
        elapsed = time.perf_counter() - started
    s3_client.cache_clear()
    assert summary["rows_written"] == count, summary  # a benchmark that lost rows is void
    return {"messages": count, "seconds": round(elapsed, 3), "messages_per_second": round(count / elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[1_000, 10_000], help="raw objects per run")
    for count in parser.parse_args().counts:
        print(run(count))


if __name__ == "__main__":
    main()
