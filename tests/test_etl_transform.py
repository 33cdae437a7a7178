"""The job's fast road from raw bodies to Parquet gives exactly what the plain definitions give.

``parse_json`` must be ``json.loads``, ``flatten_objects`` must be ``flatten_update`` per body, and
``unique_table`` over a ``TableBuilder``'s batches must write the bytes of ``build_table(deduplicate(...))``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.etl import table as table_module
from functions.etl.day_rows import FLATTENERS
from functions.etl.flatten import Flattened, Row, flatten_update
from functions.etl.job import DaySummary, flatten_objects, parse_json
from functions.etl.schema import MESSAGES, TableSpec
from functions.etl.table import TableBuilder, build_table, deduplicate, to_parquet
from tests.etl_support import CHANNEL, DAY_START, GROUP, text_update
from tests.test_flatten import JSON, ROW_UPDATES, UPDATES


def beyond_64_bits_as_floats(value: Any) -> Any:
    """``value`` with its integers outside int64 and uint64 as floats: what orjson makes of them, and what
    parse_json allows (no column takes either)."""
    if isinstance(value, dict):
        return {key: beyond_64_bits_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [beyond_64_bits_as_floats(item) for item in value]
    if type(value) is int and not -(2**63) <= value < 2**64:
        return float(value) if abs(value) < 2**1024 else (math.inf if value > 0 else -math.inf)
    return value


def outcome(function: Any, body: bytes) -> tuple[Any, ...]:
    """What ``function(body)`` returns (big integers as parse_json may give them), or the type and message
    of what it raises."""
    try:
        return ("value", beyond_64_bits_as_floats(function(body)))
    except (ValueError, RecursionError) as error:
        return ("error", type(error), str(error))


EDGE_BODIES = [
    b'{"update_id":1}',
    b' {"update_id":1}',
    b'{"update_id":1} ',
    b'{"update_id":1}\n',
    b'{"update_id":1}x',
    b'{"a":1}{"b":2}',
    b'{"',
    b'{"a":}',
    b'{"a":1,}',
    b'{"\x00"}',
    b'{"a":"\xed\xa0\xbd"}',  # a lone surrogate, UTF-8-encoded: json.loads accepts it (surrogatepass)
    b'{"a":"\xff"}',
    b'{"a":NaN,"b":-Infinity,"c":1e999}',
    b"\xef\xbb\xbf" + b'{"update_id":1}',
    '{"update_id":1}'.encode("utf-16"),
    '{"update_id":1}'.encode("utf-32-le"),
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,  # deeper than the recursion limit
    b"",
    b"[]",
    b"null",
    b'{"a":18446744073709551616,"b":-9223372036854775809}',  # beyond 64 bits: ints for json, floats for orjson
    b'{"update_id":1' + b"0" * 400 + b"}",  # too big even for a float: orjson refuses, json takes it
    b'{"a":"1234567890123456789","b":-0.0,"c":1E2,"d":5e-324,"e":1.7976931348623157e308}',
    b'{"a":1,"a":2}',
    b'{"a":"\\ud83d\\ude00 \\ud800"}',  # escapes: a pair, then a lone surrogate
    b"[" * 1_100 + b"]" * 1_100,  # deeper than orjson's limit, not json's
]


@pytest.mark.parametrize("body", EDGE_BODIES, ids=range(len(EDGE_BODIES)))
def test_parse_json_is_json_loads_on_edge_cases(body: bytes) -> None:
    assert repr(outcome(parse_json, body)) == repr(outcome(json.loads, body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=40) | st.builds(lambda value: json.dumps(value).encode(), JSON) | st.sampled_from(EDGE_BODIES)
)
def test_parse_json_is_json_loads(body: bytes) -> None:
    """The same value or the same exception, for any bytes."""
    assert repr(outcome(parse_json, body)) == repr(outcome(json.loads, body))


def reference(bodies: list[bytes], earlier: set[int]) -> tuple[bytes | None, int, int, int]:
    """The day's Parquet by the plain definitions: json.loads, flatten_update, deduplicate, build_table."""
    rows: list[Row] = []
    skipped = without_row = 0
    for body in bodies:
        try:
            flattened = flatten_update(json.loads(body))
        except (ValueError, RecursionError):
            skipped += 1
            continue
        if flattened.row is not None:
            rows.append(flattened.row)
        elif flattened.invalid:
            skipped += 1
        elif flattened.kind not in FLATTENERS:
            without_row += 1
        else:  # a row of another table, unless the update is unusable
            _, flatten = FLATTENERS[flattened.kind]
            update = json.loads(body)
            skipped += isinstance(flatten(update["update_id"], flattened.kind, update[flattened.kind]), Flattened)
    unique, dropped = deduplicate(rows, earlier)
    return (to_parquet(build_table(unique)) if unique else None), dropped, skipped, without_row


