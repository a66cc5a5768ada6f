"""Package versions of the simulated nodes (``GET /nodes/{node}/apt/versions``) and what depends on them.

A seed may set them (``packages``); by default pve-manager is the world's version and qemu-server the release
that came with it: pve-manager 9.1.9 and qemu-server 9.1.7 were released the same day (2026-04-21, the
debian/changelog of either), so a world of pve-manager 9.1.9 or newer runs qemu-server 9.1.7, an older one
qemu-server 9.1.6 (9.1 worlds) or the 8.x/9.0 line (whose exact number matters to nothing simulated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# qemu-server src/PVE/API2/Qemu.pm termproxy passes --vncticket-endpoint since 9.1.7 (commit c9ee34b5):
# termproxy then checks its login line at POST /access/vncticket, which accepts API token ids
# (pve-access-control 9.0.4, "allow token-owned VNC ticket verification"). Older releases check it at
# POST /access/ticket, whose username lookup refuses token ids.
VNCTICKET_QEMU_SERVER = (9, 1, 7)
# pve-container src/PVE/API2/LXC.pm termproxy: the same --vncticket-endpoint since 6.1.3 (commit 45d994c), released
# 2026-04-21 with qemu-server 9.1.7 and pve-manager 9.1.9 (the debian/changelog of each)
VNCTICKET_PVE_CONTAINER = (6, 1, 3)


def version_key(version: str) -> tuple[int, ...]:
    """A Debian package version as numbers to compare (``9.1.7`` -> (9, 1, 7), ``7.4-3`` -> (7, 4, 3)); the
    simulator's own, so its release rules do not lean on the client's arithmetic."""
    return tuple(int(p) for p in re.split(r"[.-]", version) if p.isdigit())


def versions(state: Mapping[str, Any]) -> dict[str, str]:
    manager = str(state["version"])
    key = version_key(manager)
    qemu = "9.1.7" if key >= (9, 1, 9) else "9.1.6" if key >= (9, 1) else "9.0.11" if key >= (9,) else "8.3.14"
    ct = "6.1.3" if key >= (9, 1, 9) else "6.1.2" if key >= (9, 1) else "6.0.2" if key >= (9,) else "5.3.3"
    packages = {"pve-manager": manager, "qemu-server": qemu, "pve-container": ct}
    return {**packages, **dict(state.get("packages") or {})}


def termproxy_accepts_tokens(state: Mapping[str, Any], kind: str = "qemu") -> bool:
    if kind == "lxc":
        return version_key(versions(state)["pve-container"]) >= VNCTICKET_PVE_CONTAINER
    return version_key(versions(state)["qemu-server"]) >= VNCTICKET_QEMU_SERVER
