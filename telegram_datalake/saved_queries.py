"""The analytics queries of ``sql/``: found, described, rendered, and the table schema they query.

Each ``sql/<name>.sql`` is a template with ``${database}``, ``${table}`` and ``${timezone}`` placeholders,
rendered the same way by Terraform's ``templatefile`` (for Athena's saved queries) and by Python's
``string.Template`` (here, for DuckDB and the CLI), so both must see nothing else that looks like one.
"""

from __future__ import annotations

import json
import re
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import TypedDict, cast


def _sql_dir() -> Path:
    """``sql/`` of the checkout, or the copy a wheel installs under ``<prefix>/share/telegram-datalake/sql``."""
    checkout = Path(__file__).resolve().parent.parent / "sql"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "telegram-datalake" / "sql"


SQL_DIR = _sql_dir()

PLACEHOLDERS = frozenset({"database", "table", "timezone"})
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z0-9_-]+")  # Glue database and table names; no quote can break out of "..."
_ZONE = re.compile(r"[A-Za-z0-9_+/-]+")  # IANA names; no quote can break out of '...'


class Column(TypedDict):
    """One column of ``schema.json``: its name, Hive type and comment."""

    name: str
    type: str
    comment: str


class Schema(TypedDict):
    """``schema.json``: the table's columns and partition keys, as the Glue table and the DDL declare them."""

    description: str
    table: str
    columns: list[Column]
    partition_keys: list[Column]


@dataclass(frozen=True, slots=True)
class SavedQuery:
    """One analytics query: ``name`` is the file's stem, ``template`` its unrendered text."""

    name: str
    description: str
    template: str


def description(template: str) -> str:
    """The question a query answers: its leading ``--`` comment lines, joined into one paragraph."""
    lines: list[str] = []
    for line in template.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped.removeprefix("--").strip())
    return " ".join(line for line in lines if line)


def load_query(path: Path) -> SavedQuery:
    """The query stored at ``path``; ValueError if it lacks the header comment that describes it."""
    template = path.read_text(encoding="utf-8")
    summary = description(template)
    if not summary:
        raise ValueError(f"{path.name} must start with '-- ' comment lines saying what it answers")
    return SavedQuery(name=path.stem, description=summary, template=template)


def list_queries(sql_dir: Path = SQL_DIR) -> list[SavedQuery]:
    """Every ``*.sql`` file of ``sql_dir``, sorted by name."""
    return [load_query(path) for path in sorted(sql_dir.glob("*.sql"))]


def get_query(name: str, sql_dir: Path = SQL_DIR) -> SavedQuery:
    """The query called ``name``; KeyError listing the known names if there is none."""
    queries = {query.name: query for query in list_queries(sql_dir)}
    if name not in queries:
        raise KeyError(f"no saved query {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


def check_template(template: str) -> None:
    """ValueError unless the only ``$`` and ``%{`` in ``template`` are the known ``${name}`` placeholders.

    Terraform and ``string.Template`` disagree on everything else (``$$``, ``$name``, ``%{ for }``), so a
    template that used any of it would render differently in Athena's saved queries and in DuckDB.
    """
    unknown = set(_PLACEHOLDER.findall(template)) - PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholders {sorted(unknown)}; only {sorted(PLACEHOLDERS)} are filled in")
    if "$" in _PLACEHOLDER.sub("", template):
        raise ValueError("template has a '$' outside the ${name} placeholders")
    if "%{" in template:
        raise ValueError("template has a Terraform '%{' directive")


def render(template: str, *, database: str, table: str, timezone: str) -> str:
    """The template with its placeholders filled in, as Terraform's ``templatefile`` would fill them.

    The values are checked first because they are pasted into quoted identifiers and a string literal.
    ValueError names a bad value or template instead of rendering something else.
    """
    for label, value in (("database", database), ("table", table)):
        if not _NAME.fullmatch(value):
            raise ValueError(f"{label} must be letters, digits, '_' or '-', got {value!r}")
    if not _ZONE.fullmatch(timezone):
        raise ValueError(f"timezone must be an IANA time zone name, got {timezone!r}")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"timezone must be an IANA time zone name, got {timezone!r}") from error

    check_template(template)
    return Template(template).substitute(database=database, table=table, timezone=timezone)


def load_schema(sql_dir: Path = SQL_DIR) -> Schema:
    """``schema.json``: the single list of the table's columns that the Glue table and the DDL are built from."""
    return cast(Schema, json.loads((sql_dir / "schema.json").read_text(encoding="utf-8")))
