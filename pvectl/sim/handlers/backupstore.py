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
from pvectl.sim.wire import ApiFail


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
    log = [f"INFO: removing backup '{m['volid']}'" for m in marks if m["mark"] == "remove"]
    effects = [{"op": "remove-volume", "volid": m["volid"], "node": node} for m in marks if m["mark"] == "remove"]
    vmid = ctx.number("vmid")
    return ctx.task(node, "prunebackups", f"{vmid}@{sid}" if vmid else sid, log=log, on_ok=effects)
