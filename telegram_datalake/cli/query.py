"""``query list`` and ``query run``: the saved analytics queries of ``sql/``, on Athena or on DuckDB.

Athena runs them on the deployed tables, in the project's workgroup; DuckDB runs the very same SQL over
Parquet files on this machine: a local copy of the enriched bucket, or the bucket's files downloaded first
(every table's: the messages table under the ETL's prefix, the others under their names).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from telegram_datalake import athena, aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.output import FORMATS, Progress, render
from telegram_datalake.duckdb_engine import connect_files, lake_files, run_query
from telegram_datalake.parquet_source import DEFAULT_PREFIX, download_tables, table_prefixes
from telegram_datalake.saved_queries import OTHER_TABLES, SavedQuery, get_query, list_queries
from telegram_datalake.saved_queries import render as render_sql

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_s3 import S3Client

ENGINES = ("athena", "duckdb")
DEFAULT_TIMEZONE = "America/Sao_Paulo"
# DuckDB creates the views itself, so any valid names do; these are the deployed defaults.
DUCKDB_DATABASE, DUCKDB_TABLE = "telegram_datalake", "telegram"
# For the help text only (the parser is built for every command, so sql/tables is not read here).


def register(subcommands: Any) -> None:
    """Add ``query list`` and ``query run``."""
    parser = subcommands.add_parser(
        "query",
        help="list and run the saved analytics queries (Athena or DuckDB)",
        description="The saved analytics queries of sql/: list them, or run one on Athena or on DuckDB.",
    )
    actions = parser.add_subparsers(dest="query_command", required=True, metavar="ACTION")

    listing = actions.add_parser(
        "list", help="name and description of every saved query", description="Every saved query of sql/."
    )
    listing.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    listing.set_defaults(handler=list_command)

    run = actions.add_parser(
        "run",
        help="run one saved query and print its result",
        description=(
            "Run a saved query on Athena (the deployed tables, in the project's workgroup) or on DuckDB "
            "(a local copy of the enriched bucket, or the bucket's files downloaded to a temporary folder). "
            "Rows go to stdout; progress, data scanned and run time to stderr."
        ),
        epilog=(
            "Names left out are read from the Terraform outputs (terraform output -json in --terraform-dir): "
            "glue_database_name, glue_table_name and athena_workgroup_name for Athena, enriched_bucket_name "
            "for DuckDB without --parquet-dir."
        ),
    )
    run.add_argument("name", metavar="NAME", help="the saved query (see `query list`)")
    run.add_argument("--engine", choices=ENGINES, default="athena", help="where to run it (default: %(default)s)")
    run.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    run.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        metavar="ZONE",
        help="the pipeline's IANA time zone, for local times (default: %(default)s)",
    )
    add_terraform_dir_option(run)

    on_athena = run.add_argument_group("Athena (--engine athena)")
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
        help=f"cancel the query if it has not finished after this long (default: {athena.DEFAULT_TIMEOUT:g})",
    )
    on_athena.add_argument(
        "--page-size",
        type=_page_size,
        metavar="ROWS",
        help=f"rows per GetQueryResults call, 1-{athena.MAX_PAGE_SIZE} (default: {athena.MAX_PAGE_SIZE})",
    )

    on_duckdb = run.add_argument_group("DuckDB (--engine duckdb)")
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
    run.set_defaults(handler=run_command)


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


def list_command(arguments: argparse.Namespace) -> int:
    queries = list_queries()
    rows = [(query.name, query.description) for query in queries]
    print(render(["name", "description"], rows, arguments.format))
    return 0


def _saved_query(name: str) -> SavedQuery:
    try:
        return get_query(name)
    except KeyError as error:
        raise CliError(f"{error.args[0]} (see `query list`)") from error


def _render(query: SavedQuery, *, database: str, table: str, timezone: str) -> str:
    try:
        return render_sql(query.template, database=database, table=table, timezone=timezone)
    except ValueError as error:
        raise CliError(f"cannot render {query.name}: {error}") from error


def _check_options(arguments: argparse.Namespace) -> None:
    """Refuse options of the other engine instead of silently ignoring them."""
    other_engine = {
        "athena": (("--parquet-dir", "parquet_dir"), ("--bucket", "bucket"), ("--prefix", "prefix")),
        "duckdb": (("--workgroup", "workgroup"), ("--timeout", "timeout"), ("--page-size", "page_size")),
    }
    given = [option for option, name in other_engine[arguments.engine] if getattr(arguments, name) is not None]
    if given:
        other = "duckdb" if arguments.engine == "athena" else "athena"
        raise CliError(f"{', '.join(given)} only apply to --engine {other}")


def run_command(arguments: argparse.Namespace) -> int:
    query = _saved_query(arguments.name)
    _check_options(arguments)
    deployment = Deployment(arguments.terraform_dir)
    if arguments.engine == "athena":
        columns, rows = _run_on_athena(query, arguments, deployment)
    else:
        columns, rows = _run_on_duckdb(query, arguments, deployment)
    print(render(columns, rows, arguments.format))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Athena


def athena_client() -> AthenaClient:
    """Athena in the environment's region and endpoint (AWS_ENDPOINT_URL for an emulator), with bounded calls."""
    with aws_errors("creating the Athena client"):
        return aws_clients.athena_client()


