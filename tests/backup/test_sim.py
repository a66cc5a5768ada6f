"""The simulator's backup API on its own (PVE's answers, not pvectl's checks): what a raw request gets."""

from __future__ import annotations

from tests.backup.conftest import BackupCli


def test_restore_over_an_existing_vm_without_force_is_refused_by_the_api(cli: BackupCli) -> None:
    cli("backup", "create", "102", "--storage", "cephfs")
    (volid,) = cli.volids()
    raw = cli("api", "create", "/nodes/pve2/qemu", "--vmid", "102", "--archive", volid)
    assert raw.code == 1 and "unable to restore VM 102 - VM 102 already exists on node 'pve2'" in raw.stderr
    forced = cli("api", "create", "/nodes/pve2/qemu", "--vmid", "102", "--archive", volid, "--force", "1")
    assert forced.code == 0, forced.stderr


def test_prune_marks_filter_by_guest_type(cli: BackupCli) -> None:
    ns1 = cli.guest_id("ns1")
    cli("backup", "create", "100", "ns1", "--storage", "cephfs")
    marks = cli("api", "get", "/nodes/pve1/storage/cephfs/prunebackups", "--prune-backups", "keep-last=1", "-o", "json")
    assert {m["type"] for m in marks.json()} == {"qemu", "lxc"}
    only_ct = cli(
        "api", "get", "/nodes/pve1/storage/cephfs/prunebackups", "--prune-backups", "keep-last=1", "--type", "lxc",
        "-o", "json",
    )  # fmt: skip
    assert [m["vmid"] for m in only_ct.json()] == [ns1]


def test_vzdump_answers_ok_without_a_task_when_the_guests_are_elsewhere(cli: BackupCli) -> None:
    answer = cli("api", "create", "/nodes/pve1/vzdump", "--vmid", "101", "--storage", "cephfs", "-o", "json")
    assert answer.code == 0 and answer.stdout.strip() in ('"OK"', "OK"), answer.stdout
    assert "UPID" not in answer.stdout + answer.stderr and cli.volids() == []


def test_an_archive_of_the_other_kind_is_refused(cli: BackupCli) -> None:
    cli("backup", "create", "ns1", "--storage", "cephfs")
    (volid,) = cli.volids()
    raw = cli("api", "create", "/nodes/pve1/qemu", "--vmid", "300", "--archive", volid)
    assert raw.code == 1 and "holds a container" in raw.stderr
