"""``POST …/qemu/{vmid}/termproxy`` and ``GET …/qemu/{vmid}/vncwebsocket``: a VM's serial console.

As qemu-server PVE/API2/Qemu.pm does: termproxy answers ``{user, ticket, port, upid}`` and starts a
``vncproxy`` task (termproxy running ``qm terminal ID -escape 0 [-iface serialN]``); the ticket is a VNC
ticket for the calling user and ``/vms/ID`` (PVE::AccessControl::assemble_vnc_ticket), valid from 20 s
before to 40 s after it was made (verify_vnc_ticket). vncwebsocket checks it for the user of the request
(401 ``permission denied - invalid PVEVNC ticket``, pve-common PVE/Ticket.pm verify_rsa_ticket) and answers
the port; the server then turns the request into the websocket (pvectl.sim.websocket).

termproxy waits 10 s for its client and fails its task with "failed waiting for client: timed out"
(pve-xtermjs termproxy/src/main.rs listen_and_accept); a session's task ends when the session does.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any

from pvectl.sim import auth, tasks
from pvectl.sim.handlers.qemu import _vm
from pvectl.sim.routes import Ctx, State, route
from pvectl.sim.wire import ApiFail

ACCEPT_SECONDS = 10.0  # termproxy's listen_and_accept and read_ticket_line timeouts
SESSION_SECONDS = 24 * 3600.0  # a connected session's task runs until the session ends
FIRST_PORT, LAST_PORT = 5900, 5999  # PVE::Tools::next_vnc_port's range (vncwebsocket's port: 5900-5999)
_VNC = re.compile(r"PVEVNC:(?P<time>[0-9A-F]{8})::(?P<sig>\S+)")


def vnc_ticket(state: State, user: str, vmid: int, now: float) -> str:
    stamp = f"{int(now):08X}"
    return f"PVEVNC:{stamp}::{auth._sign(state, f'PVEVNC:{stamp}:{user}:/vms/{vmid}')}"


def check_vnc_ticket(state: State, ticket: str, user: str, vmid: int, now: float) -> bool:
    m = _VNC.fullmatch(ticket.strip())
    if not m or not hmac.compare_digest(auth._sign(state, f"PVEVNC:{m['time']}:{user}:/vms/{vmid}"), m["sig"]):
        return False
    return -20 < now - int(m["time"], 16) < 40


def _free_port(state: State, now: float) -> int:
    consoles = state.setdefault("consoles", {})
    for port, session in list(consoles.items()):  # sessions whose client never came
        if not session.get("connected") and now > session["created"] + ACCEPT_SECONDS:
            del consoles[port]
    used = {int(p) for p in consoles}
    port = next((p for p in range(FIRST_PORT, LAST_PORT + 1) if p not in used), None)
    if port is None:
        raise ApiFail(500, "unable to find free port")
    return port


@route("POST /nodes/{node}/qemu/{vmid}/termproxy")
def termproxy(ctx: Ctx) -> dict[str, Any]:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    serial = ctx.text("serial")
    if serial is None:  # Qemu.pm: the display's serial port when vga=serialN, else qm terminal's first one
        vga = str(vm["config"].get("vga", "")).split(",")[0]
        serial = vga if re.fullmatch(r"serial[0-3]", vga) else None
    port = _free_port(ctx.state, ctx.now)
    upid = ctx.task(
        ctx.path["node"],
        "vncproxy",
        str(vmid),
        seconds=ACCEPT_SECONDS,
        failure="failed waiting for client: timed out",
        log=[f"starting qemu termproxy (serial: {serial or 'first socket'})"],
    )
    ctx.state["consoles"][str(port)] = {
        "vmid": vmid,
        "node": ctx.path["node"],
        "serial": serial,
        "upid": upid,
        "created": ctx.now,
        "connected": False,
    }
    ctx.changed()
    return {"user": ctx.user, "ticket": vnc_ticket(ctx.state, ctx.user, vmid, ctx.now), "port": port, "upid": upid}


@route("GET /nodes/{node}/qemu/{vmid}/vncwebsocket")
def vncwebsocket(ctx: Ctx) -> dict[str, Any]:
    return websocket_answer(ctx, _vm)


def websocket_answer(ctx: Ctx, guest_of: Callable[[Ctx], Any]) -> dict[str, Any]:
    """The vncwebsocket upgrade's checks for either kind: a valid PVEVNC ticket for this guest, the guest there."""
    vmid = int(ctx.path["vmid"])
    if not check_vnc_ticket(ctx.state, ctx.text("vncticket") or "", ctx.user, vmid, ctx.now):
        raise ApiFail(401, "permission denied - invalid PVEVNC ticket")
    guest_of(ctx)
    return {"port": str(ctx.text("port"))}


def qm_terminal(state: State, session: dict[str, Any]) -> tuple[str, bool]:
    """What ``qm terminal ID -escape 0 [-iface serialN]`` prints first, and whether it goes on (qemu-server
    PVE/CLI/qm.pm ``terminal``: the interface checks, then the running check, then socat)."""
    if session.get("kind") == "lxc":
        from pvectl.sim.handlers.lxc import console_greeting

        return console_greeting(state, session)
    vmid, iface = int(session["vmid"]), session.get("serial")
    vm = state["vms"].get(str(vmid))
    config = vm["config"] if vm is not None else {}
    if iface:
        if not config.get(iface):
            return f"serial interface '{iface}' is not configured\n", False
        if config[iface] != "socket":
            return f"wrong serial type on interface '{iface}'\n", False
    else:
        iface = next((s for s in ("serial0", "serial1", "serial2", "serial3") if config.get(s) == "socket"), None)
        if iface is None:
            return "unable to find a serial interface\n", False
    if vm is None or vm["status"] != "running":
        return f"VM {vmid} not running\n", False
    return f"starting serial terminal on interface {iface}\n", True


def connect(state: State, port: int, now: float) -> dict[str, Any] | None:
    """The session waiting on ``port`` (marked connected, its task running on), or None."""
    session = state.get("consoles", {}).get(str(port))
    if session is None or session.get("connected") or now > session["created"] + ACCEPT_SECONDS:
        return None
    session["connected"] = True
    task = tasks.find(state, session["upid"])
    if task is not None and task["status"] == "running":
        task["ends"], task["failure"] = now + SESSION_SECONDS, None
    found: dict[str, Any] = session
    return found


def disconnect(state: State, port: int, now: float, failure: str | None = None) -> None:
    """End the session on ``port`` and its task."""
    session = state.get("consoles", {}).pop(str(port), None)
    if session is None:
        return
    task = tasks.find(state, session["upid"])
    if task is not None and task["status"] == "running":
        tasks.finish(state, task, now, failure)
