"""Storage: the cluster's storage configuration, per-node storage status and content (ISOs, disks)."""

from __future__ import annotations

from typing import Any

from pvectl.sim import volumes
from pvectl.sim.handlers.cluster import storage_usage, storages_on
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail


def _config(sid: str, st: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"storage": sid, "type": st["type"], "content": ",".join(st["content"]), "digest": "0" * 40}
    if st["shared"]:
        out["shared"] = 1
    if st.get("nodes"):
        out["nodes"] = ",".join(st["nodes"])
    if st.get("prune-backups"):
        out["prune-backups"] = st["prune-backups"]
    return out


@route("GET /storage")
def list_storage(ctx: Ctx) -> list[dict[str, Any]]:
    kind = ctx.text("type")
    return [_config(sid, st) for sid, st in ctx.state["storages"].items() if kind in (None, st["type"])]


@route("GET /storage/{storage}")
def get_storage(ctx: Ctx) -> dict[str, Any]:
    sid = ctx.path["storage"]
    st = ctx.state["storages"].get(sid)
    if st is None:
        raise ApiFail(500, f"storage '{sid}' does not exist")
    return _config(sid, st)


def node_storage(ctx: Ctx, sid: str, node: str) -> dict[str, Any]:
    st = ctx.state["storages"][sid]
    used = storage_usage(ctx, sid, node)
    return {
        "storage": sid,
        "type": st["type"],
        "content": ",".join(st["content"]),
        "active": 1,
        "enabled": 1,
        "shared": int(st["shared"]),
        "total": st["total"],
        "used": used,
        "avail": st["total"] - used,
        "used_fraction": used / st["total"] if st["total"] else 0.0,
    }


@route("GET /nodes/{node}/storage")
def list_node_storage(ctx: Ctx) -> list[dict[str, Any]]:
    node = ctx.path["node"]
    content = {c for c in (ctx.text("content") or "").replace(";", ",").split(",") if c}
    only, fmt = ctx.text("storage"), ctx.text("format")
    out = []
    for sid in storages_on(ctx.state, node):
        st = ctx.state["storages"][sid]
        if (content and not content & set(st["content"])) or only not in (None, sid):
            continue
        entry = node_storage(ctx, sid, node)
        if fmt == "1":
            entry["formats"] = {"default": st["formats"][0], "supported": st["formats"]}
        out.append(entry)
    return out


def _storage(ctx: Ctx) -> str:
    sid, node = ctx.path["storage"], ctx.path["node"]
    if sid not in ctx.state["storages"]:
        raise ApiFail(500, f"storage '{sid}' does not exist")
    if sid not in storages_on(ctx.state, node):
        raise ApiFail(500, f"storage '{sid}' is not available on node '{node}'")
    return sid


@route("GET /nodes/{node}/storage/{storage}/status")
def storage_status(ctx: Ctx) -> dict[str, Any]:
    return node_storage(ctx, _storage(ctx), ctx.path["node"])


def _content_entry(vol: dict[str, Any]) -> dict[str, Any]:
    out = {k: vol[k] for k in ("volid", "content", "format", "size", "ctime")}
    if vol["content"] == "backup":
        # pve-storage Plugin.pm get_subdir_files: subtype, vmid, notes (first line of .notes), protected
        out.update({k: vol[k] for k in ("subtype", "vmid") if vol.get(k) is not None})
        if vol.get("notes"):
            out["notes"] = vol["notes"].split("\n", 1)[0]
        if vol.get("protected"):
            out["protected"] = 1
        return out
    if vol.get("vmid") is not None:
        out["vmid"] = vol["vmid"]
        out["used"] = 0
    return out


@route("GET /nodes/{node}/storage/{storage}/content")
def content(ctx: Ctx) -> list[dict[str, Any]]:
    sid, node = _storage(ctx), ctx.path["node"]
    kind, vmid = ctx.text("content"), ctx.number("vmid")
    return [
        _content_entry(v)
        for v in volumes.visible(ctx.state, sid, node)
        if kind in (None, v["content"]) and vmid in (None, v.get("vmid"))
    ]


@route("GET /nodes/{node}/storage/{storage}/content/{volume}")
def volume(ctx: Ctx) -> dict[str, Any]:
    sid, node, volume = _storage(ctx), ctx.path["node"], ctx.path["volume"]
    volid = volume if ":" in volume else f"{sid}:{volume}"
    v = volumes.find(ctx.state, volid, node)
    if v is None:
        raise ApiFail(500, f"volume '{volid}' does not exist")
    out = {"path": f"/mnt/pve/{sid}/{volid.split(':', 1)[1]}", "size": v["size"], "format": v["format"]}
    if v["content"] == "backup":  # Content.pm info: notes and protected of backups
        out["notes"] = v.get("notes", "")
        out["protected"] = 1 if v.get("protected") else 0
    return out


@route("POST /nodes/{node}/storage/{storage}/download-url")
def download_url(ctx: Ctx) -> str:
    """Nothing is fetched: the task adds the file to the storage when it ends (the simulator has no network)."""
    sid, node = _storage(ctx), ctx.path["node"]
    st = ctx.state["storages"][sid]
    content, filename = ctx.text("content") or "iso", ctx.text("filename") or ""
    if content not in st["content"]:
        raise ApiFail(500, f"storage '{sid}' is not configured for content-type '{content}'")
    volid = f"{sid}:{content}/{filename}"
    if volumes.find(ctx.state, volid, node) is not None:
        raise ApiFail(500, f"refusing to override existing file '{filename}'")
    volume = {
        "volid": volid,
        "storage": sid,
        "node": None if st["shared"] else node,
        "content": content,
        "format": "iso" if content == "iso" else filename.rsplit(".", 1)[-1],
        "size": 1024**3,
        "ctime": int(ctx.now),
    }
    log = [f"downloading {ctx.text('url')} to {volid}", "download of simulated file finished"]
    return ctx.task(node, "download", sid, log=log, on_ok=[{"op": "add-volume", "volume": volume}])


@route("DELETE /nodes/{node}/storage/{storage}/content/{volume}")
def delete_volume(ctx: Ctx) -> str:
    from pvectl.sim.vmconf import volumes_of

    sid, node, volume = _storage(ctx), ctx.path["node"], ctx.path["volume"]
    volid = volume if ":" in volume else f"{sid}:{volume}"
    found = volumes.find(ctx.state, volid, node)
    if found is None:
        raise ApiFail(500, f"volume '{volid}' does not exist")
    if found["content"] == "backup":
        # Content.pm delete: an imgdel worker with id VMID@STORAGE; vdisk_free -> Plugin.pm free_image refuses a
        # protected volume inside the task
        tid = f"{found['vmid']}@{sid}" if found.get("vmid") is not None else sid
        if found.get("protected"):
            failure = f"cannot remove protected volume '{volid.split(':', 1)[1]}' on '{sid}'"
            return ctx.task(node, "imgdel", tid, failure=failure)
        return ctx.task(
            node,
            "imgdel",
            tid,
            log=[f"Removed volume '{volid}'"],
            on_ok=[{"op": "remove-volume", "volid": volid, "node": node}],
        )
    for vmid, vm in ctx.state["vms"].peek_items():
        if volid in volumes_of(vm["config"]):
            raise ApiFail(500, f"unable to delete '{volid}' - volume is still in use by VM {vmid}")
    effect = {"op": "remove-volume", "volid": volid, "node": node}
    return ctx.task(node, "imgdel", "", on_ok=[effect])  # PVE starts imgdel workers without an id
