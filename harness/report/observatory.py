"""The Observatory grade of each side, rendered from `Grade.to_dict()` (harness/security/observatory.py) alone.

    grade_lines(grades) -> list[str]   the summary: per side the letter, the score, each test's result and modifier,
                                       and what would reach A+
    grade_html(grades) -> str          one self-contained page (no script, no external style): a table per side and
                                       its "to reach A+" list; every value escaped (Jinja2 autoescape)

`grades` maps a side ("legacy", "candidate") to its grade dict, in the order to show them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment


def _signed(modifier: int) -> str:
    return f"{modifier:+d}" if modifier else "0"


def grade_lines(grades: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = []
    for side, grade in grades.items():
        tests = grade["tests"]
        lines.append(f"  {side}: {grade['grade']} ({grade['score']}/100), {grade['tests_passed']}/{len(tests)} tests "
                     f"passed, algorithm {grade['algorithm']}, {grade['url']}")
        for test in tests:
            verdict = "pass" if test["passed"] else "FAIL"
            lines.append(f"    {verdict} {_signed(test['modifier']):>4} {test['name']:<30} {test['result']}")
        lines += _a_plus_lines(grade["to_a_plus"])
    return lines


def _a_plus_lines(to_a_plus: Mapping[str, Any]) -> list[str]:
    steps = to_a_plus["steps"]
    if not steps:
        return ["    to reach A+: nothing left to earn"]
    missing = to_a_plus["points_missing"]
    head = (f"    to reach A+: {missing} points missing" if missing else "    A+ reached; still to earn") + \
        f" (with every step below the score would be {to_a_plus['score_after']}):"
    return [head] + [f"      {_signed(step['gain'])} {step['test']}: {step['advice']}" for step in steps]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Observatory grade</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.fail { color: #a00; font-weight: bold; } .pass { color: #070; }
.letter { font-size: 1.6em; font-weight: bold; }
code { font-size: 90%; }
</style></head><body>
<h1>Observatory grade</h1>
<p>The MDN HTTP Observatory's algorithm, computed on each side's replies served over TLS on 127.0.0.1.</p>
{% for side, grade in grades.items() %}
<h2>{{ side }}: <span class="letter">{{ grade.grade }}</span> ({{ grade.score }}/100)</h2>
<p>{{ grade.tests_passed }} of {{ grade.tests | length }} tests passed; algorithm {{ grade.algorithm }};
graded reply <code>{{ grade.url }}</code></p>
<table>
<tr><th>test</th><th>result</th><th>pass</th><th>modifier</th><th>meaning</th></tr>
{% for test in grade.tests %}
<tr><td>{{ test.title }}</td><td><code>{{ test.result }}</code></td>
<td class="{{ 'pass' if test.passed else 'fail' }}">{{ 'pass' if test.passed else 'FAIL' }}</td>
<td class="num">{{ signed(test.modifier) }}</td><td>{{ test.description }}</td></tr>
{% endfor %}
</table>
<h3>To reach A+</h3>
{% if grade.to_a_plus.steps %}
<p>{% if grade.to_a_plus.points_missing %}{{ grade.to_a_plus.points_missing }} points missing{% else %}A+ reached;
still to earn{% endif %}: with every step below the score would be {{ grade.to_a_plus.score_after }}.</p>
<ul>
{% for step in grade.to_a_plus.steps %}
<li><b>{{ signed(step.gain) }}</b> {{ step.test }} (now <code>{{ step.result }}</code>):
<code>{{ step.advice }}</code></li>
{% endfor %}
</ul>
{% else %}
<p>Nothing left to earn.</p>
{% endif %}
{% endfor %}
</body></html>
"""


def grade_html(grades: Mapping[str, Mapping[str, Any]]) -> str:
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(_PAGE).render(grades=grades, signed=_signed)
