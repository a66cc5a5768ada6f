"""Emptying a node: which running VM goes where (largest first, to the allowed target with the most free memory,
pvectl.vm.drain) and which stays and why, from PVE's own migration preflight per VM. Reads only; the moves are
sent by the migrate runner (pvectl.cli.moves / pvectl.guest.run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.drain import NodeRoom
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Move


@dataclass
class Drained:
    """The drain plan: ``moves`` to send, ``refused`` (VM, why it stays), one ``rows`` entry per VM."""

    moves: list[Move] = field(default_factory=list)
    refused: list[tuple[VmRef, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def plan_drain(client: ProxmoxClient, refs: list[VmRef], rooms: list[NodeRoom], *, with_local_disks: bool) -> Drained:
    """The plan for moving ``refs`` (the node's running VMs) into ``rooms``; sends nothing."""
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
    steps = plan([r for r in refs if r.vmid in pres], pres, rooms, with_local_disks=with_local_disks) + unknown
    out = Drained()
    for step in steps:
        move = None
        reason = step.reason
        if step.target is not None:
            try:
                move = plan_move(step.ref, step.target, running=True, with_local_disks=with_local_disks)
            except MoveError as exc:
                reason = str(exc).split(": ", 1)[-1]
        if move is None:
            out.refused.append((step.ref, reason))
        else:
            out.moves.append(move)
        out.rows.append(
            {
                "vmid": step.ref.vmid,
                "name": step.ref.name,
                "memory": gib(step.memory),
                "target": step.target if move else None,
                "mode": move.mode if move else "stays",
                "reason": reason or None,
                "request": move.describe() if move else None,
            }
        )
    return out
