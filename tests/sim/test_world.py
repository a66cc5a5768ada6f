"""The default world, seed files, and state shared between simulators (processes) through the state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.sim.store import StateError, Store
from pvectl.sim.world import SeedError, build_state, credentials_of, load_seed


def auth(sim: Simulator) -> dict[str, str]:
    creds = credentials_of(sim.store.snapshot())
    return {"Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}"}


def get(sim: Simulator, path: str, query: str = "") -> object:
    answer = sim.handle("GET", f"/api2/json{path}", query, auth(sim))
    assert answer.status == 200, answer.reason
    return answer.json()["data"]


def test_default_world() -> None:
    state = build_state({})
    assert list(state["nodes"]) == ["pve1", "pve2"] and all(n["online"] for n in state["nodes"].values())
    assert {s: v["type"] for s, v in state["storages"].items()} == {
        "cephfs": "cephfs",
        "ceph-pool": "rbd",
        "local": "dir",
        "local-lvm": "lvmthin",
    }
    assert state["storages"]["cephfs"]["content"] == ["iso", "vztmpl", "backup"]
    assert state["storages"]["local"]["formats"] == ["raw", "qcow2", "vmdk"]
    isos = [v["volid"] for v in state["volumes"].values() if v["storage"] == "cephfs" and v["content"] == "iso"]
    assert sum(i.startswith("cephfs:iso/nixos-minimal-") and i.endswith("-x86_64-linux.iso") for i in isos) >= 3
    assert any("nixos" not in i for i in isos)
    for node in state["nodes"]:
        assert [i["iface"] for i in state["networks"][node] if i["type"] == "bridge"] == ["vmbr0", "vmbr9"]
    assert [r["realm"] for r in state["realms"]] == ["pam", "pve"]
    assert state["version"] == "9.1.3" and len(state["vms"]) >= 3
    assert all(vm["config"].get("tags") for vm in state["vms"].values())
    assert state["users"]["root@pam"]["password"] and state["users"]["root@pam"]["tokens"]["sim"]["secret"]


def test_seed_file_replaces_parts_of_the_world(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "version: 8.4.1\n"
        "nodes: [alpha, {name: beta, online: false}]\n"
        "vms:\n  - {vmid: 500, node: alpha, name: seeded, tags: a;b, config: {scsi0: 'local-lvm:4'}}\n"
        "root_password: secret123\n"
        "token: {id: ci, secret: s3cr3t}\n",
        encoding="utf-8",
    )
    sim = Simulator(Store(tmp_path / "state.json", load_seed(seed)))
    assert credentials_of(sim.store.snapshot()) == {"password": "secret123", "token_id": "ci", "token_secret": "s3cr3t"}
    assert get(sim, "/version") == {"version": "8.4.1", "release": "8.4", "repoid": "5bfbfdeea5e8f8d1"}
    nodes = get(sim, "/nodes")
    assert isinstance(nodes, list) and [(n["node"], n["status"]) for n in nodes] == [
        ("alpha", "online"),
        ("beta", "offline"),
    ]
    vms = get(sim, "/nodes/alpha/qemu")
    assert isinstance(vms, list) and [(v["vmid"], v["name"]) for v in vms] == [(500, "seeded")]
    storages = get(sim, "/storage")
    assert isinstance(storages, list) and len(storages) == 4  # not in the seed: the default storages


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("nodes: 3\n", "key 'nodes' has the wrong type"),
        ("planets: []\n", "unknown key 'planets'"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("vms: [{vmid: 100, node: pve7}]\n", "vms[0].node: no node 'pve7'"),
        ("vms: [{name: x}]\n", "vms[0]: needs an integer 'vmid'"),
        ("storages: [{type: dir}]\n", "storages[0]: missing 'id'"),
        ("volumes: [{storage: nas, name: x.iso}]\n", "volumes[0].storage: no storage 'nas'"),
        ("faults: ['boom']\n", "faults[0]: unknown fault kind 'boom'"),
        ("nodes: [a\n", "not valid YAML"),
    ],
)
def test_malformed_seed_names_the_culprit(tmp_path: Path, text: str, culprit: str) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as err:
        load_seed(seed)
    assert str(err.value).startswith(f"seed file {seed}: ") and culprit in str(err.value)


def test_json_seed_and_missing_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"pools": [{"poolid": "only"}], "vms": []}), encoding="utf-8")
    assert load_seed(seed)["pools"] == [{"poolid": "only"}]
    with pytest.raises(SeedError, match="cannot read"):
        load_seed(tmp_path / "nope.yaml")


def test_two_simulators_share_one_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = Simulator(Store(path, {"task_seconds": 0}))
    second = Simulator(Store(path))
    headers = {**auth(first), "Content-Type": "application/x-www-form-urlencoded"}
    assert first.handle("POST", "/api2/json/pools", body=b"poolid=shared", headers=headers).status == 200
    pools = get(second, "/pools")
    assert isinstance(pools, list) and "shared" in {p["poolid"] for p in pools}
    created = first.handle("POST", "/api2/json/nodes/pve1/qemu", body=b"vmid=400&name=persisted", headers=headers)
    assert created.status == 200
    third = Simulator(Store(path))  # a later process
    vms = get(third, "/nodes/pve1/qemu")
    assert isinstance(vms, list) and "persisted" in {v["name"] for v in vms}


def test_failed_request_leaves_no_trace(tmp_path: Path) -> None:
    sim = Simulator(Store(None, {"task_seconds": 0}))
    headers = {**auth(sim), "Content-Type": "application/x-www-form-urlencoded"}
    # scsi0 is allocated first, then ide2 fails: the whole call is rolled back
    body = b"vmid=410&scsi0=local-lvm:4&ide2=cephfs:iso/missing.iso,media=cdrom"
    assert sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers).status == 500
    content = get(sim, "/nodes/pve1/storage/local-lvm/content")
    assert isinstance(content, list) and [v for v in content if v.get("vmid") == 410] == []


def test_reset_keeps_credentials_and_corrupt_state_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    before = credentials_of(Store(path).snapshot())
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateError, match="is corrupt"):
        Store(path)
    after = Store(path, reset=True)
    assert credentials_of(after.snapshot())["password"] != before["password"]  # unreadable: new ones
    again = Store(path, {"vms": []}, reset=True)
    assert credentials_of(again.snapshot()) == credentials_of(after.snapshot())
    assert again.snapshot()["vms"] == {}


async def test_mock_transport_serves_the_async_sdk() -> None:
    from pvectl.sdk import AsyncProxmoxClient

    sim = Simulator(Store(None))
    creds = credentials_of(sim.store.snapshot())
    token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
    async with AsyncProxmoxClient("sim", token=token, transport=mock_transport(sim)) as client:
        assert await client.cluster.nextid() == 103


def test_an_older_release_lacks_newer_methods_and_parameters(tmp_path: Path) -> None:
    sim = Simulator(Store(None, {"version": "8.4.0", "task_seconds": 0}))
    headers = {**auth(sim), "Content-Type": "application/x-www-form-urlencoded"}
    answer = sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=b"vmid=120&ha-managed=1", headers=headers)
    assert answer.status == 400 and set(answer.json()["errors"]) == {"ha-managed"}
    assert sim.handle("GET", "/api2/json/cluster/ha/rules", headers=headers).status == 501
    # the way older clients do it: create, then add the HA resource
    assert sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=b"vmid=120", headers=headers).status == 200
    body = b"sid=vm:120&state=stopped"
    assert sim.handle("POST", "/api2/json/cluster/ha/resources", body=body, headers=headers).status == 200


def test_cdrom_alias_and_pending(tmp_path: Path) -> None:
    sim = Simulator(Store(None, {"task_seconds": 0}))
    headers = {**auth(sim), "Content-Type": "application/x-www-form-urlencoded"}
    body = b"vmid=130&cdrom=cephfs:iso/debian-12.8.0-amd64-netinst.iso"
    assert sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers).status == 200
    config = get(sim, "/nodes/pve1/qemu/130/config")
    assert isinstance(config, dict) and config["ide2"] == "cephfs:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom"
    assert "cdrom" not in config
    body = b"vmid=131&cdrom=cephfs:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom"  # PVE adds media only if absent
    assert sim.handle("POST", "/api2/json/nodes/pve1/qemu", body=body, headers=headers).status == 200
    pending = get(sim, "/nodes/pve1/qemu/130/pending")
    assert isinstance(pending, list) and {"key": "ide2", "value": config["ide2"]} in pending
