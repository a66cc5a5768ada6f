"""Item 10: the console with API tokens.

PVE: qemu-server src/PVE/API2/Qemu.pm ``termproxy`` runs termproxy with ``--vncticket-endpoint`` since 9.1.7
(commit c9ee34b5), so the login line is checked at ``POST /access/vncticket``, which accepts token ids since
pve-access-control 9.0.4 ("allow token-owned VNC ticket verification"). Before, ``POST /access/ticket`` refuses
them (pve-access-control src/PVE/API2/AccessControl.pm). pvectl refuses a token up front only on such nodes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pvectl.console.connect import ConsoleError, login, open_ticket, open_websocket, refuse_token
from pvectl.sdk import ProxmoxClient
from pvectl.sdk._core.auth import TokenAuth
from pvectl.sim.core import Simulator
from pvectl.sim.server import RunningServer
from pvectl.sim.tls import CertFiles
from tests.console.conftest import cert, clock, password, server, sim, state_dir, token, token_client
from tests.console.test_cli import run
from tests.console.wire import NODE
from tests.faults.concurrent import base_env

# the console tests' fixtures: a real HTTPS simulator on 127.0.0.1 with VM 100 running on serial0
__all__ = ["cert", "clock", "password", "server", "sim", "state_dir", "token", "token_client"]


def _qemu_server(sim: Simulator, version: str) -> None:
    with sim.store.transaction(write=True) as txn:
        txn.state["packages"] = {"qemu-server": version}
        txn.changed()


def test_a_token_logs_in_where_termproxy_asks_vncticket(token_client: ProxmoxClient, sim: Simulator) -> None:
    _qemu_server(sim, "9.1.7")
    refuse_token(token_client, NODE)  # not refused
    ticket = open_ticket(token_client, NODE, 100, "serial0")
    with open_websocket(token_client, NODE, 100, ticket) as ws:
        login(ws, ticket, 100)  # OK from termproxy


def test_a_token_is_refused_up_front_on_older_nodes(token_client: ProxmoxClient, sim: Simulator) -> None:
    _qemu_server(sim, "9.1.6")
    with pytest.raises(ConsoleError) as caught:
        refuse_token(token_client, NODE)
    assert "9.1.7" in str(caught.value)
    # the remedy works as written: it names the token's user, whose cached ticket vm console then takes
    user = token_client.auth.user if isinstance(token_client.auth, TokenAuth) else "?"
    assert f"pvectl --user {user} login" in caught.value.remedy


def _pve_container(sim: Simulator, version: str) -> None:
    with sim.store.transaction(write=True) as txn:
        txn.state["packages"] = {"pve-container": version}
        txn.changed()


def test_a_container_console_asks_pve_container(token_client: ProxmoxClient, sim: Simulator) -> None:
    # pve-container src/PVE/API2/LXC.pm termproxy: --vncticket-endpoint since 6.1.3 (commit 45d994c)
    _pve_container(sim, "6.1.3")
    refuse_token(token_client, NODE, "lxc")  # not refused
    ticket = open_ticket(token_client, NODE, 190, None, kind="lxc")
    with open_websocket(token_client, NODE, 190, ticket, kind="lxc") as ws:
        login(ws, ticket, 190)
    _pve_container(sim, "6.1.2")
    with pytest.raises(ConsoleError) as caught:
        refuse_token(token_client, NODE, "lxc")
    assert "ct console with an API token needs pve-container 6.1.3" in str(caught.value)
    ticket = open_ticket(token_client, NODE, 190, None, kind="lxc")
    with open_websocket(token_client, NODE, 190, ticket, kind="lxc") as ws, pytest.raises(ConsoleError):
        login(ws, ticket, 190)  # the simulator's older termproxy refuses the token too


@pytest.mark.parametrize(
    ("package", "version", "args", "said"),
    [
        (
            "qemu-server",
            "9.1.6",
            ("vm", "create", "--node", "pve1", "--name", "con9", "--console"),
            b"qemu-server 9.1.7",
        ),
        ("pve-container", "6.1.2", ("ct", "console", "190"), b"pve-container 6.1.3"),
    ],
)
def test_the_command_line_refuses_before_anything_is_written(
    tmp_path: Path,
    server: RunningServer,
    cert: CertFiles,
    sim: Simulator,
    token: str,
    package: str,
    version: str,
    args: tuple[str, ...],
    said: bytes,
) -> None:
    # vm create --console asks the node it will create on (no VM made only to fail at the console); ct console
    # asks the container's node
    with sim.store.transaction(write=True) as txn:
        txn.state["packages"] = {package: version}
        txn.changed()
    env = {**base_env(tmp_path), "PVECTL_TOKEN": token, "PVECTL_FINGERPRINT": cert.fingerprint}
    before = len(sim.store.snapshot()["tasks"])
    done = run(env, "--host", server.base_url, *args)
    assert done.returncode == 3, done.stderr
    assert said + b" or newer on pve1" in done.stderr and b"log in with a password" in done.stderr
    assert len(sim.store.snapshot()["tasks"]) == before and "con9" not in str(sim.store.snapshot()["vms"])
