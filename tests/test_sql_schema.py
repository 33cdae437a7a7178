"""``sql/tables/*.json``, which the Glue tables and the Athena DDLs are built from, match what the ETL writes."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from functions.etl.schema import TABLES, TableSpec
from telegram_datalake.saved_queries import MESSAGES_TABLE, Column, Schema, load_schema, load_schemas

# The Hive type Athena must declare for each Arrow type the ETL writes to Parquet.
HIVE_TYPE_OF_ARROW = {
    pa.int64(): "bigint",
    pa.bool_(): "boolean",
    pa.string(): "string",
    pa.timestamp("ms", tz="UTC"): "timestamp",
}
SCHEMAS = load_schemas()
SPECS = {spec.name: spec for spec in TABLES}
FIELDS = [(spec.name, field) for spec in TABLES for field in spec.schema]
COLUMNS = [
    (name, column) for name, schema in SCHEMAS.items() for column in (*schema["columns"], *schema["partition_keys"])
]


def test_the_etl_writes_exactly_the_tables_of_sql_tables() -> None:
    assert sorted(SPECS) == sorted(SCHEMAS)
    assert next(iter(SCHEMAS)) == MESSAGES_TABLE == "telegram"


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.name)
def test_columns_are_the_etl_columns_in_order(spec: TableSpec) -> None:
    assert [column["name"] for column in SCHEMAS[spec.name]["columns"]] == spec.schema.names


@pytest.mark.parametrize(("table", "field"), FIELDS, ids=lambda value: getattr(value, "name", value))
def test_hive_type_matches_the_arrow_type(table: str, field: pa.Field) -> None:
    declared = {column["name"]: column["type"] for column in SCHEMAS[table]["columns"]}
    assert declared[field.name] == HIVE_TYPE_OF_ARROW[field.type]


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.name)
def test_context_date_is_the_only_partition_key_and_not_a_parquet_column(spec: TableSpec) -> None:
    assert [(key["name"], key["type"]) for key in SCHEMAS[spec.name]["partition_keys"]] == [("context_date", "date")]
    assert "context_date" not in spec.schema.names


@pytest.mark.parametrize(("name", "schema"), SCHEMAS.items(), ids=list(SCHEMAS))
def test_each_file_names_its_table_and_says_what_a_row_is(name: str, schema: Schema) -> None:
    assert schema["table"] == name
    assert load_schema(table=name) == schema
    assert schema["description"].strip()


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=[f"{table}.{column['name']}" for table, column in COLUMNS])
def test_column_is_safe_to_paste_into_ddl(table: str, column: Column) -> None:
    """The DDL template pastes names into backquotes and comments into '...': nothing may break out of them."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", column["name"]), table
    assert column["comment"].strip()
    assert not set(column["comment"]) & set("'\\`$%\n")
    assert len(column["comment"]) <= 255  # Glue's limit on a column comment


@pytest.mark.parametrize("table", [name for name in SCHEMAS if name != MESSAGES_TABLE])
def test_the_update_tables_locate_their_rows_as_the_queries_need(table: str) -> None:
    """What the saved queries join and order on: the chat (and its title, for every answer's chat_title), the
    update id and a Unix-seconds time, in every table."""
    names = {column["name"]: column["type"] for column in SCHEMAS[table]["columns"]}
    assert {"chat_id": "bigint", "chat_title": "string", "update_id": "bigint"}.items() <= names.items()
    assert names.get("date") == "bigint"
