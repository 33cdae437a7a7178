"""``query list`` and ``query run``: every saved query on DuckDB (a local copy of the enriched bucket and a
moto bucket, every table), and the Athena engine on moto (rendered SQL, workgroup, typed and paged results,
failures, backoff, timeout).

Moto runs no SQL: Athena's results are queued through moto's API, and what moto cannot do (page the
results, fail a query) is done to the real client's responses by botocore event hooks.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from telegram_datalake import athena
from telegram_datalake.cli import main
from telegram_datalake.saved_queries import (
    MESSAGES_TABLE,
    OTHER_TABLES,
    SQL_DIR,
    description,
    list_queries,
    load_schemas,
    render,
)
from tests.athena_stub import REGION, WORKGROUP, AthenaStub, running_athena_stub
from tests.cli_support import cli
from tests.sql_expected import EXPECTED, REPORT_PERIODS
from tests.sql_samples import DATABASE, PREFIX, TABLE, TIMEZONE, day, write_lake
from tests.terraform_state import OFFLINE_ENVIRONMENT, apply_outputs

if TYPE_CHECKING:
    pass

ENRICHED = "telegram-datalake-enriched-123456789012-us-east-1"
QUERY_NAMES = [query.name for query in list_queries()]


def json_ready(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as JSON gives them back: dates as ISO strings."""
    return [[value.isoformat() if isinstance(value, date) else value for value in row] for row in rows]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample lake, laid out as the enriched bucket: telegram/, message_edits/, member_events/, reactions/."""
    root = tmp_path_factory.mktemp("lake")
    write_lake(root)
    return root


# The sample lake's days with a file, per table: 28 files.
FILES_PER_FOLDER = "member_events/ 7, message_edits/ 3, reactions/ 5"


@pytest.fixture(scope="module")
def terraform_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Terraform state with the deployment's outputs (names as the root module builds them)."""
    outputs = {
        "glue_database_name": DATABASE,
        "glue_table_name": TABLE,
        "athena_workgroup_name": WORKGROUP,
        "enriched_bucket_name": ENRICHED,
    }
    return apply_outputs(tmp_path_factory.mktemp("terraform"), outputs)


@pytest.fixture
def offline_terraform(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OFFLINE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


# ---------------------------------------------------------------------------------------------------------------
# --help and query list


@pytest.mark.parametrize("command", [["query"], ["query", "list"], ["query", "run"]])
def test_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: telegram-datalake {' '.join(command)}")
    if command[-1] == "run":
        for option in ("--engine", "--format", "--parquet-dir", "--bucket", "--workgroup", "--timezone"):
            assert option in out
        assert "ENRICHED_PREFIX" in out


def test_the_help_names_the_tables_a_parquet_dir_holds() -> None:
    assert sorted(OTHER_TABLES) == [name for name in load_schemas() if name != MESSAGES_TABLE]


def test_query_list_names_and_describes_every_sql_file(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "query", "list", "--format", "json")
    assert run.code == 0
    files = sorted(SQL_DIR.glob("*.sql"))
    assert json.loads(run.out) == [
        {"name": path.stem, "description": description(path.read_text(encoding="utf-8"))} for path in files
    ]
    table = cli(capsys, "query", "list").out.splitlines()
    assert table[0].split() == ["name", "description"]
    assert [line.split()[0] for line in table[2:-1]] == [path.stem for path in files]
    assert table[-1] == f"({len(files)} rows)"


# ---------------------------------------------------------------------------------------------------------------
# DuckDB over a local folder


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_saved_query_runs_on_duckdb(capsys: pytest.CaptureFixture[str], lake: Path, name: str) -> None:
    """A report query for its period of REPORT_PERIODS, given as --from and --to."""
    period = REPORT_PERIODS.get(name)
    days = ["--from", period.start.isoformat(), "--to", period.end.isoformat()] if period else []
    run = cli(capsys, "query", "run", name, "--engine", "duckdb", "--parquet-dir", str(lake), "--format", "json", *days)
    assert run.code == 0, run.err
    expected = EXPECTED[name]
    assert json.loads(run.out) == [dict(zip(expected.columns, row, strict=True)) for row in json_ready(expected.rows)]
    assert f"{len(expected.rows)} row" in run.err  # the progress line, on stderr
    assert f" from 28 Parquet files of {lake} (telegram/ 13, {FILES_PER_FOLDER}) in " in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report_top_members"], "report_top_members is for a period: pass --from DAY and --to DAY"),
        (["report_top_members", "--from", "2026-01-01"], "pass both --from and --to: the first and the last day"),
        (["report_top_members", "--chat-id=-100123"], "--chat-id narrows a period: pass --from and --to too"),
        (
            ["report_top_members", "--from", "2026-01-02", "--to", "2026-01-01"],
            "--from 2026-01-02 is after --to 2026-01-01: give the earlier day first",
        ),
        (
            ["messages_per_day", "--from", "2026-01-01", "--to", "2026-01-02"],
            "messages_per_day has no period: --from, --to and --chat-id only apply to the report_* queries",
        ),
    ],
)
def test_a_period_goes_with_the_report_queries_only(
    capsys: pytest.CaptureFixture[str], lake: Path, args: list[str], message: str
) -> None:
    run = cli(capsys, "query", "run", *args, "--engine", "duckdb", "--parquet-dir", str(lake))
    assert run.code == 2
    assert run.err.startswith(f"telegram-datalake: error: {message}")
    assert run.out == ""


