"""Which guests a command acts on: the selector (pure, :mod:`pvectl.vm.selector`) and its resolution against
``/cluster/resources``, for QEMU VMs, LXC containers or both.

``/cluster/resources?type=vm`` lists guests of both kinds; each row's ``type`` is ``qemu`` or ``lxc``
(pve-manager ``PVE/API2/Cluster.pm`` resources: the guest rows come from ``PVE::Cluster::get_vmlist``, which
records each guest's type). Guest ids are unique across both kinds in a cluster, so one id names one guest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pvectl.vm.lookup import VmAmbiguous, VmNotFound, VmRef
from pvectl.vm.selector import Selector, SelectorError

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

__all__ = ["GuestRef", "Selector", "SelectorError", "VmAmbiguous", "VmNotFound", "find", "guests", "resolve"]

GuestRef = VmRef  # a guest of either kind; ``ref.kind`` is "qemu" or "lxc"
WHAT = "GET /cluster/resources"
KINDS: tuple[str, ...] = ("qemu", "lxc")


def refs_of(rows: Sequence[dict[str, Any]], kinds: Sequence[str] = KINDS) -> list[GuestRef]:
    """The guests of ``kinds`` among ``/cluster/resources`` rows (pure), sorted by id."""
    from pvectl.sdk._core.answers import as_int, as_text
    from pvectl.vm.reference import split_tags

    refs = [
        VmRef(
            vmid=as_int(WHAT, r["vmid"]),
            node=as_text(WHAT, r.get("node"), default=""),
            name=as_text(WHAT, r.get("name"), default=""),
            status=as_text(WHAT, r.get("status"), default=""),
            tags=split_tags(r.get("tags")),
            raw=r,
            kind=str(r.get("type", "qemu")),
        )
        for r in rows
        if r.get("type", "qemu") in kinds and r.get("vmid") is not None
    ]
    return sorted(refs, key=lambda g: g.vmid)


def guests(client: ProxmoxClient, kinds: Sequence[str] = KINDS) -> list[GuestRef]:
    """Every guest of ``kinds`` in the cluster (templates included), sorted by id: one request."""
    from pvectl.sdk._core.answers import as_rows

    return refs_of(as_rows(WHAT, client.cluster.resources(type="vm")), kinds)


def resolve(client: ProxmoxClient, sel: Selector, kinds: Sequence[str] = ("qemu",)) -> list[GuestRef]:
    """The guests ``sel`` picks; VmNotFound (VmAmbiguous for a shared name) when an id or name is not there,
    SelectorError when a node criterion names a node the cluster lacks (a typo, not "nothing to do")."""
    if sel.names_nodes:
        from pvectl.sdk._core.answers import as_rows

        sel.check_nodes(str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list()))
    return sel.select(guests(client, kinds), "CT" if tuple(kinds) == ("lxc",) else "VM")


def find(client: ProxmoxClient, key: str, kinds: Sequence[str] = ("qemu",)) -> GuestRef:
    """One guest by id or name."""
    from pvectl.vm.lookup import find as find_in

    return find_in(guests(client, kinds), key)
