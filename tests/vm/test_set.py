"""``pvectl vm set`` against the simulator: live vs pending, digest conflicts, refusals and --dry-run send nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.faults import FailCall, TaskFail
from pvectl.sim.mock import mock_transport
from pvectl.sim.world import credentials_of
from tests.conftest import FakeClock
from tests.vm.conftest import SimCli

VM = "/nodes/pve1/qemu/100"  # dns1, running in the default world


def _client(cli: SimCli, **kwargs: Any) -> ProxmoxClient:
    """Another client on the same simulator (its requests are not counted)."""
    creds = credentials_of(cli.sim.store.snapshot())
    token = f"root@pam!{creds['token_id']}={creds['token_secret']}"
    return ProxmoxClient("sim", token=token, transport=mock_transport(cli.sim), clock=FakeClock(), **kwargs)


@pytest.fixture
def other(cli: SimCli) -> Iterator[ProxmoxClient]:
    """Another user's client on the same simulator."""
    with _client(cli) as c:
        yield c


def _pending(other: ProxmoxClient) -> dict[str, dict[str, object]]:
    return {row["key"]: row for row in other.request("GET", f"{VM}/pending")}


def test_running_vm_reports_live_and_pending(cli: SimCli, other: ProxmoxClient) -> None:
    nic = other.request("GET", f"{VM}/config")["net0"]
    run = cli("vm", "set", "dns1", "--memory", "4096", "--cores", "4", "--name", "dns9", "--firewall", "-o", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["outcome"] == "done"
    assert sorted(out["applied"]) == ["name", "net0"]  # fast-plug and network hotplug
    assert sorted(out["pending"]) == ["cores", "memory"]  # no memory/cpu hotplug by default
    writes = cli.writes()
    assert writes == ["POST /nodes/pve1/qemu/100/config"]  # one write; the VM runs (hotplug): the async POST
    put = [r for r in cli.requests if r.method == "POST"][0]
    body = dict(httpx.QueryParams(put.content.decode()))
    assert set(body) == {"memory", "cores", "name", "net0", "digest"}
    assert body["net0"] == nic + ",firewall=1"  # the MAC kept, one key changed
    rows = _pending(other)
    assert rows["memory"]["pending"] == "4096" and rows["memory"]["value"] == "2048"
    assert rows["name"] == {"key": "name", "value": "dns9"}


def test_stopped_vm_takes_everything_with_the_sync_put(cli: SimCli) -> None:
    run = cli("vm", "set", "102", "--cores", "4", "--memory", "4096", "-o", "json")
    assert run.code == 0, run.stderr
    assert sorted(run.json()["applied"]) == ["cores", "memory"] and run.json()["pending"] == []
    assert cli.writes() == ["PUT /nodes/pve2/qemu/102/config"]


def test_text_report_names_what_waits(cli: SimCli) -> None:
    run = cli("vm", "set", "100", "--cores", "4")
    assert run.code == 0, run.stderr
    assert "waiting for a reboot: cores" in run.stdout


def test_reboot_applies_pending_and_waits(cli: SimCli, other: ProxmoxClient) -> None:
    run = cli("vm", "set", "100", "--cores", "4", "--reboot", "-o", "json")
    assert run.code == 0, run.stderr
    assert run.json()["pending"] == [] and run.json()["applied"] == ["cores"]
    assert cli.writes() == ["POST /nodes/pve1/qemu/100/config", "POST /nodes/pve1/qemu/100/status/reboot"]
    assert "pending" not in _pending(other)["cores"]


def test_digest_conflict_fails_with_nothing_applied(
    cli: SimCli, other: ProxmoxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pvectl.vm import update

    plan_update = update.plan_update

    def plan_then_someone_edits(*args: Any, **kwargs: Any) -> update.UpdatePlan:
        plan = plan_update(*args, **kwargs)  # after the config (and its digest) was read, before the write
        other.request("PUT", f"{VM}/config", {"description": "edited by someone else"})
        return plan

    monkeypatch.setattr(update, "plan_update", plan_then_someone_edits)
    run = cli("vm", "set", "100", "--memory", "4096", "--name", "late", "-o", "json")
    assert run.code == 1
    out = run.json()
    assert out["outcome"] == "nothing-created"
    assert out["message"] == "VM 100: the VM changed since it was read; nothing was applied"
    config = other.request("GET", f"{VM}/config")
    assert (config["name"], config["memory"]) == ("dns1", "2048")
    assert config["description"] == "edited by someone else"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--disk", "scsi0:ceph-pool:8"), "PVE cannot shrink disks"),
        (("--disk", "scsi0:local-lvm:16"), "disk move"),
        (("--remove", "net7"), "the VM has no net7"),
    ],
)
def test_refusals_send_nothing(cli: SimCli, args: tuple[str, ...], says: str) -> None:
    run = cli("vm", "set", "100", *args)
    assert run.code == 2
    assert says in run.stderr and "nothing sent" in run.stderr
    assert cli.writes() == []


def test_bad_flags_send_no_request_at_all(cli: SimCli) -> None:
    for args in (("--disk", "scsi0:nonsense"), ("--iso", "latest-nixos"), ("--remove", "bogus"), ("--net-model", "x")):
        run = cli("vm", "set", "100", *args)
        assert run.code == 2, (args, run.stderr)
    assert cli.requests == []
    assert cli("vm", "set", "100").code == 2  # no change asked for