def test_a_report_query_for_one_chat_gives_that_chats_rows(capsys: pytest.CaptureFixture[str], lake: Path) -> None:
    days = ["--from", day(3).isoformat(), "--to", day(1).isoformat()]
    args = ["report_messages_per_day", "--engine", "duckdb", "--parquet-dir", str(lake), "--format", "csv", *days]
    run = cli(capsys, "query", "run", *args, "--chat-id=-1001987654321")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "chat_id,chat_title,context_date,message_count,active_users",
        f"-1001987654321,Dados & Cia,{day(3).isoformat()},4,2",
        f"-1001987654321,Dados & Cia,{day(2).isoformat()},5,3",
        f"-1001987654321,Dados & Cia,{day(1).isoformat()},4,3",
    ]


def test_csv_output_is_exact(capsys: pytest.CaptureFixture[str], lake: Path) -> None:
    run = cli(capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--parquet-dir", str(lake))
    assert run.code == 0
    run = cli(
        capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--parquet-dir", str(lake), "--format", "csv"
    )
    expected = EXPECTED["messages_per_day"]
    lines = [",".join(expected.columns), *(",".join(map(str, row)) for row in expected.rows)]
    assert run.out == "\n".join(lines) + "\n"
    assert run.out.splitlines()[:3] == [
        "chat_id,chat_title,context_date,message_count",
        f"-1001987654321,Dados & Cia,{day(1)},4",
        f"-1001987654321,Dados & Cia,{day(2)},5",
    ]


def test_table_output_layout(capsys: pytest.CaptureFixture[str], lake: Path) -> None:
    run = cli(capsys, "query", "run", "top_users_last_30_days", "--engine", "duckdb", "--parquet-dir", str(lake))
    assert run.code == 0
    group = "-1001987654321  Dados & Cia"
    assert run.out.splitlines() == [
        "       chat_id  chat_title   user_id  user_first_name  message_count",
        "--------------  -----------  -------  ---------------  -------------",
        f"{group}      321  Andre                        5",
        f"{group}      654  Bia                          5",
        f"{group}      987  Carlos                       4",
        *[f"{group}     {guest}  Guest{guest - 1000}                       1" for guest in range(1001, 1008)],
        "-1001555000111  Clube            654  Bia                          1",
        "(11 rows)",
    ]


def test_timezone_option_reaches_the_query(capsys: pytest.CaptureFixture[str], lake: Path) -> None:
    args = ["query", "run", "activity_by_hour", "--engine", "duckdb", "--parquet-dir", str(lake), "--format", "csv"]
    local = cli(capsys, *args).out.splitlines()
    utc = cli(capsys, *args, "--timezone", "UTC").out.splitlines()
    assert local[1 + 10] == "-1001987654321,Dados & Cia,10,11"  # ten o'clock in São Paulo
    assert utc[1 + 13] == "-1001987654321,Dados & Cia,13,11"  # is 13:00 UTC


def test_an_empty_folder_gives_an_empty_result_and_a_hint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run = cli(capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--parquet-dir", str(tmp_path))
    assert run.code == 0
    assert run.out.splitlines() == [
        "chat_id  chat_title  context_date  message_count",
        "-------  ----------  ------------  -------------",
        "(0 rows)",
    ]
    assert (
        f"duckdb: no context_date=YYYY-MM-DD/*.parquet under {tmp_path} in telegram/ 0, member_events/ 0, "
        "message_edits/ 0, reactions/ 0: the result is empty (give the copy of the enriched bucket: the folder "
        "holding telegram/ and the other tables' folders)"
    ) in run.err


def test_a_tables_folder_is_refused_as_the_parquet_dir(capsys: pytest.CaptureFixture[str], lake: Path) -> None:
    """Before the other tables, --parquet-dir was the messages table's folder: now that reads as a mistake."""
    messages = lake / PREFIX
    run = cli(capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--parquet-dir", str(messages))
    assert run.code == 2
    assert run.err.splitlines()[-1] == (
        f"telegram-datalake: error: DuckDB could not run messages_per_day on {messages}: {messages} holds "
        "context_date= folders, so it is one table's folder: give the folder above it, laid out as the enriched "
        "bucket (the messages table in telegram/, the others in <table>/)"
    )


def test_the_prefix_locates_the_messages_table_in_a_parquet_dir(
    capsys: pytest.CaptureFixture[str], lake: Path, tmp_path: Path
) -> None:
    shutil.copytree(lake / PREFIX, tmp_path / "exports" / "chat")
    for table in OTHER_TABLES:
        shutil.copytree(lake / table, tmp_path / table)
    args = ["--engine", "duckdb", "--parquet-dir", str(tmp_path), "--prefix", "exports/chat", "--format", "json"]
    run = cli(capsys, "query", "run", "reactions_per_emoji", *args)
    assert run.code == 0, run.err
    expected = EXPECTED["reactions_per_emoji"]
    assert json.loads(run.out) == [dict(zip(expected.columns, row, strict=True)) for row in json_ready(expected.rows)]
    assert f"9 rows from 28 Parquet files of {tmp_path} (exports/chat/ 13, {FILES_PER_FOLDER}) in " in run.err


# ---------------------------------------------------------------------------------------------------------------
# DuckDB over the enriched bucket (moto)


@pytest.fixture
def enriched_bucket(lake: Path) -> Iterator[str]:
    """The sample lake uploaded to a moto bucket (every table under its prefix), plus objects that are not
    partitions and a file under another prefix."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=ENRICHED)
        for path in sorted(lake.rglob("*.parquet")):
            s3.upload_file(str(path), ENRICHED, path.relative_to(lake).as_posix())
        s3.put_object(Bucket=ENRICHED, Key="telegram/_SUCCESS", Body=b"")
        s3.put_object(Bucket=ENRICHED, Key="reactions/old/context_date=2020-01-01/reactions.parquet", Body=b"x")
        s3.put_object(Bucket=ENRICHED, Key="other/context_date=2020-01-01/telegram.parquet", Body=b"not parquet")
        yield ENRICHED


@pytest.mark.usefixtures("enriched_bucket")
def test_duckdb_over_the_bucket(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(
        capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--bucket", ENRICHED, "--format", "json"
    )
    assert run.code == 0, run.err
    expected = EXPECTED["messages_per_day"]
    assert json.loads(run.out) == [dict(zip(expected.columns, row, strict=True)) for row in json_ready(expected.rows)]
    assert f"downloaded 28 Parquet files from s3://{ENRICHED}/ (telegram/ 13, {FILES_PER_FOLDER})" in run.err


@pytest.mark.usefixtures("enriched_bucket", "offline_terraform")
def test_duckdb_finds_the_bucket_in_the_terraform_outputs(
    capsys: pytest.CaptureFixture[str], terraform_dir: Path
) -> None:
    run = cli(
        capsys, "query", "run", "active_users_per_day", "--engine", "duckdb", "--terraform-dir", str(terraform_dir)
    )
    assert run.code == 0, run.err
    assert run.out.splitlines()[:3] == [
        "       chat_id  chat_title   context_date  active_users",
        "--------------  -----------  ------------  ------------",
        f"-1001987654321  Dados & Cia  {day(1)!s:<12}  {3:>12}",
    ]


@pytest.mark.usefixtures("enriched_bucket")
def test_duckdb_reads_only_the_given_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["query", "run", "messages_per_day", "--engine", "duckdb", "--bucket", ENRICHED, "--prefix", "other"]
    run = cli(capsys, *args)
    assert run.code == 2
    # other/'s file, not telegram/'s thirteen; the other tables from their own prefixes, not reactions/old/
    assert f"downloaded 16 Parquet files from s3://{ENRICHED}/ (other/ 1, {FILES_PER_FOLDER})" in run.err
    last = run.err.splitlines()[-1]
    assert last.startswith(f"telegram-datalake: error: DuckDB could not run messages_per_day on s3://{ENRICHED}/: ")
    assert last.endswith("too small to be a Parquet file")


@pytest.mark.usefixtures("enriched_bucket")
def test_a_missing_bucket_is_an_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "query", "run", "messages_per_day", "--engine", "duckdb", "--bucket", "no-such-bucket")
    assert run.code == 2
    assert run.err.startswith("telegram-datalake: error: downloading s3://no-such-bucket/ failed: NoSuchBucket")
    assert "Traceback" not in run.err


# ---------------------------------------------------------------------------------------------------------------
# Athena (moto)


@pytest.fixture
def athena_stub() -> Iterator[AthenaStub]:
    with running_athena_stub() as stub:
        yield stub


MESSAGES_PER_DAY = [("context_date", "date"), ("message_count", "bigint")]


@pytest.mark.usefixtures("offline_terraform")
def test_athena_runs_the_rendered_query_in_the_workgroup_and_pages_through_all_results(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub, terraform_dir: Path
) -> None:
    rows = [[f"2024-01-{n:02}", str(n * 10)] for n in range(1, 6)]
    athena_stub.queue_result(MESSAGES_PER_DAY, rows)
    args = ["query", "run", "messages_per_day", "--terraform-dir", str(terraform_dir), "--page-size", "2"]
    run = cli(capsys, *args, "--format", "csv")

    assert run.code == 0, run.err
    assert run.out == "context_date,message_count\n" + "".join(f"2024-01-{n:02},{n * 10}\n" for n in range(1, 6))
    # header + 5 rows, 2 per page: 3 GetQueryResults calls, the later ones with the token
    assert [request.get("NextToken") for request in athena_stub.paging.requests] == [None, "2", "4"]
    assert {request["MaxResults"] for request in athena_stub.paging.requests} == {2}
    (execution,) = athena_stub.executions()
    template = (SQL_DIR / "messages_per_day.sql").read_text(encoding="utf-8")
    assert execution["Query"] == render(template, database=DATABASE, table=TABLE, timezone=TIMEZONE)
    assert f'FROM "{DATABASE}"."{TABLE}"' in execution["Query"]
    assert execution["QueryExecutionContext"] == {"Database": DATABASE}
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert f"submitted as {execution['QueryExecutionId']} in workgroup {WORKGROUP}" in run.err
    assert "data scanned 0 B; run time " in run.err
    assert "fetched 5 rows in 3 pages" in run.err


@pytest.mark.parametrize(
    ("chat", "sent"),
    [(["--chat-id=-1001987654321"], ["-1001987654321", "-1001987654321"]), ([], ["NULL", "NULL"])],
    ids=["one chat", "every chat"],
)
def test_athena_gets_a_report_querys_period_as_execution_parameters(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub, chat: list[str], sent: list[str]
) -> None:
    """Athena fills the ``?`` from ExecutionParameters, each a SQL literal: the days quoted, the chat bare."""
    athena_stub.queue_result([("chat_id", "bigint"), ("message_type", "varchar")], [["-1001987654321", "text"]])
    names = ["--database", DATABASE, "--table", TABLE, "--workgroup", WORKGROUP]
    days = ["--from", "2026-01-01", "--to", "2026-01-31"]
    run = cli(capsys, "query", "run", "report_message_types", *names, *days, *chat, "--format", "csv")
    assert run.code == 0, run.err
    (execution,) = athena_stub.executions()
    assert execution["ExecutionParameters"] == ["'2026-01-01'", "'2026-01-31'", *sent]
    template = (SQL_DIR / "report_message_types.sql").read_text(encoding="utf-8")
    assert execution["Query"] == render(template, database=DATABASE, table=TABLE, timezone=TIMEZONE)
    assert execution["Query"].count("?") == 4


def test_athena_gets_no_execution_parameters_for_a_query_without_a_period(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub
) -> None:
    """Athena refuses an empty ExecutionParameters list: it is left out."""
    athena_stub.queue_result(MESSAGES_PER_DAY, [["2024-01-01", "3"]])
    names = ["--database", DATABASE, "--table", TABLE, "--workgroup", WORKGROUP]
    assert cli(capsys, "query", "run", "messages_per_day", *names).code == 0
    (execution,) = athena_stub.executions()
    assert "ExecutionParameters" not in execution


def test_athena_options_replace_the_terraform_outputs(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub
) -> None:
    athena_stub.client.create_work_group(Name="analysts")
    athena_stub.queue_result([("hour_of_day", "integer"), ("message_count", "bigint")], [["0", "2"], ["1", "0"]])
    args = ["--database", "other_db", "--table", "msgs", "--workgroup", "analysts", "--timezone", "Europe/Lisbon"]
    run = cli(capsys, "query", "run", "activity_by_hour", *args, "--terraform-dir", "/nonexistent")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "hour_of_day  message_count",
        "-----------  -------------",
        "          0              2",
        "          1              0",
        "(2 rows)",
    ]
    executions = [
        execution
        for i in athena_stub.client.list_query_executions(WorkGroup="analysts")["QueryExecutionIds"]
        for execution in [athena_stub.client.get_query_execution(QueryExecutionId=i)["QueryExecution"]]
    ]
    assert len(executions) == 1
    assert 'FROM "other_db"."msgs"' in executions[0]["Query"]
    assert "AT TIME ZONE 'Europe/Lisbon'" in executions[0]["Query"]
    assert executions[0]["QueryExecutionContext"] == {"Database": "other_db"}


def test_athena_values_are_typed_by_the_result_metadata(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub
) -> None:
    columns = [
        ("user_id", "bigint"),
        ("user_first_name", "varchar"),
        ("context_date", "date"),
        ("share", "double"),
        ("is_bot", "boolean"),
        ("sent_at", "timestamp"),
        ("n", "integer"),
    ]
    athena_stub.queue_result(
        columns,
        [
            ["321", "Andre", "2024-01-01", "0.25", "false", "2024-01-01 12:30:00.000", "7"],
            ["654", None, None, None, None, None, None],
            ["987", "", "2024-01-02", "1.0", "true", "2024-01-02 00:00:01.500", "0"],
        ],
    )
    args = ["--database", DATABASE, "--table", TABLE, "--workgroup", WORKGROUP]
    run = cli(capsys, "query", "run", "messages_per_user_per_day", *args, "--format", "json")
    assert run.code == 0, run.err
    names = [name for name, _ in columns]
    assert json.loads(run.out) == [
        dict(zip(names, [321, "Andre", "2024-01-01", 0.25, False, "2024-01-01 12:30:00", 7], strict=True)),
        dict(zip(names, [654, None, None, None, None, None, None], strict=True)),
        dict(zip(names, [987, "", "2024-01-02", 1.0, True, "2024-01-02 00:00:01.500000", 0], strict=True)),
    ]
    table = cli(capsys, "query", "run", "messages_per_user_per_day", *args).out  # the queue is empty now
    assert table.splitlines()[-1] == "(0 rows)"


@pytest.mark.parametrize(
    ("value", "athena_type", "expected"),
    [
        ("42", "bigint", 42),
        ("-1", "tinyint", -1),
        ("2.5", "double", 2.5),
        ("2.5", "real", 2.5),
        ("true", "boolean", True),
        ("2024-02-29", "date", date(2024, 2, 29)),
        ("12.30", "decimal(10,2)", Decimal("12.30")),
        ("x", "varchar", "x"),
        ('{"a": 1}', "json", '{"a": 1}'),
        (None, "bigint", None),
        ("not a number", "bigint", "not a number"),
    ],
)
def test_convert(value: str | None, athena_type: str, expected: Any) -> None:
    assert athena.convert(value, athena_type) == expected


def test_a_failed_query_reports_athenas_reason(capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub) -> None:
    reason = "COLUMN_NOT_FOUND: line 5:3: Column 'user_idx' cannot be resolved"

    def fail(parsed: dict[str, Any], **_: Any) -> None:
        parsed["QueryExecution"]["Status"].update(State="FAILED", StateChangeReason=reason)

    athena_stub.session.events.register("after-call.athena.GetQueryExecution", fail)
    args = ["--database", DATABASE, "--table", TABLE, "--workgroup", WORKGROUP]
    run = cli(capsys, "query", "run", "messages_per_day", *args)
    assert run.code == 2
    assert run.out == ""
    assert run.err.rstrip().endswith(f"FAILED: {reason}")
    assert "telegram-datalake: error: Athena query " in run.err


def test_an_unknown_workgroup_is_an_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str], athena_stub: AthenaStub
) -> None:
    del athena_stub
    run = cli(capsys, "query", "run", "messages_per_day", "--database", "d", "--table", "t", "--workgroup", "nope")
    assert run.code == 2
    assert run.err == (
        "telegram-datalake: error: running messages_per_day on Athena (workgroup nope) failed: "
        "InvalidRequestException: WorkGroup does not exist (check the names, the region and your permissions)\n"
    )


@dataclass
class FakeTime:
    """An injected clock and sleep: sleeping only moves the clock on."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def slow_athena(athena_stub: AthenaStub) -> Iterator[AthenaStub]:
    """Executions that stay in each state for several GetQueryExecution calls (moto's manual transitions)."""
    yield athena_stub
    state_manager.unset_transition("athena::execution")


def test_polling_backs_off_exponentially(slow_athena: AthenaStub) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 3})
    slow_athena.queue_result([("n", "bigint")], [["1"]])
    fake = FakeTime()
    steps: list[str] = []
    result = athena.run_query(
        slow_athena.client,
        "SELECT 1 AS n",
        database=DATABASE,
        workgroup=WORKGROUP,
        sleep=fake.sleep,
        clock=fake.clock,
        on_step=steps.append,
    )
    assert fake.sleeps == [0.2, 0.4, 0.8, 1.6, 3.2]  # QUEUED for 3 polls, RUNNING for 3, then SUCCEEDED
    assert result.rows == [(1,)]
    assert result.elapsed_seconds == pytest.approx(6.2)
    assert steps[1] == "SUCCEEDED after 6.2 s, 0 B scanned"
    assert len(steps) == athena.STEPS


def test_a_query_that_outlives_the_timeout_is_cancelled(slow_athena: AthenaStub) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1000})
    fake = FakeTime()
    with pytest.raises(athena.QueryTimeoutError, match="was still QUEUED after 20 s and has been cancelled") as error:
        athena.run_query(
            slow_athena.client,
            "SELECT 1",
            database=DATABASE,
            workgroup=WORKGROUP,
            timeout=20,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert fake.sleeps == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]  # 16.2 s; 5 more would pass 20
    (execution,) = slow_athena.executions()
    assert execution["QueryExecutionId"] == error.value.execution_id
    assert execution["Status"]["State"] == "CANCELLED"


