"""Telegram Desktop exports for tests, written as its JSON writer lays them out (docs/desktop-export-format.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FORMAT_DOC = ROOT / "docs" / "desktop-export-format.md"


def documented_example() -> bytes:
    """The single-chat export of the format document's section 9, byte for byte."""
    blocks: list[str] = re.findall(r"```json\n(.*?)\n```", FORMAT_DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1, "the format document has one JSON example"
    return blocks[0].encode()


def export_bytes(document: dict[str, Any]) -> bytes:
    """As Telegram Desktop writes it: UTF-8, one-space indent, no final newline."""
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def message(message_id: int, date_unixtime: int, **fields: Any) -> dict[str, Any]:
    """A ``type: message`` record (``from_`` stands for ``from``); ``text`` defaults to "", which the writer
    always writes."""
    record: dict[str, Any] = {"id": message_id, "type": "message", "date": "2024-03-09T00:00:00"}
    record["date_unixtime"] = str(date_unixtime)
    record.update({"from" if name == "from_" else name: value for name, value in fields.items()})
    record.setdefault("text", "")
    return record


def service(
    record_id: int, date_unixtime: int, action: str, actor: str | None, actor_id: str, **fields: Any
) -> dict[str, Any]:
    """A ``type: service`` record by ``actor``."""
    record: dict[str, Any] = {"id": record_id, "type": "service", "date": "2024-03-09T00:00:00"}
    record.update(date_unixtime=str(date_unixtime), actor=actor, actor_id=actor_id, action=action, **fields)
    record.update(text="", text_entities=[])
    return record
