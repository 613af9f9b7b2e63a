"""The one URL guard (harness/core/urlguard.py), and every command that sends traffic or resolves references
refusing the tricks that led out of loopback — proved with the socket layer patched to record and refuse every
destination that is not loopback."""
from __future__ import annotations

import ipaddress
import socket

import pytest
from click.testing import CliRunner

from harness import cli
from harness.core.urlguard import UnsafeUrl, check_base_url, is_loopback_host, require_loopback_host
from tests.support.specs import ref_spec

TRICKS = [
    "http://10.0.0.1\\@127.0.0.1:5050",          # issue 10: urllib.parse says 127.0.0.1, urllib3 connects to 10.0.0.1
    "http://10.0.0.1\\\\@127.0.0.1:5050",
    "http://user@127.0.0.1:5050",
    "http://10.0.0.1:80@127.0.0.1:5050",
    "http://127.0.0.1:5050@10.0.0.1",
    "http://127.0.0.1.nip.io:5050",
    "http://localtest.me:5050",
    "http://0x7f000001:5050",
    "http://2130706433:5050",
    "http://167772161:5050",                      # 10.0.0.1 as a decimal
    "http://0177.0.0.1:5050",
    "http://127.1:5050",
    "http://[::ffff:10.0.0.1]:5050",
    "http://[::ffff:127.0.0.1]:5050",
    "http://[::1%25eth0]:5050",
    "http://127.0.0.%31:5050",
    "http://127.0.0.1:5050#@10.0.0.1",
    "http://127.0.0.1:5050?@10.0.0.1",
    "http://127.0.0.1 .10.0.0.1:5050",
    "http://127.0.0.1\t:5050",
    "http://127.0.0.1:5050\n",
    "http://１２７.0.0.1:5050",
    "http://localhost.:5050",
    "http:/127.0.0.1:5050",
    "//127.0.0.1:5050",
    "ftp://127.0.0.1:5050",
    "file:///etc/passwd",
    "gopher://127.0.0.1:5050",
    "http://10.0.0.1:5050",
    "http://example.com",
]


@pytest.mark.parametrize("url", TRICKS)
def test_every_trick_is_refused(url):
    with pytest.raises(UnsafeUrl) as caught:
        check_base_url(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url, normalised", [
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
    ("HTTP://LOCALHOST:8000/api/", "http://localhost:8000/api"),
    ("https://[::1]:8443", "https://[::1]:8443"),
    ("http://127.10.20.30", "http://127.10.20.30"),
])
def test_plain_loopback_urls_pass_as_the_client_will_use_them(url, normalised):
    assert check_base_url(url) == normalised


def test_a_remote_url_passes_only_when_remote_is_allowed_and_never_with_userinfo():
    assert check_base_url("https://api.example.com/v1", allow_remote=True) == "https://api.example.com/v1"
    with pytest.raises(UnsafeUrl):
        check_base_url("http://10.0.0.1\\@127.0.0.1:5050", allow_remote=True)
    with pytest.raises(UnsafeUrl):
        check_base_url("http://user@api.example.com", allow_remote=True)


@pytest.mark.parametrize("host, ok", [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
                                      ("0.0.0.0", False), ("::", False), ("::ffff:127.0.0.1", False),
                                      ("2130706433", False), ("127.0.0.1.nip.io", False), ("localhost.", False)])
def test_listen_hosts(host, ok):
    assert is_loopback_host(host) is ok
    if not ok:
        with pytest.raises(UnsafeUrl):
            require_loopback_host(host)


# -- no connection leaves loopback --------------------------------------------------------------------------------

