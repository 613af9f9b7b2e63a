"""The headless-browser checker (tests/support/browser.py): silent on a clean self-contained page, and catching
what it exists for — a request for anything, an uncaught exception, a Content Security Policy violation — plus
the full-page screenshot, the PDF print and questions to the DOM."""
from __future__ import annotations

import json
import time

import pytest

from tests.support import browser
from tests.support.browser import BrowserUnavailable, browse, open_page, require_browser

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
DOT = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
OFFLINE_CSS = "https://fonts.example.invalid/x.css"
DEAD_IMAGE = "http://127.0.0.1:9/x.png"


def page(tmp_path, body: str, *, head: str = "", csp: str | None = CSP, name: str = "page.html"):
    policy = f'<meta http-equiv="Content-Security-Policy" content="{csp}">' if csp else ""
    path = tmp_path / name
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{policy}<title>Scorecard</title>{head}"
                    f"</head><body>{body}</body></html>", encoding="utf-8")
    return path


def csp_errors(visit) -> list[str]:
    return [error for error in visit.errors if "Content Security Policy" in error]


def perf_entry(url: str) -> dict:
    message = {"message": {"method": "Network.requestWillBeSent", "params": {"request": {"url": url}}}}
    return {"message": json.dumps(message)}


# What needs no browser: the log and file readers.

def test_requests_leave_out_the_page_what_came_before_it_and_non_network_urls():
    log = [perf_entry("chrome://new-tab-page/x.js"), perf_entry("https://before.example/"),
           perf_entry("file:///s.html"), perf_entry(DOT), perf_entry(DEAD_IMAGE), perf_entry("blob:file:///1"),
           perf_entry(DEAD_IMAGE), perf_entry(OFFLINE_CSS)]

    assert browser.requests_from(log, "file:///s.html") == (DEAD_IMAGE, OFFLINE_CSS)
    assert browser.requests_from(log[:4], "file:///s.html") == ()


def test_pdf_pages_are_counted_without_the_page_tree():
    pdf = b"<< /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> 3 0 obj <</Type/Page/Parent 1 0 R>>"

    assert browser.pdf_page_count(pdf) == 2
    assert browser.pdf_page_count(b"<< /Type /Pages /Count 0 >>") == 0


def test_png_size_refuses_what_is_no_png():
    with pytest.raises(ValueError, match="not a PNG"):
        browser.png_size(b"GIF89a" + bytes(30))


def test_a_missing_browser_skips_or_fails_the_test_and_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMEDRIVER", tmp_path / "chromedriver")
    monkeypatch.delenv(browser.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromedriver.*apt-get install -y chromium chromium-driver"):
        require_browser()

    monkeypatch.setenv(browser.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        require_browser()
    with pytest.raises(BrowserUnavailable, match=str(tmp_path / "chromedriver")):
        open_page(page(tmp_path, "<p>x</p>"))


# In the browser.

def test_a_clean_tall_page_makes_no_request_logs_nothing_and_is_captured_whole(tmp_path):
    require_browser()
    path = page(tmp_path, f"<h1>Verdict</h1><svg width='200' height='40'><rect width='200' height='40'/></svg>"
                          f"<img src='{DOT}' alt=''>",
                head="<style>body { height: 3000px; background: #eef }</style>")
    shot, pdf = tmp_path / "page.png", tmp_path / "page.pdf"

    visit, _ = open_page(path, screenshot=shot, pdf=pdf)

    assert (visit.requests, visit.console, visit.errors) == ((), (), ())
    assert visit.title == "Scorecard"
    assert visit.url == path.resolve().as_uri()
    width, height = browser.png_size(shot.read_bytes())
    assert width == 1280 and height >= 3000 > browser.WINDOW_HEIGHT
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert visit.pdf_pages is not None and visit.pdf_pages >= 2


def test_a_request_for_anything_is_recorded_and_fails_at_once(tmp_path):
    require_browser()
    path = page(tmp_path, f"<img src='{DEAD_IMAGE}'>", head=f"<link rel='stylesheet' href='{OFFLINE_CSS}'>",
                csp=None)

    started = time.monotonic()
    visit, _ = open_page(path)

    assert set(visit.requests) == {DEAD_IMAGE, OFFLINE_CSS}
    # The internet is reached through a proxy nobody answers: refused on the spot, no DNS, no timeout.
    assert any(OFFLINE_CSS in error and "ERR_PROXY_CONNECTION_FAILED" in error for error in visit.errors)
    assert any(DEAD_IMAGE in error for error in visit.errors)
    assert time.monotonic() - started < 10


def test_a_stylesheet_the_csp_forbids_is_both_requested_and_reported(tmp_path):
    require_browser()
    path = page(tmp_path, "<p>x</p>", head=f"<link rel='stylesheet' href='{OFFLINE_CSS}'>")

    visit, _ = open_page(path)

    # Chromium announces the request (DevTools requestWillBeSent), then blocks it and logs the violation.
    assert visit.requests == (OFFLINE_CSS,)
    assert [error for error in csp_errors(visit) if OFFLINE_CSS in error and "style-src" in error]


def test_an_uncaught_exception_is_an_error(tmp_path):
    require_browser()
    path = page(tmp_path, "<script>throw new Error('boom')</script>", csp=None)

    visit, _ = open_page(path)

    assert visit.requests == ()
    assert [error for error in visit.errors if "Uncaught Error: boom" in error]


def test_an_inline_script_the_csp_blocks_is_an_error_and_does_not_run(tmp_path):
    require_browser()
    path = page(tmp_path, "<script>document.body.dataset.ran = 'yes'</script>")

    visit, ran = open_page(path, script="return document.body.dataset.ran ?? null")

    assert ran is None
    assert [error for error in csp_errors(visit) if "inline script" in error]


def test_the_dom_answers_questions_about_charts_and_rows(tmp_path):
    require_browser()
    charts = "".join(f"<svg data-chart='{name}' width='10' height='10'></svg>" for name in ("p95", "queries", "cache"))
    rows = "<table><tr data-row='p95'><td>p95</td><td>84 ms</td></tr><tr data-row='cache'><td>cache</td></tr></table>"
    path = page(tmp_path, charts + rows)

    with browse(path, pdf=tmp_path / "page.pdf", screenshot=tmp_path / "page.png") as opened:
        assert opened.query("return document.querySelectorAll('svg[data-chart]').length") == 3
        assert opened.attribute("svg[data-chart]", "data-chart") == ["p95", "queries", "cache"]
        assert opened.attribute("svg[data-chart]", "data-missing") == [None, None, None]
        assert opened.texts("[data-row]") == ["p95 84 ms", "cache"]
        assert opened.texts("svg[data-chart='p95']") == [""]
        assert opened.query("return [...arguments[0]].length", "abc") == 3

    assert opened.visit.errors == () and opened.visit.requests == ()
    assert opened.visit.pdf_pages == 1
    assert browser.png_size((tmp_path / "page.png").read_bytes())[1] <= browser.WINDOW_HEIGHT


def test_the_browser_is_closed_when_the_block_fails(tmp_path):
    require_browser()

    with pytest.raises(LookupError), browse(page(tmp_path, "<p>x</p>")) as opened:
        raise LookupError("the test's own failure")

    assert opened.driver.service.process.poll() is not None
