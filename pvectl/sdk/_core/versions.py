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


def _pins(table: object) -> Mapping[str, str]:
    """The changelog pins that go with ``table``: the generated table's own (SINCE), none for another table."""
    from pvectl.sdk import _versions

    return _versions.SINCE if table is _versions.TABLE else {}


def check_supported(
    op_key: str,
    params: Iterable[str],
    server: str,
    known: tuple[str, ...],
    table: Mapping[str, tuple[str, Mapping[str, str]]],
    pins: Mapping[str, str] | None = None,
) -> UnsupportedByServer | None:
    """The first thing in this call that ``server`` lacks for sure, as an error; None when all is there or when
    it cannot be known.

    ``known`` are pve-manager releases (what GET /version answers), one per schema dump. A server between the
    last release without a feature and the first with it may or may not have it: unknown, unless ``pins``
    (default: the generated table's SINCE, from pve-manager's changelog) names the release that added it.
    """
    idx = release_index(server, known)
    entry = table.get(op_key)
    if idx is None or entry is None:
        return None
    pins = _pins(table) if pins is None else pins
    present, by_param = entry
    exact = version_key(server) == version_key(known[idx])

    def lacks(bits: str, feature: str) -> tuple[bool, str | None]:
        """(certainly absent, the first release known to have it)."""
        if bits[idx] == "1":
            return False, None
        pin = pins.get(feature)
        if pin is not None:
            return version_key(server) < version_key(pin), pin
        later = next((i for i in range(idx + 1, len(known)) if bits[i] == "1"), None)
        if later is None:  # in no later release: absent, unless the server is newer than every dump
            return exact or idx < len(known) - 1, None
        # absent in the release it is, or in the next one too (the server lies before that): certainly absent
        return exact or bits[idx + 1] == "0", known[later]

    absent, since = lacks(present, op_key)
    if absent:
        need = f"needs PVE {since} or newer" if since else "is not available"
        return UnsupportedByServer(
            f"{op_key} {need}; the server runs PVE {server}", name=op_key, since=since, server=server
        )
    if present[idx] != "1" and op_key not in pins:
        return None  # whether the method exists is unknown: its parameters cannot be judged either
    for name in params:
        bits = by_param.get(name)
        if bits is None:
            m = _FAMILY.fullmatch(name)
            bits = by_param.get(f"{m.group(1)}[n]") if m else None
        if bits is None:
            continue
        absent, since = lacks(bits, f"{op_key} {name}")
        if not absent:
            continue
        need = f"needs PVE {since} or newer" if since else "is not available in this release"
        return UnsupportedByServer(
            f"parameter '{name}' of {op_key} {need}; the server runs PVE {server}",
            name=name,
            since=since,
            server=server,
        )
    return None


def not_implemented(op_key: str, server: str | None, message: str) -> UnsupportedByServer | None:
    """PVE's answer to a method its release lacks (pve-http-server: 501 "Method 'VERB /path' not implemented"),
    as the same one-line error the table gives before sending; None for any other 501."""
    if "not implemented" not in message or not message.startswith("Method "):
        return None
    from pvectl.sdk import _versions

    entry = _versions.TABLE.get(op_key)
    since = _versions.SINCE.get(op_key)
    if since is None and entry is not None:
        since = next((r for r, bit in zip(_versions.RELEASES, entry[0], strict=True) if bit == "1"), None)
    release = server or "an older release"
    need = f"needs PVE {since} or newer" if since else "is not available"
    return UnsupportedByServer(
        f"{op_key} {need}; the server runs PVE {release}", name=op_key, since=since, server=release
    )
