"""Snapshots of VMs and containers: the names PVE accepts, the tree PVE lists, and which snapshots pvectl made
are expired under ``--keep N`` (the deletes themselves are writes of pvectl.guest.ops.snapshot).

pvectl marks the snapshots it makes with ``--keep`` twice: the name is ``PREFIX-YYYYMMDD-HHMMSS`` (UTC) and the
description ends with :data:`MARK`. Retention only ever deletes snapshots carrying both, so snapshots made by
hand, by the GUI or by other tools are never touched, whatever their names.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

MARK = "[made by pvectl --keep]"
CURRENT = "current"  # PVE's pseudo snapshot for the present state (schema: "Value 'current' identifies the current VM")
STAMP = "%Y%m%d-%H%M%S"
_clock = time.time  # the stamp's time (tests move it)


def reserved(name: str, kind: str = "qemu", *, creating: bool = True) -> str | None:
    """Why PVE refuses ``name`` as a snapshot name; None when it may be used. QEMU (qemu-server
    src/PVE/API2/Qemu.pm snapshot): 'current', and 'pending' in any case. LXC (pve-container
    src/PVE/API2/LXC/Snapshot.pm snapshot): 'current', and on create 'vzdump' (the name vzdump's snapshot-mode
    backup gives its own, which a user may still need to delete after a failed backup)."""
    if kind == "lxc":
        names = ("current", "vzdump") if creating else ("current",)
        if name in names:
            return f"'{name}' is a reserved snapshot name in PVE ({' and '.join(map(repr, names))}); choose another"
        return None
    if name == CURRENT or name.lower() == "pending":
        return f"'{name}' is a reserved snapshot name in PVE ('current' and 'pending'); choose another"
    return None


MAX_NAME = 40  # pve-common src/PVE/JSONSchema.pm 'pve-snapshot-name': format pve-configid, maxLength 40


def invalid(name: str, *, stamped: bool = False) -> str | None:
    """Why PVE's schema refuses ``name`` as a snapshot name (``stamped``: it is a --keep prefix, and the name
    sent is NAME-YYYYMMDD-HHMMSS); None when it passes."""
    from pvectl.sdk._core.formats import check_format

    suffix = len(stamped_name("", 0.0)) if stamped else 0
    if check_format("pve-configid", name):
        return f"'{name}': a letter, then at least one more letter, digit, '_' or '-' (PVE's pve-configid)"
    if len(name) + suffix > MAX_NAME:
        what = f"a --keep prefix, {suffix} go to the -YYYYMMDD-HHMMSS stamp" if stamped else "PVE's limit"
        return f"'{name}': at most {MAX_NAME - suffix} characters ({what})"
    return None


def why_no_snapshot(client: ProxmoxClient, ref: VmRef) -> str | None:
    """Why PVE cannot snapshot ``ref``, or None. pve-guest-common src/PVE/AbstractConfig.pm
    ``__snapshot_prepare`` dies for a template ("you can't take a snapshot if it's a template") and when a volume's
    storage lacks the snapshot feature ("snapshot feature is not available"), for VMs and containers alike; the
    latter is asked with ``GET …/feature?feature=snapshot`` (qemu-server vm_feature: PVE::QemuConfig has_feature,
    CD drives aside; pve-container src/PVE/API2/LXC.pm vm_feature: every mount point's volume)."""
    from pvectl.guest.api import guest_api
    from pvectl.sdk import ApiError

    if str(ref.raw.get("template", 0)) == "1":
        return "a template (PVE takes no snapshots of templates)"
    try:
        answer = guest_api(client, ref.node, ref.vmid, ref.kind).feature(feature="snapshot")
    except ApiError:
        return None  # cannot tell: let PVE answer the snapshot itself
    if answer.has_feature is False:
        if ref.kind == "lxc":
            return "a volume's storage has no snapshots (e.g. a directory, plain LVM)"
        return "a disk's storage or format has no snapshots (e.g. raw on a directory, plain LVM)"
    return None


def snapshottable(
    client: ProxmoxClient, refs: Sequence[VmRef], say: Callable[[str], None]
) -> tuple[list[VmRef], list[tuple[VmRef, str]]]:
    """The guests PVE can snapshot, and the others with why (each said once through ``say``: skipped, not a
    failure: a nightly ``--all`` should not fail on a cluster that has templates)."""
    ok: list[VmRef] = []
    skipped: list[tuple[VmRef, str]] = []
    for ref in refs:
        why = why_no_snapshot(client, ref)
        if why is None:
            ok.append(ref)
        else:
            skipped.append((ref, why))
            say(f"{'CT' if ref.kind == 'lxc' else 'VM'} {ref.vmid} ({ref.name or 'no name'}): skipped: {why}")
    return ok, skipped


@dataclass(frozen=True)
class Snap:
    name: str
    parent: str
    snaptime: int
    description: str
    vmstate: bool

    @property
    def current(self) -> bool:
        return self.name == CURRENT


def snapshots(client: ProxmoxClient, node: str, vmid: int, kind: str = "qemu") -> list[Snap]:
    """PVE's list, ``current`` included (last); ``kind`` lxc for a container's."""
    from pvectl.guest.api import guest_api
    from pvectl.sdk._core.answers import as_rows

    path = f"/nodes/{node}/{kind}/{vmid}/snapshot"
    rows = as_rows(f"GET {path}", guest_api(client, node, vmid, kind).snapshot.list())
    return [_snap(row) for row in rows]


def _snap(row: dict[str, Any]) -> Snap:
    return Snap(
        name=str(row.get("name", "")),
        parent=str(row.get("parent") or ""),
        snaptime=int(row.get("snaptime") or 0),
        description=str(row.get("description") or ""),
        vmstate=bool(row.get("vmstate")),
    )


def stamped(prefix: str, now: float | None = None) -> str:
    return stamped_name(prefix, _clock() if now is None else now)


def stamped_name(prefix: str, now: float) -> str:
    return f"{prefix}-{time.strftime(STAMP, time.gmtime(now))}"


def description(text: str | None) -> str:
    return f"{text} {MARK}" if text else MARK


def expired(snaps: Sequence[Snap], prefix: str, keep: int) -> list[Snap]:
    """The snapshots pvectl made with ``prefix`` beyond the ``keep`` newest: oldest first."""
    pattern = re.compile(re.escape(prefix) + r"-\d{8}-\d{6}")
    ours = [s for s in snaps if pattern.fullmatch(s.name) and s.description.endswith(MARK) and not s.current]
    ours.sort(key=lambda s: (s.snaptime, s.name))
    return ours[: max(0, len(ours) - keep)]


def tree_lines(snaps: Sequence[Snap]) -> list[str]:
    """The snapshot tree, children indented under their parent, the present state marked ``<- current``."""
    children: dict[str, list[Snap]] = {}
    names = {s.name for s in snaps}
    for snap in snaps:
        parent = snap.parent if snap.parent in names else ""
        children.setdefault(parent, []).append(snap)
    lines: list[str] = []
    seen: set[int] = set()

    def order(group: Sequence[Snap]) -> list[Snap]:
        return sorted(group, key=lambda s: (s.current, s.snaptime, s.name))

    # Without recursion and each snapshot once: a broken answer may chain thousands of them, or make a cycle
    # (a parent that is its own descendant, a snapshot named ""), which is then shown from where it is met.
    roots = [*order(children.get("", [])), *(s for s in order(snaps) if s.parent in names)]
    stack = [(snap, 0) for snap in reversed(roots)]
    while stack:
        snap, depth = stack.pop()
        if id(snap) in seen:
            continue
        seen.add(id(snap))
        indent = "  " * min(depth, 40) + "`- "  # PVE's chains are short; a broken one's output stays linear
        if snap.current:
            lines.append(f"{indent}current  <- you are here")
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(snap.snaptime)) if snap.snaptime else "-"
        extra = "  [vmstate]" if snap.vmstate else ""
        text = f"  {snap.description}" if snap.description else ""
        lines.append(f"{indent}{snap.name}  {when}{extra}{text}")
        stack += [(child, depth + 1) for child in reversed(order(children.get(snap.name, []))) if child is not snap]
    return lines
