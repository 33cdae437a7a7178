"""A report's period and chat as query parameters, bound the same way on Athena, Trino and DuckDB.

The report's queries filter with ``PERIOD_FILTER``, whose ``?`` placeholders Athena fills from a query's
``ExecutionParameters`` (each a SQL literal, written out as text) and DuckDB from Python values. Casting
every placeholder makes both engines read the same types: Trino compares no DATE with a string, and Athena
takes parameters only in WHERE clauses, where this filter goes (a CTE's WHERE included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from telegram_datalake.saved_queries import PERIOD_FILTER

__all__ = ["PERIOD_FILTER", "Period"]


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive, of one chat or (``chat_id`` None) of every chat."""

    start: date
    end: date
    chat_id: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period's start {self.start} is after its end {self.end}")

    def athena_parameters(self, filters: int = 1) -> list[str]:
        """``ExecutionParameters`` for a query with ``filters`` PERIOD_FILTERs: SQL literals, in order."""
        chat = "NULL" if self.chat_id is None else str(self.chat_id)
        return [f"'{self.start.isoformat()}'", f"'{self.end.isoformat()}'", chat, chat] * filters

    def duckdb_parameters(self, filters: int = 1) -> list[object]:
        """The same values for DuckDB's ``execute(sql, parameters)``."""
        return [self.start.isoformat(), self.end.isoformat(), self.chat_id, self.chat_id] * filters

    def describe(self, timezone: str) -> str:
        """The period as the report states it at its top."""
        chat = "every chat" if self.chat_id is None else f"chat {self.chat_id}"
        return f"{self.start.isoformat()} to {self.end.isoformat()} ({timezone} days), {chat}"
