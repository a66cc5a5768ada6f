"""Every `pvectl backup` verb against the simulator, with the per-guest truth and PVE's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.sim.world import DEBIAN_CT
from tests.backup.conftest import BackupCli, backup_cli


def test_create_one_of_three_fails_and_the_report_says_which(cli: BackupCli) -> None:
    cli.sim.inject("backup-fail:vmid=101,message=read error on scsi0")
    run = cli("backup", "create", "100", "web1", "102", "--storage", "cephfs", "-o", "json")
    assert run.code == 8, run.stderr
    by_id = {row["vmid"]: row for row in run.json()}
    assert {v: r["outcome"] for v, r in by_id.items()} == {100: "done", 101: "failed", 102: "done"}
    assert "read error on scsi0" in by_id[101]["message"]
    assert "1 of 3 guests not backed up: VM 101 (web1)" in run.stderr
    assert cli.writes() == ["POST /nodes/pve1/vzdump", "POST /nodes/pve2/vzdump"]  # one task per node
    listed = cli("backup", "list", "-o", "json").json()
    assert sorted(row["vmid"] for row in listed) == [100, 102]


def test_create_every_guest_exits_0_with_notes_and_protection(cli: BackupCli) -> None:
    run = cli(
        "backup",
        "create",
        "--all",
        "--storage",
        "cephfs",
        "--notes-template",
        "{{guestname}} on {{node}}",
        "--protected",
    )
    assert run.code == 0, run.stderr
    rows = {row["vmid"]: row for row in cli("backup", "list", "-o", "json").json()}
    assert rows[101]["notes"] == "web1 on pve2" and rows[101]["protected"] is True
    assert rows[100]["volid"].startswith("cephfs:backup/vzdump-qemu-100-") and rows[100]["volid"].endswith(".vma.zst")
    made = {o["vmid"]: o["done"] for o in run.json()}
    assert made[100] == [f"archive {rows[100]['volid']}"]  # the volume id to restore from


def test_create_dry_run_shows_the_requests_and_sends_nothing(cli: BackupCli) -> None:
    run = cli("backup", "create", "-l", "tag=prod", "--storage", "cephfs", "--mode", "stop", "--dry-run")
    assert run.code == 0 and cli.writes() == []
    assert "POST /nodes/pve1/vzdump vmid=100 storage=cephfs mode=stop compress=zstd" in run.stdout
    assert "POST /nodes/pve2/vzdump vmid=101 " in run.stdout


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("100", "--mode", "fast"), "--mode"),
        (("100", "--compress", "xz"), "--compress"),
        (("100", "--notes-template", "x"), "--notes-template needs --storage"),
        ((), "--all"),
    ],
)
def test_create_bad_flags_send_nothing(cli: BackupCli, args: tuple[str, ...], culprit: str) -> None:
    run = cli("backup", "create", *args)
    assert run.code == 2 and culprit in run.stderr and cli.writes() == []


@pytest.mark.parametrize("storage", ["ceph-pool", "nosuch"])
def test_a_storage_that_takes_no_backups_is_refused_before_sending(cli: BackupCli, storage: str) -> None:
    run = cli("backup", "create", "100", "--storage", storage)
    assert run.code == 2 and f"error: --storage: no backup storage '{storage}' on pve1" in run.stderr, run.stderr
    assert cli.writes() == []


def test_list_filters_and_newest_first(cli: BackupCli) -> None:
    assert cli("backup", "create", "100", "--storage", "local").code == 0  # pve1's local storage
    assert cli("backup", "create", "101", "102", "--storage", "cephfs").code == 0
    everything = cli("backup", "list", "-o", "json").json()
    assert [r["ctime"] for r in everything] == sorted((r["ctime"] for r in everything), reverse=True)
    assert {r["vmid"] for r in cli("backup", "list", "--vm", "web1", "-o", "json").json()} == {101}
    assert {r["storage"] for r in cli("backup", "list", "--storage", "local", "-o", "json").json()} == {"local"}
    on_pve2 = cli("backup", "list", "--node", "pve2", "-o", "json").json()
    assert {r["storage"] for r in on_pve2} == {"cephfs"}  # pve1's local backups are not seen from pve2
    table = cli("backup", "list", "-o", "table").stdout.splitlines()[0].split()
    assert table == ["VMID", "NAME", "KIND", "TIME", "SIZE", "NOTES", "PROTECTED", "STORAGE"]
    assert cli("backup", "list", "--node", "pve9").code == 2


def test_list_names_a_storage_it_could_not_read(cli: BackupCli) -> None:
    from pvectl.sim.faults import FailCall

    assert cli("backup", "create", "100", "--storage", "cephfs").code == 0
    assert cli("backup", "create", "100").code == 0  # local on pve1
    cli.sim.inject(FailCall("/nodes/pve1/storage/cephfs/content", method="GET", message="pbs unreachable"))
    run = cli("backup", "list", "-o", "json")
    assert run.code == 1 and "could not read storage cephfs on pve1 (pbs unreachable)" in run.stderr
    assert [r["storage"] for r in run.json()] == ["local"]  # the others are still listed

    def down(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "active": 0} if r["storage"] == "cephfs" else r for r in rows]

    cli.edit["GET /nodes/pve1/storage"] = down
    run = cli("backup", "list", "-o", "json")  # cephfs is shared: pve2 reads it
    assert run.code == 0 and "not active" not in run.stderr
    assert sorted((r["storage"], r["node"]) for r in run.json()) == [("cephfs", "pve2"), ("local", "pve1")]
    cli.edit["GET /nodes/pve2/storage"] = down
    run = cli("backup", "list", "-o", "json")
    assert run.code == 0 and "storage 'cephfs' on pve1 is not active: its backups are not listed" in run.stderr
    assert [r["storage"] for r in run.json()] == ["local"]
    assert cli("backup", "list", "--storage", "nosuch").code == 2
    cli.sim.inject("node-offline:node=pve2")
    run = cli("backup", "list", "-o", "json")
    assert "node pve2 is offline: the backups on its own storages are not listed" in run.stderr


def test_show_gives_the_archived_config_and_notes(cli: BackupCli) -> None:
    cli("backup", "create", "101", "--storage", "cephfs", "--notes-template", "before upgrade")
    (volid,) = cli.volids()
    shown = cli("backup", "show", volid, "-o", "json").json()
    assert shown["config"]["name"] == "web1" and shown["config"]["memory"] == "4096"
    assert shown["notes"] == "before upgrade"
    missing = cli("backup", "show", volid.replace("101", "109"))
    assert missing.code == 4 and "no backup" in missing.stderr
    assert cli("backup", "show", "not-a-volid").code == 2


def test_protect_notes_and_pve_refusing_to_delete_a_protected_backup(cli: BackupCli) -> None:
    cli("backup", "create", "100", "--storage", "cephfs")
    (volid,) = cli.volids()
    protected = cli("backup", "protect", volid)
    assert protected.code == 0 and protected.stdout.strip() == f"protected {volid}"
    noted = cli("backup", "notes", volid, "keep until audit", "-o", "json")
    assert noted.code == 0, noted.stderr
    assert {k: noted.json()[k] for k in ("outcome", "action", "volid")} == {
        "outcome": "done",
        "action": "notes",
        "volid": volid,
    }
    row = cli("backup", "list", "-o", "json").json()[0]
    assert (row["protected"], row["notes"]) == (True, "keep until audit")
    refused = cli("backup", "delete", volid, "--yes")
    assert refused.code == 1
    assert "cannot remove protected volume" in refused.stderr and "pvectl backup unprotect" in refused.stderr
    assert cli.volids() == [volid]
    assert cli("backup", "unprotect", volid, "-o", "yaml").stdout.startswith("outcome: done\n")
    assert cli("backup", "delete", volid).code == 2  # no terminal: --yes needed
    deleted = cli("backup", "delete", volid, "--yes", "-o", "json")
    assert deleted.code == 0, deleted.stderr
    assert (deleted.json()["action"], deleted.json()["upid"].split(":")[5]) == ("delete", "imgdel")
    assert cli.volids() == []


def test_restore_refuses_an_existing_id_before_sending(cli: BackupCli) -> None:
    cli("backup", "create", "100", "--storage", "cephfs")
    (volid,) = cli.volids()
    before = len(cli.writes())
    run = cli("backup", "restore", volid)
    assert run.code == 2 and "VM 100 (dns1) exists on pve1" in run.stderr and "--force" in run.stderr
    assert len(cli.writes()) == before


def test_restore_to_a_new_id_and_over_a_stopped_vm(cli: BackupCli) -> None:
    cli("backup", "create", "101", "102", "--storage", "cephfs")
    web1, scratch = sorted(cli.volids())
    run = cli("backup", "restore", web1, "--vmid", "150", "--unique", "-o", "json")
    assert run.code == 0, run.stderr
    assert (run.json()["outcome"], run.json()["action"]) == ("done", "restore")
    assert run.json()["name"] == "web1"  # the name the archive holds, which the new VM took
    copy = cli("vm", "show", "150", "-o", "json").json()
    original = cli("vm", "show", "101", "-o", "json").json()
    assert copy["name"] == "web1" and copy["memory"] == original["memory"]
    assert copy["net0"].split(",")[0] != original["net0"].split(",")[0]  # --unique: a new MAC
    forced = cli("backup", "restore", scratch, "--force")
    assert forced.code == 0, forced.stderr
    assert "replacing the existing one" in forced.stdout
    over = cli("backup", "restore", web1, "--vmid", "102", "--force", "-o", "json")
    assert over.code == 0, over.stderr
    assert over.json()["name"] == "web1"  # scratch was replaced by web1's archive
    assert cli("vm", "show", "102", "-o", "json").json()["name"] == "web1"
    running = cli("backup", "restore", web1, "--force")
    assert running.code == 1 and "vm is running" in running.stderr  # PVE's refusal, reported


def test_job_list_show_uncovered_and_run(cli: BackupCli) -> None:
    made = cli(
        "api",
        "create",
        "/cluster/backup",
        "--id",
        "nightly",
        "--schedule",
        "02:00",
        "--storage",
        "cephfs",
        "--vmid",
        "100,101",
    )
    assert made.code == 0, made.stderr
    jobs = cli("backup", "job", "list", "-o", "json").json()
    assert [(j["id"], j["selection"], j["enabled"]) for j in jobs] == [("nightly", "ids 100,101", True)]
    # PVE's list carries next-run (pve-manager PVE/API2/Backup.pm index); the simulator computes none
    cli.edit["GET /cluster/backup"] = lambda rows: [{**r, "next-run": 1738288800} for r in rows]
    table = cli("backup", "job", "list", "-o", "table").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "ENABLED", "SCHEDULE", "NEXT"] and "2025-01-31 02:00:00Z" in table[1]
    del cli.edit["GET /cluster/backup"]
    shown = cli("backup", "job", "show", "nightly", "-o", "json").json()
    assert [g["id"] for g in shown["guests"]] == [100, 101]
    assert shown["guests"][0]["children"][0]["reason"] == "backup=yes"
    uncovered = cli("backup", "job", "uncovered", "-o", "json").json()
    ns1, cache1 = cli.guest_id("ns1"), cli.guest_id("cache1")
    assert [(r["vmid"], r["type"]) for r in uncovered] == sorted([(102, "qemu"), (ns1, "lxc"), (cache1, "lxc")])
    assert cli("backup", "job", "show", "weekly").code == 4
    cli("api", "create", "/cluster/backup", "--id", "rest", "--schedule", "sun", "--all", "1", "--exclude", "100,101")
    none = cli("backup", "job", "uncovered", "-o", "json")
    assert (none.code, none.json()) == (0, []) and "every guest is included in a backup job" in none.stderr
    assert cli("api", "delete", "/cluster/backup/rest").code == 0
    ran = cli("backup", "job", "run", "nightly", "-o", "json")
    assert ran.code == 0, ran.stderr
    assert {r["vmid"] for r in ran.json()} == {100, 101}
    made = cli("backup", "list", "-o", "json").json()
    assert sorted((r["vmid"], r["storage"]) for r in made) == [(100, "cephfs"), (101, "cephfs")]  # the job's storage


def test_job_run_sends_the_jobs_retention_as_a_property_string(cli: BackupCli) -> None:
    # PVE reads prune-backups, performance and fleecing back as objects (pve-manager PVE/API2/Backup.pm
    # $backup_job_return_schema) and takes them as property strings in POST /nodes/{node}/vzdump
    made = cli(
        "api", "create", "/cluster/backup", "--id", "keep1", "--schedule", "02:00", "--storage", "cephfs",
        "--vmid", "100", "--prune-backups", "keep-last=1", "--performance", "max-workers=2",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    job = cli("api", "get", "/cluster/backup/keep1", "-o", "json").json()
    assert job["prune-backups"] == {"keep-last": 1}
    assert "prune-backups: keep-last=1" in cli("backup", "job", "show", "keep1", "-o", "text").stdout
    assert cli("backup", "create", "100", "--storage", "cephfs").code == 0
    ran = cli("backup", "job", "run", "keep1", "-o", "json")
    assert ran.code == 0, ran.stderr
    (sent,) = [r for r in cli.requests if r.method == "POST" and r.url.path.endswith("/vzdump")][-1:]
    body = dict(httpx.QueryParams(sent.content.decode()))
    assert (body["prune-backups"], body["performance"]) == ("keep-last=1", "max-workers=2")
    assert len(cli.volids("--vm", "100")) == 1  # the job's keep-last=1 pruned the older backup
    queued = cli("backup", "job", "run", "keep1", "--no-wait", "-o", "json")
    assert queued.code == 0, queued.stderr
    assert [(r["node"], r["vmids"]) for r in queued.json()] == [("pve1", [100])]
    assert ":vzdump:100:" in queued.json()[0]["upid"]
    assert cli("backup", "job", "run", "keep1", "--timeout", "soon").code == 2


DAYS = ["2025_01_31-02_00_00", "2025_01_30-02_00_00", "2025_01_29-02_00_00", "2025_01_28-02_00_00"]


@pytest.fixture
def aged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackupCli]:
    volumes = [
        {
            "storage": "cephfs",
            "content": "backup",
            "name": f"vzdump-qemu-100-{day}.vma.zst",
            "size": 1,
            "protected": day == DAYS[3],
        }
        for day in DAYS
    ]
    yield from backup_cli(tmp_path, monkeypatch, volumes=volumes)


def test_prune_dry_run_shows_pves_marks_then_removes_exactly_those(aged: BackupCli) -> None:
    dry = aged("backup", "prune", "dns1", "--keep-last", "2", "--dry-run", "-o", "json")
    assert dry.code == 0 and aged.writes() == []
    marks = {row["volid"].split("-", 3)[3][:10]: row["mark"] for row in dry.json()}
    assert marks == {"2025_01_31": "keep", "2025_01_30": "keep", "2025_01_29": "remove", "2025_01_28": "protected"}
    assert aged("backup", "prune", "dns1", "--keep-last", "2").code == 2  # no terminal: --yes needed
    done = aged("backup", "prune", "dns1", "--keep-last", "2", "--yes")
    assert done.code == 0, done.stderr
    left = sorted(v.split("-", 3)[3][:10] for v in aged.volids())
    assert left == ["2025_01_28", "2025_01_30", "2025_01_31"]  # the protected one stays


def test_prune_reports_what_the_task_removed_when_the_marks_changed(aged: BackupCli) -> None:
    # PVE marks again inside the prune task: pvectl reports the task log's "removing backup" lines, not its plan
    def stale(marks: list[dict[str, Any]]) -> list[dict[str, Any]]:  # as read before a backup changed the marks
        day = {m["volid"].split("-", 3)[3][:10]: m for m in marks}
        day["2025_01_29"]["mark"], day["2025_01_28"]["mark"] = "keep", "remove"
        return marks

    aged.edit["GET /nodes/pve1/storage/cephfs/prunebackups"] = stale
    run = aged("backup", "prune", "dns1", "--keep-last", "1", "--storage", "cephfs", "--yes")
    assert run.code == 0, run.stderr
    name = "cephfs:backup/vzdump-qemu-100-{}.vma.zst".format
    assert f"removed {name(DAYS[1])}\n" in run.stderr
    assert f"removed {name(DAYS[2])} (PVE's marks changed since they were read)" in run.stderr
    assert f"kept {name(DAYS[3])}: PVE's marks changed since they were read" in run.stderr
    assert sorted(aged.volids()) == [name(DAYS[3]), name(DAYS[0])]


def test_prune_without_keep_flags_needs_the_storages_setting(aged: BackupCli) -> None:
    run = aged("backup", "prune", "100")
    assert run.code == 1 and "no prune-backups setting" in run.stderr and "--keep-last" in run.stderr
    assert aged("backup", "prune", "100", "--keep-last", "0").code == 2


def test_prune_a_destroyed_guests_backups_by_its_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a destroyed guest's backups stay (backup list --vm 150 shows them); prune takes its id: both kinds' groups
    volumes = [
        {"storage": "cephfs", "content": "backup", "name": f"vzdump-{kind}-150-{day}.{ext}", "size": 1}
        for kind, ext in (("qemu", "vma.zst"), ("lxc", "tar.zst"))
        for day in DAYS[:2]
    ]
    for cli in backup_cli(tmp_path, monkeypatch, volumes=volumes):
        dry = cli("backup", "prune", "150", "--keep-last", "1", "--dry-run", "-o", "json")
        assert dry.code == 0, dry.stderr
        marks = sorted((r["volid"].split("-")[1], r["mark"]) for r in dry.json())
        assert marks == [("lxc", "keep"), ("lxc", "remove"), ("qemu", "keep"), ("qemu", "remove")]
        done = cli("backup", "prune", "150", "--keep-last", "1", "--yes")
        assert done.code == 0, done.stderr
        assert sorted(v.rsplit("-", 2)[1] for v in cli.volids()) == ["2025_01_31", "2025_01_31"]
        nothing = cli("backup", "prune", "999", "--keep-last", "1", "--dry-run")
        assert nothing.code == 4 and "no guest and no backup has id 999" in nothing.stderr


def test_prune_by_the_storages_settings_skips_a_storage_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storages = [
        {"id": "cephfs", "type": "cephfs", "content": ["backup"], "shared": True, "prune-backups": "keep-last=1"},
        {"id": "ceph-pool", "type": "rbd", "content": ["images", "rootdir"], "shared": True},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
        {"id": "local", "type": "dir", "content": ["iso", "vztmpl", "backup"]},
    ]
    volumes = [
        {"storage": sid, "content": "backup", "name": f"vzdump-qemu-100-{day}.vma.zst", "size": 1, "node": "pve1"}
        for sid in ("cephfs", "local")
        for day in DAYS[:2]
    ]
    for cli in backup_cli(tmp_path, monkeypatch, storages=storages, volumes=volumes, containers=[]):
        dry = cli("backup", "prune", "100", "--dry-run", "-o", "json")
        assert dry.code == 0, dry.stderr
        assert sorted((r["storage"], r["mark"]) for r in dry.json()) == [("cephfs", "keep"), ("cephfs", "remove")]
        assert "storage 'local' has no prune-backups setting: skipped" in dry.stderr
        named = cli("backup", "prune", "100", "--storage", "local")
        assert named.code == 1 and "storage 'local' has no prune-backups setting" in named.stderr
        cli.sim.inject("node-offline:node=pve2")
        off = cli("backup", "prune", "100", "--dry-run")
        assert off.code == 0 and "node pve2 is offline: the backups on its own storages are not pruned" in off.stderr


def test_containers_back_up_and_restore_through_lxc(cli: BackupCli) -> None:
    ns1 = cli.guest_id("ns1")
    run = cli("backup", "create", "ns1", "100", "--storage", "cephfs", "-o", "json")
    assert run.code == 0, run.stderr
    assert {(r["vmid"], r["guest"]) for r in run.json()} == {(ns1, "lxc"), (100, "qemu")}
    rows = {r["vmid"]: r for r in cli("backup", "list", "-o", "json").json()}
    assert rows[ns1]["kind"] == "ct" and rows[ns1]["volid"].startswith(f"cephfs:backup/vzdump-lxc-{ns1}-")
    assert ".tar." in rows[ns1]["volid"]
    volid = rows[ns1]["volid"]
    refused = cli("backup", "restore", volid)
    assert refused.code == 2 and f"CT {ns1} (ns1) exists on pve1" in refused.stderr
    dry = cli("backup", "restore", volid, "--vmid", "250", "--dry-run")
    assert f"POST /nodes/pve1/lxc vmid=250 ostemplate={volid} restore=1" in dry.stdout
    restored = cli("backup", "restore", volid, "--vmid", "250", "-o", "json")
    assert restored.code == 0, restored.stderr
    assert (restored.json()["guest"], restored.json()["name"]) == ("lxc", "ns1")
    shown = cli("api", "get", "/nodes/pve1/lxc/250/config", "-o", "json").json()
    assert shown["hostname"] == "ns1"
    cross = cli("backup", "restore", volid, "--vmid", "100", "--force")
    assert cross.code == 2 and "VM 100 (dns1) is a VM; the backup holds a container" in cross.stderr


def test_proxmox_backup_server_volume_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storages = [
        {"id": "pbs", "type": "pbs", "content": ["backup"], "shared": True},
        {"id": "ceph-pool", "type": "rbd", "content": ["images", "rootdir"], "shared": True},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
        {"id": "local", "type": "dir", "content": ["iso", "vztmpl"]},
    ]
    for cli in backup_cli(tmp_path, monkeypatch, storages=storages, volumes=[], containers=[]):
        made = cli("backup", "create", "101", "--storage", "pbs", "-o", "json")
        assert made.code == 0, made.stderr
        (row,) = cli("backup", "list", "-o", "json").json()
        assert made.json()[0]["done"] == [f"archive {row['volid']}"]
        assert row["volid"].startswith("pbs:backup/vm/101/") and row["volid"].endswith("Z")
        assert (row["vmid"], row["kind"], row["format"]) == (101, "vm", "pbs-vm")
        dry = cli("backup", "restore", row["volid"], "--vmid", "170", "--dry-run")
        assert f"POST /nodes/pve1/qemu vmid=170 archive={row['volid']}" in dry.stdout
        volid = row["volid"]  # slashes and colons: one path segment, encoded
        assert cli("backup", "show", volid, "-o", "json").json()["config"]["name"] == "web1"
        assert cli("backup", "protect", volid).code == 0
        assert cli("backup", "notes", volid, "before the upgrade").code == 0
        (row,) = cli("backup", "list", "-o", "json").json()
        assert (row["protected"], row["notes"]) == (True, "before the upgrade")
        assert cli("backup", "unprotect", volid).code == 0
        assert cli("backup", "delete", volid, "--yes").code == 0
        assert cli.volids() == []


def test_the_storages_own_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storages = [
        {"id": "cephfs", "type": "cephfs", "content": ["backup"], "shared": True, "prune-backups": "keep-last=2"},
        {"id": "ceph-pool", "type": "rbd", "content": ["images", "rootdir"], "shared": True},
        {"id": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"]},
        {"id": "local", "type": "dir", "content": ["iso", "vztmpl"]},
    ]
    old = [{"storage": "cephfs", "content": "backup", "name": f"vzdump-qemu-100-{day}.vma.zst"} for day in DAYS[:3]]
    for cli in backup_cli(tmp_path, monkeypatch, storages=storages, volumes=old, containers=[]):
        dry = cli("backup", "prune", "100", "--dry-run", "-o", "json")  # no --keep-*: the storage's keep-last=2
        assert [r["mark"] for r in dry.json()] == ["keep", "keep", "remove"]
        # vzdump prunes the guest's backups by the storage's setting after a backup (its remove option, default on)
        made = cli("backup", "create", "100", "--storage", "cephfs", "-o", "json")
        assert made.code == 0, made.stderr
        log = cli("task", "log", made.json()[0]["upid"]).stdout
        assert "INFO: prune older backups with retention: keep-last=2" in log
        assert "INFO: pruned 2 backup(s) not covered by keep-retention policy" in log
        left = cli.volids()
        assert len(left) == 2 and any(DAYS[0] in v for v in left)


def test_stop_mode_on_a_started_ha_guest_fails_with_pves_reason(cli: BackupCli) -> None:
    run = cli("backup", "create", "dns1", "--storage", "cephfs", "--mode", "stop", "-o", "json")
    assert run.code == 8
    assert "Cannot execute a backup with stop mode on a HA managed and enabled Service" in run.json()[0]["message"]


def test_backups_of_a_deleted_guest_are_listed_by_its_id(cli: BackupCli) -> None:
    assert cli("backup", "create", "101", "102", "--storage", "cephfs").code == 0
    assert [r["name"] for r in cli("backup", "list", "-o", "json").json()] == ["web1", "scratch"]
    assert cli("vm", "delete", "102", "--yes").code == 0
    assert [(r["vmid"], r["name"]) for r in cli("backup", "list", "--vm", "102", "-o", "json").json()] == [(102, "")]
    assert cli("backup", "list", "--vm", "scratch").code == 4  # the name went with the guest
    # the id taken by a container now: the VM's backup is not given the container's name
    made = cli(
        "api",
        "create",
        "/nodes/pve1/lxc",
        "--vmid",
        "102",
        "--ostemplate",
        f"local:vztmpl/{DEBIAN_CT}",
        "--hostname",
        "ct102",
        "--storage",
        "local-lvm",
    )
    assert made.code == 0, made.stderr
    assert [r["name"] for r in cli("backup", "list", "--vm", "102", "-o", "json").json()] == [""]


def test_a_backup_on_a_nodes_own_storage_restores_on_that_node(cli: BackupCli) -> None:
    assert cli("backup", "create", "101", "--storage", "local").code == 0  # web1 is on pve2
    (volid,) = cli.volids()
    before = len(cli.writes())
    run = cli("backup", "restore", volid, "--vmid", "180", "--node", "pve1")
    assert run.code == 2 and "on pve2's own storage 'local'" in run.stderr and len(cli.writes()) == before
    assert cli("backup", "restore", volid, "--vmid", "180").code == 0  # on pve2, where it is
