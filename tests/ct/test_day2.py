"""The day-2 verbs of `ct` on the simulator, with the vm conventions: selectors, outcomes, exit codes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.vm.conftest import SimCli


def status(cli: SimCli, vmid: int) -> str:
    rows = cli("-o", "json", "ct", "list").json()
    return str(next(r["status"] for r in rows if r["vmid"] == vmid))


def test_power_verbs_on_one_container(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "shutdown", "ns1")
    assert run.code == 0, run.stderr
    outcome = run.json()
    assert outcome["outcome"] == "done" and outcome["guest"] == "lxc" and ":vzshutdown:190:" in outcome["upid"]
    assert status(cli, 190) == "stopped"
    again = cli("-o", "json", "ct", "stop", "190").json()
    assert again["outcome"] == "already"  # success, nothing sent
    assert cli("ct", "start", "ns1").code == 0 and status(cli, 190) == "running"
    assert cli("ct", "reboot", "ns1").code == 0
    assert cli("ct", "suspend", "ns1").code == 0 and cli("ct", "resume", "ns1").code == 0
    assert [w for w in cli.writes() if "/lxc/" not in w] == []


def test_start_wait_ip_prints_the_address_as_vm_start_does(cli: SimCli) -> None:
    run = cli("ct", "start", "cache1", "--wait", "ip")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "10.0.9.21" and "CT 191 (cache1): started" in run.stderr  # stdout: the address only
    assert cli.writes() == ["POST /nodes/pve2/lxc/191/status/start"]
    again = cli("-o", "json", "ct", "start", "cache1", "--wait", "ip")
    assert again.code == 0 and again.json()["addresses"] == ["10.0.9.21"] and "running already" in again.stderr
    many = cli("ct", "start", "--all", "--wait", "ip")
    assert many.code == 2 and "--wait ip: one container" in many.stderr
    assert len(cli.writes()) == 1


def test_a_vm_is_not_a_container(cli: SimCli) -> None:
    run = cli("ct", "stop", "dns1")
    assert run.code == 4 and "no CT named 'dns1'" in run.stderr
    assert cli.writes() == []


def test_bulk_start_by_selector_with_outcome_table(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "start", "--all")
    assert run.code == 0, run.stderr
    outcomes = {o["vmid"]: o["outcome"] for o in run.json()}
    assert outcomes == {190: "already", 191: "done"}  # VMs are never touched
    assert cli.writes() == ["POST /nodes/pve2/lxc/191/status/start"]


def test_bulk_stop_needs_yes_without_a_terminal(cli: SimCli) -> None:
    run = cli("ct", "stop", "-l", "tag=infra")
    assert run.code == 2 and "pass --yes" in run.stderr and cli.writes() == []
    assert "refusing to stop 1 CT without confirmation" in run.stderr  # not "1 VM"
    dry = cli("ct", "stop", "-l", "tag=infra", "--dry-run")
    assert dry.code == 0 and "POST /nodes/pve1/lxc/190/status/stop" in dry.stdout
    assert cli("ct", "stop", "-l", "tag=infra", "--yes").code == 0 and status(cli, 190) == "stopped"


def test_failures_in_bulk_exit_8(cli: SimCli) -> None:
    # a running container cannot be deleted: PVE refuses (destroy_vm), the other one goes
    run = cli("-o", "json", "ct", "delete", "--all", "--yes")
    assert run.code == 8, run.stdout + run.stderr
    outcomes = {o["vmid"]: o["outcome"] for o in run.json()}
    assert outcomes == {190: "failed", 191: "done"}
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list").json()] == [190]


def test_delete_of_a_running_container_is_refused_before_sending_unless_stop(cli: SimCli) -> None:
    """As vm delete: PVE destroys only stopped containers (pve-container API2/LXC.pm destroy_vm)."""
    run = cli("ct", "delete", "ns1", "--yes")
    assert run.code == 2, run.stderr
    assert "CT 190 (ns1) is running: PVE deletes only stopped containers (nothing was sent)" in run.stderr
    assert "pvectl ct delete 190 --stop" in run.stderr and cli.writes() == []
    dry = cli("-o", "json", "ct", "delete", "ns1", "--stop", "--dry-run")
    assert dry.json()[0]["request"] == "POST /nodes/pve1/lxc/190/status/stop, then DELETE /nodes/pve1/lxc/190"
    run = cli("-o", "json", "ct", "delete", "ns1", "--stop", "--yes")
    assert run.code == 0, run.stderr
    assert run.json()["outcome"] == "done" and ":vzdestroy:190:" in run.json()["upid"]
    assert cli.writes() == ["POST /nodes/pve1/lxc/190/status/stop", "DELETE /nodes/pve1/lxc/190"]
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list").json()] == [191]


def test_bulk_delete_hint_names_ct_delete_stop(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "delete", "-l", "tag=infra", "--yes")
    assert run.code == 8 and run.json()[0]["hints"] == ["stop it first: pvectl ct delete 190 --stop"]


def test_snapshots_with_retention_rollback_and_delete(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    from pvectl.vm import snapshots

    clock = itertools.count(1_800_000_000, 3600)
    monkeypatch.setattr(snapshots, "_clock", lambda: float(next(clock)))
    assert cli("ct", "snapshot", "create", "cache1", "nightly-manual").code == 0  # not pvectl's: kept
    for _ in range(2):
        run = cli("-o", "json", "ct", "snapshot", "create", "cache1", "nightly", "--keep", "2")
        assert run.code == 0, run.stderr
    run = cli("ct", "snapshot", "create", "cache1", "nightly", "--keep", "2")  # the text line names what went
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == (
        "CT 191 (cache1): snapshot 'nightly-20270115-100000' created; deleted old snapshot nightly-20270115-080000"
    )
    rows = cli("-o", "json", "ct", "snapshot", "list", "cache1").json()
    names = [r["name"] for r in rows]
    assert names == ["nightly-manual", "nightly-20270115-090000", "nightly-20270115-100000", "current"]
    assert cli("-o", "json", "ct", "snapshot", "create", "cache1", "before").json()["outcome"] == "done"
    tree = cli("ct", "snapshot", "list", "cache1").stdout
    assert "before" in tree and "you are here" in tree
    run = cli("-o", "json", "ct", "snapshot", "rollback", "cache1", "before")
    assert run.code == 0 and ":vzrollback:191:" in run.json()["upid"]
    run = cli("-o", "json", "ct", "snapshot", "delete", "cache1", "before")
    assert run.code == 0 and ":vzdelsnapshot:191:" in run.json()["upid"]
    assert "before" not in [r["name"] for r in cli("-o", "json", "ct", "snapshot", "list", "cache1").json()]


def test_snapshot_refused_by_the_storage_is_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.vm.conftest import sim_cli

    storages = [{"id": "dirct", "type": "dir", "content": ["rootdir", "vztmpl"]}]
    volumes = [{"storage": "dirct", "name": "debian-12-standard_12.12-1_amd64.tar.zst", "content": "vztmpl",
                "node": "pve1"}]  # fmt: skip
    for cli in sim_cli(tmp_path, monkeypatch, storages=storages, volumes=volumes, vms=[]):
        made = cli("-o", "json", "ct", "create", "--node", "pve1", "--template", "debian-12", "--disk", "dirct:4")
        assert made.code == 0, made.stderr
        run = cli("-o", "json", "ct", "snapshot", "create", str(made.json()["vmid"]), "s1")
        # asked before sending (GET …/feature, as vm snapshot): PVE's task would fail "snapshot feature is not
        # available" (pve-guest-common AbstractConfig.pm __snapshot_prepare)
        assert run.code == 2 and "cannot have snapshots: a volume's storage has no snapshots" in run.stderr


def test_clone_full_and_linked_from_a_template(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "clone", "cache1", "--newid", "301", "--hostname", "cache1b")
    assert run.code == 0, run.stderr
    assert run.json()["outcome"] == "done" and ":vzclone:191:" in run.json()["upid"]
    # the outcome is the new container's, as vm clone's is the new VM's: `--query vmid` gives the new id
    assert (run.json()["vmid"], run.json()["name"], run.json()["action"]) == (301, "cache1b", "clone")
    linked = cli("ct", "clone", "cache1", "--linked", "--newid", "302")
    assert linked.code == 2 and "is no template" in linked.stderr
    running = cli("ct", "clone", "ns1", "--newid", "303")
    assert running.code == 2 and "--snapshot NAME" in running.stderr
    assert cli("-o", "json", "ct", "template", "convert", "cache1").json()["outcome"] == "done"
    assert cli("-o", "json", "ct", "template", "convert", "cache1").json()["outcome"] == "already"
    run = cli("-o", "json", "ct", "clone", "cache1", "--newid", "304")  # linked by default from a template
    assert run.code == 0, run.stderr
    config = cli("-o", "json", "api", "get", "/nodes/pve2/lxc/304/config").json()
    assert "base-191-disk-0/" in config["rootfs"]
    assert [w for w in cli.writes() if w.endswith("/clone")] == ["POST /nodes/pve2/lxc/191/clone"] * 2


def test_restart_mode_migration_of_a_running_container(cli: SimCli) -> None:
    dry = cli("-o", "json", "ct", "migrate", "ns1", "--to", "pve2", "--timeout", "30", "--dry-run")
    assert dry.code == 0 and cli.writes() == []
    # the dry run shows the parameters: restart mode and its shutdown timeout
    assert dry.json()[0]["request"] == "POST /nodes/pve1/lxc/190/migrate target=pve2 restart=1 timeout=30"
    run = cli("-o", "json", "ct", "migrate", "ns1", "--to", "pve2", "--timeout", "30")
    assert run.code == 0, run.stderr
    outcome = run.json()
    assert outcome["outcome"] == "done" and "restart mode" in outcome["message"]
    body = next(r for r in cli.requests if r.url.path.endswith("/migrate")).content.decode()
    assert "restart=1" in body and "timeout=30" in body and "online" not in body
    row = next(r for r in cli("-o", "json", "ct", "list").json() if r["vmid"] == 190)
    assert (row["node"], row["status"]) == ("pve2", "running")
    again = cli("-o", "json", "ct", "migrate", "ns1", "--to", "pve2").json()
    assert again["outcome"] == "already"


def test_offline_migration_of_a_stopped_container(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "migrate", "cache1", "--to", "pve1")
    assert run.code == 0 and "offline" in run.json()["message"]
    body = next(r for r in cli.requests if r.url.path.endswith("/migrate")).content.decode()
    assert "restart" not in body


def test_resize_grows_only(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "resize", "ns1", "rootfs", "+2G")
    assert run.code == 0 and run.json()["outcome"] == "done", run.stderr
    assert cli("-o", "json", "ct", "show", "ns1").json()["rootfs"].endswith("size=10G")
    shrink = cli("ct", "resize", "ns1", "rootfs", "4G")
    assert shrink.code == 2 and "shrink" in shrink.stderr
    assert cli("ct", "resize", "ns1", "mp7", "+1G").code == 2
    assert [w for w in cli.writes() if w.endswith("/resize")] == ["PUT /nodes/pve1/lxc/190/resize"]


def test_set_sends_only_changes_and_says_what_waits(cli: SimCli) -> None:
    run = cli("-o", "json", "ct", "set", "ns1", "--cores", "2", "--memory", "512", "--ostype", "ubuntu")
    assert run.code == 0, run.stderr
    assert "waiting for the next start: ostype" in run.stderr
    body = next(r for r in cli.requests if r.method == "PUT").content.decode()
    assert "cores=2" in body and "memory" not in body and "digest=" in body
    same = cli("-o", "json", "ct", "set", "ns1", "--cores", "2")
    assert same.json()["outcome"] == "already"
    assert cli("ct", "set", "ns1", "--privileged").code == 2
    rebooted = cli("ct", "set", "ns1", "--hostname", "ns1b", "--reboot")
    assert rebooted.code == 0 and rebooted.stdout.strip().endswith("changed, rebooted"), rebooted.text
    assert cli("-o", "json", "ct", "pending", "ns1b").json() == []  # the reboot applied ostype


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("--net", "bridge=vmbr77"), "--net net0: bridge 'vmbr77' does not exist on pve1 (available: vmbr0, vmbr9)"),
        (("--mp", "local:4,mp=/x"), "--mp mp0: storage 'local' takes no container disks on pve1"),
    ],
)
def test_set_checks_bridges_and_storages_on_the_node(cli: SimCli, args: tuple[str, ...], culprit: str) -> None:
    """As ct create does: PVE would write an unknown bridge into the config and fail at the next start."""
    run = cli("ct", "set", "ns1", *args)
    assert run.code == 2, run.stdout + run.stderr
    assert culprit in run.stderr and "(nothing was sent)" in run.stderr
    assert cli.writes() == []


def test_ct_list_takes_the_selector_flags_and_wide_columns_of_vm_list(cli: SimCli) -> None:
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list", "-l", "tag=infra").json()] == [190]
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list", "--pool", "lab").json()] == [191]
    assert [r["vmid"] for r in cli("-o", "json", "ct", "list", "--name", "c*").json()] == [191]
    wide = cli("ct", "list", "-o", "wide")
    assert wide.code == 0 and wide.stdout.split("\n")[0].split() == [
        "VMID", "NAME", "NODE", "STATUS", "POOL", "TAGS", "TEMPLATE", "HA", "LOCK", "CPUS", "MAXMEM", "UPTIME"
    ]  # fmt: skip
    bad = cli("ct", "list", "-l", "bogus=1")
    assert bad.code == 2 and "-l/--selector: unknown key 'bogus'" in bad.stderr


def test_guest_list_and_lists_stay_apart(cli: SimCli) -> None:
    vms = {r["vmid"] for r in cli("-o", "json", "vm", "list").json()}
    cts = {r["vmid"] for r in cli("-o", "json", "ct", "list").json()}
    assert vms == {100, 101, 102} and cts == {190, 191}
