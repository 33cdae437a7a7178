"""The saved queries on a real Trino (Athena engine 3's engine) give the rows they give on DuckDB.

``sql/`` must run unchanged on Athena and on DuckDB. Two lakes, laid out as in the enriched bucket (the
messages table under ``telegram/``, every other table under its name), are read by both engines: the
hand-checked sample of ``tests/sql_samples.py`` and the demo's generated week (``telegram_datalake/demo``)
run through the ETL's own code. On Trino each table is a Hive table built from its ``sql/tables/*.json``
with ``context_date DATE`` as its partition column, partitions registered from the directories; and again
with the Glue tables' partition projection. Then what users type on Athena: DATE literals on the partition,
a DATE compared with a string (which Trino refuses), ``AT TIME ZONE`` on ``sent_at``, integer division, and
the functions the saved queries call.

The server (``tests/trino_server.py``) is started once for the file and stopped at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

import duckdb
import pytest
from trino.exceptions import TrinoUserError

from functions.etl.job import DaySummary, flatten_objects
from functions.etl.table import to_parquet
from telegram_datalake.demo.sample_chat import SampleChat, build_sample_chat
from telegram_datalake.duckdb_engine import QueryResult, connect, run_query
from telegram_datalake.parquet_source import table_prefixes
from telegram_datalake.report.period import PERIOD_FILTER, Period
from telegram_datalake.saved_queries import MESSAGES_TABLE, SQL_DIR, get_query, list_queries, load_schemas, render
from tests.sql_expected import EVERY_DAY, EXPECTED, REPORT_PERIODS
from tests.sql_samples import CHANNEL_ID, CLUB_ID, DATABASE, GROUP_ID, PREFIX, TABLE, TIMEZONE, day, week, write_lake
from tests.trino_server import (
    TrinoServer,
    lake_tables,
    provision,
    register_lake,
    register_projected_lake,
    running_trino,
    table_columns,
)

REPO = Path(__file__).resolve().parent.parent
DEMO_DATABASE = "demo_week"  # the demo's lake is a second database with the same tables
PROJECTED_DATABASE = "projected"  # the sample lake again, with the Glue tables' partition projection
QUERY_NAMES = [query.name for query in list_queries()]
TABLE_NAMES = list(load_schemas())


@dataclass(frozen=True)
class Engines:
    """One lake, open on both engines: the DuckDB view and the Trino table, under the same names."""

    database: str
    root: Path
    trino: TrinoServer
    duckdb_connection: duckdb.DuckDBPyConnection

    def on_trino(self, sql: str) -> QueryResult:
        return self.trino.query(sql)

    def on_duckdb(self, sql: str) -> QueryResult:
        return run_query(self.duckdb_connection, sql)

    def saved(self, name: str, database: str | None = None) -> str:
        """The saved query ``name`` rendered as Terraform renders it for Athena, for this lake."""
        return render(get_query(name).template, database=database or self.database, table=TABLE, timezone=TIMEZONE)

    def on_trino_saved(self, name: str, period: Period | None = None, database: str | None = None) -> QueryResult:
        """The saved query on Trino; a report query for ``period`` (by default its period of REPORT_PERIODS),
        bound from the very strings Athena is sent (``EXECUTE IMMEDIATE ... USING``)."""
        sql = self.saved(name, database)
        filters = get_query(name).period_filters
        if not filters:
            return self.on_trino(sql)
        athena_values = ", ".join((period or REPORT_PERIODS[name]).athena_parameters(filters))
        statement = sql.replace("'", "''")
        return self.on_trino(f"EXECUTE IMMEDIATE '{statement}' USING {athena_values}")

    def on_duckdb_saved(self, name: str, period: Period | None = None) -> QueryResult:
        """The saved query on DuckDB; a report query's period bound from Python values."""
        filters = get_query(name).period_filters
        parameters = (period or REPORT_PERIODS[name]).duckdb_parameters(filters) if filters else None
        return run_query(self.duckdb_connection, self.saved(name), parameters)

    def run_saved(self, name: str, period: Period | None = None) -> tuple[QueryResult, QueryResult]:
        """The saved query on both engines."""
        return self.on_trino_saved(name, period), self.on_duckdb_saved(name, period)

    def sql(self, template: str, table: str = TABLE, database: str | None = None, **values: str) -> str:
        """A test's query: ``${database}``, ``${table}``, ``${timezone}`` as in ``sql/``, and ``values``."""
        database = database or self.database
        return Template(template).substitute(database=database, table=table, timezone=TIMEZONE, **values)


