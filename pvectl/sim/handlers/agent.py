"""``/nodes/{node}/qemu/{vmid}/agent/*``: a QEMU guest agent for running VMs with ``agent: 1``.

The agent answers ``BOOT_SECONDS`` after the VM started and reports an address ``IP_SECONDS`` after it (DHCP
takes a moment). ``exec`` knows a few commands (``echo``, ``hostname``, ``cat /etc/os-release``, ``true``,
``false``, ``exit N``, ``sh -c 'exit N'``, ``sh`` reading such lines) and reads ``input-data`` for ``cat``.
Errors are qemu-server's (PVE::QemuServer::Agent ``assert_agent_available``/``agent_cmd``; the guest's own error
for a disabled ``guest-exec`` is passed through prefixed with "Agent error: ").
"""

from __future__ import annotations

import shlex
from typing import Any

from pvectl.sim.handlers.qemu import _vm
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail

BOOT_SECONDS = 2.0
IP_SECONDS = 4.0
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'


def _enabled(value: Any) -> bool:
    """pve-qm-agent's ``enabled`` (its default key: ``1`` means ``enabled=1``)."""
    for item in str(value).split(","):
        key, _, val = item.rpartition("=")
        if key in ("", "enabled"):
            return val in ("1", "on", "yes", "true")
    return False


def _agent(ctx: Ctx, command: str) -> tuple[dict[str, Any], int]:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    # qemu-server src/PVE/QemuServer/Agent.pm assert_agent_available: only a missing ``agent`` key is "not
    # configured"; ``agent: 0`` starts QEMU without the agent's socket, so qga_check_running says "not running".
    if "agent" not in vm["config"]:
        raise ApiFail(500, "No QEMU guest agent configured")
    if vm["status"] != "running":
        raise ApiFail(500, f"VM {vmid} is not running")
    if not _enabled(vm["config"]["agent"]):
        raise ApiFail(500, "QEMU guest agent is not running")
    fault = ctx.faults.guest_agent(vmid)
    if fault == "down" or ctx.now - float(vm.get("started", 0)) < BOOT_SECONDS:
        raise ApiFail(500, f"VM {vmid} qmp command '{command}' failed - got timeout")
    if fault == "no-exec" and command == "guest-exec":
        raise ApiFail(500, "Agent error: The command guest-exec has been disabled for this instance")
    return vm, vmid


@route("POST /nodes/{node}/qemu/{vmid}/agent/ping")
def ping(ctx: Ctx) -> dict[str, Any]:
    _agent(ctx, "guest-ping")
    return {"result": {}}


@route("GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces")
def interfaces(ctx: Ctx) -> dict[str, Any]:
    vm, vmid = _agent(ctx, "guest-network-get-interfaces")
    lo = {
        "name": "lo",
        "hardware-address": "00:00:00:00:00:00",
        "ip-addresses": [
            {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8},
            {"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128},
        ],
    }
    mac = "BC:24:11:00:00:01"
    for part in str(vm["config"].get("net0", "")).split(","):
        if "=" in part and part.count(":") == 5:
            mac = part.split("=", 1)[1]
    addresses = [{"ip-address": "fe80::be24:11ff:fe00:1", "ip-address-type": "ipv6", "prefix": 64}]
    if ctx.now - float(vm.get("started", 0)) >= IP_SECONDS:
        addresses = [
            {"ip-address": f"192.0.2.{vmid % 250 + 2}", "ip-address-type": "ipv4", "prefix": 24},
            {"ip-address": f"2001:db8::{vmid:x}", "ip-address-type": "ipv6", "prefix": 64},
            *addresses,
        ]
    eth = {"name": "eth0", "hardware-address": mac.lower(), "ip-addresses": addresses}
    return {"result": [lo, eth]}


def _run(argv: list[str], stdin: str, hostname: str) -> tuple[int, str, str]:
    if argv[:2] == ["sh", "-c"] and len(argv) == 3:
        argv = shlex.split(argv[2])
    name, args = (argv[0], argv[1:]) if argv else ("", [])
    if name == "echo":
        return 0, " ".join(args) + "\n", ""
    if name == "hostname":
        return 0, hostname + "\n", ""
    if name == "true":
        return 0, "", ""
    if name == "false":
        return 1, "", ""
    if name == "exit" and len(args) == 1 and args[0].isdigit():
        return int(args[0]) % 256, "", ""
    if name == "cat" and args == ["/etc/os-release"]:
        return 0, OS_RELEASE, ""
    if name == "cat" and not args:
        return 0, stdin, ""
    if name == "cat":
        return 1, "", f"cat: {args[0]}: No such file or directory\n"
    if name == "sh" and not args:  # a script on standard input: its lines, one after the other
        code, out, err = 0, "", ""
        for line in filter(None, (raw.strip() for raw in stdin.splitlines())):
            code, more_out, more_err = _run(shlex.split(line), "", hostname)
            out, err = out + more_out, err + more_err
        return code, out, err
    return 127, "", f"sh: 1: {name}: not found\n"


@route("POST /nodes/{node}/qemu/{vmid}/agent/exec")
def exec_(ctx: Ctx) -> dict[str, Any]:
    vm, vmid = _agent(ctx, "guest-exec")
    raw = ctx.params.get("command") or []
    argv = [str(a) for a in (raw if isinstance(raw, list) else [raw])]
    code, out, err = _run(argv, ctx.text("input-data") or "", str(vm["config"].get("name", f"vm{vmid}")))
    runs = vm.setdefault("exec", {})
    pid = 1000 + len(runs)
    runs[str(pid)] = {"exitcode": code, "out": out, "err": err, "ends": ctx.now + 0.5}
    ctx.changed()
    return {"pid": pid}


@route("GET /nodes/{node}/qemu/{vmid}/agent/exec-status")
def exec_status(ctx: Ctx) -> dict[str, Any]:
    vm, _ = _agent(ctx, "guest-exec-status")
    run = vm.get("exec", {}).get(str(ctx.text("pid")))
    if run is None:
        raise ApiFail(500, "Agent error: Invalid parameter 'pid'")
    if ctx.now < run["ends"]:
        return {"exited": 0}
    out: dict[str, Any] = {"exited": 1, "exitcode": run["exitcode"]}
    for key, field in (("out", "out-data"), ("err", "err-data")):
        if run[key]:
            out[field] = run[key]
    return out
