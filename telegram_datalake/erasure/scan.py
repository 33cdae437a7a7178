"""Finding a member's data in the buckets, version by version: a versioned bucket keeps every overwritten
or deleted copy, and erasure must reach those too.

Raw objects are read and judged by ``matching``; enriched Parquet files by their user columns; Athena's
result files by the member's id and texts, as written in a CSV.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from functions.common.desktop_json import loads_export_json
from telegram_datalake.erasure.matching import REDACTED_USER, Verdict, forget_in_export, redact, verdict

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DAY = re.compile(r"/context_date=(\d{4}-\d{2}-\d{2})/")
IMPORT_KEY = re.compile(r"/context_date=\d{4}-\d{2}-\d{2}/import/[^/]+\.json$")
REDACTED_USER_ID = REDACTED_USER["id"]  # in the rows of the updates that only named them
USER_COLUMNS = ("user_id", "actor_user_id")  # the columns of the four tables that hold a member's id
MIN_TEXT = 8  # the member's texts searched in query results: shorter ones would match anything


@dataclass(frozen=True)
class Version:
    """One stored version of a key, newest first within its key."""

    key: str
    version_id: str
    is_latest: bool
    delete_marker: bool


def versions(client: S3Client, bucket: str, prefix: str) -> dict[str, list[Version]]:
    """Every version and delete marker under ``prefix``, by key, newest first."""
    found: dict[str, list[Version]] = {}
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Versions", []):
            found.setdefault(item["Key"], []).append(
                Version(item["Key"], item["VersionId"], bool(item.get("IsLatest")), delete_marker=False)
            )
        for marker in page.get("DeleteMarkers", []):
            found.setdefault(marker["Key"], []).append(
                Version(marker["Key"], marker["VersionId"], bool(marker.get("IsLatest")), delete_marker=True)
            )
    for listed in found.values():
        listed.sort(key=lambda version: not version.is_latest)  # the current one first
    return found


def read(client: S3Client, bucket: str, version: Version) -> bytes:
    return client.get_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)["Body"].read()


def day_of(key: str) -> str | None:
    match = DAY.search(key)
    return match.group(1) if match else None


def serialise(update: Any) -> bytes:
    """A rewritten update, as Telegram posts one: compact JSON, non-ASCII as UTF-8."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class RawChange:
    """What erasure does to one raw key: delete it whole, or rewrite it; and the versions it then deletes."""

    key: str
    day: str | None
    action: Verdict  # DELETE: every version goes; REDACT: ``new_body`` is written, then ``old_versions`` go
    old_versions: list[Version]
    new_body: bytes | None = None
    records: int = 0  # of an import file: the member's records removed


@dataclass
class RawPlan:
    changes: list[RawChange] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)  # the member's own texts, to find in query results


def _judge(body: bytes, key: str, user_id: int, chat_id: int | None) -> tuple[Verdict, Any, int]:
    """A version's verdict, what is left of it, and (imports) how many records of the member it holds."""
    if IMPORT_KEY.search(key):
        chat = key.rsplit("/", 1)[1].removesuffix(".json")  # the import file of a chat is named by its Bot API id
        if chat_id is not None and chat != str(chat_id):
            return Verdict.KEEP, None, 0
        document = loads_export_json(body)
        kept, removed = forget_in_export(document, user_id)
        if kept is None or chat == str(user_id):  # their private chat with the bot
            return Verdict.DELETE, None, removed
        return (Verdict.REDACT if removed else Verdict.KEEP), kept, removed
    try:
        update = json.loads(body)
    except ValueError:
        return Verdict.KEEP, None, 0  # not JSON: the ETL skips it, and it can be no update of theirs
    if not isinstance(update, dict):
        return Verdict.KEEP, None, 0
    judged = verdict(update, user_id, chat_id)
    return judged, (redact(update, user_id) if judged is Verdict.REDACT else update), 0


