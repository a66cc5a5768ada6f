"""Messages and exit codes: no library wording, the credential actually used, next steps, did-you-mean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from tests.cli.conftest import MockPve, Result

RESOURCES = [
    {"type": "qemu", "vmid": 100, "name": "dns1", "node": "pve1", "status": "running"},
    {"type": "qemu", "vmid": 101, "name": "web1", "node": "pve2", "status": "running"},
    {"type": "qemu", "vmid": 105, "name": "web1", "node": "pve1", "status": "stopped"},
]


def test_a_bad_choice_has_no_library_wording(run: Callable[..., Result]) -> None:
    result = run("completion", "show", "tcsh")
    assert result.exit_code == 2
    assert "'tcsh' is not one of bash, zsh, fish" in result.stderr
    assert "Value error" not in result.stderr


def test_401_with_a_token_names_the_token(httpx_mock: HTTPXMock, run: Callable[..., Result]) -> None:
    httpx_mock.add_response(status_code=401, json={"data": None, "message": "authentication failure"})
    result = run("--host", "pve1", "--token", "ci@pve!deploy=0ddba11-5ecret", "--insecure", "vm", "list")
    assert result.exit_code == 3
    assert "API token ci@pve!deploy" in result.stderr
    assert "password" not in result.stderr and "0ddba11-5ecret" not in result.stderr


def test_401_with_a_password_names_the_user(httpx_mock: HTTPXMock, run: Callable[..., Result]) -> None:
    httpx_mock.add_response(status_code=401, json={"data": None, "message": "authentication failure"})
    env = {"PVECTL_PASSWORD": "hunter2-long"}
    result = run("--host", "pve1", "--user", "ops@pve", "--insecure", "vm", "list", env=env)
    assert result.exit_code == 3
    assert "login of ops@pve was refused: check the password" in result.stderr
    assert "token" not in result.stderr and "hunter2-long" not in result.stderr


def test_deleting_a_running_vm_says_to_stop_it_first(run: Callable[..., Result], pve: MockPve) -> None:
    pve.routes["GET /cluster/resources"] = RESOURCES
    # PVE 9.1.3 answers a DELETE of a running VM with 500 "VM 100 is running - destroy failed"
    pve.routes["DELETE /nodes/pve1/qemu/100"] = lambda _r: httpx.Response(
        500, json={"data": None, "message": "VM 100 is running - destroy failed\n"}
    )
    result = run("vm", "delete", "dns1", "--yes")  # the list says running: refused before anything is sent
    assert result.exit_code == 2
    assert "is running: PVE deletes only stopped VMs" in result.stderr
    assert "pvectl vm delete 100 --stop" in result.stderr
    assert not [r for r in pve.sent() if r.startswith("DELETE")]
    # the list said stopped, but it runs by now: PVE's 500 gets the hint
    pve.routes["GET /cluster/resources"] = [{**RESOURCES[0], "status": "stopped"}, *RESOURCES[1:]]
    result = run("vm", "delete", "dns1", "--yes")
    assert result.exit_code == 1
    assert "hint: stop it first: pvectl vm delete 100 --stop" in result.stderr  # the same remedy as above


def test_an_ambiguous_name_is_a_usage_error_listing_the_candidates(run: Callable[..., Result], pve: MockPve) -> None:
    pve.routes["GET /cluster/resources"] = RESOURCES
    result = run("vm", "show", "web1")
    assert result.exit_code == 2
    assert "101 on pve2" in result.stderr and "105 on pve1" in result.stderr
    assert [r for r in pve.sent() if not r.startswith("GET /cluster/resources")] == []


def test_did_you_mean_a_vm_name(run: Callable[..., Result], pve: MockPve) -> None:
    pve.routes["GET /cluster/resources"] = RESOURCES
    result = run("vm", "show", "dsn1")
    assert result.exit_code == 4
    assert "did you mean 'dns1'?" in result.stderr


def test_did_you_mean_an_api_path(run: Callable[..., Result], pve: MockPve) -> None:
    result = run("api", "get", "/nodes/pve1/qemuu")
    assert result.exit_code == 4
    assert "did you mean /nodes/pve1/qemu?" in result.stderr
    assert pve.sent() == ["GET /nodes/pve1/qemuu"]  # unknown paths are sent as given; the server's 404 decides


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(("vmm", "list"), "'vm'"), (("vm", "lsit"), "'list'"), (("api", "nodes", "qemuu"), "'qemu'")],
    ids=["root", "curated", "generated"],
)
def test_did_you_mean_a_command(run: Callable[..., Result], args: tuple[str, ...], suggestion: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert f"Did you mean {suggestion}?" in result.stderr


def test_api_commands_use_the_contexts_default_node(run: Callable[..., Result], pve: MockPve, tmp_path: Path) -> None:
    env = {"PVECTL_CONFIG": str(tmp_path / "config.toml")}
    assert run("config", "set", "lab", "host=pve1.example.com", "node=pve2", env=env).exit_code == 0
    pve.routes["GET /nodes/pve2/qemu"] = [{"vmid": 101, "name": "web1", "status": "running"}]
    result = run("api", "nodes", "qemu", "list", "-v", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    assert result.json()[0]["vmid"] == 101
    assert "using node pve2 from context lab" in result.stderr
    explicit = run("api", "nodes", "qemu", "list", "--node", "pve2", "-o", "json", env=env)
    assert explicit.exit_code == 0 and "using node" not in explicit.stderr


def test_api_command_without_node_or_context_node_names_the_option(run: Callable[..., Result], pve: MockPve) -> None:
    result = run("api", "nodes", "qemu", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --node: missing")
    assert pve.requests == []