# ---------------------------------------------------------------------------------------------------------------
# The server and the lakes.


@pytest.fixture(scope="session")
def storage_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the Hive catalog calls ``local:///``: the lakes and the file metastore live below it."""
    return tmp_path_factory.mktemp("trino-storage")


@pytest.fixture(scope="session")
def trino_server(tmp_path_factory: pytest.TempPathFactory, storage_root: Path) -> Iterator[TrinoServer]:
    """One Trino for the whole run (fetched first if missing), stopped at the end even when tests fail."""
    with running_trino(tmp_path_factory.mktemp("trino-server"), storage_root) as server:
        yield server


def write_demo_lake(root: Path, sample: SampleChat) -> dict[str, dict[str, int]]:
    """The demo's week as the pipeline stores it: per day, the raw objects the ingest keeps (one per update
    id, a re-delivery overwriting), turned into every table's Parquet by the ETL's steps, laid out as in the
    enriched bucket; returns the rows per table and day."""
    objects: dict[str, dict[int, bytes]] = {day.isoformat(): {} for day in sample.days}
    for delivery in sample.deliveries:
        update = delivery.update()
        if delivery.expected == "stored" and update is not None:
            objects[sample.day_of(delivery)][update["update_id"]] = delivery.body
    folders = table_prefixes(PREFIX)
    rows: dict[str, dict[str, int]] = {name: {} for name in folders}
    stored_before: set[int] = set()
    for day_name, bodies in objects.items():
        summary = DaySummary(date=day_name)
        tables = flatten_objects(((f"{key}.json", bodies[key]) for key in sorted(bodies)), summary).tables(
            stored_before
        )
        stored_before = set(bodies)
        for name, (table, _) in tables.items():
            if table.num_rows:
                partition = root / folders[name] / f"context_date={day_name}"
                partition.mkdir(parents=True)
                (partition / f"{name}.parquet").write_bytes(to_parquet(table))
                rows[name][day_name] = table.num_rows
    return rows


def _open_lake(server: TrinoServer, database: str, root: Path) -> Iterator[Engines]:
    register_lake(server, database, root, table=TABLE, prefix=PREFIX)
    with connect(root, database=database, table=TABLE, prefix=PREFIX) as connection:
        yield Engines(database, root, server, connection)


@pytest.fixture(scope="session")
def sample(trino_server: TrinoServer, storage_root: Path) -> Iterator[Engines]:
    """The hand-checked sample lake of ``tests/sql_samples.py``: three chats, four tables."""
    root = storage_root / "sample"
    write_lake(root)
    yield from _open_lake(trino_server, DATABASE, root)


@pytest.fixture(scope="session")
def projected(sample: Engines) -> str:
    """The sample lake as tables with the Athena DDL's partition projection (from before its first day), no
    partition registered: their database."""
    register_projected_lake(
        sample.trino, PROJECTED_DATABASE, sample.root, table=TABLE, prefix=PREFIX, projection_start=week(11).isoformat()
    )
    return PROJECTED_DATABASE


@pytest.fixture(scope="session")
def demo_rows_per_day(storage_root: Path) -> dict[str, dict[str, int]]:
    """The demo's generated week, ending yesterday in the pipeline's time zone, as ``make demo`` runs it."""
    last_day = datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)
    return write_demo_lake(storage_root / "demo", build_sample_chat(last_day, TIMEZONE))


@pytest.fixture(scope="session")
def demo(
    trino_server: TrinoServer, storage_root: Path, demo_rows_per_day: dict[str, dict[str, int]]
) -> Iterator[Engines]:
    yield from _open_lake(trino_server, DEMO_DATABASE, storage_root / "demo")


