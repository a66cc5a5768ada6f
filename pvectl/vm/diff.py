"""VM files vs the live cluster (``pvectl diff``; ``pvectl apply`` acts on the same result).

Each document of the file is one VM, found by ``vmid`` when it has one, else by ``name`` (unique cluster-wide). A VM
that does not exist is a *create*; one that exists is compared through the update engine (pvectl.vm.update): its
plan decides what changes, what waits for a reboot on a running VM and what PVE cannot change in place, so diff
shows exactly what apply would do. Only the keys a document gives are compared (kubectl's rule: what the file does
not name stays as it is). Only GETs are sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pvectl.vm.desired import CPU, NET, SCALARS, STARTUP

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.update import UpdatePlan

Action = Literal["create", "change", "unchanged"]
Kind = Literal["set", "remove", "resize", "refused", "skipped"]
# Keys that are no setting of the VM: its identity, and an action of the create call.
NOT_COMPARED = frozenset({"vmid", "start"})
# PVE parameter -> the file keys that set it (the inverse of the update engine's tables).
PARAM_KEYS: dict[str, tuple[str, ...]] = {
    **{param: (key,) for key, param in SCALARS.items()},
    "net0": ("network", *NET),
    "startup": tuple(STARTUP),
    "cpu": tuple(CPU),
    "balloon": ("balloon", "min-memory"),
    "ide2": ("iso",),
}


class DocError(ValueError):
    """A document that cannot be compared; the message names the document and the key."""


@dataclass(frozen=True)
class Doc:
    index: int  # 1-based position in the file
    data: dict[str, Any]

    @property
    def label(self) -> str:
        if self.data.get("vmid") is not None:
            return f"vmid {self.data['vmid']}"
        return f"name {self.data.get('name') or self.data.get('hostname')}"  # hostname: a container's


@dataclass
class Change:
    """One field: ``live`` -> ``desired`` (None = absent). ``note`` says how it applies; ``refused`` and
    ``skipped`` changes are not sent (the reason is the note)."""

    key: str
    live: Any
    desired: Any
    kind: Kind = "set"
    note: str = ""
    reboot: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "live": self.live, "desired": self.desired, "kind": self.kind,
                "reboot": self.reboot, "note": self.note}  # fmt: skip


@dataclass
class VmDiff:
    doc: Doc
    action: Action
    ref: VmRef | None = None
    changes: list[Change] = field(default_factory=list)
    config: VmConfig | None = None  # create: the VM to create
    plan: UpdatePlan | None = None  # change: the update engine's plan
    digest: str | None = None  # change: the digest the plan was made on

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "refused"]

    @property
    def title(self) -> str:
        if self.ref is not None:
            return f"VM {self.ref.vmid} ({self.ref.name or 'no name'}) on {self.ref.node}"
        return f"new VM ({self.doc.label})"

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.doc.index,
            "identity": self.doc.label,
            "action": self.action,
            "vmid": self.ref.vmid if self.ref else self.doc.data.get("vmid"),
            "name": self.ref.name if self.ref else self.doc.data.get("name"),
            "node": self.ref.node if self.ref else self.doc.data.get("node"),
            "changes": [c.to_json() for c in self.changes],
        }


def read_documents(text: str, source: str) -> list[Doc]:
    """One VM, a YAML list of VMs, or several YAML documents (JSON is YAML too)."""
    from pvectl.vm.fileload import FileLoadError, yaml_documents

    try:
        parts = [d for d in yaml_documents(text, source) if d is not None]
    except FileLoadError as exc:
        raise DocError(str(exc)) from None
    items: list[Any] = []
    for part in parts:
        items.extend(part if isinstance(part, list) else [part])
    if not items:
        raise DocError(f"{source}: no VM in the file")
    docs = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise DocError(f"{source}: document {i}: expected a mapping of keys to values, got {type(item).__name__}")
        if item.get("vmid") is None and not item.get("name") and not item.get("hostname"):
            raise DocError(f"{source}: document {i}: give vmid or name (how the guest is found)")
        docs.append(Doc(i, dict(item)))
    seen: dict[str, int] = {}
    for doc in docs:
        if doc.label in seen:
            again = f"{doc.label} is already document {seen[doc.label]} of the file"
            raise DocError(f"{source}: document {doc.index}: {again}")
        seen[doc.label] = doc.index
    return docs


def match(vms: Sequence[VmRef], doc: Doc) -> VmRef | None:
    """The live VM a document means, or None (to be created); a name several VMs share is a DocError."""
    vmid = doc.data.get("vmid")
    if vmid is not None:
        if not str(vmid).isdigit():
            raise DocError(f"document {doc.index}: vmid: '{vmid}' is not a VM id")
        return next((vm for vm in vms if vm.vmid == int(vmid)), None)
    named = [vm for vm in vms if vm.name == str(doc.data["name"])]
    if len(named) > 1:
        ids = ", ".join(str(vm.vmid) for vm in named)
        raise DocError(f"document {doc.index}: name: several VMs are named '{doc.data['name']}' ({ids}); give vmid")
    return named[0] if named else None


def label_tag(text: str) -> str:
    """``--label KEY=VALUE`` -> the PVE tag it adds: ``tag=X`` is the tag X (what ``-l tag=X`` selects), another
    KEY gives ``KEY-VALUE``. PVE tags (pve-tag) are ``[a-z0-9_][a-z0-9_+.-]*``."""
    from pvectl.vm.selector import KEYS

    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise DocError(f"--label: '{text}' is not KEY=VALUE (e.g. tag=fleet-web)")
    if key in KEYS and key != "tag":
        raise DocError(f"--label: '{key}' selects VMs by their {key}; a label is a tag (e.g. tag=fleet-web)")
    tag = value if key == "tag" else f"{key}-{value}"
    if not re.fullmatch(r"[a-z0-9_][a-z0-9_+.\-]*", tag, re.IGNORECASE):
        raise DocError(f"--label: '{tag}' is not a PVE tag (letters, digits, _ + . -, not first + . -)")
    return tag


@dataclass
class Context:
    """What every document is compared against: read once per run (GETs only)."""

    vms: list[VmRef]
    ha: set[int]
    version: str
    base: VmConfig | None = None  # [vm.defaults] for VMs to create
    labels: tuple[str, ...] = ()

    @classmethod
    def read(cls, client: ProxmoxClient, *, base: VmConfig | None = None, labels: Sequence[str] = ()) -> Context:
        from pvectl.sdk._core.answers import as_rows
        from pvectl.vm.lookup import cluster_vms
        from pvectl.vm.reference import ReferenceData

        rows = as_rows("GET /cluster/ha/resources", client.cluster.ha.resources.list())
        ha = {int(m[1]) for r in rows if (m := re.fullmatch(r"(?:vm:)?(\d+)", str(r.get("sid", ""))))}
        version = ReferenceData(client).server_version()
        if version.error:
            raise DocError(f"cannot read the server's release: {version.error}")
        return cls(cluster_vms(client), ha, version.get(""), base, tuple(labels))


def compare(client: ProxmoxClient, ctx: Context, doc: Doc) -> VmDiff:
    ref = match(ctx.vms, doc)
    return _create(ctx, doc) if ref is None else _change(client, ctx, doc, ref)


def unsupported(params: Sequence[str], version: str, op: str) -> dict[str, str]:
    """The parameters the server's release lacks -> why ("PVE 8.4.0 lacks it; first in 9.0.9")."""
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import check_supported

    out = {}
    for param in params:
        problem = check_supported(op, [param], version, _versions.RELEASES, _versions.TABLE)
        if problem is not None:
            since = f"first in PVE {problem.since}" if problem.since else "in no release pvectl knows"
            out[param] = f"PVE {version} lacks it ({since}); not sent"
    return out


