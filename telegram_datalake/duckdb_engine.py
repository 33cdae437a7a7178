"""Run the saved Athena queries locally on DuckDB, over Parquet files laid out like the enriched bucket.

The views it creates look like the Glue tables to the queries: ``"database"."table"`` for the messages
table (its Glue name is configurable) and ``"database"."<name>"`` for every other table of
``sql/tables/``, with the Parquet columns and a ``context_date`` DATE column taken from the
``context_date=YYYY-MM-DD`` directory, just as Athena's partition projection provides it. A table without
files is an empty view with its columns, as a Glue table over an empty prefix. The session time zone is
UTC, as in Athena, so ``current_date`` and time zone conversions do not depend on the machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from telegram_datalake.parquet_source import DEFAULT_PREFIX, table_prefixes
from telegram_datalake.saved_queries import MESSAGES_TABLE, SQL_DIR, Schema, get_query, load_schemas, render

PARTITION_KEY = "context_date"
_PARTITION_DIR = re.compile(rf"{PARTITION_KEY}=[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}")

# Hive types of sql/tables/*.json as DuckDB reads them from the ETL's Parquet (timestamps are UTC instants).
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
    """One table's Parquet files: ``parquet`` itself if it is a list, else every day under the directory.

    ValueError for a file outside a ``context_date=YYYY-MM-DD`` directory: it would have no partition key.
    """
    files = sorted(parquet.glob(f"{PARTITION_KEY}=*/*.parquet")) if isinstance(parquet, Path) else list(parquet)
    for path in files:
        if not _PARTITION_DIR.fullmatch(path.parent.name):
            raise ValueError(f"{path} is not in a {PARTITION_KEY}=YYYY-MM-DD directory")
    return files


def lake_files(root: Path, *, prefix: str = DEFAULT_PREFIX, sql_dir: Path = SQL_DIR) -> dict[str, list[Path]]:
    """Each table's files in ``root``, a local copy of the enriched bucket, by table name.

    The messages table is under ``root/<prefix>/``, every other table under ``root/<name>/``. ValueError if
    ``root`` itself holds ``context_date=`` folders: it is one table's folder, and the other tables would
    silently read as empty.
    """
    if any(_PARTITION_DIR.fullmatch(path.name) for path in root.glob(f"{PARTITION_KEY}=*")):
        raise ValueError(
            f"{root} holds {PARTITION_KEY}= folders, so it is one table's folder: give the folder above it, "
            f"laid out as the enriched bucket (the messages table in {prefix.strip('/')}/, the others in <table>/)"
        )
    return {name: partition_files(root / folder) for name, folder in table_prefixes(prefix, sql_dir).items()}


def _relation(schema: Schema, files: Sequence[Path]) -> str:
    """The rows of ``files``; with no file, a relation with the table's columns and no rows."""
    if files:
        paths = ", ".join(_quote_literal(str(path)) for path in files)
        return (
            f"SELECT * FROM read_parquet([{paths}], hive_partitioning = true, "  # noqa: S608 - quoted literals
            f"hive_types = {{'{PARTITION_KEY}': DATE}})"
        )
    columns = [*schema["columns"], *schema["partition_keys"]]
    selected = ", ".join(
        f"CAST(NULL AS {DUCKDB_TYPES[column['type']]}) AS {_quote_identifier(column['name'])}" for column in columns
    )
    return f"SELECT {selected} WHERE false"


def connect_files(
    files: Mapping[str, Sequence[Path]], *, database: str, table: str = MESSAGES_TABLE, sql_dir: Path = SQL_DIR
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table of ``sql/tables/`` over the given files.

    ``files`` maps table names (``telegram`` for the messages table) to Parquet files, each in its
    ``context_date=`` directory; a table left out is empty. The messages view is ``"database"."table"``.
    """
    schemas = load_schemas(sql_dir)
    unknown = sorted(set(files) - set(schemas))
    if unknown:
        raise ValueError(f"no table {', '.join(unknown)}; known: {', '.join(schemas)}")
    views = {name: table if name == MESSAGES_TABLE else name for name in schemas}
    if table != MESSAGES_TABLE and table in schemas:
        raise ValueError(f"the messages table cannot be called {table!r}: that is another table's name")
    relations = {
        name: _relation(schema, partition_files(list(files.get(name, ())))) for name, schema in schemas.items()
    }
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"CREATE SCHEMA {_quote_identifier(database)}")
    for name, relation in relations.items():
        view = f"{_quote_identifier(database)}.{_quote_identifier(views[name])}"
        connection.execute(f"CREATE VIEW {view} AS {relation}")
    return connection


def connect(
    root: Path, *, database: str, table: str = MESSAGES_TABLE, prefix: str = DEFAULT_PREFIX, sql_dir: Path = SQL_DIR
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table over ``root``, a local copy of the enriched bucket.

    As in the bucket, the messages table's files are under ``root/<prefix>/`` and are the view
    ``"database"."table"``; every other table's are under ``root/<name>/`` and are ``"database"."<name>"``.
    """
    return connect_files(
        lake_files(root, prefix=prefix, sql_dir=sql_dir), database=database, table=table, sql_dir=sql_dir
    )


def run_query(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[object] | None = None
) -> QueryResult:
    """Run one rendered query, its ``?`` placeholders bound to ``parameters``, and fetch all of its rows."""
    cursor = connection.execute(sql, parameters)
    columns = [column[0] for column in cursor.description or ()]
    return QueryResult(columns=columns, rows=cursor.fetchall())


def run_saved_query(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    *,
    database: str,
    table: str,
    timezone: str,
    parameters: Sequence[object] | None = None,
    sql_dir: Path = SQL_DIR,
) -> QueryResult:
    """Render the saved query ``name`` exactly as Terraform does for Athena, and run it on ``connection``
    (``parameters``: the values of its ``?`` placeholders, for a query with a period)."""
    sql = render(get_query(name, sql_dir).template, database=database, table=table, timezone=timezone)
    return run_query(connection, sql, parameters)