# ---------------------------------------------------------------------------------------------------------------
# The server and the table are Athena's.


def test_the_server_is_the_fetched_trino_on_loopback_in_utc(trino_server: TrinoServer) -> None:
    """One node, the version fetch.py installed, listening on 127.0.0.1 only, in Athena's session zone."""
    result = trino_server.query("SELECT node_version, http_uri FROM system.runtime.nodes")
    assert result.rows == [(trino_server.installation.version, f"http://127.0.0.1:{trino_server.port}")]
    assert trino_server.query("SELECT current_timezone()").rows == [("UTC",)]


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_each_table_has_its_schema_files_columns_and_a_date_partition(sample: Engines, table: str) -> None:
    """The columns in order, with the types Athena shows for the Glue table; context_date the partition key."""
    name, _ = lake_tables(sample.root, TABLE, PREFIX)[table]
    described = sample.on_trino(f'DESCRIBE "{DATABASE}"."{name}"')
    assert [(row[0], row[1]) for row in described.rows] == table_columns(table)
    assert [row[0] for row in described.rows if row[2] == "partition key"] == ["context_date"]


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_the_partitions_are_the_lakes_day_directories(sample: Engines, table: str) -> None:
    name, folder = lake_tables(sample.root, TABLE, PREFIX)[table]
    partitions = sample.on_trino(
        sample.sql('SELECT context_date FROM "${database}"."${table}$$partitions" ORDER BY 1', table=name)
    )
    days = sorted(date.fromisoformat(path.name.removeprefix("context_date=")) for path in folder.iterdir())
    assert days
    assert partitions.rows == [(day,) for day in days]


def test_the_messages_table_keeps_its_glue_name_and_prefix_and_the_others_take_theirs() -> None:
    """As Terraform names them: the messages table is var.table_name over ENRICHED_PREFIX, the others are
    their names over their own prefixes."""
    root = Path("/lake")
    assert lake_tables(root, "msgs", "data/telegram") == {
        MESSAGES_TABLE: ("msgs", root / "data" / "telegram"),
        **{name: (name, root / name) for name in TABLE_NAMES if name != MESSAGES_TABLE},
    }


# ---------------------------------------------------------------------------------------------------------------
# Every saved query: the same rows on Trino as on DuckDB, over the same files.


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_saved_query_on_the_sample_lake(sample: Engines, name: str) -> None:
    """On the hand-checked lake both engines give exactly the expected rows, columns and order."""
    on_trino, on_duckdb = sample.run_saved(name)
    assert on_trino == EXPECTED[name]
    assert on_duckdb == EXPECTED[name]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_saved_query_on_the_demo_week(demo: Engines, name: str) -> None:
    """On the demo's generated week: emoji, replies, media with captions, service messages, channel posts,
    a re-delivered update, messages on both sides of local and UTC midnight."""
    on_trino, on_duckdb = demo.run_saved(name, EVERY_DAY)
    assert on_trino == on_duckdb
    assert on_trino.rows


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_the_demo_week_is_read_whole(demo: Engines, demo_rows_per_day: dict[str, dict[str, int]], table: str) -> None:
    """Every table of the demo's week has rows, and both engines read all of them."""
    name, _ = lake_tables(demo.root, TABLE, PREFIX)[table]
    sql = demo.sql(
        'SELECT CAST(context_date AS VARCHAR), count(*) FROM "${database}"."${table}" GROUP BY 1', table=name
    )
    assert dict(demo.on_trino(sql).rows) == demo_rows_per_day[table]
    assert dict(demo.on_duckdb(sql).rows) == demo_rows_per_day[table]
    assert demo_rows_per_day[table]
    if table == MESSAGES_TABLE:
        assert len(demo_rows_per_day[table]) == 7


def test_the_glue_tables_partition_projection_gives_the_same_rows(sample: Engines, projected: str) -> None:
    """The DDL's TBLPROPERTIES (Athena's projection.* parameters), read by Trino's own implementation of
    Athena's partition projection: every saved query gives the expected rows without a registered partition."""
    for name in QUERY_NAMES:
        assert sample.on_trino_saved(name, database=projected) == EXPECTED[name], name


