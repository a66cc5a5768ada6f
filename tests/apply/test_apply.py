"""`pvectl apply -f FILE`: creates, changes, idempotence (a second apply sends only GETs), --dry-run, --prune with
a selector, --label, and a server release that lacks a field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.vm.conftest import SimCli


def write(tmp_path: Path, *docs: Any) -> str:
    path = tmp_path / "vms.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def methods(cli: SimCli, since: int) -> set[str]:
    return {r.method for r in cli.requests[since:]}


def live(cli: SimCli, node: str, vmid: int) -> dict[str, Any]:
    data: dict[str, Any] = cli("api", "get", f"/nodes/{node}/qemu/{vmid}/config", "-o", "json").json()
    return data


FLEET = [
    {
        "name": "app1",
        "node": "pve1",
        "memory": 1024,
        "disk": ["scsi0:local-lvm:4"],
        "extra": {"net1": "virtio,bridge=vmbr0"},
    },
    {"vmid": 101, "memory": 3072, "tag": ["prod", "web"]},
    {"name": "scratch", "cores": 2, "disk": ["scsi0:local-lvm:10"]},
]


def test_apply_creates_and_changes_then_a_second_apply_sends_only_gets(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, *FLEET)
    first = cli("apply", "-f", path, "-o", "json")
    assert first.code == 0, first.stderr
    outcomes = {r["name"]: r for r in first.json()}
    assert outcomes["app1"]["outcome"] == "created" and outcomes["app1"]["done"] == ["create", "serial"]
    assert outcomes["web1"]["outcome"] == "done" and outcomes["scratch"]["outcome"] == "done"
    new = outcomes["app1"]["vmid"]
    assert live(cli, "pve1", new)["net1"].endswith(",bridge=vmbr0")
    assert live(cli, "pve2", 101)["memory"] == "3072"
    scratch = live(cli, "pve2", 102)
    assert scratch["cores"] == "2" and "size=10G" in scratch["scsi0"]  # grown from 8G through resize
    writes = cli.writes()
    assert "PUT /nodes/pve2/qemu/102/resize" in writes and "POST /nodes/pve1/qemu" in writes

    before = len(cli.requests)
    second = cli("apply", "-f", path, "-o", "json")
    assert second.code == 0, second.stderr
    assert methods(cli, before) == {"GET"}
    assert all(r["message"].endswith(": unchanged") for r in second.json())
    assert cli("diff", "-f", path).code == 0


def test_dry_run_sends_no_write(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, *FLEET)
    before = len(cli.requests)
    result = cli("apply", "-f", path, "--dry-run", "--prune", "-l", "tag=lab", "--label", "tag=fleet")
    assert result.code == 0, result.stderr
    assert methods(cli, before) == {"GET"}
    assert "new VM (name app1): create" in result.stdout
    assert "  + memory: 3072  (waits for a reboot)" in result.stdout and "  + tag: prod, web, fleet" in result.stdout
    assert "  - tag: lab\n  + tag: lab, fleet" in result.stdout  # the label joins the tags scratch has
    assert result.stdout.rstrip().endswith("dry run: nothing was sent")


def test_prune_deletes_only_matching_vms_the_file_does_not_name(cli: SimCli, tmp_path: Path) -> None:
    # dns1 (100: infra, prod), web1 (101: prod, web), scratch (102: lab); the file names web1 only
    path = write(tmp_path, {"vmid": 101})
    result = cli("apply", "-f", path, "--prune", "-l", "tag=prod", "--yes", "-o", "json")
    assert result.code == 0, result.stderr
    assert [r["vmid"] for r in result.json()] == [101, 100]
    vms = {vm["vmid"] for vm in cli("vm", "list", "-o", "json").json()}
    assert vms == {101, 102}
    assert [w for w in cli.writes() if not w.startswith("GET")] == [
        "POST /nodes/pve1/qemu/100/status/stop",  # dns1 was running: PVE destroys stopped VMs only
        "DELETE /nodes/pve1/qemu/100",
    ]


def test_prune_asks_and_refuses_without_a_terminal(cli: SimCli, tmp_path: Path) -> None:
    result = cli("apply", "-f", write(tmp_path, {"vmid": 101, "memory": 3072}), "--prune", "-l", "tag=prod")
    assert result.code == 2
    assert "100 dns1 on pve1" in result.stderr and "pass --yes" in result.stderr
    assert cli.writes() == []  # asked before anything was sent


def test_prune_and_selector_go_together(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"vmid": 101})
    assert cli("apply", "-f", path, "--prune").code == 2
    assert cli("apply", "-f", path, "-l", "tag=x").code == 2
    bad = cli("apply", "-f", path, "--prune", "-l", "colour=red")
    assert bad.code == 2 and "unknown key 'colour'" in bad.stderr
    assert cli.writes() == []


def test_label_tags_the_managed_vms_so_prune_finds_them(cli: SimCli, tmp_path: Path) -> None:
    fleet = write(tmp_path, {"name": "f1", "node": "pve1", "disk": ["scsi0:local-lvm:2"]}, {"vmid": 102})
    assert cli("apply", "-f", fleet, "--label", "tag=fleet").code == 0
    tagged = {vm["vmid"]: vm["tags"] for vm in cli("vm", "list", "-l", "tag=fleet", "-o", "json").json()}
    assert set(tagged) == {102, 103} and "lab" in tagged[102]  # added, the others kept
    assert cli("diff", "-f", fleet, "--label", "tag=fleet").code == 0
    smaller = write(tmp_path, {"vmid": 103})
    result = cli("apply", "-f", smaller, "--label", "tag=fleet", "--prune", "-l", "tag=fleet", "--yes")
    assert result.code == 0, result.stderr
    assert {vm["vmid"] for vm in cli("vm", "list", "-o", "json").json()} == {100, 101, 103}


def test_a_bad_label_is_a_usage_error(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"vmid": 101})
    for label, says in (("fleet", "not KEY=VALUE"), ("pool=x", "a label is a tag"), ("tag=a;b", "not a PVE tag")):
        result = cli("apply", "-f", path, "--label", label)
        assert result.code == 2 and says in result.stderr, (label, result.stderr)
    assert cli("apply", "-f", path, "--label", "app=web", "--dry-run").stdout.count("app-web") == 1
    assert cli.writes() == []


def test_nothing_is_sent_when_one_vm_cannot_be_applied(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"vmid": 101, "memory": 3072}, {"vmid": 102, "disk": ["scsi0:local-lvm:4"]})
    result = cli("apply", "-f", path)
    assert result.code == 2
    assert "cannot shrink" in result.stderr and "nothing was sent" in result.stderr
    assert cli.writes() == []


def test_a_create_the_workflow_refuses_sends_nothing(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"vmid": 101, "memory": 3072}, {"name": "p1", "node": "pve1", "pool": "nosuch"})
    result = cli("apply", "-f", path)
    assert result.code == 2 and "pool 'nosuch' does not exist" in result.stderr
    assert cli.writes() == []


def test_a_failed_vm_exits_8_and_the_others_are_applied(cli: SimCli, tmp_path: Path) -> None:
    from pvectl.sim.faults import FailCall

    cli.sim.faults.add(FailCall("/nodes/pve2/qemu/102/config", method="PUT", message="storage offline"))
    path = write(tmp_path, {"vmid": 102, "memory": 3072}, {"vmid": 100, "cores": 3})  # 102 is stopped: PUT
    result = cli("apply", "-f", path, "--parallel", "1", "-o", "json")
    assert result.code == 8
    kinds = [r["outcome"] for r in result.json()]
    assert kinds == ["nothing-created", "done"]
    assert "storage offline" in result.json()[0]["message"]
    assert live(cli, "pve1", 100)["cores"] == "3"


def test_an_older_release_reports_a_field_it_lacks_and_does_not_send_it(old_cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"vmid": 101, "ksm": False, "memory": 3072})
    diff = old_cli("diff", "-f", path)
    assert diff.code == 1
    assert "! ksm: true -> false  (PVE 8.4.0 lacks it (first in PVE 9.0.9); not sent)" in diff.stdout
    result = old_cli("apply", "-f", path)
    assert result.code == 0, result.stderr
    assert "PVE 8.4.0 lacks it (first in PVE 9.0.9); not sent" in result.stderr
    config = live(old_cli, "pve2", 101)
    assert config["memory"] == "3072" and "allow-ksm" not in config
    before = len(old_cli.requests)
    assert old_cli("apply", "-f", path).code == 0
    assert methods(old_cli, before) == {"GET"}


def test_an_older_release_skips_an_extra_parameter_of_a_create(old_cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"name": "o1", "node": "pve1", "extra": {"allow-ksm": 0, "description": "kept"}})
    result = old_cli("apply", "-f", path, "-o", "json")
    assert result.code == 0, result.stderr
    assert "extra.allow-ksm: PVE 8.4.0 lacks it (first in PVE 9.0.9); not sent" in result.stderr
    config = live(old_cli, "pve1", result.json()[0]["vmid"])
    assert config["description"] == "kept" and "allow-ksm" not in config


def test_a_vm_to_prune_that_does_not_stop_is_not_deleted(cli: SimCli, tmp_path: Path) -> None:
    from pvectl.sim.faults import parse_fault

    cli.sim.faults.add(parse_fault("task-fail:type=hastop,message=guest hangs"))  # dns1 is HA-managed
    result = cli("apply", "-f", write(tmp_path, {"vmid": 101}), "--prune", "-l", "tag=infra", "--yes", "-o", "json")
    assert result.code == 8
    pruned = result.json()[-1]
    assert (pruned["vmid"], pruned["outcome"]) == (100, "failed")
    assert "not deleted: stopping it first did not end" in pruned["message"] and "guest hangs" in pruned["message"]
    assert 100 in {vm["vmid"] for vm in cli("vm", "list", "-o", "json").json()}


def test_an_older_release_says_a_created_vm_keeps_ksm_on(old_cli: SimCli, tmp_path: Path) -> None:
    result = old_cli("diff", "-f", write(tmp_path, {"name": "k1", "node": "pve1", "ksm": False}), "-o", "json")
    assert result.code == 1
    ksm = next(c for c in result.json()[0]["changes"] if c["key"] == "ksm")
    assert ksm["kind"] == "skipped" and "first in PVE 9.0.9" in ksm["note"] and "KSM stays on" in ksm["note"]


def test_disks_without_a_device_are_the_ones_create_gave(cli: SimCli, tmp_path: Path) -> None:
    doc = {"name": "d1", "node": "pve1", "disk": ["local-lvm:4", "local-lvm:2,ssd=0"], "disk-backup": False}
    path = write(tmp_path, doc)
    assert cli("apply", "-f", path).code == 0
    config = live(cli, "pve1", 103)
    assert "size=4G" in config["scsi0"] and "size=2G" in config["scsi1"] and "backup=0" in config["scsi1"]
    assert cli("diff", "-f", path).code == 0
    before = len(cli.requests)
    assert cli("apply", "-f", path).code == 0
    assert methods(cli, before) == {"GET"}  # no third disk on the next free device
    grown = write(tmp_path, {**doc, "disk": ["local-lvm:4", "local-lvm:3,ssd=0"]})
    result = cli("diff", "-f", grown)
    assert result.code == 1 and "disk[scsi1]" in result.stdout and "grows to 3G" in result.stdout
