"""Reading the functions' environment: required settings fail closed with a message naming the variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

DEFAULT_TIMEZONE = "America/Sao_Paulo"
DEFAULT_PREFIX = "telegram"
ENDPOINT_URL = "AWS_ENDPOINT_URL"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# ASCII digits only: int() also takes "٣", "1_000", "+5" and " 5", and raises on 4,301 digits.
_DECIMAL = re.compile(r"-?[0-9]{1,19}")


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


def decimal_int64(text: str) -> int | None:
    """``text`` as a signed 64-bit integer written in ASCII decimal digits, or None."""
    if not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def positive_int_setting(name: str, default: int, maximum: int, environ: Mapping[str, str] = os.environ) -> int:
    """An integer between 1 and ``maximum``, or ConfigurationError."""
    value = decimal_int64(optional_setting(name, str(default), environ))
    if value is None or not 1 <= value <= maximum:
        raise ConfigurationError(f"environment variable {name} must be an integer from 1 to {maximum}")
    return value


def endpoint_url_setting(environ: Mapping[str, str] = os.environ) -> str | None:
    """``AWS_ENDPOINT_URL`` (moto, LocalStack...) when set, else None for AWS's own endpoints.

    botocore raises a bare ValueError for a value that is not a URL, deep inside client creation; this
    names the variable instead (without echoing a value that may be a misplaced secret).
    """
    url = environ.get(ENDPOINT_URL, "").strip()
    if not url:
        return None
    try:
        valid = bool(is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url))
        urlsplit(url).port  # noqa: B018 - raises for a port outside 0-65535
    except ValueError:  # urllib's "Invalid IPv6 URL", "Port out of range"
        valid = False
    if not valid or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"environment variable {ENDPOINT_URL} is not an http:// or https:// URL")
    return url
