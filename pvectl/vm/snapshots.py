"""VM snapshots: the tree PVE lists, and the retention of snapshots pvectl made (``--keep N``).

pvectl marks the snapshots it makes with ``--keep`` twice: the name is ``PREFIX-YYYYMMDD-HHMMSS`` (UTC) and the
description ends with :data:`MARK`. Retention only ever deletes snapshots carrying both, so snapshots made by
hand, by the GUI or by other tools are never touched, whatever their names.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

MARK = "[made by pvectl --keep]"
CURRENT = "current"  # PVE's pseudo snapshot for the present state (schema: "Value 'current' identifies the current VM")
STAMP = "%Y%m%d-%H%M%S"
_clock = time.time  # the stamp's time (tests move it)


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
    from pvectl.sdk._core.answers import as_rows

    path = f"/nodes/{node}/{kind}/{vmid}/snapshot"
    rows = as_rows(f"GET {path}", client.request("GET", path))
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
    return f"{prefix}-{time.strftime(STAMP, time.gmtime(_clock() if now is None else now))}"


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

    def walk(parent: str, depth: int) -> None:
        for snap in sorted(children.get(parent, []), key=lambda s: (s.current, s.snaptime, s.name)):
            indent = "  " * depth + "`- "
            if snap.current:
                lines.append(f"{indent}current  <- you are here")
                continue
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(snap.snaptime)) if snap.snaptime else "-"
            extra = "  [vmstate]" if snap.vmstate else ""
            text = f"  {snap.description}" if snap.description else ""
            lines.append(f"{indent}{snap.name}  {when}{extra}{text}")
            walk(snap.name, depth + 1)

    walk("", 0)
    return lines
