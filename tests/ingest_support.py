"""Helpers shared by the ingest tests: build realistic updates, invoke the handler, read what it stored and logged."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from functions.ingest.handler import lambda_handler
from tests.conftest import ALLOWED_CHAT, RAW_BUCKET, webhook_event

if TYPE_CHECKING:
    import pytest
    from mypy_boto3_s3 import S3Client

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Noon in Sao Paulo: the same calendar day in UTC too, so keys do not depend on when the suite runs.
ARRIVED = datetime(2024, 5, 10, 12, 0, tzinfo=SAO_PAULO)
DAY = "2024-05-10"

USER: dict[str, Any] = {"id": 321, "is_bot": False, "first_name": "Andre", "language_code": "pt-br"}
GROUP: dict[str, Any] = {"id": ALLOWED_CHAT, "title": "Familia", "type": "group"}


def raw_key(update_id: int, day: str = DAY, prefix: str = "telegram") -> str:
    """The key the contract promises for an update, spelled out independently of the code under test."""
    return f"{prefix}/context_date={day}/{update_id}.json"


def message_update(update_id: int = 123, chat_id: int = ALLOWED_CHAT, text: str = "Bom dia") -> dict[str, Any]:
    """A text message in a group, as the Bot API delivers it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "from": USER,
            "chat": {"id": chat_id, "title": "Familia", "type": "group"},
            "date": 1715353200,
            "text": text,
        },
    }


def event(body: bytes | str | None, **kwargs: Any) -> dict[str, Any]:
    """``webhook_event`` arriving at a fixed instant unless the test says otherwise."""
    kwargs.setdefault("arrived_at", ARRIVED)
    return webhook_event(body, **kwargs)


def invoke(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Call the handler as Lambda does; return the status code and the decoded JSON body."""
    response = lambda_handler(request, None)
    status = response["statusCode"]
    assert type(status) is int
    assert response["headers"] == {"content-type": "application/json"}
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    return status, body


def stored_keys(s3: S3Client) -> list[str]:
    """Every key in the raw bucket (moto returns them all in one page for these small tests)."""
    listing = s3.list_objects_v2(Bucket=RAW_BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", ()))


def stored_body(s3: S3Client, key: str) -> bytes:
    return s3.get_object(Bucket=RAW_BUCKET, Key=key)["Body"].read()


def parse_log(out: str) -> list[dict[str, Any]]:
    """Each line of captured stdout parsed as a JSON object (any other line fails the test)."""
    parsed = [json.loads(line) for line in out.splitlines()]
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON log lines written to stdout since the last read."""
    return parse_log(capsys.readouterr().out)
