"""`harness verify` ends with the scorecard: in a fresh folder, on the embedded default (both bundled apps
in-process), it writes reports/latest/scorecard.html, and that page opens offline in headless Chromium with no
request and no error, every row and the verdict there. Two quick areas keep it to seconds; the page of every area
is tested on factory runs in test_scorecard_page.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.scorecard.rows import ROW_IDS
from tests.support.browser import browse, require_browser

PROJECT = Path(__file__).resolve().parents[3]


def test_verify_writes_reports_latest_scorecard_html_that_opens_offline(tmp_path):
    """In a process of its own, as a user runs it: the candidate is a module-level Django app, which one process
    configures for one database only."""
    require_browser()
    environ = {name: value for name, value in os.environ.items()
               if not name.startswith(("HARNESS_", "DATABASE_URL", "REDIS_URL", "DJANGO_", "PYTEST_"))}
    done = subprocess.run([sys.executable, "-m", "harness.cli", "verify"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={**environ, "HARNESS_AREAS": "targets,data",
                                                       "PYTHONPATH": str(PROJECT)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = tmp_path / "reports" / "latest" / "scorecard.html"
    assert page.is_file() and done.stdout.splitlines()[-1] == f"Scorecard: {page.resolve()}"
    with browse(page, pdf=tmp_path / "scorecard.pdf") as opened:
        assert opened.visit.requests == () and opened.visit.errors == ()
        rows = set(opened.attribute("tr[data-row]", "data-row"))
        assert set(ROW_IDS) | {"area.targets", "area.data"} <= rows
        assert opened.attribute("#verdict", "data-verdict") == ["not proven"]
        statuses = dict(zip(opened.attribute("tr[data-row]", "data-row"),
                            opened.attribute("tr[data-row]", "data-status"), strict=True))
        # what the two areas measured is judged; what they did not is said, never invented
        assert statuses["schema_differences"] == statuses["rows_differing"] == "pass"
        assert statuses["p95_ms"] == statuses["unexplained_differences"] == "not measured"
        assert opened.visit.pdf_pages >= 1
    card = json.loads((page.parent / "scorecard.json").read_text())
    assert card["verdict"]["state"] == "not proven" and card["run_id"] == page.parent.resolve().name
