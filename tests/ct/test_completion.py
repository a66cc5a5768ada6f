"""Completion values for containers: ids and hostnames (containers only), templates, rootdir storages."""

from __future__ import annotations

from typing import Any

from pvectl.cli.completers import _values

ROWS = [
    {"vmid": 100, "name": "dns1", "type": "qemu", "status": "running", "node": "pve1"},
    {"vmid": 110, "name": "ns1", "type": "lxc", "status": "running", "node": "pve1"},
]
STORAGES = [
    {"storage": "local", "content": "iso,vztmpl,backup"},
    {"storage": "local-lvm", "content": "images,rootdir"},
]


def get(method: str, path: str, params: dict[str, Any] | None = None) -> Any:
    if path == "/cluster/resources":
        return ROWS
    if path == "/storage":
        return STORAGES
    if path == "/nodes/pve1/storage":
        return [{"storage": "local"}]
    if path == "/nodes/pve1/storage/local/content":
        return [{"volid": "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst", "size": 2**27}]
    if path == "/nodes/pve1/aplinfo":
        return [{"template": "debian-13-standard_13.1-2_amd64.tar.zst", "headline": "Debian 13"}]
    raise AssertionError(path)


def test_containers_only_ids_then_hostnames() -> None:
    assert [v for v, _ in _values(get, "ct", None)] == ["110", "ns1"]
    assert [v for v, _ in _values(get, "vm", None)] == ["100", "dns1"]


def test_rootdir_storages_and_templates() -> None:
    assert [v for v, _ in _values(get, "storage:rootdir", None)] == ["local-lvm"]
    assert [v for v, _ in _values(get, "vztmpl", "pve1")] == ["local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"]
    assert [v for v, _ in _values(get, "aplinfo", "pve1")] == ["debian-13-standard_13.1-2_amd64.tar.zst"]
