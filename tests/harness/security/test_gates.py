"""The security gates file: the shipped one loads, each bad table, key or value is refused with one line naming
the file, and the grade comparison ranks the Observatory's letters."""
from __future__ import annotations

import pytest

from harness.core import paths
from harness.core.errors import ConfigError
from harness.security.gates import GRADES, load_gates


def test_the_shipped_gates_want_a_plus_for_the_candidate_and_judge_legacy_by_nothing():
    gates = load_gates(paths.SECURITY_GATES)
    assert gates.min_grade == {"legacy": "", "candidate": "A+"}
    assert gates.zap_rules is not None and gates.zap_rules.is_file()
    assert gates.grade_passes("candidate", "A+") is True and gates.grade_passes("candidate", "A") is False
    assert gates.grade_passes("legacy", "F") is None


@pytest.mark.parametrize(("text", "reason"), [
    ("[nope]\n", "unknown table [nope]"),
    ("[grade]\ncandidate = 'A++'\n", "'A++' is not a grade"),
    ("[static]\nblock = ['severe']\n", "'severe' is not a severity"),
    ("[static]\nseverity = 'extreme'\n", "must be one of low, medium, high"),
    ("[zap]\nblock = [4]\n", "ZAP exit codes"),
    ("[probes]\nexamples = 0\n", "at least 1"),
    ("[probes]\nexamples = 'many'\n", "[probes] examples must be an integer"),
    ("[audit]\nsource = 'internet'\n", "must be one of osv, pip-audit"),
    ("[grade]\npath = 'http://evil.example/'\n", "must be a path on the app"),
    ("[grade]\ncolour = 'red'\n", "unknown key [grade] colour"),
    ("[grade\n", "not valid TOML"),
])
def test_a_bad_gates_file_is_refused_with_one_line(tmp_path, text, reason):
    path = tmp_path / "security.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_gates(path)
    assert reason in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_only_a_plus_passes_the_candidates_minimum():
    gates = load_gates(paths.SECURITY_GATES)
    assert [g for g in GRADES if gates.grade_passes("candidate", g)] == ["A+"]
