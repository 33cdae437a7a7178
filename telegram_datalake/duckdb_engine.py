"""Run the saved Athena queries locally on DuckDB, over Parquet files laid out like the enriched bucket.

The view it creates looks like the Glue table to the queries: ``"database"."table"`` with the Parquet
columns and a ``context_date`` DATE column taken from the ``context_date=YYYY-MM-DD`` directory, just as
Athena's partition projection provides it. The session time zone is UTC, as in Athena, so ``current_date``
and time zone conversions do not depend on the machine running the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from telegram_datalake.saved_queries import SQL_DIR, get_query, load_schema, render

PARTITION_KEY = "context_date"
_PARTITION_DIR = re.compile(rf"{PARTITION_KEY}=[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}")

# Hive types of schema.json as DuckDB reads them from the ETL's Parquet (timestamps are UTC instants).
DUCKDB_TYPES = {
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "date": "DATE",
}


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A query's column names and rows, in the query's order."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def partition_files(parquet: Path | Sequence[Path]) -> list[Path]:
    """The Parquet files to query: ``parquet`` itself if it is a list, else every day under the directory.

    ValueError for a file outside a ``context_date=YYYY-MM-DD`` directory: it would have no partition key.
    """
    files = sorted(parquet.glob(f"{PARTITION_KEY}=*/*.parquet")) if isinstance(parquet, Path) else list(parquet)
    for path in files:
        if not _PARTITION_DIR.fullmatch(path.parent.name):
            raise ValueError(f"{path} is not in a {PARTITION_KEY}=YYYY-MM-DD directory")
    return files


def _empty_relation(sql_dir: Path) -> str:
    """A relation with the table's columns and no rows, for a day range with no Parquet file yet."""
    schema = load_schema(sql_dir)
    columns = [*schema["columns"], *schema["partition_keys"]]
    selected = ", ".join(
        f"CAST(NULL AS {DUCKDB_TYPES[column['type']]}) AS {_quote_identifier(column['name'])}" for column in columns
    )
    return f"SELECT {selected} WHERE false"


def connect(
    parquet: Path | Sequence[Path], *, database: str, table: str, sql_dir: Path = SQL_DIR
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the view ``"database"."table"`` over ``parquet`` (a directory or files)."""
    files = partition_files(parquet)
    if files:
        paths = ", ".join(_quote_literal(str(path)) for path in files)
        relation = (
            f"SELECT * FROM read_parquet([{paths}], hive_partitioning = true, "  # noqa: S608 - quoted literals
            f"hive_types = {{'{PARTITION_KEY}': DATE}})"
        )
    else:
        relation = _empty_relation(sql_dir)
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"CREATE SCHEMA {_quote_identifier(database)}")
    connection.execute(f"CREATE VIEW {_quote_identifier(database)}.{_quote_identifier(table)} AS {relation}")
    return connection


def run_query(connection: duckdb.DuckDBPyConnection, sql: str) -> QueryResult:
    """Run one rendered query and fetch all of its rows."""
    cursor = connection.execute(sql)
    columns = [column[0] for column in cursor.description or ()]
    return QueryResult(columns=columns, rows=cursor.fetchall())


def run_saved_query(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    *,
    database: str,
    table: str,
    timezone: str,
    sql_dir: Path = SQL_DIR,
) -> QueryResult:
    """Render the saved query ``name`` exactly as Terraform does for Athena, and run it on ``connection``."""
    sql = render(get_query(name, sql_dir).template, database=database, table=table, timezone=timezone)
    return run_query(connection, sql)
