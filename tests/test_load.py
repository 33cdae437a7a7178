"""A burst of concurrent webhook deliveries, duplicates included, over real HTTP: every update kept exactly once.

Telegram re-sends an update until it gets a 2xx, and may do so while the first delivery is still in flight;
one update can also be re-sent after midnight. Against the local stack (moto's S3 server and the webhook
server in front of the unchanged ingest handler), 300 requests from 16 threads over two days must leave
exactly one raw object per (update, arrival day), byte for byte, and the ETL exactly one row per update.
"""

from __future__ import annotations

import http.client
import io
import json
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from functions.etl.handler import lambda_handler as etl_handler
from telegram_datalake.local.stack import LocalStack, local_stack
from telegram_datalake.local.webhook_server import TIME_HEADER
from tests.conftest import update_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DAYS = ("2024-03-09", "2024-03-10")
CHATS = (-1001873245190, -1004455667788)
UPDATES_PER_DAY = 60
CROSS_MIDNIGHT = 6  # updates of the first day re-delivered on the second
REQUESTS = 300
THREADS = 16
SEED = 20240309


@dataclass(frozen=True)
class Delivery:
    update_id: int
    body: bytes
    day: str
    arrived_ms: int


def build_updates() -> dict[int, tuple[str, bytes]]:
    """update id -> (day of its first delivery, its body as Telegram sends it)."""
    updates: dict[int, tuple[str, bytes]] = {}
    for day_index, day in enumerate(DAYS):
        for offset in range(UPDATES_PER_DAY):
            update_id = 700_000 + day_index * 1000 + offset
            sent = datetime.fromisoformat(day).replace(hour=8, tzinfo=SAO_PAULO) + timedelta(minutes=offset)
            update = {
                "update_id": update_id,
                "message": {
                    "message_id": update_id - 690_000,
                    "from": {"id": 1000 + offset % 7, "is_bot": False, "first_name": f"Pessoa {offset % 7}"},
                    "chat": {"id": CHATS[offset % 2], "title": "Carga", "type": "supergroup"},
                    "date": int(sent.timestamp()),
                    "text": f"mensagem {update_id} — olá 👋 {'x' * (offset % 13)}",
                },
            }
            updates[update_id] = (day, update_body(update))
    return updates


def arrival_ms(day: str, rng: random.Random) -> int:
    start = datetime.fromisoformat(day).replace(tzinfo=SAO_PAULO)
    return int(start.timestamp() * 1000) + rng.randrange(86_400_000)


def build_deliveries(updates: dict[int, tuple[str, bytes]]) -> list[Delivery]:
    """Each update once, some re-delivered after midnight, then re-deliveries up to ``REQUESTS``; shuffled,
    so copies of one update are often in flight at the same time."""
    rng = random.Random(SEED)
    deliveries = [Delivery(uid, body, day, arrival_ms(day, rng)) for uid, (day, body) in updates.items()]
    first_day = [uid for uid, (day, _) in updates.items() if day == DAYS[0]]
    for uid in rng.sample(first_day, CROSS_MIDNIGHT):
        deliveries.append(Delivery(uid, updates[uid][1], DAYS[1], arrival_ms(DAYS[1], rng)))
    hot = rng.sample(sorted(updates), 40)  # a few updates re-sent many times
    while len(deliveries) < REQUESTS:
        original = rng.choice([d for d in deliveries if d.update_id in hot])
        deliveries.append(Delivery(original.update_id, original.body, original.day, arrival_ms(original.day, rng)))
    rng.shuffle(deliveries)
    return deliveries


def post(stack: LocalStack, delivery: Delivery) -> tuple[int, Any]:
    parts = urlsplit(stack.webhook_url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": stack.secret_token,
            TIME_HEADER: str(delivery.arrived_ms),
        }
        connection.request("POST", parts.path, body=delivery.body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def raw_objects(s3: S3Client, stack: LocalStack) -> dict[str, bytes]:
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.raw_bucket)
        for item in page.get("Contents", ())
    ]
    return {key: s3.get_object(Bucket=stack.raw_bucket, Key=key)["Body"].read() for key in keys}


def parquet_rows(s3: S3Client, bucket: str, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    rows: list[dict[str, Any]] = pq.read_table(
        io.BytesIO(body), use_threads=False
    ).to_pylist()  # unthreaded: see etl_support
    return rows


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with local_stack(allowed_chat_ids=",".join(map(str, CHATS)), trust_time_header=True) as running:
        yield running


def test_concurrent_deliveries_with_duplicates_keep_each_update_exactly_once(stack: LocalStack) -> None:
    updates = build_updates()
    deliveries = build_deliveries(updates)
    assert len(deliveries) == REQUESTS
    copies = Counter((d.update_id, d.day) for d in deliveries)
    assert max(copies.values()) >= 3  # the burst does hold duplicates
    assert len(copies) == 2 * UPDATES_PER_DAY + CROSS_MIDNIGHT

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        responses = list(pool.map(lambda delivery: post(stack, delivery), deliveries))

    assert Counter(map(json.dumps, responses)) == {json.dumps((200, {"status": "stored"})): REQUESTS}
    s3 = stack.s3()
    try:
        stored = raw_objects(s3, stack)
        expected = {f"telegram/context_date={day}/{uid}.json": updates[uid][1] for uid, day in copies}
        assert stored.keys() == expected.keys()
        assert stored == expected  # byte for byte, whichever copy was written last

        for day in DAYS:
            [summary] = etl_handler({"date": day}, None)["days"]
            first_delivered = sorted(uid for uid, (first_day, _) in updates.items() if first_day == day)
            rows = parquet_rows(s3, stack.enriched_bucket, summary["output_key"])
            ids = [row["update_id"] for row in rows]
            assert sorted(ids) == first_delivered  # each update once, on the day it first arrived
            assert len({(row["chat_id"], row["message_id"]) for row in rows}) == len(rows)
            assert {row["text"] for row in rows} == {json.loads(updates[uid][1])["message"]["text"] for uid in ids}
            re_delivered = CROSS_MIDNIGHT if day == DAYS[1] else 0
            assert (summary["objects_read"], summary["rows_written"], summary["duplicates"]) == (
                UPDATES_PER_DAY + re_delivered,
                UPDATES_PER_DAY,
                re_delivered,
            )
    finally:
        s3.close()
