"""Refuse methods and parameters the server's PVE release does not have, before sending."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pvectl.sdk._core.errors import UnsupportedByServer

_FAMILY = re.compile(r"([a-z_]+?)\d+")


@lru_cache(maxsize=64)
def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[.-]", version) if p.isdigit())


@lru_cache(maxsize=64)
def release_index(server: str, known: tuple[str, ...]) -> int | None:
    """Index of the newest known release that is not newer than ``server`` (None: older than all known)."""
    key = version_key(server)
    best = None
    for i, v in enumerate(known):
        if version_key(v) <= key:
            best = i
    return best


def is_newer_than_table(server: str, known: tuple[str, ...]) -> bool:
    return version_key(server) > version_key(known[-1])


def check_supported(
    op_key: str,
    params: Iterable[str],
    server: str,
    known: tuple[str, ...],
    table: Mapping[str, tuple[str, Mapping[str, str]]],
) -> UnsupportedByServer | None:
    """The first thing in this call that ``server`` lacks, as an error; None when all is there."""
    idx = release_index(server, known)
    entry = table.get(op_key)
    if idx is None or entry is None:
        return None
    present, by_param = entry

    def first_after(bits: str) -> str | None:
        for i in range(idx + 1, len(known)):
            if bits[i] == "1":
                return known[i]
        return None

    if present[idx] != "1":
        since = first_after(present)
        need = f"needs PVE {since} or newer" if since else "is not available"
        return UnsupportedByServer(
            f"{op_key} {need}; the server runs PVE {server}", name=op_key, since=since, server=server
        )
    for name in params:
        bits = by_param.get(name)
        if bits is None:
            m = _FAMILY.fullmatch(name)
            bits = by_param.get(f"{m.group(1)}[n]") if m else None
        if bits is None or bits[idx] == "1":
            continue
        since = first_after(bits)
        need = f"needs PVE {since} or newer" if since else "is not available in this release"
        return UnsupportedByServer(
            f"parameter '{name}' of {op_key} {need}; the server runs PVE {server}",
            name=name,
            since=since,
            server=server,
        )
    return None
