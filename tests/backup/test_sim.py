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


def test_a_storages_retention_is_set_and_removed_through_the_storage_api(cli: BackupCli) -> None:
    # pve-storage API2/Storage/Config.pm update: prune-backups set or deleted, answered {storage, type}
    made = cli("api", "set", "/storage/cephfs", "--prune-backups", "keep-last=1", "-o", "json")
    assert made.code == 0 and made.json() == {"storage": "cephfs", "type": "cephfs"}
    assert cli("api", "get", "/storage/cephfs", "-o", "json").json()["prune-backups"] == "keep-last=1"
    cli("backup", "create", "100", "--storage", "cephfs")
    assert cli("backup", "prune", "100", "--storage", "cephfs", "--dry-run").code == 0  # the storage's own setting
    bad = cli("api", "set", "/storage/cephfs", "--prune-backups", "keep-lots=1")
    assert bad.code != 0 and "prune-backups: invalid format" in bad.stderr
    assert cli("api", "set", "/storage/cephfs", "--delete", "prune-backups").code == 0
    assert "prune-backups" not in cli("api", "get", "/storage/cephfs", "-o", "json").json()
    other = cli("api", "set", "/storage/cephfs", "--content", "images")  # not modelled: refused, not faked
    assert other.code != 0 and "does not model" in other.stderr


def test_vzdump_to_a_storage_without_backup_content_fails_its_task(cli: BackupCli) -> None:
    raw = cli("api", "create", "/nodes/pve1/vzdump", "--vmid", "100", "--storage", "ceph-pool")
    assert raw.code == 1 and "can't use storage 'ceph-pool' for backups - wrong content type" in raw.stderr, raw.stderr
