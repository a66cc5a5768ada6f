"""Volumes on storages, keyed so that finding one costs the same in any world size.

``state["volumes"]`` maps ``key(volid, node)`` to the volume: a volume on a shared storage has no node (one
entry, seen from every node), one on a node-local storage belongs to its node (``local:iso/x.iso`` on two nodes
is two volumes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

State = dict[str, Any]


def key(volid: str, node: str | None) -> str:
    return f"{volid}@{node or ''}"


def add(state: State, volume: Mapping[str, Any]) -> None:
    state["volumes"][key(volume["volid"], volume["node"])] = dict(volume)


def find(state: State, volid: str, node: str) -> dict[str, Any] | None:
    """The volume ``volid`` as ``node`` sees it (shared or its own), or None."""
    volumes = state["volumes"]
    for k in (key(volid, None), key(volid, node)):
        if k in volumes:
            found: dict[str, Any] = volumes[k]
            return found
    return None


def remove(state: State, volid: str, node: str | None) -> None:
    volumes = state["volumes"]
    for k in (key(volid, None), key(volid, node)):
        if k in volumes:
            del volumes[k]


def visible(state: State, storage: str, node: str) -> Iterator[dict[str, Any]]:
    """Every volume of ``storage`` seen from ``node`` (a scan: for listings, whose answer is as long)."""
    volumes = state["volumes"]
    entries = volumes.peek_values() if hasattr(volumes, "peek_values") else volumes.values()
    for vol in entries:
        if vol["storage"] == storage and vol["node"] in (None, node):
            yield vol


def usage(state: State) -> dict[tuple[str, str | None], int]:
    """Bytes used per (storage, node or None for shared volumes), in one pass."""
    volumes = state["volumes"]
    entries = volumes.peek_values() if hasattr(volumes, "peek_values") else volumes.values()
    out: dict[tuple[str, str | None], int] = {}
    for vol in entries:
        k = (vol["storage"], vol["node"])
        out[k] = out.get(k, 0) + int(vol["size"])
    return out
