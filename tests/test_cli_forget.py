"""``forget``: a member's data erased from every version of the raw and enriched layers, on moto's versioned S3
with the real ETL (``--local``): what the dry run says, what ``--yes`` leaves (searched byte by byte), the other
members' rows, the saved queries, idempotence, an interrupted run finished, and the erasure log."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pyarrow.parquet as pq
import pytest

from functions.etl.pseudonyms import decode_key, new_key_text, pseudonym
from telegram_datalake.duckdb_engine import connect, run_query
from telegram_datalake.erasure.scan import REDACTED_USER_ID, plan_raw, results_holding, versions
from telegram_datalake.parquet_source import download_tables
from telegram_datalake.saved_queries import list_queries, render
from tests.cli_support import cli
from tests.conftest import ENRICHED_BUCKET, RAW_BUCKET
from tests.desktop_exports import export_bytes
from tests.desktop_exports import message as record
from tests.etl_support import DAY_START, GROUP, USER, message, put_raw, update

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ERIN_ID = 7_700_000_123
ERIN = {"id": ERIN_ID, "is_bot": False, "first_name": "Erinvalda", "last_name": "Quistorp", "username": "erinq"}
BRUNO = {"id": 5_500_000_777, "is_bot": False, "first_name": "Bruno"}
ERIN_TEXTS = ["Minha senha do wifi é zebra42", "Corrigindo: zebra43 é a senha", "Histórico: moro na rua Lapa 12"]
DAY0, DAY1, DAY2 = "2023-12-31", "2024-01-01", "2024-01-02"
EXPORTED_GROUP = {"name": "Clube", "type": "private_supergroup", "id": 1555000111}
ERIN_IN_EXPORT = f"user{ERIN_ID}"


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    return {"user": user, "status": status}


def lake(s3: S3Client) -> None:
    """Three days with Erin everywhere a member can be: her messages (one delivered twice), an edit, a
    reaction, her join, a ban she made, a reply quoting her, her private chat, and her imported history."""
    for bucket in (RAW_BUCKET, ENRICHED_BUCKET):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    erins = message(1, sender=ERIN, text=ERIN_TEXTS[0])
    put_raw(s3, DAY1, update(101, erins))
    put_raw(s3, DAY1, update(101, erins))  # re-delivered: a second version of the same key
    put_raw(s3, DAY1, update(102, message(2, text="Bom dia")))  # Andre's
    put_raw(s3, DAY1, update(103, message(3, sender=BRUNO, text="Concordo", reply_to_message=erins)))
    put_raw(
        s3,
        DAY1,
        update(104, {**message(1, sender=ERIN, text=ERIN_TEXTS[1]), "edit_date": DAY_START + 60}, "edited_message"),
    )
    reaction = {
        "chat": GROUP,
        "message_id": 2,
        "user": ERIN,
        "date": DAY_START + 90,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
    }
    put_raw(s3, DAY1, update(105, reaction, "message_reaction"))
    joined = {
        "chat": GROUP,
        "from": ERIN,
        "date": DAY_START + 86_400,
        "old_chat_member": member(ERIN, "left"),
        "new_chat_member": member(ERIN, "member"),
    }
    put_raw(s3, DAY2, update(201, joined, "chat_member"))
    banned = {
        "chat": GROUP,
        "from": ERIN,
        "date": DAY_START + 86_500,
        "old_chat_member": member(BRUNO, "member"),
        "new_chat_member": {**member(BRUNO, "kicked"), "until_date": 0},
    }
    put_raw(s3, DAY2, update(202, banned, "chat_member"))
    private = {"id": ERIN_ID, "type": "private", "first_name": "Erinvalda"}
    put_raw(s3, DAY2, update(203, message(9, chat=private, sender=ERIN, text="/start")))
    put_raw(s3, DAY2, update(204, message(4, text="Até amanhã", date=DAY_START + 86_600)))  # Andre's
    history = {
        **EXPORTED_GROUP,
        "messages": [
            record(50, DAY_START - 3_600, from_="Erinvalda Quistorp", from_id=ERIN_IN_EXPORT, text=ERIN_TEXTS[2]),
            record(51, DAY_START - 3_500, from_="Andre Souza", from_id=f"user{USER['id']}", text="Oi, clube"),
        ],
    }
    s3.put_object(
        Bucket=RAW_BUCKET, Key=f"telegram/context_date={DAY0}/import/-1001555000111.json", Body=export_bytes(history)
    )


@pytest.fixture
def erin(s3: S3Client, capsys: pytest.CaptureFixture[str], etl_env: None) -> S3Client:
    lake(s3)
    run = cli(capsys, "backfill", "--from", DAY0, "--to", DAY2, "--local")
    assert run.code == 0, run.err
    return s3


def every_version(s3: S3Client, bucket: str) -> dict[tuple[str, str], bytes]:
    found = {}
    for key, listed in versions(s3, bucket, "").items():
        for version in listed:
            if not version.delete_marker:
                body = s3.get_object(Bucket=bucket, Key=key, VersionId=version.version_id)["Body"].read()
                found[(key, version.version_id)] = body
    return found


ERIN_BYTES = [
    str(ERIN_ID).encode(),
    struct.pack("<q", ERIN_ID),
    struct.pack(">q", ERIN_ID),
    *(name.encode() for name in ("Erinvalda", "Quistorp", "erinq")),
    *(text.encode() for text in ERIN_TEXTS),
    b"zebra4",
]


def searchable(key: str, body: bytes) -> bytes:
    """An object's bytes, and for a Parquet file also its content written out uncompressed: its pages are zstd,
    so a name or text in them would not show in the stored bytes."""
    if not key.endswith(".parquet"):
        return body
    plain = io.BytesIO()
    pq.write_table(pq.read_table(io.BytesIO(body)), plain, compression="none")
    return body + plain.getvalue()


def holding_erin(s3: S3Client) -> list[tuple[str, bytes]]:
    """(key, what of hers) for every version of every object of the two buckets, the erasure log left out."""
    found = []
    for bucket in (RAW_BUCKET, ENRICHED_BUCKET):
        for (key, _), body in every_version(s3, bucket).items():
            if not key.startswith("erasure-log/"):
                content = searchable(key, body)
                found += [(key, needle) for needle in ERIN_BYTES if needle in content]
    return found


def rows(s3: S3Client) -> dict[str, list[dict[str, Any]]]:
    """Every current enriched file's rows, by key (a key whose latest version is a delete marker has none)."""
    tables = {}
    for key, listed in sorted(versions(s3, ENRICHED_BUCKET, "").items()):
        if listed[0].is_latest and not listed[0].delete_marker:
            body = s3.get_object(Bucket=ENRICHED_BUCKET, Key=key)["Body"].read()
            tables[key] = pq.read_table(io.BytesIO(body)).to_pylist()
    return tables


