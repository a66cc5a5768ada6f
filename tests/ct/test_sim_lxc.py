"""The simulator's containers, as pve-container behaves (each rule cited in pvectl/sim/handlers/lxc*.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of

TEMPLATE = "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"


@pytest.fixture
def sim() -> Simulator:
    return Simulator(Store(None, {"task_seconds": 0}))


def call(sim: Simulator, method: str, path: str, **params: Any) -> tuple[int, Any, str]:
    creds = credentials_of(sim.store.snapshot())
    headers = {"Authorization": f"PVEAPIToken=root@pam!{creds['token_id']}={creds['token_secret']}"}
    body = urlencode({k.replace("_", "-"): v for k, v in params.items()}).encode()
    if method == "GET":
        answer = sim.handle("GET", f"/api2/json{path}", urlencode(params), headers)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = sim.handle(method, f"/api2/json{path}", "", headers, body)
    payload = answer.json() if answer.body else {}
    errors = " ".join(f"{k}: {v}" for k, v in (payload.get("errors") or {}).items())
    return answer.status, payload.get("data"), f"{answer.reason} {errors}".strip()


def ok(sim: Simulator, method: str, path: str, **params: Any) -> Any:
    status, data, reason = call(sim, method, path, **params)
    assert status == 200, reason
    return data


def task(sim: Simulator, upid: str) -> dict[str, Any]:
    node = upid.split(":")[1]
    status: dict[str, Any] = ok(sim, "GET", f"/nodes/{node}/tasks/{upid}/status")
    return status


def test_default_world_has_two_containers_and_a_template(sim: Simulator) -> None:
    rows = ok(sim, "GET", "/cluster/resources", type="vm")
    cts = {r["vmid"]: r for r in rows if r["type"] == "lxc"}
    assert sorted(cts) == [190, 191] and cts[190]["id"] == "lxc/190" and cts[190]["name"] == "ns1"
    assert [r["vmid"] for r in ok(sim, "GET", "/nodes/pve1/lxc")] == [190]
    assert 190 not in [r["vmid"] for r in ok(sim, "GET", "/nodes/pve1/qemu")]
    volids = [v["volid"] for v in ok(sim, "GET", "/nodes/pve1/storage/local/content", content="vztmpl")]
    assert volids == [TEMPLATE]
    status, _, reason = call(sim, "GET", "/nodes/pve1/qemu/190/config")
    assert status == 500 and "qemu-server/190.conf' does not exist" in reason


def test_create_runs_a_vzcreate_task_and_ids_are_shared_with_vms(sim: Simulator) -> None:
    upid = ok(sim, "POST", "/nodes/pve1/lxc", vmid=300, ostemplate=TEMPLATE, rootfs="local-lvm:8",
              net0="name=eth0,bridge=vmbr0,ip=dhcp", unprivileged=1)  # fmt: skip
    assert ":vzcreate:300:" in upid and task(sim, upid)["exitstatus"] == "OK"
    config = ok(sim, "GET", "/nodes/pve1/lxc/300/config")
    assert config["rootfs"] == "local-lvm:vm-300-disk-0,size=8G" and config["hostname"] == "CT300"
    assert (config["memory"], config["swap"], config["unprivileged"]) == ("512", "512", "1")
    assert "hwaddr=" in config["net0"] and "lock" not in config
    status, _, reason = call(sim, "POST", "/nodes/pve1/lxc", vmid=100, ostemplate=TEMPLATE)
    assert status == 500 and "already exists" in reason  # VM 100 holds the id
    status, _, reason = call(sim, "POST", "/nodes/pve1/lxc", vmid=301, ostemplate=TEMPLATE, rootfs="local:8")
    assert status == 400 and "storage: storage 'local' does not support container directories" in reason
    status, _, reason = call(sim, "POST", "/nodes/pve1/lxc", vmid=302, ostemplate="local:vztmpl/none.tar.zst")
    assert status == 500 and "does not exist" in reason
    assert int(ok(sim, "GET", "/cluster/nextid")) not in (100, 101, 102, 190, 191, 300)


def test_config_digest_and_pending_on_a_running_container(sim: Simulator) -> None:
    config = ok(sim, "GET", "/nodes/pve1/lxc/190/config")
    status, _, reason = call(sim, "PUT", "/nodes/pve1/lxc/190/config", memory=1024, digest="0" * 40)
    assert status == 500 and "file changed by other user" in reason
    ok(sim, "PUT", "/nodes/pve1/lxc/190/config", memory=1024, ostype="ubuntu", digest=config["digest"])
    now = ok(sim, "GET", "/nodes/pve1/lxc/190/config", current=1)
    assert now["memory"] == "1024"  # memory hot-plugs (cgroup limit)
    assert now["ostype"] == "debian"  # ostype waits for the next start
    pending = {r["key"]: r for r in ok(sim, "GET", "/nodes/pve1/lxc/190/pending")}
    assert pending["ostype"]["pending"] == "ubuntu"
    status, _, reason = call(sim, "PUT", "/nodes/pve1/lxc/190/config", delete="rootfs")
    assert status == 500 and "unable to delete required option 'rootfs'" in reason
    status, _, reason = call(sim, "PUT", "/nodes/pve1/lxc/190/config", unprivileged=0)
    assert status == 500 and "read-only option" in reason
    ok(sim, "POST", "/nodes/pve1/lxc/190/status/reboot")
    ok(sim, "GET", "/version")  # the reboot task ends
    assert ok(sim, "GET", "/nodes/pve1/lxc/190/config", current=1)["ostype"] == "ubuntu"


def refused(sim: Simulator, path: str) -> str:
    """A power call PVE answers with 500 before any worker starts (LXC/Status.pm checks check_running first)."""
    before = len(ok(sim, "GET", "/nodes/pve1/tasks"))
    status, data, reason = call(sim, "POST", path)
    assert status == 500 and data is None, (status, data)
    assert len(ok(sim, "GET", "/nodes/pve1/tasks")) == before  # no task was started
    return reason


def test_power_actions(sim: Simulator) -> None:
    assert refused(sim, "/nodes/pve1/lxc/190/status/start") == "CT 190 already running"
    upid = ok(sim, "POST", "/nodes/pve1/lxc/190/status/shutdown", timeout=30)
    assert ":vzshutdown:" in upid and task(sim, upid)["exitstatus"] == "OK"
    assert ok(sim, "GET", "/nodes/pve1/lxc/190/status/current")["status"] == "stopped"
    assert refused(sim, "/nodes/pve1/lxc/190/status/stop") == "CT 190 not running"
    assert refused(sim, "/nodes/pve1/lxc/190/status/shutdown") == "CT 190 not running"
    assert refused(sim, "/nodes/pve1/lxc/190/status/suspend") == "CT 190 not running"
    assert refused(sim, "/nodes/pve1/lxc/190/status/reboot") == "VM 190 not running"  # vm_reboot's own words
    assert ok(sim, "GET", "/nodes/pve1/lxc/190/interfaces") is None  # not running: no answer
    ok(sim, "POST", "/nodes/pve1/lxc/190/status/start")
    ok(sim, "GET", "/version")
    names = [i["name"] for i in ok(sim, "GET", "/nodes/pve1/lxc/190/interfaces")]
    assert names == ["lo", "eth0"]


def test_delete_refuses_a_running_container(sim: Simulator) -> None:
    status, _, reason = call(sim, "DELETE", "/nodes/pve1/lxc/190")
    assert status == 500 and "container is running" in reason
    ok(sim, "DELETE", "/nodes/pve2/lxc/191")
    ok(sim, "GET", "/version")
    assert 191 not in [r["vmid"] for r in ok(sim, "GET", "/cluster/resources", type="vm")]
    assert not [v for v in ok(sim, "GET", "/nodes/pve2/storage/ceph-pool/content") if v.get("vmid") == 191]


def test_restart_migration_of_a_running_container(sim: Simulator) -> None:
    status, _, reason = call(sim, "POST", "/nodes/pve1/lxc/190/migrate", target="pve2")
    assert status == 500 and "without --online or --restart" in reason
    upid = ok(sim, "POST", "/nodes/pve1/lxc/190/migrate", target="pve2", online=1)
    assert "live migration is currently not implemented" in task(sim, upid)["exitstatus"]
    upid = ok(sim, "POST", "/nodes/pve1/lxc/190/migrate", target="pve2", restart=1, timeout=30)
    assert ":vzmigrate:190:" in upid
    ok(sim, "GET", "/version")
    assert task(sim, upid)["exitstatus"] == "OK"
    log = [line["t"] for line in ok(sim, "GET", f"/nodes/pve1/tasks/{upid}/log")]
    assert any("shutdown CT 190 (timeout 30s)" in line for line in log)
    row = next(r for r in ok(sim, "GET", "/cluster/resources", type="vm") if r["vmid"] == 190)
    assert (row["node"], row["status"]) == ("pve2", "running")  # started again on the target


def test_offline_migration_of_a_stopped_container(sim: Simulator) -> None:
    ok(sim, "POST", "/nodes/pve2/lxc/191/migrate", target="pve1")
    ok(sim, "GET", "/version")
    row = next(r for r in ok(sim, "GET", "/cluster/resources", type="vm") if r["vmid"] == 191)
    assert (row["node"], row["status"]) == ("pve1", "stopped")


def test_clone_template_snapshots_and_resize(sim: Simulator) -> None:
    status, _, reason = call(sim, "POST", "/nodes/pve1/lxc/190/clone", newid=400)
    assert status == 500 and "only possible from a snapshot" in reason  # full clone of a running CT
    ok(sim, "POST", "/nodes/pve2/lxc/191/clone", newid=401, hostname="copy")
    ok(sim, "GET", "/version")
    assert ok(sim, "GET", "/nodes/pve2/lxc/401/config")["hostname"] == "copy"
    status, _, reason = call(sim, "POST", "/nodes/pve2/lxc/191/clone", newid=402, full=0)
    assert status == 500 and "linked clone" in reason
    assert ok(sim, "POST", "/nodes/pve2/lxc/191/template") is None  # the vztemplate worker is not returned
    ok(sim, "GET", "/version")
    ok(sim, "POST", "/nodes/pve2/lxc/191/clone", newid=403, full=0)
    ok(sim, "GET", "/version")
    assert "base-191-disk-0/" in ok(sim, "GET", "/nodes/pve2/lxc/403/config")["rootfs"]
    # snapshots: ceph-pool (rbd) can, a raw image on a directory storage cannot
    upid = ok(sim, "POST", "/nodes/pve2/lxc/401/snapshot", snapname="before")
    assert ":vzsnapshot:" in upid and task(sim, upid)["exitstatus"] == "OK"
    assert [s["name"] for s in ok(sim, "GET", "/nodes/pve2/lxc/401/snapshot")] == ["before", "current"]
    status, _, reason = call(sim, "POST", "/nodes/pve2/lxc/401/template")
    assert status == 500 and "contains snapshots" in reason
    status, _, reason = call(sim, "PUT", "/nodes/pve2/lxc/401/resize", disk="rootfs", size="1G")
    assert status == 500 and "unable to shrink disk size" in reason
    ok(sim, "PUT", "/nodes/pve2/lxc/401/resize", disk="rootfs", size="+2G")
    assert ok(sim, "GET", "/nodes/pve2/lxc/401/config")["rootfs"].endswith("size=6G")


def test_appliance_index_and_download(sim: Simulator) -> None:
    index = ok(sim, "GET", "/nodes/pve1/aplinfo")
    wanted = next(a["template"] for a in index if a["os"] == "debian-13")
    status, _, _ = call(sim, "POST", "/nodes/pve1/aplinfo", storage="local", template="nope.tar.zst")
    assert status == 400
    status, _, reason = call(sim, "POST", "/nodes/pve1/aplinfo", storage="local-lvm", template=wanted)
    assert status == 500 and "does not support templates" in reason
    upid = ok(sim, "POST", "/nodes/pve1/aplinfo", storage="local", template=wanted)
    assert f":download:{wanted}:" in upid
    ok(sim, "GET", "/version")
    volids = [v["volid"] for v in ok(sim, "GET", "/nodes/pve1/storage/local/content", content="vztmpl")]
    assert f"local:vztmpl/{wanted}" in volids


def test_console_ticket_and_port(sim: Simulator) -> None:
    proxy = ok(sim, "POST", "/nodes/pve1/lxc/190/termproxy")
    assert proxy["ticket"].startswith("PVEVNC:") and ":vncproxy:190:" in proxy["upid"]
    answer = ok(sim, "GET", "/nodes/pve1/lxc/190/vncwebsocket", port=proxy["port"], vncticket=proxy["ticket"])
    assert answer == {"port": str(proxy["port"])}
    status, _, _ = call(sim, "GET", "/nodes/pve1/lxc/190/vncwebsocket", port=proxy["port"], vncticket="x")
    assert status == 401
