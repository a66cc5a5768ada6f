"""`ct clone` refusals found before sending, each naming its flag (pve-container API2/LXC.pm clone_vm refuses
them too, in its own words): a snapshot the source lacks, a taken id, unshared storage towards another node, a
bind mount point."""

from __future__ import annotations

import pytest

from pvectl.ct.clone import problems
from tests.vm.conftest import SimCli


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (("ns1", "--snapshot", "nosuch"), "--snapshot: CT 190 has no snapshot 'nosuch' (it has: none)"),
        (("cache1", "--newid", "100"), "--newid: 100 is taken (VMs and containers share ids)"),
        (("cache1", "--target", "pve1", "--storage", "local-lvm"), "--storage: 'local-lvm' is not shared"),
    ],
)
def test_refused_before_sending(cli: SimCli, args: tuple[str, ...], culprit: str) -> None:
    run = cli("ct", "clone", *args)
    assert run.code == 2, run.stdout + run.stderr
    assert culprit in run.stderr and "(nothing was sent)" in run.stderr
    assert cli.writes() == []


def test_local_volumes_go_to_another_node_only_onto_shared_storage(cli: SimCli) -> None:
    made = cli("ct", "create", "--node", "pve1", "--hostname", "loc1", "--template", "debian-12", "--disk",
               "local-lvm:4", "--vmid", "250")  # fmt: skip
    assert made.code == 0, made.stderr
    run = cli("ct", "clone", "loc1", "--target", "pve2")
    assert run.code == 2, run.stderr
    assert "--target: CT 250 has volumes on local storage (local-lvm:vm-250-disk-0)" in run.stderr
    assert "clone on pve1 (or --storage SHARED), then pvectl ct migrate" in run.stderr
    assert cli.writes() == ["POST /nodes/pve1/lxc"]
    run = cli("-o", "json", "ct", "clone", "loc1", "--target", "pve2", "--storage", "ceph-pool", "--newid", "251")
    assert run.code == 0, run.stderr
    assert (run.json()["vmid"], run.json()["node"]) == (251, "pve2")
    snap = cli("ct", "snapshot", "create", "ns1", "before")
    assert snap.code == 0 and cli("ct", "clone", "ns1", "--snapshot", "before", "--newid", "252").code == 0


def test_a_bind_mount_point_cannot_be_cloned() -> None:
    config = {"rootfs": "ceph-pool:vm-190-disk-0,size=8G", "mp0": "/srv/data,mp=/data"}
    found = problems(190, "pve1", config, snapshots=(), shared={}, taken=(), newid=None, target=None, storage=None,
                     snapshot=None)  # fmt: skip
    assert found == ["CT 190 has a bind mount point (mp0: /srv/data); PVE clones only volume mount points"]
