"""The report as one HTML file: every chart inline, its numbers in a table beside it, the query behind it.

Nothing is loaded from anywhere (no script, stylesheet, font or image URL), so the file opens offline and
can be mailed or archived as it is; the layout is one column that fits a phone. Every text that comes from
the data (chat titles, names) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 960px;
       padding: 12px; color: #1d1d1f; line-height: 1.4; }
header { border-bottom: 1px solid #ddd; margin-bottom: 16px; }
h1 { font-size: 1.4em; margin: 0.2em 0; }
h2 { font-size: 1.15em; margin: 1.6em 0 0.2em; }
.question { color: #555; margin: 0 0 0.6em; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; }
.numbers { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 0.4em 0 1em; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 0.8em; }
.empty { background: #fff8e1; padding: 12px; border-radius: 6px; }
.headline { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 0.4em 0 0.8em; }
.headline dt { color: #555; font-size: 0.8em; }
.headline dd { margin: 0; font-size: 1.3em; font-weight: 600; }
code { font-size: 0.85em; overflow-wrap: anywhere; }
"""


@dataclass(frozen=True)
class Section:
    """One chart: what it answers, the chart, its numbers, and the saved query they come from."""

    title: str
    question: str
    svg: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    query_name: str
    sql: str
    reproduce: str = ""  # how to get the same rows: the query run command, with the period's parameters
    empty: str = ""  # said instead of a chart when the query has no rows for the period


@dataclass(frozen=True)
class Report:
    """The whole page: the chat and period it covers, and its sections (none for an empty period)."""

    chat: str
    period: str
    sections: Sequence[Section] = field(default_factory=tuple)
    note: str = ""  # said under the header, e.g. how the numbers were queried
    headline: Sequence[tuple[str, str]] = ()  # the period's key figures, by label, shown under the header


def _cell(value: Any) -> str:
    if value is None:
        return "<td>NULL</td>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}".rstrip("0").rstrip(".")
        return f'<td class="number">{shown}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    return f'<div class="numbers"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _section(section: Section) -> str:
    reproduce = f"<p>The same rows: <code>{escape(section.reproduce)}</code></p>" if section.reproduce else ""
    query = (
        f"<details><summary>The saved query: {escape(section.query_name)}</summary>"
        f"{reproduce}<pre>{escape(section.sql)}</pre></details>"
    )
    if not section.rows:
        return (
            f'<section id="{escape(section.query_name)}"><h2>{escape(section.title)}</h2>'
            f'<p class="question">{escape(section.question)}</p>'
            f'<p class="empty">{escape(section.empty or "No rows for this period.")}</p>{query}</section>'
        )
    rows = len(section.rows)
    return (
        f'<section id="{escape(section.query_name)}"><h2>{escape(section.title)}</h2>'
        f'<p class="question">{escape(section.question)}</p>'
        f'<figure role="img" aria-label="{escape(section.title)}">{section.svg}</figure>'
        f"<details><summary>The numbers ({rows} row{'' if rows == 1 else 's'})</summary>"
        f"{_table(section.columns, section.rows)}</details>{query}</section>"
    )


def _headline(figures: Sequence[tuple[str, str]]) -> str:
    if not figures:
        return ""
    items = "".join(f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>" for label, value in figures)
    return f'<dl class="headline">{items}</dl>'


def render(report: Report) -> str:
    """The HTML document; an empty period says so instead of drawing empty charts."""
    title = f"{report.chat}: {report.period}"
    body = "".join(_section(section) for section in report.sections)
    if not report.sections:
        body = f'<p class="empty">No messages in {escape(report.period)}: there is nothing to chart.</p>'
    note = f"<p>{escape(report.note)}</p>" if report.note else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(report.chat)}</h1><p>{escape(report.period)}</p>{_headline(report.headline)}"
        f"{note}</header>"
        f"{body}</body></html>\n"
    )
