"""Find a VM by id or name across the cluster, without naming its node (``/cluster/resources``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pvectl.vm.reference import split_tags

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient


class VmNotFound(LookupError):
    """No such VM, or a name that several VMs share."""


class VmAmbiguous(VmNotFound):
    """A name that several VMs share (a usage error: the id picks one)."""

    def __init__(self, message: str, candidates: list[VmRef]) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class VmRef:
    vmid: int
    node: str
    name: str
    status: str
    tags: tuple[str, ...]
    raw: dict[str, Any]


def cluster_vms(client: ProxmoxClient) -> list[VmRef]:
    """Every QEMU VM of the cluster (templates included), sorted by id."""
    from pvectl.sdk._core.answers import as_int, as_rows, as_text

    what = "GET /cluster/resources"
    rows = as_rows(what, client.request("GET", "/cluster/resources", {"type": "vm"}))
    out = [
        VmRef(
            vmid=as_int(what, r["vmid"]),
            node=as_text(what, r.get("node"), default=""),
            name=as_text(what, r.get("name"), default=""),
            status=as_text(what, r.get("status"), default=""),
            tags=split_tags(r.get("tags")),
            raw=r,  # as_rows hands out rows of their own
        )
        for r in rows
        if r.get("type", "qemu") == "qemu" and r.get("vmid") is not None
    ]
    return sorted(out, key=lambda v: v.vmid)


def find(vms: Iterable[VmRef], key: str) -> VmRef:
    """``101`` or ``web1`` -> the VM; a name used twice is an error listing the ids."""
    items = list(vms)
    if key.isdigit():
        for vm in items:
            if vm.vmid == int(key):
                return vm
        raise VmNotFound(f"no VM with id {key}")
    named = [vm for vm in items if vm.name == key]
    if not named:
        import difflib

        close = difflib.get_close_matches(key, sorted({vm.name for vm in items if vm.name}), n=3)
        hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
        raise VmNotFound(f"no VM named '{key}'{hint}")
    if len(named) > 1:
        where = ", ".join(f"{vm.vmid} on {vm.node}" for vm in named)
        raise VmAmbiguous(f"several VMs are named '{key}' ({where}); give the id instead", named)
    return named[0]


def matches(vm: VmRef, *, node: str | None = None, tag: str | None = None, status: str | None = None) -> bool:
    return (
        (node is None or vm.node == node)
        and (tag is None or tag in vm.tags)
        and (status is None or vm.status == status)
    )
