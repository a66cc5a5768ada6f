"""Config file and contexts: precedence, permissions, malformed files, missing contexts, secrets never shown."""

from __future__ import annotations

import os
import stat
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock
from typer.testing import CliRunner

from pvectl.cli.app import app
from pvectl.cli.connection import make_client, resolve
from pvectl.cli.context import GlobalOptions
from pvectl.cli.errors import CliError
from pvectl.sdk import TicketAuth, TokenAuth
from tests.auth.tls_server import tls_server

PIN = ":".join(["AB"] * 32)
SECRET = "7f3c9e2a-token-secret-value"
PASSWORD = "pa55-w0rd-in-config"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("PVECTL_"):
            monkeypatch.delenv(name)
    return tmp_path


def config_path(home: Path) -> Path:
    return home / "config" / "pvectl" / "config.toml"


def write_config(home: Path, text: str, mode: int = 0o600) -> Path:
    path = config_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


LAB = f"""
current-context = "lab"

[contexts.lab]
host = "pve-lab"
port = 8443
user = "root@pam"
token-id = "ci"
token-secret = "{SECRET}"
fingerprint = "{PIN}"
node = "pve1"

[contexts.prod]
host = "pve-prod"
user = "admin"
realm = "pve"
password = "{PASSWORD}"

[vm.defaults]
memory = 4096
"""


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- precedence ---------------------------------------------------------------------------------------------


def test_context_supplies_everything(home: Path) -> None:
    write_config(home, LAB)
    s = resolve(GlobalOptions(), env={})
    assert (s.context, s.host, s.port, s.user, s.fingerprint, s.node) == (
        "lab",
        "pve-lab",
        8443,
        "root@pam",
        PIN,
        "pve1",
    )
    assert s.token == f"root@pam!ci={SECRET}"
    assert s.base_url == "https://pve-lab:8443/api2/json"


def test_flag_and_env_beat_the_context(home: Path) -> None:
    write_config(home, LAB)
    # Typer merges a flag with its env var (flag wins) into the option; other env vars are read here
    s = resolve(GlobalOptions(host="pve-other:9000", fingerprint=None), env={})
    assert s.base_url == "https://pve-other:9000/api2/json"  # the context's port goes with the context's host
    s = resolve(GlobalOptions(host="pve-other"), env={})
    assert s.port == 8006
    other_pin = ":".join(["CD"] * 32)
    assert resolve(GlobalOptions(fingerprint=other_pin), env={}).fingerprint == other_pin
    assert resolve(GlobalOptions(), env={"PVECTL_TOKEN_SECRET": "from-env"}).token == "root@pam!ci=from-env"


def test_flags_beat_env_through_the_cli(home: Path, httpx_mock: HTTPXMock) -> None:
    write_config(home, LAB)
    httpx_mock.add_response(url="https://flaghost:8006/api2/json/version", json={"data": {"version": "9.1.3"}})
    env = {"PVECTL_HOST": "envhost", "PVECTL_FINGERPRINT": "", "PVECTL_TOKEN": f"env@pve!x={SECRET}"}
    code, _, err = run("--host", "flaghost", "--token", f"flag@pve!ci={SECRET}", "--insecure", "login", env=env)
    assert code == 0, err
    (req,) = httpx_mock.get_requests()
    assert req.url.host == "flaghost"
    assert req.headers["Authorization"] == f"PVEAPIToken=flag@pve!ci={SECRET}"


def test_another_host_gets_nothing_from_the_context(home: Path, httpx_mock: HTTPXMock) -> None:
    # issue 28: the context's token, pin and node belong to pve-lab; sending its token to envhost would hand
    # the secret to another server
    write_config(home, LAB)
    code, out, err = run("--insecure", "login", env={"PVECTL_HOST": "envhost", "PVECTL_FINGERPRINT": ""})
    assert code == 2
    assert "no user" in err
    assert SECRET not in out + err
    assert httpx_mock.get_requests() == []


def test_ci_needs_only_environment_variables(home: Path, httpx_mock: HTTPXMock) -> None:
    assert not config_path(home).exists()
    httpx_mock.add_response(url="https://pve-ci:8443/api2/json/nodes", json={"data": []})
    opts = GlobalOptions(host="pve-ci:8443", token=f"ci@pve!deploy={SECRET}", fingerprint=PIN)
    with make_client(opts) as client:
        assert isinstance(client.auth, TokenAuth)
        client.check_version = False
        client.request("GET", "/nodes")
    assert httpx_mock.get_requests()[0].headers["Authorization"] == f"PVEAPIToken=ci@pve!deploy={SECRET}"


