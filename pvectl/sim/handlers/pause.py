"""``POST /nodes/{node}/qemu/{vmid}/status/suspend|resume``: pause and continue a running VM.

A paused VM stays ``running`` in ``status/current`` (the QEMU process lives), whose ``qmpstatus`` says
``paused`` (qemu-server vmstatus); ``/cluster/resources`` shows ``paused`` (pvestatd stores the QMP status).
Both need a running VM (qemu-server vm_suspend/vm_resume: "VM N not running"); resume of a VM that is not paused
changes nothing.
"""

from __future__ import annotations

from pvectl.sim.handlers.qemu import _check_lock, _vm
from pvectl.sim.routes import Ctx, route


def _pause(ctx: Ctx, ttype: str, paused: bool) -> str:
    vm = _vm(ctx)
    vmid = int(ctx.path["vmid"])
    _check_lock(ctx, vm)
    failure = None if vm["status"] == "running" else f"VM {vmid} not running"
    effect = {"op": "pause", "vmid": vmid, "paused": paused}
    return ctx.task(vm["node"], ttype, str(vmid), failure=failure, on_ok=[effect])


@route("POST /nodes/{node}/qemu/{vmid}/status/suspend")
def suspend(ctx: Ctx) -> str:
    return _pause(ctx, "qmsuspend", True)


@route("POST /nodes/{node}/qemu/{vmid}/status/resume")
def resume(ctx: Ctx) -> str:
    return _pause(ctx, "qmresume", False)
