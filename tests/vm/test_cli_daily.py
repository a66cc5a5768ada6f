"""The daily `pvectl vm` commands against the simulator: VMs found by id or name, no node needed."""

from __future__ import annotations

from tests.vm.conftest import SimCli


def test_list_filters(cli: SimCli) -> None:
    everything = cli("vm", "list", "-o", "json").json()
    assert {v["name"] for v in everything} >= {"dns1", "web1", "scratch"}
    assert {v["node"] for v in cli("vm", "list", "--node", "pve2", "-o", "json").json()} == {"pve2"}
    tagged = cli("vm", "list", "--tag", "prod", "-o", "json").json()
    assert tagged and all("prod" in v["tags"].split(";") for v in tagged)
    stopped = cli("vm", "list", "--status", "stopped", "-o", "json").json()
    assert all(v["status"] == "stopped" for v in stopped)
    table = cli("vm", "list", "-o", "table")
    assert table.stdout.splitlines()[0].split() == ["VMID", "NAME", "NODE", "STATUS", "TAGS", "CPUS", "MEMORY"]


def test_show_by_name_and_id(cli: SimCli) -> None:
    by_name = cli("vm", "show", "web1", "-o", "json").json()
    by_id = cli("vm", "show", str(by_name["vmid"]), "-o", "json").json()
    assert by_name == by_id
    assert by_name["node"] and by_name["name"] == "web1"


def test_power_cycle_and_delete(cli: SimCli) -> None:
    created = cli("vm", "create", "--node", "pve2", "--name", "cycle")
    assert created.code == 0, created.stderr
    assert cli("vm", "start", "cycle").code == 0
    assert cli("vm", "show", "cycle", "-o", "json").json()["status"] == "running"
    assert cli("vm", "reboot", "cycle").code == 0
    assert cli("vm", "shutdown", "cycle").code == 0
    assert cli("vm", "show", "cycle", "-o", "json").json()["status"] == "stopped"
    refused = cli("vm", "delete", "cycle")
    assert refused.code == 2 and "--yes" in refused.stderr
    deleted = cli("vm", "delete", "cycle", "--yes")
    assert deleted.code == 0, deleted.stderr
    gone = cli("vm", "show", "cycle")
    assert gone.code == 4 and "no VM named 'cycle'" in gone.stderr


def test_no_wait_prints_the_task_id(cli: SimCli) -> None:
    run = cli("vm", "stop", "web1", "--no-wait")
    assert run.code == 0
    assert run.stdout.startswith("UPID:")


def test_unknown_vm(cli: SimCli) -> None:
    run = cli("vm", "start", "99999")
    assert run.code == 4
    assert "no VM with id 99999" in run.stderr


def test_ambiguous_name(cli: SimCli) -> None:
    assert cli("vm", "create", "--node", "pve1", "--name", "twin").code == 0
    assert cli("vm", "create", "--node", "pve2", "--name", "twin", "--allow-duplicate-name").code == 0
    run = cli("vm", "show", "twin")
    assert run.code == 2  # a usage error: the id picks one (issue #14)
    assert "several VMs are named 'twin'" in run.stderr
