"""The ingest function's settings, read from its environment on every invocation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from functions.common.settings import ConfigurationError, prefix_setting, required_setting, timezone_setting

RAW_BUCKET = "RAW_BUCKET"
WEBHOOK_SECRET_TOKEN = "WEBHOOK_SECRET_TOKEN"  # noqa: S105 - the variable's name, not a secret
ALLOWED_CHAT_IDS = "ALLOWED_CHAT_IDS"
TIMEZONE = "TIMEZONE"
RAW_PREFIX = "RAW_PREFIX"

# Every variable the function reads; Terraform must set exactly these.
ENVIRONMENT_VARIABLES = (RAW_BUCKET, WEBHOOK_SECRET_TOKEN, ALLOWED_CHAT_IDS, TIMEZONE, RAW_PREFIX)
ANY_CHAT = "*"


@dataclass(frozen=True)
class IngestSettings:
    """What the handler needs to accept and store an update. The secret is kept out of ``repr``."""

    raw_bucket: str
    raw_prefix: str
    timezone: ZoneInfo
    allowed_chat_ids: frozenset[int] | None  # None: every chat is allowed
    secret_token: bytes = field(repr=False)

    def allows(self, chat_id: int) -> bool:
        """Whether updates of ``chat_id`` are stored."""
        return self.allowed_chat_ids is None or chat_id in self.allowed_chat_ids


def parse_allowed_chat_ids(raw: str) -> frozenset[int] | None:
    """``*`` allows every chat; otherwise a comma-separated list of integer chat ids."""
    if raw.strip() == ANY_CHAT:
        return None
    ids: set[int] = set()
    for position, part in enumerate(raw.split(","), start=1):
        text = part.strip()
        if not text:
            continue
        try:
            ids.add(int(text))
        except ValueError:
            # The value is not echoed: a mixed-up variable (the secret pasted here) must not reach the logs.
            raise ConfigurationError(
                f"environment variable {ALLOWED_CHAT_IDS}: entry {position} is not an integer chat id"
                f" (expected comma-separated integers, or {ANY_CHAT})"
            ) from None
    if not ids:
        raise ConfigurationError(f"environment variable {ALLOWED_CHAT_IDS} lists no chat id")
    return frozenset(ids)


def load_settings(environ: Mapping[str, str] = os.environ) -> IngestSettings:
    """Read and validate every setting; ConfigurationError names the first one that is wrong."""
    return IngestSettings(
        raw_bucket=required_setting(RAW_BUCKET, environ),
        raw_prefix=prefix_setting(RAW_PREFIX, environ),
        timezone=timezone_setting(TIMEZONE, environ),
        allowed_chat_ids=parse_allowed_chat_ids(required_setting(ALLOWED_CHAT_IDS, environ)),
        secret_token=required_setting(WEBHOOK_SECRET_TOKEN, environ).encode(),
    )
