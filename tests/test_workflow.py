"""The GitHub Actions workflow (.github/workflows/harness.yml): it gates merges on contract parity, runs the full
verify on a schedule, writes the scorecard to the job summary and uploads it; every harness command it runs exists
with the options it passes."""
from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
import yaml

from harness.cli import main

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "harness.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job: dict) -> list[str]:
    return [step.get("run", "") for step in job["steps"]]


def harness_calls(workflow: dict) -> list[list[str]]:
    calls = []
    for job in workflow["jobs"].values():
        for run in steps(job):
            for part in run.split("&&"):
                words = shlex.split(part.split(">>")[0])
                if words and words[0].endswith("/harness"):
                    calls.append(words[1:])
    return calls


def test_pull_requests_are_gated_on_contract_parity_and_the_schedule_runs_verify(workflow):
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert {"pull_request", "schedule", "workflow_dispatch"} <= set(triggers)
    gate = workflow["jobs"]["contract-gate"]
    assert "schedule" in gate["if"] and "!=" in gate["if"]
    runs = " ".join(steps(gate))
    assert "harness contract --out reports" in runs and "harness scorecard --gate contract --out reports" in runs
    verify = workflow["jobs"]["verify"]
    assert "schedule" in verify["if"] and "harness verify --out reports" in " ".join(steps(verify))
    assert any("history.sqlite" in str(step.get("with", {}).get("path", "")) and "cache" in step.get("uses", "")
               for step in verify["steps"])


@pytest.mark.parametrize("job", ["contract-gate", "verify"])
def test_each_harness_job_writes_the_summary_and_uploads_the_scorecard_even_when_a_gate_fails(workflow, job):
    found = workflow["jobs"][job]["steps"]
    summary = [step for step in found if "GITHUB_STEP_SUMMARY" in step.get("run", "")]
    assert summary and summary[0]["if"] == "always()" and "scorecard.md" in summary[0]["run"]
    upload = [step for step in found if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()" and "reports/latest" in upload[0]["with"]["path"]


def test_every_harness_command_in_the_workflow_exists_with_its_options(workflow):
    calls = harness_calls(workflow)
    assert len(calls) >= 3
    context = click.Context(main)
    for words in calls:
        command = main.get_command(context, words[0])
        assert command is not None, words
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        used = {word for word in words[1:] if word.startswith("--")}
        assert used <= known, (words, used - known)


def test_the_tests_job_runs_ci_with_the_services_it_needs(workflow):
    job = workflow["jobs"]["tests"]
    assert {"postgres", "redis"} <= set(job["services"])
    runs = " ".join(steps(job))
    assert "bash .ci/run" in runs and "chromium-driver" in runs


def test_actions_are_pinned_to_a_major_version(workflow):
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                name, _, version = step["uses"].partition("@")
                assert version.startswith("v") and version[1:].split(".")[0].isdigit(), step["uses"]
