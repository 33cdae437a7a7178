"""The report's charts and page: deterministic, self-contained, escaped, small (groundwork of issue 15)."""

from __future__ import annotations

import re
from dataclasses import replace
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
        charts.gains_and_losses(DAYS[:7], [1, 0, 2, 0, 0, 3, 1], [0, 1, 0, 0, 2, 0, 1]),
        charts.shares(["week of 2026-01-05", "week of 2026-01-12"], ["week 1", "week 2"], [[0.5, None], [1.0, 0.0]]),
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


def test_a_section_without_rows_says_why_instead_of_an_empty_chart() -> None:
    empty = Section("Member growth", "Who joined?", "", ("day", "joined"), [], "report_member_growth_per_day", "S")
    page = render(
        Report("Dados", "2026-01-01 to 2026-01-07", [section("<svg></svg>"), replace(empty, empty="No joins.")])
    )
    assert page.count("<figure") == 1
    assert '<section id="report_member_growth_per_day"><h2>Member growth</h2>' in page
    assert '<p class="empty">No joins.</p>' in page


def test_the_headline_and_the_command_behind_each_section_are_shown_escaped() -> None:
    shown = replace(section("<svg></svg>"), reproduce="telegram-datalake query run q --from 2026-01-01 --chat-id=-1")
    page = render(Report("Dados", "p", [shown], headline=[("messages", "1,234"), ("busiest <day>", "x & y")]))
    assert "<dt>messages</dt><dd>1,234</dd>" in page
    assert "<dt>busiest &lt;day&gt;</dt><dd>x &amp; y</dd>" in page
    assert "<code>telegram-datalake query run q --from 2026-01-01 --chat-id=-1</code>" in page


def test_a_share_keeps_three_decimals_and_an_integer_its_thousands() -> None:
    page = render(
        Report("Dados", "p", [Section("t", "q", "<svg></svg>", ("a", "b", "c"), [(0.667, 1234, None)], "n", "S")])
    )
    assert '<td class="number">0.667</td><td class="number">1,234</td><td>NULL</td>' in page
