"""harness/core/areas.py (and smoke.py, the built-in `targets` area): registration, discovery, selection, and
running an area into its result file."""
from __future__ import annotations

import json
import sys
import uuid

import jsonschema
import pytest

from harness.core import (
    AreaResult,
    ConfigError,
    Finding,
    Metric,
    TargetError,
    discover_areas,
    open_targets,
    register_area,
    registered_areas,
    run_area,
    select_areas,
)
from harness.core.areas import Area
from harness.core.results import SCHEMA_PATH
from harness.core.smoke import check_targets

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def test_areas_run_in_their_order(isolated_registry):
    @register_area("scorecard", order=90)
    def scorecard(run, settings, targets):
        return AreaResult(area="scorecard", passed=True)

    @register_area("contract", order=10)
    def contract(run, settings, targets):
        return AreaResult(area="contract", passed=True)

    names = [area.name for area in registered_areas()]
    assert names.index("targets") < names.index("contract") < names.index("scorecard")


def test_selecting_an_unknown_area_is_a_setting_error(settings_from):
    settings = settings_from('areas = ["targets", "contrakt"]\n')
    with pytest.raises(ConfigError, match=r"^areas = \['targets', 'contrakt'\] \(from harness.toml\): expected "
                                          r"names of registered areas \(.*targets.*\); contrakt is not one$"):
        select_areas(settings)
    assert [a.name for a in select_areas(settings_from('areas = ["targets"]\n'))] == ["targets"]


def test_discovery_imports_each_area_module_and_a_broken_one_fails_its_area(tmp_path, monkeypatch,
                                                                             isolated_registry):
    package = f"fakeharness_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    for sub, body in {"good": "from harness.core import AreaResult, register_area\n"
                              "@register_area('good', order=5)\n"
                              "def good(run, settings, targets):\n    return AreaResult(area='good', passed=True)\n",
                      "broken": "import not_installed_anywhere\n", "plain": None}.items():
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
        if body is not None:
            (root / sub / "area.py").write_text(body)
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    discover_areas(package)

    assert {"good", "broken"} <= set(isolated_registry) and "plain" not in isolated_registry
    with pytest.raises(ImportError, match="not_installed_anywhere"):
        isolated_registry["broken"].check(None, None, None)
    for name in list(sys.modules):
        if name.startswith(package):
            del sys.modules[name]


def stand_in_settings(settings_from, standin, **health):
    extra = "".join(f'{k} = "{v}"\n' for k, v in health.items())
    return settings_from(f'[legacy]\napp = "{standin}:create_app"\nseed = false\n'
                         f'[candidate]\napp = "{standin}:create_app"\nseed = false\n' + extra)


def test_an_area_that_crashes_fails_with_a_critical_finding_and_the_run_goes_on(settings_from, standin, run):
    settings = stand_in_settings(settings_from, standin)

    def explodes(run, settings, targets):
        raise KeyError("course_id")

    with open_targets(run, settings) as targets:
        result = run_area(Area("contract", explodes), run, settings, targets)

    assert not result.passed and result.findings[0].severity == "critical"
    assert result.findings[0].message == "the contract area stopped with KeyError: 'course_id'"
    assert "KeyError" in result.findings[0].evidence["traceback"]
    written = json.loads((run.out_dir / "contract.json").read_text())
    jsonschema.validate(written, SCHEMA)
    assert written["targets"]["legacy"]["kind"] == "wsgi" and written["started"] and written["duration_s"] >= 0


def test_a_harness_error_in_an_area_ends_the_run_with_its_code(settings_from, standin, run):
    settings = stand_in_settings(settings_from, standin)

    def target_gone(run, settings, targets):
        raise TargetError("candidate: connection reset")

    with open_targets(run, settings) as targets, pytest.raises(TargetError):
        run_area(Area("load", target_gone), run, settings, targets)


def test_the_targets_area_passes_when_both_answer_their_health_check(settings_from, standin, run):
    settings = stand_in_settings(settings_from, standin)
    with open_targets(run, settings) as targets:
        result = check_targets(run, settings, targets)

    assert result.passed and result.findings == []
    assert {(m.id, m.side, m.value, m.passed) for m in result.metrics if m.id == "health_status"} == \
        {("health_status", "legacy", 200, True), ("health_status", "candidate", 200, True)}


def test_the_targets_area_catches_a_target_whose_health_check_fails(settings_from, standin, run):
    settings = settings_from(f'[legacy]\napp = "{standin}:create_app"\nseed = false\n'
                             f'[candidate]\napp = "{standin}:create_app"\nseed = false\n'
                             'app_config = { STANDIN_HEALTH_STATUS = 503 }\n')
    with open_targets(run, settings) as targets:
        result = check_targets(run, settings, targets)

    assert not result.passed
    [finding] = result.findings
    assert (finding.check, finding.severity, finding.operation) == ("health_answers_200", "critical", "GET /health")
    assert finding.message.startswith('candidate answered 503 X to GET /health: {"database_url": ')  # the body said
    assert finding.message.endswith("; expected 200")
    assert finding.reproduce.startswith("curl -i -X GET http://127.0.0.1:5000/health")
    assert Metric(id="health_status", side="candidate", value=503, target="== 200", passed=False) in result.metrics
    assert isinstance(finding, Finding)


def test_the_real_areas_run_in_the_documented_order():
    """targets first (nothing else can run without them), then data on the databases as seeded, before the
    contract gate's traffic writes different ids and timestamps into each (harness/core/areas.py)."""
    from harness.core.areas import discover_areas, registered_areas

    discover_areas()
    names = [area.name for area in registered_areas()]
    assert names[:3] == ["targets", "data", "contract"]
    assert {area.name: area.needs_database for area in registered_areas()}["data"] is True


def test_a_run_of_areas_that_serve_the_apps_themselves_starts_no_target(settings_from, standin, monkeypatch):
    """load and security serve each app under gunicorn on their own: a run of only such areas leaves the two
    in-process targets unprepared and unstarted (seconds saved per run), and any other area starts them."""
    from harness.core import areas as area_module

    opened = []
    real_open = area_module.open_targets

    def recording_open(run, settings):
        opened.append(run.run_id)
        return real_open(run, settings)

    monkeypatch.setattr(area_module, "open_targets", recording_open)
    settings = stand_in_settings(settings_from, standin)
    seen = []

    def served_alone(run, settings, targets):
        seen.append((sorted(target.name for target in targets), [target.base_url for target in targets]))
        return AreaResult(area="served", passed=True)

    _, results = area_module.run_areas(settings, [Area("served", served_alone, needs_targets=False)])
    assert opened == [] and results[0].passed
    assert seen[-1][0] == ["candidate", "legacy"]
    run, _ = area_module.run_areas(settings, [Area("served", served_alone, needs_targets=False),
                                              Area("contract", served_alone)])
    assert opened == [run.run_id]


def test_load_and_security_do_not_need_the_run_targets():
    from harness.core.areas import discover_areas, registered_areas

    discover_areas()
    needs = {area.name: area.needs_targets for area in registered_areas()}
    assert needs["load"] is False and needs["security"] is False and needs["contract"] is True
