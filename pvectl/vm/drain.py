"""Emptying a node: which running VM goes where (pure; the CLI fetches the figures and sends the moves).

Largest VM first, each to the allowed target with the most free memory that still fits it (free memory is the
node's total minus what it uses now, minus what the plan already sent there). A VM that cannot move says why:
local devices, local disks without ``--with-local-disks``, no allowed target, or no target with room.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pvectl.vm.migrate import GiB, Preflight, ha_managed, problems

if TYPE_CHECKING:
    from pvectl.vm.lookup import VmRef


@dataclass(frozen=True)
class NodeRoom:
    name: str
    online: bool
    total: int  # bytes of memory
    used: int


@dataclass(frozen=True)
class Step:
    ref: VmRef
    memory: int
    target: str | None  # None: it stays (``reason`` says why)
    reason: str = ""


def memory_of(ref: VmRef) -> int:
    from pvectl.sdk._core.answers import as_int

    return as_int(f"maxmem of VM {ref.vmid} in GET /cluster/resources", ref.raw.get("maxmem"), default=0)


def gib(n: int) -> str:
    return f"{n / GiB:.1f} GiB"


def plan(
    refs: Sequence[VmRef],
    preflights: Mapping[int, Preflight],
    rooms: Sequence[NodeRoom],
    *,
    with_local_disks: bool = False,
    need_of: Callable[[VmRef], int] = memory_of,
) -> list[Step]:
    """One step per guest of ``refs``, largest first; ``rooms`` are the candidate targets. ``need_of``: the memory
    a guest takes on its target (a stopped container: none)."""
    free = {r.name: r.total - r.used for r in rooms if r.online}
    steps = []
    for ref in sorted(refs, key=lambda r: (-need_of(r), r.vmid)):
        need = need_of(ref)
        pre = preflights[ref.vmid]
        if not free:
            steps.append(Step(ref, need, None, "no online target node"))
            continue
        blocked: list[str] = []
        fits: list[str] = []
        for name in free:
            why = problems(pre, name, online=True, with_local_disks=with_local_disks, ha=ha_managed(ref))
            if pre.allowed is not None and name not in pre.allowed and not why:
                why = [f"{name}: not among PVE's allowed nodes"]
            if why:
                blocked += [w for w in why if w not in blocked]
            elif free[name] >= need:
                fits.append(name)
        if fits:
            target = max(fits, key=lambda n: (free[n], -list(free).index(n)))
            free[target] -= need
            steps.append(Step(ref, need, target))
        elif blocked and not _any_unblocked(pre, free, with_local_disks or ha_managed(ref)):
            steps.append(Step(ref, need, None, "; ".join(blocked)))
        else:
            roomiest = max(free, key=lambda n: free[n])
            steps.append(
                Step(ref, need, None, f"no target has {gib(need)} free (most: {roomiest} {gib(free[roomiest])})")
            )
    return steps


def _any_unblocked(pre: Preflight, free: Mapping[str, int], with_local_disks: bool) -> bool:
    return any(
        not problems(pre, name, online=True, with_local_disks=with_local_disks)
        and (pre.allowed is None or name in pre.allowed)
        for name in free
    )