def job(bodies: list[bytes], earlier: set[int]) -> tuple[bytes | None, int, int, int]:
    """The same through the job's functions."""
    summary = DaySummary(date="2024-01-01")
    day = flatten_objects(((f"{index}.json", body) for index, body in enumerate(bodies)), summary)
    table, dropped = day.tables(earlier)["telegram"]
    assert summary.objects_read == len(bodies)
    return (to_parquet(table) if table.num_rows else None), dropped, summary.skipped, summary.updates_without_row


# Updates whose ids collide: repeated update ids (the rare fallback), repeated messages, earlier ids.
SMALL_IDS = st.integers(0, 5)
COLLIDING = st.builds(
    lambda update_id, message_id, chat, date, kind: {
        "update_id": update_id,
        kind: {"message_id": message_id, "chat": chat, "date": date, "text": f"{update_id}/{message_id}"},
    },
    SMALL_IDS,
    SMALL_IDS,
    st.sampled_from([GROUP, CHANNEL]),
    st.integers(DAY_START, DAY_START + 2),
    st.sampled_from(["message", "channel_post"]),
)
BODIES = st.lists(
    st.builds(lambda value: json.dumps(value).encode(), COLLIDING | ROW_UPDATES | UPDATES | JSON)
    | st.binary(max_size=10),
    max_size=12,
)
EARLIER = st.sets(SMALL_IDS | st.integers(0, 2**70), max_size=3)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES, EARLIER)
def test_the_job_writes_the_bytes_of_the_plain_definitions(bodies: list[bytes], earlier: set[int]) -> None:
    """Byte for byte, with the same counts, whatever lands in the raw partition."""
    assert job(bodies, earlier) == reference(bodies, earlier)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES, EARLIER)
def test_batches_do_not_change_the_bytes(bodies: list[bytes], earlier: set[int]) -> None:
    """A day of many TableBuilder batches writes what one batch would."""
    expected = reference(bodies, earlier)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table_module, "BATCH_ROWS", 2)
        assert job(bodies, earlier) == expected


def test_table_builder_keeps_rows_in_order_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows become Arrow three at a time, and the table holds them all, in order, in one chunk."""
    batches: list[int] = []
    record_batch = table_module._record_batch

    def counted(columns: Any, spec: TableSpec = MESSAGES) -> Any:
        batches.append(len(columns[0]))
        return record_batch(columns, spec)

    monkeypatch.setattr(table_module, "BATCH_ROWS", 3)
    monkeypatch.setattr(table_module, "_record_batch", counted)
    rows = [row for row in (flatten_update(text_update(index)).row for index in range(1, 11)) if row is not None]
    builder = TableBuilder()
    for row in rows:
        builder.add(row)
    built = builder.table()
    assert batches == [3, 3, 3, 1]
    assert built.column("update_id").num_chunks == 1
    assert built.equals(build_table(rows))
    assert TableBuilder().table().num_rows == 0


def test_late_redeliveries_and_resent_messages_are_dropped() -> None:
    """The Arrow road: yesterday's update ids go, and a message re-sent under a new update id keeps its first row."""
    updates = [
        text_update(10, "first", message_id=1),
        text_update(11, "again", message_id=1),
        text_update(12, "other", message_id=2),
        text_update(9, "yesterday's", message_id=3),
    ]
    bodies = [json.dumps(update).encode() for update in updates]
    assert job(bodies, {9, 2**64}) == reference(bodies, {9, 2**64})
    parquet, dropped, _, _ = job(bodies, {9})
    assert dropped == 2
    assert parquet is not None


def test_the_fast_parser_is_the_one_under_test() -> None:
    """The layer ships orjson (tests/test_packaging.py); here too it must be the parser, or the tests above
    would compare json with itself."""
    import orjson  # noqa: PLC0415

    from functions.etl import job  # noqa: PLC0415

    assert job.FAST_LOADS is orjson.loads
