"""pvectl.sdk.lib against the simulator on a mock transport: find a guest, wait for a task, bulk runs, sync and
async twins."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, TaskFailed
from pvectl.sdk.lib import (
    Guest,
    GuestNotFound,
    async_find_guest,
    async_run_bulk,
    find_guest,
    list_guests,
    run_bulk,
    wait_task,
)
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of


def world(tmp_path: Path) -> tuple[Simulator, str]:
    sim = Simulator(Store(tmp_path / "state.json", {"task_seconds": 0}))
    creds = credentials_of(sim.store.snapshot())
    return sim, f"root@pam!{creds['token_id']}={creds['token_secret']}"


def test_find_guest_by_id_and_name_and_wait(tmp_path: Path) -> None:
    sim, token = world(tmp_path)
    with ProxmoxClient("127.0.0.1:8006", token=token, transport=mock_transport(sim)) as client:
        web = find_guest(client, "web1")
        assert (web.vmid, web.kind, web.node) == (101, "qemu", "pve2")
        assert find_guest(client, 102).name == "scratch"
        with pytest.raises(GuestNotFound, match="no guest named 'nope'"):
            find_guest(client, "nope")
        status = wait_task(client, find_guest(client, 102).power(client, "start"), timeout=30)
        assert status["exitstatus"] == "OK"


def test_run_bulk_gives_one_result_per_guest(tmp_path: Path) -> None:
    sim, token = world(tmp_path)
    with ProxmoxClient("127.0.0.1:8006", token=token, transport=mock_transport(sim)) as client:
        guests = list_guests(client, kinds=("qemu",))
        results = run_bulk(client, guests, lambda c, g: g.power(c, "start"), parallel=2)
    # 100 and 101 run already: PVE's start task fails for them; 102 starts
    by_id = {r.guest.vmid: r for r in results}
    assert by_id[102].ok and by_id[102].upid
    assert [r.guest.vmid for r in results] == [100, 101, 102]
    assert all(isinstance(r.error, TaskFailed) for r in results if not r.ok)


def test_async_twins(tmp_path: Path) -> None:
    sim, token = world(tmp_path)
    inner = mock_transport(sim)

    async def handle(request: httpx.Request) -> httpx.Response:
        return inner.handle_request(request)

    async def main() -> list[bool]:
        async with AsyncProxmoxClient("127.0.0.1:8006", token=token, transport=httpx.MockTransport(handle)) as client:
            scratch = await async_find_guest(client, "scratch")
            assert scratch == Guest(102, "pve2", "qemu", "scratch", "stopped")

            async def start(c: AsyncProxmoxClient, g: Guest) -> str:
                task = await c.nodes(g.node).qemu(g.vmid).status.start()
                return task.upid.raw

            results = await async_run_bulk(client, [scratch], start)
            return [r.ok for r in results]

    assert asyncio.run(main()) == [True]
