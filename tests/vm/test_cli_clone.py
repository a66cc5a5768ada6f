"""`pvectl vm clone` against the simulator: GUI defaults, checks before sending, dry-run, races, --wait ip."""

from __future__ import annotations

from pvectl.sim.faults import parse_fault
from tests.vm.conftest import SimCli
from tests.vm.guest_kit import SharedClock, clock_fixture, gcli_fixture  # noqa: F401 (fixtures)


def _template(gcli: SimCli, name: str, disk: str = "local-lvm:8") -> int:
    run = gcli("vm", "create", "--node", "pve1", "--name", name, "--disk", disk, "-o", "json")
    assert run.code == 0, run.stderr
    vmid = int(run.json()["vmid"])
    assert gcli("vm", "template", name, "--yes").code == 0
    return vmid


def _config(gcli: SimCli, name: str) -> dict[str, str]:
    return dict(gcli("vm", "show", name, "-o", "json").json())


def test_template_clones_linked_by_default_and_full_on_request(gcli: SimCli) -> None:
    tpl = _template(gcli, "golden")
    linked = gcli("vm", "clone", "golden", "web1-linked", "-o", "json")
    assert linked.code == 0, linked.stderr
    out = linked.json()
    assert out["outcome"] == "done" and out["exit_code"] == 0
    assert (out["action"], out["name"]) == ("clone", "web1-linked")  # the new VM's outcome: its id and name
    assert f"base-{tpl}-disk-0/vm-{out['vmid']}-disk-0" in _config(gcli, "web1-linked")["scsi0"]
    full = gcli("vm", "clone", str(tpl), "web1-full", "--full", "--vmid", "4242")
    assert full.code == 0, full.stderr
    assert "VM 4242 (web1-full) cloned" in full.stdout and "full clone" in full.stdout
    assert "local-lvm:vm-4242-disk-0" in _config(gcli, "web1-full")["scsi0"]


def test_checks_before_sending(gcli: SimCli) -> None:
    gcli("vm", "create", "--node", "pve1", "--name", "plain")
    before = len(gcli.writes())
    linked = gcli("vm", "clone", "plain", "x", "--linked")
    assert linked.code == 2 and "not a template" in linked.stderr and "pvectl vm template" in linked.stderr
    both = gcli("vm", "clone", "plain", "x", "--full", "--linked")
    assert both.code == 2
    fmt = gcli("vm", "clone", "plain", "x", "--format", "vhd")
    assert fmt.code == 2 and "--format" in fmt.stderr
    assert len(gcli.writes()) == before  # nothing sent
    taken = gcli("vm", "clone", "plain", "x", "--vmid", str(gcli("vm", "show", "plain", "-o", "json").json()["vmid"]))
    assert taken.code == 2 and "already exists" in taken.stderr


def test_plain_vm_clones_full_and_dry_run_prints_requests(gcli: SimCli) -> None:
    gcli("vm", "create", "--node", "pve1", "--name", "src")
    before = len(gcli.writes())
    dry = gcli("vm", "clone", "src", "copy", "--start", "--dry-run", "-o", "json").json()
    assert len(gcli.writes()) == before
    first, second = dry["requests"]
    assert first["method"] == "POST" and first["path"].endswith("/clone") and first["params"]["full"] == 1
    assert first["params"]["name"] == "copy" and second["path"].endswith("/status/start")
    text = gcli("vm", "clone", "src", "copy", "--dry-run", "-o", "text")
    assert "POST /nodes/pve1/qemu/" in text.stdout and "newid=" in text.stdout


def test_auto_vmid_survives_a_race(gcli: SimCli) -> None:
    _template(gcli, "base")
    gcli.sim.faults.add(parse_fault("steal-vmid"))
    run = gcli("vm", "clone", "base", "racer", "-o", "json")
    assert run.code == 0, run.stderr
    assert _config(gcli, "racer")["name"] == "racer"


def test_clone_task_failing_midway_is_reported(gcli: SimCli) -> None:
    _template(gcli, "frail")
    gcli.sim.faults.add(parse_fault("task-fail:type=qmclone,message=storage migration failed"))
    run = gcli("vm", "clone", "frail", "broken", "-o", "json")
    assert run.code == 1
    assert run.json()["outcome"] == "task-failed" and "storage migration failed" in run.json()["message"]
    assert gcli("vm", "show", "broken").code == 4  # the half-made VM is gone


def test_clone_start_wait_ip_end_to_end(gcli: SimCli, clock: SharedClock) -> None:
    _template(gcli, "cloud")
    started = clock.now
    run = gcli("vm", "clone", "cloud", "app1", "--wait", "ip")
    assert run.code == 0, run.stderr
    assert run.stdout.strip().startswith("192.0.2.")
    assert "cloned" in run.stderr
    assert _config(gcli, "app1")["status"] == "running"
    # the simulated task (1 s each for template, clone, start) and agent delays, plus backoff: no idle polling
    assert clock.now - started < 1 + 1 + 4 + 2 + 1
