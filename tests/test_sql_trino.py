"""The saved queries on a real Trino (Athena engine 3's engine) give the rows they give on DuckDB.

``sql/`` must run unchanged on Athena and on DuckDB. Two lakes, written by the ETL's own code and laid out
as in the enriched bucket, are read by both engines: the hand-checked sample of ``tests/sql_samples.py``
and the demo's generated week (``telegram_datalake/demo``). On Trino they are a Hive table built from
``sql/schema.json`` with ``context_date DATE`` as its partition column, partitions registered from the
directories. Then what users type on Athena: DATE literals on the partition, a DATE compared with a string
(which Trino refuses), ``AT TIME ZONE`` on ``sent_at``, and integer division.

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
from functions.etl.table import to_parquet, unique_table
from telegram_datalake.demo.sample_chat import SampleChat, build_sample_chat
from telegram_datalake.duckdb_engine import QueryResult, connect, run_query
from telegram_datalake.saved_queries import SQL_DIR, get_query, list_queries, render
from tests.sql_samples import DATABASE, EXPECTED, TABLE, TIMEZONE, day, write_lake
from tests.trino_server import (
    TrinoServer,
    provision,
    register_projected_table,
    register_table,
    running_trino,
    table_columns,
)

REPO = Path(__file__).resolve().parent.parent
DEMO_DATABASE = "demo_week"  # the demo's lake is a second database with the same table
PROJECTED_TABLE = "telegram_projected"  # the sample lake again, with the Glue table's partition projection
QUERY_NAMES = [query.name for query in list_queries()]


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

    def saved(self, name: str) -> str:
        """The saved query ``name`` rendered as Terraform renders it for Athena, for this lake."""
        return render(get_query(name).template, database=self.database, table=TABLE, timezone=TIMEZONE)

    def sql(self, template: str, table: str = TABLE, **values: str) -> str:
        """A test's query: ``${database}``, ``${table}``, ``${timezone}`` as in ``sql/``, and ``values``."""
        return Template(template).substitute(database=self.database, table=table, timezone=TIMEZONE, **values)


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


def write_demo_lake(root: Path, sample: SampleChat) -> dict[str, int]:
    """The demo's week as the pipeline stores it: per day, the raw objects the ingest keeps (one per update
    id, a re-delivery overwriting), turned into Parquet by the ETL's steps; returns the rows per day."""
    objects: dict[str, dict[int, bytes]] = {day.isoformat(): {} for day in sample.days}
    for delivery in sample.deliveries:
        update = delivery.update()
        if delivery.expected == "stored" and update is not None:
            objects[sample.day_of(delivery)][update["update_id"]] = delivery.body
    rows: dict[str, int] = {}
    stored_before: set[int] = set()
    for day_name, bodies in objects.items():
        summary = DaySummary(date=day_name)
        table = flatten_objects(((f"{key}.json", bodies[key]) for key in sorted(bodies)), summary)
        table, _ = unique_table(table, stored_before)
        stored_before = set(bodies)
        if table.num_rows:
            partition = root / f"context_date={day_name}"
            partition.mkdir(parents=True)
            (partition / "telegram.parquet").write_bytes(to_parquet(table))
            rows[day_name] = table.num_rows
    return rows


def _open_lake(server: TrinoServer, database: str, root: Path) -> Iterator[Engines]:
    register_table(server, database, TABLE, root)
    with connect(root, database=database, table=TABLE) as connection:
        yield Engines(database, root, server, connection)


@pytest.fixture(scope="session")
def sample(trino_server: TrinoServer, storage_root: Path) -> Iterator[Engines]:
    """The hand-checked sample lake of ``tests/sql_samples.py`` (six days, 28 rows)."""
    root = storage_root / "sample" / TABLE
    write_lake(root)
    yield from _open_lake(trino_server, DATABASE, root)


@pytest.fixture(scope="session")
def projected(sample: Engines) -> str:
    """The sample lake as a table with the Athena DDL's partition projection (from 60 days ago), no partition
    registered: its name."""
    register_projected_table(sample.trino, DATABASE, PROJECTED_TABLE, sample.root, day(60).isoformat())
    return PROJECTED_TABLE


