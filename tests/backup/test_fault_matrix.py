"""backup create and restore through the core's fault matrix (tests/faults): every way an answer can go missing or
odd after PVE acted. The task is found by asking and followed; the write is never sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import Faulty, faulty
from tests.faults.test_guest_writes import AMBIGUOUS, IDS


@pytest.fixture
def pve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faulty]:
    yield from faulty(tmp_path, monkeypatch, 0)


def sent(pve: Faulty, suffix: str) -> int:
    return sum(1 for w in pve.proxy.writes() if w.endswith(suffix))


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
def test_create_after_an_ambiguous_answer(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    pve.proxy.add("POST", r"/nodes/pve2/vzdump", action, **kwargs)
    run = pve("-o", "json", "backup", "create", "101", "--storage", "cephfs")
    assert run.code == 0, run.text
    (out,) = run.json()
    assert (out["outcome"], out["vmid"], out["action"]) == ("done", 101, "backup")
    assert ":vzdump:101:" in out["upid"] and out["checked"]
    assert sent(pve, "/nodes/pve2/vzdump") == 1


@pytest.mark.parametrize(("action", "kwargs"), AMBIGUOUS, ids=IDS)
def test_restore_after_an_ambiguous_answer(pve: Faulty, action: str, kwargs: dict[str, Any]) -> None:
    assert pve("backup", "create", "101", "--storage", "cephfs").code == 0
    volid = pve("-o", "json", "backup", "list").json()[0]["volid"]
    pve.proxy.add("POST", r"/nodes/pve1/qemu", action, **kwargs)
    run = pve("-o", "json", "backup", "restore", volid, "--vmid", "150")
    assert run.code == 0, run.text
    out = run.json()
    assert (out["outcome"], out["vmid"], out["action"]) == ("done", 150, "restore")
    assert ":qmrestore:150:" in out["upid"]
    assert sent(pve, "/nodes/pve1/qemu") == 1
    assert pve.get("/nodes/pve1/qemu/150/config")["name"] == "web1"