def test_dry_run_sends_no_write_and_shows_the_exact_requests(cli: SimCli) -> None:
    run = cli(
        "vm",
        "set",
        "100",
        "--disk",
        "scsi0:ceph-pool:32",
        "--disk",
        "ceph-pool:8",
        "--remove",
        "tags",
        "--dry-run",
        "-o",
        "json",
    )
    assert run.code == 0, run.stderr
    plan = run.json()
    assert cli.writes() == []
    assert [(r["method"], r["path"]) for r in plan["requests"]] == [
        ("POST", "/nodes/pve1/qemu/100/config"),  # a new disk is allocated: the async POST
        ("PUT", "/nodes/pve1/qemu/100/resize"),
    ]
    params = plan["requests"][0]["params"]
    assert params["scsi1"].startswith("ceph-pool:8,") and params["delete"] == "tags" and params["digest"]
    assert plan["requests"][1]["params"] == {"disk": "scsi0", "size": "32G"}


def test_grow_and_add_disk_for_real(cli: SimCli, other: ProxmoxClient) -> None:
    run = cli("vm", "set", "100", "--disk", "scsi0:ceph-pool:32", "--disk", "sata0:ceph-pool:8", "-o", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["applied"] == ["scsi0"] and out["pending"] == ["sata0"]  # sata never hot-plugs
    config = other.request("GET", f"{VM}/config", {"current": 1})
    assert "size=32G" in config["scsi0"] and "sata0" not in config
    assert cli.writes() == ["POST /nodes/pve1/qemu/100/config", "PUT /nodes/pve1/qemu/100/resize"]


def test_nothing_to_change_sends_nothing(cli: SimCli) -> None:
    run = cli("vm", "set", "100", "--memory", "2048", "--name", "dns1")
    assert run.code == 0
    assert "nothing to change" in run.stdout
    assert cli.writes() == []


def test_a_refused_config_write_applies_nothing(cli: SimCli, other: ProxmoxClient) -> None:
    cli.sim.inject(FailCall("/nodes/{node}/qemu/{vmid}/config", method="POST", status=500, message="storage is down"))
    run = cli("vm", "set", "100", "--cores", "4", "-o", "json")
    assert run.code == 1
    assert run.json()["message"] == "VM 100: PVE refused: 500 storage is down; nothing was applied"
    assert "pending" not in _pending(other)["cores"]


def test_a_failed_resize_after_the_config_is_partial_with_the_command_to_finish(
    cli: SimCli, other: ProxmoxClient
) -> None:
    cli.sim.inject(FailCall("/nodes/{node}/qemu/{vmid}/resize", status=500, message="no space left"))
    run = cli("vm", "set", "100", "--disk", "scsi0:ceph-pool:32", "--name", "dns9", "-o", "json")
    assert run.code == 6
    out = run.json()
    assert out["done"] == ["config"] and out["missing"] == ["resize scsi0"]
    assert out["remedies"] == ["pvectl vm resize 100 scsi0 32G"]
    assert _pending(other)["name"]["value"] == "dns9"


@pytest.mark.parametrize(
    ("task", "flag", "says", "missing"),
    [
        # PVE writes a running VM's change to [PENDING] before hot-plugging; a hotplug error fails the task after.
        ("qmconfig", "--firewall", "the config task failed: boom, but the config changed", []),
        ("qmreboot", "--reboot", "the reboot failed: boom", ["reboot"]),
    ],
)
def test_a_task_failing_after_the_config_was_written_is_partial(
    cli: SimCli, other: ProxmoxClient, task: str, flag: str, says: str, missing: list[str]
) -> None:
    cli.sim.inject(TaskFail(type=task, message="boom"))
    run = cli("vm", "set", "100", "--cores", "4", flag, "-o", "json")
    assert run.code == 6
    out = run.json()
    assert out["outcome"] == "partial" and out["pending"] == ["cores"] and out["missing"] == missing
    assert says in out["message"]
    assert _pending(other)["cores"]["pending"] == "4"


def test_vm_pending_lists_what_waits(cli: SimCli) -> None:
    assert cli("vm", "set", "dns1", "--cores", "4", "--name", "dns9", "--remove", "boot").code == 0
    rows = cli("vm", "pending", "dns9", "-o", "json").json()
    assert rows == [
        {"key": "boot", "value": "order=scsi0;net0", "pending": None, "delete": 1},
        {"key": "cores", "value": "2", "pending": "4", "delete": 0},
    ]
    every = {row["key"] for row in cli("vm", "pending", "100", "--all", "-o", "json").json()}
    assert {"name", "memory", "cores", "boot"} <= every


def test_a_setting_the_release_lacks_is_refused_before_sending(cli: SimCli) -> None:
    with cli.sim.store.transaction(write=True) as txn:
        txn.state["version"], txn.state["release"] = "8.4.0", "8.4"
        txn.changed()
    run = cli("vm", "set", "100", "--no-ksm", "--memory", "4096")
    assert run.code == 2
    assert "allow-ksm: PVE 8.4.0 has no allow-ksm (first in PVE 9.0.17)" in run.stderr
    assert cli.writes() == []


def test_apply_update_says_nothing_was_sent_when_the_sdk_refuses_the_release(cli: SimCli, other: ProxmoxClient) -> None:
    from pvectl.vm.lookup import cluster_vms, find
    from pvectl.vm.update import apply_update, plan_update

    with _client(cli, server_version="8.4.0") as old:
        live = old.request("GET", f"{VM}/config")
        plan = plan_update(live, {"allow-ksm": "0", "cores": "4"})
        out = apply_update(old, find(cluster_vms(old), "100"), plan, digest=live["digest"])
    assert (out.kind, out.exit_code) == ("nothing-created", 2)
    assert out.message.endswith("; nothing was sent")
    assert "pending" not in _pending(other)["cores"]
