"""Which days an ETL invocation processes, from its event.

Only the documented shapes are accepted: a misspelled key (``{"Date": ...}``) must fail the invocation,
not quietly process yesterday and report success to whoever ran a manual backfill.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

DATE_FIELD, START_FIELD, END_FIELD = "date", "start_date", "end_date"
SOURCE_FIELD = "source"
# The daily schedule's input (terraform/modules/etl: the schedule target's ``input``).
SCHEDULE_SOURCE = "telegram-datalake.schedule"
SCHEDULE_EVENT: Mapping[str, str] = {SOURCE_FIELD: SCHEDULE_SOURCE}
MAX_RANGE_DAYS = 366  # one invocation must finish within Lambda's 15 minutes; split longer backfills
# A day's run also reads the day before (re-deliveries after midnight), so that day must exist too.
FIRST_DAY, LAST_DAY = date.min + timedelta(days=1), date.max
EXPECTED_SHAPES = (
    f'{{"{DATE_FIELD}": "YYYY-MM-DD"}}, {{"{START_FIELD}": "YYYY-MM-DD", "{END_FIELD}": "YYYY-MM-DD"}},'
    f' {{}} or {{"{SOURCE_FIELD}": "{SCHEDULE_SOURCE}"}} (yesterday)'
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class EventError(ValueError):
    """The event is not one of the shapes the ETL accepts; the message names them."""


def parse_day(event: Mapping[str, Any], field: str) -> date:
    """``event[field]`` as a date; ValueError naming ``field`` unless it is a real ``YYYY-MM-DD`` day."""
    value = event.get(field)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{field} must be a date formatted YYYY-MM-DD, got {value!r}")
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{field} must be a real calendar date, got {value!r}") from error
    if day < FIRST_DAY:
        raise ValueError(f"{field} must be from {FIRST_DAY} to {LAST_DAY}, got {value!r}")
    return day


def check_shape(event: Any) -> None:
    """EventError unless ``event`` is an object with exactly the keys of one accepted shape."""
    if not isinstance(event, Mapping):
        raise EventError(f"the ETL event must be a JSON object: {EXPECTED_SHAPES}; got {type(event).__name__}")
    keys = set(event)
    if keys == {SOURCE_FIELD} and event[SOURCE_FIELD] != SCHEDULE_SOURCE:
        raise EventError(f"unknown source {event[SOURCE_FIELD]!r}: expected one of {EXPECTED_SHAPES}")
    if keys in ({DATE_FIELD}, {START_FIELD, END_FIELD}, set(), {SOURCE_FIELD}):
        return
    if keys == {DATE_FIELD, START_FIELD, END_FIELD}:
        raise EventError(f"give either {DATE_FIELD} or {START_FIELD} and {END_FIELD}, not both")
    for field, missing in ((START_FIELD, END_FIELD), (END_FIELD, START_FIELD)):
        if keys == {field}:
            raise EventError(f"{missing} must be a date formatted YYYY-MM-DD, got None")
    names = ", ".join(repr(key) for key in sorted(map(str, keys)))
    raise EventError(f"unexpected ETL event keys {names}: expected one of {EXPECTED_SHAPES}")


def days_to_process(event: Any, today: date) -> list[date]:
    """``{"date"}``: that day; ``{"start_date", "end_date"}``: each day of the inclusive range;
    ``{}`` or the daily schedule's ``{"source": ...}``: yesterday. EventError for anything else.
    """
    check_shape(event)
    if DATE_FIELD in event:
        return [parse_day(event, DATE_FIELD)]
    if START_FIELD not in event:
        return [today - timedelta(days=1)]
    start, end = parse_day(event, START_FIELD), parse_day(event, END_FIELD)
    if end < start:
        raise ValueError(f"{END_FIELD} {end} is before {START_FIELD} {start}")
    span = (end - start).days + 1
    if span > MAX_RANGE_DAYS:
        raise ValueError(f"{START_FIELD}..{END_FIELD} spans {span} days; split it into ranges of {MAX_RANGE_DAYS}")
    return [start + timedelta(days=offset) for offset in range(span)]
