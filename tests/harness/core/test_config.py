"""harness/core/config.py: where settings come from and which wins, and the areas' declared keys read through
core's parsers (settings.py, parsers.py). (Each bad core setting's one-line error and exit code 2 is tested
through the command in tests/harness/test_cli.py.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.core import ConfigError, load_settings
from harness.core.config import DEFAULT_SOURCE, AreaKeys, Key
from harness.core.parsers import choice, existing_file, integer, names_of, path

ROOT = Path(__file__).resolve().parents[3]


def test_without_any_file_the_embedded_default_compares_the_two_bundled_apps(tmp_path):
    settings = load_settings(environ={}, cwd=tmp_path)

    assert settings.source == DEFAULT_SOURCE
    assert (settings.out, settings.scale, settings.seed, settings.areas) == (tmp_path / "reports", "small", 0, None)
    legacy, candidate = settings.legacy, settings.candidate
    assert (legacy.kind, legacy.app, legacy.app_config["RATELIMIT_ENABLED"]) == \
        ("wsgi", "legacy_flask:create_app", False)
    assert (candidate.kind, candidate.app) == ("wsgi", "reference_django.config.wsgi:application")
    assert candidate.env["DJANGO_SETTINGS_MODULE"] == "reference_django.config.settings.base"
    assert candidate.env["RATELIMIT_ENABLED"] == "0"
    assert candidate.prepare == (("{python}", "-m", "reference_django.manage", "migrate", "--noinput"),)
    for target in (legacy, candidate):
        assert target.database_url is None  # a SQLite file in the run's folder
        assert target.seed is True and target.reset is False and target.health_path == "/health"


def test_harness_toml_wins_over_pyproject_and_config_wins_over_both(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.harness]\nseed = 5\n')
    assert load_settings(environ={}, cwd=tmp_path).seed == 5
    assert load_settings(environ={}, cwd=tmp_path).source == "pyproject.toml [tool.harness]"

    (tmp_path / "harness.toml").write_text("seed = 7\n")
    assert load_settings(environ={}, cwd=tmp_path).seed == 7

    (tmp_path / "other.toml").write_text("seed = 9\n")
    settings = load_settings(Path("other.toml"), environ={}, cwd=tmp_path)
    assert (settings.seed, settings.source) == (9, "other.toml")


def test_a_pyproject_without_a_harness_table_means_the_default(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_settings(environ={}, cwd=tmp_path).source == DEFAULT_SOURCE


def test_environment_wins_over_the_file_and_the_command_line_over_both(settings_from, tmp_path):
    text = 'out = "from-file"\nseed = 1\nscale = "small"\n'

    from_env = settings_from(text, environ={"HARNESS_OUT": "from-env", "HARNESS_SEED": "3",
                                            "HARNESS_SCALE": "medium", "HARNESS_JSON": "yes"})
    assert (from_env.out, from_env.seed, from_env.scale, from_env.json) == (tmp_path / "from-env", 3, "medium", True)
    assert from_env.sources["seed"] == "HARNESS_SEED"

    from_cli = settings_from(text, environ={"HARNESS_OUT": "from-env"}, out=tmp_path / "from-cli", json=True)
    assert (from_cli.out, from_cli.seed, from_cli.json) == (tmp_path / "from-cli", 1, True)


def test_environment_sets_a_targets_keys(settings_from):
    settings = settings_from("", environ={"HARNESS_LEGACY_DATABASE_URL": "postgresql://postgres@127.0.0.1/legacy",
                                          "HARNESS_LEGACY_RESET": "true", "HARNESS_CANDIDATE_SEED": "0"})

    assert settings.legacy.database_url == "postgresql://postgres@127.0.0.1/legacy"
    assert settings.legacy.reset is True and settings.candidate.seed is False
    assert settings.legacy.sources["database_url"] == "HARNESS_LEGACY_DATABASE_URL"
    assert settings.legacy.app == "legacy_flask:create_app"  # the rest of the target is untouched


def test_other_harness_variables_are_not_settings(settings_from):
    settings = settings_from("", environ={"HARNESS_REQUIRE_POSTGRES": "1", "HARNESS_TEST_POSTGRES_URL": "x"})
    assert settings.seed == 0


def test_pointing_the_candidate_at_a_url_drops_the_default_apps_own_settings(settings_from):
    settings = settings_from('[candidate]\ndatabase_url = "sqlite:///{target_dir}/c.sqlite3"\n',
                             environ={"HARNESS_CANDIDATE_URL": "http://127.0.0.1:8000/"})

    candidate = settings.candidate
    assert (candidate.kind, candidate.url) == ("url", "http://127.0.0.1:8000")
    assert candidate.prepare == () and dict(candidate.env) == {}  # the Django migrations are not the service's
    assert candidate.database_url == "sqlite:///{target_dir}/c.sqlite3"  # the database carries over
    assert candidate.sources["kind"] == "HARNESS_CANDIDATE_URL"


def test_a_file_that_only_changes_a_targets_database_keeps_its_app(settings_from):
    candidate = settings_from('[candidate]\ndatabase_url = "postgresql://postgres@127.0.0.1/c"\n').candidate
    assert candidate.app == "reference_django.config.wsgi:application" and candidate.prepare


def test_candidate_option_takes_an_import_string_or_a_base_url(settings_from, standin):
    other = settings_from("", candidate=f"{standin}:create_app").candidate
    assert (other.kind, other.app, dict(other.env), other.prepare, dict(other.app_config)) == \
        ("wsgi", f"{standin}:create_app", {}, (), {})

    remote = settings_from("", candidate="https://localhost:8443").candidate
    assert (remote.kind, remote.url) == ("url", "https://localhost:8443")


def test_a_bundled_app_brings_its_default_settings_wherever_it_is_put(settings_from):
    candidate = settings_from("", candidate="legacy_flask:create_app").candidate
    legacy = settings_from("", legacy="reference_django.config.wsgi:application").legacy

    assert candidate.app_config == settings_from("").legacy.app_config  # rate limits off on both sides
    assert legacy.prepare == settings_from("").candidate.prepare and legacy.env["RATELIMIT_ENABLED"] == "0"


def test_changing_the_app_of_a_spawn_target_keeps_it_spawned(settings_from, standin):
    text = f'[legacy]\nkind = "spawn"\napp = "{standin}:application"\nworkers = 2\n'
    legacy = settings_from(text, environ={"HARNESS_LEGACY_APP": f"{standin}:create_app()"}).legacy
    assert (legacy.kind, legacy.app, legacy.workers) == ("spawn", f"{standin}:create_app()", 1)


def test_a_relative_out_in_a_config_file_is_relative_to_that_file(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "h.toml").write_text('out = "runs"\n')
    settings = load_settings(tmp_path / "conf" / "h.toml", environ={}, cwd=tmp_path)
    assert settings.out == tmp_path / "conf" / "runs"


def test_area_tables_are_kept_for_their_area_with_its_own_error_line(settings_from):
    settings = settings_from("[contract]\nmax_examples = 0\n")

    assert dict(settings.section("contract")) == {"max_examples": 0}
    assert dict(settings.section("load")) == {}
    error = settings.bad_setting("contract.max_examples", 0, "a positive integer")
    assert isinstance(error, ConfigError) and error.exit_code == 2
    assert str(error) == "contract.max_examples = 0 (from harness.toml): expected a positive integer"


def test_the_example_file_is_the_embedded_default():
    example = load_settings(ROOT / "harness.example.toml", environ={}, cwd=ROOT)
    default = load_settings(environ={}, cwd=ROOT / "reports")  # no harness.toml or pyproject there

    assert (example.legacy, example.candidate, example.scale, example.seed, example.areas) == \
        (default.legacy, default.candidate, default.scale, default.seed, default.areas)


@pytest.mark.parametrize("template", ["sqlite:///{target_dir}/db.sqlite3", "sqlite:///{run_dir}/shared.sqlite3"])
def test_database_url_may_name_the_run_folders(settings_from, template):
    assert settings_from(f'[legacy]\ndatabase_url = "{template}"\n').legacy.database_url == template


# -- an area's declared keys -----------------------------------------------------------------------------------------

DEMO = AreaKeys("demo", (
    Key("rounds", integer(1), 3),
    Key("mode", choice("fast", "slow"), "fast"),
    Key("checks", names_of("a", "b")),
    Key("baseline", existing_file),
    Key("out", path),
))


def test_an_areas_keys_come_typed_with_their_defaults_and_read_only(settings_from):
    values = settings_from("[demo]\nrounds = 7\nchecks = ['b']\n").area_settings(DEMO)

    assert dict(values) == {"rounds": 7, "mode": "fast", "checks": ("b",), "baseline": None, "out": None}
    with pytest.raises(TypeError):
        values["rounds"] = 1  # type: ignore[index]
    assert dict(settings_from("").area_settings(DEMO))["rounds"] == 3  # no table at all: every default


@pytest.mark.parametrize(("table", "message"), [
    ("rounds = 0", "demo.rounds = 0 (from harness.toml): expected an integer >= 1"),
    ("rounds = true", "demo.rounds = True (from harness.toml): expected an integer >= 1"),
    ("mode = 'warp'", "demo.mode = 'warp' (from harness.toml): expected one of fast, slow"),
    ("checks = []", "demo.checks = [] (from harness.toml): expected a non-empty list of a, b"),
    ("baseline = 'nowhere.yaml'", "demo.baseline = 'nowhere.yaml' (from harness.toml): expected the path of an "
                                  "existing file"),
    ("roundz = 2", "demo.roundz = 2 (from harness.toml): expected one of baseline, checks, mode, out, rounds"),
], ids=["too-small", "boolean-for-integer", "unknown-choice", "empty-list", "missing-file", "unknown-key"])
def test_a_bad_key_or_value_of_an_area_is_one_line_exit_2(settings_from, table, message):
    settings = settings_from(f"[demo]\n{table}\n")

    with pytest.raises(ConfigError) as caught:
        settings.area_settings(DEMO)
    assert str(caught.value) == message and caught.value.exit_code == 2


def test_a_relative_path_is_relative_to_the_settings_file_that_gave_it(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "accepted.yaml").write_text("[]\n")
    (tmp_path / "conf" / "h.toml").write_text("[demo]\nbaseline = 'accepted.yaml'\nout = 'runs/x'\n")

    values = load_settings(Path("conf/h.toml"), environ={}, cwd=tmp_path).area_settings(DEMO)
    assert (values["baseline"], values["out"]) == (tmp_path / "conf" / "accepted.yaml", tmp_path / "conf" / "runs/x")

    # the same file named from the working directory's own harness.toml is not there
    (tmp_path / "harness.toml").write_text("[demo]\nbaseline = 'accepted.yaml'\n")
    with pytest.raises(ConfigError, match=r"demo.baseline = 'accepted.yaml' \(from harness.toml\)"):
        load_settings(environ={}, cwd=tmp_path).area_settings(DEMO)


def test_pyprojects_area_tables_resolve_against_the_working_directory(tmp_path):
    (tmp_path / "accepted.yaml").write_text("[]\n")
    (tmp_path / "pyproject.toml").write_text("[tool.harness.demo]\nbaseline = 'accepted.yaml'\n")

    values = load_settings(environ={}, cwd=tmp_path).area_settings(DEMO)
    assert values["baseline"] == tmp_path / "accepted.yaml"


@pytest.mark.parametrize(("module", "table", "message"), [
    ("harness.contract.area", "[contract]\nmax_examples = 0",
     "contract.max_examples = 0 (from harness.toml): expected an integer >= 1"),
    ("harness.contract.area", "[contract]\nnoise = 'yes'", "contract.noise = 'yes' (from harness.toml): expected "
                                                            "true or false"),
    ("harness.data.area", "[data]\nfail_on = 'never'",
     "data.fail_on = 'never' (from harness.toml): expected one of breaking, risky, cosmetic"),
    ("harness.data.area", "[data]\ntables = []",
     "data.tables = [] (from harness.toml): expected a non-empty list of table names or fnmatch patterns"),
])
def test_the_areas_declare_their_keys_through_core(settings_from, module, table, message):
    import importlib

    declared = {"harness.contract.area": "CONTRACT_SETTINGS", "harness.data.area": "DATA_SETTINGS"}[module]
    keys = getattr(importlib.import_module(module), declared)

    with pytest.raises(ConfigError) as caught:
        settings_from(table + "\n").area_settings(keys)
    assert str(caught.value) == message
