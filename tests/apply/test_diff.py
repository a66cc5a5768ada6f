"""`pvectl diff -f FILE`: per VM create / change / unchanged, field by field; exit 0/1/2 as kubectl diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pvectl.sim.faults import FailCall
from tests.vm.conftest import SimCli


def write(tmp_path: Path, *docs: Any, name: str = "vms.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def exported(cli: SimCli, vm: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(cli("vm", "export", vm).stdout)
    return data


def test_an_exported_vm_has_no_differences(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, *(exported(cli, vm) for vm in ("dns1", "web1", "scratch")))
    result = cli("diff", "-f", path)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "VM 100 (dns1) on pve1: unchanged",
        "VM 101 (web1) on pve2: unchanged",
        "VM 102 (scratch) on pve2: unchanged",
    ]
    assert cli.writes() == []


def test_differences_exit_1_with_minus_and_plus_lines(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"name": "web1", "memory": 8192, "tag": ["prod", "web"]})
    result = cli("diff", "-f", path)
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "VM 101 (web1) on pve2: 1 change",
        "  - memory: 4096",
        "  + memory: 8192  (waits for a reboot)",  # web1 runs; memory hot-plug is off by default
    ]
    assert "\033[" not in result.stdout  # colours only on a terminal
    assert cli.writes() == []


def test_a_missing_vm_is_a_create(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "new1", "node": "pve1", "memory": 1024}])
    result = cli("diff", "-f", path, "-o", "json")
    assert result.code == 1
    [entry] = result.json()
    assert (entry["action"], entry["name"], entry["vmid"]) == ("create", "new1", None)
    assert {c["key"]: c["desired"] for c in entry["changes"]} == {"name": "new1", "node": "pve1", "memory": 1024}


def test_json_marks_reboot_and_what_cannot_be_applied_in_place(cli: SimCli, tmp_path: Path) -> None:
    doc = {"vmid": 101, "cores": 6, "tpm": True, "disk": ["scsi0:ceph-pool:16"]}
    result = cli("diff", "-f", write(tmp_path, doc), "-o", "json")
    assert result.code == 2  # the diff, then the refusals apply would make
    assert "cannot be applied" in result.stderr
    changes = {c["key"]: c for c in result.json()[0]["changes"]}
    assert changes["cores"]["reboot"] is True and changes["cores"]["kind"] == "set"
    assert changes["tpm"]["kind"] == "refused" and "added at creation" in changes["tpm"]["note"]
    assert changes["disk[scsi0]"]["kind"] == "refused" and "cannot shrink" in changes["disk[scsi0]"]["note"]


def test_stdin_and_multi_document_files(cli: SimCli) -> None:
    text = cli("vm", "export", "dns1").stdout + "---\n" + yaml.safe_dump({"name": "scratch", "cores": 8})
    result = cli("diff", "-f", "-", stdin=text)
    assert result.code == 1
    assert "VM 100 (dns1) on pve1: unchanged" in result.stdout
    assert "  + cores: 8" in result.stdout


def test_errors_exit_2_and_send_nothing(cli: SimCli, tmp_path: Path) -> None:
    cases = {
        "memroy": {"name": "web1", "memroy": 1},  # a typo: named, with the key it means
        "give vmid or name": {"memory": 1},
        "not a VM id": {"vmid": "abc"},
        "already document 1 of the file": [{"name": "web1"}, {"name": "web1"}],
    }
    for expected, doc in cases.items():
        docs = doc if isinstance(doc, list) else [doc]
        result = cli("diff", "-f", write(tmp_path, docs))
        assert result.code == 2, (expected, result.stdout, result.stderr)
        assert expected in result.stderr
    missing = cli("diff", "-f", str(tmp_path / "nosuch.yaml"))
    assert missing.code == 2 and "nosuch.yaml" in missing.stderr
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: [unclosed\n")
    assert cli("diff", "-f", str(bad_yaml)).code == 2
    empty = cli("diff", "-f", "-", stdin="")
    assert empty.code == 2 and "no VM in the file" in empty.stderr
    assert cli.writes() == []


def test_a_name_several_vms_share_needs_the_id(cli: SimCli, tmp_path: Path) -> None:
    cli("api", "set", "/nodes/pve2/qemu/102/config", "--name", "web1")
    result = cli("diff", "-f", write(tmp_path, {"name": "web1", "memory": 1024}))
    assert result.code == 2 and "several VMs are named 'web1' (101, 102)" in result.stderr


def test_a_server_failure_exits_above_1(cli: SimCli, tmp_path: Path) -> None:
    cli.sim.faults.add(FailCall("/nodes/{node}/qemu/{vmid}/config", method="GET", message="config unreadable"))
    result = cli("diff", "-f", write(tmp_path, {"name": "web1", "memory": 1024}))
    assert result.code == 2 and "config unreadable" in result.stderr  # 1 would mean "differences"


def test_colours_mark_the_lines_on_a_terminal() -> None:
    from pvectl.cli.filediff import human
    from pvectl.vm.diff import Change, Doc, VmDiff
    from pvectl.vm.lookup import VmRef

    ref = VmRef(101, "pve2", "web1", "running", (), {})
    changes = [Change("memory", 4096, 8192), Change("tpm", False, True, "refused", "not applied: at creation")]
    diff = VmDiff(Doc(1, {"vmid": 101}), "change", ref, changes)
    assert human([diff], colour=True).splitlines() == [
        "VM 101 (web1) on pve2: 2 changes",
        "\033[31m  - memory: 4096\033[0m",
        "\033[32m  + memory: 8192\033[0m",
        "\033[33m  ! tpm: false -> true  (not applied: at creation)\033[0m",
    ]
    assert "\033[" not in human([diff], colour=False)
