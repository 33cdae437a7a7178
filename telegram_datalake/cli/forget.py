"""``forget``: erase a member's data on request (LGPD art. 18, GDPR art. 17), from every version of every object.

A dry run by default: it finds every raw update and imported record of the member (and every update that
quotes or names them), every enriched row, and the Athena result files that show them, and prints what it
would do. With ``--yes`` it deletes or rewrites those raw objects (every version), rebuilds the affected days
with the ETL, deletes every enriched file version and result file that still holds them, and writes an
erasure log. What it finds is worked out from the buckets each time, so a second run finds nothing and an
interrupted run is finished by running it again.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.common.settings import ConfigurationError, decimal_int64
from functions.etl.pseudonyms import load_pseudonyms
from telegram_datalake import aws_clients
from telegram_datalake.cli.aws_errors import aws_errors
from telegram_datalake.cli.backfill import DayFailedError, RunDay
from telegram_datalake.cli.deployed import Deployment, add_terraform_dir_option
from telegram_datalake.cli.errors import CliError
from telegram_datalake.cli.etl_target import etl_target
from telegram_datalake.cli.output import FORMATS, render
from telegram_datalake.erasure.matching import Verdict
from telegram_datalake.erasure.scan import RawPlan, Version, day_of, enriched_holding, plan_raw, results_holding
from telegram_datalake.parquet_source import table_prefixes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from functions.etl.config import EtlSettings

LOG_PREFIX = "erasure-log/"  # in the raw bucket, outside the raw updates' prefix: one JSON file per run
BATCH = 1000  # keys per DeleteObjects call, S3's maximum
UNREACHABLE = (
    "Athena's query history (45 days; no API deletes it) keeps the text of the queries run, not their results",
    "copies made outside the buckets: downloaded results, reports, CTAS tables, Telegram itself",
)


def _id(text: str) -> int:
    value = decimal_int64(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"must be an integer id, got {text!r}")
    return value


def register(subcommands: Any) -> None:
    """Add ``forget``."""
    parser = subcommands.add_parser(
        "forget",
        help="erase a member's data from the raw and enriched layers (a dry run without --yes)",
        description=(
            "Find every raw update and imported record sent by or describing the member, every enriched row and "
            "the Athena results that show them; with --yes delete them (every version), rebuild the affected days "
            "and write an erasure log (s3://<raw bucket>/erasure-log/). Run it again to finish an interrupted run."
        ),
    )
    parser.add_argument("--user-id", type=_id, required=True, metavar="ID", help="the member's Telegram user id")
    parser.add_argument("--chat-id", type=_id, metavar="ID", help="only their data in this chat (--chat-id=-100...)")
    parser.add_argument("--yes", action="store_true", help="do it (without: only say what would be done)")
    parser.add_argument("--local", action="store_true", help="S3 from AWS_ENDPOINT_URL/AWS and the ETL in-process")
    parser.add_argument("--function-name", metavar="NAME", help="the ETL function (default: output etl_function_name)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: %(default)s)")
    add_terraform_dir_option(parser)
    parser.set_defaults(handler=forget_command)


@dataclass
class Erasure:
    """What one run found and did, as the erasure log keeps it: counts and days, never content."""

    user_id: int
    chat_id: int | None
    started_at: str
    dry_run: bool
    raw_objects_deleted: int = 0
    raw_objects_rewritten: int = 0
    raw_versions_deleted: int = 0
    imported_records_removed: int = 0
    enriched_rows: int = 0
    enriched_versions_deleted: int = 0
    days_rebuilt: list[str] = field(default_factory=list)
    athena_results_deleted: int = 0
    athena_results: str = ""
    status: str = "planned"

    def rows(self) -> list[tuple[str, Any]]:
        return [
            ("raw objects deleted", self.raw_objects_deleted),
            ("raw objects rewritten without them", self.raw_objects_rewritten),
            ("raw versions deleted", self.raw_versions_deleted),
            ("imported records removed", self.imported_records_removed),
            ("enriched rows", self.enriched_rows),
            ("enriched file versions deleted", self.enriched_versions_deleted),
            ("days rebuilt", ", ".join(self.days_rebuilt) or "none"),
            ("Athena result files deleted", f"{self.athena_results_deleted} ({self.athena_results})"),
        ]


def _delete(client: S3Client, bucket: str, listed: Sequence[Version]) -> int:
    """Delete these versions (delete markers included) for good; how many."""
    for start in range(0, len(listed), BATCH):
        objects = [{"Key": version.key, "VersionId": version.version_id} for version in listed[start : start + BATCH]]
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})  # type: ignore[typeddict-item]
        if answer.get("Errors"):
            error = answer["Errors"][0]
            raise CliError(f"s3://{bucket}/{error.get('Key')}: {error.get('Code')} {error.get('Message')}")
    return len(listed)


def _write_log(client: S3Client, bucket: str, erasure: Erasure) -> str:
    key = f"{LOG_PREFIX}{erasure.started_at}-user-{erasure.user_id}.json"
    body = json.dumps(erasure.__dict__, indent=1).encode()
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return key


@dataclass
class Found:
    """Where the member's data is: raw changes, enriched files, result files, and the days to rebuild."""

    raw: RawPlan
    enriched: dict[str, tuple[int, list[Version]]]
    results_bucket: str | None
    results: list[Version]
    days: list[str]
    member_ids: set[int]  # their id, and their pseudonym in a pseudonymised deployment
    prefixes: list[str]  # the enriched tables' prefixes


