"""`pvectl vm create` from flags, files and dry runs, against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.vm.conftest import SimCli


def plan_params(cli: SimCli, *flags: str) -> dict[str, str]:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *flags)
    assert run.code == 0, run.stderr
    params: dict[str, str] = run.json()["requests"][0]["params"]
    return params


def test_defaults_create_a_vm(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--name", "demo")
    assert run.code == 0, run.stderr
    vmid = int(run.stdout.split()[1])
    assert run.stdout.strip() == f"VM {vmid} created on pve1"
    assert cli.writes() == ["POST /nodes/pve1/qemu", f"PUT /nodes/pve1/qemu/{vmid}/config"]
    listed = cli("vm", "list", "-o", "json").json()
    assert {"vmid": vmid, "name": "demo", "node": "pve1"}.items() <= next(
        v for v in listed if v["vmid"] == vmid
    ).items()
    config = cli("vm", "show", "demo", "-o", "json").json()
    assert (config["serial0"], config["vga"]) == ("socket", "serial0")
    assert config["scsi0"].startswith(f"ceph-pool:vm-{vmid}-disk-")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--vmid", "555"], {"vmid": "555"}),
        (["--name", "web9"], {"name": "web9"}),
        (["--pool", "prod"], {"pool": "prod"}),
        (["--tag", "a", "--tag", "b"], {"tags": "a;b"}),
        (["--no-ha"], {"ha-managed": None}),
        (["--onboot"], {"onboot": "1"}),
        (["--startup-order", "3", "--startup-delay", "10", "--shutdown-timeout", "60"], {"startup": "order=3,up=10,down=60"}),
        (["--iso", "none"], {"ide2": "none,media=cdrom"}),
        (["--iso", "cdrom"], {"ide2": "cdrom,media=cdrom"}),
        (["--iso", "cephfs:iso/debian-12.8.0-amd64-netinst.iso"], {"ide2": "cephfs:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom"}),
        (["--ostype", "win11"], {"ostype": "win11"}),
        (["--machine", "pc"], {"machine": "pc"}),
        (["--bios", "seabios"], {"bios": "seabios", "efidisk0": None}),
        (["--no-efidisk"], {"efidisk0": None}),
        (["--efi-storage", "local-lvm"], {"efidisk0": "local-lvm:1,efitype=4m"}),
        (["--secure-boot"], {"efidisk0": "ceph-pool:1,efitype=4m,pre-enrolled-keys=1"}),
        (["--scsihw", "lsi"], {"scsihw": "lsi"}),
        (["--no-agent"], {"agent": None}),
        (["--sockets", "2", "--cores", "4", "--cpu", "x86-64-v3"], {"sockets": "2", "cores": "4", "cpu": "x86-64-v3"}),
        (["--memory", "4096", "--min-memory", "1024"], {"memory": "4096", "balloon": "1024"}),
        (["--no-balloon"], {"balloon": "0"}),
        (["--no-ksm"], {"allow-ksm": "0"}),
        (["--no-network"], {"net0": None}),
        (["--bridge", "vmbr0", "--net-model", "e1000", "--no-firewall"], {"net0": "e1000,bridge=vmbr0"}),
        (
            ["--vlan", "20", "--mtu", "9000", "--rate", "50", "--queues", "4", "--mac", "BC:24:11:00:00:09", "--link-down"],
            {"net0": "virtio=BC:24:11:00:00:09,bridge=vmbr9,firewall=1,link_down=1,mtu=9000,queues=4,rate=50.0,tag=20"},
        ),
        (
            ["--disk", "ceph-pool:20", "--disk", "scsi5:local-lvm:100,ssd=0,backup=0"],
            {"scsi0": "ceph-pool:20,aio=io_uring,format=raw,iothread=1,ssd=1", "scsi5": "local-lvm:100,aio=io_uring,backup=0,format=raw,iothread=1"},
        ),
    ],
)  # fmt: skip
def test_every_flag(cli: SimCli, flags: list[str], expected: dict[str, str | None]) -> None:
    params = plan_params(cli, *flags)
    for key, value in expected.items():
        assert params.get(key) == value, key
    assert cli.writes() == []


def test_serial_and_start_steps(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", "--no-serial-console", "--start")
    assert [r["step"] for r in run.json()["requests"]] == ["create", "start"]


def test_dry_run_text(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--name", "x", "--dry-run")
    assert run.code == 0
    assert run.stdout.startswith("Plan for VM ")
    assert "POST /nodes/pve1/qemu" in run.stdout and "name=x" in run.stdout
    assert "PUT /nodes/pve1/qemu/" in run.stdout


def test_from_file_with_flag_override(cli: SimCli, tmp_path: Path) -> None:
    yaml_file = tmp_path / "vm.yaml"
    yaml_file.write_text("general:\n  name: fromfile\n  node: pve2\nmemory:\n  memory: 1024\ncpu:\n  cores: 3\n")
    params = plan_params(cli, "--from-file", str(yaml_file), "--cores", "6")
    assert (params["name"], params["memory"], params["cores"]) == ("fromfile", "1024", "6")
    json_file = tmp_path / "vm.json"
    json_file.write_text(
        json.dumps({"network": {"enabled": False}, "disks": [{"storage": "local-lvm", "size_gib": 8}]})
    )
    params = plan_params(cli, "--from-file", str(json_file))
    assert "net0" not in params and params["scsi0"].startswith("local-lvm:8,")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("general: [", "bad.yaml", "not valid YAML"),
        ('{"memory": {"memory": "lots"}}', "bad.json", "memory.memory"),
        ('{"colour": 1}', "extra.json", "colour"),
    ],
)
def test_bad_files(cli: SimCli, tmp_path: Path, content: str, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    run = cli("vm", "create", "--node", "pve1", "--from-file", str(path))
    assert run.code == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert cli.requests == []
    missing = cli("vm", "create", "--from-file", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "nope.yaml" in missing.stderr


def test_validation_failure_sends_nothing(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--memory", "4096", "--min-memory", "8192", "--vlan", "5000")
    assert run.code == 2
    assert "minimum memory (8192) must not exceed memory (4096)" in run.stderr
    assert "VLAN tag must be 1..4094" in run.stderr
    assert cli.writes() == []


def test_bad_flag_values(cli: SimCli) -> None:
    for flags, message in (
        (["--ostype", "beos"], "--ostype: 'beos' is not one of"),
        (["--disk", "ceph-pool"], "--disk 'ceph-pool'"),
        (["--iso", "something"], "--iso: 'something'"),
    ):
        run = cli("vm", "create", "--node", "pve1", *flags)
        assert run.code == 2, flags
        assert message in run.stderr
    assert cli.writes() == []


def test_missing_server_defaults_are_named(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--bridge", "vmbr7", "--disk", "nvme-pool:10")
    assert run.code == 2
    assert "bridge 'vmbr7' does not exist (available: vmbr0, vmbr9)" in run.stderr
    assert "disk storage 'nvme-pool' does not exist" in run.stderr
    assert cli.writes() == []


def test_tui_needs_a_terminal(cli: SimCli) -> None:
    run = cli("vm", "create", "--tui")  # the wizard itself: tests/tui; -i: tests/prompts
    assert run.code == 2
    assert "--tui needs an interactive terminal" in run.stderr
    assert cli.writes() == []


def test_auto_vmid_race_is_retried(cli: SimCli) -> None:
    cli.sim.inject("steal-vmid")
    run = cli("vm", "create", "--node", "pve1", "--name", "racer")
    assert run.code == 0, run.stderr
    creates = [r for r in cli.requests if r.method == "POST" and r.url.path.endswith("/qemu")]
    assert len(creates) == 2


def test_user_vmid_taken_is_an_error(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--vmid", "100")
    assert run.code == 2  # the id is known to be taken before anything is sent
    assert "VM id 100 is already in use" in run.stderr
    assert cli.writes() == []


def test_task_failure(cli: SimCli) -> None:
    cli.sim.inject("task-fail:type=qmcreate,message=unable to create VM - storage full")
    run = cli("vm", "create", "--node", "pve1")
    assert run.code == 1
    assert "create task failed: unable to create VM - storage full" in run.stderr


def test_serial_step_failure_is_partial_success(cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/qemu/{vmid}/config,method=PUT,status=500,message=VM is locked")
    run = cli("vm", "create", "--node", "pve1", "--name", "half")
    assert run.code == 6
    assert "exists on pve1, but the serial console step failed" in run.stderr
    vmid = next(int(w) for w in run.stderr.split() if w.isdigit())
    assert f"finish with: pvectl vm serial-console enable {vmid}" in run.stderr
    fixed = cli("vm", "serial-console", "enable", str(vmid))
    assert fixed.code == 0, fixed.stderr


def test_dry_run_output_never_shows_credentials(cli: SimCli) -> None:
    from pvectl.sim.world import credentials_of

    secret = credentials_of(cli.sim.store.snapshot())["token_secret"]
    for fmt in ("text", "json"):
        run = cli("-v", "vm", "create", "--node", "pve1", "--dry-run", "-o", fmt)
        assert run.code == 0
        assert secret not in run.stdout + run.stderr


def test_serial_console_enable_on_a_running_vm_names_the_reboot(cli: SimCli) -> None:
    run = cli("vm", "serial-console", "enable", "dns1")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("VM 100 (dns1): serial console enabled"), run.text
    assert "serial0 and vga take effect at its next reboot (pvectl vm reboot" in run.stderr  # a note: stdout is -o
    again = cli("vm", "reboot", "dns1")
    assert again.code == 0, again.stderr
    assert "next reboot" not in cli("vm", "serial-console", "enable", "dns1").stderr  # live now: nothing waits
