"""``/pools``: resource pools and their members."""

from __future__ import annotations

from typing import Any

from pvectl.sdk._core.formats import split_list
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail


def members(state: dict[str, Any], poolid: str) -> list[dict[str, Any]]:
    pool = state["pools"][poolid]
    out: list[dict[str, Any]] = []
    for vmid in pool["vms"]:
        vm = state["vms"].get(str(vmid))
        if vm is not None:
            out.append(
                {
                    "id": f"qemu/{vmid}",
                    "type": "qemu",
                    "vmid": vmid,
                    "node": vm["node"],
                    "name": vm["config"].get("name", ""),
                    "status": vm["status"],
                }
            )
    for storage in pool["storage"]:
        for node in state["nodes"]:
            out.append({"id": f"storage/{node}/{storage}", "type": "storage", "storage": storage, "node": node})
    return out


def pool_of(state: dict[str, Any], vmid: int) -> str | None:
    """The VM's pool: kept on the VM too (PVE's vmid -> pool map of user.cfg), so no scan of the pools."""
    vm = state["vms"].get(str(vmid))
    pool = vm.get("pool") if vm is not None else None
    return str(pool) if pool else None


def _get(ctx: Ctx, poolid: str) -> dict[str, Any]:
    pool = ctx.state["pools"].get(poolid)
    if pool is None:
        raise ApiFail(500, f"pool '{poolid}' does not exist")
    found: dict[str, Any] = pool
    return found


@route("GET /pools")
def list_pools(ctx: Ctx) -> list[dict[str, Any]]:
    wanted = ctx.text("poolid")
    if wanted is not None:
        _get(ctx, wanted)
    out = []
    for poolid, pool in sorted(ctx.state["pools"].items()):
        if wanted is None or poolid == wanted:
            entry = {"poolid": poolid, "comment": pool["comment"]}
            if wanted is not None:
                entry["members"] = members(ctx.state, poolid)
            out.append(entry)
    return out


@route("GET /pools/{poolid}")
def get_pool(ctx: Ctx) -> dict[str, Any]:
    pool = _get(ctx, ctx.path["poolid"])
    return {"comment": pool["comment"], "members": members(ctx.state, ctx.path["poolid"])}


@route("POST /pools")
def create_pool(ctx: Ctx) -> None:
    poolid = ctx.text("poolid") or ""
    if poolid in ctx.state["pools"]:
        raise ApiFail(500, f"create pool failed: pool '{poolid}' already exists")
    ctx.state["pools"][poolid] = {"comment": ctx.text("comment", ""), "vms": [], "storage": []}


@route("PUT /pools", "PUT /pools/{poolid}")
def update_pool(ctx: Ctx) -> None:
    poolid = ctx.text("poolid") or ""
    pool = _get(ctx, poolid)
    if "comment" in ctx.params:
        pool["comment"] = ctx.text("comment")
    remove = ctx.flag("delete")
    for vmid in (int(v) for v in split_list(ctx.text("vms") or "")):
        if str(vmid) not in ctx.state["vms"]:
            raise ApiFail(500, f"VM {vmid} does not exist")
        current = pool_of(ctx.state, vmid)
        vm = ctx.state["vms"][str(vmid)]
        if remove:
            if vmid in pool["vms"]:
                pool["vms"].remove(vmid)
                vm.pop("pool", None)
            continue
        if current not in (None, poolid):
            if not ctx.flag("allow-move"):
                raise ApiFail(500, f"VM {vmid} belongs already to pool '{current}' and allow-move is not set")
            ctx.state["pools"][current]["vms"].remove(vmid)
        if vmid not in pool["vms"]:
            pool["vms"].append(vmid)
        vm["pool"] = poolid
    for storage in split_list(ctx.text("storage") or ""):
        if storage not in ctx.state["storages"]:
            raise ApiFail(500, f"storage '{storage}' does not exist")
        if remove:
            if storage in pool["storage"]:
                pool["storage"].remove(storage)
        elif storage not in pool["storage"]:
            pool["storage"].append(storage)


@route("DELETE /pools", "DELETE /pools/{poolid}")
def delete_pool(ctx: Ctx) -> None:
    poolid = ctx.text("poolid") or ""
    pool = _get(ctx, poolid)
    if pool["vms"] or pool["storage"]:
        raise ApiFail(500, f"delete pool failed: pool '{poolid}' is not empty")
    del ctx.state["pools"][poolid]
