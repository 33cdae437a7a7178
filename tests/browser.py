"""Open a page in a real headless browser and say what it did: errors, charts drawn, requests, a screenshot.

Why a browser: the report is read in one, and reading its HTML cannot tell whether an inline SVG is
actually drawn (a chart the browser rejects lays out at zero size), whether the page raises a JavaScript
error, or whether it fetches anything. The browser is Debian's chromium with its own chromedriver, driven
by Selenium: `make chromium` installs them, and Selenium is given their paths so it never downloads a
driver (its Selenium Manager is also told to stay offline).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = Path("/usr/bin/chromedriver")
# /usr/bin/chromium is a launcher script that execs this with flags of its own; the tests run it directly.
CHROMIUM = Path("/usr/lib/chromium/chromium")
ELF_MAGIC = b"\x7fELF"
PHONE_WIDTH, PHONE_HEIGHT = 412, 915  # CSS pixels of a common Android phone (Pixel 7)
TIMEOUT_SECONDS = 30  # a page load or script that takes longer is a hang, not a slow machine
INSTALL_HINT = "run `make chromium` (as root, it apt-get installs chromium and chromium-driver)"
# Where tests keep what a person may want to look at after a run (the demo report and its screenshot).
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS_DIR") or Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
)

# Every <figure>'s chart, measured as laid out: its box on the page, the extent of what its SVG draws, and
# how many drawing elements it has. getBBox() is zero for an SVG that draws nothing.
MEASURE_FIGURES = """
return Array.from(document.querySelectorAll('figure'), (figure, index) => {
  const rect = figure.getBoundingClientRect();
  const svg = figure.querySelector('svg');
  let box = {width: 0, height: 0};
  if (svg !== null) {
    try { box = svg.getBBox(); } catch (error) { /* not rendered: stays zero */ }
  }
  return {
    label: figure.getAttribute('aria-label') || String(index),
    width: rect.width, height: rect.height, bboxWidth: box.width, bboxHeight: box.height,
    drawn: figure.querySelectorAll('path, rect, text, image, use').length,
    texts: Array.from(figure.querySelectorAll('text'), (text) => text.textContent),
  };
});
"""
# What the page fetched after the document itself (a navigation entry, not a resource). Resource Timing
# leaves out file:// loads, so the requests of chromium's network log are counted too.
RESOURCES = "return performance.getEntriesByType('resource').map((entry) => entry.name);"
PAGE_SIZE = "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];"


@dataclass(frozen=True)
class Chart:
    """One ``<figure>`` as the browser laid it out: its box in CSS pixels, its drawing in the SVG's units."""

    label: str  # its aria-label, else its index on the page
    width: float  # its box on the page
    height: float
    bbox_width: float  # what its <svg> draws (getBBox)
    bbox_height: float
    drawn: int  # path, rect, text, image and use elements
    texts: tuple[str, ...]  # the text of its <text> elements, as the browser holds it


@dataclass(frozen=True)
class PageCheck:
    """What the browser made of a page, once loaded."""

    title: str
    errors: tuple[str, ...]  # console entries of level SEVERE: console.error, uncaught errors, failed loads
    charts: tuple[Chart, ...]
    requests: tuple[str, ...]  # URLs requested besides the page itself (data: URLs are inline: not counted)
    scroll_width: int  # wider than the window means the page scrolls sideways
    screenshot: Path | None


def chromium_binary(chromedriver: Path = CHROMEDRIVER) -> Path:
    """The chromium executable that ``chromedriver`` belongs to.

    Debian's driver is a symlink into the directory of the real binary; a ``chromium`` on PATH qualifies
    only when it is an executable, not Debian's launcher script, which adds flags of its own and runs
    whatever /etc/chromium.d holds: the tests start the browser with their flags and nothing else.
    """
    candidates = [chromedriver.resolve().parent / "chromium", CHROMIUM]
    candidates += [Path(found) for name in ("chromium", "chromium-browser") if (found := shutil.which(name))]
    for candidate in candidates:
        if _is_executable(candidate):
            return candidate
    raise RuntimeError(f"no chromium executable (tried {', '.join(map(str, candidates))}): {INSTALL_HINT}")


def _is_executable(path: Path) -> bool:
    if not (path.is_file() and os.access(path, os.X_OK)):
        return False
    with path.open("rb") as binary:
        return binary.read(len(ELF_MAGIC)) == ELF_MAGIC


def open_page(
    html: Path,
    screenshot: Path | None = None,
    width: int = PHONE_WIDTH,
    height: int = PHONE_HEIGHT,
    *,
    chromedriver: Path = CHROMEDRIVER,
) -> PageCheck:
    """Load ``html`` in headless chromium with a ``width`` x ``height`` viewport (a phone by default).

    The viewport is set by device-metrics emulation, not by the window: headless chromium keeps windows at
    least 500 px wide and takes room for a browser frame out of their height. With ``screenshot``, the
    viewport grows to the page's full height first, so the PNG holds the whole page.
    """
    if not _is_executable(chromedriver):
        raise RuntimeError(f"no chromedriver at {chromedriver}: {INSTALL_HINT}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium_binary(chromedriver))
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # The driver path is given, so Selenium Manager should not run at all; offline, it could not download.
    with mock.patch.dict(os.environ, {"SE_OFFLINE": "true"}):
        driver = webdriver.Chrome(service=Service(str(chromedriver)), options=options)
    try:
        driver.set_page_load_timeout(TIMEOUT_SECONDS)
        driver.set_script_timeout(TIMEOUT_SECONDS)
        _viewport(driver, width, height)
        url = html.resolve().as_uri()
        driver.get(url)  # returns once the page has loaded
        charts = tuple(_chart(figure) for figure in driver.execute_script(MEASURE_FIGURES))
        requests = _requests(driver, url)
        scroll_width, scroll_height = (int(size) for size in driver.execute_script(PAGE_SIZE))
        if screenshot is not None:
            _viewport(driver, width, max(height, scroll_height))
            if not driver.get_screenshot_as_file(str(screenshot)):
                raise RuntimeError(f"chromium could not write the screenshot {screenshot}")
        entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
        errors = tuple(str(entry["message"]) for entry in entries if entry["level"] == "SEVERE")
        return PageCheck(driver.title, errors, charts, requests, scroll_width, screenshot)
    finally:
        driver.quit()


def _viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def _requests(driver: webdriver.Chrome, page: str) -> tuple[str, ...]:
    """Every URL the page asked for, in order, once each: its resources, and its network log's requests."""
    urls = [str(name) for name in driver.execute_script(RESOURCES)]
    entries: list[dict[str, Any]] = driver.get_log("performance")  # type: ignore[no-untyped-call]
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(str(message["params"]["request"]["url"]))
    return tuple(url for url in dict.fromkeys(urls) if url != page and not url.startswith("data:"))


def _chart(measured: dict[str, Any]) -> Chart:
    return Chart(
        label=str(measured["label"]),
        width=float(measured["width"]),
        height=float(measured["height"]),
        bbox_width=float(measured["bboxWidth"]),
        bbox_height=float(measured["bboxHeight"]),
        drawn=int(measured["drawn"]),
        texts=tuple(str(text) for text in measured["texts"]),
    )
