"""Ingest Lambda entry point: authenticate, filter by chat, store the raw update, answer Telegram.

Status codes decide Telegram's behaviour: any non-2xx is re-delivered, so 4xx is only for requests
that can never succeed, and 500 only for storage failures that a retry can fix.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.jsonlog import get_logger, log_event
from functions.common.s3client import s3_client
from functions.common.settings import ConfigurationError
from functions.ingest.config import IngestSettings, load_settings
from functions.ingest.request import (
    RequestRejectedError,
    arrival_time,
    body_bytes,
    chat_id_of,
    check_secret,
    parse_update,
    update_type,
)
from functions.ingest.storage import partition_date, raw_key, store_raw_update

LOGGER = get_logger("telegram_pipeline.ingest")


@dataclass
class Outcome:
    """What happened to one request: the response to send and the fields to log."""

    status_code: int
    outcome: str
    reason: str | None = None  # logged; sent to the caller only for 4xx
    update_id: int | None = None
    update_type: str | None = None
    chat_id: int | None = None
    key: str | None = None

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.outcome}
        if self.reason and self.status_code < HTTPStatus.INTERNAL_SERVER_ERROR:
            body["reason"] = self.reason
        return {
            "statusCode": self.status_code,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(body),
        }


def handle(event: dict[str, Any], settings: IngestSettings) -> Outcome:
    """Decide and perform what to do with one webhook request."""
    try:
        check_secret(event, settings.secret_token)
        body = body_bytes(event)
        update = parse_update(body)
    except RequestRejectedError as rejected:
        return Outcome(rejected.status_code, "rejected", rejected.reason)

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


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) handler; logs one JSON line per invocation."""
    started = time.perf_counter()
    try:
        outcome = handle(event, load_settings())
    except ConfigurationError as error:
        outcome = Outcome(500, "misconfigured", str(error))
    level = logging.ERROR if outcome.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR else logging.INFO
    log_event(
        LOGGER,
        level,
        outcome.outcome,
        status_code=outcome.status_code,
        outcome=outcome.outcome,
        reason=outcome.reason,
        update_id=outcome.update_id,
        update_type=outcome.update_type,
        chat_id=outcome.chat_id,
        key=outcome.key,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
    )
    return outcome.response()