def member_ids(settings: EtlSettings, user_id: int) -> set[int]:
    """The ids the enriched tables may hold the member under: theirs, and their pseudonym when the deployment
    writes pseudonyms (the key read from SSM as the ETL reads it)."""
    try:
        pseudonyms = load_pseudonyms(settings)
    except ConfigurationError as error:
        raise CliError(f"the pseudonym key, to find their pseudonymised rows: {error}") from error
    return {user_id} if pseudonyms is None else {user_id, pseudonyms.of(user_id)}


def _find(s3: S3Client, settings: EtlSettings, arguments: argparse.Namespace) -> Found:
    user, chat = arguments.user_id, arguments.chat_id
    ids, prefixes = member_ids(settings, user), list(table_prefixes(settings.enriched_prefix).values())
    with aws_errors(f"reading s3://{settings.raw_bucket}/ and s3://{settings.enriched_bucket}/"):
        raw = plan_raw(s3, settings.raw_bucket, settings.raw_prefix, user, chat)
        enriched = enriched_holding(s3, settings.enriched_bucket, prefixes, ids, chat)
    results_bucket, results = None, []
    if not arguments.local:
        results_bucket = Deployment(arguments.terraform_dir).name(None, "athena_results_bucket_name", "")
        with aws_errors(f"reading s3://{results_bucket}/"):
            results = results_holding(s3, results_bucket, user, raw.texts)
    days = {change.day for change in raw.changes if change.day}
    days |= {day for key, (rows, _) in enriched.items() if rows and (day := day_of(key))}
    return Found(raw, enriched, results_bucket, results, sorted(days), ids, prefixes)


def _count(erasure: Erasure, found: Found) -> None:
    erasure.days_rebuilt = found.days
    erasure.enriched_rows = sum(rows for rows, _ in found.enriched.values())
    for change in found.raw.changes:
        erasure.raw_objects_deleted += change.action is Verdict.DELETE
        erasure.raw_objects_rewritten += change.action is Verdict.REDACT
        erasure.raw_versions_deleted += len(change.old_versions)
        erasure.imported_records_removed += change.records
    erasure.enriched_versions_deleted = sum(len(holding) for _, holding in found.enriched.values())
    erasure.athena_results_deleted = len(found.results)
    erasure.athena_results = f"s3://{found.results_bucket}/" if found.results_bucket else "none on the local stack"


