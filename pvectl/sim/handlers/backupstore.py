"""A backup's attributes (notes, protected) and pruning, on a storage's content.

pve-storage 0c56bad8b2a7: ``src/PVE/API2/Storage/Content.pm updateattributes`` and
``src/PVE/API2/Storage/PruneBackups.pm`` (GET: the marks of ``src/PVE/Storage.pm prune_backups``, refusing a
storage without backup content or, without ``prune-backups``, one with no retention configured; DELETE: a
``prunebackups`` task removing the entries marked ``remove``). The marks themselves are ``pvectl.sim.backups``.
"""

from __future__ import annotations

from typing import Any

from pvectl.sim import backups, volumes
from pvectl.sim.handlers.cluster import storages_on
from pvectl.sim.routes import Ctx, route
from pvectl.sim.wire import ApiFail, param_fail


@route("PUT /nodes/{node}/storage/{storage}/content/{volume}")
def update_attributes(ctx: Ctx) -> None:
    """pve-storage ``API2/Storage/Content.pm updateattributes``: notes and protected, for backups."""
    sid, node, volume = ctx.path["storage"], ctx.path["node"], ctx.path["volume"]
    volid = volume if ":" in volume else f"{sid}:{volume}"
    vol = volumes.find(ctx.state, volid, node)
    if vol is None:
        raise ApiFail(500, f"volume '{volid}' does not exist")
    if vol["content"] != "backup":
        raise ApiFail(500, "notes are only supported for backups")  # Plugin.pm update_volume_attribute
    vol = dict(vol)
    if ctx.text("notes") is not None:
        vol["notes"] = str(ctx.text("notes"))
        if not vol["notes"]:
            del vol["notes"]
    if ctx.text("protected") is not None:
        vol["protected"] = ctx.flag("protected")
    volumes.add(ctx.state, vol)
    ctx.changed()


def _keep(ctx: Ctx, sid: str) -> dict[str, int]:
    st = ctx.state["storages"][sid]
    if "backup" not in st["content"]:
        raise ApiFail(500, f"storage '{sid}' does not support backups")
    text = ctx.text("prune-backups")
    if text is None:
        text = st.get("prune-backups")
        if text is None:
            raise ApiFail(500, f"no prune-backups options configured for storage '{sid}'")
    return backups.parse_keep(text)


def _marks(ctx: Ctx) -> list[dict[str, Any]]:
    sid, node = ctx.path["storage"], ctx.path["node"]
    if sid not in ctx.state["storages"] or sid not in storages_on(ctx.state, node):
        raise ApiFail(500, f"storage '{sid}' does not exist")
    keep = _keep(ctx, sid)
    vmid, kind = ctx.number("vmid"), ctx.text("type")
    found = [v for v in volumes.visible(ctx.state, sid, node) if v["content"] == "backup"]
    found = [v for v in found if vmid is None or v.get("vmid") == vmid]
    marks = backups.prune_marks(found, keep)
    return [m for m in marks if kind is None or m["type"] == kind]


@route("GET /nodes/{node}/storage/{storage}/prunebackups")
def prune_dry_run(ctx: Ctx) -> list[dict[str, Any]]:
    return _marks(ctx)


@route("DELETE /nodes/{node}/storage/{storage}/prunebackups")
def prune(ctx: Ctx) -> str:
    sid, node = ctx.path["storage"], ctx.path["node"]
    marks = _marks(ctx)
    # Plugin.pm prune_backups: the API's worker passes no logfunc, so the default prints the message alone
    log = [f"removing backup '{m['volid']}'" for m in marks if m["mark"] == "remove"]
    effects = [{"op": "remove-volume", "volid": m["volid"], "node": node} for m in marks if m["mark"] == "remove"]
    vmid = ctx.number("vmid")
    return ctx.task(node, "prunebackups", f"{vmid}@{sid}" if vmid else sid, log=log, on_ok=effects)


RETENTION_OPTIONS = ("prune-backups",)


@route("PUT /storage/{storage}")
def update_storage(ctx: Ctx) -> dict[str, Any]:
    """pve-storage ``src/PVE/API2/Storage/Config.pm update``: the storage's retention (``prune-backups``), set or
    ``delete``d, answered with the storage's id and type. The simulator models no other storage option: changing
    one is refused (501) rather than answered as done."""
    sid = ctx.path["storage"]
    st = ctx.state["storages"].get(sid)
    if st is None:
        raise ApiFail(500, f"update storage failed: storage '{sid}' does not exist")  # storage_config
    delete = [k for k in (ctx.text("delete") or "").replace(";", ",").split(",") if k.strip()]
    given = {k: ctx.text(k) for k in ctx.params if k not in ("storage", "delete", "digest")}
    other = sorted({*given, *delete} - set(RETENTION_OPTIONS))
    if other:
        raise ApiFail(501, f"the simulator does not model changing storage option(s) {', '.join(other)}")
    for key in delete:
        if key in given:  # Config.pm update
            why = f"cannot set and delete property '{key}'"
            raise ApiFail(500, f"update storage failed: {why} at the same time!")
    if "prune-backups" in given:
        text = str(given["prune-backups"])
        try:  # pve-storage Storage.pm prune-backups format: keep-all or keep-* counts
            keep = backups.parse_keep(text)
        except ValueError:
            keep = {"": 0}
        if any(k not in (*backups.KEEP_RULES, "keep-all") for k in keep):
            raise param_fail({"prune-backups": f"invalid format - {text}"})
        st["prune-backups"] = text
    for key in delete:
        st.pop(key, None)
    ctx.state["storages"] = {**ctx.state["storages"], sid: st}
    ctx.changed()
    return {"storage": sid, "type": st["type"]}
