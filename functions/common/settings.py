"""Reading the functions' environment: required settings fail closed with a message naming the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Sao_Paulo"
DEFAULT_PREFIX = "telegram"


class ConfigurationError(RuntimeError):
    """A required setting is missing or invalid; the function refuses to work rather than guess."""


def required_setting(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """The non-blank value of ``name``, or ConfigurationError."""
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is required and is not set")
    return value


def optional_setting(name: str, default: str, environ: Mapping[str, str] = os.environ) -> str:
    """The value of ``name``, or ``default`` when it is unset or blank."""
    return environ.get(name, "").strip() or default


def prefix_setting(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """An S3 key prefix without surrounding slashes (``telegram`` by default); never empty."""
    prefix = optional_setting(name, DEFAULT_PREFIX, environ).strip("/")
    if not prefix:
        raise ConfigurationError(f"environment variable {name} must not be only slashes")
    return prefix


def timezone_setting(name: str = "TIMEZONE", environ: Mapping[str, str] = os.environ) -> ZoneInfo:
    """The IANA time zone that decides which day (partition) an instant belongs to."""
    zone_name = optional_setting(name, DEFAULT_TIMEZONE, environ)
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):  # the value is not echoed: it may be a misplaced secret
        raise ConfigurationError(f"environment variable {name} is not an IANA time zone name") from None


def positive_int_setting(name: str, default: int, maximum: int, environ: Mapping[str, str] = os.environ) -> int:
    """An integer between 1 and ``maximum``, or ConfigurationError."""
    raw = optional_setting(name, str(default), environ)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise ConfigurationError(f"environment variable {name} must be an integer from 1 to {maximum}")
    return value
