"""A process loads only the rows its requests touch, and reuses answers another process stored for the same state.

Two Store objects on one file stand for two processes (each has its own connections and memory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from pvectl.sim import answers, tasks
from pvectl.sim.core import Simulator
from pvectl.sim.store import ROW_SECTIONS, StaleRead, Store
from pvectl.sim.world import credentials_of

from .conftest import SimClock

SEED: dict[str, Any] = {
    "task_seconds": 0,
    "vms": [
        {"vmid": 100 + i, "node": "pve1", "name": f"web{i}", "status": "running" if i % 2 else "stopped"}
        for i in range(6)
    ],
}


def _headers(store: Store) -> dict[str, str]:
    creds = store.credentials()
    return {
        "Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _get(sim: Simulator, path: str, query: str = "") -> Any:
    answer = sim.handle("GET", f"/api2/json{path}", query, _headers(sim.store))
    assert answer.status == 200, answer.reason
    return answer.json()["data"]


def _create(sim: Simulator, vmid: int) -> None:
    body = f"vmid={vmid}&name=new{vmid}&memory=512".encode()
    answer = sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=_headers(sim.store))
    assert answer.status == 200, answer.reason


@pytest.fixture
def path(tmp_path: Path) -> Path:
    state = tmp_path / "state.db"
    Store(state, SEED).close()
    return state


def test_a_process_loads_no_rows_until_a_request_touches_them(path: Path, clock: SimClock) -> None:
    sim = Simulator(Store(path), clock=clock)
    assert _get(sim, "/version")["version"]
    assert sim.store.loaded == {"tasks"}
    config = _get(sim, "/nodes/pve1/qemu/103/config")
    assert config["name"] == "web3"
    assert "vms" in sim.store.loaded


def test_an_answer_stored_by_one_process_serves_the_next_without_its_rows(path: Path, clock: SimClock) -> None:
    first = Simulator(Store(path), clock=clock)
    rendered = _get(first, "/cluster/resources", "type=vm")
    assert [r["vmid"] for r in rendered] == [100, 101, 102, 103, 104, 105]
    second = Simulator(Store(path), clock=clock)
    assert _get(second, "/cluster/resources", "type=vm") == rendered
    assert "vms" not in second.store.loaded
    # other parameters are another answer
    assert any(r["type"] == "node" for r in _get(second, "/cluster/resources"))


def test_a_write_in_another_process_is_seen_by_the_next_answer(path: Path, clock: SimClock) -> None:
    reader = Simulator(Store(path), clock=clock)
    writer = Simulator(Store(path), clock=clock)
    assert len(_get(reader, "/cluster/resources", "type=vm")) == 6
    _create(writer, 777)
    after = _get(reader, "/cluster/resources", "type=vm")
    assert [r["vmid"] for r in after][-1] == 777
    # and a third process gets the new answer, not the stored old one
    assert len(_get(Simulator(Store(path), clock=clock), "/cluster/resources", "type=vm")) == 7


def test_a_new_status_interval_moves_only_the_uptime_on(clock: SimClock) -> None:
    sim = Simulator(Store(None, SEED), clock=clock)
    before = _get(sim, "/cluster/resources")
    clock.offset += 3 * answers.STATUS_INTERVAL + 1
    aged = _get(sim, "/cluster/resources")
    fresh = Simulator(Store(None, state=orjson.loads(orjson.dumps(sim.store.snapshot()))), clock=clock)
    assert aged == _get(fresh, "/cluster/resources")  # the same as rendering it again now
    moved = [(b["id"], a["uptime"] - b["uptime"]) for b, a in zip(before, aged, strict=True) if a != b]
    running = [f"qemu/{100 + i}" for i in range(6) if i % 2]
    assert [vm for vm, _ in moved] == running
    assert all(delta >= 3 * answers.STATUS_INTERVAL for _, delta in moved)


def test_ageing_matches_a_render_for_a_vm_started_in_the_rendered_second() -> None:
    body = orjson.dumps({"data": [{"type": "qemu", "status": "running", "uptime": 0}, {"type": "node", "uptime": 9}]})
    assert orjson.loads(answers.aged(body, 1000.9, 1012.1))["data"] == [
        {"type": "qemu", "status": "running", "uptime": 12},
        {"type": "node", "uptime": 9},
    ]


def test_a_section_first_touched_after_another_process_wrote_is_a_stale_read(path: Path) -> None:
    reader, writer = Store(path), Store(path)
    with reader.transaction(sections=()) as txn:
        with writer.transaction(write=True) as wtxn:
            wtxn.state["vms"]["100"]["config"]["name"] = "renamed"
            wtxn.changed()
        with pytest.raises(StaleRead):
            txn.state["vms"].get("100")
    with reader.transaction(sections=()) as txn:
        assert txn.state["vms"]["100"]["config"]["name"] == "renamed"


def test_the_simulator_runs_a_stale_read_again(path: Path, clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Simulator(Store(path), clock=clock)
    writer = Simulator(Store(path), clock=clock)
    real_due = tasks.due
    calls: list[int] = []

    def due_then_another_process_writes(state: dict[str, Any], now: float) -> bool:
        calls.append(1)
        if len(calls) == 1:  # after the reader's transaction began, before it touches the VM rows
            _create(writer, 888)
        return real_due(state, now)

    monkeypatch.setattr(tasks, "due", due_then_another_process_writes)
    assert _get(reader, "/nodes/pve1/qemu/888/config")["name"] == "new888"
    assert len(calls) >= 2  # the first run was stale and ran again


def test_a_fault_counts_a_request_run_again_once(path: Path, clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Simulator(Store(path), clock=clock)
    writer = Simulator(Store(path), clock=clock)
    reader.inject("fail:path=/nodes/pve1/qemu/100/config,method=GET,nth=2,status=500,message=boom")
    real_due = tasks.due
    calls: list[int] = []

    def due_then_another_process_writes(state: dict[str, Any], now: float) -> bool:
        calls.append(1)
        if len(calls) == 1:
            _create(writer, 889)
        return real_due(state, now)

    monkeypatch.setattr(tasks, "due", due_then_another_process_writes)
    assert _get(reader, "/nodes/pve1/qemu/100/config")["name"] == "web0"  # the first call, run twice
    assert len(calls) >= 2
    failed = reader.handle("GET", "/api2/json/nodes/pve1/qemu/100/config", "", _headers(reader.store))
    assert failed.status != 200  # the second call is the one the fault names


def test_every_section_loads_for_a_write(path: Path, clock: SimClock) -> None:
    sim = Simulator(Store(path), clock=clock)
    _create(sim, 901)
    assert sim.store.loaded == set(ROW_SECTIONS)
    assert credentials_of(sim.store.snapshot())["token_id"]
