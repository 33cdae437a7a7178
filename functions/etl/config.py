"""The ETL function's settings, read from its environment on every invocation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from functions.common.call_limits import FUNCTION_TIMEOUT_SECONDS, CallLimits, function_timeout
from functions.common.settings import (
    ConfigurationError,
    positive_int_setting,
    prefix_setting,
    required_setting,
    timezone_setting,
)
from functions.common.ssm_parameter import parameter_name_problem
from functions.etl.budget import DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, etl_call_limits
from functions.etl.raw_reader import IMPORT_FOLDER
from functions.etl.schema import UPDATE_TABLES

RAW_BUCKET = "RAW_BUCKET"
ENRICHED_BUCKET = "ENRICHED_BUCKET"
TIMEZONE = "TIMEZONE"
RAW_PREFIX = "RAW_PREFIX"
ENRICHED_PREFIX = "ENRICHED_PREFIX"
MAX_WORKERS = "MAX_WORKERS"
# The SSM SecureString of the pseudonym key (functions/etl/pseudonyms.py); unset: user ids are written as they are.
PSEUDONYM_KEY_PARAMETER = "PSEUDONYM_KEY_PARAMETER"

# Every variable the function reads; Terraform must set exactly these.
ENVIRONMENT_VARIABLES = (
    RAW_BUCKET,
    ENRICHED_BUCKET,
    TIMEZONE,
    RAW_PREFIX,
    ENRICHED_PREFIX,
    MAX_WORKERS,
    FUNCTION_TIMEOUT_SECONDS,
    PSEUDONYM_KEY_PARAMETER,  # only when pseudonymisation is on
)
DEFAULT_MAX_WORKERS = 32
MAX_MAX_WORKERS = 256
OUTPUT_FILE_NAME = "telegram.parquet"


@dataclass(frozen=True)
class EtlSettings:
    """Where the raw updates are, where the Parquet goes, and how the day is defined."""

    raw_bucket: str
    raw_prefix: str
    enriched_bucket: str
    enriched_prefix: str
    timezone: ZoneInfo
    max_workers: int
    timeout_seconds: int  # the function's timeout: bounds every S3 call, and when the last may start
    call_limits: CallLimits
    pseudonym_key_parameter: str | None = None  # the key's parameter name when the tables are pseudonymised

    def raw_partition(self, day: str) -> str:
        """The prefix of one day's raw objects, ending in a slash so it matches that partition only."""
        return f"{self.raw_prefix}/context_date={day}/"

    def import_key(self, day: str, chat_id: int) -> str:
        """Where the import command files a chat's history of a day, and the ETL finds it (see ``imports``)."""
        return f"{self.raw_partition(day)}{IMPORT_FOLDER}/{chat_id}.json"

    def output_key(self, day: str) -> str:
        """The one, deterministic key of a day's Parquet file; a rerun replaces it."""
        return f"{self.enriched_prefix}/context_date={day}/{OUTPUT_FILE_NAME}"


def messages_prefix(environ: Mapping[str, str]) -> str:
    """``ENRICHED_PREFIX``, refused when it is (or is under) the key prefix of one of the other tables:
    their files would be read as messages, and a rebuild of one table would remove another's."""
    prefix = prefix_setting(ENRICHED_PREFIX, environ)
    taken = next((spec.name for spec in UPDATE_TABLES if f"{prefix}/".startswith(f"{spec.name}/")), None)
    if taken is not None:
        raise ConfigurationError(f"environment variable {ENRICHED_PREFIX} must not be under the {taken} table's prefix")
    return prefix


def pseudonym_key_parameter(environ: Mapping[str, str]) -> str | None:
    """``PSEUDONYM_KEY_PARAMETER``, a parameter path, or None when unset or blank (pseudonymisation off)."""
    name = environ.get(PSEUDONYM_KEY_PARAMETER, "").strip()
    if not name:
        return None
    problem = parameter_name_problem(name)
    if problem is not None:  # the value is not echoed: it may be a misplaced key
        raise ConfigurationError(f"environment variable {PSEUDONYM_KEY_PARAMETER} {problem}")
    return name


def load_settings(environ: Mapping[str, str] = os.environ) -> EtlSettings:
    """Read and validate every setting; ConfigurationError names the first one that is wrong."""
    timeout = function_timeout(DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, environ)
    return EtlSettings(
        raw_bucket=required_setting(RAW_BUCKET, environ),
        raw_prefix=prefix_setting(RAW_PREFIX, environ),
        enriched_bucket=required_setting(ENRICHED_BUCKET, environ),
        enriched_prefix=messages_prefix(environ),
        timezone=timezone_setting(TIMEZONE, environ),
        max_workers=positive_int_setting(MAX_WORKERS, DEFAULT_MAX_WORKERS, MAX_MAX_WORKERS, environ),
        timeout_seconds=timeout,
        call_limits=etl_call_limits(timeout),
        pseudonym_key_parameter=pseudonym_key_parameter(environ),
    )