@pytest.fixture(scope="session")
def demo_rows_per_day(storage_root: Path) -> dict[str, int]:
    """The demo's generated week, ending yesterday in the pipeline's time zone, as ``make demo`` runs it."""
    last_day = datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)
    return write_demo_lake(storage_root / "demo" / TABLE, build_sample_chat(last_day, TIMEZONE))


@pytest.fixture(scope="session")
def demo(trino_server: TrinoServer, storage_root: Path, demo_rows_per_day: dict[str, int]) -> Iterator[Engines]:
    yield from _open_lake(trino_server, DEMO_DATABASE, storage_root / "demo" / TABLE)


# ---------------------------------------------------------------------------------------------------------------
# The server and the table are Athena's.


def test_the_server_is_the_fetched_trino_on_loopback_in_utc(trino_server: TrinoServer) -> None:
    """One node, the version fetch.py installed, listening on 127.0.0.1 only, in Athena's session zone."""
    result = trino_server.query("SELECT node_version, http_uri FROM system.runtime.nodes")
    assert result.rows == [(trino_server.installation.version, f"http://127.0.0.1:{trino_server.port}")]
    assert trino_server.query("SELECT current_timezone()").rows == [("UTC",)]


def test_the_table_has_schema_jsons_columns_and_a_date_partition(sample: Engines) -> None:
    """The columns in order, with the types Athena shows for the Glue table; context_date the partition key."""
    described = sample.on_trino(f'DESCRIBE "{DATABASE}"."{TABLE}"')
    assert [(row[0], row[1]) for row in described.rows] == table_columns()
    assert [row[0] for row in described.rows if row[2] == "partition key"] == ["context_date"]


def test_the_partitions_are_the_lakes_day_directories(sample: Engines) -> None:
    partitions = sample.on_trino(sample.sql('SELECT context_date FROM "${database}"."${table}$$partitions" ORDER BY 1'))
    days = sorted(date.fromisoformat(path.name.removeprefix("context_date=")) for path in sample.root.iterdir())
    assert partitions.rows == [(day,) for day in days]


# ---------------------------------------------------------------------------------------------------------------
# Every saved query: the same rows on Trino as on DuckDB, over the same files.


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_saved_query_on_the_sample_lake(sample: Engines, name: str) -> None:
    """On the hand-checked lake both engines give exactly the expected rows, columns and order."""
    sql = sample.saved(name)
    assert sample.on_trino(sql) == EXPECTED[name]
    assert sample.on_duckdb(sql) == EXPECTED[name]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_saved_query_on_the_demo_week(demo: Engines, name: str) -> None:
    """On the demo's generated week: emoji, replies, media with captions, service messages, channel posts,
    a re-delivered update, messages on both sides of local and UTC midnight."""
    sql = demo.saved(name)
    on_trino = demo.on_trino(sql)
    assert on_trino == demo.on_duckdb(sql)
    assert on_trino.rows


def test_the_demo_week_is_read_whole(demo: Engines, demo_rows_per_day: dict[str, int]) -> None:
    result = demo.on_trino(
        demo.sql('SELECT CAST(context_date AS VARCHAR), count(*) FROM "${database}"."${table}" GROUP BY 1')
    )
    assert dict(result.rows) == demo_rows_per_day
    assert len(demo_rows_per_day) == 7


def test_the_glue_tables_partition_projection_gives_the_same_rows(sample: Engines, projected: str) -> None:
    """The DDL's TBLPROPERTIES (Athena's projection.* parameters), read by Trino's own implementation of
    Athena's partition projection: every saved query gives the expected rows without a registered partition."""
    for name in QUERY_NAMES:
        sql = render(get_query(name).template, database=DATABASE, table=projected, timezone=TIMEZONE)
        assert sample.on_trino(sql) == EXPECTED[name], name


def test_a_projected_day_without_a_file_is_empty(sample: Engines, projected: str) -> None:
    """As on Athena: a day in the projection's range that the ETL wrote no file for reads as no rows."""
    count = """SELECT count(*) FROM "${database}"."${table}" WHERE context_date = DATE '${day}'"""
    assert sample.on_trino(sample.sql(count, table=projected, day=day(1).isoformat())).rows == [(4,)]
    assert not (sample.root / f"context_date={day(10).isoformat()}").exists()
    assert sample.on_trino(sample.sql(count, table=projected, day=day(10).isoformat())).rows == [(0,)]


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
