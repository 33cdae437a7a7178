"""Ingest handler on in-process moto: warm invocations per second and per-invocation time.

Realistic webhook calls (the synthetic day's updates as API Gateway HTTP API events, with the secret
header and arrival time) go through the unchanged ``lambda_handler`` of a warm container: settings
read, secret checked (against the token read from moto's Secrets Manager once, in the warm-up), body
parsed, chat allowed, object written to moto, one JSON log line.

Run: ``python -m benchmarks.ingest 2000``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import boto3

from benchmarks.moto_env import S3CallTimer, moto_s3
from benchmarks.report import Result
from benchmarks.synthetic import DAY_START, synthetic_day
from functions.common.s3client import s3_client
from functions.ingest.config import load_settings
from functions.ingest.handler import lambda_handler
from telegram_datalake.demo.sample_chat import CHANNEL, GROUP, OTHER_GROUP
from telegram_datalake.local.events import api_gateway_event

INVOCATIONS = 2_000
WARM_UP = 20
RAW_BUCKET = "bench-raw"
SECRET = "bench-secret-token"
SECRET_NAME = "bench-webhook-secret"
ENVIRONMENT = {
    "RAW_BUCKET": RAW_BUCKET,
    "WEBHOOK_SECRET_ARN": SECRET_NAME,
    "ALLOWED_CHAT_IDS": ",".join(str(chat["id"]) for chat in (GROUP, CHANNEL, OTHER_GROUP)),
    "TIMEZONE": "America/Sao_Paulo",
}


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def measure(invocations: int = INVOCATIONS) -> dict[str, Any]:
    """``invocations`` timed calls after ``WARM_UP`` untimed ones (the container's first call creates the client)."""
    bodies = synthetic_day(invocations + WARM_UP).bodies
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    events = [
        api_gateway_event(body, headers, received_at=datetime.fromtimestamp(DAY_START + index, UTC))
        for index, body in enumerate(bodies)
    ]
    durations: list[float] = []
    outcomes: dict[str, int] = {}
    with moto_s3(ENVIRONMENT, (RAW_BUCKET,)):
        secrets = boto3.client("secretsmanager")  # as `telegram-datalake webhook set` leaves it
        secrets.put_secret_value(SecretId=secrets.create_secret(Name=SECRET_NAME)["ARN"], SecretString=SECRET)
        for event in events[:WARM_UP]:
            lambda_handler(event, None)
        timer = S3CallTimer(s3_client(load_settings().call_limits.storage))  # the handler's client
        started = time.perf_counter()
        for event in events[WARM_UP:]:
            call_started = time.perf_counter()
            response = lambda_handler(event, None)
            durations.append(time.perf_counter() - call_started)
            outcomes[str(response["statusCode"])] = outcomes.get(str(response["statusCode"]), 0) + 1
        elapsed = time.perf_counter() - started
    if outcomes != {"200": invocations}:
        raise SystemExit(f"ingest: responses {outcomes}, expected 200 for all {invocations}")
    durations.sort()
    return {
        "invocations": invocations,
        "seconds": round(elapsed, 3),
        "invocations_per_second": round(invocations / elapsed),
        "p50_ms": round(percentile(durations, 0.50) * 1000, 3),
        "p95_ms": round(percentile(durations, 0.95) * 1000, 3),
        "p99_ms": round(percentile(durations, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(durations) * 1000, 3),
        "s3_cpu_ms_per_invocation": round(timer.cpu_seconds / invocations * 1000, 3),
        "handler_ms_per_invocation": round((elapsed - timer.cpu_seconds) / invocations * 1000, 3),  # mean, S3 aside
    }


def run(invocations: int = INVOCATIONS) -> Result:
    figures = measure(invocations)
    result = Result("Ingest handler: warm invocations on in-process moto S3", figures)
    result.add(f"{invocations:,} invocations", f"{figures['invocations_per_second']:,}/s in {figures['seconds']:.2f} s")
    result.add(
        "per invocation",
        f"p50 {figures['p50_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms;"
        f" mean {figures['mean_ms']:.2f} ms = PutObject on moto {figures['s3_cpu_ms_per_invocation']:.2f} ms (CPU)"
        f" + our handler {figures['handler_ms_per_invocation']:.2f} ms",
    )
    result.notes.append(
        "everything but the S3 call is our handler; on AWS the PutObject is a network round trip instead of moto"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invocations", nargs="?", type=int, default=INVOCATIONS)
    print(run(parser.parse_args().invocations).render())


if __name__ == "__main__":
    main()