def _run_on_athena(
    query: SavedQuery, arguments: argparse.Namespace, deployment: Deployment
) -> tuple[list[str], list[tuple[Any, ...]]]:
    database = deployment.name(arguments.database, "glue_database_name", "pass --database")
    table = deployment.name(arguments.table, "glue_table_name", "pass --table")
    workgroup = deployment.name(arguments.workgroup, "athena_workgroup_name", "pass --workgroup")
    sql = _render(query, database=database, table=table, timezone=arguments.timezone)

    progress = Progress(athena.STEPS, f"athena {query.name}")
    try:
        with aws_errors(f"running {query.name} on Athena (workgroup {workgroup})"):
            result = athena.run_query(
                athena_client(),
                sql,
                database=database,
                workgroup=workgroup,
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
    return result.columns, result.rows


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


def _run_on_duckdb(
    query: SavedQuery, arguments: argparse.Namespace, deployment: Deployment
) -> tuple[list[str], list[tuple[Any, ...]]]:
    prefix = _prefix(arguments)
    if arguments.parquet_dir is not None:
        directory: Path = arguments.parquet_dir
        if not directory.is_dir():
            raise CliError(f"--parquet-dir {directory} is not a folder")
        progress = Progress(1, f"duckdb {query.name}")
        hint = f"give the copy of the enriched bucket: the folder holding {prefix}/ and the other tables' folders"
        return _query_lake(query, arguments, directory, prefix, progress, source=str(directory), hint=hint)

    bucket = deployment.name(arguments.bucket, "enriched_bucket_name", "pass --bucket")
    progress = Progress(2, f"duckdb {query.name}")
    with tempfile.TemporaryDirectory(prefix="telegram-datalake-") as temporary:
        with aws_errors(f"downloading s3://{bucket}/"):
            files = download_tables(s3_client(), bucket, Path(temporary), prefix=prefix)
        count = sum(len(paths) for paths in files.values())
        progress.step(
            f"downloaded {count} Parquet file{'' if count == 1 else 's'} from s3://{bucket}/ "
            f"({_per_folder(files, prefix)})"
        )
        source, hint = f"s3://{bucket}/", "check --prefix and whether the ETL has run"
        return _query_lake(query, arguments, Path(temporary), prefix, progress, source=source, hint=hint)


def _query_lake(
    query: SavedQuery,
    arguments: argparse.Namespace,
    directory: Path,
    prefix: str,
    progress: Progress,
    *,
    source: str,
    hint: str,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    database, table = arguments.database or DUCKDB_DATABASE, arguments.table or DUCKDB_TABLE
    sql = _render(query, database=database, table=table, timezone=arguments.timezone)
    started = time.monotonic()
    try:
        files = lake_files(directory, prefix=prefix)
        count = sum(len(paths) for paths in files.values())
        if not count:
            print(
                f"duckdb: no context_date=YYYY-MM-DD/*.parquet under {source} in {_per_folder(files, prefix)}: "
                f"the result is empty ({hint})",
                file=sys.stderr,
            )
        with connect_files(files, database=database, table=table) as connection:
            result = run_query(connection, sql)
    except (ValueError, duckdb.Error) as error:
        reason = str(error).strip().splitlines()[0]  # DuckDB adds the SQL around the failing spot
        raise CliError(f"DuckDB could not run {query.name} on {source}: {reason}") from error
    elapsed = time.monotonic() - started
    rows = len(result.rows)
    progress.step(
        f"{rows} row{'' if rows == 1 else 's'} from {count} Parquet file{'' if count == 1 else 's'} of {source} "
        f"({_per_folder(files, prefix)}) in {elapsed:.1f} s"
    )
    return result.columns, result.rows
