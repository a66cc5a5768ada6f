"""The backup catalog on answers recorded from real PVE servers (tests/sdk/realdata), not the simulator's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from pvectl.backup.catalog import list_backups
from pvectl.sdk import ProxmoxClient
from tests.conftest import FakeClock

REALDATA = Path(__file__).resolve().parent.parent / "sdk" / "realdata" / "pveunknown"


def recorded(name: str) -> Any:
    return json.loads((REALDATA / name).read_text())["answer"]


def test_a_pbs_datastore_listed_from_a_real_answer() -> None:
    storages = [{**recorded("node-storage-list.json")[0], "storage": "datastore", "type": "pbs", "shared": 1}]
    answers = {
        "/version": {"version": "8.1.3", "release": "8.1", "repoid": "b46aac3b"},
        "/nodes": [{"node": "pve", "status": "online"}],
        "/nodes/pve/storage": storages,
        "/nodes/pve/storage/datastore/content": recorded("storage-content-pbs.json"),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": answers[request.url.path.removeprefix("/api2/json")]})

    client = ProxmoxClient(
        "127.0.0.1:8006", token="root@pam!t=s", transport=httpx.MockTransport(handle), clock=FakeClock()
    )
    found = list_backups(client)
    assert found and all(b.storage == "datastore" and b.kind == "qemu" and b.format == "pbs-vm" for b in found)
    newest = found[0]
    assert (newest.vmid, newest.volid) == (931, "datastore:backup/vm/931/2023-12-14T19:36:00Z")
    assert [b.ctime for b in found] == sorted((b.ctime for b in found), reverse=True)
