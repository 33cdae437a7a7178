"""Telegram Desktop's JSON, which is JSON but for one escape: read by the import command and the ETL alike."""

from __future__ import annotations

import json
import re
from typing import Any

# Telegram Desktop writes control characters other than \n, \r and \t as \xHH, which JSON does not have:
# a \x after an even number of backslashes (none escaped) becomes the \u00HH that means the same.
_X_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


def without_x_escapes(text: str) -> str:
    """``text`` with Telegram Desktop's ``\\xHH`` escapes written as JSON's ``\\u00HH``."""
    return _X_ESCAPE.sub(r"\1\\u00\2", text) if "\\x" in text else text


def loads_export_json(body: bytes) -> Any:
    """The value of a UTF-8 JSON text Telegram Desktop wrote; ValueError (or UnicodeDecodeError) if it is none."""
    text = body.decode("utf-8")
    try:
        return json.loads(text)
    except ValueError:
        if "\\x" not in text:
            raise
        return json.loads(without_x_escapes(text))
