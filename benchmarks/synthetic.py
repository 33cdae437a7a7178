"""Synthetic Telegram updates of realistic shape and size, for benchmarks."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

GROUP_CHAT_ID = -1001234567890123
FIRST_NAMES = ("Ana", "Bruno", "Carla", "Diego", "Eva", "Felipe", "Gabi", "Hugo")
WORDS = ("ola", "tudo", "bem", "dados", "pipeline", "parquet", "athena", "amanha", "reuniao", "café", "🚀", "ok")


def synthetic_update(update_id: int, start_epoch: int, rng: random.Random) -> dict[str, Any]:
    """One group message: mostly text, some photos with captions and replies, like a busy group."""
    user = rng.randrange(len(FIRST_NAMES))
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": {
            "id": 5_000_000_000 + user,
            "is_bot": False,
            "first_name": FIRST_NAMES[user],
            "username": FIRST_NAMES[user].lower(),
            "language_code": "pt-br",
        },
        "chat": {"id": GROUP_CHAT_ID, "title": "Data Team", "type": "supergroup"},
        "date": start_epoch + update_id % 86_000,
    }
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 25)))
    if rng.random() < 0.1:
        message["photo"] = [{"file_id": f"AgAC{update_id}", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        message["caption"] = words
    else:
        message["text"] = words
    if rng.random() < 0.2:
        message["reply_to_message"] = {"message_id": max(1, update_id - 3), "chat": message["chat"], "date": 0}
    return {"update_id": update_id, "message": message}


def synthetic_bodies(count: int, start_epoch: int = 1_767_236_400, seed: int = 7) -> Iterator[bytes]:
    """``count`` raw bodies as Telegram serialises them (compact JSON, UTF-8)."""
    rng = random.Random(seed)
    for update_id in range(1, count + 1):
        yield json.dumps(synthetic_update(update_id, start_epoch, rng), ensure_ascii=False).encode()
