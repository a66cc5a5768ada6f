"""Emptying a node: which guest goes where (largest first, to the allowed target with the most free memory,
pvectl.vm.drain) and which stays and why, from PVE's own migration preflight per guest. Running VMs move live;
containers move too, as PVE's own ``migrateall`` moves them (pve-manager ``PVE/API2/Nodes.pm``
create_migrate_worker): a running one in restart mode (``restart=1``: PVE has no live migration for containers),
a stopped one offline. Reads only; the moves are sent by the write runner (pvectl.cli.moves / pvectl.guest.run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.guest.run import Write
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.drain import NodeRoom
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Move


@dataclass
class Drained:
    """The drain plan: ``moves`` (VMs) and ``writes`` (containers) to send, ``refused`` (guest, why it stays),
    one ``rows`` entry per guest."""

    moves: list[Move] = field(default_factory=list)
    refused: list[tuple[VmRef, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)


def _need(ref: VmRef) -> int:
    """Memory a guest takes on its target: a stopped container moves offline and takes none."""
    from pvectl.vm.drain import memory_of

    return memory_of(ref) if ref.status == "running" else 0


def plan_drain(
    client: ProxmoxClient,
    refs: list[VmRef],
    rooms: list[NodeRoom],
    *,
    with_local_disks: bool,
    cts: Sequence[VmRef] = (),
    ct_timeout: int | None = None,
) -> Drained:
    """The plan for moving ``refs`` (the node's running VMs) and ``cts`` (its containers, running or not) into
    ``rooms``; sends nothing."""
    from pvectl.ct import ops
    from pvectl.vm.drain import Step, gib, memory_of, plan
    from pvectl.vm.migrate import MoveError, Preflight, plan_move, try_preflight

    pres: dict[int, Preflight] = {}
    unknown: list[Step] = []
    for ref in refs:
        pre = try_preflight(client, ref)
        if isinstance(pre, str):
            unknown.append(Step(ref, memory_of(ref), None, pre))
        else:
            pres[ref.vmid] = pre
    if cts:
        from pvectl.ct.drain import preflight, storage_nodes

        where = storage_nodes(client)
        for ct in cts:
            found = preflight(client, ct, [r.name for r in rooms], where)
            if isinstance(found, str):
                unknown.append(Step(ct, _need(ct), None, found))
            else:
                pres[ct.vmid] = found
    movable = [r for r in [*refs, *cts] if r.vmid in pres]
    steps = plan(movable, pres, rooms, with_local_disks=with_local_disks, need_of=_need) + unknown
    out = Drained()
    for step in steps:
        reason = step.reason
        mode, request = "stays", None
        if step.ref.kind == "lxc":
            if step.target is not None:
                write = ops.migrate(step.ref, step.target, timeout=ct_timeout)
                out.writes.append(write)
                mode = "restart" if "restart" in write.params else "offline"
                request = f"{write.request} " + " ".join(f"{k}={v}" for k, v in write.params.items())
            else:
                out.refused.append((step.ref, reason))
        else:
            move = None
            if step.target is not None:
                try:
                    move = plan_move(step.ref, step.target, running=True, with_local_disks=with_local_disks)
                except MoveError as exc:
                    reason = str(exc).split(": ", 1)[-1]
            if move is None:
                out.refused.append((step.ref, reason))
            else:
                out.moves.append(move)
                mode, request = move.mode, move.describe()
        out.rows.append(
            {
                "kind": "ct" if step.ref.kind == "lxc" else "vm",
                "vmid": step.ref.vmid,
                "name": step.ref.name,
                "status": step.ref.status,
                "memory": gib(memory_of(step.ref)),
                "target": step.target if request else None,
                "mode": mode,
                "reason": reason or None,
                "request": request,
            }
        )
    return out
