"""vm snapshot create|list|rollback|delete and --keep retention against the simulator."""

from __future__ import annotations

import pytest

from tests.fleet.conftest import Fleet


def snap_names(fleet: Fleet, vm: str) -> list[str]:
    return [s["name"] for s in fleet("vm", "snapshot", "list", vm, "-o", "json").json()]


def test_create_list_rollback_delete(fleet: Fleet) -> None:
    made = fleet("vm", "snapshot", "create", "web-000", "before", "--description", "first", "-o", "json")
    assert made.code == 0, made.stderr
    assert made.json()[0]["outcome"] == "done"
    assert fleet("vm", "stop", "web-000").code == 0
    assert fleet("api", "set", "/nodes/pve1/qemu/100/config", "--memory", "4096").code == 0
    assert fleet("vm", "snapshot", "create", "100", "after", "--vmstate").code == 0
    rows = fleet("vm", "snapshot", "list", "100", "-o", "json").json()
    assert [r["name"] for r in rows] == ["before", "after", "current"]
    assert rows[1]["parent"] == "before" and rows[2]["parent"] == "after" and rows[2]["current"]
    assert rows[1]["vmstate"] is False  # PVE saves RAM only of a running VM
    tree = fleet("vm", "snapshot", "list", "100", "-o", "table").stdout
    assert "`- before" in tree and "  `- after" in tree and "    `- current  <- you are here" in tree

    refused = fleet("vm", "snapshot", "rollback", "100", "before")
    assert refused.code == 2 and "--yes" in refused.stderr
    assert fleet.writes()[-1] != "POST /nodes/pve1/qemu/100/snapshot/before/rollback"
    back = fleet("vm", "snapshot", "rollback", "100", "before", "--yes", "--start")
    assert back.code == 0, back.stderr
    assert fleet("vm", "show", "100", "-o", "json").json()["memory"] == "512"
    assert fleet.status(100) == "running"
    rows = fleet("vm", "snapshot", "list", "100", "-o", "json").json()
    assert rows[-1]["parent"] == "before"

    deleted = fleet("vm", "snapshot", "delete", "100", "before", "--yes")
    assert deleted.code == 0, deleted.stderr
    rows = fleet("vm", "snapshot", "list", "100", "-o", "json").json()
    assert [r["name"] for r in rows] == ["after", "current"] and rows[0]["parent"] is None


def test_missing_snapshot_and_reserved_name(fleet: Fleet) -> None:
    gone = fleet("vm", "snapshot", "delete", "100", "nope", "--yes", "-o", "json")
    assert gone.code == 1 and "snapshot 'nope' does not exist" in gone.stdout
    assert fleet("vm", "snapshot", "create", "100", "current").code == 2
    assert fleet("vm", "snapshot", "rollback", "100", "nope", "--yes").code == 1


def test_bulk_create_by_selector(fleet: Fleet) -> None:
    run = fleet("vm", "snapshot", "create", "-l", "tag=lab", "pre-upgrade", "--parallel", "4", "-o", "json")
    assert run.code == 0, run.stderr
    assert len(run.json()) == 17
    assert "pre-upgrade" in snap_names(fleet, "103") and "pre-upgrade" not in snap_names(fleet, "101")
    dry = fleet("vm", "snapshot", "delete", "-l", "tag=lab", "pre-upgrade", "--dry-run", "-o", "json")
    assert dry.json()[0]["request"] == "DELETE /nodes/pve1/qemu/100/snapshot/pre-upgrade"
    assert fleet("vm", "snapshot", "delete", "-l", "tag=lab", "pre-upgrade").code == 2  # no terminal, no --yes


def test_keep_deletes_only_pvectl_snapshots_of_the_prefix(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.vm import snapshots

    clock = iter(range(1_800_000_000, 1_800_000_100))
    monkeypatch.setattr(snapshots, "_clock", lambda: float(next(clock)))
    assert fleet("vm", "snapshot", "create", "100", "nightly-manual").code == 0  # same prefix, made by hand
    assert fleet("vm", "snapshot", "create", "100", "nightly-20200101-000000").code == 0  # looks like ours
    made = []
    for _ in range(4):
        run = fleet("vm", "snapshot", "create", "100", "nightly", "--keep", "2", "-o", "json")
        assert run.code == 0, run.stderr
        made.append(run.json()[0]["message"].split("'")[1])
    names = snap_names(fleet, "100")
    assert made[2] in names and made[3] in names
    assert made[0] not in names and made[1] not in names
    assert "nightly-manual" in names and "nightly-20200101-000000" in names
    last = fleet("vm", "snapshot", "create", "100", "nightly", "--keep", "1", "-o", "json").json()[0]
    assert last["done"] == [f"deleted old snapshot {made[2]}", f"deleted old snapshot {made[3]}"]


def test_list_by_selector_is_grouped_by_vm(fleet: Fleet) -> None:
    assert fleet("vm", "snapshot", "create", "-l", "tag=lab,tag=web", "base").code == 0
    run = fleet("vm", "snapshot", "list", "-l", "tag=lab,tag=web", "-o", "json")
    assert run.code == 0, run.stderr
    groups = run.json()
    assert [g["vmid"] for g in groups] == [100, 106, 112, 118, 124, 130, 136, 142, 148]
    assert [s["name"] for s in groups[0]["snapshots"]] == ["base", "current"]
    table = fleet("vm", "snapshot", "list", "--name", "web-00*", "-o", "table").stdout
    assert "VM 100 (web-000) on pve1:" in table and "VM 102 (web-002) on pve3:" in table
    assert table.index("VM 100") < table.index("`- base") < table.index("VM 102")
    assert fleet("vm", "snapshot", "list").code == 2  # nothing selected


def test_rollback_by_selector_confirms_with_the_count(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.cli import writes

    assert fleet("vm", "snapshot", "create", "--pool", "lab", "-l", "tag=db", "good").code == 0
    assert fleet("vm", "stop", "--pool", "lab", "-l", "tag=db", "--yes").code == 0
    refused = fleet("vm", "snapshot", "rollback", "--pool", "lab", "-l", "tag=db", "good")
    assert refused.code == 2 and "refusing to roll back 8 VMs" in refused.stderr
    dry = fleet("vm", "snapshot", "rollback", "--pool", "lab", "-l", "tag=db", "good", "--dry-run", "-o", "json")
    assert dry.json()[0]["request"] == "POST /nodes/pve1/qemu/103/snapshot/good/rollback"
    assert not any(w.endswith("/rollback") for w in fleet.writes())
    monkeypatch.setattr(writes, "terminal", lambda: True)
    run = fleet("vm", "snapshot", "rollback", "--pool", "lab", "-l", "tag=db", "good", "-o", "json", stdin="y\n")
    assert "Roll 8 VMs back to snapshot 'good'? Their present state is lost. [y/N]" in run.stderr
    assert run.code == 0, run.stderr
    assert len([w for w in fleet.writes() if w.endswith("/snapshot/good/rollback")]) == 8
    assert {o["outcome"] for o in run.json()} == {"done"}
    assert fleet.status(103) == "stopped"  # no RAM state in the snapshot and no --start
