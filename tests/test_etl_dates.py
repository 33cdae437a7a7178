"""Which days an ETL invocation processes: the schedule's yesterday, one day, or an inclusive backfill range."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from functions.etl.dates import MAX_RANGE_DAYS, SCHEDULE_EVENT, EventError, days_to_process
from tests.hcl import MODULES_DIR, labelled_blocks, load_module

TODAY = date(2024, 3, 1)

# What an EventBridge *rule* sends a Lambda target: not how this pipeline is scheduled, so not accepted.
EVENTBRIDGE_RULE_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2024-03-01T04:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/telegram-etl-daily"],
    "detail": {},
}


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty"),
        pytest.param(dict(SCHEDULE_EVENT), id="the-schedule-input"),
    ],
)
def test_the_schedule_and_an_empty_event_process_yesterday(event: Any) -> None:
    """The daily schedule sends no date: the run covers the day that has just ended."""
    assert days_to_process(event, TODAY) == [date(2024, 2, 29)]


def test_the_deployed_schedule_sends_the_event_the_etl_accepts() -> None:
    """The scheduler's input and the shape the function takes for it are one contract."""
    etl = load_module(MODULES_DIR / "etl")
    (schedule,) = [body for kind, _, body in labelled_blocks(etl, "resource") if kind == "aws_scheduler_schedule"]
    sent = re.fullmatch(r'\$\{jsonencode\(\{\s*source\s*=\s*"([^"]*)"\s*\}\)\}', schedule["target"][0]["input"])
    assert sent, schedule["target"][0]["input"]
    assert {"source": sent[1]} == SCHEDULE_EVENT == {"source": "telegram-datalake.schedule"}


@pytest.mark.parametrize(
    ("event", "named"),
    [
        pytest.param({"Date": "2026-01-01"}, "'Date'", id="capitalised-date"),
        pytest.param({"day": "2026-01-01"}, "'day'", id="day"),
        pytest.param({"dates": ["2026-01-01"]}, "'dates'", id="dates"),
        pytest.param({"start": "2026-01-01", "end": "2026-01-02"}, "'end', 'start'", id="start-end"),
        pytest.param({"date": "2026-01-01", "force": True}, "'date', 'force'", id="date-and-more"),
        pytest.param(
            {"start_date": "2026-01-01", "end_date": "2026-01-02", "date2": 1}, "'date2'", id="range-and-more"
        ),
        pytest.param({"detail": {"date": "2020-01-01"}}, "'detail'", id="date-only-nested"),
        pytest.param(EVENTBRIDGE_RULE_EVENT, "'account'", id="eventbridge-rule"),
        pytest.param({"source": "telegram-datalake.schedule", "date": "2026-01-01"}, "'date', 'source'", id="both"),
    ],
)
def test_any_other_object_is_refused_naming_its_keys_and_the_expected_ones(event: Any, named: str) -> None:
    """A misspelled manual backfill fails loudly instead of processing yesterday and reporting success."""
    with pytest.raises(EventError, match=r"^unexpected ETL event keys ") as raised:
        days_to_process(event, TODAY)
    message = str(raised.value)
    assert named in message
    for expected in ('{"date": "YYYY-MM-DD"}', '"start_date"', '"end_date"', "{}", '"telegram-datalake.schedule"'):
        assert expected in message


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="array"),
        pytest.param("2020-01-01", id="bare-string"),
        pytest.param(20200101, id="number"),
    ],
)
def test_an_event_that_is_not_an_object_is_refused(event: Any) -> None:
    with pytest.raises(EventError, match=r"^the ETL event must be a JSON object: \{\"date\"") as raised:
        days_to_process(event, TODAY)
    assert str(raised.value).endswith(f"got {type(event).__name__}")


def test_a_source_other_than_the_schedule_is_refused() -> None:
    with pytest.raises(EventError, match=r"^unknown source 'aws.events': expected one of "):
        days_to_process({"source": "aws.events"}, TODAY)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param({"date": "0001-01-01"}, "date", id="first-day-has-no-day-before"),
        pytest.param({"start_date": "0001-01-01", "end_date": "0001-01-03"}, "start_date", id="range-from-day-one"),
    ],
)
def test_days_the_pipeline_cannot_represent_are_a_value_error(event: Any, field: str) -> None:
    """Not an OverflowError from deep inside a day's run: the message names the field and the range."""
    with pytest.raises(ValueError, match=rf"^{field} must be from 0001-01-02 to 9999-12-31, got '0001-01-01'$"):
        days_to_process(event, TODAY)


