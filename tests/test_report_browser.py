"""The report in a real browser (headless chromium, `make chromium`): it draws every chart, raises no
error, fetches nothing and fits a phone; and the checks that say so do fail on a page that breaks them."""

from __future__ import annotations

import struct
from datetime import date, timedelta
from pathlib import Path

import pytest

from telegram_datalake.report import charts
from telegram_datalake.report.page import Report, Section, render
from tests.browser import INSTALL_HINT, PageCheck, open_page

DAYS = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(90)]
COUNTS = [(offset * 37) % 91 for offset in range(90)]
GRID = [[(weekday * 24 + hour) % 13 for hour in range(24)] for weekday in range(7)]
NAMES = ["Ana Souza", "Bruno 🚀", "<script>alert(1)</script>", "Zoë & Łukasz", "李"]
PHONE = (412, 915)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def section(title: str, svg: str, columns: tuple[str, str], rows: list[tuple[str, int]]) -> Section:
    return Section(title, f"{title}?", svg, columns, rows, "q", "SELECT 1")


def report_page(directory: Path) -> Path:
    """The report of a synthetic quarter: a bar a day, the weekday x hour heatmap, the most active members."""
    sections = [
        section(
            "Messages per day",
            charts.svg(charts.per_day(DAYS, COUNTS, "messages")),
            ("day", "messages"),
            [(day.isoformat(), count) for day, count in zip(DAYS, COUNTS, strict=True)],
        ),
        section(
            "When is the chat active",
            charts.svg(charts.weekday_hour(GRID)),
            ("hour", "messages"),
            [
                (f"{charts.WEEKDAYS[weekday]} {hour:02d}", GRID[weekday][hour])
                for weekday in range(7)
                for hour in range(24)
            ],
        ),
        section(
            "Most active members",
            charts.svg(charts.ranked(NAMES, [50, 40, 30, 20, 10], "messages")),
            ("member", "messages"),
            list(zip(NAMES, [50, 40, 30, 20, 10], strict=True)),
        ),
    ]
    page = directory / "report.html"
    page.write_text(render(Report("Dados & Café ☕", "2026-01-01 to 2026-03-31", sections)), encoding="utf-8")
    return page


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG starts with after its signature."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def test_the_report_draws_every_chart_without_error_or_request_and_fits_a_phone(tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    check = open_page(report_page(tmp_path), screenshot=shot, width=PHONE[0], height=PHONE[1])

    assert check.errors == ()
    assert check.title == "Dados & Café ☕: 2026-01-01 to 2026-03-31"
    assert check.requests == ()  # every chart inline, no font, script or stylesheet fetched
    assert check.scroll_width <= PHONE[0]  # one column: nothing scrolls sideways
    assert [chart.label for chart in check.charts] == [
        "Messages per day",
        "When is the chat active",
        "Most active members",
    ]
    for chart in check.charts:
        assert 0 < chart.width <= PHONE[0], chart
        assert chart.height > 0, chart
        assert chart.bbox_width > 0, chart
        assert chart.bbox_height > 0, chart
        assert chart.drawn > 0, chart
    assert set(NAMES) <= set(check.charts[2].texts)  # names are text the browser draws, the script one too

    png = shot.read_bytes()
    assert png.startswith(PNG_MAGIC)
    width, height = png_size(png)
    assert width == PHONE[0]
    assert height > PHONE[1]  # the whole page, not the first screenful


def test_the_checks_catch_an_error_an_empty_chart_and_a_request(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        '<figure aria-label="empty"><svg></svg></figure>'
        '<img src="missing.png" alt="">'
        "<script>console.error('deliberate'); throw new Error('uncaught on purpose');</script>"
        "</body></html>",
        encoding="utf-8",
    )
    check: PageCheck = open_page(page)

    assert check.title == "broken"
    assert any("deliberate" in error for error in check.errors), check.errors
    assert any("uncaught on purpose" in error for error in check.errors), check.errors
    assert [chart.label for chart in check.charts] == ["empty"]
    empty = check.charts[0]
    assert (empty.bbox_width, empty.bbox_height, empty.drawn) == (0, 0, 0)
    assert [Path(url).name for url in check.requests] == ["missing.png"]
    assert check.screenshot is None


def test_a_missing_chromedriver_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="make chromium") as raised:
        open_page(tmp_path / "any.html", chromedriver=tmp_path / "chromedriver")
    assert INSTALL_HINT in str(raised.value)
