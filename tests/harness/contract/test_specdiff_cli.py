"""`harness contract diff OLD NEW`: its three report formats, --out, --fail-on, --both-directions and exit codes.

The report formats run on the real contract (the JUnit report has one test case per operation of it); the gate
and error cases run on a two-operation document, which keeps them fast.
"""
from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from harness.contract.cli import contract as contract_group
from tests.support.specs import ref_spec

PETS = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1.0.0"},
    "paths": {
        "/pets": {"get": {"operationId": "listPets",
                          "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                          "responses": {"200": {"description": "The pets."}}}},
        "/pets/{pet_id}": {"delete": {"operationId": "deletePet",
                                      "parameters": [{"name": "pet_id", "in": "path", "required": True,
                                                      "schema": {"type": "string"}}],
                                      "responses": {"204": {"description": "Deleted."}}}},
    },
}


def run(*args: str | Path):
    return CliRunner().invoke(contract_group, ["diff", *map(str, args)])


def write(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec, default=str), encoding="utf-8")  # JSON is YAML too
    return path


@pytest.fixture(scope="module")
def changed_contract(contract, tmp_path_factory) -> Path:
    """The contract with one breaking, one warning and one info change."""
    new = copy.deepcopy(contract)
    del new["paths"]["/api/v1/user/profile"]["delete"]  # breaking
    courses = new["paths"]["/api/v1/courses"]["get"]
    courses["parameters"] = [p for p in courses["parameters"] if p.get("name") != "search"]  # warning
    new["paths"]["/health"]["get"]["deprecated"] = True  # info
    return write(tmp_path_factory.mktemp("specs") / "changed.json", new)


@pytest.fixture
def pets(tmp_path) -> Path:
    return write(tmp_path / "pets.json", PETS)


def pets_with(tmp_path: Path, edit) -> Path:
    spec = copy.deepcopy(PETS)
    edit(spec)
    return write(tmp_path / "pets-new.json", spec)


def test_the_contract_against_itself_reports_nothing_and_passes(contract_path):
    result = run(contract_path, contract_path)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output


def test_json_report(contract_path, changed_contract):
    result = run(contract_path, changed_contract, "--format", "json")
    assert result.exit_code == 1  # a breaking change, and --fail-on defaults to breaking
    report = json.loads(result.output)
    assert report["summary"] == {"breaking": 1, "warning": 1, "info": 1}
    assert [(c["rule_id"], c["level"], c["operation"], c["location"]) for c in report["changes"]] == [
        ("api-removed-without-deprecation", "breaking", "DELETE /api/v1/user/profile", ""),
        ("request-parameter-removed", "warning", "GET /api/v1/courses", "parameters.query.search"),
        ("endpoint-deprecated", "info", "GET /health", "deprecated"),
    ]
    assert "reverse" not in report


def test_markdown_report_is_a_table_with_breaking_changes_first(contract_path, changed_contract):
    result = run(contract_path, changed_contract, "--format", "markdown")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    header = lines.index("| Level | Rule | Operation | Location | Change |")
    assert lines[header + 1] == "|---|---|---|---|---|"
    rows = lines[header + 2:header + 5]
    assert [row.split(" | ")[1] for row in rows] == [
        "`api-removed-without-deprecation`", "`request-parameter-removed`", "`endpoint-deprecated`"]
    assert "**1 breaking, 1 warning, 1 info**" in result.output


def test_junit_report_has_one_test_case_per_operation(contract, contract_path, changed_contract):
    result = run(contract_path, changed_contract, "--format", "junit")
    assert result.exit_code == 1
    suite = ET.fromstring(result.output).find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    operations = {f"{method.upper()} {path}" for path, item in contract["paths"].items() for method in item
                  if method in ("get", "put", "post", "delete", "patch")}
    assert len(operations) == 70 and set(cases) == operations
    assert len(list(suite.iter("testcase"))) == len(operations)
    failing = [name for name, case in cases.items() if case.find("failure") is not None]
    assert failing == ["DELETE /api/v1/user/profile"]
    assert "api-removed-without-deprecation" in cases["DELETE /api/v1/user/profile"].find("failure").text
    assert "request-parameter-removed" in cases["GET /api/v1/courses"].find("system-out").text
    assert suite.get("tests") == "70" and suite.get("failures") == "1"


