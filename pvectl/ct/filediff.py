"""Container documents in VM files (``pvectl diff``/``apply``): one file may hold VMs and containers.

A document is a container when it says ``kind: ct`` (``ct export`` writes it), or without a kind when its
``vmid`` names a live container or it gives ``hostname`` and no ``name`` (a container file's key; VM files have
none). A missing container is created through ``ct create``'s workflow (same checks, template lookup, outcome);
a live one is compared through ``ct set``'s planner (pvectl.ct.update.plan_set: only what differs, one config
write guarded by the digest read here). Only the keys a document gives are compared. What PVE cannot change in
place is refused before anything is sent: ``unprivileged`` (read-only once created, pve-container
``src/PVE/LXC/Config.pm`` update_pct_config), the root disk's storage or a smaller size, the node (that is
``ct migrate``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.vm.diff import Change, Doc, DocError, VmDiff

if TYPE_CHECKING:
    from pvectl.ct.config import CtConfig
    from pvectl.ct.update import Change as CtChange
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.diff import Context
    from pvectl.vm.lookup import VmRef

KINDS = {"ct": "lxc", "lxc": "lxc", "container": "lxc", "vm": "qemu", "qemu": "qemu"}
# Keys of a container document that are no setting to compare: identity and create-time choices.
NOT_COMPARED = frozenset({"kind", "vmid", "template", "pull", "template-storage", "start", "ssh-key", "pool"})
SIMPLE = ("hostname", "cores", "cpulimit", "cpuunits", "memory", "swap", "nameserver", "searchdomain",
          "description", "ostype", "onboot", "nesting", "keyctl", "fuse", "mknod", "mount", "tag")  # fmt: skip


@dataclass
class CtDiff(VmDiff):
    """A container document compared: ``ct_config`` to create, or ``ct_change`` (the one config write)."""

    ct_config: CtConfig | None = None
    ct_change: CtChange | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.ref is not None:
            return f"CT {self.ref.vmid} ({self.ref.name or 'no name'}) on {self.ref.node}"
        return f"new CT ({self.doc.label})"

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        if self.ref is None:
            data["name"] = self.doc.data.get("hostname")
        return {"kind": "ct", **data}


def kind_of(doc: Doc, cts: Sequence[VmRef]) -> str:
    """``lxc`` or ``qemu``: what the document describes (a DocError for an unknown ``kind``)."""
    given = doc.data.get("kind")
    if given is not None:
        if str(given).lower() not in KINDS:
            raise DocError(f"document {doc.index}: kind: '{given}' is not vm or ct")
        return KINDS[str(given).lower()]
    vmid = doc.data.get("vmid")
    if vmid is not None and str(vmid).isdigit() and any(c.vmid == int(vmid) for c in cts):
        return "lxc"
    return "lxc" if doc.data.get("hostname") and not doc.data.get("name") else "qemu"


def compare_any(client: ProxmoxClient, ctx: Context, doc: Doc, cts: Sequence[VmRef]) -> VmDiff:
    """A document of either kind compared with the cluster (VMs: pvectl.vm.diff.compare)."""
    from pvectl.vm.diff import compare

    if kind_of(doc, cts) == "qemu":
        vmid = doc.data.get("vmid")
        if vmid is not None and any(str(c.vmid) == str(vmid) for c in cts):
            raise DocError(f"document {doc.index}: vmid: {vmid} is a container (kind: ct)")
        return compare(client, ctx, Doc(doc.index, _file_data(doc)))
    if not doc.data.get("vmid") and not doc.data.get("hostname"):
        raise DocError(f"document {doc.index}: a container document needs vmid or hostname (how it is found)")
    ref = _match(cts, doc)
    if ref is None and doc.data.get("vmid") is not None and any(v.vmid == int(doc.data["vmid"]) for v in ctx.vms):
        raise DocError(f"document {doc.index}: vmid: {doc.data['vmid']} is a VM, the document a container (kind: ct)")
    return _create(ctx, doc) if ref is None else _change(client, ctx, doc, ref)


def _match(cts: Sequence[VmRef], doc: Doc) -> VmRef | None:
    vmid = doc.data.get("vmid")
    if vmid is not None:
        if not str(vmid).isdigit():
            raise DocError(f"document {doc.index}: vmid: '{vmid}' is not a guest id")
        return next((c for c in cts if c.vmid == int(vmid)), None)
    named = [c for c in cts if c.name == str(doc.data["hostname"])]
    if len(named) > 1:
        ids = ", ".join(str(c.vmid) for c in named)
        raise DocError(f"document {doc.index}: hostname: several containers are named '{doc.data['hostname']}' ({ids})")
    return named[0] if named else None


def _file_data(doc: Doc) -> dict[str, Any]:
    return {k: v for k, v in doc.data.items() if k != "kind"}


def _create(ctx: Context, doc: Doc) -> CtDiff:
    from pvectl.ct.ctfile import CtFileError, dump, load

    try:
        config = load(_file_data(doc))
    except CtFileError as exc:
        raise DocError(f"document {doc.index} ({doc.label}): {exc}") from None
    if ctx.labels:
        config.tags = [*config.tags, *(t for t in ctx.labels if t not in config.tags)]
    out = CtDiff(doc, "create", ct_config=config)
    flat = dump(config)
    out.changes = [Change(k, None, v) for k, v in flat.items() if k in doc.data or (k == "tag" and ctx.labels)]
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _change(client: ProxmoxClient, ctx: Context, doc: Doc, ref: VmRef) -> CtDiff:
    from pvectl.ct.ctfile import LISTS
    from pvectl.ct.export import to_file
    from pvectl.ct.update import plan_set
    from pvectl.sdk._core.answers import as_object

    path = f"/nodes/{ref.node}/lxc/{ref.vmid}/config"
    live = as_object(f"GET {path}", client.nodes(ref.node).lxc(ref.vmid).config.get())
    live_flat = to_file(live, vmid=ref.vmid, node=ref.node)
    data = _file_data(doc)
    values: dict[str, Any] = {}
    for key in SIMPLE:
        if data.get(key) is not None:
            value = data[key]
            values[key] = [str(v) for v in (value if isinstance(value, list) else [value])] if key in LISTS else value
    if ctx.labels:
        tags = list(values.get("tag") or live_flat.get("tag") or [])
        values["tag"] = [*tags, *(t for t in ctx.labels if t not in tags)]
    if data.get("net") is not None:
        nets = data["net"] if isinstance(data["net"], list) else [data["net"]]
        values["net"] = [f"{i}:{spec}" for i, spec in enumerate(nets)]
    problems: list[str] = []
    if data.get("unprivileged") is not None and bool(data["unprivileged"]) != bool(live_flat.get("unprivileged")):
        problems.append("unprivileged: fixed when a container is created (PVE: read-only option)")
    if data.get("node") is not None and str(data["node"]) != ref.node:
        problems.append(f"node: CT {ref.vmid} is on {ref.node}; moving it is pvectl ct migrate")
    if data.get("disk") is not None and str(data["disk"]) != live_flat.get("disk"):
        have = live_flat.get("disk")
        problems.append(f"disk: {have} -> {data['disk']}: the root disk is grown with pvectl ct resize")
    known_paths = {str(m).split("mp=", 1)[-1].split(",")[0] for m in live_flat.get("mp") or []}
    new_mps = [str(m) for m in _listed(data.get("mp")) if str(m).split("mp=", 1)[-1].split(",")[0] not in known_paths]
    if new_mps:
        values["mp"] = new_mps
    change = plan_set(live, values)
    extra = data.get("extra") or {}
    if not isinstance(extra, Mapping):
        raise DocError(f"document {doc.index} ({ref.vmid}): extra: expected a mapping of PVE parameters")
    for key, value in extra.items():
        if _text(value) != _text(live.get(key, "")):
            change.params[str(key)] = _text(value)
    out = CtDiff(doc, "change", ref, digest=str(live.get("digest") or "") or None, ct_change=change)
    out.problems = [*problems, *change.problems]
    for param, value in change.params.items():
        out.changes.append(Change(param, live.get(param), value))
    for param in change.delete:
        out.changes.append(Change(param, live.get(param), None, "remove"))
    for problem in out.problems:
        key, _, why = problem.partition(": ")
        out.changes.append(Change(key.lstrip("-"), None, None, "refused", f"cannot be applied in place: {why}"))
    out.action = "change" if out.changes else "unchanged"
    return out


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def has_writes(diff: CtDiff) -> bool:
    return diff.action == "create" or (diff.ct_change is not None and not diff.ct_change.empty)
