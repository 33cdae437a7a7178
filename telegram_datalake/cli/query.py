"""``query list`` and ``query run``: the saved analytics queries of ``sql/``, on Athena or on DuckDB.

Where and how they run (the engines, their options, the period of the ``report_*`` queries) is
``query_engine``'s, shared with ``report`` so that a report and its queries always give the same numbers.
"""

from __future__ import annotations

import argparse
from typing import Any

from telegram_datalake.cli.deployed import Deployment
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.output import FORMATS, render
from telegram_datalake.cli.period_options import add_period_options, given_period
from telegram_datalake.cli.query_engine import add_engine_options, open_engine
from telegram_datalake.saved_queries import SavedQuery, get_query, list_queries


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
    run.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    add_engine_options(run)
    period = run.add_argument_group("Period (the report_* queries only)")
    add_period_options(period, first_day="required with --to", last_day="required with --from")
    run.set_defaults(handler=run_command)


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


def run_command(arguments: argparse.Namespace) -> int:
    query = _saved_query(arguments.name)
    period = given_period(arguments)
    with open_engine(arguments, Deployment(arguments.terraform_dir)) as run:
        answer = run(query, period)
    print(render(answer.columns, answer.rows, arguments.format))
    return 0