def test_the_last_representable_day_is_accepted() -> None:
    assert days_to_process({"date": "9999-12-31"}, TODAY) == [date(9999, 12, 31)]


@pytest.mark.parametrize(
    ("today", "yesterday"),
    [(date(2024, 1, 1), date(2023, 12, 31)), (date(2023, 3, 1), date(2023, 2, 28))],
)
def test_yesterday_crosses_month_and_year(today: date, yesterday: date) -> None:
    assert days_to_process({}, today) == [yesterday]


def test_date_processes_that_day() -> None:
    """A manual rerun of one day, e.g. after a fix; it may be any day, even today."""
    assert days_to_process({"date": "2024-02-29"}, TODAY) == [date(2024, 2, 29)]
    assert days_to_process({"date": "2024-03-01"}, TODAY) == [date(2024, 3, 1)]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-02-28", "2024-03-01", [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]),
        ("2023-12-31", "2024-01-01", [date(2023, 12, 31), date(2024, 1, 1)]),
        ("2024-01-05", "2024-01-05", [date(2024, 1, 5)]),
    ],
)
def test_range_processes_each_day_inclusive(start: str, end: str, expected: list[date]) -> None:
    assert days_to_process({"start_date": start, "end_date": end}, TODAY) == expected


def test_range_of_a_leap_year_is_allowed_and_longer_is_refused() -> None:
    """One invocation must fit Lambda's 15 minutes; longer backfills are split by the operator."""
    year = days_to_process({"start_date": "2024-01-01", "end_date": "2024-12-31"}, TODAY)
    assert len(year) == MAX_RANGE_DAYS == 366
    with pytest.raises(ValueError, match="split"):
        days_to_process({"start_date": "2024-01-01", "end_date": "2025-01-01"}, TODAY)


BAD_DATES = [
    pytest.param("2024-13-01", id="month-13"),
    pytest.param("2024-02-30", id="february-30"),
    pytest.param("2023-02-29", id="not-a-leap-year"),
    pytest.param("20240101", id="basic-format"),
    pytest.param(20240101, id="integer"),
    pytest.param(None, id="null"),
    pytest.param("2024-1-1", id="unpadded"),
    pytest.param("2024-01-01T00:00:00", id="datetime"),
    pytest.param(" 2024-01-01", id="leading-space"),
    pytest.param("2024-01-01\n", id="trailing-newline"),
    pytest.param("", id="empty"),
    pytest.param(["2024-01-01"], id="list"),
]


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize(
    ("field", "make_event"),
    [
        ("date", lambda value: {"date": value}),
        ("start_date", lambda value: {"start_date": value, "end_date": "2024-01-02"}),
        ("end_date", lambda value: {"start_date": "2024-01-01", "end_date": value}),
    ],
)
def test_malformed_date_names_the_field_and_the_value(
    field: str, make_event: Callable[[Any], dict[str, Any]], value: Any
) -> None:
    """A typo in a manual run must fail loudly and say which field is wrong, not process some other day."""
    with pytest.raises(ValueError, match=rf"^{field} ") as raised:
        days_to_process(make_event(value), TODAY)
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        pytest.param({"start_date": "2024-01-01"}, "end_date", id="missing-end"),
        pytest.param({"end_date": "2024-01-01"}, "start_date", id="missing-start"),
    ],
)
def test_half_a_range_names_the_missing_field(event: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=rf"^{named} must be a date formatted YYYY-MM-DD, got None$"):
        days_to_process(event, TODAY)


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^end_date 2024-01-01 is before start_date 2024-01-02$"):
        days_to_process({"start_date": "2024-01-02", "end_date": "2024-01-01"}, TODAY)


def test_date_and_range_together_are_refused() -> None:
    """Ambiguous: the function does not guess which of the two the operator meant."""
    event = {"date": "2024-01-01", "start_date": "2024-01-01", "end_date": "2024-01-03"}
    with pytest.raises(ValueError, match=r"date.*start_date.*end_date.*not both"):
        days_to_process(event, TODAY)
