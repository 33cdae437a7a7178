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
PARTS_DIR = "parts"  # sql/parts/<name>.sql.tftpl: SQL shared by several queries, filled in as ${<name>}
PART_SUFFIX = ".sql.tftpl"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z0-9_-]+")  # Glue database and table names; no quote can break out of "..."
_ZONE = re.compile(r"[A-Za-z0-9_+/-]+")  # IANA names; no quote can break out of '...'

# A report query's period and chat: context_date within the period, and the chat (or every chat, for a NULL
# chat id), as four ``?`` placeholders filled at run time (Athena's ExecutionParameters, DuckDB's parameters).
# Every placeholder is cast so both engines read the same types (Trino compares no DATE with a string), and
# the filter stands in a WHERE clause, the only place Athena takes parameters. A query may qualify the two
# columns with its table's alias.
PERIOD_FILTER = (
    "context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)"
    " AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))"
)
PERIOD_PARAMETERS = PERIOD_FILTER.count("?")
_PERIOD_FILTER = re.compile(
    r"(?:\w+\.)?context_date BETWEEN CAST\(\? AS DATE\) AND CAST\(\? AS DATE\)"
    r" AND \(CAST\(\? AS BIGINT\) IS NULL OR (?:\w+\.)?chat_id = CAST\(\? AS BIGINT\)\)"
)


MESSAGES_TABLE = "telegram"  # the messages table: its Glue name is configurable, its key prefix is ENRICHED_PREFIX
# The other tables, in the order the ETL writes and reports them (functions.etl.schema.UPDATE_TABLES, which
# imports pyarrow: the CLI reads the names here); each is named, and keyed, as its sql/tables file.
OTHER_TABLES = ("message_edits", "member_events", "reactions")


class Column(TypedDict):
    """One column of a table's schema: its name, Hive type and comment."""

    name: str
    type: str
    comment: str


class Schema(TypedDict):
    """``tables/<table>.json``: a table's columns and partition keys, as the Glue table and the DDL declare them."""

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
    period_filters: int = 0  # how many PERIOD_FILTERs it has: it takes the period's parameters that many times


def period_filters(template: str) -> int:
    """How many ``PERIOD_FILTER``s ``template`` has; ValueError for a ``?`` anywhere else (outside comments),
    which no caller would know how to fill."""
    code = "\n".join(line.split("--", 1)[0] for line in template.splitlines())
    filters = len(_PERIOD_FILTER.findall(code))
    if code.count("?") != filters * PERIOD_PARAMETERS:
        raise ValueError("its only '?' parameters must be those of the period filter: " + PERIOD_FILTER)
    return filters


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
    try:
        filters = period_filters(template)
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from error
    return SavedQuery(name=path.stem, description=summary, template=template, period_filters=filters)


def list_queries(sql_dir: Path = SQL_DIR) -> list[SavedQuery]:
    """Every ``*.sql`` file of ``sql_dir``, sorted by name."""
    return [load_query(path) for path in sorted(sql_dir.glob("*.sql"))]


def get_query(name: str, sql_dir: Path = SQL_DIR) -> SavedQuery:
    """The query called ``name``; KeyError listing the known names if there is none."""
    queries = {query.name: query for query in list_queries(sql_dir)}
    if name not in queries:
        raise KeyError(f"no saved query {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


def load_parts(sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """The shared SQL of ``sql/parts/``, unrendered, by name (the file name without ``.sql.tftpl``)."""
    return {
        path.name.removesuffix(PART_SUFFIX): path.read_text(encoding="utf-8")
        for path in sorted((sql_dir / PARTS_DIR).glob(f"*{PART_SUFFIX}"))
    }


def check_template(template: str, parts: frozenset[str] = frozenset()) -> None:
    """ValueError unless the only ``$`` and ``%{`` in ``template`` are the known ``${name}`` placeholders
    (``parts``: the names of the shared parts it may also use).

    Terraform and ``string.Template`` disagree on everything else (``$$``, ``$name``, ``%{ for }``), so a
    template that used any of it would render differently in Athena's saved queries and in DuckDB.
    """
    known = PLACEHOLDERS | parts
    unknown = set(_PLACEHOLDER.findall(template)) - known
    if unknown:
        raise ValueError(f"unknown placeholders {sorted(unknown)}; only {sorted(known)} are filled in")
    if "$" in _PLACEHOLDER.sub("", template):
        raise ValueError("template has a '$' outside the ${name} placeholders")
    if "%{" in template:
        raise ValueError("template has a Terraform '%{' directive")


def render(template: str, *, database: str, table: str, timezone: str, sql_dir: Path = SQL_DIR) -> str:
    """The template with its placeholders filled in, as Terraform's ``templatefile`` would fill them: the
    shared parts of ``sql_dir`` rendered first (without their last newline), then the template.

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

    values = {"database": database, "table": table, "timezone": timezone}
    parts: dict[str, str] = {}
    for name, part in load_parts(sql_dir).items():
        check_template(part)
        parts[name] = Template(part).substitute(values).removesuffix("\n")
    check_template(template, frozenset(parts))
    return Template(template).substitute(values | parts)


def load_schema(sql_dir: Path = SQL_DIR, table: str = MESSAGES_TABLE) -> Schema:
    """``tables/<table>.json``: the single list of a table's columns that its Glue table and DDL are built from."""
    return cast(Schema, json.loads((sql_dir / "tables" / f"{table}.json").read_text(encoding="utf-8")))


def load_schemas(sql_dir: Path = SQL_DIR) -> dict[str, Schema]:
    """Every table's schema by table name: the messages table first, then the others by name."""
    names = sorted(path.stem for path in (sql_dir / "tables").glob("*.json"))
    ordered = [MESSAGES_TABLE, *(name for name in names if name != MESSAGES_TABLE)]
    return {name: load_schema(sql_dir, name) for name in ordered}
