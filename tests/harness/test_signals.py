"""A run stopped by SIGTERM, SIGINT or SIGHUP (issue 10, item 2): every process the harness started is gone (the
spawned gunicorn master and worker, a prepare step still running), the port no longer answers, the run is
written as a partial result marked `interrupted`, `reports/latest` points at it, and the exit code is 128 + the
signal's number (130, 143, 129).

Each test runs the real `harness verify` in a subprocess on two spawned stand-in servers (a few seconds each).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import jsonschema
import pytest

from harness.core.results import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
STANDIN = ROOT / "tests" / "harness" / "core" / "standin_app.py"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}

#: A driver that adds a slow area (it writes `started` beside the config, then sleeps) and runs `harness verify`.
DRIVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harness import cli
    from harness.core import AreaResult, register_area

    @register_area("sleepy", order=99)
    def sleepy(run, settings, targets):
        (Path(sys.argv[1]) / "started").write_text(run.run_id)
        time.sleep(60)
        return AreaResult(area="sleepy", passed=True)

    cli.main(sys.argv[2:])
""")


def live(word: str) -> dict[int, int]:
    """pid -> process group of live (non-zombie) processes whose command line contains `word`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if word.encode() not in (entry / "cmdline").read_bytes():
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                found[int(entry.name)] = int(fields[2])
    return found


def group_members(groups: set[int]) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) in groups:
                members.append(int(entry.name))
    return members


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def setup(tmp_path):
    """A stand-in app under a unique module name (so its processes can be found), a reports folder whose `latest`
    points at an older passing run, and a config writer."""
    module = f"standin_sig_{uuid.uuid4().hex[:10]}"
    apps = tmp_path / "apps"
    apps.mkdir()
    shutil.copy(STANDIN, apps / f"{module}.py")
    reports = tmp_path / "reports"
    older = reports / "20200101T000000.000000Z"
    older.mkdir(parents=True)
    (older / "targets.json").write_text("{}")
    (reports / "latest").symlink_to(older.name, target_is_directory=True)

    def target(name: str, **extra: str) -> str:
        lines = [f"[{name}]", 'kind = "spawn"', f'app = "{module}:application"', "seed = false",
                 f'env = {{ PYTHONPATH = "{apps}" }}', "stop_timeout = 3"]
        lines += [f"{key} = {value}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"

    def config(text: str) -> Path:
        path = tmp_path / "harness.toml"
        path.write_text(text)
        return path

    return {"module": module, "reports": reports, "older": older, "target": target, "config": config,
            "dir": tmp_path}


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("HARNESS_")}
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # the test signals the harness alone, as `kill <pid>` does


def server_port(target_dir: Path) -> int:
    first = (target_dir / "server.log").read_text().splitlines()[0]
    return int(first.split("--bind ", 1)[1].split()[0].rsplit(":", 1)[1])


def finish(process: subprocess.Popen, sig: signal.Signals) -> tuple[int, str, str]:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, out.decode(), err.decode()


def check_partial_run(reports: Path, older: Path, sig: signal.Signals, areas: dict[str, str]) -> Path:
    latest = reports / "latest"
    assert latest.is_symlink() and latest.resolve() != older.resolve(), "latest still points at the older run"
    run_dir = latest.resolve()
    record = json.loads((run_dir / "run.json").read_text())
    jsonschema.validate(record, {**SCHEMA["$defs"]["run"], "$defs": SCHEMA["$defs"]})
    assert record["status"] == "interrupted" and record["passed"] is False
    assert record["interrupted"]["signal"] == sig.name and record["interrupted"]["exit_code"] == EXIT_CODES[sig]
    assert record["areas"] == areas
    for area, state in areas.items():
        result = json.loads((run_dir / f"{area}.json").read_text())
        jsonschema.validate(result, SCHEMA)
        if state == "interrupted":
            assert result["passed"] is False and result["interrupted"] == sig.name
            assert [f["check"] for f in result["findings"]] == ["interrupted"]
        else:
            assert result["passed"] is True and "interrupted" not in result
    return run_dir


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_a_prepare_step_stops_the_started_server_and_the_step(setup, sig):
    marker = f"prepare_{uuid.uuid4().hex[:10]}"
    config = setup["config"](setup["target"]("legacy") + setup["target"](
        "candidate", prepare=f'["{{python}} -c \'import time; time.sleep(60)  # {marker}\'"]'))
    process = start([sys.executable, "-m", "harness.cli", "verify", "--config", str(config), "--out",
                     str(setup["reports"])], setup["dir"])
    try:
        wait_for(lambda: live(marker), what="the prepare step")
        server = live(setup["module"])
        assert server, "the legacy server is running"
        groups = set(server.values()) | set(live(marker).values())
        assert os.getpgid(process.pid) not in groups  # each child leads its own process group
        [run_dir] = wait_for(lambda: [p for p in setup["reports"].iterdir()
                                      if p.name.startswith("20") and p != setup["older"]], what="the run folder")
        port = server_port(run_dir / "targets" / "legacy")
        assert listening(port)
    finally:
        code, out, err = finish(process, sig)

    assert code == EXIT_CODES[sig], (out, err)
    assert live(setup["module"]) == {} and live(marker) == {} and group_members(groups) == []
    assert not listening(port)
    check_partial_run(setup["reports"], setup["older"], sig, {"targets": "interrupted"})
    assert f"Interrupted by {sig.name}" in err and "Traceback" not in err
    assert "INTERRUPTED" in out and "candidate: preparing" in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_an_area_stops_both_servers_and_writes_what_was_done(setup, sig):
    config = setup["config"]('areas = ["targets", "sleepy"]\n' + setup["target"]("legacy", workers="2")
                             + setup["target"]("candidate"))
    driver = setup["dir"] / "driver.py"
    driver.write_text(DRIVER)
    process = start([sys.executable, str(driver), str(setup["dir"]), "verify", "--config", str(config), "--out",
                     str(setup["reports"])], setup["dir"])
    try:
        run_id = wait_for(lambda: (setup["dir"] / "started").is_file() and (setup["dir"] / "started").read_text(),
                          what="the sleepy area")
        run_dir = setup["reports"] / run_id
        ports = [server_port(run_dir / "targets" / name) for name in ("legacy", "candidate")]
        servers = live(setup["module"])
        assert len(servers) >= 4 and all(listening(port) for port in ports)  # 2 masters, 3 workers
        groups = set(servers.values())
        assert len(groups) == 2
    finally:
        code, out, err = finish(process, sig)

    assert code == EXIT_CODES[sig], (out, err)
    assert live(setup["module"]) == {} and group_members(groups) == []
    assert not any(listening(port) for port in ports)
    assert check_partial_run(setup["reports"], setup["older"], sig,
                             {"targets": "passed", "sleepy": "interrupted"}) == run_dir.resolve()
    assert "Traceback" not in err


def test_an_area_that_swallows_the_interrupt_is_still_marked_partial(tmp_path):
    """In process: the area catches the KeyboardInterrupt and returns; the run still stops, marked interrupted."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are installed from the main thread only")
    from harness.core import AreaResult, load_settings
    from harness.core.areas import Area, run_areas
    from harness.core.runs import Interrupted

    def swallows(run, settings, targets):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except KeyboardInterrupt:
            pass
        return AreaResult(area="swallow", passed=True)

    def never(run, settings, targets):
        raise AssertionError("an area after the interrupt must not run")

    (tmp_path / "harness.toml").write_text(f'out = "{tmp_path / "reports"}"\n'
                                           '[legacy]\napp = "legacy_flask:create_app"\nseed = false\n'
                                           '[candidate]\napp = "legacy_flask:create_app"\nseed = false\n')
    settings = load_settings(environ={}, cwd=tmp_path)
    previous = signal.getsignal(signal.SIGTERM)

    with pytest.raises(Interrupted) as caught:
        run_areas(settings, [Area("swallow", swallows), Area("never", never)])

    assert signal.getsignal(signal.SIGTERM) is previous  # the handlers are put back
    assert caught.value.exit_code == 143
    [result] = caught.value.results
    assert result.interrupted == "SIGTERM" and not result.passed
    assert json.loads((tmp_path / "reports" / "latest" / "run.json").read_text())["areas"] == {
        "swallow": "interrupted"}


