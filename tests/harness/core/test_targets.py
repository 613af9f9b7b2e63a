"""harness/core/targets.py: the three kinds of target, their preparation, seeding, start and clean stop."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from harness.core import ConfigError, TargetError, open_targets
from harness.core.targets import free_port, looks_like_factory, make_target
from harness.seed import planned_rows
from harness.seed.writer import SEED_TABLES
from tests.conftest import row_counts
from tests.support.servers import serve_wsgi


def health(target) -> dict:
    response = target.client().get("/health")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()




def processes_mentioning(word: str) -> list[int]:
    """Live processes whose command line contains `word` (a test's unique module name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if word.encode() in (entry / "cmdline").read_bytes() and \
                        (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def group_members(group: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == group:
                members.append(int(entry.name))
    return members


# -- wsgi ---------------------------------------------------------------------------------------------------------

def test_a_factory_gets_its_app_config_and_the_targets_own_database(settings_from, standin, run):
    settings = settings_from(f'[legacy]\napp = "{standin}:create_app"\nseed = false\n'
                             f'app_config = {{ UPLOAD_ROOT = "{{target_dir}}/uploads" }}\n')

    target = make_target(settings.legacy, run)
    target.start()

    folder = run.out_dir / "targets" / "legacy"
    assert health(target) == {"database_url": f"sqlite:///{folder / 'database.sqlite3'}", "marker": None,
                              "upload_root": f"{folder}/uploads"}
    assert target.base_url is None
    assert target.describe()["kind"] == "wsgi" and target.describe()["app"] == f"{standin}:create_app"


def test_a_module_level_app_is_configured_by_the_environment_at_import_only(settings_from, standin, run):
    settings = settings_from(f'[candidate]\napp = "{standin}:application"\nseed = false\n'
                             f'env = {{ STANDIN_MARKER = "{{target_dir}}" }}\n')

    target = make_target(settings.candidate, run)
    target.start()

    folder = run.out_dir / "targets" / "candidate"
    assert health(target)["marker"] == str(folder)
    assert health(target)["database_url"] == f"sqlite:///{folder / 'database.sqlite3'}"
    assert "STANDIN_MARKER" not in os.environ  # put back for the other target
    assert os.environ.get("DATABASE_URL") != health(target)["database_url"]


def test_a_module_level_app_cannot_serve_a_second_database_in_one_process(settings_from, standin, tmp_path, run):
    text = f'[legacy]\napp = "{standin}:application"\nseed = false\n'
    make_target(settings_from(text).legacy, run).start()
    other = settings_from(text + f'database_url = "sqlite:///{tmp_path}/other.sqlite3"\n').legacy

    with pytest.raises(TargetError, match=r"module-level app this process already configured for .*kind = \"spawn\""):
        make_target(other, run).start()


def test_the_factory_spelling_with_parentheses_calls_it_without_arguments(settings_from, standin, run):
    target = make_target(settings_from(f'[legacy]\napp = "{standin}:create_app()"\n').legacy, run)
    target.start()
    assert health(target)["database_url"] is None  # no mapping given: the app configures itself


def test_factory_detection():
    from legacy_flask import create_app

    def wsgi_app(environ, start_response):
        return []

    assert looks_like_factory(create_app) and looks_like_factory(lambda: None)
    assert not looks_like_factory(wsgi_app)
    assert not looks_like_factory(create_app({"DATABASE_URL": "sqlite://", "TESTING": True}))  # the app object


def test_a_missing_attribute_is_a_setting_error(settings_from, standin, run):
    target = make_target(settings_from(f'[legacy]\napp = "{standin}:nothing_here"\n').legacy, run)
    with pytest.raises(ConfigError, match=rf"^legacy.app = '{standin}:nothing_here' \(from harness.toml\): "
                                          rf"expected an attribute of module {standin}"):
        target.start()


def test_a_module_that_fails_on_import_cannot_start(settings_from, standin_dir, standin, run):
    (standin_dir / f"{standin}_broken.py").write_text("raise RuntimeError('no database configured')\n")
    target = make_target(settings_from(f'[legacy]\napp = "{standin}_broken:app"\n').legacy, run)
    with pytest.raises(TargetError, match="legacy: cannot import .*RuntimeError: no database configured"):
        target.start()


# -- preparation and seeding -------------------------------------------------------------------------------------

def test_prepare_runs_with_the_targets_environment_and_database(settings_from, standin, run):
    script = "import os, pathlib; pathlib.Path(os.environ['OUT']).write_text(os.environ['DATABASE_URL'])"
    settings = settings_from(f'[legacy]\napp = "{standin}:create_app"\n'
                             f'env = {{ OUT = "{{target_dir}}/prepared.txt" }}\n'
                             f'prepare = [["{{python}}", "-c", "{script}"]]\n')

    target = make_target(settings.legacy, run)
    target.prepare()

    assert (target.directory / "prepared.txt").read_text() == target.database_url
    assert "$ " in (target.directory / "prepare.log").read_text()


def test_a_failing_prepare_step_names_the_step_and_its_last_words(settings_from, standin, run):
    settings = settings_from(f'[legacy]\napp = "{standin}:create_app"\n'
                             'prepare = ["{python} -c \\"import sys; sys.exit(\'migration 0007 failed\')\\""]\n')

    with pytest.raises(TargetError, match=r"legacy: prepare step .* exited with 1: migration 0007 failed "
                                          r"\(log: .*prepare.log\)"):
        make_target(settings.legacy, run).prepare()


def test_both_targets_start_from_the_same_seed(settings_from, run):
    settings = settings_from("", candidate="legacy_flask:create_app")

    with open_targets(run, settings) as targets:
        legacy, candidate = targets
        assert legacy.database_url != candidate.database_url
        assert row_counts(legacy.database_url) == row_counts(candidate.database_url) == \
            {t: planned_rows("small").get(t, 0) for t in SEED_TABLES}
        assert health(legacy)["status"] == health(candidate)["status"] == "healthy"
        assert set(targets.describe()) == {"legacy", "candidate"}
    assert (run.out_dir / "targets" / "legacy" / "database.sqlite3").is_file()


def test_seeding_a_database_that_holds_rows_needs_reset(settings_from, run, db_url):
    text = f'[legacy]\ndatabase_url = "{db_url}"\n'

    with pytest.raises(TargetError, match=r"legacy: cannot seed its database: .*already holds rows.*"
                                          r"set legacy.reset = true"):
        with open_targets(run, settings_from(text, candidate="legacy_flask:create_app")):
            pass

    with open_targets(run, settings_from(text + "reset = true\n", candidate="legacy_flask:create_app")) as targets:
        assert row_counts(targets.legacy.database_url) == row_counts(targets.candidate.database_url)


# -- spawn ---------------------------------------------------------------------------------------------------------

def spawn_config(standin_dir: Path, app: str, **extra: str) -> str:
    lines = ["[legacy]", 'kind = "spawn"', f'app = "{app}"', "seed = false",
             f'env = {{ PYTHONPATH = "{standin_dir}", STANDIN_MARKER = "spawned" }}']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_spawned_gunicorn_starts_on_a_free_port_and_stops_with_its_workers(settings_from, standin_dir, standin, run):
    settings = settings_from(spawn_config(standin_dir, f"{standin}:application", workers="2"))
    target = make_target(settings.legacy, run)
    target.start()
    try:
        assert target.base_url == f"http://127.0.0.1:{target.port}" and target.port > 0
        assert health(target)["marker"] == "spawned"  # over HTTP, through the same test client
        group = target.pid
        deadline = time.monotonic() + 10
        while len(group_members(group)) < 3 and time.monotonic() < deadline:  # the second worker may still boot
            time.sleep(0.1)
        assert len(group_members(group)) == 3  # the master and its two workers
    finally:
        target.stop()
    assert group_members(group) == [] and processes_mentioning(standin) == []
    assert "Booting worker" in target.log_path.read_text()
    target.stop()  # twice is harmless


STUBBORN = """
import signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period(settings_from, tmp_path, run):
    (tmp_path / "stubborn.py").write_text(STUBBORN)
    settings = settings_from(f'[legacy]\ncommand = ["{{python}}", "{tmp_path / "stubborn.py"}", "{{port}}"]\n'
                             'seed = false\nstop_timeout = 0.5\n')
    target = make_target(settings.legacy, run)
    target.start()
    group = target.pid

    started = time.monotonic()
    target.stop()

    assert group_members(group) == []
    assert time.monotonic() - started < 5


def test_a_server_that_exits_at_start_is_reported_with_its_last_log_line(settings_from, run):
    settings = settings_from('[legacy]\ncommand = "{python} -c \\"import sys; sys.exit(\'port {port} busy\')\\""\n'
                             'seed = false\n')

    with pytest.raises(TargetError, match=r"legacy: the server exited with code 1 before answering "
                                          r"http://127.0.0.1:\d+/health .*server.log: port \d+ busy"):
        make_target(settings.legacy, run).start()


def test_a_server_that_never_gets_healthy_times_out_and_is_stopped(settings_from, standin_dir, standin, run):
    text = spawn_config(standin_dir, f"{standin}:application", startup_timeout="1.5").replace(
        'STANDIN_MARKER = "spawned"', 'STANDIN_HEALTH_STATUS = "503"')
    target = make_target(settings_from(text).legacy, run)

    with pytest.raises(TargetError, match=r"legacy: no 200 from http://127.0.0.1:\d+/health within 1.5 s "
                                          r"\(last: HTTP 503: \{\"database_url\": "):  # the body's first line
        target.start()
    assert target.process is None


def test_a_configured_port_that_is_taken_cannot_be_listened_on(settings_from, standin_dir, standin, run):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        target = make_target(settings_from(spawn_config(standin_dir, f"{standin}:application", port=str(port))).legacy,
                             run)
        with pytest.raises(TargetError, match=f"legacy: cannot listen on 127.0.0.1:{port}: "):
            target.start()


# -- url ------------------------------------------------------------------------------------------------------------

@pytest.fixture
def served(standin):
    """The stand-in app served over HTTP on loopback, in a thread."""
    with serve_wsgi(__import__(standin).create_app({"DATABASE_URL": "external"})) as url:
        yield url


def test_a_url_target_is_driven_through_the_same_test_client(settings_from, served, run):
    target = make_target(settings_from("", candidate=served).candidate, run)
    target.start()

    response = target.client().post("/echo?page=2", data=json.dumps({"a": 1}), headers={"X-Test": "yes"},
                                    content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"method": "POST", "query": "page=2", "host": served.removeprefix("http://"),
                                   "x_test": "yes", "body": '{"a": 1}'}
    assert target.describe() == {"kind": "url", "app": None, "base_url": served, "database": None}
    assert target.reproduce("GET", "/health") == f"curl -i -X GET {served}/health"


def test_an_unreachable_url_target_cannot_start(settings_from, run):
    port = free_port()
    target = make_target(settings_from("[candidate]\nstartup_timeout = 0.3\n", candidate=f"http://127.0.0.1:{port}")
                         .candidate, run)
    with pytest.raises(TargetError, match=rf"candidate: no 200 from http://127.0.0.1:{port}/health within 0.3 s "
                                          r"\(last: ConnectionRefusedError"):
        target.start()


def test_when_the_second_target_fails_the_first_is_stopped(settings_from, standin_dir, standin, run):
    text = spawn_config(standin_dir, f"{standin}:application") + "[candidate]\nstartup_timeout = 0.3\n"
    settings = settings_from(text, candidate=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(TargetError, match="candidate: no 200"):
        with open_targets(run, settings):
            pass

    assert "Booting worker" in (run.out_dir / "targets" / "legacy" / "server.log").read_text()
    assert processes_mentioning(standin) == []


def test_stop_signals_the_servers_process_group(settings_from, standin_dir, standin, run, monkeypatch):
    sent = []
    real_killpg = os.killpg
    monkeypatch.setattr(os, "killpg", lambda group, sig: (sent.append((group, sig)), real_killpg(group, sig))[1])
    target = make_target(settings_from(spawn_config(standin_dir, f"{standin}:application")).legacy, run)
    target.start()
    pid = target.pid
    assert os.getpgid(pid) == pid != os.getpgid(os.getpid())  # the server leads its own group

    target.stop()

    assert sent[0] == (pid, signal.SIGTERM)
    assert processes_mentioning(standin) == []