def test_backoff_and_sizes() -> None:
    delays = athena.backoff_delays()
    assert [next(delays) for _ in range(8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    sizes = [0, 1023, 1024, 10 * 1024 * 1024 + 1, 3 * 1024**4]
    assert [athena.human_bytes(size) for size in sizes] == ["0 B", "1023 B", "1.0 KiB", "10.0 MiB", "3.0 TiB"]


# ---------------------------------------------------------------------------------------------------------------
# Errors the user can fix


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_query"], "no saved query 'no_such_query'; known: active_users_per_day, activity_by_hour,"),
        (["messages_per_day", "--parquet-dir", "."], "--parquet-dir only apply to --engine duckdb"),
        (
            ["messages_per_day", "--engine", "duckdb", "--workgroup", "w", "--timeout", "5"],
            "--workgroup, --timeout only apply to --engine athena",
        ),
        (["messages_per_day", "--page-size", "1001"], "argument --page-size: must be a whole number from 1 to 1000"),
        (["messages_per_day", "--engine", "duckdb", "--parquet-dir", "/nonexistent"], "is not a folder"),
        (
            ["messages_per_day", "--engine", "duckdb", "--parquet-dir", ".", "--prefix", "reactions"],
            "--prefix: the messages prefix 'reactions' is inside reactions/, the reactions table's folder",
        ),
        (
            ["messages_per_day", "--engine", "duckdb", "--bucket", "b", "--prefix", "../up"],
            "--prefix: the messages prefix must be a key prefix such as 'telegram', got '../up'",
        ),
        (
            ["messages_per_day", "--database", 'a"b', "--table", "t", "--workgroup", "w"],
            "cannot render messages_per_day: database must be",
        ),
        (
            ["activity_by_hour", "--engine", "duckdb", "--parquet-dir", ".", "--timezone", "Mars/Base"],
            "timezone must be an IANA time zone name",
        ),
    ],
)
def test_user_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    run = cli(capsys, "query", "run", *args)
    assert run.code == 2
    assert run.err.splitlines()[-1].startswith(("telegram-datalake: error: ", "telegram-datalake query run: error: "))
    assert message in run.err


@pytest.mark.usefixtures("offline_terraform")
def test_a_folder_without_terraform_state_asks_for_the_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "main.tf").write_text("", encoding="utf-8")
    run = cli(capsys, "query", "run", "messages_per_day", "--terraform-dir", str(tmp_path))
    assert run.code == 2
    assert run.err == (
        f"telegram-datalake: error: Terraform in {tmp_path} has no outputs: run terraform apply first, "
        "or pass the values (or pass --database)\n"
    )
