"""ETL Lambda entry point: work out the days from the event, process each, return their summaries.

Errors are not swallowed: a bad event raises ValueError, an S3 failure that outlives botocore's
retries raises too, and so does a call that might not end before the function's timeout (OutOfTimeError),
so the invocation fails visibly (alarms, retries, the dead-letter queue) instead of being killed mid-run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from functions.common.call_limits import Deadline
from functions.common.s3client import s3_client
from functions.etl.config import load_settings
from functions.etl.dates import days_to_process
from functions.etl.job import process_day
from functions.etl.pseudonyms import load_pseudonyms


def lambda_handler(event: Any, context: object) -> dict[str, Any]:
    """Process yesterday (scheduled run), ``{"date": ...}`` or ``{"start_date": ..., "end_date": ...}``."""
    started = time.monotonic()
    settings = load_settings()
    deadline = Deadline.after(settings.timeout_seconds, settings.call_limits, started)
    today = datetime.now(UTC).astimezone(settings.timezone).date()
    days = days_to_process(event, today)
    # The pseudonym key (when the deployment has one) before any day: a missing one fails the run, writing nothing.
    pseudonyms = load_pseudonyms(settings)
    client = s3_client(settings.call_limits, settings.max_workers)
    return {"days": [process_day(client, settings, day, deadline, pseudonyms).as_dict() for day in days]}
