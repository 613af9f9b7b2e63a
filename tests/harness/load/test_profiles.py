"""scenarios/profiles.toml and its loader: every profile bounded in users, time and requests; a profile at fault
refused with one line that says where (file, profile, key)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.load import profiles
from harness.load.profiles import load_profiles, pick

SHIPPED = Path(__file__).resolve().parents[3] / "scenarios" / "profiles.toml"

RUN = {"users": 10, "spawn_rate": 10, "duration_s": 15, "warmup_s": 3, "max_requests": 1000}
CAPACITY = {"kind": "capacity", "start_users": 50, "max_users": 1000, "factor": 2, "step_warmup_s": 10,
            "step_duration_s": 30, "max_requests": 100000}


def _toml(values: dict) -> str:
    def literal(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return f'"{value}"'
        return repr(value)

    return "\n".join(f"{key} = {literal(value)}" for key, value in values.items())


def _write(tmp_path: Path, name: str, values: dict) -> Path:
    path = tmp_path / "profiles.toml"
    path.write_text(f"[profiles.{name}]\n{_toml(values)}\n", encoding="utf-8")
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_profiles(path)
    message = str(caught.value)
    assert "\n" not in message, f"refusal must be one line: {message!r}"
    assert str(path) in message
    return message


# -- the shipped file ---------------------------------------------------------------------------------------------

def test_every_shipped_profile_is_bounded_under_the_ceilings():
    loaded = load_profiles(SHIPPED)
    assert {"smoke", "baseline", "peak", "soak", "spike", "capacity"} <= set(loaded)
    for name, profile in loaded.items():
        users = profile.max_users if profile.kind == "capacity" else profile.users
        assert 0 < users <= profiles.MAX_USERS, name
        assert 0 < profile.run_time_s <= profiles.MAX_DURATION_S, name
        assert 0 < profile.max_requests <= profiles.MAX_REQUESTS, name
        assert 1 <= profile.processes + profile.remote_workers <= profiles.MAX_PROCESSES, name
        if profile.kind == "run":
            assert 0 <= profile.warmup_s < profile.duration_s, name
            assert profile.spawn_rate > 0, name


def test_smoke_is_small_and_peak_is_the_plans_ten_thousand_users():
    smoke, peak = pick(SHIPPED, "smoke"), pick(SHIPPED, "peak")
    assert smoke.run_time_s <= 30
    assert smoke.users <= 50
    assert peak.users == 10_000
    assert peak.kind == "run"


def test_shipped_capacity_profile_is_a_search():
    capacity = pick(SHIPPED, "capacity")
    assert capacity.kind == "capacity"
    assert capacity.factor > 1
    assert 0 < capacity.start_users <= capacity.max_users
    assert capacity.step_duration_s > 0 and 0 < capacity.resolution < 1


# -- refusals -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "key"), [
    pytest.param({k: v for k, v in RUN.items() if k != "users"}, "users", id="missing-users"),
    pytest.param({k: v for k, v in RUN.items() if k != "duration_s"}, "duration_s", id="missing-duration"),
    pytest.param({k: v for k, v in RUN.items() if k != "max_requests"}, "max_requests", id="missing-max-requests"),
    pytest.param({**RUN, "max_requests": 0}, "max_requests", id="zero-max-requests"),
    pytest.param({k: v for k, v in CAPACITY.items() if k != "max_users"}, "max_users", id="capacity-missing-max"),
    pytest.param({**RUN, "userz": 5}, "userz", id="unknown-key"),
    pytest.param({**RUN, "users": -5}, "users", id="negative-int"),
    pytest.param({**RUN, "warmup_s": -1.0}, "warmup_s", id="negative-float"),
    pytest.param({**RUN, "users": True}, "users", id="bool-int"),
    pytest.param({**RUN, "spawn_rate": True}, "spawn_rate", id="bool-float"),
    pytest.param({**RUN, "duration_s": "15s"}, "duration_s", id="text-number"),
    pytest.param({**RUN, "users": 2.5}, "users", id="fraction-of-a-user"),
    pytest.param({**RUN, "kind": "stress"}, "kind", id="unknown-kind"),
    pytest.param({**RUN, "warmup_s": 15}, "warmup_s", id="warmup-equals-duration"),
    pytest.param({**RUN, "warmup_s": 20}, "warmup_s", id="warmup-past-duration"),
    pytest.param({**CAPACITY, "factor": 1}, "factor", id="capacity-factor-one"),
    pytest.param({**CAPACITY, "factor": 0.5}, "factor", id="capacity-factor-below-one"),
    pytest.param({**CAPACITY, "start_users": 5000}, "start_users", id="capacity-start-past-max"),
    pytest.param({**RUN, "users": profiles.MAX_USERS + 1}, "users", id="users-past-ceiling"),
    pytest.param({**RUN, "max_requests": profiles.MAX_REQUESTS + 1}, "max_requests", id="requests-past-ceiling"),
    pytest.param({**RUN, "processes": profiles.MAX_PROCESSES, "remote_workers": 1}, "processes",
                 id="processes-past-ceiling"),
    pytest.param({**RUN, "processes": 0}, "processes", id="no-local-process"),
])
def test_a_profile_at_fault_is_refused_in_one_line_naming_file_profile_and_key(tmp_path, values, key):
    message = _refusal(_write(tmp_path, "faulty", values))
    assert "[profiles.faulty]" in message
    assert key in message


def test_a_duration_past_the_ceiling_names_duration_s(tmp_path):
    message = _refusal(_write(tmp_path, "endless", {**RUN, "duration_s": profiles.MAX_DURATION_S + 1}))
    assert "[profiles.endless]" in message
    assert "duration_s" in message


def test_a_duration_past_the_ceiling_is_refused(tmp_path):
    message = _refusal(_write(tmp_path, "endless", {**RUN, "duration_s": profiles.MAX_DURATION_S + 1}))
    assert "[profiles.endless]" in message
    assert "ceiling" in message


@pytest.mark.parametrize(("text", "says"), [
    pytest.param("[profiles.smoke\nusers = 1\n", "not valid TOML", id="not-toml"),
    pytest.param("[settings]\nusers = 1\n", "no [profiles", id="no-profiles-table"),
    pytest.param("[profiles]\n", "no [profiles", id="empty-profiles-table"),
    pytest.param("profiles = 3\n", "no [profiles", id="profiles-not-a-table"),
])
def test_a_file_that_is_not_a_profiles_file_is_refused_in_one_line(tmp_path, text, says):
    path = tmp_path / "profiles.toml"
    path.write_text(text, encoding="utf-8")
    assert says in _refusal(path)


def test_a_missing_file_is_refused_in_one_line(tmp_path):
    assert "cannot read" in _refusal(tmp_path / "absent.toml")


def test_pick_of_an_unknown_profile_lists_the_known_ones(tmp_path):
    path = tmp_path / "profiles.toml"
    path.write_text(f"[profiles.alpha]\n{_toml(RUN)}\n[profiles.beta]\n{_toml(RUN)}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        pick(path, "gamma")
    message = str(caught.value)
    assert "'gamma'" in message and "alpha, beta" in message
    assert "\n" not in message


def test_pick_of_an_unknown_shipped_profile_lists_smoke_and_peak():
    with pytest.raises(ConfigError, match=r"(?=.*smoke)(?=.*peak)"):
        pick(SHIPPED, "nope")


# -- a capacity step as a run ------------------------------------------------------------------------------------

def test_capacity_profile_at_users_is_a_run_with_warmup_plus_steady_state(tmp_path):
    search = load_profiles(_write(tmp_path, "cap", CAPACITY))["cap"]
    step = search.at(400)
    assert step.kind == "run"
    assert step.users == 400
    assert step.warmup_s == 10
    assert step.duration_s == 10 + 30
    assert step.run_time_s == 40
    assert step.spawn_rate * step.warmup_s >= step.users, "all users must be started within the warm-up"
    assert step.max_requests == search.max_requests