def test_out_writes_the_report_and_prints_a_summary(pets, tmp_path):
    new = pets_with(tmp_path, lambda spec: spec["paths"].pop("/pets/{pet_id}"))
    report = tmp_path / "diff.xml"
    result = run(pets, new, "--format", "junit", "--out", report)
    assert result.exit_code == 1
    assert f"Report written to {report}" in result.output and "1 breaking, 0 warnings, 0 info" in result.output
    assert ET.parse(report).getroot().find("testsuite/testcase[@name='DELETE /pets/{pet_id}']/failure") is not None


def remove_query_parameter(spec: dict) -> None:
    spec["paths"]["/pets"]["get"]["parameters"] = []  # request-parameter-removed: a warning


def remove_pet_path(spec: dict) -> None:
    del spec["paths"]["/pets/{pet_id}"]  # api-path-removed-without-deprecation: breaking


@pytest.mark.parametrize(("edit", "options", "exit_code"), [
    (remove_query_parameter, [], 0),
    (remove_query_parameter, ["--fail-on", "warning"], 1),
    (remove_pet_path, [], 1),
    (remove_pet_path, ["--fail-on", "never"], 0),
])
def test_fail_on_sets_the_exit_code(pets, tmp_path, edit, options, exit_code):
    result = run(pets, pets_with(tmp_path, edit), "--format", "json", *options)
    assert result.exit_code == exit_code, result.output


def test_both_directions_reports_what_either_side_lacks(pets, tmp_path):
    def replace_delete_by_put(spec: dict) -> None:
        item = spec["paths"]["/pets/{pet_id}"]
        item["put"] = {**item.pop("delete"), "operationId": "replacePet"}

    result = run(pets, pets_with(tmp_path, replace_delete_by_put), "--format", "json", "--both-directions")
    report = json.loads(result.output)
    assert [(c["rule_id"], c["operation"]) for c in report["changes"]] == [
        ("api-removed-without-deprecation", "DELETE /pets/{pet_id}"), ("endpoint-added", "PUT /pets/{pet_id}")]
    assert [(c["rule_id"], c["operation"]) for c in report["reverse"]["changes"]] == [
        ("api-removed-without-deprecation", "PUT /pets/{pet_id}"), ("endpoint-added", "DELETE /pets/{pet_id}")]
    assert result.exit_code == 1


@pytest.mark.parametrize(("content", "reason"), [
    (None, "cannot read"),
    ("paths: [unclosed", "is not YAML or JSON"),
    ("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", "is not an OpenAPI 3.x document"),
    (yaml.safe_dump({"openapi": "3.1.0", "paths": {}}), "is not a valid OpenAPI 3.1.0 document"),
])
def test_an_unusable_document_exits_2_with_a_one_line_reason(pets, tmp_path, content, reason):
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = run(pets, bad)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and reason in result.output
    assert result.output.strip().count("\n") == 0


def test_it_runs_as_harness_contract_diff_and_honours_the_group_json_option(pets, tmp_path):
    from harness.cli import main

    new = pets_with(tmp_path, remove_query_parameter)
    result = CliRunner().invoke(main, ["contract", "--json", "diff", str(pets), str(new)])
    assert result.exit_code == 0, result.output
    assert [c["rule_id"] for c in json.loads(result.output)["changes"]] == ["request-parameter-removed"]


def test_the_report_lists_changes_in_the_same_order_whatever_the_hash_seed(tmp_path):
    """Several enum values, statuses and media types added at once are listed in document order: the same
    report on every run, not one that follows Python's string-hash seed."""
    import os
    import subprocess
    import sys

    old = ref_spec("#/components/schemas/X", {"X": "{type: string, enum: [a]}"})
    new = ref_spec("#/components/schemas/X", {"X": "{type: string, enum: [a, q, w, e, r, t, y, u, i, o, p]}"})
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    reports = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-m", "harness.cli", "contract", "diff", "old.yaml", "new.yaml",
                               "--format", "json"], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode in (0, 1), done.stderr
        reports.add(done.stdout)
    assert len(reports) == 1
    assert [change["new"] for change in json.loads(reports.pop())["changes"]] == list("qwertyuiop")