def test_process_groups_left_registered_are_stopped_when_the_interpreter_exits(tmp_path):
    """The backstop: a group registered with the run and never stopped by its owner is stopped at exit."""
    marker = f"orphan_{uuid.uuid4().hex[:10]}"
    script = textwrap.dedent(f"""
        import subprocess, sys
        from harness.core.runs import track_group
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # {marker}"],
                                 start_new_session=True)
        track_group(child.pid, "a step whose owner forgot it")
        print(child.pid, flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)

    assert done.returncode == 0, done.stderr
    group = int(done.stdout.split()[0])
    assert live(marker) == {} and group_members({group}) == []


#: A stand-in for the candidate's manage.py: it starts a child (so a whole group must be stopped), says so, and
#: sleeps as a long `migrate` would.
SLOW_MANAGE = textwrap.dedent("""
    import subprocess, sys, time
    from pathlib import Path
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "slow-manage-child"])
    Path(__file__).with_name("started").write_text(str(child.pid))
    time.sleep(120)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_data_command_stopped_by_a_signal_stops_the_manage_step_it_started(tmp_path, sqlite_template, sig):
    """`harness data migrate-check` interrupted while the candidate's manage command runs: the step and its
    child are gone, one line on stderr, exit 128 + the signal."""
    manage = tmp_path / "slow_manage.py"
    manage.write_text(SLOW_MANAGE)
    harness = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "data", "migrate-check", "--legacy-db", f"sqlite:///{sqlite_template}",
         "--candidate-db", f"sqlite:///{tmp_path / 'copy.sqlite3'}", "--path", "copy",
         "--manage", f"{{python}} {manage}"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists():
            assert harness.poll() is None, harness.communicate()
            assert time.monotonic() < deadline, "the manage step never started"
            time.sleep(0.1)
        assert live("slow-manage-child")
        harness.send_signal(sig)
        out, err = harness.communicate(timeout=30)
    finally:
        if harness.poll() is None:
            os.killpg(harness.pid, signal.SIGKILL)
    assert harness.returncode == EXIT_CODES[sig], (out, err)
    assert err.strip().splitlines() == [f"Interrupted by {sig.name}: every process the harness started is stopped"]
    assert not live("slow-manage-child") and not live(str(manage))
