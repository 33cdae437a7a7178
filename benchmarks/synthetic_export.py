"""A generated Telegram Desktop export of any size, written record by record as its JSON writer lays one out.

A supergroup's history of ``days`` days, ``per_day`` messages a day, ids ascending: plain texts, texts with
entities (an array), replies, forwards, photos with captions, stickers, edits and joins, in fixed shares.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

FIRST_DAY = 1_577_847_600  # 2020-01-01T03:00Z: midnight in São Paulo
DAY_SECONDS = 86_400
CHAT = {"name": "Dados & Café ☕", "type": "public_supergroup", "id": 1873245190}
NAMES = ("Ana Souza", "Bruno Carvalho", "Carla", "David Miller", "Priya Nair", "Felipe", "Giulia Rossi", "Lucas")
WORDS = "bom dia pipeline parquet athena query dados café deploy lambda terraform schema join ok obrigado".split()  # noqa: SIM905


def _record(rng: random.Random, message_id: int, date: int) -> dict[str, Any]:
    kind = rng.random()
    sender = rng.randrange(len(NAMES))
    base: dict[str, Any] = {"id": message_id, "type": "message", "date": "2020-01-01T00:00:00"}
    base["date_unixtime"] = str(date)
    text = " ".join(rng.choices(WORDS, k=rng.randint(2, 18)))
    if kind < 0.02:
        base.update(type="service", actor=NAMES[sender], actor_id=f"user{100 + sender}")
        base.update(action="join_group_by_link", inviter=NAMES[0], text="", text_entities=[])
        return base
    base.update({"from": NAMES[sender], "from_id": f"user{100 + sender}"})
    if kind < 0.04:
        base.update(edited="2020-01-01T00:01:00", edited_unixtime=str(date + 60))
    if 0.04 <= kind < 0.10:
        base["reply_to_message_id"] = message_id - rng.randint(1, 20)
    if 0.10 <= kind < 0.13:
        base["forwarded_from"] = "Dados & Café — Avisos"
    if 0.13 <= kind < 0.18:
        base.update(photo="(File not included. Change data exporting settings to download.)", width=1280, height=960)
    if 0.18 <= kind < 0.21:
        base.update(file="(File not included. Change data exporting settings to download.)", media_type="sticker")
        base.update(sticker_emoji="👍", width=512, height=512)
        text = ""
    if 0.21 <= kind < 0.31:
        parts: list[Any] = [
            text,
            {"type": "bold", "text": rng.choice(WORDS)},
            " ",
            {"type": "link", "text": "https://x.org"},
        ]
        base["text"] = parts
        base["text_entities"] = [{"type": "plain", "text": text}, *parts[1:2], {"type": "plain", "text": " "}, parts[3]]
        return base
    base["text"] = text
    base["text_entities"] = [{"type": "plain", "text": text}] if text else []
    return base


def write_export(path: Path, days: int, per_day: int, seed: int = 14) -> int:
    """Write the export to ``path``; its size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in CHAT.items()))
        out.write(',\n "messages": [')
        message_id = 0
        for day in range(days):
            for index in range(per_day):
                message_id += 1
                date = FIRST_DAY + day * DAY_SECONDS + index * (DAY_SECONDS // per_day)
                record = json.dumps(_record(rng, message_id, date), ensure_ascii=False, indent=1)
                out.write(("\n" if message_id == 1 else ",\n") + "  " + record.replace("\n", "\n  "))
        out.write("\n ]\n}")
    return path.stat().st_size
