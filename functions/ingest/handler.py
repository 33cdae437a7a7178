"""Ingest Lambda entry point: authenticate, filter by chat, store the raw update, answer Telegram.

Status codes decide Telegram's behaviour: any non-2xx is re-delivered, so 4xx is only for requests
that can never succeed, 500 for failures that a retry can fix (storage, the secret store) and 503 while
the webhook's secret has not been written yet (``telegram-datalake webhook set``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.s3client import s3_client
from functions.common.settings import ConfigurationError
from functions.ingest.config import IngestSettings, load_secret_settings, load_settings
from functions.ingest.outcome import Outcome, finish
from functions.ingest.request import (
    RequestRejectedError,
    arrival_time,
    body_bytes,
    chat_id_of,
    check_secret,
    parse_update,
    update_type,
)
from functions.ingest.secret import SecretCheck, SecretStoreError, stored_secret
from functions.ingest.storage import partition_date, raw_key, store_raw_update


def handle(event: dict[str, Any], settings: IngestSettings, secret: SecretCheck) -> Outcome:
    """Decide and perform what to do with one webhook request."""
    try:
        check_secret(event, secret)
        body = body_bytes(event)
        update = parse_update(body)
    except RequestRejectedError as rejected:
        return Outcome(rejected.status_code, "rejected", rejected.reason)
    except SecretStoreError as error:
        return Outcome(error.status_code, error.outcome, str(error))

    update_id: int = update["update_id"]
    outcome = Outcome(200, "ignored", update_id=update_id, update_type=update_type(update))
    outcome.chat_id = chat_id_of(update)
    if outcome.chat_id is None:
        outcome.reason = "update carries no chat"
        return outcome
    if not settings.allows(outcome.chat_id):
        outcome.reason = "chat not allowed"
        return outcome

    context_date = partition_date(arrival_time(event, datetime.now(UTC)), settings.timezone)
    outcome.key = raw_key(settings.raw_prefix, context_date, update_id)
    try:
        store_raw_update(s3_client(), settings.raw_bucket, outcome.key, body)
    except (BotoCoreError, ClientError) as error:
        outcome.status_code, outcome.outcome = 500, "error"
        outcome.reason = f"storage failed: {type(error).__name__}"
        return outcome
    outcome.outcome = "stored"
    return outcome


def respond(event: dict[str, Any], settings: IngestSettings, secret: SecretCheck, started: float) -> dict[str, Any]:
    """Handle one request and log its one JSON line; ``started`` is when the invocation began."""
    return finish(handle(event, settings, secret), started)


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) handler; logs one JSON line per invocation."""
    started = time.perf_counter()
    try:
        settings = load_settings()
        where = load_secret_settings()
    except ConfigurationError as error:
        return finish(Outcome(500, "misconfigured", str(error)), started)
    return respond(event, settings, stored_secret(where.secret_arn, where.overlap_seconds), started)
