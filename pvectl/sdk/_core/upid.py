"""PVE task identifiers (UPIDs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# pve-common PVE::UPID::decode
_UPID = re.compile(
    r"UPID:(?P<node>[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?):(?P<pid>[0-9A-Fa-f]{8}):"
    r"(?P<pstart>[0-9A-Fa-f]{8,9}):(?P<starttime>[0-9A-Fa-f]{8}):(?P<type>[^:\s/]+):"
    r"(?P<id>[^:\s/]*):(?P<user>[^:\s/]+):"
)


@dataclass(frozen=True)
class Upid:
    """A parsed UPID: ``UPID:node:pid:pstart:starttime:type:id:user:``."""

    raw: str
    node: str
    pid: int
    pstart: int
    starttime: int
    type: str
    id: str
    user: str

    def __str__(self) -> str:
        return self.raw


def parse_upid(text: str) -> Upid:
    m = _UPID.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a PVE task id (UPID): {text!r}")
    return Upid(
        raw=text.strip(),
        node=m["node"],
        pid=int(m["pid"], 16),
        pstart=int(m["pstart"], 16),
        starttime=int(m["starttime"], 16),
        type=m["type"],
        id=m["id"],
        user=m["user"],
    )


def is_upid(text: object) -> bool:
    return isinstance(text, str) and _UPID.fullmatch(text.strip()) is not None
