"""Walking a JSON document of any size without holding it: objects key by key, arrays item by item.

Telegram Desktop's ``result.json`` of a large chat runs to gigabytes, almost all of it one ``messages``
array. This reader keeps a window of the text: it decodes the small values asked for (a message, a chat's
name) with ``json``'s own decoder, returns each with its exact text (the record as written, for keeping it
unchanged), and skips the rest character by character. UTF-8 only, as Telegram Desktop writes.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from functions.common.desktop_json import without_x_escapes

CHUNK_CHARS = 1 << 20  # text decoded per read
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
_STRUCTURE = re.compile(r'["{}\[\]]')  # what changes the depth, or opens a string
_IN_STRING = re.compile(r'\\.|"', re.DOTALL)  # an escape pair, or the closing quote
_LONGEST_CUT = 32  # characters: longer than any literal, escape or number prefix the decoder may stop inside


class ExportFormatError(ValueError):
    """The file is not the JSON this reader was asked to walk; the message says where and what."""


class JsonSyntaxError(ExportFormatError):
    """The file is not JSON (or not UTF-8) where the cursor is."""


class JsonStream:
    """A cursor over the JSON text of a binary file, read in chunks as the cursor needs them."""

    def __init__(self, file: IO[bytes], chunk_chars: int = CHUNK_CHARS) -> None:
        self._file = file
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._chunk = chunk_chars
        self._text = ""
        self._at = 0  # the cursor, in self._text
        self._consumed = 0  # characters dropped from the front of the window, for error positions
        self._ended = False

    # -- the window ----------------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read one more chunk into the window (dropping what the cursor has passed); False at the end."""
        if self._ended:
            return False
        data = self._file.read(self._chunk)
        try:
            decoded = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise JsonSyntaxError(f"not UTF-8 text near character {self.position}") from error
        self._consumed += self._at
        self._text = self._text[self._at :] + decoded
        self._at = 0
        self._ended = not data
        return bool(decoded) or not self._ended

    @property
    def position(self) -> int:
        """Characters from the start of the file to the cursor."""
        return self._consumed + self._at

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            text, at = self._text, self._at
            while at < len(text) and text[at] in _WHITESPACE:
                at += 1
            self._at = at
            if at < len(text):
                return text[at]
            if not self._fill():
                return ""

    def expect(self, character: str) -> None:
        found = self.peek()
        if found != character:
            shown = repr(found) if found else "the end of the file"
            raise JsonSyntaxError(f"expected {character!r} at character {self.position}, found {shown}")
        self._at += 1

    # -- values ----------------------------------------------------------------------------------------

    def value(self) -> tuple[Any, str]:
        """The next value, decoded, and its text exactly as written (``\\xHH`` escapes and all)."""
        first = self.peek()
        if not first:
            raise JsonSyntaxError(f"the file ends at character {self.position}, where a value was expected")
        while True:
            try:
                decoded, end = _DECODER.raw_decode(self._text, self._at)
            except json.JSONDecodeError as error:
                if error.msg.startswith("Invalid \\escape") and self._text.startswith("\\x", error.pos):
                    return self._with_x_escapes()
                cut = error.msg.startswith("Unterminated string") or error.pos >= len(self._text) - _LONGEST_CUT
                if self._ended or not cut:
                    raise JsonSyntaxError(f"invalid JSON at character {self._consumed + error.pos}") from None
                self._fill()  # the window ends inside the value
                continue
            if not self._ended and first not in '{["' and end > len(self._text) - _LONGEST_CUT:
                self._fill()  # a number may go on in the next chunk ("0" of "0.5"): decode it again
                continue
            text = self._text[self._at : end]
            self._at = end
            return decoded, text

    def _with_x_escapes(self) -> tuple[Any, str]:
        """The value at the cursor, which holds a \\xHH escape: found by its structure, decoded as \\u00HH."""
        end = self._end_of_value()
        text = self._text[self._at : end]
        try:
            decoded = json.loads(without_x_escapes(text))
        except json.JSONDecodeError as error:
            raise JsonSyntaxError(f"invalid JSON at character {self.position + error.pos}") from None
        self._at = end
        return decoded, text

    def _end_of_value(self) -> int:
        """Where the object, array or string at the cursor ends, in the window (grown to hold it all)."""
        depth, in_string, index = (0, True, self._at + 1) if self._text[self._at] == '"' else (0, False, self._at)
        while True:
            text = self._text
            while (found := (_IN_STRING if in_string else _STRUCTURE).search(text, index)) is not None:
                character, index = found.group(), found.end()
                if in_string:
                    in_string = character != '"'
                    if not in_string and depth == 0:
                        return index
                elif character == '"':
                    in_string = True
                elif character in "{[":
                    depth += 1
                else:
                    depth -= 1
                    if depth == 0:
                        return index
            resume = len(text) - 1 if in_string and text.endswith("\\") and index < len(text) else len(text)
            dropped = self._at
            if not self._fill():
                raise JsonSyntaxError(f"the file ends inside a value that starts at character {self.position}")
            index = resume - dropped

    def skip(self) -> None:
        """Pass over the next value, however large: containers member by member, so memory stays small."""
        first = self.peek()
        if first == "[":
            for _ in self.elements():
                self.skip()
        elif first == "{":
            try:  # an object the window holds (a message): decoded in one call, far faster than member by member
                _, end = _DECODER.raw_decode(self._text, self._at)
            except json.JSONDecodeError:  # larger than the window (a chat), or with \xHH escapes
                for _ in self.members():
                    self.skip()
            else:
                self._at = end
        else:
            self.value()

    # -- containers ----------------------------------------------------------------------------------

    def members(self) -> Iterator[str]:
        """The keys of the object at the cursor, each leaving the cursor on its value (read or skip it)."""
        self.expect("{")
        if self.peek() == "}":
            self._at += 1
            return
        while True:
            if self.peek() != '"':
                raise JsonSyntaxError(f"expected a key at character {self.position}")
            key, _ = self.value()
            self.expect(":")
            start = self.position
            yield key
            if self.position == start:
                self.skip()  # the caller left the value alone
            if self.peek() == ",":
                self._at += 1
                continue
            self.expect("}")
            return

    def elements(self) -> Iterator[None]:
        """Each item of the array at the cursor, leaving the cursor on it (read or skip it)."""
        self.expect("[")
        if self.peek() == "]":
            self._at += 1
            return
        while True:
            start = self.position
            yield None
            if self.position == start:
                self.skip()
            if self.peek() == ",":
                self._at += 1
                continue
            self.expect("]")
            return