def test_context_chosen_by_name(home: Path) -> None:
    write_config(home, LAB)
    s = resolve(GlobalOptions(context="prod"), env={})
    assert (s.host, s.user, s.token, s.password) == ("pve-prod", "admin@pve", None, PASSWORD)
    assert resolve(GlobalOptions(context="prod"), env={"PVECTL_PASSWORD": "env-pw"}).password == "env-pw"


def test_other_user_does_not_get_the_context_secrets(home: Path) -> None:
    write_config(home, LAB)
    s = resolve(GlobalOptions(context="prod", user="someone@pam"), env={})
    assert s.password is None
    s = resolve(GlobalOptions(user="someone@pam"), env={})
    assert s.token is None


def test_defaults_without_anything(home: Path) -> None:
    s = resolve(GlobalOptions(), env={})
    assert (s.context, s.host, s.port, s.user, s.token) == (None, None, 8006, None, None)
    with pytest.raises(CliError, match="no PVE server"):
        _ = s.base_url


def test_make_client_with_password_context_uses_tickets(home: Path) -> None:
    write_config(home, LAB)
    with make_client(GlobalOptions(context="prod")) as client:
        assert isinstance(client.auth, TicketAuth)
        assert client.auth.user == "admin@pve"
        assert PASSWORD not in repr(client)


# -- errors -------------------------------------------------------------------------------------------------


def test_missing_context_lists_the_contexts(home: Path) -> None:
    write_config(home, LAB)
    code, _, err = run("logout", env={"PVECTL_CONTEXT": "nope"})
    assert code == 2
    assert "no context named 'nope'" in err and "lab, prod" in err
    assert "Traceback" not in err
    code, _, err = run("config", "use", "nope")
    assert code == 2 and "lab, prod" in err


def test_malformed_toml_is_one_line_exit_2(home: Path) -> None:
    write_config(home, "current-context = \n[contexts.lab\n")
    code, _out, err = run("config", "list")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "malformed TOML" in err
    assert "config.toml" in err and "Traceback" not in err


def test_group_readable_file_with_secrets_is_refused(home: Path) -> None:
    path = write_config(home, LAB, mode=0o640)
    code, _, err = run("config", "list")
    assert code == 2
    assert "chmod 600" in err and str(path) in err
    assert SECRET not in err


def test_world_readable_file_without_secrets_is_fine(home: Path) -> None:
    write_config(home, '[contexts.lab]\nhost = "pve1"\n', mode=0o644)
    code, out, _ = run("-o", "json", "config", "list")
    assert code == 0 and '"lab"' in out


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ('[contexts.lab]\nhots = "pve1"\n', "unknown key 'hots'"),
        ('[contexts.lab]\nport = "x"\n', "'port' must be an integer"),
        ('[contexts.lab]\nfingerprint = "AA:BB"\n', "fingerprint must be a SHA-256"),
        ('contexts = "x"\n', "'contexts' must be a table"),
    ],
)
def test_bad_values_name_the_culprit(home: Path, text: str, culprit: str) -> None:
    write_config(home, text)
    code, _, err = run("config", "list")
    assert code == 2 and culprit in err and err.count("\n") == 1


# -- config commands ----------------------------------------------------------------------------------------


def test_add_set_show_list_use_delete(home: Path) -> None:
    code, _, err = run("config", "add", "lab", "--host", "pve1:8443", "--user", "root@pam", "--fingerprint", PIN)
    assert code == 0, err
    path = config_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    code, _, err = run("config", "set", "lab", "token-id=ci", f"token-secret={SECRET}", "node=pve1")
    assert code == 0, err
    code, _, _ = run("config", "set", "lab", "token-secret=-", input=SECRET + "\n")
    assert code == 0
    code, _, _ = run("config", "add", "prod", "--host", "pve2", "--no-fetch-fingerprint")
    assert code == 0

    code, out, _ = run("-o", "json", "config", "show", "lab")
    assert code == 0
    assert '"token-secret": "***"' in out and SECRET not in out and '"port": 8443' in out
    for fmt in ("json", "yaml", "table", "text"):
        code, out, err = run("-o", fmt, "config", "list")
        assert code == 0 and SECRET not in out + err and "lab" in out
    code, out, _ = run("-o", "table", "config", "show")
    assert "***" in out and SECRET not in out

    assert run("config", "use", "prod")[0] == 0
    assert 'current-context = "prod"' in path.read_text()
    assert run("config", "delete", "prod")[0] == 0
    assert "current-context" not in path.read_text()
    assert run("config", "delete", "prod")[0] == 2


