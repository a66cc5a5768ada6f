"""`ct export` gives a container file `ct create --from-file` reads back; `ct pending` lists what waits."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.vm.conftest import SimCli


def test_export_round_trips_through_create(cli: SimCli, tmp_path: Path) -> None:
    run = cli("ct", "export", "cache1")
    assert run.code == 0, run.stderr
    data = yaml.safe_load(run.stdout)
    assert data["vmid"] == 111 and data["hostname"] == "cache1" and data["node"] == "pve2"
    assert data["disk"] == "ceph-pool:4" and data["swap"] == 0 and data["pool"] == "lab"
    assert data["net"] == ["bridge=vmbr9,ip=10.0.9.21/24,gw=10.0.9.1"]  # no generated MAC
    assert "template" not in data and "digest" not in data
    data.update({"vmid": 777, "hostname": "cache2", "template": "debian-12"})
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(data), encoding="utf-8")
    created = cli("ct", "create", "--from-file", str(copy))
    assert created.code == 0, created.stderr
    again = yaml.safe_load(cli("ct", "export", "cache2").stdout)
    original = yaml.safe_load(run.stdout)
    for key in ("vmid", "hostname"):
        again.pop(key)
        original.pop(key)
    assert again == original


def test_pending_lists_what_waits_for_a_restart(cli: SimCli) -> None:
    assert cli("api", "set", "/nodes/pve1/lxc/110/config", "--ostype", "ubuntu", "--cores", "2").code == 0
    rows = cli("-o", "json", "ct", "pending", "ns1").json()
    assert [(r["key"], r["pending"]) for r in rows] == [("ostype", "ubuntu")]  # cores hot-plugged
    everything = cli("-o", "json", "ct", "pending", "ns1", "--all").json()
    assert {"cores", "ostype", "hostname"} <= {r["key"] for r in everything}


def test_guest_list_shows_both_kinds(cli: SimCli) -> None:
    rows = cli("-o", "json", "guest", "list").json()
    assert [(r["kind"], r["vmid"]) for r in rows] == [("vm", 100), ("vm", 101), ("vm", 102), ("ct", 110), ("ct", 111)]
    only = cli("-o", "json", "guest", "list", "--kind", "ct", "--status", "running").json()
    assert [r["name"] for r in only] == ["ns1"]
    assert cli("guest", "list", "--kind", "lxc").code == 2