def is_erins(row: dict[str, Any]) -> bool:
    return ERIN_ID in (row.get("user_id"), row.get("actor_user_id"), row.get("chat_id"))


def forget(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    return cli(capsys, "forget", "--user-id", str(ERIN_ID), "--local", "--format", "json", *args)


def counts(out: str) -> dict[str, Any]:
    return {row["what"]: row[f"user {ERIN_ID}"] for row in json.loads(out)}


def test_the_dry_run_says_what_it_would_do_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], erin: S3Client
) -> None:
    enriched = {key for key, _ in holding_erin(erin) if key.endswith(".parquet")}
    assert enriched >= {  # the lake holds her, her names and texts in the Parquet files too: the search can fail
        f"telegram/context_date={DAY1}/telegram.parquet",
        f"telegram/context_date={DAY0}/telegram.parquet",
        f"member_events/context_date={DAY2}/member_events.parquet",
    }
    texts = {needle for key, needle in holding_erin(erin) if key.endswith(".parquet")}
    assert {ERIN_TEXTS[0].encode(), ERIN_TEXTS[2].encode(), b"Erinvalda"} <= texts
    before = {bucket: every_version(erin, bucket) for bucket in (RAW_BUCKET, ENRICHED_BUCKET)}
    run = forget(capsys)
    assert run.code == 0, run.err
    assert counts(run.out) == {
        "raw objects deleted": 5,  # her message (2 versions), edit, reaction, join, private chat
        "raw objects rewritten without them": 3,  # the reply quoting her, the ban she made, the import file
        "raw versions deleted": 9,
        "imported records removed": 1,
        "enriched rows": counts(run.out)["enriched rows"],
        "enriched file versions deleted": counts(run.out)["enriched file versions deleted"],
        "days rebuilt": f"{DAY0}, {DAY1}, {DAY2}",
        "Athena result files deleted": "0 (none on the local stack)",
    }
    assert counts(run.out)["enriched rows"] >= 6
    assert "dry run: nothing changed; run again with --yes to erase" in run.err
    planned = [line for line in run.err.splitlines() if line.startswith("forget: would ")]
    assert f"forget: would delete s3://{RAW_BUCKET}/telegram/context_date={DAY1}/101.json (2 versions)" in planned
    rewrite = f"forget: would rewrite s3://{RAW_BUCKET}/telegram/context_date={DAY1}/103.json without them"
    assert any(line.startswith(rewrite) for line in planned)
    assert f"forget: would rebuild {DAY0}, {DAY1}, {DAY2}" in planned
    assert {bucket: every_version(erin, bucket) for bucket in (RAW_BUCKET, ENRICHED_BUCKET)} == before


