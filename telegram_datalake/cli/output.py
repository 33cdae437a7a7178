"""Rendering results for a terminal (aligned table), for spreadsheets (CSV) and for programs (JSON)."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

FORMATS = ("table", "csv", "json")


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, numbers right-aligned, NULL for missing values."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[index]) for row in cells)]) for index, name in enumerate(columns)]
    numeric = [
        bool(rows) and all(isinstance(row[index], int | float) or row[index] is None for row in rows)
        for index in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(padded).rstrip()

    separator = "  ".join("-" * width for width in widths)
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return "\n".join([line(columns), separator, *(line(row) for row in cells), footer])


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue().rstrip("\n")


def render_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """One JSON array of objects; dates and timestamps as ISO strings."""
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=2, default=str)


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], output_format: str) -> str:
    renderers = {"table": render_table, "csv": render_csv, "json": render_json}
    return renderers[output_format](columns, rows)


class Progress:
    """A one-line progress display on stderr (a terminal) or one line per step (a log), never on stdout."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr

    def step(self, detail: str) -> None:
        self.done += 1
        message = f"{self.label} [{self.done}/{self.total}] {detail}"
        if self.stream.isatty():
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r\x1b[2K{message}{end}")
        else:
            self.stream.write(message + "\n")
        self.stream.flush()


class StreamProgress:
    """Progress through a file read as a stream, on stderr: a bar of the bytes read, the items so far and their
    rate, redrawn at most every ``TERMINAL_SECONDS`` on a terminal; elsewhere (a log) a line every ``LOG_SECONDS``."""

    TERMINAL_SECONDS = 0.2
    LOG_SECONDS = 10.0
    WIDTH = 24  # characters of the bar

    def __init__(
        self,
        total_bytes: int,
        label: str,
        unit: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total_bytes, self.label, self.unit = max(total_bytes, 1), label, unit
        self.stream, self.clock = stream or sys.stderr, clock
        self.terminal = self.stream.isatty()
        self.started = self.clock()
        self._next = self.started + (self.TERMINAL_SECONDS if self.terminal else self.LOG_SECONDS)

    def line(self, position: int, count: int, now: float) -> str:
        """``import [#########...............]  37%  120,000 messages  48,211 messages/s``."""
        share = min(position / self.total_bytes, 1.0)
        filled = round(share * self.WIDTH)
        rate = count / max(now - self.started, 1e-9)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{self.label} [{bar}] {share:4.0%}  {count:,} {self.unit}  {rate:,.0f} {self.unit}/s"

    def update(self, position: int, count: int) -> None:
        now = self.clock()
        if now < self._next:
            return
        self._next = now + (self.TERMINAL_SECONDS if self.terminal else self.LOG_SECONDS)
        self._show(self.line(position, count, now))

    def finish(self, position: int, count: int) -> None:
        self._show(self.line(position, count, self.clock()), final=True)

    def _show(self, text: str, *, final: bool = False) -> None:
        if self.terminal:
            self.stream.write(f"\r\x1b[2K{text}{chr(10) if final else ''}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
