"""Where saved queries run, shared by ``query run`` and ``report``: Athena or DuckDB, with the same options.

Athena runs them on the deployed tables, in the project's workgroup; DuckDB runs the very same SQL over
Parquet files on this machine: a local copy of the enriched bucket, or the bucket's files downloaded first
(every table's: the messages table under the ETL's prefix, the others under their names), once for all the
queries of a command. A query with a period filter gets the period as parameters: Athena's
``ExecutionParameters`` or DuckDB's bound values, the same numbers either way.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb

from telegram_datalake import athena, aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.output import Progress
from telegram_datalake.duckdb_engine import connect_files, lake_files, run_query
from telegram_datalake.parquet_source import DEFAULT_PREFIX, download_tables, table_prefixes
from telegram_datalake.report.period import Period
from telegram_datalake.saved_queries import OTHER_TABLES, SavedQuery
from telegram_datalake.saved_queries import render as render_sql

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_s3 import S3Client

ENGINES = ("athena", "duckdb")
DEFAULT_TIMEZONE = "America/Sao_Paulo"
# DuckDB creates the views itself, so any valid names do; these are the deployed defaults.
DUCKDB_DATABASE, DUCKDB_TABLE = "telegram_datalake", "telegram"


class Answer(NamedTuple):
    """A saved query's result, and the SQL that was run (its ``?`` bound to the period, when it has one)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    sql: str


# Runs one saved query, with the period's parameters when it has a period filter.
RunQuery = Callable[[SavedQuery, Period | None], Answer]


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine``, ``--timezone``, ``--terraform-dir`` and each engine's own options."""
    parser.add_argument("--engine", choices=ENGINES, default="athena", help="where to run it (default: %(default)s)")
    parser.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        metavar="ZONE",
        help="the pipeline's IANA time zone, for local times (default: %(default)s)",
    )
    add_terraform_dir_option(parser)

    on_athena = parser.add_argument_group("Athena (--engine athena)")
    on_athena.add_argument("--database", metavar="NAME", help="Glue database (default: output glue_database_name)")
    on_athena.add_argument(
        "--table",
        metavar="NAME",
        help="Glue name of the messages table (default: output glue_table_name); the other tables keep their names",
    )
    on_athena.add_argument(
        "--workgroup", metavar="NAME", help="Athena workgroup (default: output athena_workgroup_name)"
    )
    on_athena.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help=f"cancel a query that has not finished after this long (default: {athena.DEFAULT_TIMEOUT:g})",
    )
    on_athena.add_argument(
        "--page-size",
        type=_page_size,
        metavar="ROWS",
        help=f"rows per GetQueryResults call, 1-{athena.MAX_PAGE_SIZE} (default: {athena.MAX_PAGE_SIZE})",
    )

    on_duckdb = parser.add_argument_group("DuckDB (--engine duckdb)")
    source = on_duckdb.add_mutually_exclusive_group()
    source.add_argument(
        "--parquet-dir",
        type=Path,
        metavar="DIR",
        help=(
            "a local copy of the enriched bucket, laid out as in S3: DIR/PREFIX/context_date=YYYY-MM-DD/"
            "telegram.parquet for the messages table, DIR/<table>/context_date=YYYY-MM-DD/<table>.parquet for "
            f"each other table ({', '.join(OTHER_TABLES)}); a table without files reads as empty"
        ),
    )
    source.add_argument(
        "--bucket",
        metavar="NAME",
        help="enriched bucket to download every table from (default: output enriched_bucket_name)",
    )
    on_duckdb.add_argument(
        "--prefix",
        metavar="PREFIX",
        help=(
            "where the messages table's files are, in the bucket and under --parquet-dir: the ETL's "
            f"ENRICHED_PREFIX (default: {DEFAULT_PREFIX}); the other tables are under their own names"
        ),
    )


