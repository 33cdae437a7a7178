"""``sql/schema.json``, which the Glue table and the Athena DDL are built from, matches what the ETL writes."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from functions.etl.schema import TELEGRAM_SCHEMA
from telegram_datalake.saved_queries import Column, load_schema

# The Hive type Athena must declare for each Arrow type the ETL writes to Parquet.
HIVE_TYPE_OF_ARROW = {
    pa.int64(): "bigint",
    pa.bool_(): "boolean",
    pa.string(): "string",
    pa.timestamp("ms", tz="UTC"): "timestamp",
}
SCHEMA = load_schema()


def test_columns_are_the_etl_columns_in_order() -> None:
    assert [column["name"] for column in SCHEMA["columns"]] == TELEGRAM_SCHEMA.names


@pytest.mark.parametrize("field", list(TELEGRAM_SCHEMA), ids=lambda field: field.name)
def test_hive_type_matches_the_arrow_type(field: pa.Field) -> None:
    declared = {column["name"]: column["type"] for column in SCHEMA["columns"]}
    assert declared[field.name] == HIVE_TYPE_OF_ARROW[field.type]


def test_context_date_is_the_only_partition_key_and_not_a_parquet_column() -> None:
    assert [(key["name"], key["type"]) for key in SCHEMA["partition_keys"]] == [("context_date", "date")]
    assert "context_date" not in TELEGRAM_SCHEMA.names


def test_table_name_is_telegram() -> None:
    assert SCHEMA["table"] == "telegram"


@pytest.mark.parametrize(
    "column", [*SCHEMA["columns"], *SCHEMA["partition_keys"]], ids=lambda column: str(column["name"])
)
def test_column_is_safe_to_paste_into_ddl(column: Column) -> None:
    """The DDL template pastes names into backquotes and comments into '...': nothing may break out of them."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", column["name"])
    assert column["comment"].strip()
    assert not set(column["comment"]) & set("'\\`$%\n")
    assert len(column["comment"]) <= 255  # Glue's limit on a column comment
