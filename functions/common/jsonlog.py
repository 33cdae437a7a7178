"""Structured logging: one JSON object per line, so CloudWatch Logs Insights can filter on fields."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """A record as one JSON object (no newline): time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        return json.dumps(line, default=str, ensure_ascii=False)


class _StdoutJsonHandler(logging.Handler):
    """Writes each record as one JSON line to the *current* ``sys.stdout`` (looked up per record)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
        except Exception:  # logging must never break the function
            self.handleError(record)


def get_logger(name: str) -> logging.Logger:
    """A logger that prints JSON lines once, whatever the runtime configured on the root logger."""
    logger = logging.getLogger(name)
    if not any(isinstance(handler, _StdoutJsonHandler) for handler in logger.handlers):
        logger.addHandler(_StdoutJsonHandler())
        logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
        logger.propagate = False
    return logger


def log_event(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log ``message`` with ``fields`` as top-level JSON keys. Never pass secrets or message texts."""
    logger.log(level, message, extra={"fields": fields})