def _positive_float(text: str) -> float:
    """``--timeout``: the Athena wait loop ends only there, so it must be finite (inf would poll forever)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite positive number of seconds, got {text!r}")
    return value


def _page_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= athena.MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {athena.MAX_PAGE_SIZE}, got {text!r}")
    return int(text)


def check_options(arguments: argparse.Namespace) -> None:
    """Refuse options of the other engine instead of silently ignoring them."""
    other_engine = {
        "athena": (("--parquet-dir", "parquet_dir"), ("--bucket", "bucket"), ("--prefix", "prefix")),
        "duckdb": (("--workgroup", "workgroup"), ("--timeout", "timeout"), ("--page-size", "page_size")),
    }
    given = [option for option, name in other_engine[arguments.engine] if getattr(arguments, name) is not None]
    if given:
        other = "duckdb" if arguments.engine == "athena" else "athena"
        raise CliError(f"{', '.join(given)} only apply to --engine {other}")


def _render(query: SavedQuery, *, database: str, table: str, timezone: str) -> str:
    try:
        return render_sql(query.template, database=database, table=table, timezone=timezone)
    except ValueError as error:
        raise CliError(f"cannot render {query.name}: {error}") from error


def _needs_period(query: SavedQuery, period: Period | None) -> Period | None:
    """The period a query is run for: required by a query with a period filter, refused by the others."""
    if query.period_filters and period is None:
        raise CliError(f"{query.name} is for a period: pass --from DAY and --to DAY (and --chat-id to pick a chat)")
    if not query.period_filters and period is not None:
        raise CliError(f"{query.name} has no period: --from, --to and --chat-id only apply to the report_* queries")
    return period


@contextmanager
def open_engine(arguments: argparse.Namespace, deployment: Deployment) -> Iterator[RunQuery]:
    """The engine ``arguments`` choose, ready to run saved queries (DuckDB's files downloaded once)."""
    check_options(arguments)
    if arguments.engine == "athena":
        yield _athena_runner(arguments, deployment)
        return
    prefix = _prefix(arguments)
    if arguments.parquet_dir is not None:
        directory: Path = arguments.parquet_dir
        if not directory.is_dir():
            raise CliError(f"--parquet-dir {directory} is not a folder")
        hint = f"give the copy of the enriched bucket: the folder holding {prefix}/ and the other tables' folders"
        with _lake(arguments, directory, prefix, source=str(directory), hint=hint) as run:
            yield run
        return
    bucket = deployment.name(arguments.bucket, "enriched_bucket_name", "pass --bucket")
    with tempfile.TemporaryDirectory(prefix="telegram-datalake-") as temporary:
        with aws_errors(f"downloading s3://{bucket}/"):
            files = download_tables(s3_client(), bucket, Path(temporary), prefix=prefix)
        count = sum(len(paths) for paths in files.values())
        Progress(1, "duckdb").step(
            f"downloaded {count} Parquet file{'' if count == 1 else 's'} from s3://{bucket}/ "
            f"({_per_folder(files, prefix)})"
        )
        hint = "check --prefix and whether the ETL has run"
        with _lake(arguments, Path(temporary), prefix, source=f"s3://{bucket}/", hint=hint) as run:
            yield run


# ---------------------------------------------------------------------------------------------------------------
# Athena


def athena_client() -> AthenaClient:
    """Athena in the environment's region and endpoint (AWS_ENDPOINT_URL for an emulator), with bounded calls."""
    with aws_errors("creating the Athena client"):
        return aws_clients.athena_client()


def _athena_runner(arguments: argparse.Namespace, deployment: Deployment) -> RunQuery:
    database = deployment.name(arguments.database, "glue_database_name", "pass --database")
    table = deployment.name(arguments.table, "glue_table_name", "pass --table")
    workgroup = deployment.name(arguments.workgroup, "athena_workgroup_name", "pass --workgroup")

    def run(query: SavedQuery, period: Period | None) -> Answer:
        period = _needs_period(query, period)
        sql = _render(query, database=database, table=table, timezone=arguments.timezone)
        parameters = period.athena_parameters(query.period_filters) if period else []
        progress = Progress(athena.STEPS, f"athena {query.name}")
        try:
            with aws_errors(f"running {query.name} on Athena (workgroup {workgroup})"):
                result = athena.run_query(
                    athena_client(),
                    sql,
                    database=database,
                    workgroup=workgroup,
                    parameters=parameters,
                    timeout=arguments.timeout or athena.DEFAULT_TIMEOUT,
                    page_size=arguments.page_size or athena.MAX_PAGE_SIZE,
                    on_step=progress.step,
                )
        except athena.AthenaError as error:
            raise CliError(str(error)) from error

        engine = "" if result.engine_seconds is None else f" (Athena: {result.engine_seconds:.1f} s)"
        print(
            f"athena: {len(result.rows)} rows from {database}.{table} in workgroup {result.workgroup}; "
            f"data scanned {athena.human_bytes(result.data_scanned_bytes)}; "
            f"run time {result.elapsed_seconds:.1f} s{engine}; query id {result.execution_id}",
            file=sys.stderr,
        )
        return Answer(result.columns, result.rows, sql)

    return run


# ---------------------------------------------------------------------------------------------------------------
# DuckDB


def s3_client() -> S3Client:
    """S3 in the environment's region and endpoint (AWS_ENDPOINT_URL for moto), with bounded calls."""
    with aws_errors("creating the S3 client"):
        return aws_clients.s3_client()


def _prefix(arguments: argparse.Namespace) -> str:
    """``--prefix``, checked: it must not be empty, leave its folder or be another table's folder."""
    prefix: str = DEFAULT_PREFIX if arguments.prefix is None else arguments.prefix
    try:
        table_prefixes(prefix)
    except ValueError as error:
        raise CliError(f"--prefix: {error}") from error
    return prefix.strip("/")


def _per_folder(files: dict[str, list[Path]], prefix: str) -> str:
    """``telegram/ 6, message_edits/ 0, ...``: how many files each table has."""
    return ", ".join(f"{folder}/ {len(files[name])}" for name, folder in table_prefixes(prefix).items())


@contextmanager
def _lake(arguments: argparse.Namespace, directory: Path, prefix: str, *, source: str, hint: str) -> Iterator[RunQuery]:
    """DuckDB's views over the lake in ``directory``, opened by the first query and kept for the others."""
    database, table = arguments.database or DUCKDB_DATABASE, arguments.table or DUCKDB_TABLE
    with ExitStack() as stack:
        opened: list[tuple[duckdb.DuckDBPyConnection, str]] = []

        def lake() -> tuple[duckdb.DuckDBPyConnection, str]:
            if not opened:
                files = lake_files(directory, prefix=prefix)
                count = sum(len(paths) for paths in files.values())
                if not count:
                    print(
                        f"duckdb: no context_date=YYYY-MM-DD/*.parquet under {source} in "
                        f"{_per_folder(files, prefix)}: the result is empty ({hint})",
                        file=sys.stderr,
                    )
                connection = stack.enter_context(connect_files(files, database=database, table=table))
                files_text = f"{count} Parquet file{'' if count == 1 else 's'}"
                opened.append((connection, f"{files_text} of {source} ({_per_folder(files, prefix)})"))
            return opened[0]

        def run(query: SavedQuery, period: Period | None) -> Answer:
            period = _needs_period(query, period)
            sql = _render(query, database=database, table=table, timezone=arguments.timezone)
            parameters = period.duckdb_parameters(query.period_filters) if period else None
            started = time.monotonic()
            try:
                connection, described = lake()
                result = run_query(connection, sql, parameters)
            except (ValueError, duckdb.Error) as error:
                reason = str(error).strip().splitlines()[0]  # DuckDB adds the SQL around the failing spot
                raise CliError(f"DuckDB could not run {query.name} on {source}: {reason}") from error
            rows = len(result.rows)
            Progress(1, f"duckdb {query.name}").step(
                f"{rows} row{'' if rows == 1 else 's'} from {described} in {time.monotonic() - started:.1f} s"
            )
            return Answer(result.columns, result.rows, sql)

        yield run