def _erase(
    s3: S3Client,
    settings: EtlSettings,
    run_day: RunDay,
    arguments: argparse.Namespace,
    *,
    found: Found,
    erasure: Erasure,
) -> None:
    """Raw objects first (every version), then the days rebuilt from them, then what still holds the member."""
    raw, enriched_bucket = settings.raw_bucket, settings.enriched_bucket
    for change in found.raw.changes:
        if change.action is Verdict.REDACT and change.new_body is not None:
            s3.put_object(Bucket=raw, Key=change.key, Body=change.new_body)
        _delete(s3, raw, change.old_versions)
    for day in found.days:
        try:
            run_day(day)
        except DayFailedError as error:
            raise CliError(f"rebuilding {day} failed ({error}): run forget again to finish") from error
    left = enriched_holding(s3, enriched_bucket, found.prefixes, found.member_ids, arguments.chat_id)
    current = [key for key, (rows, _) in left.items() if rows]
    if current:
        raise CliError(f"after the rebuild s3://{enriched_bucket}/{current[0]} still holds them: run forget again")
    erasure.enriched_versions_deleted = sum(_delete(s3, enriched_bucket, holding) for _, holding in left.values())
    if found.results_bucket:
        erasure.athena_results_deleted = _delete(s3, found.results_bucket, found.results)


def forget_command(arguments: argparse.Namespace) -> int:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    erasure = Erasure(arguments.user_id, arguments.chat_id, started, dry_run=not arguments.yes)
    with etl_target(arguments) as (settings, run_day):
        s3 = aws_clients.s3_client()
        found = _find(s3, settings, arguments)
        _count(erasure, found)
        if not arguments.yes:
            erasure.status = "dry run: nothing changed; run again with --yes to erase"
            _print(erasure, arguments.format)
            _print_plan(settings, found)
            return 0
        with aws_errors(f"erasing from s3://{settings.raw_bucket}/ and s3://{settings.enriched_bucket}/"):
            erasure.status = "in progress"
            _write_log(s3, settings.raw_bucket, erasure)  # left by an interrupted run; running again finishes
            _erase(s3, settings, run_day, arguments, found=found, erasure=erasure)
            erasure.status = "done"
            key = _write_log(s3, settings.raw_bucket, erasure)
    _print(erasure, arguments.format)
    print(f"forget: erasure log s3://{settings.raw_bucket}/{key}", file=sys.stderr)
    return 0


def _print(erasure: Erasure, output_format: str) -> None:
    whose = f"user {erasure.user_id}" + (f" in chat {erasure.chat_id}" if erasure.chat_id is not None else "")
    print(render(["what", whose], erasure.rows(), output_format))
    print(f"forget: {erasure.status}", file=sys.stderr)
    for line in UNREACHABLE:
        print(f"forget: not reachable from here: {line}", file=sys.stderr)


def _print_plan(settings: EtlSettings, found: Found) -> None:
    """What ``--yes`` would do, object by object (stderr: the table on stdout stays one document)."""
    raw = f"s3://{settings.raw_bucket}/"
    for change in found.raw.changes:
        copies = f"{len(change.old_versions)} version{'' if len(change.old_versions) == 1 else 's'}"
        if change.action is Verdict.REDACT:
            print(f"forget: would rewrite {raw}{change.key} without them, then delete {copies}", file=sys.stderr)
        else:
            print(f"forget: would delete {raw}{change.key} ({copies})", file=sys.stderr)
    for key, (rows, holding) in sorted(found.enriched.items()):
        print(
            f"forget: would delete s3://{settings.enriched_bucket}/{key}: {len(holding)} version(s) with their rows "
            f"({rows} in the current one)",
            file=sys.stderr,
        )
    for version in found.results:
        print(
            f"forget: would delete s3://{found.results_bucket}/{version.key} (a result showing them)", file=sys.stderr
        )
    print(f"forget: would rebuild {', '.join(found.days) or 'no day'}", file=sys.stderr)
