"""Connecting as a newcomer does (issue 28): a context's settings stay with its host; the README documents
every curated command and every PVECTL_* variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pvectl.cli.connection import resolve
from pvectl.cli.context import GlobalOptions
from pvectl.cli.examples import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PIN = ":".join(["AB"] * 32)


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'current-context = "lab"\n\n[contexts.lab]\nhost = "pve1.example.com"\nport = 8443\nuser = "root@pam"\n'
        f'token-id = "ci"\ntoken-secret = "s3cret"\nfingerprint = "{PIN}"\nnode = "pve1"\n'
    )
    path.chmod(0o600)
    monkeypatch.setenv("PVECTL_CONFIG", str(path))


def test_another_host_inherits_nothing_from_the_current_context(lab: None) -> None:
    other = resolve(GlobalOptions(host="10.0.0.9"), env={})
    assert (other.token, other.fingerprint, other.node, other.context, other.port) == (None, None, None, None, 8006)
    assert other.sources["context"] == "not applied: lab is for pve1.example.com, not 10.0.0.9"
    assert other.user is None


def test_the_context_host_named_again_keeps_the_context(lab: None) -> None:
    for host in ("pve1.example.com", "PVE1.example.com:8443", "https://pve1.example.com"):
        same = resolve(GlobalOptions(host=host), env={})
        assert same.token == "root@pam!ci=s3cret"
        assert (same.fingerprint, same.node, same.context, same.port) == (PIN, "pve1", "lab", 8443)


def test_verbose_says_where_every_setting_came_from(lab: None) -> None:
    settings = resolve(GlobalOptions(), env={"PVECTL_TOKEN_SECRET": "from-env"})
    assert settings.sources == {
        "host": "context lab",
        "port": "context lab",
        "user": "context lab",
        "token": "env PVECTL_TOKEN_SECRET",
        "fingerprint": "context lab",
        "node": "context lab",
    }
    flags = resolve(GlobalOptions(insecure=True), env={"PVECTL_PASSWORD": "pw"})
    assert (flags.sources["insecure"], flags.sources["password"]) == ("flag --insecure", "env PVECTL_PASSWORD")


def test_every_curated_command_is_in_the_readme() -> None:
    missing = [key for key in EXAMPLES if key and not re.search(rf"(pvectl (--sim )?|`){re.escape(key)}\b", README)]
    assert missing == []
    assert "task log UPID --follow" in README or "task log --follow" in README


def test_every_pvectl_variable_is_in_the_readme() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "pvectl").rglob("*.py") if "sdk/models" not in str(p)
    )
    used = set(re.findall(r"(?<![_A-Z])PVECTL_[A-Z_]+[A-Z]", code))
    assert {"PVECTL_HOST", "PVECTL_SIM_FAULTS", "PVECTL_DEBUG"} <= used
    undocumented = sorted(v for v in used if v not in README)
    assert undocumented == []


def test_a_connection_error_names_host_and_port(tmp_path: Path) -> None:
    import socket

    from pvectl.sdk import ProxmoxClient, TransportError

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ProxmoxClient(f"127.0.0.1:{port}", token="a@pam!x=y", check_version=False, retry_budget=0)
    with client, pytest.raises(TransportError, match=rf"GET /nodes: cannot reach 127\.0\.0\.1:{port}: "):
        client.request("GET", "/nodes", {})


def test_ctrl_c_at_a_password_prompt_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import typer
    from typer.testing import CliRunner

    from pvectl.cli import connection
    from pvectl.cli.app import app
    from pvectl.cli.errors import CliError

    def interrupted(*_args: object, **_kwargs: object) -> str:
        raise typer.Abort()  # what Click raises for Ctrl-C (and Ctrl-D) at a prompt

    monkeypatch.setattr(typer, "prompt", interrupted)
    with pytest.raises(CliError) as caught:
        connection.ask_hidden("Password for root@pam")
    assert caught.value.code == 130
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    result = CliRunner().invoke(app, ["--host", "127.0.0.1:9", "--user", "root@pam", "login"])
    assert result.exit_code == 130, result.output
    assert "Aborted!" not in result.output


def test_vm_console_with_a_token_uses_the_login_its_remedy_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pvectl.cli.attach import ticket_client
    from pvectl.config.tickets import store_ticket

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PVECTL_CONFIG", str(tmp_path / "none.toml"))
    options = GlobalOptions(host="pve.example.com", token="root@pam!ci=s3cret", fingerprint=PIN)
    # no login yet: the console keeps the token, and the node's qemu-server decides (refuse_token, issue 26 item 10)
    assert ticket_client(options) is None
    # what refuse_token's remedy (pvectl --user root@pam login) leaves behind: a ticket of root@pam, taken instead
    store_ticket(resolve(options, env={}).base_url, "root@pam", "PVE:root@pam:4EEC61E2::sig", "csrf")
    client = ticket_client(options)
    assert client is not None
    with client:
        assert client.auth is not None and not client.auth.uses_token
        assert getattr(client.auth, "user", None) == "root@pam"


def test_file_errors_speak_of_documents_files_and_mappings(tmp_path: Path) -> None:
    from pvectl.vm.diff import DocError, read_documents
    from pvectl.vm.guest import _agent_problem
    from pvectl.vm.vmfile import VmFileError, load

    with pytest.raises(DocError, match=r"^fleet.yaml: not valid YAML: line 2, column 1: ") as bad:
        read_documents("a: [\n", "fleet.yaml")
    assert "<unicode string>" not in str(bad.value)
    with pytest.raises(DocError, match="document 2: name web1 is already document 1 of the file"):
        read_documents("- name: web1\n- name: web1\n", "fleet.yaml")
    with pytest.raises(VmFileError) as nested:
        load({"general": "x"})
    assert str(nested.value) == "general: expected a mapping of keys to values"
    problem = _agent_problem("No QEMU guest agent configured", "pve1", 100)
    assert problem is not None and problem.remedy.startswith("pvectl vm set 100 --agent --reboot")