def test_rewriting_keeps_other_tables(home: Path) -> None:
    write_config(home, LAB)
    assert run("config", "use", "prod")[0] == 0
    text = config_path(home).read_text()
    assert "[vm.defaults]" in text and "memory = 4096" in text


def test_set_rejects_bad_input(home: Path) -> None:
    assert run("config", "set", "lab", "hots=pve1")[0] == 2
    assert run("config", "set", "lab", "port=abc")[0] == 2
    code, _, err = run("config", "set", "lab", "fingerprint=12:34")
    assert code == 2 and "fingerprint" in err
    assert run("config", "set", "lab", "insecure=maybe")[0] == 2
    assert run("config", "set", "lab")[0] == 2


def test_add_fetches_and_pins_the_fingerprint(home: Path, tmp_path: Path) -> None:
    with tls_server(tmp_path) as server:
        code, _, err = run("config", "add", "sim", "--host", f"127.0.0.1:{server.port}", "--fetch-fingerprint")
        assert code == 2 and "not confirmed" in err and server.fingerprint in err  # shown, but not trusted blindly
        assert not config_path(home).exists()
        code, _out, err = run(
            "config", "add", "sim", "--host", f"127.0.0.1:{server.port}", "--fetch-fingerprint", "--yes"
        )
        assert code == 0, err
        assert server.seen.requests == []
    assert f'fingerprint = "{server.fingerprint}"' in config_path(home).read_text()


def test_add_unreachable_host_is_a_connection_error(home: Path) -> None:
    code, _, err = run("config", "add", "x", "--host", "127.0.0.1:1", "--fetch-fingerprint", "--yes")
    assert code == 5 and "Traceback" not in err


# -- the simulator ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeSimConnection:
    base_url: str
    fingerprint: str
    ca_file: str
    token: str
    user: str
    password: str


def test_sim_connects_with_token_and_pin(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("pvectl.sim.embedded")
    conn = FakeSimConnection("https://127.0.0.1:8555", PIN, "/nowhere", f"root@pam!sim={SECRET}", "root@pam", "x")
    fake.sim_connection = lambda: conn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pvectl.sim.embedded", fake)
    write_config(home, "not toml at all [")  # --sim ignores the config file
    with make_client(GlobalOptions(sim=True)) as client:
        assert client.base_url == "https://127.0.0.1:8555/api2/json"
        assert client.fingerprint == PIN
        assert isinstance(client.auth, TokenAuth) and client.auth.token_id == "sim"


def test_add_with_token_secret_from_stdin(home: Path) -> None:
    code, _, err = run(
        "config", "add", "ci", "--host", "pve1", "--user", "ci@pve", "--token-id", "deploy",
        "--fingerprint", PIN, "--secret-stdin", input=SECRET + "\n",
    )  # fmt: skip
    assert code == 0, err
    s = resolve(GlobalOptions(context="ci"), env={})
    assert s.token == f"ci@pve!deploy={SECRET}"
    assert SECRET not in err


def test_context_names_complete(home: Path) -> None:
    from pvectl.cli.commands.config import _context_names

    assert _context_names("") == []
    write_config(home, LAB)
    assert _context_names("") == ["lab", "prod"]
    assert _context_names("p") == ["prod"]
    write_config(home, "broken = [")
    assert _context_names("") == []  # silent on a bad file


def test_verbose_sources_tell_flag_env_and_context_apart(home: Path) -> None:
    """-v names where each setting came from: the flag, its environment variable, or the context."""
    write_config(home, LAB)
    s = resolve(GlobalOptions(host="pve-other", fingerprint=None), env={"PVECTL_HOST": "pve-other"})
    assert s.sources["host"] == "env PVECTL_HOST"
    s = resolve(GlobalOptions(host="pve-other"), env={"PVECTL_HOST": "pve-elsewhere"})
    assert s.sources["host"] == "flag --host"  # the flag beat the variable
    s = resolve(GlobalOptions(), env={})
    assert s.sources["host"].startswith("context ")