REPORT_QUERIES = [name for name in QUERY_NAMES if get_query(name).period_filters]


@pytest.mark.parametrize("name", REPORT_QUERIES)
@pytest.mark.parametrize(
    ("first", "last", "chat"),
    [(3, 1, GROUP_ID), (3, 1, None), (45, 29, GROUP_ID), (80, 20, CLUB_ID), (2, 2, -1)],
    ids=["three days of the group", "three days of every chat", "weeks of the group", "the club", "no chat"],
)
def test_a_report_query_binds_alike_on_trino_as_athena_sends_it_and_on_duckdb(
    sample: Engines, name: str, first: int, last: int, chat: int | None
) -> None:
    on_trino, on_duckdb = sample.run_saved(name, Period(day(first), day(last), chat))
    assert on_trino == on_duckdb
    assert {row[0] for row in on_trino.rows} <= ({chat} if chat else {GROUP_ID, CLUB_ID, CHANNEL_ID})


@pytest.mark.parametrize(("table", "rows_on_day_1"), [(TABLE, 4), ("member_events", 4), ("reactions", 10)])
def test_a_projected_day_without_a_file_is_empty(
    sample: Engines, projected: str, table: str, rows_on_day_1: int
) -> None:
    """As on Athena: a day in the projection's range that the ETL wrote no file for reads as no rows."""
    count = """SELECT count(*) FROM "${database}"."${table}" WHERE context_date = DATE '${day}'"""
    on_day_1 = sample.sql(count, table=table, database=projected, day=day(1).isoformat())
    assert sample.on_trino(on_day_1).rows == [(rows_on_day_1,)]
    assert not list(sample.root.glob(f"*/context_date={day(20).isoformat()}"))
    on_day_10 = sample.sql(count, table=table, database=projected, day=day(20).isoformat())
    assert sample.on_trino(on_day_10).rows == [(0,)]


# ---------------------------------------------------------------------------------------------------------------
# What users type on Athena.


def test_a_date_literal_selects_a_partition_on_both_engines(sample: Engines) -> None:
    one_day = sample.sql(
        """SELECT count(*) FROM "${database}"."${table}" WHERE context_date = DATE '${day}'""",
        day=day(1).isoformat(),
    )
    days = sample.sql(
        """SELECT context_date, count(*) FROM "${database}"."${table}"
        WHERE context_date BETWEEN DATE '${first}' AND DATE '${last}' GROUP BY context_date ORDER BY 1""",
        first=day(3).isoformat(),
        last=day(1).isoformat(),
    )
    for run in (sample.on_trino, sample.on_duckdb):
        assert run(one_day).rows == [(4,)]
        assert run(days).rows == [(day(3), 5), (day(2), 5), (day(1), 4)]


PERIOD_COUNTS = """
WITH in_period AS (
    SELECT context_date, chat_id FROM "${database}"."${table}" WHERE ${filter}
),
edits_in_period AS (
    SELECT context_date, chat_id FROM "${database}"."message_edits" WHERE ${filter}
)
SELECT 'messages' AS source, context_date, chat_id, count(*) AS rows FROM in_period GROUP BY 2, 3
UNION ALL
SELECT 'edits', context_date, chat_id, count(*) FROM edits_in_period GROUP BY 2, 3
ORDER BY 1, 2, 3
"""
ALL_COUNTS = PERIOD_COUNTS.replace("${filter}", "TRUE")


