"""What backup create, restore and prune would send, decided before anything is sent."""

from __future__ import annotations

import pytest

from pvectl.backup.plan import Guest, Options, PrunePlan, Refused, keep_text, plan_create, plan_restore
from pvectl.backup.volid import parse

GUESTS = [Guest(102, "pve2", "qemu", "scratch"), Guest(100, "pve1", "qemu", "dns1"), Guest(101, "pve2", "qemu", "web1")]


def test_one_request_per_node_guests_in_id_order() -> None:
    requests = plan_create(GUESTS, Options(storage="nfs", mode="snapshot", compress="zstd", protected=True))
    assert [(r.node, r.params["vmid"]) for r in requests] == [("pve1", "100"), ("pve2", "101,102")]
    assert requests[1].params == {
        "vmid": "101,102",
        "storage": "nfs",
        "mode": "snapshot",
        "compress": "zstd",
        "protected": 1,
    }
    assert requests[0].path == "/nodes/pve1/vzdump"


def test_nothing_unasked_is_sent() -> None:
    (request,) = plan_create(GUESTS[1:2], Options())
    assert request.params == {"vmid": "100"}


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        (Options(notes_template="{{guestname}}"), "--notes-template needs --storage"),
        (Options(storage="nfs", notes_template="a\nb"), "--notes-template: must be one line"),
        (Options(protected=True), "--protected needs --storage"),
        (Options(bwlimit=-1), "--bwlimit"),
    ],
)
def test_bad_options_are_refused(options: Options, flag: str) -> None:
    with pytest.raises(Refused, match=flag):
        plan_create(GUESTS, options)


BACKUP = parse("nfs:backup/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst")


def test_restore_to_the_original_id() -> None:
    r = plan_restore(
        BACKUP, node="pve1", vmid=None, existing=None, force=False, storage=None, unique=False, start=False
    )
    assert (r.path, dict(r.params)) == ("/nodes/pve1/qemu", {"vmid": 100, "archive": BACKUP.volid})


def test_restore_refuses_an_existing_guest_without_force_and_names_it() -> None:
    dns1 = Guest(100, "pve1", "qemu", "dns1")
    with pytest.raises(Refused, match=r"VM 100 \(dns1\) exists on pve1.*--force"):
        plan_restore(
            BACKUP, node="pve1", vmid=None, existing=dns1, force=False, storage=None, unique=False, start=False
        )
    r = plan_restore(BACKUP, node="pve1", vmid=None, existing=dns1, force=True, storage="ceph", unique=True, start=True)
    assert dict(r.params) == {
        "vmid": 100,
        "archive": BACKUP.volid,
        "storage": "ceph",
        "force": 1,
        "unique": 1,
        "start": 1,
    }


def test_restore_over_a_guest_elsewhere_or_of_another_kind_is_refused() -> None:
    with pytest.raises(Refused, match="restore over it there"):
        plan_restore(
            BACKUP,
            node="pve2",
            vmid=None,
            existing=Guest(100, "pve1", "qemu"),
            force=True,
            storage=None,
            unique=False,
            start=False,
        )
    for force in (True, False):  # without --force too: suggesting it would only lead to this refusal
        with pytest.raises(Refused, match="is a container; the backup holds a VM: give --vmid"):
            plan_restore(
                BACKUP,
                node="pve1",
                vmid=None,
                existing=Guest(100, "pve1", "lxc"),
                force=force,
                storage=None,
                unique=False,
                start=False,
            )


def test_a_container_backup_restores_through_lxc() -> None:
    ct = parse("pbs:backup/ct/200/2025-01-31T02:00:00Z")
    r = plan_restore(
        ct, node="pve1", vmid=300, existing=None, force=False, storage="local-lvm", unique=False, start=False
    )
    assert (r.path, dict(r.params)) == (
        "/nodes/pve1/lxc",
        {"vmid": 300, "ostemplate": ct.volid, "restore": 1, "storage": "local-lvm"},
    )


def test_a_renamed_archive_needs_an_id() -> None:
    renamed = parse("nfs:backup/vzdump-qemu-golden.vma.zst")
    with pytest.raises(Refused, match="--vmid"):
        plan_restore(
            renamed, node="pve1", vmid=None, existing=None, force=False, storage=None, unique=False, start=False
        )


def test_keep_flags() -> None:
    assert keep_text({"keep-last": 3, "keep-daily": None, "keep-weekly": 2}) == "keep-last=3,keep-weekly=2"
    assert keep_text({"keep-last": None}) is None
    with pytest.raises(Refused, match="all zero"):
        keep_text({"keep-last": 0})
    with pytest.raises(Refused, match="--keep-daily"):
        keep_text({"keep-daily": -1})


def test_prune_removes_only_what_pve_marked_remove() -> None:
    marks = ({"volid": "a", "mark": "keep"}, {"volid": "b", "mark": "remove"}, {"volid": "c", "mark": "protected"})
    assert [m["volid"] for m in PrunePlan("nfs", "pve1", marks).removes] == ["b"]


def test_pruned_reads_the_prune_tasks_log() -> None:
    from pvectl.backup.plan import pruned

    log = [
        "removing backup 'nfs:backup/vzdump-qemu-100-2025_01_29-02_00_00.vma.zst'",
        "removing backup 'nfs:backup/vzdump-qemu-100-2025_01_28-02_00_00.vma.zst'",
        "error when removing backup 'nfs:backup/vzdump-qemu-100-2025_01_28-02_00_00.vma.zst' - Permission denied",
        "TASK ERROR: error pruning backups - check log",
    ]
    assert pruned(log) == ["nfs:backup/vzdump-qemu-100-2025_01_29-02_00_00.vma.zst"]
