"""Moving VMs to another node: PVE's own preflight per VM (``GET …/migrate``), what each move would send, and
what is refused before anything is sent and why. Reads only; pvectl.cli.moves sends the moves on the runner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvectl.guest.ops.drain import Drained

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef
    from pvectl.vm.migrate import Move, Preflight


def plan_migrations(
    client: ProxmoxClient,
    refs: list[VmRef],
    to: str,
    *,
    online: bool | None,
    with_local_disks: bool,
    target_storage: str | None,
) -> Drained:
    """Each VM's move to ``to`` or why it stays; MoveError for options PVE cannot honour (a usage error)."""
    from pvectl.vm.migrate import Preflight, plan_move, problems, try_preflight

    out = Drained()
    for ref in refs:
        pre = try_preflight(client, ref, to)
        if isinstance(pre, str):
            out.rows.append(plan_row(None, ref, to, Preflight(running=ref.status == "running"), [pre]))
            out.refused.append((ref, pre))
            continue
        move = plan_move(
            ref,
            to,
            running=pre.running,
            online=online,
            with_local_disks=with_local_disks,
            target_storage=target_storage,
        )
        live = move.mode in ("online", "ha-migrate") and pre.running
        blocked = problems(pre, to, online=live, with_local_disks=with_local_disks)
        out.rows.append(plan_row(move, ref, to, pre, blocked))
        if blocked:
            out.refused.append((ref, "; ".join(blocked)))
        else:
            out.moves.append(move)
    return out


def plan_row(move: Move | None, ref: VmRef, target: str, pre: Preflight, blocked: list[str]) -> dict[str, object]:
    from pvectl.vm.drain import gib, memory_of

    return {
        "vmid": ref.vmid,
        "name": ref.name,
        "node": ref.node,
        "target": target,
        "mode": move.mode if move else "-",
        "memory": gib(memory_of(ref)),
        "local_disks": ", ".join(d.volid for d in pre.local_disks) or "-",
        "local_resources": ", ".join(pre.local_resources) or "-",
        "blocked": "; ".join(blocked) or "-",
        "allowed_nodes": list(pre.allowed) if pre.allowed is not None else None,
        "request": move.describe() if move else None,
    }
