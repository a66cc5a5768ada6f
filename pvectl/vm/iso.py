"""Choosing the default ISO: the newest ``nixos-minimal-<version>-x86_64-linux.iso``, compared numerically."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_NIXOS = re.compile(r"nixos-minimal-(?P<version>[0-9][0-9A-Za-z.]*)-x86_64-linux\.iso")


@dataclass(frozen=True)
class IsoFile:
    volid: str  # cephfs:iso/nixos-minimal-25.05.1234.abcdef-x86_64-linux.iso
    size: int = 0
    ctime: int = 0

    @property
    def filename(self) -> str:
        return self.volid.split("/")[-1]


def nixos_version(filename: str) -> tuple[int, ...] | None:
    """``nixos-minimal-25.05.1234.ab12cd-x86_64-linux.iso`` -> (25, 5, 1234); None for other files.

    Only the leading numeric dot-separated parts count (the last part is often a git revision).
    """
    m = _NIXOS.fullmatch(filename)
    if not m:
        return None
    parts: list[int] = []
    for part in m["version"].split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts) if parts else None


def latest_nixos(isos: Iterable[IsoFile]) -> IsoFile | None:
    """The newest NixOS minimal ISO; equal versions are ordered by ctime."""
    best: tuple[tuple[int, ...], int, IsoFile] | None = None
    for iso in isos:
        version = nixos_version(iso.filename)
        if version is None:
            continue
        key = (version, iso.ctime, iso)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def newest_first(isos: Iterable[IsoFile]) -> list[IsoFile]:
    """NixOS ISOs newest first, then the others by name (the order the prompts and the TUI show)."""
    items = list(isos)
    nix = sorted(
        (i for i in items if nixos_version(i.filename) is not None),
        key=lambda i: (nixos_version(i.filename) or (), i.ctime),
        reverse=True,
    )
    rest = sorted((i for i in items if nixos_version(i.filename) is None), key=lambda i: i.filename)
    return nix + rest