def test_yes_erases_every_version_keeps_the_others_rows_and_a_second_run_finds_nothing(
    capsys: pytest.CaptureFixture[str], erin: S3Client, tmp_path: Path
) -> None:
    before = {key: [row for row in table if not is_erins(row)] for key, table in rows(erin).items()}
    run = forget(capsys, "--yes")
    assert run.code == 0, run.err

    assert holding_erin(erin) == []  # no version of any raw or enriched object holds her id, names or texts
    after = rows(erin)
    for key, table in before.items():
        kept = after.get(key, [])
        for row in table:
            if row.get("actor_user_id") == ERIN_ID:
                continue  # the ban she made: below
            assert row in kept, (key, row)
    banned = [
        row for row in after["member_events/context_date=2024-01-02/member_events.parquet"] if row["event"] == "banned"
    ]
    assert [(row["user_id"], row["actor_user_id"]) for row in banned] == [(BRUNO["id"], REDACTED_USER_ID)]
    assert not any(is_erins(row) for table in after.values() for row in table)

    # The saved queries still run over what is left.
    files = tmp_path / "enriched"
    download_tables(erin, ENRICHED_BUCKET, files)
    with connect(files, database="telegram_datalake", table="telegram") as connection:
        for query in list_queries():
            if not query.period_filters:
                run_query(
                    connection,
                    render(
                        query.template, database="telegram_datalake", table="telegram", timezone="America/Sao_Paulo"
                    ),
                )

    again = forget(capsys)
    assert again.code == 0, again.err
    assert {what: value for what, value in counts(again.out).items() if what != "Athena result files deleted"} == {
        "raw objects deleted": 0,
        "raw objects rewritten without them": 0,
        "raw versions deleted": 0,
        "imported records removed": 0,
        "enriched rows": 0,
        "enriched file versions deleted": 0,
        "days rebuilt": "none",
    }


def test_the_erasure_log_says_who_when_and_how_much_never_what(
    capsys: pytest.CaptureFixture[str], erin: S3Client
) -> None:
    assert forget(capsys, "--yes").code == 0
    logs = [body for (key, _), body in every_version(erin, RAW_BUCKET).items() if key.startswith("erasure-log/")]
    assert [json.loads(body)["status"] for body in logs] == ["done", "in progress"]  # one key; newest first
    final = [json.loads(body) for body in logs if json.loads(body)["status"] == "done"]
    assert len(final) == 1
    (entry,) = final
    assert entry["user_id"] == ERIN_ID
    assert entry["raw_objects_deleted"] == 5
    assert entry["days_rebuilt"] == [DAY0, DAY1, DAY2]
    for body in logs:
        assert not any(needle in body for needle in ERIN_BYTES[3:])  # no name, username or text of hers


