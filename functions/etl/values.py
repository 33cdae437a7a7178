"""Typed reads of fields of untrusted JSON: a value of the schema's type, or None; never an exception."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Also in functions/common/settings.py, which imports botocore: the transform must import without it.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z: the last second every reader's timestamp type can hold
EMPTY: Mapping[str, Any] = {}


def int64(value: object) -> int | None:
    """``value`` when it is an int (not a bool) within int64."""
    return value if type(value) is int and INT64_MIN <= value <= INT64_MAX else None


def date_seconds(value: object) -> int | None:
    """``value`` when it is a Unix time every reader can hold (0 to 9999-12-31)."""
    return value if type(value) is int and 0 <= value <= MAX_DATE else None


def text(value: object) -> str | None:
    return value if type(value) is str else None


def flag(value: object) -> bool | None:
    return value if type(value) is bool else None


def obj(value: object) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one, so that ``.get`` chains never fail."""
    return value if isinstance(value, dict) else EMPTY
