"""The streaming JSON walker of Telegram Desktop exports: the same values as json, window by window."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telegram_datalake.desktop_export.json_stream import ExportFormatError, JsonStream

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


def stream(document: str, chunk: int) -> JsonStream:
    return JsonStream(io.BytesIO(document.encode()), chunk_chars=chunk)


def walk(cursor: JsonStream, skip_every: int = 0) -> Any:
    """The value at the cursor, rebuilt through keys() and items() (skipping every n-th member)."""
    first = cursor.peek()
    if first == "{":
        result: dict[str, Any] = {}
        for count, key in enumerate(cursor.members(), start=1):
            if skip_every and count % skip_every == 0:
                continue  # left alone: the walker skips it
            result[key] = walk(cursor, skip_every)
        return result
    if first == "[":
        items: list[Any] = []
        for count, _ in enumerate(cursor.elements(), start=1):
            if skip_every and count % skip_every == 0:
                continue
            items.append(walk(cursor, skip_every))
        return items
    value, _ = cursor.value()
    return value


def dropped(value: Any, every: int) -> Any:
    """``value`` without every n-th member of each container: what walk(skip_every=n) must give."""
    if isinstance(value, dict):
        return {k: dropped(v, every) for i, (k, v) in enumerate(value.items(), 1) if i % every}
    if isinstance(value, list):
        return [dropped(v, every) for i, v in enumerate(value, 1) if i % every]
    return value


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(min_value=1, max_value=9), st.booleans(), st.integers(min_value=0, max_value=3))
def test_any_document_walks_to_the_value_json_reads(value: Any, chunk: int, indent: bool, skip_every: int) -> None:
    document = json.dumps(value, ensure_ascii=False, indent=1 if indent else None)
    expected = json.loads(document)
    cursor = stream(document, chunk)
    if skip_every > 1:
        assert walk(cursor, skip_every) == dropped(expected, skip_every)
    else:
        assert walk(cursor) == expected
    assert cursor.peek() == ""


def test_messages_are_read_one_by_one_with_their_exact_text() -> None:
    records = [
        '{"id": 7, "text": "olá \\"mundo\\" 🚀\\\\"}',
        '{\n "id": 8,\n "text": ["a", {"type": "bold", "text": "b"}]\n}',
    ]
    document = '{"name": "G", "skipped": {"big": [1, 2, {"x": "]}"}]}, "messages": [\n' + ",\n".join(records) + "\n]}"
    for chunk in (1, 3, 16, 4096):
        cursor = stream(document, chunk)
        texts: list[str] = []
        for key in cursor.members():
            if key == "messages":
                for _ in cursor.elements():
                    value, text = cursor.value()
                    assert json.loads(text) == value
                    texts.append(text)
        assert texts == records


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"messages": [1, 2', "the end of the file"),
        ('{"messages": [{"id": 1', "the end of the file"),
        ('{"messages" [1]}', "expected ':'"),
        ('{"a": tru}', "invalid JSON"),
        ("", "where a value was expected"),
    ],
)
def test_a_broken_document_is_a_one_line_error(document: str, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message):
        walk(stream(document, 3))


def test_text_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ExportFormatError, match="not UTF-8"):
        walk(JsonStream(io.BytesIO(b'{"a": "\xff"}'), chunk_chars=4))


@pytest.mark.parametrize("chunk", [1, 2, 5, 4096])
def test_telegram_desktops_x_escapes_are_read_and_the_text_kept(chunk: int) -> None:
    """Telegram Desktop writes control characters as \\xHH (not JSON): they decode, and the text stays as written."""
    record = r'{"id": 1, "text": "a\x0Bb \\x41 \\\x0C", "from": "Ana"}'
    cursor = stream('{"messages": [' + record + "]}", chunk)
    found: list[tuple[Any, str]] = []
    for _ in cursor.members():
        for _ in cursor.elements():
            found.append(cursor.value())
    assert found == [({"id": 1, "text": "a\x0bb \\x41 \\\x0c", "from": "Ana"}, record)]
