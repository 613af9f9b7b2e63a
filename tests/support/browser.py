"""A self-contained HTML page opened in Debian's headless Chromium through its chromedriver (Selenium), and what
the page did: every URL it asked for, every console entry, its errors, a full-page screenshot and a PDF print.

    with browse(tmp_path / "scorecard.html", screenshot=tmp_path / "page.png", pdf=tmp_path / "page.pdf") as page:
        assert page.visit.requests == () and page.visit.errors == ()
        assert page.attribute("svg[data-chart]", "data-chart") == ["latency", "queries"]
        rows = page.texts("[data-row]")
        count = page.query("return document.querySelectorAll('svg').length")

    visit, result = open_page(path, script="return document.title")    # the same, for one question

Tests call `require_browser()` first: it skips the test when Chromium or chromedriver is missing, or fails it
when HARNESS_REQUIRE_BROWSER=1 (as in CI). `browse` itself raises `BrowserUnavailable` then.

The browser never reaches the network: every request goes to a proxy at 127.0.0.1:9, where nothing listens,
loopback included, so a page that tries the internet fails at once instead of waiting for a timeout, and the
attempt is still recorded (DevTools sees the request before the proxy refuses it). Selenium Manager is never
run: the driver's path is given, so nothing is downloaded.
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
APT_INSTALL = "apt-get install -y chromium chromium-driver"
REQUIRE_ENV = "HARNESS_REQUIRE_BROWSER"

WINDOW_HEIGHT = 900
SETTLE_SECONDS = 0.2
LOAD_TIMEOUT_SECONDS = 30
A4_INCHES = (8.27, 11.69)
# URLs that never leave the browser: inline data, in-memory blobs, blank frames and Chromium's own pages (the
# first tab's new-tab page loads chrome:// resources while the session starts).
NOT_NETWORK = ("data:", "blob:", "about:", "chrome:", "chrome-untrusted:", "devtools:")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A page object of the PDF's page tree ("/Type /Page"), not the tree's nodes ("/Type /Pages").
PDF_PAGE = re.compile(rb"/Type\s*/Page[^s]")


class BrowserUnavailable(RuntimeError):
    """Chromium or chromedriver is not installed where the tests look for them."""


@dataclass(frozen=True, slots=True)
class PageVisit:
    """What one page did while it loaded and settled.

    `requests`: every URL the page asked for beyond the page itself, in order, each once, from the DevTools
    Network domain (requestWillBeSent) — including those its Content Security Policy or the offline proxy then
    blocked. data:, blob: and about: URLs are left out: they are not network requests.
    `console`: (level, message) of every browser log entry, levels as Chromium names them (SEVERE, WARNING,
    INFO, DEBUG); Content Security Policy violations and failed loads are among them.
    `errors`: the SEVERE messages among them; uncaught exceptions and unhandled rejections are logged as
    SEVERE ("Uncaught Error: boom"), so they are here too.
    `screenshot`: the PNG of the whole page (not only the window), when asked for.
    `pdf_pages`: the number of A4 pages the page printed to, when a PDF was asked for.
    """

    url: str
    requests: tuple[str, ...]
    console: tuple[tuple[str, str], ...]
    errors: tuple[str, ...]
    title: str
    screenshot: Path | None
    pdf_pages: int | None


def missing_binaries() -> list[Path]:
    """The browser binaries that are absent or not executable."""
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]


def unavailable_reason(missing: Iterable[Path]) -> str:
    names = ", ".join(str(path) for path in missing)
    return f"headless browser missing: {names}; install it with `{APT_INSTALL}`"


def require_browser() -> None:
    """Return when Chromium and chromedriver are installed; otherwise skip the calling test, or fail it when
    HARNESS_REQUIRE_BROWSER=1 (CI sets it, so a missing browser cannot pass as a skipped check)."""
    missing = missing_binaries()
    if not missing:
        return
    if os.environ.get(REQUIRE_ENV, "") == "1":
        pytest.fail(unavailable_reason(missing))
    pytest.skip(unavailable_reason(missing))


def chrome_arguments(width: int, profile: Path) -> list[str]:
    """Chromium's command line: headless, no sandbox (the tests run as root), a fresh profile, and no network."""
    return [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--no-default-browser-check", f"--user-data-dir={profile}", f"--window-size={width},{WINDOW_HEIGHT}",
        "--force-device-scale-factor=1", "--hide-scrollbars",
        # Everything, loopback too ("<-loopback>" removes the implicit bypass), goes to a proxy nobody answers.
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    ]


def requests_from(performance_log: Iterable[dict], page_url: str) -> tuple[str, ...]:
    """The URLs the page asked for, from chromedriver's performance log: the requestWillBeSent events after the
    page's own, minus the page and URLs that are no network request."""
    urls: list[str] = []
    for entry in performance_log:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    # Whatever the previous document asked for precedes the page's own request.
    after = urls[urls.index(page_url) + 1:] if page_url in urls else urls
    return tuple(dict.fromkeys(url for url in after if url != page_url and not url.startswith(NOT_NETWORK)))


