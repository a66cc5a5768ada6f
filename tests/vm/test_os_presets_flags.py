"""OS presets in flags mode (issue 29): what the user did not give follows the OS, as in -i and --tui."""

from __future__ import annotations

from tests.vm.conftest import SimCli
from tests.vm.test_cli_create import plan_params


def test_windows_11_flags_get_the_gui_presets(cli: SimCli) -> None:
    params = plan_params(cli, "--ostype", "win11")
    assert params["ide0"].startswith("ceph-pool:32,")  # PVE GUI OSDefaults.js generic: IDE disks, E1000
    assert "scsi0" not in params
    assert params["net0"].startswith("e1000,")
    assert params["memory"] == "4096"
    assert params["tpmstate0"] == "ceph-pool:1,version=v2.0"
    assert params["efidisk0"] == "ceph-pool:1,efitype=4m,pre-enrolled-keys=1"
    assert "serial0" not in params and "vga" not in params
    assert steps(cli, "--ostype", "win11") == ["create"]  # no serial-console post-step for Windows
    assert steps(cli) == ["create", "serial"]


def steps(cli: SimCli, *flags: str) -> list[str]:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *flags)
    return [r["step"] for r in run.json()["requests"]]


def test_given_values_are_kept_with_a_note(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "--ostype", "win11", "--no-tpm", "--memory", "8192")
    assert run.code == 0, run.stderr
    assert "note: kept your TPM off; Windows 11/2022/2025 default is on" in run.stderr
    assert "kept your memory 8192 MiB" in run.stderr
    assert "Windows 11/2022/2025 defaults: disk 1 bus ide, NIC model e1000, Secure Boot keys on" in run.stderr
    params = plan_params(cli, "--ostype", "win11", "--no-tpm", "--memory", "8192", "--disk", "scsi0:ceph-pool:40")
    assert "tpmstate0" not in params and params["memory"] == "8192" and "scsi0" in params


def test_linux_notes_nothing(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "--memory", "8192")
    assert run.code == 0 and "note:" not in run.stderr and "kept" not in run.stderr


def test_windows_serial_console_only_when_asked(cli: SimCli) -> None:
    assert steps(cli, "--ostype", "win10", "--serial-console") == ["create", "serial"]  # asked for: kept


def test_a_missing_virtio_driver_iso_is_refused_before_sending(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--ostype", "win11", "--virtio-iso", "local:iso/missing.iso")
    assert run.code == 2
    assert "--virtio-iso: 'local:iso/missing.iso' does not exist on pve1" in run.stderr
    assert cli.writes() == []
