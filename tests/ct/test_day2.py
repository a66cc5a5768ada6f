"""The day-2 verbs of `ct` on the simulator, with the vm conventions: selectors, outcomes, exit codes."""

from __future__ import annotations

from tests.vm.conftest import SimCli


def status(cli: SimCli, vmid: int) -> str:
    rows = cli("-o", "json", "ct", "list").json()
    return str(next(r["status"] for r in rows if r["vmid"] == vmid))


def test_power_verbs_on_one_container(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "shutdown", "ns1")
    assert run.code == 0, run.stderr
    outcome = run.json()
    assert outcome["outcome"] == "done" and outcome["guest"] == "lxc" and ":vzshutdown:200:" in outcome["upid"]
    assert status(cli, 200) == "stopped"
    again = cli("-o", "json", "ct", "stop", "200").json()
    assert again["outcome"] == "already"  # success, nothing sent
    assert cli("ct", "start", "ns1").code == 0 and status(cli, 200) == "running"
    assert cli("ct", "reboot", "ns1").code == 0
    assert cli("ct", "suspend", "ns1").code == 0 and cli("ct", "resume", "ns1").code == 0
    assert [w for w in cli.writes() if "/lxc/" not in w] == []


def test_a_vm_is_not_a_container(cli: SimCli) -> None:
    run = cli("ct", "stop", "dns1")
    assert run.code == 4 and "no CT named 'dns1'" in run.stderr
    assert cli.writes() == []


def test_bulk_start_by_selector_with_outcome_table(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "start", "--all")
    assert run.code == 0, run.stderr
    outcomes = {o["vmid"]: o["outcome"] for o in run.json()}
    assert outcomes == {200: "already", 201: "done"}  # VMs are never touched
    assert cli.writes() == ["POST /nodes/pve2/lxc/201/status/start"]


def test_bulk_stop_needs_yes_without_a_terminal(cli: SimCli) -> None:
    run = cli("ct", "stop", "-l", "tag=infra")
    assert run.code == 2 and "pass --yes" in run.stderr and cli.writes() == []
    dry = cli("ct", "stop", "-l", "tag=infra", "--dry-run")
    assert dry.code == 0 and "POST /nodes/pve1/lxc/200/status/stop" in dry.stdout
    assert cli("ct", "stop", "-l", "tag=infra", "--yes").code == 0 and status(cli, 200) == "stopped"


def test_failures_in_bulk_exit_8(cli: SimCli) -> None:
    # a running container cannot be deleted: PVE refuses (destroy_vm), the other one goes
    run = cli("-o", "json", "ct", "delete", "--all", "--yes")
    assert run.code == 8, run.stdout + run.stderr
    outcomes = {o["vmid"]: o["outcome"] for o in run.json()}
    assert outcomes == {200: "failed", 201: "done"}
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list").json()] == [200]
