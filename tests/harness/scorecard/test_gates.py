"""The scorecard's reviewed gates file: the shipped one names every row, and a malformed one is refused with one
line naming the file and the row."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.core import paths
from harness.scorecard.errors import ScorecardInputError
from harness.scorecard.gates import Regression, load_gates, parse_target
from harness.scorecard.rows import ROW_IDS

SHIPPED = paths.SCENARIOS / "scorecard.toml"


def test_the_shipped_gates_name_every_row_with_the_plans_targets():
    gates = load_gates(SHIPPED, ROW_IDS)
    assert set(gates.rows) == set(ROW_IDS)
    assert gates.row("p95_ms").target.met(99.9) and not gates.row("p95_ms").target.met(100.0)
    assert gates.row("security_grade").target.shown() == "A+"
    assert gates.row("probes_refused").target.met(160, legacy=160)
    assert not gates.row("probes_refused").target.met(159, legacy=160)
    assert gates.row("maintainability").blocks is False and "radon" in gates.row("maintainability").reason


@pytest.mark.parametrize(("text", "value", "legacy", "met"), [
    ("< 100", 99.0, None, True), ("< 100", 100.0, None, False), ("<= 10", 10, None, True), ("> 80", 80.0, None, False),
    (">= 10000", 10000, None, True), ("== 0", 1, None, False), (">= legacy", 5, 6, False), (">= legacy", 5, None, None),
    ("< 100", None, None, None)])
def test_targets_compare_as_written(text, value, legacy, met):
    assert parse_target(text, "here").met(value, legacy) is met


def test_a_regression_is_worse_beyond_its_slack_in_the_rows_direction():
    slack = Regression(relative=0.10, absolute=2.0)
    assert slack.worse(25.0, 20.0, lower_is_better=True)          # 20 + 2 + 2 = 24 < 25
    assert not slack.worse(23.9, 20.0, lower_is_better=True)
    assert not slack.worse(10.0, 20.0, lower_is_better=True)      # better is never a regression
    assert Regression(absolute=0.5).worse(89.0, 90.0, lower_is_better=False)
    assert not Regression(absolute=0.5).worse(None, 90.0, lower_is_better=False)


def _gates_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text
    path = tmp_path / "scorecard.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "said"), [
    ("[rows.p95_ms]", "[rows.p99_ms]", "no [rows.p95_ms]"),
    ('target = "< 100"', 'target = "fast"', "target 'fast' is not like"),
    ("blocks = true", 'blocks = "yes"', "blocks must be true or false"),
    ('not_measured = "warn"', 'not_measured = "maybe"', "not_measured must be"),
    ("[areas]", "[area]", "unknown table [area]"),
    ("regression = { relative = 0.10, absolute = 2.0 }", "regression = { relative = -1 }", "regression relative"),
])
def test_a_malformed_gates_file_is_one_line_naming_the_file_and_row(tmp_path, old, new, said):
    path = _gates_with(tmp_path, old, new)
    with pytest.raises(ScorecardInputError) as caught:
        load_gates(path, ROW_IDS)
    message = str(caught.value)
    assert said in message and str(path) in message and "\n" not in message


def test_a_row_that_does_not_block_must_say_why(tmp_path):
    text = SHIPPED.read_text()
    start, end = text.index("[rows.maintainability]"), text.index("[rows.unexplained_differences]")
    path = tmp_path / "scorecard.toml"
    path.write_text(text[:start] + '[rows.maintainability]\ntarget = "> 80"\nblocks = false\nreason = "x"\n\n'
                    + text[end:])
    with pytest.raises(ScorecardInputError, match=r"\[rows.maintainability\]: a row that does not block needs a "
                                                  r"reason") as caught:
        load_gates(path, ROW_IDS)
    assert str(path) in str(caught.value)


def test_a_row_the_page_does_not_have_is_refused(tmp_path):
    path = tmp_path / "scorecard.toml"
    path.write_text(SHIPPED.read_text() + '\n[rows.p95_typo]\ntarget = "< 1"\n')
    with pytest.raises(ScorecardInputError, match=r"\[rows.p95_typo\] is not a scorecard row"):
        load_gates(path, ROW_IDS)