@pytest.mark.parametrize("offsets", [(3, 1), (2, 2), (9, 0)], ids=["three days", "one day", "the whole sample"])
@pytest.mark.parametrize("chat", [None, "busiest"], ids=["every chat", "one chat"])
def test_the_report_period_binds_alike_on_trino_as_athena_sends_it_and_on_duckdb(
    sample: Engines, offsets: tuple[int, int], chat: str | None
) -> None:
    everything = sample.on_duckdb(sample.sql(ALL_COUNTS)).rows
    chat_id = max({row[2] for row in everything}, key=lambda chat_id: sum(r[3] for r in everything if r[2] == chat_id))
    period = Period(day(offsets[0]), day(offsets[1]), chat_id if chat else None)
    expected = [
        row
        for row in everything
        if period.start <= row[1] <= period.end and (period.chat_id is None or row[2] == period.chat_id)
    ]
    assert expected  # the period holds rows, so the comparison can fail
    sql = sample.sql(PERIOD_COUNTS, filter=PERIOD_FILTER)
    on_duckdb = sample.duckdb_connection.execute(sql, period.duckdb_parameters(filters=2)).fetchall()
    statement = sql.replace("'", "''")
    on_trino = sample.on_trino(
        f"EXECUTE IMMEDIATE '{statement}' USING {', '.join(period.athena_parameters(filters=2))}"
    )
    assert on_duckdb == on_trino.rows == expected


def test_a_period_ends_no_earlier_than_it_starts() -> None:
    with pytest.raises(ValueError, match="the period's start 2026-01-02 is after its end 2026-01-01"):
        Period(date(2026, 1, 2), date(2026, 1, 1))
    assert Period(date(2026, 1, 1), date(2026, 1, 7), -100123).describe("America/Sao_Paulo") == (
        "2026-01-01 to 2026-01-07 (America/Sao_Paulo days), chat -100123"
    )


def test_trino_refuses_to_compare_a_date_with_a_string(sample: Engines) -> None:
    """What the README warns about: DuckDB quietly casts the string, Athena (Trino) fails the query."""
    sql = sample.sql(
        """SELECT count(*) FROM "${database}"."${table}" WHERE context_date = '${day}'""", day=day(1).isoformat()
    )
    with pytest.raises(TrinoUserError, match=re.escape("Cannot apply operator: date = varchar(10)")):
        sample.on_trino(sql)
    assert sample.on_duckdb(sql).rows == [(4,)]


