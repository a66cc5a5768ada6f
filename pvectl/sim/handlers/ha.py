"""``/cluster/ha/resources``: HA-managed guests."""

from __future__ import annotations

from typing import Any

from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail

FIELDS = ("state", "comment", "group", "max_restart", "max_relocate", "failback")


def normalise_sid(sid: str) -> str:
    # PVE accepts a bare VMID and means vm:<id>.
    return f"vm:{sid}" if sid.isdigit() else sid


def managed(state: dict[str, Any], sid: str) -> bool:
    """pve-ha-manager src/PVE/HA/Config.pm ``$service_check_ha_state`` (vm_is_ha_managed/service_is_ha_managed):
    a resource in state ``ignored`` behaves as if HA did not manage it."""
    entry = state["ha"].get(sid)
    return entry is not None and entry.get("state") != "ignored"


def _entry(sid: str, entry: dict[str, Any]) -> dict[str, Any]:
    kind = sid.split(":", 1)[0]
    return {"sid": sid, "type": kind, "digest": "0" * 40, **{k: entry[k] for k in FIELDS if k in entry}}


@route("GET /cluster/ha/resources")
def list_resources(ctx: Ctx) -> list[dict[str, Any]]:
    kind = ctx.text("type")
    return [_entry(sid, e) for sid, e in sorted(ctx.state["ha"].items()) if kind in (None, sid.split(":", 1)[0])]


def _get(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    sid = normalise_sid(ctx.path["sid"])
    entry = ctx.state["ha"].get(sid)
    if entry is None:
        raise ApiFail(500, f"no such resource '{sid}'")
    found: dict[str, Any] = entry
    return sid, found


@route("GET /cluster/ha/resources/{sid}")
def get_resource(ctx: Ctx) -> dict[str, Any]:
    sid, entry = _get(ctx)
    return _entry(sid, entry)


@route("POST /cluster/ha/resources")
def create_resource(ctx: Ctx) -> None:
    sid = normalise_sid(ctx.text("sid") or "")
    kind, _, vmid = sid.partition(":")
    if kind not in ("vm", "ct") or not vmid.isdigit():
        raise param_fail({"sid": f"unable to parse service id '{sid}'"})
    if sid in ctx.state["ha"]:
        raise ApiFail(500, f"resource ID '{sid}' already defined")
    if vmid not in ctx.state["vms"]:
        raise ApiFail(500, f"no such VM '{vmid}'")
    entry: dict[str, Any] = {"type": kind, "state": ctx.text("state", "started")}
    for key in FIELDS[1:]:
        if key in ctx.params:
            entry[key] = ctx.text(key)
    ctx.state["ha"][sid] = entry
    if entry["state"] == "started":
        ctx.state["vms"][vmid]["status"] = "running"
        ctx.state["vms"][vmid]["started"] = int(ctx.now)


@route("PUT /cluster/ha/resources/{sid}")
def update_resource(ctx: Ctx) -> None:
    _, entry = _get(ctx)
    for key in (ctx.text("delete") or "").split(","):
        entry.pop(key.strip(), None)
    for key in FIELDS:
        if key in ctx.params:
            entry[key] = ctx.text(key)


@route("DELETE /cluster/ha/resources/{sid}")
def delete_resource(ctx: Ctx) -> None:
    sid, _ = _get(ctx)
    del ctx.state["ha"][sid]
