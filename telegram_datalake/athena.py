"""Running one query on Athena: submit it in a workgroup, wait with exponential backoff, fetch every row.

Athena answers with strings; the values are converted with the column types of the result's metadata,
so a ``bigint`` count is an ``int`` and a ``date`` a ``datetime.date``, as DuckDB returns them. The clock
and the sleep are parameters, so tests run the polling loop without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import ColumnInfoTypeDef, QueryExecutionTypeDef, RowTypeDef

SUCCEEDED, FAILED, CANCELLED = "SUCCEEDED", "FAILED", "CANCELLED"
TERMINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})
FIRST_DELAY = 0.2  # seconds before the second poll; doubled after each poll that finds the query running
MAX_DELAY = 5.0
DEFAULT_TIMEOUT = 600.0  # seconds from submission; the query is cancelled when it runs longer
MAX_PAGE_SIZE = 1000  # the most rows GetQueryResults returns per call

Sleep = Callable[[float], None]
Clock = Callable[[], float]
StepCallback = Callable[[str], None]
STEPS = 3  # run_query reports: submitted, finished, fetched

_INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOAT_TYPES = frozenset({"double", "float", "real"})
_KIB = 1024


class AthenaError(Exception):
    """Athena did not produce a result: the query failed, was cancelled or ran out of time."""


class QueryFailedError(AthenaError):
    """The query ended FAILED or CANCELLED; the message is Athena's ``StateChangeReason``."""

    def __init__(self, execution_id: str, state: str, reason: str) -> None:
        super().__init__(f"Athena query {execution_id} {state}: {reason or 'Athena gave no reason'}")
        self.execution_id, self.state, self.reason = execution_id, state, reason


class QueryTimeoutError(AthenaError):
    """The query did not finish within the timeout; it has been asked to stop."""

    def __init__(self, execution_id: str, timeout: float, state: str) -> None:
        super().__init__(
            f"Athena query {execution_id} was still {state} after {timeout:g} s and has been cancelled; "
            "raise --timeout or check the workgroup's queue"
        )
        self.execution_id, self.timeout, self.state = execution_id, timeout, state


@dataclass(frozen=True, slots=True)
class AthenaResult:
    """A finished query's rows (typed), and what it cost: bytes scanned and time."""

    execution_id: str
    workgroup: str
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    data_scanned_bytes: int
    engine_seconds: float | None  # Athena's TotalExecutionTimeInMillis
    elapsed_seconds: float  # submission to the last page, as the caller's clock saw it
    pages: int


def backoff_delays(first: float = FIRST_DELAY, maximum: float = MAX_DELAY) -> Iterator[float]:
    """``first``, doubled at each step up to ``maximum``, forever: 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5..."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, maximum)


def human_bytes(count: int) -> str:
    """``count`` bytes in binary units: 0 B, 512 B, 1.5 KiB, 10.0 MiB..."""
    if count < _KIB:
        return f"{count} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB"):
        value /= _KIB
        if value < _KIB:
            return f"{value:.1f} {unit}"
    return f"{value / _KIB:.1f} TiB"


def _timestamp(value: str) -> datetime | str:
    """Athena's ``2024-01-02 03:04:05.678``, or with a zone (``... UTC``); the text if it is neither."""
    day, _, rest = value.partition(" ")
    clock_time, _, zone = rest.partition(" ")
    try:
        parsed = datetime.fromisoformat(f"{day} {clock_time}" if clock_time else day)
        return parsed.replace(tzinfo=ZoneInfo(zone)) if zone else parsed
    except (ValueError, ZoneInfoNotFoundError):
        return value


def _boolean(value: str) -> bool | str:
    return {"true": True, "false": False}.get(value.lower(), value)


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(_INTEGER_TYPES, int),
    **dict.fromkeys(_FLOAT_TYPES, float),
    "decimal": Decimal,
    "boolean": _boolean,
    "date": date.fromisoformat,
    "timestamp": _timestamp,
    "timestamp with time zone": _timestamp,
}


def convert(value: str | None, athena_type: str) -> Any:
    """One cell from Athena's text to Python by the column's type; None for NULL. Other types (varchar,
    json, arrays, maps, rows, time, intervals) and values that do not parse stay as Athena printed them.
    """
    if value is None:
        return None
    converter = _CONVERTERS.get(athena_type.lower().split("(", 1)[0].strip())
    if converter is None:
        return value
    try:
        return converter(value)
    except (ValueError, InvalidOperation):
        return value