def test_an_interrupted_erasure_is_finished_by_running_it_again(
    capsys: pytest.CaptureFixture[str], erin: S3Client
) -> None:
    """As if the first run stopped after the raw step: the raw objects are gone, the days not yet rebuilt."""
    plan = plan_raw(erin, RAW_BUCKET, "telegram", ERIN_ID, None)
    for change in plan.changes:
        if change.new_body is not None:
            erin.put_object(Bucket=RAW_BUCKET, Key=change.key, Body=change.new_body)
        for version in change.old_versions:
            erin.delete_object(Bucket=RAW_BUCKET, Key=version.key, VersionId=version.version_id)
    assert holding_erin(erin)  # the enriched files still hold her
    run = forget(capsys, "--yes")
    assert run.code == 0, run.err
    assert counts(run.out)["raw objects deleted"] == 0
    assert counts(run.out)["days rebuilt"] == f"{DAY0}, {DAY1}, {DAY2}"
    assert holding_erin(erin) == []


def test_a_user_id_that_is_not_a_number_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    run = cli(capsys, "forget", "--user-id", "erin", "--local")
    assert run.code == 2
    assert "argument --user-id: must be an integer id, got 'erin'" in run.err


def test_athena_results_that_show_the_member_are_found_in_every_version(s3: S3Client) -> None:
    """By her id as a CSV cell (not inside a longer number) or one of her texts; every version is read."""
    s3.create_bucket(Bucket="results")
    s3.put_bucket_versioning(Bucket="results", VersioningConfiguration={"Status": "Enabled"})
    bodies = {
        "results/by-id.csv": f'"chat_id","user_id"\n"-100123","{ERIN_ID}"\n'.encode(),
        "results/by-text.csv": f'"text"\n"{ERIN_TEXTS[0]}"\n'.encode(),
        "results/longer-number.csv": f'"n"\n"1{ERIN_ID}"\n'.encode(),
        "results/others.csv": b'"user_id"\n"321"\n',
    }
    for key, body in bodies.items():
        s3.put_object(Bucket="results", Key=key, Body=body)
    s3.put_object(Bucket="results", Key="results/others.csv", Body=b'"user_id"\n"5"\n')  # the old version stays
    s3.put_object(Bucket="results", Key="results/by-id.csv", Body=b'"user_id"\n"5"\n')  # hers only in the old one
    found = results_holding(s3, "results", ERIN_ID, {ERIN_TEXTS[0]})
    assert sorted((version.key, version.is_latest) for version in found) == [
        ("results/by-id.csv", False),
        ("results/by-text.csv", True),
    ]


def test_in_a_pseudonymised_deployment_her_rows_are_found_by_her_pseudonym(
    capsys: pytest.CaptureFixture[str], s3: S3Client, etl_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/tgdl/pseudonym-key", Type="SecureString", Value=new_key_text())
    monkeypatch.setenv("PSEUDONYM_KEY_PARAMETER", "/tgdl/pseudonym-key")
    key = decode_key(ssm.get_parameter(Name="/tgdl/pseudonym-key", WithDecryption=True)["Parameter"]["Value"])
    alias = struct.pack("<q", pseudonym(key, ERIN_ID))
    lake(s3)
    assert cli(capsys, "backfill", "--from", DAY0, "--to", DAY2, "--local").code == 0
    assert any(alias in body for body in every_version(s3, ENRICHED_BUCKET).values())
    run = forget(capsys, "--yes")
    assert run.code == 0, run.err
    assert counts(run.out)["enriched rows"] >= 6
    assert not any(alias in body for body in every_version(s3, ENRICHED_BUCKET).values())
    assert holding_erin(s3) == []
