"""The report's charts, drawn by matplotlib: inline SVG for the HTML page, PNG for a Telegram photo.

matplotlib renders offline from wheels, with no JavaScript in the page (nothing to load, nothing to fail
in a browser), and gives the same bytes for the same numbers once its SVG ids and dates are fixed. Text
stays text in the SVG (``svg.fonttype: none``), so the browser draws names with its own fonts, emoji
included; PNGs are for charts without names, since Agg's fonts have no emoji.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, DayLocator
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # ISO order, as day_of_week() counts them
HOURS = 24
WIDTH_INCHES = 6.4  # drawn at about 90% on a 412 px wide phone: text stays legible
COLOR = "#2a7ab0"
LOSS_COLOR = "#c0504d"
DAY_TICKS_UP_TO = 62  # days of a period ticked by day (at most MAX_DAY_TICKS of them); longer ones by month
MAX_DAY_TICKS = 8
DARK_CELL = 0.6  # a cell darker than this share of the darkest gets its label in white
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text as <text>: the viewer's fonts draw it
    "svg.hashsalt": "telegram-datalake",  # the same ids on every run
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(height_inches: float) -> Figure:
    figure = Figure(figsize=(WIDTH_INCHES, height_inches), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element to inline in HTML: no XML declaration, DOCTYPE or creation date."""
    buffer = io.StringIO()
    with _style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :].strip()


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib's settings for the report; its warnings of glyphs its own font lacks (emoji, CJK) are
    silenced: the SVG keeps the text, which the viewer's fonts draw."""
    with rc_context(STYLE), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        yield


def png(figure: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (for a Telegram photo)."""
    buffer = io.BytesIO()
    with _style():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _day_axis(axes: Any, days: Sequence[date]) -> None:
    """Ticks on whole days (matplotlib would tick hours across a few days), months for a long period.
    (matplotlib.dates has no type annotations, hence the ignores.)"""
    span = (max(days) - min(days)).days + 1 if days else 1
    if span <= DAY_TICKS_UP_TO:
        axes.xaxis.set_major_locator(DayLocator(interval=-(-span // MAX_DAY_TICKS)))  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    else:
        locator = AutoDateLocator(minticks=3, maxticks=MAX_DAY_TICKS)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def per_day(days: Sequence[date], counts: Sequence[int], label: str) -> Figure:
    """Bars of ``counts`` per day (a bar a day keeps days without messages visible as gaps)."""
    with _style():
        figure = _figure(2.8)
        axes = figure.add_subplot()
        axes.bar(list(days), list(counts), color=COLOR, width=0.8)
        axes.set_ylabel(label)
        axes.margins(x=0.01)
        _day_axis(axes, days)
        figure.autofmt_xdate()
    return figure


def weekday_hour(counts: Sequence[Sequence[int]]) -> Figure:
    """A 7 x 24 heatmap: rows Monday to Sunday, columns hours 0 to 23, each cell labelled with its count."""
    with _style():
        figure = _figure(3.2)
        axes = figure.add_subplot()
        image = axes.imshow([list(row) for row in counts], cmap="Blues", aspect="auto")
        axes.set_yticks(range(len(WEEKDAYS)), WEEKDAYS)
        axes.set_xticks(range(0, HOURS, 2), [f"{hour:02d}" for hour in range(0, HOURS, 2)])
        axes.set_xlabel("hour of the day")
        top = max((max(row) for row in counts), default=0)
        for weekday, row in enumerate(counts):
            for hour, count in enumerate(row):
                if count:
                    shade = "white" if top and count > top * DARK_CELL else "#333333"
                    axes.text(hour, weekday, str(count), ha="center", va="center", fontsize=6, color=shade)
        figure.colorbar(image, ax=axes, label="messages")
    return figure


def ranked(labels: Sequence[str], values: Sequence[float], label: str) -> Figure:
    """Horizontal bars, the first label on top, each bar labelled with its value."""
    with _style():
        figure = _figure(0.5 + 0.32 * max(len(labels), 1))
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        bars = axes.barh(positions, list(values), color=COLOR)
        axes.set_yticks(positions, list(labels))
        axes.invert_yaxis()
        axes.set_xlabel(label)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.bar_label(bars, fmt="{:,.0f}", padding=3, fontsize=8)
    return figure


def gains_and_losses(days: Sequence[date], gained: Sequence[int], lost: Sequence[int]) -> Figure:
    """Joins up and departures down per day, so a day's net change reads at a glance."""
    with _style():
        figure = _figure(2.8)
        axes = figure.add_subplot()
        axes.bar(list(days), list(gained), color=COLOR, width=0.8, label="joined")
        axes.bar(list(days), [-count for count in lost], color=LOSS_COLOR, width=0.8, label="left")
        axes.axhline(0, color="#999999", linewidth=0.8)
        axes.set_ylabel("members")
        axes.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False, fontsize=8)
        axes.margins(x=0.01)
        _day_axis(axes, days)
        figure.autofmt_xdate()
    return figure


def shares(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]]) -> Figure:
    """A grid of shares (0 to 1) with each known cell labelled as a percentage; unknown cells stay blank."""
    with _style():
        figure = _figure(0.9 + 0.35 * max(len(rows), 1))
        axes = figure.add_subplot()
        grid = [[float("nan") if value is None else value for value in row] for row in values]
        image = axes.imshow(grid, cmap="Greens", vmin=0, vmax=1, aspect="auto")
        axes.set_yticks(range(len(rows)), list(rows))
        axes.set_xticks(range(len(columns)), list(columns))
        for row_index, row in enumerate(values):
            for column_index, value in enumerate(row):
                text = "not yet" if value is None else f"{value:.0%}"
                shade = "white" if value is not None and value > DARK_CELL else "#333333"
                axes.text(column_index, row_index, text, ha="center", va="center", fontsize=8, color=shade)
        figure.colorbar(image, ax=axes, label="share who posted", format="{x:.0%}")
    return figure
