"""`pvectl apply/diff -f FILE` with VMs and containers in one file: a container document (kind: ct, or a CT
file as `ct export` writes it) is created through ct create's workflow and changed through ct set's one
digest-guarded config write; --prune deletes containers through the LXC API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.simcli import SimCli

VM = {"name": "app1", "node": "pve1", "memory": 1024, "disk": ["scsi0:local-lvm:4"]}
CT = {"kind": "ct", "hostname": "box1", "node": "pve1", "template": "debian-12", "disk": "local-lvm:4",
      "memory": 512, "tag": ["fleet"]}  # fmt: skip


def write(tmp_path: Path, *docs: Any) -> str:
    path = tmp_path / "guests.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def guest(cli: SimCli, name: str) -> dict[str, Any]:
    rows = cli("api", "get", "/cluster/resources", "--type", "vm", "-o", "json").json()
    return next(r for r in rows if r.get("name") == name)


def ct_config(cli: SimCli, vmid: int) -> dict[str, Any]:
    data: dict[str, Any] = cli("api", "get", f"/nodes/pve1/lxc/{vmid}/config", "-o", "json").json()
    return data


def test_mixed_apply_creates_both_then_only_gets_then_one_put_with_digest(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, VM, CT)
    diff = cli("diff", "-f", path, "-o", "json")
    assert diff.code == 1, diff.stderr
    kinds = {d["name"]: (d.get("kind", "vm"), d["action"]) for d in diff.json()}
    assert kinds == {"app1": ("vm", "create"), "box1": ("ct", "create")}
    assert {r.method for r in cli.requests} == {"GET"}

    first = cli("apply", "-f", path, "--yes", "-o", "json")
    assert first.code == 0, first.stderr
    outcomes = {o["name"]: o for o in first.json()}
    assert outcomes["app1"]["outcome"] == "created" and outcomes["box1"]["outcome"] == "created"
    assert "POST /nodes/pve1/qemu" in cli.writes() and "POST /nodes/pve1/lxc" in cli.writes()
    box = guest(cli, "box1")
    assert box["type"] == "lxc" and box["maxmem"] == 512 * 1024**2 and guest(cli, "app1")["type"] == "qemu"

    before = len(cli.requests)
    second = cli("apply", "-f", path, "--yes", "-o", "json")
    assert second.code == 0, second.stderr
    assert {r.method for r in cli.requests[before:]} == {"GET"}  # both as the file says: nothing sent
    assert cli("diff", "-f", path).code == 0

    vmid = int(box["vmid"])
    digest = ct_config(cli, vmid)["digest"]
    changed = write(tmp_path, VM, {**CT, "memory": 1024})
    shown = cli("diff", "-f", changed, "-o", "json").json()
    ct_diff = next(d for d in shown if d.get("kind") == "ct")
    assert [(c["key"], c["live"], c["desired"]) for c in ct_diff["changes"]] == [("memory", "512", "1024")]
    before = len(cli.requests)
    third = cli("apply", "-f", changed, "--yes", "-o", "json")
    assert third.code == 0, third.stderr
    sent = [r for r in cli.requests[before:] if r.method != "GET"]
    assert [f"{r.method} {r.url.path.removeprefix('/api2/json')}" for r in sent] == [
        f"PUT /nodes/pve1/lxc/{vmid}/config"
    ]
    body = dict(p.split("=", 1) for p in sent[0].content.decode().split("&"))
    assert body == {"memory": "1024", "digest": digest}
    assert ct_config(cli, vmid)["memory"] == "1024"


def test_exported_ct_file_applies_unchanged_and_refuses_what_cannot_change(cli: SimCli, tmp_path: Path) -> None:
    exported = cli("ct", "export", "190", "-o", "json").json()
    assert exported["kind"] == "ct"
    path = write(tmp_path, exported)
    assert cli("diff", "-f", path).code == 0
    refused = write(tmp_path, {**exported, "unprivileged": not exported["unprivileged"]})
    run = cli("apply", "-f", refused, "--yes")
    assert run.code == 2 and "unprivileged" in run.stderr
    assert cli.writes() == []


def test_prune_deletes_a_selected_container_through_the_lxc_api(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, VM, CT)
    assert cli("apply", "-f", path, "--yes").code == 0
    box = int(guest(cli, "box1")["vmid"])
    other = {"kind": "vm", "vmid": 9999, "name": "other", "node": "pve1", "disk": ["scsi0:local-lvm:1"],
             "tag": ["fleet"]}  # fmt: skip
    vms_only = write(tmp_path, VM, other)  # a file of VMs never prunes a container sharing their tag
    dry = cli("apply", "-f", vms_only, "--prune", "-l", "tag=fleet", "--dry-run", "-o", "json").json()
    assert dry["prune"] == []
    both = write(tmp_path, VM, other, {"kind": "ct", "vmid": 190})
    dry = cli("apply", "-f", both, "--prune", "-l", "tag=fleet", "--dry-run", "-o", "json").json()
    assert [(p["kind"], p["vmid"]) for p in dry["prune"]] == [("ct", box)]
    run = cli("apply", "-f", both, "--prune", "-l", "tag=fleet", "--yes", "-o", "json")
    assert run.code == 0, run.stderr
    assert f"DELETE /nodes/pve1/lxc/{box}" in cli.writes()
    assert not any(r.get("vmid") == box for r in cli("api", "get", "/cluster/resources", "-o", "json").json())


def test_a_document_with_hostname_and_no_kind_is_a_container(cli: SimCli, tmp_path: Path) -> None:
    path = write(tmp_path, {"hostname": "ns1", "cores": 3})
    run = cli("diff", "-f", path, "-o", "json")
    assert run.code == 1, run.stderr
    (only,) = run.json()
    assert (only["kind"], only["vmid"], only["action"]) == ("ct", 190, "change")
    assert [(c["key"], c["desired"]) for c in only["changes"]] == [("cores", "3")]
