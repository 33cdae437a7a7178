"""The report's charts and page: deterministic, self-contained, escaped, small (groundwork of issue 15)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

from telegram_datalake.report import charts
from telegram_datalake.report.page import Report, Section, render

DAYS = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(365)]
COUNTS = [(offset * 37) % 91 for offset in range(365)]
GRID = [[(weekday * 24 + hour) % 13 for hour in range(24)] for weekday in range(7)]
NAMES = ["Ana Souza", "Bruno 🚀", "<script>alert(1)</script>", "Zoë & Łukasz", "李"]


def section(svg: str, title: str = "Messages per day") -> Section:
    rows = [(day.isoformat(), count) for day, count in zip(DAYS[:3], COUNTS[:3], strict=True)]
    return Section(
        title, "How many messages did the chat get each day?", svg, ("day", "messages"), rows, "q", "SELECT 1"
    )


def test_a_chart_is_the_same_svg_for_the_same_numbers_and_text_stays_text() -> None:
    first = charts.svg(charts.ranked(NAMES, [50, 40, 30, 20, 10], "messages"))
    assert first == charts.svg(charts.ranked(NAMES, [50, 40, 30, 20, 10], "messages"))
    assert first.startswith("<svg")
    root = ElementTree.fromstring(first)  # noqa: S314 - our own SVG: well-formed XML, names escaped
    texts = {element.text for element in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(NAMES) <= texts  # drawn by the viewer's fonts, emoji and all
    assert "<dc:date>" not in first


def test_every_chart_kind_draws_something() -> None:
    for figure in (
        charts.per_day(DAYS, COUNTS, "messages"),
        charts.weekday_hour(GRID),
        charts.ranked(NAMES, [1] * 5, "x"),
    ):
        drawn = charts.svg(figure)
        assert re.search(r"<(path|rect|image|use)\b", drawn), drawn[:200]
    assert charts.png(charts.per_day(DAYS, COUNTS, "messages")).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_page_is_self_contained_escaped_and_small() -> None:
    sections = [
        section(charts.svg(charts.per_day(DAYS, COUNTS, "messages"))),
        section(charts.svg(charts.weekday_hour(GRID)), "When <b>is</b> the chat active?"),
        section(charts.svg(charts.ranked(NAMES, [50, 40, 30, 20, 10], "messages")), "Most active members"),
    ]
    page = render(Report("Dados & Café ☕ <b>", "2026-01-01 to 2026-12-31 (America/Sao_Paulo)", sections))
    assert len(page.encode()) < 3 * 1024 * 1024
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)  # nothing to fetch
    assert "<script>alert(1)</script>" not in page
    assert "Dados &amp; Café ☕ &lt;b&gt;" in page
    assert "When &lt;b&gt;is&lt;/b&gt; the chat active?" in page
    assert page.count("<svg") == 3
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_an_empty_period_says_so_and_draws_nothing() -> None:
    page = render(Report("Dados & Café", "2026-01-01 to 2026-01-07"))
    assert "No messages in 2026-01-01 to 2026-01-07: there is nothing to chart." in page
    assert "<svg" not in page