def _create(ctx: Context, doc: Doc) -> VmDiff:
    from pvectl.vm.encode import CREATE
    from pvectl.vm.export import to_file
    from pvectl.vm.vmfile import VmFileError, load

    try:
        config = load(doc.data, ctx.base)
    except VmFileError as exc:
        raise DocError(f"document {doc.index} ({doc.label}): {exc}") from None
    if ctx.labels:
        config.general.tags = [*config.general.tags, *(t for t in ctx.labels if t not in config.general.tags)]
    out = VmDiff(doc, "create", config=config)
    flat = to_file(config)
    shown = [k for k in flat if k in doc.data or (k == "tag" and ctx.labels)]
    out.changes = [Change(k, None, flat[k]) for k in shown if k != "extra"]
    ksm = unsupported(["allow-ksm"], ctx.version, CREATE)  # the one modelled parameter a release may lack
    for change in out.changes:
        if change.key == "ksm" and change.desired is False and ksm:
            change.kind, change.note = "skipped", f"allow-ksm: {ksm['allow-ksm']} (KSM stays on)"
    skipped = unsupported(list(config.extra), ctx.version, CREATE)
    for key, value in config.extra.items():
        if key in skipped:
            out.changes.append(Change(f"extra.{key}", None, value, "skipped", skipped[key]))
        else:
            out.changes.append(Change(f"extra.{key}", None, value))
    config.extra = {k: v for k, v in config.extra.items() if k not in skipped}
    return out