def console_from(browser_log: Iterable[dict]) -> tuple[tuple[str, str], ...]:
    return tuple((entry["level"], entry["message"]) for entry in browser_log)


def errors_in(console: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(message for level, message in console if level == "SEVERE")


def pdf_page_count(pdf: bytes) -> int:
    return len(PDF_PAGE.findall(pdf))


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk; ValueError when the bytes are no PNG."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


class OpenPage:
    """A page loaded in the browser: its visit record, and questions to ask its DOM while the block runs."""

    def __init__(self, driver: Any, visit: PageVisit) -> None:
        self.driver = driver
        self.visit = visit

    def query(self, script: str, *args: Any) -> Any:
        """Run `script` as a function body in the page (`return ...` gives the result; `arguments[i]` are
        `args`) and return its result: numbers, strings, lists and objects of those (not elements)."""
        return self.driver.execute_script(script, *args)

    def texts(self, selector: str) -> list[str]:
        """The text a reader sees in every element `selector` matches, in document order, each run of white space
        (between table cells too) as one space; SVG elements, which have no rendered text, give their text content."""
        return self.query("return [...document.querySelectorAll(arguments[0])]"
                          ".map(e => (e.innerText ?? e.textContent).replace(/\\s+/g, ' ').trim())", selector)

    def attribute(self, selector: str, name: str) -> list[str | None]:
        """Attribute `name` of every element `selector` matches, in document order (None where it is absent)."""
        return self.query("return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))",
                          selector, name)


def _start_driver(width: int, profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in chrome_arguments(width, profile):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # The client talks to chromedriver on 127.0.0.1: it must not follow an HTTP(S)_PROXY variable elsewhere.
    # Chrome() accepts no client configuration yet, so the deprecated switch is the only way to say so.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        options.ignore_local_proxy_environment_variables()
    service = Service(executable_path=str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(LOAD_TIMEOUT_SECONDS)
    return driver


def _load(driver: Any, url: str, settle: float) -> None:
    """Open `url` in a blank tab with the logs emptied, wait until it is complete, then let it settle."""
    from selenium.webdriver.support.wait import WebDriverWait

    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(url)
    WebDriverWait(driver, LOAD_TIMEOUT_SECONDS).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    time.sleep(settle)


def _screenshot(driver: Any, path: Path) -> None:
    """The whole page as a PNG: the layout's full content size, painted beyond the window."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))


def _print_pdf(driver: Any, path: Path) -> int:
    width, height = A4_INCHES
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True, "landscape": False,
                                                         "paperWidth": width, "paperHeight": height})
    pdf = base64.b64decode(printed["data"])
    path.write_bytes(pdf)
    return pdf_page_count(pdf)


def _visit(driver: Any, url: str, screenshot: Path | None, pdf: Path | None) -> PageVisit:
    # The logs are read before the screenshot and the print, which lay the page out again.
    requests = requests_from(driver.get_log("performance"), url)
    console = console_from(driver.get_log("browser"))
    if screenshot is not None:
        _screenshot(driver, screenshot)
    pages = _print_pdf(driver, pdf) if pdf is not None else None
    return PageVisit(url=url, requests=requests, console=console, errors=errors_in(console), title=driver.title,
                     screenshot=screenshot, pdf_pages=pages)


@contextmanager
def browse(path: Path, *, screenshot: Path | None = None, pdf: Path | None = None, width: int = 1280,
           settle: float = SETTLE_SECONDS) -> Iterator[OpenPage]:
    """Open the HTML file at `path` in a fresh headless Chromium (window `width` x 900), wait for it to load
    and settle, record the visit (writing the screenshot and PDF when paths are given) and yield the open page.
    The browser is closed when the block ends, also on error. Raises BrowserUnavailable when a binary is
    missing."""
    missing = missing_binaries()
    if missing:
        raise BrowserUnavailable(unavailable_reason(missing))
    url = path.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-", ignore_cleanup_errors=True) as profile:
        driver = _start_driver(width, Path(profile))
        try:
            _load(driver, url, settle)
            yield OpenPage(driver, _visit(driver, url, screenshot, pdf))
        finally:
            driver.quit()


def open_page(path: Path, *, screenshot: Path | None = None, pdf: Path | None = None, width: int = 1280,
              script: str | None = None) -> tuple[PageVisit, Any]:
    """`browse` for one question: the visit record and the result of `script` (see OpenPage.query), or None."""
    with browse(path, screenshot=screenshot, pdf=pdf, width=width) as page:
        return page.visit, (page.query(script) if script is not None else None)