def _texts(update: Any, user_id: int) -> Iterator[str]:
    """The texts and captions of the member's own messages in a raw update (parsed)."""
    for value in update.values() if isinstance(update, dict) else ():
        if isinstance(value, dict) and isinstance(value.get("from"), dict) and value["from"].get("id") == user_id:
            for name in ("text", "caption"):
                if isinstance(value.get(name), str) and len(value[name]) >= MIN_TEXT:
                    yield value[name]


def plan_raw(client: S3Client, bucket: str, prefix: str, user_id: int, chat_id: int | None) -> RawPlan:
    """Every raw key that holds the member in any version, and what to do with it."""
    plan = RawPlan()
    for key, listed in versions(client, bucket, f"{prefix}/").items():
        judged = []
        for version in listed:
            if version.delete_marker:
                continue
            result = _judge(read(client, bucket, version), key, user_id, chat_id)
            judged.append((version, result))
            if result[0] is Verdict.DELETE:
                plan.texts.update(_texts(result[1], user_id))  # an update deleted whole is judged as it is
        holding = [version for version, (judgement, _, _) in judged if judgement is not Verdict.KEEP]
        current = listed[0] if listed and listed[0].is_latest and not listed[0].delete_marker else None
        current_judgement = next((result for version, result in judged if version == current), None)
        if current_judgement is not None and current_judgement[0] is Verdict.DELETE:
            plan.changes.append(RawChange(key, day_of(key), Verdict.DELETE, listed, records=current_judgement[2]))
        elif current_judgement is not None and current_judgement[0] is Verdict.REDACT:
            kept, records = current_judgement[1], current_judgement[2]
            rewritten = json.dumps(kept, ensure_ascii=False, indent=1).encode() if IMPORT_KEY.search(key) else b""
            plan.changes.append(
                RawChange(key, day_of(key), Verdict.REDACT, holding, rewritten or serialise(kept), records)
            )
        elif holding:  # only older copies hold them
            plan.changes.append(RawChange(key, day_of(key), Verdict.DELETE, holding))
    return plan


def holds_member(parquet: bytes, user_ids: Collection[int], chat_id: int | None) -> int:
    """How many rows of a Parquet file are the member's: by a user column, or their private chat (whose id is
    theirs); ``user_ids`` are their id and, in a pseudonymised deployment, their pseudonym."""
    table = pq.read_table(io.BytesIO(parquet))
    wanted = pa.array(sorted(user_ids), pa.int64())
    mask = pa.array([False] * table.num_rows)
    for column in (*USER_COLUMNS, "chat_id"):
        if column in table.column_names:
            mask = pc.or_kleene(mask, pc.fill_null(pc.is_in(table[column], value_set=wanted), False))
    if chat_id is not None and "chat_id" in table.column_names:
        mask = pc.and_kleene(mask, pc.fill_null(pc.equal(table["chat_id"], chat_id), False))
    return int(pc.sum(mask.cast(pa.int64())).as_py() or 0)


def enriched_holding(
    client: S3Client, bucket: str, prefixes: list[str], user_ids: Collection[int], chat_id: int | None
) -> dict[str, tuple[int, list[Version]]]:
    """Per enriched key holding the member in some version: their rows in the current one, and every version
    (current included) that holds them."""
    found: dict[str, tuple[int, list[Version]]] = {}
    for prefix in prefixes:
        for key, listed in versions(client, bucket, f"{prefix}/").items():
            rows, holding = 0, []
            for version in listed:
                if version.delete_marker:
                    continue
                count = holds_member(read(client, bucket, version), user_ids, chat_id)
                if count:
                    holding.append(version)
                    rows = count if version.is_latest else rows
            if holding:
                found[key] = (rows, holding)
    return found


def results_holding(client: S3Client, bucket: str, user_id: int, texts: set[str]) -> list[Version]:
    """Athena result files (every version) that show the member's id as a CSV cell, or one of their texts."""
    cell = re.compile(rb'(^|[,"\n])' + str(user_id).encode() + rb'($|[,"\r\n])')
    found = []
    for listed in versions(client, bucket, "").values():
        for version in listed:
            if version.delete_marker:
                continue
            body = read(client, bucket, version)
            if cell.search(body) or any(text.encode() in body for text in texts):
                found.append(version)
    return found