def _loopback(host) -> bool:
    host = str(host).strip("[]").split("%", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def network(monkeypatch) -> list:
    """Records every destination a connection or a name lookup is attempted to, and refuses all that is not
    loopback (so a failing guard shows up as a recorded attempt, never as real traffic)."""
    attempts: list = []
    real_connect, real_getaddrinfo, real_create = socket.socket.connect, socket.getaddrinfo, socket.create_connection

    def connect(self, address):
        if not _loopback(address[0] if isinstance(address, tuple) else address):
            attempts.append(("connect", address))
            raise ConnectionRefusedError(f"test: no connection to {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else host):
            attempts.append(("getaddrinfo", host))
            raise socket.gaierror(f"test: no lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        if not _loopback(address[0]):
            attempts.append(("create_connection", address))
            raise ConnectionRefusedError(f"test: no connection to {address}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


@pytest.mark.parametrize("url", TRICKS)
def test_replay_refuses_every_trick_without_a_connection(network, url):
    result = CliRunner().invoke(cli.main, ["replay", "--base-url", url])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert network == []


@pytest.mark.parametrize("url", [u for u in TRICKS if "://" in u and "\n" not in u])
def test_verify_refuses_every_trick_as_a_target_without_a_connection(network, tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["verify", "--candidate", url])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert network == [] and not (tmp_path / "reports").exists()


@pytest.mark.parametrize("url", ["http://10.0.0.1\\@127.0.0.1:5050", "http://0x7f000001:8000"])
def test_a_url_target_in_the_configuration_is_guarded_too(network, tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "harness.toml").write_text(f"[candidate]\nurl = '{url}'\n")

    result = CliRunner().invoke(cli.main, ["verify"])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: candidate.url = ") and network == []


@pytest.mark.parametrize("ref, reason", [
    ("http://10.0.0.1/r.yaml#/X", "is a URL: only files under"),
    ("https://10.0.0.1/r.yaml#/X", "is a URL: only files under"),
    ("ftp://10.0.0.1/r.yaml#/X", "is a URL: only files under"),
    ("//10.0.0.1/r.yaml#/X", "is a URL: only files under"),
    ("http://127.0.0.1.nip.io/r.yaml#/X", "is a URL: only files under"),
    ("file:///etc/passwd#/X", "names /etc/passwd, outside"),
    ("../../../../../../etc/passwd#/X", "names /etc/passwd, outside"),
    ("missing.yaml#/X", "names a file that does not exist"),
    ("#/components/schemas/Nope", "points to nothing in the document"),
], ids=["http", "https", "ftp", "scheme-relative", "nip-io", "file-url", "dot-dot", "missing-file", "dangling"])
def test_contract_diff_resolves_no_reference_outside_its_files(network, tmp_path, ref, reason):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(ref_spec("#/components/schemas/X"))
    new.write_text(ref_spec(ref))

    result = CliRunner().invoke(cli.main, ["contract", "diff", str(old), str(new)])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {new}: $ref {ref!r}") and reason in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert network == []


def test_a_local_file_that_refers_to_a_url_is_refused_by_the_validators_reader(network, tmp_path):
    (tmp_path / "other.yaml").write_text('X:\n  $ref: "http://10.0.0.1/r.yaml#/Y"\n')
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(ref_spec("#/components/schemas/X"))
    new.write_text(ref_spec("other.yaml#/X"))

    result = CliRunner().invoke(cli.main, ["contract", "diff", str(old), str(new)])

    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (f"Error: {new}: $ref 'http://10.0.0.1/r.yaml' is a URL: only files under "
                                     f"{tmp_path} are read (remote references are never fetched)")
    assert network == []


def test_a_reference_cycle_is_one_line_exit_2(network, tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(ref_spec("#/components/schemas/X"))
    new.write_text(ref_spec("#/components/schemas/X", {"X": "{$ref: '#/components/schemas/Y'}",
                                                   "Y": "{$ref: '#/components/schemas/X'}"}))

    result = CliRunner().invoke(cli.main, ["contract", "diff", str(old), str(new)])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {new}: reference cycle #/components/schemas/X -> #/components/schemas/Y "
                                    "-> #/components/schemas/X")
    assert "Traceback" not in result.output and network == []
