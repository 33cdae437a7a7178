"""Which days an ETL invocation processes, from its event."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

DATE_FIELD, START_FIELD, END_FIELD = "date", "start_date", "end_date"
MAX_RANGE_DAYS = 366  # one invocation must finish within Lambda's 15 minutes; split longer backfills
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(event: Mapping[str, Any], field: str) -> date:
    """``event[field]`` as a date; ValueError naming ``field`` unless it is a real ``YYYY-MM-DD`` day."""
    value = event.get(field)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{field} must be a date formatted YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{field} must be a real calendar date, got {value!r}") from error


def days_to_process(event: Any, today: date) -> list[date]:
    """``{"date"}``: that day; ``{"start_date", "end_date"}``: each day of the inclusive range;
    anything else (the daily schedule's event): yesterday.
    """
    if not isinstance(event, Mapping):
        return [today - timedelta(days=1)]
    has_date = DATE_FIELD in event
    has_range = START_FIELD in event or END_FIELD in event
    if has_date and has_range:
        raise ValueError(f"give either {DATE_FIELD} or {START_FIELD} and {END_FIELD}, not both")
    if has_date:
        return [parse_day(event, DATE_FIELD)]
    if not has_range:
        return [today - timedelta(days=1)]
    start, end = parse_day(event, START_FIELD), parse_day(event, END_FIELD)
    if end < start:
        raise ValueError(f"{END_FIELD} {end} is before {START_FIELD} {start}")
    span = (end - start).days + 1
    if span > MAX_RANGE_DAYS:
        raise ValueError(f"{START_FIELD}..{END_FIELD} spans {span} days; split it into ranges of {MAX_RANGE_DAYS}")
    return [start + timedelta(days=offset) for offset in range(span)]
