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


WHAT = "GET /cluster/resources"


@dataclass(frozen=True)
class VmRef:
    vmid: int
    node: str
    name: str
    status: str
    tags: tuple[str, ...]
    raw: dict[str, Any]
    kind: str = "qemu"  # the guest kind: "qemu" (a VM) or "lxc" (a container), as /cluster/resources says


NOUN = {"qemu": "VM", "lxc": "CT"}  # guest kinds as PVE's /cluster/resources types them


def _rows(client: ProxmoxClient, kind: str = "qemu") -> list[dict[str, Any]]:
    """The guest rows of ``/cluster/resources`` of one kind (qemu VMs or lxc containers; templates included)."""
    from pvectl.sdk._core.answers import as_rows

    rows = as_rows(WHAT, client.cluster.resources(type="vm"))
    return [r for r in rows if r.get("type", "qemu") == kind and r.get("vmid") is not None]


def _refs(rows: Iterable[dict[str, Any]]) -> list[VmRef]:
    from pvectl.sdk._core.answers import as_int, as_text  # imported once per list, not once per row

    return [
        VmRef(
            vmid=as_int(WHAT, r["vmid"]),
            node=as_text(WHAT, r.get("node"), default=""),
            name=as_text(WHAT, r.get("name"), default=""),
            status=as_text(WHAT, r.get("status"), default=""),
            tags=split_tags(r.get("tags")),
            raw=r,  # as_rows hands out rows of their own
            kind=str(r.get("type", "qemu")),
        )
        for r in rows
    ]


def cluster_vms(client: ProxmoxClient, kind: str = "qemu") -> list[VmRef]:
    """Every guest of the cluster of one kind (QEMU VMs unless ``kind="lxc"``; templates included), sorted by id."""
    return sorted(_refs(_rows(client, kind)), key=lambda v: v.vmid)


def lookup(client: ProxmoxClient, key: str, kind: str = "qemu") -> VmRef:
    """``find`` over the cluster's VMs, building a reference only for the rows that match (at 10,000 VMs the
    references of every row cost more than the request)."""
    from pvectl.sdk._core.answers import as_int

    rows = _rows(client, kind)
    noun = NOUN[kind]
    if key.isdigit():
        wanted = int(key)
        hits = [r for r in rows if as_int(WHAT, r["vmid"]) == wanted]
    else:
        hits = [r for r in rows if r.get("name") == key]
    if hits:
        return find(sorted(_refs(hits), key=lambda v: v.vmid), key, noun)
    if key.isdigit():
        raise VmNotFound(f"no {noun} with id {key}")
    raise _no_name(key, {str(r["name"]) for r in rows if r.get("name")}, noun)


def find(vms: Iterable[VmRef], key: str, noun: str = "VM") -> VmRef:
    """``101`` or ``web1`` -> the guest; a name used twice is an error listing the ids."""
    items = list(vms)
    if key.isdigit():
        for vm in items:
            if vm.vmid == int(key):
                return vm
        raise VmNotFound(f"no {noun} with id {key}")
    named = [vm for vm in items if vm.name == key]
    if not named:
        raise _no_name(key, {vm.name for vm in items if vm.name}, noun)
    if len(named) > 1:
        where = ", ".join(f"{vm.vmid} on {vm.node}" for vm in named)
        raise VmAmbiguous(f"several {noun}s are named '{key}' ({where}); give the id instead", named)
    return named[0]


def _no_name(key: str, names: set[str], noun: str = "VM") -> VmNotFound:
    import difflib

    close = difflib.get_close_matches(key, sorted(names), n=3)
    hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
    return VmNotFound(f"no {noun} named '{key}'{hint}")


def matches(vm: VmRef, *, node: str | None = None, tag: str | None = None, status: str | None = None) -> bool:
    return (
        (node is None or vm.node == node)
        and (tag is None or tag in vm.tags)
        and (status is None or vm.status == status)
    )
