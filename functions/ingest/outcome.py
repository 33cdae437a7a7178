"""What happened to one webhook request: the response Telegram gets and the one JSON line logged."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from functions.common.jsonlog import get_logger, log_event

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


def finish(outcome: Outcome, started: float) -> dict[str, Any]:
    """Log ``outcome`` as one JSON line (never the secret or a message text) and build its response."""
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
