"""The servers ``pvectl sim serve`` runs from a state dir, recorded in ``server.json`` for ``sim status``.

Each entry names its URL, host and port, so a server on any loopback address (``--host 127.0.0.21``) is found.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pvectl.sim.paths import SERVER_FILE


@contextmanager
def _locked(directory: Path) -> Iterator[Path]:
    fd = os.open(directory / (SERVER_FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield directory / SERVER_FILE
    finally:
        os.close(fd)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if isinstance(data, dict) and "servers" not in data:
        data = {"servers": [data]}  # one server, as earlier versions wrote it
    servers = data.get("servers") if isinstance(data, dict) else None
    return [s for s in servers or [] if isinstance(s, dict)]


def _write(path: Path, servers: list[dict[str, Any]]) -> None:
    if not servers:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"servers": servers}), encoding="utf-8")
    os.replace(tmp, path)


def record_server(directory: Path, info: Mapping[str, Any]) -> None:
    with _locked(directory) as path:
        servers = [s for s in _read(path) if s.get("url") != info["url"]]
        _write(path, [*servers, dict(info)])


def forget_server(directory: Path, info: Mapping[str, Any]) -> None:
    with _locked(directory) as path:
        _write(path, [s for s in _read(path) if s.get("url") != info["url"] or s.get("pid") != info.get("pid")])


def recorded_servers(directory: Path) -> list[dict[str, Any]]:
    return _read(directory / SERVER_FILE)
