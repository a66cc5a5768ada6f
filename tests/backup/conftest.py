"""`pvectl backup ...` in-process against the simulator (the vm harness, with a storage for backups)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vm.conftest import SimCli, sim_cli

GiB = 1024**3
STORAGES: list[dict[str, Any]] = [
    {"id": "cephfs", "type": "cephfs", "content": ["iso", "vztmpl", "backup"], "shared": True, "total": 2048 * GiB},
    {"id": "ceph-pool", "type": "rbd", "content": ["images"], "shared": True, "total": 4096 * GiB},
    {"id": "local", "type": "dir", "content": ["iso", "images", "backup"]},
    {"id": "local-lvm", "type": "lvmthin", "content": ["images"]},
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from sim_cli(tmp_path, monkeypatch, storages=STORAGES)
