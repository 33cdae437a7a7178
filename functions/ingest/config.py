"""The ingest function's settings, read from its environment on every invocation.

The environment holds names only: the webhook's secret token is in Secrets Manager (``WEBHOOK_SECRET_ARN``),
where anyone allowed to read the function's configuration cannot see it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from functions.common.call_limits import FUNCTION_TIMEOUT_SECONDS, function_timeout
from functions.common.settings import (
    ConfigurationError,
    decimal_int64,
    optional_setting,
    prefix_setting,
    required_setting,
    timezone_setting,
)
from functions.ingest.budget import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    MIN_TIMEOUT_SECONDS,
    IngestCallLimits,
    ingest_call_limits,
)

RAW_BUCKET = "RAW_BUCKET"
WEBHOOK_SECRET_ARN = "WEBHOOK_SECRET_ARN"  # noqa: S105 - the variable's name, not a secret
WEBHOOK_SECRET_OVERLAP_SECONDS = "WEBHOOK_SECRET_OVERLAP_SECONDS"  # noqa: S105 - a name, not a secret
ALLOWED_CHAT_IDS = "ALLOWED_CHAT_IDS"
TIMEZONE = "TIMEZONE"
RAW_PREFIX = "RAW_PREFIX"

# Every variable the function reads; Terraform must set exactly these.
ENVIRONMENT_VARIABLES = (
    RAW_BUCKET,
    WEBHOOK_SECRET_ARN,
    WEBHOOK_SECRET_OVERLAP_SECONDS,
    ALLOWED_CHAT_IDS,
    TIMEZONE,
    RAW_PREFIX,
    FUNCTION_TIMEOUT_SECONDS,
)
ANY_CHAT = "*"
# A secret's ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random>) or its name.
_SECRET_ID = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}|[A-Za-z0-9/_+=.@-]{1,512}"
)
DEFAULT_OVERLAP_SECONDS = 300
MAX_OVERLAP_SECONDS = 86_400


@dataclass(frozen=True)
class IngestSettings:
    """What the handler needs to store an update of an allowed chat."""

    raw_bucket: str
    raw_prefix: str
    timezone: ZoneInfo
    allowed_chat_ids: frozenset[int] | None  # None: every chat is allowed
    call_limits: IngestCallLimits  # from the function's timeout

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
        chat_id = decimal_int64(text)
        if chat_id is None:
            # The value is not echoed: a mixed-up variable (the secret pasted here) must not reach the logs.
            raise ConfigurationError(
                f"environment variable {ALLOWED_CHAT_IDS}: entry {position} is not an integer chat id"
                f" (expected comma-separated integers, or {ANY_CHAT})"
            )
        ids.add(chat_id)
    if not ids:
        raise ConfigurationError(f"environment variable {ALLOWED_CHAT_IDS} lists no chat id")
    return frozenset(ids)


@dataclass(frozen=True)
class SecretSettings:
    """Where the webhook's secret token is, and how long a rotated-out token stays valid."""

    secret_arn: str
    overlap_seconds: int


def load_settings(environ: Mapping[str, str] = os.environ) -> IngestSettings:
    """Read and validate the storage settings; ConfigurationError names the first one that is wrong."""
    timeout = function_timeout(DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, environ)
    return IngestSettings(
        raw_bucket=required_setting(RAW_BUCKET, environ),
        raw_prefix=prefix_setting(RAW_PREFIX, environ),
        timezone=timezone_setting(TIMEZONE, environ),
        allowed_chat_ids=parse_allowed_chat_ids(required_setting(ALLOWED_CHAT_IDS, environ)),
        call_limits=ingest_call_limits(timeout),
    )


def load_secret_settings(environ: Mapping[str, str] = os.environ) -> SecretSettings:
    """Where the secret is: an ARN (or name) of Secrets Manager, and the rotation overlap in seconds."""
    secret_arn = required_setting(WEBHOOK_SECRET_ARN, environ)
    if not _SECRET_ID.fullmatch(secret_arn):
        raise ConfigurationError(
            f"environment variable {WEBHOOK_SECRET_ARN} is not a Secrets Manager secret ARN or name"
        )
    overlap = decimal_int64(optional_setting(WEBHOOK_SECRET_OVERLAP_SECONDS, str(DEFAULT_OVERLAP_SECONDS), environ))
    if overlap is None or not 0 <= overlap <= MAX_OVERLAP_SECONDS:
        raise ConfigurationError(
            f"environment variable {WEBHOOK_SECRET_OVERLAP_SECONDS} must be a whole number of seconds"
            f" from 0 to {MAX_OVERLAP_SECONDS}"
        )
    return SecretSettings(secret_arn=secret_arn, overlap_seconds=overlap)
