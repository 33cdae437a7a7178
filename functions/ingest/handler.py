"""Ingest Lambda entry point: authenticate, filter by chat, store the raw update, answer Telegram.

Status codes decide Telegram's behaviour: any non-2xx is re-delivered, so 4xx is only for requests
that can never succeed, 500 for failures that a retry can fix (storage, the secret store, the settings)
and 503 while the webhook's secret has not been written yet (``telegram-datalake webhook set``). Whatever
the event and the settings, the handler answers and logs one line: an exception that escaped would give
API Gateway's bare 500 and no line to find it by.
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
    check_event,
    check_secret,
    parse_update,
    update_type,
)
from functions.ingest.secret import SecretCheck, SecretStoreError, stored_secret
from functions.ingest.storage import partition_date, raw_key, store_raw_update


def handle(event: dict[str, Any], settings: IngestSettings, secret: SecretCheck) -> Outcome:
    """Decide and perform what to do with one webhook request."""
    try:
        check_event(event)
        check_secret(event, secret)
        body = body_bytes(event)
        update = parse_update(body)
        kind = update_type(update)
    except RequestRejectedError as rejected:
        return Outcome(rejected.status_code, "rejected", rejected.reason)
    except SecretStoreError as error:
        return Outcome(error.status_code, error.outcome, str(error))

    update_id: int = update["update_id"]
    outcome = Outcome(200, "ignored", update_id=update_id, update_type=kind)
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
        store_raw_update(s3_client(settings.call_limits.storage), settings.raw_bucket, outcome.key, body)
    except (BotoCoreError, ClientError) as error:
        outcome.status_code, outcome.outcome = 500, "error"
        outcome.reason = f"storage failed: {type(error).__name__}"
        return outcome
    outcome.outcome = "stored"
    return outcome


def unexpected(error: Exception) -> Outcome:
    """The 500 of a failure nothing else handles; only its type is logged (its message may hold a text)."""
    if isinstance(error, ConfigurationError):
        return Outcome(500, "misconfigured", str(error))
    return Outcome(500, "error", f"unexpected {type(error).__name__}")


def respond(event: dict[str, Any], settings: IngestSettings, secret: SecretCheck, started: float) -> dict[str, Any]:
    """Handle one request and log its one JSON line; ``started`` is when the invocation began."""
    try:
        outcome = handle(event, settings, secret)
    except Exception as error:  # whatever it is, the webhook answers and logs why
        outcome = unexpected(error)
    return finish(outcome, started)


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) handler; logs one JSON line per invocation."""
    started = time.perf_counter()
    try:
        settings = load_settings()
        where = load_secret_settings()
        secret = stored_secret(where.secret_arn, where.overlap_seconds, settings.call_limits.secret)
    except Exception as error:  # as in respond()
        return finish(unexpected(error), started)
    return respond(event, settings, secret, started)
