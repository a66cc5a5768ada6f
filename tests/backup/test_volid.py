"""Backup volume ids as PVE writes them: file storages and Proxmox Backup Server."""

from __future__ import annotations

import pytest

from pvectl.backup.volid import VolidError, parse


def test_file_storage_archive() -> None:
    b = parse("nfs:backup/vzdump-qemu-100-2025_01_31-02_00_05.vma.zst")
    assert (b.storage, b.kind, b.vmid, b.stamp, b.pbs) == ("nfs", "qemu", 100, "2025-01-31 02:00:05", False)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("vzdump-lxc-200-2024_12_01-00_00_00.tar.zst", "lxc"),
        ("vzdump-openvz-300-2019_01_01-10_00_00.tgz", "lxc"),
        ("vzdump-qemu-101-2023_06_30-23_59_59.vma", "qemu"),
        ("vzdump-qemu-102-2023_06_30-23_59_59.vma.gz", "qemu"),
        ("vzdump-qemu-103-2023_06_30-23_59_59.vma.lzo", "qemu"),
    ],
)
def test_every_archive_form(name: str, kind: str) -> None:
    b = parse(f"local:backup/{name}")
    assert b.kind == kind and b.vmid is not None


def test_pbs_snapshot() -> None:
    b = parse("pbs:backup/vm/100/2025-01-31T02:00:05Z")
    assert (b.kind, b.vmid, b.stamp, b.pbs) == ("qemu", 100, "2025-01-31T02:00:05Z", True)
    assert parse("pbs:backup/ct/200/2025-01-31T02:00:05Z").kind == "lxc"


def test_a_renamed_archive_has_a_kind_but_no_id() -> None:
    b = parse("local:backup/vzdump-qemu-before-upgrade.vma.zst")
    assert (b.kind, b.vmid, b.stamp) == ("qemu", None, None)


@pytest.mark.parametrize("bad", ["", "local", "local:", ":backup/x", "local:iso/debian.iso", "local:backup/x.tar"])
def test_not_a_backup(bad: str) -> None:
    with pytest.raises(VolidError):
        parse(bad)
