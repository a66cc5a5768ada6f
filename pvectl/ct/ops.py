"""The container writes of the day-2 verbs, as steps for the one write runner (pvectl.guest.run).

Each is a pure plan: the request (what ``--dry-run`` shows), PVE's worker task type (found in the node's task
list after an ambiguous answer) and how the server shows that it happened (read instead of resending).
Snapshots are pvectl.guest.ops.snapshot (both kinds). Task types are pve-container's fork_worker names:
``src/PVE/API2/LXC.pm`` (clone_vm ``vzclone``, migrate_vm ``vzmigrate``,
resize_vm ``resize``, template ``vztemplate`` (answered null, not its UPID)); config updates answer without a
task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pvectl.guest.api import guest_api
from pvectl.guest.run import Write
from pvectl.guest.wire import typed

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

Reached = Callable[["ProxmoxClient", "VmRef"], "bool | None"]
RESTART_TIMEOUT = 180  # pve-container migrate_vm: default shutdown timeout of a restart migration


def base(ref: VmRef) -> str:
    return f"/nodes/{ref.node}/lxc/{ref.vmid}"


def _ct(client: ProxmoxClient, ref: VmRef) -> Any:
    """The container's typed resource (``/nodes/{node}/lxc/{vmid}``): each write below is sent through it."""
    return guest_api(client, ref.node, ref.vmid, "lxc")


def _get(call: Callable[[], Any]) -> Any:
    """A typed read for judging an answer, as PVE sent it; None when it cannot be read (the runner then says
    "could not be read")."""
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import PveError

    try:
        return plain(call())
    except PveError:
        return None


def _config(client: ProxmoxClient, ref: VmRef) -> Mapping[str, Any] | None:
    data = _get(lambda: client.nodes(ref.node).lxc(ref.vmid).config.get())
    return data if isinstance(data, Mapping) else None


def clone(ref: VmRef, newid: int, params: Mapping[str, Any]) -> Write:
    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        data = _get(lambda: client.cluster.resources(type="vm"))
        if not isinstance(data, list):
            return None
        row = next((r for r in data if isinstance(r, Mapping) and r.get("vmid") == newid), None)
        return row is not None and row.get("type") == "lxc" and not row.get("lock")

    body = {"newid": newid, **params}
    return Write(ref, "clone", "POST", f"{base(ref)}/clone", f"cloned to CT {newid}", ("vzclone",),
                 params=body, reached=reached,
                 send=lambda client: typed(_ct(client, ref).clone, body))  # fmt: skip


def template(ref: VmRef) -> Write:
    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        config = _config(client, ref)
        return None if config is None else str(config.get("template", "0")) == "1"

    # PVE answers null and converts in a `vztemplate` worker it does not return: the runner finds that task in the
    # node's task list (as after any odd answer) and follows it
    return Write(ref, "template", "POST", f"{base(ref)}/template", "converted to a template", ("vztemplate",),
                 reached=reached, send=lambda client: typed(_ct(client, ref).template))  # fmt: skip


def migrate(ref: VmRef, target: str, *, timeout: int | None = None, online: bool = False) -> Write:
    """A running container moves in restart mode (PVE has no live migration for containers: LXC/Migrate.pm
    prepare "lxc live migration is currently not implemented"), shut down within ``timeout`` seconds; a stopped
    one moves offline."""
    running = ref.status == "running"
    params: dict[str, Any] = {"target": target}
    if running:
        params["restart"] = 1
        params["timeout"] = timeout if timeout is not None else RESTART_TIMEOUT
    if online:
        params["online"] = 1

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        data = _get(lambda: client.cluster.resources(type="vm"))
        if not isinstance(data, list):
            return None
        row = next((r for r in data if isinstance(r, Mapping) and r.get("vmid") == ref.vmid), None)
        return row is not None and row.get("node") == target and not row.get("lock")

    from pvectl.vm.migrate import ha_managed

    mode = "restart mode: shut down, moved, started" if running else "offline"
    past, types = f"moved to {target} ({mode})", ("vzmigrate",)
    if ha_managed(ref):  # migrate_vm forks 'hamigrate', which only files `ha-manager migrate ct:ID TARGET`
        past, types = f"HA migration to {target} requested (the HA stack moves it)", ("hamigrate",)
    return Write(ref, "migrate", "POST", f"{base(ref)}/migrate", past, types, params=params,
                 reached=reached, send=lambda client: typed(_ct(client, ref).migrate.create, params))  # fmt: skip


def resize(ref: VmRef, disk: str, size: str, new_bytes: int) -> Write:
    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        from pvectl.ct.resize import size_bytes

        config = _config(client, ref)
        if config is None:
            return None
        fields = dict(p.partition("=")[::2] for p in str(config.get(disk, "")).split(",")[1:])
        return size_bytes(fields.get("size", "0")) >= new_bytes

    body = {"disk": disk, "size": size}
    return Write(ref, "resize", "PUT", f"{base(ref)}/resize", f"{disk} grown to {new_bytes / 1024**3:g} GiB",
                 ("resize",), params=body, reached=reached,
                 send=lambda client: typed(_ct(client, ref).resize, body))  # fmt: skip


def update(ref: VmRef, params: Mapping[str, str], delete: list[str], digest: str | None) -> Write:
    """One config write with the digest read just before (someone else's edit in between is refused by PVE)."""
    body: dict[str, Any] = dict(params)
    if delete:
        body["delete"] = ",".join(delete)
    if digest:
        body["digest"] = digest

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        data = _get(lambda: client.nodes(ref.node).lxc(ref.vmid).pending())
        if not isinstance(data, list):
            return None
        rows = {str(r.get("key")): r for r in data if isinstance(r, Mapping)}
        for key, value in params.items():
            if key == "rootfs" or key.startswith("mp"):
                if key not in rows:  # a new mount point's volume is named by the server: its presence tells
                    return False
                continue
            row = rows.get(key, {})
            if str(row.get("pending", row.get("value"))) != str(value):
                return False
        return all(key not in rows or rows[key].get("delete") for key in delete)

    # PVE answers this PUT itself, with null (pve-container src/PVE/API2/LXC/Config.pm update_vm: returns null,
    # no worker task; schema pve-9.1.3: PUT /nodes/{node}/lxc/{vmid}/config returns null): an answer means done
    return Write(ref, "set", "PUT", f"{base(ref)}/config", "changed", (), params=body, reached=reached, sync=True,
                 send=lambda client: typed(_ct(client, ref).config.set, body))  # fmt: skip
