"""PVE's terminal protocol against the simulator's vncwebsocket over real HTTPS (pinned, password login)."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from pvectl.console import protocol
from pvectl.console.connect import ConsoleError, login, open_ticket, open_websocket, refuse_token
from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.server import RunningServer
from tests.console.wire import NODE, attach, log_in, read_until


def _task(client: ProxmoxClient, upid: str) -> dict[str, object]:
    status: dict[str, object] = client.request("GET", f"/nodes/{NODE}/tasks/{upid}/status")
    return status


def test_login_prompt_echo_and_hidden_password(client: ProxmoxClient) -> None:
    with attach(client) as (ws, ticket, first):
        assert ticket.user == "root@pam" and 5900 <= ticket.port <= 5999
        banner = read_until(ws, b"login: ", first)
        assert b"Debian GNU/Linux 12 dns1 ttyS0" in banner
        ws.send(next(protocol.data(b"root\r")))
        assert read_until(ws, b"Password: ").startswith(b"root\r\n")
        ws.send(next(protocol.data(b"hunter2\r")))
        shell = read_until(ws, b"root@dns1:~# ")
        assert b"hunter2" not in shell
        ws.send(next(protocol.data(b"echo hi there\r")))
        assert read_until(ws, b"# ") == b"echo hi there\r\nhi there\r\nroot@dns1:~# "


def test_messages_may_span_frames_and_keepalives_are_ignored(client: ProxmoxClient) -> None:
    with attach(client) as (ws, _, first):
        log_in(ws, first)
        for piece in (b"0:8:host", b"name", protocol.PING, b"0:1:\r"):
            ws.send(piece)
        assert read_until(ws, b"# ") == b"hostname\r\ndns1\r\nroot@dns1:~# "


def test_resize_frame_sets_the_terminal_size(client: ProxmoxClient) -> None:
    with attach(client) as (ws, _, first):
        log_in(ws, first)
        ws.send(next(protocol.data(b"stty size\r")))
        assert b"\r\n20 80\r\n" in read_until(ws, b"# ")  # termproxy's pty starts at 80x20
        ws.send(protocol.resize(132, 43))
        ws.send(next(protocol.data(b"stty size\r")))
        assert b"\r\n43 132\r\n" in read_until(ws, b"# ")


def test_server_closing_ends_the_connection_and_its_task(client: ProxmoxClient) -> None:
    with attach(client) as (ws, ticket, first), pytest.raises(ConnectionClosed) as closed:
        log_in(ws, first)
        assert _task(client, ticket.upid)["status"] == "running"
        ws.send(next(protocol.data(b"exit\r")))
        read_until(ws, b"logout\r\n")
        while True:
            ws.recv(timeout=10)
    assert closed.value.rcvd is None  # like pveproxy: the connection ends without a close frame
    status = _task(client, ticket.upid)
    assert (status["status"], status["exitstatus"]) == ("stopped", "OK")


def test_client_close_ends_the_task(client: ProxmoxClient) -> None:
    with attach(client) as (ws, ticket, first):
        read_until(ws, b"login: ", first)
    deadline = time.monotonic() + 30  # a budget, not a delay: four workers on two cores took over 5 s once
    while _task(client, ticket.upid)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _task(client, ticket.upid)["exitstatus"] == "OK"


def test_console_fault_refuses_the_login_line(client: ProxmoxClient, sim: Simulator) -> None:
    sim.inject("console:vmid=100")
    ticket = open_ticket(client, NODE, 100, "serial0")
    with open_websocket(client, NODE, 100, ticket) as ws, pytest.raises(ConsoleError) as refused:
        login(ws, ticket, 100)
    assert refused.value.kind == "auth"
    assert ticket.upid in refused.value.remedy
    status = _task(client, ticket.upid)
    assert status["status"] == "stopped"
    assert "invalid authentication" in str(status["exitstatus"])


def test_a_wrong_vnc_ticket_is_refused_at_the_upgrade(client: ProxmoxClient) -> None:
    ticket = open_ticket(client, NODE, 100, "serial0")
    forged = type(ticket)(ticket.user, ticket.ticket[:-4] + "AAAA", ticket.port, ticket.upid)
    with pytest.raises(ConsoleError) as refused:
        open_websocket(client, NODE, 100, forged)
    assert refused.value.kind == "auth"
    assert "401 permission denied - invalid PVEVNC ticket" in str(refused.value)
    assert forged.ticket not in str(refused.value)


def test_a_ticket_for_another_vm_is_refused(client: ProxmoxClient) -> None:
    ticket = open_ticket(client, NODE, 100, "serial0")
    with pytest.raises(ConsoleError, match="401"):
        open_websocket(client, "pve2", 101, ticket)


def test_tokens_are_refused_before_sending_and_by_termproxy(token_client: ProxmoxClient, sim: Simulator) -> None:
    with sim.store.transaction(write=True) as txn:  # qemu-server before 9.1.7: termproxy checks /access/ticket
        txn.state["packages"] = {"qemu-server": "9.1.6"}
        txn.changed()
    with pytest.raises(ConsoleError) as early:
        refuse_token(token_client, NODE)
    assert early.value.kind == "auth" and "password" in early.value.remedy
    # what happens on PVE when a client tries anyway: the websocket opens, the login line is refused
    ticket = open_ticket(token_client, NODE, 100, "serial0")
    assert "!" in ticket.user
    with open_websocket(token_client, NODE, 100, ticket) as ws, pytest.raises(ConsoleError):
        login(ws, ticket, 100)
    log = token_client.request("GET", f"/nodes/{NODE}/tasks/{ticket.upid}/log")
    assert any("does not look like a valid user name" in line["t"] for line in log)


def test_a_wrong_pin_stops_before_anything_is_sent(
    client: ProxmoxClient, server: RunningServer, sim: Simulator
) -> None:
    ticket = open_ticket(client, NODE, 100, "serial0")
    pinned_elsewhere = ProxmoxClient(
        base_url=client.base_url, user="root@pam", password="x", fingerprint=":".join(["AB"] * 32)
    )
    with pytest.raises(ConsoleError) as mismatch:
        open_websocket(pinned_elsewhere, NODE, 100, ticket)
    assert mismatch.value.kind == "connection" and "does not match the pinned" in str(mismatch.value)
    assert sim.store.snapshot()["consoles"][str(ticket.port)]["connected"] is False


def test_nobody_listening_on_the_port_drops_the_connection(client: ProxmoxClient) -> None:
    ticket = open_ticket(client, NODE, 100, "serial0")
    with attach(client):  # another session on another port
        pass
    with open_websocket(client, NODE, 100, ticket):
        pass
    with pytest.raises(ConsoleError) as again:  # termproxy takes one client per port
        open_websocket(client, NODE, 100, ticket)
    assert again.value.kind == "connection"


@pytest.mark.parametrize(
    ("serial0", "said"),
    [("socket", b"VM 102 not running\r\n"), ("/dev/ttyS0", b"wrong serial type on interface 'serial0'\r\n")],
)
def test_qm_terminal_failing_after_ok_closes_the_connection(
    client: ProxmoxClient, sim: Simulator, serial0: str, said: bytes
) -> None:
    with sim.store.transaction(write=True) as txn:  # VM 102 is stopped
        txn.state["vms"]["102"]["config"]["serial0"] = serial0
        txn.changed()
    ticket = open_ticket(client, "pve2", 102, "serial0")
    with open_websocket(client, "pve2", 102, ticket) as ws, pytest.raises(ConnectionClosed):
        seen = login(ws, ticket, 102)
        while True:
            seen = read_until(ws, said, seen)
            ws.recv(timeout=10)
    assert seen == said