def _change(client: ProxmoxClient, ctx: Context, doc: Doc, ref: VmRef) -> VmDiff:
    from pvectl.sdk._core.answers import as_object
    from pvectl.vm.desired import params_from_fields
    from pvectl.vm.encode import extra_params
    from pvectl.vm.export import from_live, normal, to_file
    from pvectl.vm.update import UPDATE, UpdateError, measure_resizes, plan_update
    from pvectl.vm.vmfile import VmFileError, load

    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    live = as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get())
    pool = ref.raw.get("pool")
    live_config = from_live(live, vmid=ref.vmid, node=ref.node, ha=ref.vmid in ctx.ha, pool=str(pool) if pool else None)
    fields = {k: v for k, v in doc.data.items() if k not in NOT_COMPARED and k != "extra"}
    try:
        _place_disks(fields)
    except VmFileError as exc:
        raise DocError(f"document {doc.index} (VM {ref.vmid}): {exc}") from None
    if ctx.labels:
        tags = list(fields.get("tag") or live_config.general.tags)
        fields["tag"] = [*tags, *(t for t in ctx.labels if t not in tags)]
    try:
        wanted = load({**fields, "extra": doc.data.get("extra") or {}})
        desired = params_from_fields(fields, live)
    except (VmFileError, UpdateError) as exc:
        raise DocError(f"document {doc.index} (VM {ref.vmid}): {exc}") from None
    text = {str(k): str(v) for k, v in live.items()}
    # what export writes for an absent parameter (PVE's default, e.g. machine pc, aio io_uring) is no change
    params = {
        k: v for k, v in {**desired.params, **extra_params(wanted)}.items() if normal(k, v) != normal(k, text.get(k))
    }
    skipped = unsupported(list(params), ctx.version, UPDATE)
    plan = plan_update(live, {k: v for k, v in params.items() if k not in skipped}, desired.remove)
    measure_resizes(client, ref.node, plan)
    out = VmDiff(doc, "change", ref, plan=plan, digest=str(live.get("digest") or "") or None)
    live_flat, want_flat = to_file(live_config), to_file(wanted)
    waits = set(plan.waits_for_reboot(running=ref.status == "running"))
    resized = dict(plan.resize)
    for param in [*plan.set, *plan.delete, *(d for d, _ in plan.resize if d not in plan.set)]:
        kind: Kind = "remove" if param in plan.delete else "set" if param in plan.set else "resize"
        note = f"grows to {resized[param]}" if param in resized else ""
        for change in _described(param, doc, text, params, live_flat, want_flat):
            change.kind, change.reboot = kind, param in waits
            change.note = "; ".join(filter(None, [note, "waits for a reboot" if param in waits else ""]))
            out.changes.append(change)
    for param, reason in plan.refused:
        for change in _described(param, doc, text, params, live_flat, want_flat):
            change.kind, change.note = "refused", f"cannot be applied in place: {reason}"
            out.changes.append(change)
    for param, reason in skipped.items():
        if normal(param, params[param]) != normal(param, text.get(param)):
            out.changes += [Change(c.key, c.live, c.desired, "skipped", reason)
                            for c in _described(param, doc, text, params, live_flat, want_flat)]  # fmt: skip
    for key, reason in desired.ignored:
        if key in NOT_COMPARED or not _applies(key, wanted) or not _applies(key, live_config):
            continue
        if live_flat.get(key) != want_flat.get(key):
            out.changes.append(Change(key, live_flat.get(key), want_flat.get(key), "refused", f"not applied: {reason}"))
    out.action = "change" if out.changes else "unchanged"
    return out


def _place_disks(fields: dict[str, Any]) -> None:
    """Disks without a device get the one ``vm create`` gives them (scsi0, scsi1, ...), so a file that created a VM
    names the same disks when applied to it again (not a new one on the next free device each time); the file's
    ``disk-*`` keys are folded into each disk."""
    from pvectl.vm.config import assign_devices
    from pvectl.vm.vmfile import disk_spec, load

    defaults = {k: fields.pop(k) for k in list(fields) if k.startswith("disk-")}
    if fields.get("disk") is None:
        return
    disks = assign_devices(load({"disk": fields["disk"], **defaults}).disks)
    fields["disk"] = [disk_spec(d) for d in disks]


def _applies(key: str, config: VmConfig) -> bool:
    from pvectl.vm.fields import BY_FLAG, applies

    spec = BY_FLAG.get(key)
    return spec is None or applies(spec.path, config)


def _described(
    param: str,
    doc: Doc,
    live: Mapping[str, str],
    params: Mapping[str, str],
    live_flat: Mapping[str, Any],
    want_flat: Mapping[str, Any],
) -> list[Change]:
    """The file keys behind one PVE parameter, with their live and desired values; the parameter itself when no
    key of the file shows the difference (a value held under extra:, a disk option)."""
    extra = doc.data.get("extra") or {}
    if param in extra:
        return [Change(f"extra.{param}", live.get(param), extra[param])]
    m = re.fullmatch(r"(ide|sata|scsi|virtio)\d+", param)
    if m and param != "ide2":
        have = next((d for d in live_flat.get("disk", []) if d.startswith(f"{param}:")), live.get(param))
        want = next((d for d in want_flat.get("disk", []) if d.startswith(f"{param}:")), params.get(param))
        return [Change(f"disk[{param}]", have, want)]
    keys = [k for k in PARAM_KEYS.get(param, ()) if k in doc.data or param == "tags"]  # --label sets tags too
    shown = [Change(k, live_flat.get(k), want_flat.get(k)) for k in keys if live_flat.get(k) != want_flat.get(k)]
    return shown or [Change(param, live.get(param), params.get(param))]
