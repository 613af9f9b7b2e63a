"""harness/core/config.py: where settings come from and which wins. (Each bad setting's one-line error and exit
code 2 is tested through the command in tests/harness/test_cli.py.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.core import ConfigError, load_settings
from harness.core.config import DEFAULT_SOURCE

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
