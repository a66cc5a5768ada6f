"""``pvectl vm console`` in fresh processes with stdin a pipe: the session, the refusals and their remedies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pvectl.sim.core import Simulator
from pvectl.sim.paths import STATE_FILE
from pvectl.sim.server import RunningServer
from pvectl.sim.store import Store
from pvectl.sim.tls import CertFiles
from tests.console.test_pty import ROOT
from tests.faults.concurrent import base_env


def run(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pvectl", *args], input=stdin, env=env, cwd=ROOT, capture_output=True, timeout=60
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = base_env(tmp_path_factory.mktemp("console-cli"))
    assert run(env, "--sim", "vm", "serial-console", "enable", "dns1").returncode == 0
    assert run(env, "--sim", "vm", "reboot", "dns1").returncode == 0  # the new serial port goes live
    return env


def test_piped_session_logs_in_and_ends_when_the_server_closes(env: dict[str, str]) -> None:
    done = run(env, "-vv", "--sim", "vm", "console", "dns1", stdin=b"root\nhunter2\nhostname\nexit\n")
    assert done.returncode == 0, done.stderr
    assert b"root@dns1:~# hostname\r\ndns1\r\n" in done.stdout
    assert b"hunter2" not in done.stdout
    assert b"closed by the server" in done.stderr
    assert b"/termproxy" in done.stderr  # the -vv traces of the call that answers the ticket ...
    assert b"/vncwebsocket?port=59" in done.stderr  # ... and of the one that sends it ...
    assert b"PVEVNC:" not in done.stderr and b"PVEAuthCookie=***" in done.stderr  # ... show no ticket


def test_a_stopped_vm_gets_the_start_command(env: dict[str, str]) -> None:
    done = run(env, "--sim", "vm", "console", "102")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "error: VM 102 is not running; start it first",
        "  remedy: pvectl vm start 102",
    ]


def test_a_vm_without_serial_port_gets_the_remedy(env: dict[str, str]) -> None:
    done = run(env, "--sim", "vm", "console", "web1")
    assert done.returncode == 1
    assert b"VM 101 has no serial console" in done.stderr
    assert b"remedy: pvectl vm serial-console enable 101" in done.stderr


def test_bad_serial_is_a_usage_error(env: dict[str, str]) -> None:
    done = run(env, "--sim", "vm", "console", "100", "--serial", "serial7")
    assert done.returncode == 2
    assert done.stderr.startswith(b"error: --serial: must be serial0")


def test_console_fault_is_an_auth_failure(env: dict[str, str]) -> None:
    done = run({**env, "PVECTL_SIM_FAULTS": "console:vmid=100"}, "--sim", "vm", "console", "100")
    assert done.returncode == 3
    assert b"refused the login" in done.stderr and b"pvectl task log UPID:" in done.stderr


def test_an_api_token_is_refused_before_anything_is_sent(
    tmp_path: Path, server: RunningServer, cert: CertFiles, sim: Simulator, token: str
) -> None:
    with sim.store.transaction(write=True) as txn:  # a node before qemu-server 9.1.7: termproxy refuses tokens
        txn.state["packages"] = {"qemu-server": "9.1.6"}
        txn.changed()
    env = {**base_env(tmp_path), "PVECTL_TOKEN": token, "PVECTL_FINGERPRINT": cert.fingerprint}
    before = len(sim.store.snapshot()["tasks"])
    done = run(env, "--host", server.base_url, "vm", "console", "100")
    assert done.returncode == 3
    assert b"needs qemu-server 9.1.7 or newer" in done.stderr and b"log in with a password" in done.stderr
    assert token.partition("=")[2].encode() not in done.stderr
    assert len(sim.store.snapshot()["tasks"]) == before


def test_create_with_console_starts_and_attaches(env: dict[str, str]) -> None:
    done = run(env, "--sim", "vm", "create", "--node", "pve1", "--name", "con1", "--console", stdin=b"root\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"VM ") and b"created on pve1" in done.stdout
    assert b"Debian GNU/Linux 12 con1 ttyS0" in done.stdout and b"con1 login: root\r\nPassword: " in done.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["-o", "json"], b"--console: not with -o json/yaml"), (["--no-serial-console"], b"would get no serial port")],
)
def test_create_console_refusals_send_nothing(env: dict[str, str], extra: list[str], message: bytes) -> None:
    done = run(env, "--sim", "vm", "create", "--node", "pve1", "--name", "never", "--console", *extra)
    assert done.returncode == 2
    assert message in done.stderr
    state = Store(Path(env["PVECTL_SIM_STATE_DIR"]) / STATE_FILE).snapshot()
    assert "never" not in {vm["config"].get("name") for vm in state["vms"].values()}