def test_the_readmes_athena_queries_run_on_trino(sample: Engines) -> None:
    """The README's SQL block, as written, on Trino: valid, and its DATE literal selects the partition."""
    (block,) = re.findall(r"^```sql\n(.*?)^```", (REPO / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    statements = [statement.strip() for statement in block.split(";") if statement.strip()]
    assert len(statements) == 2
    for statement in statements:
        sample.on_trino(statement)
    assert sample.on_trino(statements[0].replace("2026-01-01", day(1).isoformat())).rows == [(4,)]


def test_at_time_zone_gives_the_local_day_and_hour_on_both_engines(sample: Engines) -> None:
    """``sent_at`` is a UTC instant on both (Athena's session zone is UTC): converted, each message falls on
    the São Paulo day and hour it was sent, also the ones whose UTC day is the next one."""
    sql = sample.sql(
        """SELECT update_id, "date",
            CAST(sent_at AT TIME ZONE '${timezone}' AS DATE) AS local_day,
            hour(sent_at AT TIME ZONE '${timezone}') AS local_hour,
            minute(sent_at AT TIME ZONE '${timezone}') AS local_minute
        FROM "${database}"."${table}" ORDER BY update_id"""
    )
    on_trino = sample.on_trino(sql)
    assert on_trino == sample.on_duckdb(sql)
    zone = ZoneInfo(TIMEZONE)
    for _, unix_seconds, local_day, local_hour, local_minute in on_trino.rows:
        sent = datetime.fromtimestamp(unix_seconds, UTC).astimezone(zone)
        assert (local_day, local_hour, local_minute) == (sent.date(), sent.hour, sent.minute)
    late = [row for row in on_trino.rows if row[3] >= 21]  # 21:00 and later in São Paulo: the next day in UTC
    assert late
    assert all(datetime.fromtimestamp(row[1], UTC).date() == row[2] + timedelta(days=1) for row in late)


def test_sent_at_is_a_timestamp_without_zone_in_trino_and_an_instant_in_duckdb(sample: Engines) -> None:
    """Why the rule is ``AT TIME ZONE`` and a UTC session: Trino reads the Parquet instant as a UTC wall
    clock (Hive's ``timestamp``), DuckDB as TIMESTAMP WITH TIME ZONE; converted, both give the same wall clock."""
    sql = sample.sql('SELECT typeof(sent_at) FROM "${database}"."${table}" LIMIT 1')
    assert sample.on_trino(sql).rows == [("timestamp(3)",)]
    assert sample.on_duckdb(sql).rows == [("TIMESTAMP WITH TIME ZONE",)]


def test_integer_division_differs_and_no_saved_query_divides(sample: Engines) -> None:
    """Trino truncates an integer quotient (7/2 = 3), DuckDB does not (3.5; its ``//`` truncates): a saved
    query must not divide, and none does; ``avg`` is the same on both."""
    division = "SELECT 7 / 2, -7 / 2, 7.0 / 2"
    assert sample.on_trino(division).rows == [(3, -3, Decimal("3.5"))]
    assert sample.on_duckdb(division).rows == [(3.5, -3.5, 3.5)]
    assert sample.on_duckdb("SELECT 7 // 2").rows == [(3,)]
    for path in SQL_DIR.glob("*.sql"):
        code = "\n".join(line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert "/" not in code, path.name
    average = "SELECT avg(x) AS mean, CAST(ROUND(avg(x)) AS INTEGER) AS rounded FROM (VALUES (7), (8)) AS t (x)"
    assert sample.on_trino(average) == sample.on_duckdb(average)


def test_the_fixture_provisions_with_the_script_make_trino_runs() -> None:
    """Run again, the script downloads nothing and names the installed server: its lib and the Hive plugin."""
    installation = provision()
    assert (installation.home / "plugin" / "hive").is_dir()
    assert any((installation.home / "lib").glob("io.trino_trino-main-*.jar"))


def test_the_functions_the_saved_queries_call_behave_alike(sample: Engines) -> None:
    """Beyond the saved queries' rows: the week of each day of a week (Monday first), a day plus a week, a
    share rounded to 3 decimals, a window rank with ties, the latest partition, and a FULL OUTER JOIN."""
    statements = [
        """SELECT d, CAST(date_trunc('week', d) AS DATE), CAST(d + INTERVAL '7' DAY AS DATE),
            date_diff('day', DATE '2001-01-01', d) % 7 + 1
        FROM (VALUES (DATE '2026-01-04'), (DATE '2026-01-05'), (DATE '2026-01-07'), (DATE '2026-01-11')) AS t (d)
        ORDER BY d""",
        """SELECT round(avg(x), 3), round(avg(y), 3), max(x), sum(x)
        FROM (VALUES (1, 1), (0, 1), (0, 0)) AS t (x, y)""",
        """SELECT k, v, rank() OVER (ORDER BY k DESC) AS r FROM (VALUES (1, 'a'), (2, 'b'), (2, 'c')) AS t (k, v)
        ORDER BY r, v""",
        sample.sql('SELECT max(context_date), count(DISTINCT context_date) FROM "${database}"."${table}"'),
        """SELECT COALESCE(a.k, b.k) AS k, a.v, b.v FROM (VALUES (1, 'a'), (2, 'b')) AS a (k, v)
        FULL OUTER JOIN (VALUES (2, 'x'), (3, 'y')) AS b (k, v) ON a.k = b.k ORDER BY 1""",
    ]
    results = [sample.on_trino(sql).rows for sql in statements]
    assert results == [sample.on_duckdb(sql).rows for sql in statements]
    monday, wednesday, next_monday = date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 12)
    assert results[0] == [  # with the ISO weekday the report counts from Monday 2001-01-01 (7 is Sunday)
        (date(2026, 1, 4), date(2025, 12, 29), date(2026, 1, 11), 7),  # a Sunday ends its week
        (monday, monday, next_monday, 1),
        (wednesday, monday, date(2026, 1, 14), 3),
        (date(2026, 1, 11), monday, date(2026, 1, 18), 7),
    ]
    assert results[1] == [(0.333, 0.667, 1, 1)]
    assert results[2] == [(2, "b", 1), (2, "c", 1), (1, "a", 3)]
    assert results[4] == [(1, "a", None), (2, "b", "x"), (3, None, "y")]