def start_query(
    client: AthenaClient, sql: str, *, database: str, workgroup: str, parameters: Sequence[str] = ()
) -> str:
    """Submit ``sql`` in ``workgroup`` with ``database`` as its default database; the execution id.
    ``parameters`` fill its ``?`` placeholders in order, each a SQL literal written out (``'2026-01-01'``)."""
    if parameters:
        response = client.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database},
            WorkGroup=workgroup,
            ExecutionParameters=list(parameters),
        )
    else:  # Athena refuses an empty list
        response = client.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup
        )
    return response["QueryExecutionId"]


def wait_for_query(
    client: AthenaClient,
    execution_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> QueryExecutionTypeDef:
    """Poll until the query is SUCCEEDED, with exponential backoff; QueryFailedError when it FAILED or was
    CANCELLED, QueryTimeoutError (after stopping it) when ``timeout`` seconds pass first. Interrupted
    (Ctrl-C), the query is stopped too, so it does not go on scanning and billing.
    """
    started = clock()
    delays = backoff_delays()
    try:
        while True:
            execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution.get("Status", {})
            state = str(status.get("State", "QUEUED"))
            if state == SUCCEEDED:
                return execution
            if state in TERMINAL_STATES:
                raise QueryFailedError(execution_id, state, status.get("StateChangeReason", ""))
            delay = next(delays)
            if clock() - started + delay > timeout:
                client.stop_query_execution(QueryExecutionId=execution_id)
                raise QueryTimeoutError(execution_id, timeout, state)
            sleep(delay)
    except KeyboardInterrupt:
        client.stop_query_execution(QueryExecutionId=execution_id)
        raise


def _cells(row: RowTypeDef) -> list[str | None]:
    return [datum.get("VarCharValue") for datum in row.get("Data", [])]


def _column_names(columns: Sequence[ColumnInfoTypeDef]) -> list[str]:
    return [column.get("Label") or column["Name"] for column in columns]


def fetch_results(
    client: AthenaClient, execution_id: str, *, page_size: int = MAX_PAGE_SIZE
) -> tuple[list[str], list[str], list[tuple[Any, ...]], int]:
    """Every row of a finished query, through the GetQueryResults paginator: (names, types, rows, pages).

    The first row of the first page is the header Athena adds to a SELECT's results; it is dropped when it
    repeats the column names (a statement without a header keeps all its rows).
    """
    names: list[str] = []
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    pages = 0
    paginator = client.get_paginator("get_query_results")
    for page in paginator.paginate(QueryExecutionId=execution_id, PaginationConfig={"PageSize": page_size}):
        page_rows = page["ResultSet"].get("Rows", [])
        if pages == 0:
            columns = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
            names, types = _column_names(columns), [column["Type"] for column in columns]
            if page_rows and _cells(page_rows[0]) == names:
                page_rows = page_rows[1:]
        pages += 1
        for row in page_rows:
            cells = _cells(row)
            cells += [None] * (len(types) - len(cells))  # trailing NULLs may be left out
            rows.append(tuple(convert(cell, kind) for cell, kind in zip(cells, types, strict=False)))
    return names, types, rows, pages


def run_query(
    client: AthenaClient,
    sql: str,
    *,
    database: str,
    workgroup: str,
    parameters: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    page_size: int = MAX_PAGE_SIZE,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    on_step: StepCallback | None = None,
) -> AthenaResult:
    """Submit ``sql``, wait for it and fetch all of its rows, typed. ``on_step`` hears of each of the
    ``STEPS`` stages as it ends (submitted, finished, fetched), with a sentence about it.
    """

    def step(detail: str) -> None:
        if on_step is not None:
            on_step(detail)

    started = clock()
    execution_id = start_query(client, sql, database=database, workgroup=workgroup, parameters=parameters)
    step(f"submitted as {execution_id} in workgroup {workgroup}")
    execution = wait_for_query(client, execution_id, timeout=timeout, sleep=sleep, clock=clock)
    statistics = execution.get("Statistics", {})
    scanned = int(statistics.get("DataScannedInBytes", 0))
    step(f"{SUCCEEDED} after {clock() - started:.1f} s, {human_bytes(scanned)} scanned")
    names, types, rows, pages = fetch_results(client, execution_id, page_size=page_size)
    step(f"fetched {len(rows)} row{'' if len(rows) == 1 else 's'} in {pages} page{'' if pages == 1 else 's'}")
    engine_millis = statistics.get("TotalExecutionTimeInMillis")
    return AthenaResult(
        execution_id=execution_id,
        workgroup=execution.get("WorkGroup") or workgroup,
        columns=names,
        types=types,
        rows=rows,
        data_scanned_bytes=scanned,
        engine_seconds=None if engine_millis is None else engine_millis / 1000,
        elapsed_seconds=clock() - started,
        pages=pages,
    )
